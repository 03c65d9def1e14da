/* A trial of a loaded config -> the engine's train_config, so the mapping
 * from config keys to training settings lives next to the keys. Separate
 * from config.h so that only code that trains includes nn/train.h. */
#ifndef MLPS_CONFIG_TRAIN_H
#define MLPS_CONFIG_TRAIN_H

#include "config/config.h"
#include "nn/train.h"

/* Fills tc from cfg->train and the trial's hyperparameters (optimizer with
 * torch defaults for betas/eps/momentum, lr, weight_decay, batch, dropout,
 * loss, early stopping, schedule, stages, max_seconds). The caller sets
 * tc->seed (and, for the final retrain, max_epochs/cosine_start). Returns
 * train_config_check's status. */
int cfg_train_config(const mlps_config *cfg, const cfg_trial *t, train_config *tc, mlps_err *e);

#endif
