/* The model file OUT/model.h5: everything `mlpsweep predict`, the emulator
 * library (emu/mlpsweep_emu.h) and analysis/mlpsweep_model.py need to
 * reproduce the emulator's predictions, its training box and error model.
 *
 * Layout (format "mlpsweep-model", version 2):
 *   /                 attrs format, format_version (2), mlpsweep_version,
 *                     hdf5_version, blas, config (resolved YAML text),
 *                     n_members, sizes (int64, inputs..outputs) and
 *                     activation (hidden layers; output is linear) of
 *                     member 0, input_names (d strings: the data's X
 *                     `names`, else x0, x1, ...), ensemble_average ("scaled":
 *                     members are averaged in the transformed target space,
 *                     then inverted)
 *   /input_transform  and /target_transform: data/transform.h's xf_write_h5
 *   /box/lo, /box/hi  float64 (d): min and max of each input (data units)
 *                     over the rows the final model was trained on
 *                     (train + validation pool)
 *   /members/K        attrs sizes (int64) and activation of member K,
 *                     weight (float64: its weight in the average; the
 *                     weights sum to 1), trial (int64: the sweep's trial
 *                     whose configuration it is; a committee mixes several);
 *   /members/K/W0, b0, W1, b1, ...   float32; W (out, in) as torch's Linear
 *   /metrics          attrs with the test metrics (when written by run);
 *                     float64 datasets col_rmse, col_median_frac,
 *                     col_p95_frac (m each: per output, |y_pred/y - 1|
 *                     quantiles, NaN unless targets are positive); when the
 *                     target chain starts with log/log10: frac_mean (m) and
 *                     frac_cov (m, m), the mean and covariance (1/(n-1))
 *                     over the test rows of the fractional residuals
 *                     y_pred/y - 1 (the emulator's bias and error covariance)
 * A network computes h = act(W0 x + b0), ..., y = W_last h + b_last.
 *
 * Version 1 (before mlpsweep 0.1 + issue 19) had no input_names, box,
 * per-member attrs, col_p95_frac, frac_mean or frac_cov; readers accept it.
 * Members without a weight attribute count equally. A file whose members'
 * weights differ (final.committee_weights: inverse_error) is version 3,
 * otherwise identical: readers of version 2 would average it equally, so
 * they refuse it rather than predict something else. */
#ifndef MLPS_MODEL_H
#define MLPS_MODEL_H

#include "workflow/fit.h"

#define MODEL_FORMAT "mlpsweep-model"
#define MODEL_FORMAT_VERSION 2
#define MODEL_FORMAT_VERSION_WEIGHTED 3 /* members weighted unequally */

/* Test metrics stored in /metrics: attributes test_mse_scaled,
 * test_mae_scaled, test_rmse, test_median_frac_err, test_p95_frac_err (in
 * that order in scalars), datasets col_rmse, col_median_frac, col_p95_frac
 * (m each) and, when not NULL, frac_mean (m) and frac_cov (m, m). */
typedef struct {
  double scalars[5];
  const double *col_rmse, *col_median_frac, *col_p95_frac;
  const double *frac_mean, *frac_cov;
  size_t m;
} model_metrics;

/* The inputs the final model knows: names (d; NULL: x0, x1, ...) and the
 * training box lo, hi (d each). */
typedef struct {
  const char *const *names;
  const double *lo, *hi;
} model_inputs;

/* Writes fm to path, with its inputs' names and box and metrics (may be
 * NULL). config_text may be NULL; member_trial (n_members; may be NULL) the
 * trial of each member. The file is written to path.tmp and
 * renamed, so a crash or a full disk never leaves a half-written model
 * under the final name. (Reading: emu/mlpsweep_emu.h.) */
int model_write(const char *path, const fit_model *fm, const char *config_text,
                const model_inputs *mi, const model_metrics *mm, const int64_t *member_trial,
                mlps_err *e);

#endif
