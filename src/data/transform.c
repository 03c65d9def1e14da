/* Per-column transform chains: fit on training rows, apply, invert, store.
 * See transform.h for the model (y = (g(x) - shift) / scale per stage).
 * Statistics are accumulated in double with rows in the outer loop (the
 * data are row-major) and two passes for the variance (mean first), so a
 * column with a large mean and a small spread keeps its digits. */
#include "data/transform.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"
#include "util/names.h"

#define K XF_MAX_CHAIN

void xf_init(xf_set *t, size_t ncols, const xf_kind *chain, int n_chain) {
  memset(t, 0, sizeof *t);
  t->ncols = ncols;
  size_t cells = (ncols ? ncols : 1) * K;
  /* One allocation: the two parameter tables, then the kinds. */
  char *mem = mlps_xmalloc(cells * (2 * sizeof(double) + sizeof(xf_kind)));
  t->shift = (double *)mem;
  t->scale = t->shift + cells;
  t->kind = (xf_kind *)(t->scale + cells);
  for (size_t j = 0; j < ncols; j++) xf_set_chain(t, j, chain, n_chain);
}

void xf_set_chain(xf_set *t, size_t col, const xf_kind *chain, int n_chain) {
  for (int s = 0; s < K; s++) {
    t->kind[col * K + s] = s < n_chain ? chain[s] : XF_NONE;
    t->shift[col * K + s] = 0.0;
    t->scale[col * K + s] = 1.0;
  }
  t->fitted = 0;
}

void xf_free(xf_set *t) {
  if (!t) return;
  free(t->shift);
  memset(t, 0, sizeof *t);
}

void xf_copy(xf_set *dst, const xf_set *src) {
  xf_init(dst, src->ncols, NULL, 0);
  size_t cells = src->ncols * K;
  memcpy(dst->kind, src->kind, cells * sizeof *dst->kind);
  memcpy(dst->shift, src->shift, cells * sizeof *dst->shift);
  memcpy(dst->scale, src->scale, cells * sizeof *dst->scale);
  dst->fitted = src->fitted;
}

static inline double g_fwd(xf_kind k, double x) {
  return k == XF_LOG ? log(x) : k == XF_LOG10 ? log10(x) : x;
}
static inline double g_inv(xf_kind k, double y) {
  return k == XF_LOG ? exp(y) : k == XF_LOG10 ? pow(10.0, y) : y;
}
static inline int is_log(xf_kind k) { return k == XF_LOG || k == XF_LOG10; }

/* Applies stages [0, upto) of column j. */
static inline double fwd_upto(const xf_set *t, size_t j, double x, int upto) {
  const xf_kind *k = t->kind + j * K;
  const double *sh = t->shift + j * K, *sc = t->scale + j * K;
  for (int s = 0; s < upto; s++) x = (g_fwd(k[s], x) - sh[s]) / sc[s];
  return x;
}

double xf_forward1(const xf_set *t, size_t col, double x) { return fwd_upto(t, col, x, K); }

double xf_deriv1(const xf_set *t, size_t col, double x) {
  const xf_kind *k = t->kind + col * K;
  const double *sh = t->shift + col * K, *sc = t->scale + col * K;
  double d = 1.0; /* chain rule, stage by stage */
  for (int s = 0; s < K; s++) {
    double g = k[s] == XF_LOG ? 1.0 / x : k[s] == XF_LOG10 ? 1.0 / (x * log(10.0)) : 1.0;
    d *= g / sc[s];
    x = (g_fwd(k[s], x) - sh[s]) / sc[s];
  }
  return d;
}

double xf_inverse1(const xf_set *t, size_t col, double y) {
  const xf_kind *k = t->kind + col * K;
  const double *sh = t->shift + col * K, *sc = t->scale + col * K;
  for (int s = K - 1; s >= 0; s--) y = g_inv(k[s], y * sc[s] + sh[s]);
  return y;
}

const char *xf_chain_str(const xf_set *t, size_t col, char *buf, size_t bufsize) {
  size_t p = 0;
  buf[0] = '\0';
  int last = K - 1;
  while (last >= 0 && t->kind[col * K + last] == XF_NONE) last--;
  if (last < 0) {
    snprintf(buf, bufsize, "none");
    return buf;
  }
  for (int s = 0; s <= last && p < bufsize; s++) {
    int w = snprintf(buf + p, bufsize - p, "%s%s", s ? "," : "", XF_NAMES[t->kind[col * K + s]]);
    if (w < 0) break;
    p += (size_t)w;
  }
  return buf;
}

int xf_parse_chain(const char *s, xf_kind *chain, int *n, mlps_err *e) {
  *n = 0;
  const char *p = s;
  while (*p) {
    while (*p && (isspace((unsigned char)*p) || *p == '[' || *p == ']' || *p == ',')) p++;
    if (!*p) break;
    const char *q = p;
    while (*q && !isspace((unsigned char)*q) && *q != ',' && *q != ']') q++;
    char name[32];
    size_t l = (size_t)(q - p) < sizeof name - 1 ? (size_t)(q - p) : sizeof name - 1;
    memcpy(name, p, l);
    name[l] = '\0';
    int k = names_find(XF_NAMES, XF_COUNT, name);
    if (k < 0) {
      char all[128];
      return mlps_errorf(e, MLPS_EINPUT,
                         "transform chain \"%s\": unknown transform '%s'; valid: %s", s, name,
                         names_join(XF_NAMES, XF_COUNT, all, sizeof all));
    }
    if (*n >= K)
      return mlps_errorf(e, MLPS_EINPUT, "transform chain \"%s\": more than %d stages", s, K);
    if (k != XF_NONE) chain[(*n)++] = (xf_kind)k;
    p = q;
  }
  return MLPS_OK;
}

static int log_error(mlps_err *e, const char *what, xf_kind k, double v, size_t row, size_t col,
                     int stage) {
  return mlps_errorf(
      e, MLPS_EINPUT,
      "%s: %s transform: value %.9g at row %zu, column %zu is not positive%s; %s needs values > 0 "
      "(use standard or minmax for this column, or shift the data)",
      what ? what : "data", XF_NAMES[k], v, row, col,
      stage ? " (after the earlier transforms)" : "", XF_NAMES[k]);
}

/* Appends column j to a warning list of at most 10 names. */
static void warn_add(char *list, size_t size, int *count, size_t j) {
  if (*count < 10) {
    size_t l = strlen(list);
    snprintf(list + l, size - l, "%s%zu", *count ? ", " : "", j);
  }
  (*count)++;
}

int xf_fit(xf_set *t, const float *a, const size_t *rows, size_t nrows, const char *what,
           char *warn, size_t warnsize, mlps_err *e) {
  size_t nc = t->ncols;
  if (warn && warnsize) warn[0] = '\0';
  if (nrows == 0)
    return mlps_errorf(e, MLPS_EINPUT, "%s: cannot fit transforms on 0 rows", what ? what : "data");
  for (size_t j = 0; j < nc * K; j++) {
    t->shift[j] = 0.0;
    t->scale[j] = 1.0;
  }
  double *sum = mlps_xmalloc(nc * 4 * sizeof(double));
  double *ssq = sum + nc, *mn = ssq + nc, *mx = mn + nc;
  char zero_std[160] = "", zero_rng[160] = "";
  int n_std = 0, n_rng = 0, rc = MLPS_OK;
  for (int s = 0; s < K && !rc; s++) {
    int any = 0;
    for (size_t j = 0; j < nc; j++) any |= t->kind[j * K + s] != XF_NONE;
    if (!any) continue;
    for (size_t j = 0; j < nc; j++) {
      sum[j] = ssq[j] = 0.0;
      mn[j] = INFINITY;
      mx[j] = -INFINITY;
    }
    /* Pass 1: domain checks, sums, min, max of the input to stage s. */
    for (size_t i = 0; i < nrows && !rc; i++) {
      size_t r = rows ? rows[i] : i;
      const float *row = a + r * nc;
      for (size_t j = 0; j < nc; j++) {
        xf_kind k = t->kind[j * K + s];
        if (k == XF_NONE) continue;
        double x = fwd_upto(t, j, row[j], s);
        if (is_log(k)) {
          if (!(x > 0)) {
            rc = log_error(e, what, k, x, r, j, s);
            break;
          }
          continue;
        }
        sum[j] += x;
        if (x < mn[j]) mn[j] = x;
        if (x > mx[j]) mx[j] = x;
      }
    }
    if (rc) break;
    for (size_t j = 0; j < nc; j++) sum[j] /= (double)nrows; /* now the mean */
    /* Pass 2: squared deviations from the mean (standard only). */
    int need_var = 0;
    for (size_t j = 0; j < nc; j++) need_var |= t->kind[j * K + s] == XF_STANDARD;
    if (need_var)
      for (size_t i = 0; i < nrows; i++) {
        size_t r = rows ? rows[i] : i;
        const float *row = a + r * nc;
        for (size_t j = 0; j < nc; j++) {
          if (t->kind[j * K + s] != XF_STANDARD) continue;
          double dx = fwd_upto(t, j, row[j], s) - sum[j];
          ssq[j] += dx * dx;
        }
      }
    for (size_t j = 0; j < nc; j++) {
      xf_kind k = t->kind[j * K + s];
      double *sh = &t->shift[j * K + s], *sc = &t->scale[j * K + s];
      if (k == XF_STANDARD) {
        double sd =
            sqrt(ssq[j] / (double)nrows); /* population std, as scikit-learn's StandardScaler */
        *sh = sum[j];
        /* "Zero" relative to float32 resolution: such a column is constant. */
        if (!(sd > 1e-6 * fabs(sum[j])) || sd == 0.0) {
          *sc = 1.0;
          warn_add(zero_std, sizeof zero_std, &n_std, j);
        } else {
          *sc = sd;
        }
      } else if (k == XF_MINMAX) {
        double r = mx[j] - mn[j];
        *sh = mn[j];
        if (!(r > 1e-6 * fabs(mn[j])) || r == 0.0) {
          *sc = 1.0;
          warn_add(zero_rng, sizeof zero_rng, &n_rng, j);
        } else {
          *sc = r;
        }
      }
    }
  }
  free(sum);
  if (rc) return rc;
  if (warn && warnsize) {
    size_t l = 0;
    if (n_std)
      l += (size_t)snprintf(
          warn, warnsize,
          "%s: column%s %s%s ha%s zero variance over the %zu training rows; standard uses scale 1 "
          "(the column carries no information)",
          what ? what : "data", n_std > 1 ? "s" : "", zero_std, n_std > 10 ? ", ..." : "",
          n_std > 1 ? "ve" : "s", nrows);
    if (n_rng && l < warnsize)
      snprintf(
          warn + l, warnsize - l,
          "%s%s: column%s %s%s ha%s the same value in all %zu training rows; minmax uses scale 1",
          l ? "\n" : "", what ? what : "data", n_rng > 1 ? "s" : "", zero_rng,
          n_rng > 10 ? ", ..." : "", n_rng > 1 ? "ve" : "s", nrows);
  }
  t->fitted = 1;
  return MLPS_OK;
}

/* Transforms one row; row number r for messages. */
static inline int fwd_row(const xf_set *t, const float *in, float *out, size_t r, const char *what,
                          mlps_err *e) {
  size_t nc = t->ncols;
  for (size_t j = 0; j < nc; j++) {
    const xf_kind *k = t->kind + j * K;
    const double *sh = t->shift + j * K, *sc = t->scale + j * K;
    double x = in[j];
    for (int s = 0; s < K; s++) {
      if (is_log(k[s]) && !(x > 0)) return log_error(e, what, k[s], x, r, j, s);
      x = (g_fwd(k[s], x) - sh[s]) / sc[s];
    }
    out[j] = (float)x;
  }
  return MLPS_OK;
}

int xf_gather(const xf_set *t, const float *a, const size_t *rows, size_t nrows, float *out,
              const char *what, mlps_err *e) {
  size_t nc = t->ncols;
  for (size_t i = 0; i < nrows; i++) {
    size_t r = rows ? rows[i] : i;
    MLPS_TRY(fwd_row(t, a + r * nc, out + i * nc, r, what, e));
  }
  return MLPS_OK;
}

int xf_apply(const xf_set *t, float *a, size_t nrows, size_t row0, const char *what, mlps_err *e) {
  size_t nc = t->ncols;
  for (size_t i = 0; i < nrows; i++)
    MLPS_TRY(fwd_row(t, a + i * nc, a + i * nc, row0 + i, what, e));
  return MLPS_OK;
}

void xf_inverse(const xf_set *t, float *a, size_t nrows) {
  size_t nc = t->ncols;
  for (size_t i = 0; i < nrows; i++)
    for (size_t j = 0; j < nc; j++) a[i * nc + j] = (float)xf_inverse1(t, j, a[i * nc + j]);
}

int xf_equal(const xf_set *a, const xf_set *b) {
  if (a->ncols != b->ncols) return 0;
  size_t c = a->ncols * K;
  return memcmp(a->kind, b->kind, c * sizeof *a->kind) == 0 &&
         memcmp(a->shift, b->shift, c * sizeof(double)) == 0 &&
         memcmp(a->scale, b->scale, c * sizeof(double)) == 0;
}

int xf_write_h5(hid_t loc, const char *group, const xf_set *t, mlps_err *e) {
  hid_t g = h5_group_open_or_create(loc, group);
  if (g < 0)
    return mlps_errorf(e, MLPS_ERUNTIME, "cannot create group '%s' for a transform", group);
  size_t nc = t->ncols;
  char **chains = mlps_xcalloc(nc ? nc : 1, sizeof *chains);
  char buf[128];
  for (size_t j = 0; j < nc; j++) chains[j] = mlps_xstrdup(xf_chain_str(t, j, buf, sizeof buf));
  int64_t ncols = (int64_t)nc, ver = XF_FORMAT_VERSION;
  int rc = h5_attr_str(g, ".", "format", XF_FORMAT, e);
  if (!rc) rc = h5_attr_i64(g, ".", "format_version", &ver, 1, e);
  if (!rc) rc = h5_attr_i64(g, ".", "ncols", &ncols, 1, e);
  if (!rc)
    rc = h5_attr_str(
        g, ".", "stage",
        "per column, stages applied left to right: y = (g(x) - shift[stage]) / scale[stage], g = "
        "identity (none, standard, minmax), ln (log) or log10 (log10)",
        e);
  if (!rc) rc = h5_write_strings(g, "chain", (const char *const *)chains, nc, e);
  if (!rc) rc = h5_write_f64(g, "shift", t->shift, nc, K, 0, e);
  if (!rc) rc = h5_write_f64(g, "scale", t->scale, nc, K, 0, e);
  for (size_t j = 0; j < nc; j++) free(chains[j]);
  free(chains);
  H5Gclose(g);
  if (rc) mlps_err_prefix(e, "transform '%s'", group);
  return rc;
}

int xf_read_h5(hid_t loc, const char *group, xf_set *t, mlps_err *e) {
  h5_quiet();
  memset(t, 0, sizeof *t);
  if (!h5_exists(loc, group))
    return mlps_errorf(e, MLPS_EINPUT, "transform group '%s' not found", group);
  hid_t g = H5Gopen2(loc, group, H5P_DEFAULT);
  if (g < 0) return mlps_errorf(e, MLPS_EINPUT, "'%s' is not a group", group);
  char fmt[64];
  char **chains = NULL;
  size_t nch = 0, dims[2];
  double *shift = NULL, *scale = NULL;
  int rank = 0;
  int rc = h5_read_attr_str(g, ".", "format", fmt, sizeof fmt, e);
  if (!rc && strcmp(fmt, XF_FORMAT) != 0)
    rc = mlps_errorf(e, MLPS_EINPUT, "format is '%s', expected '%s'", fmt, XF_FORMAT);
  if (!rc) rc = h5_read_strings(g, "chain", &chains, &nch, e);
  if (!rc) rc = h5_read_f64(g, "shift", &shift, dims, &rank, e);
  if (!rc && (rank != 2 || dims[0] != nch || dims[1] != K))
    rc = mlps_errorf(e, MLPS_EINPUT, "shift has the wrong shape (expected (%zu, %d))", nch, K);
  if (!rc) rc = h5_read_f64(g, "scale", &scale, dims, &rank, e);
  if (!rc && (rank != 2 || dims[0] != nch || dims[1] != K))
    rc = mlps_errorf(e, MLPS_EINPUT, "scale has the wrong shape (expected (%zu, %d))", nch, K);
  if (!rc) {
    xf_init(t, nch, NULL, 0);
    for (size_t j = 0; j < nch && !rc; j++) {
      xf_kind ch[K];
      int n = 0;
      rc = xf_parse_chain(chains[j], ch, &n, e);
      if (!rc) xf_set_chain(t, j, ch, n);
    }
    if (!rc) {
      memcpy(t->shift, shift, nch * K * sizeof(double));
      memcpy(t->scale, scale, nch * K * sizeof(double));
      t->fitted = 1;
    } else {
      xf_free(t);
    }
  }
  h5_free_strings(chains, nch);
  free(shift);
  free(scale);
  H5Gclose(g);
  if (rc) mlps_err_prefix(e, "transform '%s'", group);
  return rc;
}
