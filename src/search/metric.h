/* The objectives a search minimises: the validation metrics every task
 * reports, named once for the config (search.metric), the journal, the
 * summary and trials.csv. Every metric is an error: lower is better. */
#ifndef MLPS_SEARCH_METRIC_H
#define MLPS_SEARCH_METRIC_H

typedef enum {
  METRIC_VAL_MSE,             /* validation MSE in transformed units */
  METRIC_VAL_MAE,             /* validation MAE in transformed units */
  METRIC_VAL_MEDIAN_FRAC_ERR, /* median |fractional error| in data units */
  METRIC_VAL_P95_FRAC_ERR,    /* its 95th percentile: the tail an inference meets */
  METRIC_VAL_MAX_FRAC_ERR,    /* its maximum over every value of every row */
  METRIC_VAL_CHI2,            /* mean over rows of sum over outputs of ((pred - y) / sigma)^2
                                 / outputs, sigma from data.noise (NaN without) */
  METRIC_VAL_P95_BIAS,        /* 95th percentile over rows and inputs of |first-order posterior
                                 bias| in sigma under data.noise (workflow/fisher.h; NaN without) */
  METRIC_COUNT
} search_metric;
extern const char *const METRIC_NAMES[METRIC_COUNT];

#endif
