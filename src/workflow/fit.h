/* One model fit of the emulator workflow, shared by the sweep's (trial,
 * fold) tasks, the final retrain and `mlpsweep predict`:
 *   - a point of the search space -> architecture and training settings
 *     (fit_plan_make),
 *   - transforms fitted on the training rows only, applied to the others,
 *   - training with early stopping (nn/train.h),
 *   - metrics in the scaled space and in the data's own units.
 * No MPI here: the caller decides which rank fits what. */
#ifndef MLPS_FIT_H
#define MLPS_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "data/data.h"
#include "data/split.h"
#include "data/transform.h"
#include "nn/train.h"
#include "search/metric.h"

#define FIT_MAX_MEMBERS 64

/* What a point of the space means for one fit. */
typedef struct {
  mlp_arch arch; /* inputs, hidden widths, outputs; hidden activation */
  nn_init init;
  train_config tc; /* optimizer, lr, batch, schedule, early stopping, ... */
} fit_plan;

/* Builds the plan of point x (a point of cfg->space) for d inputs and m
 * outputs. MLPS_EINPUT when the point is malformed (e.g. a bad widths
 * string). */
int fit_plan_make(const mlps_config *cfg, const double *x, size_t d, size_t m, fit_plan *p,
                  mlps_err *e);

/* A fitted emulator: transforms and one or more networks whose outputs
 * (in the scaled space) are averaged before the inverse target transform. */
typedef struct {
  xf_set xin, yout;
  int n_members;
  mlp *member[FIT_MAX_MEMBERS];
  /* weighted: member k counts weight[k] (summing to 1) in the average;
   * else the members count equally (a committee by inverse CV error) */
  int weighted;
  double weight[FIT_MAX_MEMBERS];
} fit_model;

void fit_model_free(fit_model *fm);

/* Error measures of predictions against targets. Scaled ones are in the
 * transformed target space (what the network was trained on); the others
 * in the data's own units. *_frac are of |pred / true - 1| over every output
 * of every row, defined only when the target chain starts with log or log10
 * (positive quantities): NaN otherwise. chi2 is the mean over rows of
 * sum_j ((pred - y) / sigma)^2 / m with sigma from the data's noise
 * (data_set.noise): NaN without. */
typedef struct {
  double mse, mae; /* scaled space */
  double rmse;     /* data units */
  double median_frac, p95_frac, p99_frac, max_frac;
  double chi2;
  size_t n_rows;
} fit_metrics;

/* The search's metrics (search/metric.h) of validation metrics m. */
void fit_metrics_search(const fit_metrics *m, double out[METRIC_COUNT]);

/* Fits the transforms of fm on rows[0..n) of ds (cfg's chains). warn (may be
 * NULL) gets zero-variance warnings. */
int fit_transforms(const mlps_config *cfg, const data_set *ds, const size_t *rows, size_t n,
                   fit_model *fm, char *warn, size_t warnsize, mlps_err *e);

/* Trains one network on train rows with early stopping on val rows
 * (n_val may be 0: then a fixed number of epochs, see nn/train.h), using the
 * transforms already in fm; appends the network to fm. seed drives the
 * initialisation, shuffles and dropout. Under loss chi2 each target value
 * is weighted by fit_chi2_weights. */
int fit_train_member(const fit_plan *p, const data_set *ds, fit_model *fm, const size_t *train_rows,
                     size_t n_train, const size_t *val_rows, size_t n_val, uint64_t seed,
                     train_callback cb, void *user, train_result *r, mlps_err *e);

/* Weights of loss chi2 for rows[0..n) of ds into w (n, m): with z = f(y)
 * the fitted target transform, a data-space residual is dy ~ dz / f'(y), so
 * ((y_pred - y) / sigma)^2 ~ w (z_pred - z)^2 with w = 1 / (sigma f'(y))^2
 * (for [log, standard]: (y scale / sigma)^2). MLPS_EINPUT when ds has no
 * noise or a weight is not finite (naming row and column). */
int fit_chi2_weights(const fit_model *fm, const data_set *ds, const size_t *rows, size_t n,
                     float *w, mlps_err *e);

/* Continues training network k of fm in place from its current weights (a
 * warm start: no initialisation) on rows[0..n), without validation rows,
 * under tc as given (its seed included). Rows may repeat: a row listed w
 * times counts w times in every epoch (oversampling). */
int fit_train_more(fit_model *fm, int k, const data_set *ds, const size_t *rows, size_t n,
                   const train_config *tc, train_callback cb, void *user, train_result *r,
                   mlps_err *e);

/* Predictions of fm for rows[0..n) of ds (NULL: rows 0..n-1 of X), in the
 * scaled target space (scaled, may be NULL) and in data units (natural, may
 * be NULL); both (n, m). Rows are processed in a fixed order and blocking,
 * so the same rows give bit-identical outputs every time. */
int fit_predict_rows(const fit_model *fm, const float *X, size_t d, const size_t *rows, size_t n,
                     float *scaled, float *natural, mlps_err *e);

/* Quantile q in [0, 1] of a[0..n) with linear interpolation (numpy's
 * default; sorts a); NaN counts as an infinite error. */
double fit_quantile(double *a, size_t n, double q);

/* Min and max (lo, hi: d each) of each input over rows[0..n) of ds
 * (+inf / -inf when n is 0). */
void fit_input_box(const data_set *ds, const size_t *rows, size_t n, double *lo, double *hi);

/* Sorts row indices ascending: row lists drawn from a shuffle are given
 * back in file order, the order in which transforms are fitted (so their
 * sums run alike and give the same bits). */
void fit_rows_sort(size_t *rows, size_t n);

/* Metrics of predictions (scaled and natural, (n, m)) against rows of ds;
 * per output column (each may be NULL): RMSE, median and 95th percentile of
 * |fractional error| (NaN unless the targets are positive, as above). */
int fit_metrics_rows(const fit_model *fm, const data_set *ds, const size_t *rows, size_t n,
                     const float *scaled, const float *natural, fit_metrics *out, double *col_rmse,
                     double *col_median_frac, double *col_p95_frac, mlps_err *e);

#endif
