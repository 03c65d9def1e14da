/* The model file OUT/model.h5: everything `mlpsweep predict` and
 * analysis/mlpsweep_model.py need to reproduce the emulator's predictions.
 *
 * Layout (format "mlpsweep-model", version 1):
 *   /                 attrs format, format_version, mlpsweep_version,
 *                     hdf5_version, blas, config (resolved YAML text),
 *                     n_members, sizes (int64, inputs..outputs),
 *                     activation (hidden layers; output is linear),
 *                     ensemble_average ("scaled": members are averaged in
 *                     the transformed target space, then inverted)
 *   /input_transform  and /target_transform: data/transform.h's xf_write_h5
 *   /members/K/W0, b0, W1, b1, ...   float32; W (out, in) as torch's Linear
 *   /metrics          attrs with the test metrics (when written by run);
 *                     datasets col_rmse, col_median_frac (per output)
 * A network computes h = act(W0 x + b0), ..., y = W_last h + b_last. */
#ifndef MLPS_MODEL_H
#define MLPS_MODEL_H

#include "workflow/fit.h"

#define MODEL_FORMAT "mlpsweep-model"
#define MODEL_FORMAT_VERSION 1

/* Test metrics stored in /metrics: attributes test_mse_scaled,
 * test_mae_scaled, test_rmse, test_median_frac_err, test_p95_frac_err (in
 * that order in scalars), datasets col_rmse and col_median_frac (m each). */
typedef struct {
  double scalars[5];
  const double *col_rmse, *col_median_frac;
  size_t m;
} model_metrics;

/* Writes fm (all members share one architecture) to path, with metrics
 * (may be NULL). config_text may be NULL. The file is written to path.tmp
 * and renamed, so a crash or a full disk never leaves a half-written model
 * under the final name. */
int model_write(const char *path, const fit_model *fm, const char *config_text,
                const model_metrics *mm, mlps_err *e);
/* Reads a model written by model_write into fm (fm zeroed first). */
int model_read(const char *path, fit_model *fm, mlps_err *e);

#endif
