/* The sweep configuration: YAML file (+ --set overrides) -> one typed,
 * validated, fully defaulted struct. Every key, its type, default and
 * meaning is documented in README.md (Config reference).
 *
 * mlps_config is flat (fixed-size arrays, no pointers), so it can be copied
 * with memcpy and broadcast as bytes; cfg_free exists for symmetry and
 * future fields. The searchable hyperparameters live in `space` (search/
 * space.h): samplers read it, workers read a trial's point from it. */
#ifndef MLPS_CONFIG_H
#define MLPS_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "data/noise_spec.h"
#include "data/transform_types.h"
#include "nn/mlp.h" /* MLP_MAX_LAYERS, MLP_MAX_WIDTH */
#include "nn/nn_types.h"
#include "search/metric.h"
#include "search/pruner.h"
#include "search/sampler.h" /* sampler_method, SAMPLER_METHOD_NAMES, sampler_options */
#include "search/space.h"
#include "util/err.h"

#define CFG_FORMAT "mlpsweep-config"
#define CFG_FORMAT_VERSION 1

#define CFG_NAME_MAX 128
#define CFG_PATH_MAX 1024
#define CFG_DSET_MAX 256
#define CFG_COLS_MAX 256
#define CFG_DESC_MAX 512
#define CFG_MAX_STAGES 8 /* train.schedule.stages; the engine takes TRAIN_MAX_STAGES */
/* Hidden layers: the engine's dense layers less the output layer, so that a
 * config that validates builds (layers, widths lists, cfg_trial.widths). */
#define CFG_MAX_LAYERS (MLP_MAX_LAYERS - 1)
#define CFG_MAX_WIDTH 65536 /* units per hidden layer; the engine takes MLP_MAX_WIDTH */
#define CFG_MAX_ENSEMBLE 64 /* final.ensemble */
/* final.committee x final.ensemble networks in one model (fit's and the
 * emulator library's FIT_MAX_MEMBERS / EMU_MAX_MEMBERS) */
#define CFG_MAX_NETWORKS 64
#define CFG_MAX_LCURVE 16 /* final.learning_curve fractions */

#define CFG_MAX_HARD_ROUNDS 100  /* final.hard_examples.rounds */
#define CFG_MAX_HARD_WEIGHT 1000 /* final.hard_examples.weight */

typedef enum { GOAL_MINIMIZE, GOAL_COUNT } cfg_goal; /* every metric is an error */
extern const char *const CFG_GOAL_NAMES[GOAL_COUNT];

/* How many epochs the final retrain on train+validation runs. */
typedef enum {
  FINAL_EPOCHS_MEAN_BEST,   /* mean over the best trial's folds of their best epoch (rounded) */
  FINAL_EPOCHS_MEDIAN_BEST, /* median of the same */
  FINAL_EPOCHS_MAX_BEST,    /* maximum of the same */
  FINAL_EPOCHS_HOLDOUT,     /* early stopping on an inner holdout of final.holdout_fraction */
  FINAL_EPOCHS_FIXED,       /* exactly final.fixed_epochs */
  FINAL_EPOCHS_COUNT
} cfg_final_epochs;
extern const char *const CFG_FINAL_EPOCHS_NAMES[FINAL_EPOCHS_COUNT];

/* How a committee's configurations are weighted (final.committee_weights). */
typedef enum { COMMITTEE_EQUAL, COMMITTEE_INVERSE_ERROR, COMMITTEE_WEIGHTS_COUNT } cfg_committee_w;
extern const char *const CFG_COMMITTEE_WEIGHTS_NAMES[COMMITTEE_WEIGHTS_COUNT];
/* final.hard_examples.by: what ranks the rows and judges the rounds */
typedef enum { HARD_BY_FRAC_ERR, HARD_BY_BIAS, HARD_BY_COUNT } cfg_hard_by;
extern const char *const CFG_HARD_BY_NAMES[HARD_BY_COUNT];

typedef struct {
  char path[CFG_PATH_MAX];          /* HDF5 file (required) */
  char inputs[CFG_DSET_MAX];        /* dataset of X (n, d); default "X" */
  char targets[CFG_DSET_MAX];       /* dataset of Y (n, m); default "Y" */
  char input_columns[CFG_COLS_MAX]; /* "all" or "0,2,5:9" (0-based; a:b half-open, a: to the end) */
  char target_columns[CFG_COLS_MAX];
  long max_rows;                         /* use the first max_rows rows; 0 = all */
  int n_input_transform;                 /* chain length, 0..XF_MAX_CHAIN; 0 = none */
  xf_kind input_transform[XF_MAX_CHAIN]; /* applied left to right; default [standard] */
  int n_target_transform;
  xf_kind target_transform[XF_MAX_CHAIN]; /* default [standard] */
  noise_spec noise;                       /* data.noise; default none */
} cfg_data;

typedef struct {
  double test_fraction; /* in (0, 1); used when test_count is 0; default 0.1 */
  long test_count;      /* > 0: hold out exactly this many rows instead */
  int kfold;            /* >= 1; default 5; 1 = one train/validation split */
  double val_fraction;  /* in (0, 1), used when kfold is 1; default 0.1 */
  long seed;            /* seed of the split; -1 (default): the master seed */
} cfg_split;

/* The seed the split is drawn with: split.seed if set, else the master seed. */
#define CFG_SPLIT_SEED(cfg) ((cfg)->split.seed >= 0 ? (uint64_t)(cfg)->split.seed : (cfg)->seed)

/* search.pruner: search/pruner.h's rules and their options. */
typedef struct {
  pruner_kind kind;   /* default none */
  int startup_trials; /* median: no pruning until this many trials finished; default 5 */
  int warmup_epochs;  /* median: no pruning before this epoch; default 10 */
  int interval;       /* median: check every this many epochs; default 1 */
  int min_epochs;     /* asha, hyperband: the first rung; default 10 */
  int eta;            /* asha, hyperband: reduction factor; default 3 */
} cfg_pruner;

typedef struct {
  sampler_method method; /* default random (SAMPLER_RANDOM) */
  /* The sampler's options with the sampler's defaults (sampler_options_init):
   * the planned trials (grid: default, and at most, the grid size) and the
   * TPE and Sobol settings. Their keys, types and ranges are the table
   * CFG_SAMPLER_OPTS (config_schema.h). */
  sampler_options sampler;
  search_metric metric; /* default val_mse */
  cfg_goal goal;        /* minimize */
  cfg_pruner pruner;    /* also from W&B's early_terminate: {type: hyperband, min_iter, eta} */
  double max_seconds;   /* wall time of the whole sweep over every start; 0 = none */
} cfg_search;

typedef struct {
  int max_epochs;   /* default (resolved): train.max_epochs */
  int patience;     /* default (resolved): train.patience */
  double lr_factor; /* multiplies the previous stage's lr (the first: the base lr); default 1 */
} cfg_stage;

typedef struct {
  nn_schedule_kind kind; /* default constant */
  double factor;         /* plateau: multiply lr by this; default 0.1 */
  int patience;          /* plateau: epochs without improvement; default 10 */
  double min_lr;         /* plateau: floor; default 0 */
  double threshold;      /* plateau: relative improvement that counts; default 1e-4 */
  double eta_min;        /* cosine: final lr over max_epochs; default 0 */
  int n_stages;          /* stages: 1..CFG_MAX_STAGES */
  cfg_stage stages[CFG_MAX_STAGES];
} cfg_schedule;

typedef struct {
  int max_epochs;     /* default 1000 */
  int patience;       /* early stopping; default 50; 0 = off (run max_epochs) */
  double min_delta;   /* improvement smaller than this does not count; default 0 */
  nn_loss loss;       /* default mse */
  nn_init init;       /* default torch */
  double max_seconds; /* per task wall-clock limit; 0 = none (default) */
  cfg_schedule schedule;
} cfg_train;

/* final.hard_examples: fine-tuning each final network on its worst
 * training rows, a round kept only when an inner holdout's tail improves
 * (workflow/hard.h). */
typedef struct {
  int rounds;              /* 1..CFG_MAX_HARD_ROUNDS; 0 = off (the key absent) */
  int n_bad;               /* worst training rows per round */
  int weight;              /* each of them appears this many times in the fine-tune's rows */
  double lr_factor;        /* fine-tune learning rate = the trial's lr * lr_factor */
  int epochs;              /* fine-tune epochs per round */
  double holdout_fraction; /* of the training rows, never trained on; in (0, 0.5], default 0.1 */
  cfg_hard_by by;          /* frac_err (default): |fractional error|; bias: the first-order
                              posterior bias under data.noise (workflow/fisher.h) */
} cfg_hard_examples;

typedef struct {
  int retrain;             /* default true */
  cfg_final_epochs epochs; /* default mean_best */
  int fixed_epochs;        /* epochs: fixed */
  double holdout_fraction; /* epochs: holdout; default 0.1 */
  double anneal_fraction;  /* lr decays to 0 (cosine) over this last fraction; default 0.2 */
  int ensemble;            /* networks retrained with other seeds, averaged; default 1 */
  /* Committees and learning curves (issue 22). */
  int committee;                         /* best distinct configurations averaged; default 1 */
  cfg_committee_w committee_weights;     /* default equal */
  int n_learning_curve;                  /* 0 = no learning curve */
  double learning_curve[CFG_MAX_LCURVE]; /* increasing fractions of train+validation, (0, 1] */
  double target_error;                   /* 0 = none; else the error to extrapolate n for */
  cfg_hard_examples hard;                /* off unless given */
} cfg_final;

typedef struct {
  char dir[CFG_PATH_MAX]; /* default "runs/NAME" */
} cfg_output;

typedef struct mlps_config {
  char name[CFG_NAME_MAX];        /* default: the config file name without extension */
  char description[CFG_DESC_MAX]; /* free text; default "" */
  uint64_t seed;                  /* default 1 */
  cfg_data data;
  cfg_split split;
  cfg_search search;
  /* Searchable hyperparameters, always all present after loading:
   * layers, width, lr, batch, activation, optimizer, dropout, weight_decay
   * (or widths instead of layers and width). Missing ones are constants
   * at their defaults. Categorical activation/optimizer values are
   * VAL_STRING names; widths values are VAL_STRING "64,64,32". */
  search_space space;
  cfg_train train;
  cfg_final final;
  cfg_output output;
} mlps_config;

/* All problems found while loading, as text lines
 * "FILE:LINE:COLUMN: key.path: what is wrong; what to do", sorted by place. */
typedef struct {
  int n;      /* number of problems */
  char *text; /* n lines, each ending in '\n'; NULL when n is 0; owned */
} cfg_errors;
void cfg_errors_free(cfg_errors *e);

/* Loads, overrides and validates. sets are "key.path=value" strings applied
 * in order before validation. Returns MLPS_OK, or MLPS_EINPUT with every
 * problem in errs (which the caller frees); cfg is fully set only on OK. */
int cfg_load(const char *path, const char *const *sets, int nsets, mlps_config *cfg,
             cfg_errors *errs);
/* The same from text (e.g. the config embedded in a journal); origin names
 * it in messages. */
int cfg_load_text(const char *text, size_t len, const char *origin, const char *const *sets,
                  int nsets, mlps_config *cfg, cfg_errors *errs);
void cfg_free(mlps_config *cfg);

/* YAML text of the resolved config (every key, defaults filled in). Loading
 * it again gives an identical config. Returned string is malloc'ed. */
char *cfg_dump(const mlps_config *cfg);

/* Search-space summary and plan as YAML comment lines ("# ..."): each
 * parameter's domain, grid size, planned trials and tasks; nranks > 0 adds
 * the rank layout. Returned string is malloc'ed. */
char *cfg_summary(const mlps_config *cfg, int nranks);

/* A trial's hyperparameters, decoded from a sampler point x (one double per
 * parameter of cfg->space: the choice index for categorical and constant
 * parameters, the value for numeric ones; see search/sampler.h). */
typedef struct {
  int n_layers;
  int widths[CFG_MAX_LAYERS]; /* hidden layer widths, from widths or layers x width */
  nn_activation activation;
  nn_optimizer optimizer;
  double lr;
  int batch;
  double dropout;
  double weight_decay;
} cfg_trial;
/* Returns MLPS_OK, or MLPS_EINPUT when x is outside the space (message in e). */
int cfg_trial_decode(const mlps_config *cfg, const double *x, cfg_trial *t, mlps_err *e);

/* The sampler options of cfg->search (for sampler_create with
 * cfg->search.method, cfg->space and cfg->seed). */
void cfg_sampler_options(const mlps_config *cfg, sampler_options *o);

/* Planned numbers: trials, and tasks = trials * kfold. */
long cfg_planned_trials(const mlps_config *cfg);
long cfg_planned_tasks(const mlps_config *cfg);

/* Lists the keys whose resolved values differ, e.g. "search.trials,
 * parameters.lr.max", into buf. Returns the number of differing keys. */
int cfg_diff(const mlps_config *a, const mlps_config *b, char *buf, size_t bufsize);

/* Parses a "widths" value ("64,64,32") into widths[0..max). Returns the
 * number of layers, or 0 when s is malformed or has more than max. */
int cfg_widths_parse(const char *s, int *widths, int max);

#endif
