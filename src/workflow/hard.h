/* Hard-example fine-tuning of the final networks (final.hard_examples, after
 * NNPowerspectra's N_BAD): a network is trained on its training rows less
 * an inner holdout it never sees; then, for up to `rounds` rounds, a copy is
 * fine-tuned on the training rows with the n_bad worst-predicted of them
 * repeated `weight` times, and the round is kept only when the holdout's
 * 95th percentile |fractional error| improves; otherwise the network goes
 * back to its weights before the round, bit for bit, and the rounds stop.
 *
 * The per-round report of each network stays on the rank that trained it
 * until hard_report_collect brings them to rank 0 for the summary. */
#ifndef MLPS_HARD_H
#define MLPS_HARD_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "data/data.h"
#include "sweep/json.h"
#include "workflow/fit.h"

/* Trains network `member` of the final model into fm (transforms already
 * fitted), as fit_train_member does; with final.hard_examples on and
 * member >= 0 (not a fold model), holds out holdout_fraction of train_rows
 * (drawn from seed, the network's own), trains on the rest and runs the
 * rounds. r is the first training's result (status TRAIN_STOPPED also when
 * a stop request ended a round: that round is undone). Errors as
 * fit_train_member, and MLPS_EINPUT when train_rows are too few to hold
 * any out. */
int hard_fit_member(const mlps_config *cfg, const fit_plan *p, const data_set *ds, fit_model *fm,
                    int member, const size_t *train_rows, size_t n_train, const size_t *val_rows,
                    size_t n_val, uint64_t seed, train_callback cb, void *user, train_result *r,
                    mlps_err *e);

/* Collective over comm, after every network of the final stage has been
 * trained: brings the reports of networks 0..n_members-1 to rank 0 and, when
 * w is not NULL there, writes the summary's "hard_examples" block into w
 * (an open object). Forgets the reports on every rank. Does nothing when
 * final.hard_examples is off. */
void hard_report_collect(MPI_Comm comm, const mlps_config *cfg, int n_members, json_writer *w);

#endif
