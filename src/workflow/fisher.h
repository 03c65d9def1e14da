/* The posterior bias an emulator's error causes, to first order (Fisher /
 * Asimov): for a row with inputs theta and true targets y, data with noise
 * sigma (data.noise) fitted with the emulator instead of the true model
 * find the parameters shifted by
 *     d theta = -F^-1 J^T W (y_pred - y),  F = J^T W J,  W = diag(1 / sigma^2),
 * J = d y_pred / d theta (the emulator's own Jacobian: its error in J moves
 * the shift only at second order). In units of the parameter's posterior
 * width sqrt((F^-1)_kk) this is the bias an MCMC with the emulator shows
 * against one with the true model, without the MCMC's Monte Carlo noise,
 * for every test row at once. Every input counts as a parameter of the fit.
 * The prior's edges are ignored (a posterior cut by them moves less). */
#ifndef MLPS_FISHER_H
#define MLPS_FISHER_H

#include "workflow/fit.h"

/* bias (n, d): the bias in sigma of input k for row rows[i] of ds (signed:
 * the emulator's fit minus the true one), from fm's predictions natural
 * (n, m, data units) of those rows; NaN where the row's F is singular (an
 * input the targets do not constrain) or an input has no spread over the
 * rows (its finite-difference step would be 0). Needs ds->noise. */
int fisher_bias(const fit_model *fm, const data_set *ds, const size_t *rows, size_t n,
                const float *natural, double *bias, mlps_err *e);

/* Each row's largest |bias| over its inputs (NaN ones, inputs that are no
 * parameter, left out), for the rows i < n with keep[i] (NULL: all), into
 * out, in order; returns how many. out may be bias itself. A row's worst
 * parameter is the figure: "for 95% of the sources no parameter moves by
 * more than x sigma". */
size_t fisher_row_worst(const double *bias, size_t n, size_t d, const unsigned char *keep,
                        double *out);

/* The median and 95th percentile over rows[0..n) of each row's largest
 * |bias| (fisher_row_worst), from the rows' predictions natural; both NaN
 * when a prediction is not finite (a diverged network has no bias but must
 * not look good). */
int fisher_bias_quantiles(const fit_model *fm, const data_set *ds, const size_t *rows, size_t n,
                          const float *natural, double *median, double *p95, mlps_err *e);

#endif
