/* Metric names (see metric.h). */
#include "search/metric.h"

const char *const METRIC_NAMES[METRIC_COUNT] = {
    "val_mse",          "val_mae",  "val_median_frac_err", "val_p95_frac_err",
    "val_max_frac_err", "val_chi2", "val_p95_bias"};
