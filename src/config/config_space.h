/* parameters -> search space (config_space.c). Internal to config/. */
#ifndef MLPS_CONFIG_SPACE_H
#define MLPS_CONFIG_SPACE_H

#include "config/config.h"
#include "config/config_yaml.h"

/* Fills cfg->space from root's parameters section (every parameter present,
 * missing ones as constants at their defaults) and cfg->train from the
 * training keys fixed there; nodes[i] is the node of cfg->space.p[i] (NULL
 * when defaulted), for later messages. Reads train only to refuse a key
 * set in both places. */
void cfg_space_parse(cfg_ctx *c, const ynode *root, mlps_config *cfg, const ynode **nodes);

/* With search.method grid: every parameter finite, and search.trials
 * defaulted to (or checked against) the grid size. */
void cfg_space_check_grid(cfg_ctx *c, const ynode *root, mlps_config *cfg,
                          const ynode *const *nodes, int trials_given, const ynode *method_node);

#endif
