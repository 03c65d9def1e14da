/* Dimension conversions (see sdim.h): a parameter's internal domain, and
 * unit coordinate -> internal coordinate -> value and back. */
#include "search/sdim.h"

#include <math.h>
#include <string.h>

double sdim_value(const sdim *d, double t) {
  if (d->kind == SDIM_CAT) {
    double k = floor(t);
    if (!(k >= 0)) k = 0; /* also catches NaN */
    if (k > d->n_choices - 1) k = d->n_choices - 1;
    return k;
  }
  double v = d->log ? exp(t) : t;
  if (d->q > 0) {
    double k = nearbyint((v - d->vlo) / d->q);
    double kmax = nearbyint((d->vhi - d->vlo) / d->q);
    if (!(k >= 0)) k = 0;
    if (k > kmax) k = kmax;
    /* k q, not vlo + k q, so that multiples of q print as such. */
    v = nearbyint(d->vlo / d->q + k) * d->q;
  }
  if (!(v >= d->vlo)) v = d->vlo;
  if (v > d->vhi) v = d->vhi;
  if (d->is_int) v = nearbyint(v);
  return v;
}

double sdim_internal(const sdim *d, double v) {
  double t = d->log ? log(v) : v;
  if (!(t >= d->lo)) t = d->lo;
  if (t > d->hi) t = d->hi;
  return t;
}

int sdim_init(sdim *d, const space_param *p, int i, mlps_err *err) {
  memset(d, 0, sizeof *d);
  d->param = i;
  if (p->dist == DIST_CATEGORICAL) {
    if (p->n_values < 1 || p->n_values > SPACE_MAX_CHOICES)
      return mlps_errorf(err, MLPS_EINPUT,
                         "parameter %s: categorical with %d values; give 1 to %d values", p->name,
                         p->n_values, SPACE_MAX_CHOICES);
    d->kind = SDIM_CAT;
    d->n_choices = p->n_values;
    d->lo = 0;
    d->hi = p->n_values;
    return MLPS_OK;
  }
  d->kind = SDIM_NUM;
  if (!isfinite(p->min) || !isfinite(p->max) || p->min > p->max)
    return mlps_errorf(err, MLPS_EINPUT,
                       "parameter %s: min %g and max %g must be finite with min <= max", p->name,
                       p->min, p->max);
  int is_q = p->dist == DIST_Q_UNIFORM || p->dist == DIST_Q_LOG_UNIFORM_VALUES;
  int is_log = p->dist == DIST_LOG_UNIFORM_VALUES || p->dist == DIST_Q_LOG_UNIFORM_VALUES;
  if (p->dist != DIST_UNIFORM && p->dist != DIST_INT_UNIFORM && !is_q && !is_log)
    return mlps_errorf(err, MLPS_EINPUT, "parameter %s: unknown distribution %d", p->name,
                       (int)p->dist);
  double q = 0;
  if (is_q) {
    if (!(p->q > 0) || !isfinite(p->q))
      return mlps_errorf(err, MLPS_EINPUT, "parameter %s: %s needs q > 0, got %g", p->name,
                         SPACE_DIST_NAMES[p->dist], p->q);
    q = p->q;
  } else if (p->is_int || p->dist == DIST_INT_UNIFORM) {
    q = 1;
  }
  if (is_log && !(p->min > 0))
    return mlps_errorf(err, MLPS_EINPUT, "parameter %s: %s needs min > 0, got %g", p->name,
                       SPACE_DIST_NAMES[p->dist], p->min);
  d->is_int = p->is_int || p->dist == DIST_INT_UNIFORM;
  d->log = is_log;
  d->q = q;
  if (q > 0) {
    /* The value set: multiples of q in [min, max] (1e-9 forgives rounding
     * in bounds such as 0.3 with q = 0.1). */
    double klo = ceil(p->min / q - 1e-9), khi = floor(p->max / q + 1e-9);
    if (klo > khi)
      return mlps_errorf(err, MLPS_EINPUT,
                         "parameter %s: no multiple of %s%g lies in [%g, %g]; widen the range",
                         p->name, is_q ? "q = " : "", q, p->min, p->max);
    d->vlo = klo * q;
    d->vhi = khi * q;
    if (is_log) {
      if (!(d->vlo - q / 2 > 0))
        return mlps_errorf(err, MLPS_EINPUT, "parameter %s: log scale needs values > 0", p->name);
      d->lo = log(d->vlo - q / 2);
      d->hi = log(d->vhi + q / 2);
    } else {
      d->step = q;
      d->lo = d->vlo - q / 2;
      d->hi = d->vhi + q / 2;
    }
  } else {
    d->vlo = p->min;
    d->vhi = p->max;
    d->lo = is_log ? log(p->min) : p->min;
    d->hi = is_log ? log(p->max) : p->max;
  }
  return MLPS_OK;
}

double sdim_unit_value(const sdim *d, double u) {
  if (!(u >= 0)) u = 0;
  if (u >= 1) u = 1 - 0x1p-53;
  double t = d->kind == SDIM_CAT ? u * d->n_choices : d->lo + u * (d->hi - d->lo);
  return sdim_value(d, t);
}
