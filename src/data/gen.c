/* Generators of example emulation data sets: see gen.h. */
#include "data/gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "data/eh98.h"
#include "data/h5.h"

const char *const GEN_MODEL_NAMES[GEN_COUNT] = {"powerlaw", "brokenpowerlaw", "linpower"};
const char *const GEN_SAMPLING_NAMES[GEN_SAMPLING_COUNT] = {"lhs", "random"};
const char *const GEN_NOISE_NAMES[GEN_NOISE_COUNT] = {"none", "poisson"};

static const char *const PL_NAMES[] = {"lnA", "Gamma"};
static const char *const PL_UNITS[] = {"ln(counts at 1 keV)", ""};
static const double PL_LO[] = {-7.600902459542082 /* ln 5e-4 */, 1.0};
static const double PL_HI[] = {-2.995732273553991 /* ln 5e-2 */, 3.0};
static const char *const BPL_NAMES[] = {"Gamma1", "Gamma2", "Eb"};
static const char *const BPL_UNITS[] = {"", "", "keV"};
static const double BPL_LO[] = {0.0, 1.5, 0.5};
static const double BPL_HI[] = {1.5, 5.0, 5.0};
static const char *const LP_NAMES[] = {"Omega_c", "Omega_b", "h", "n_s", "sigma_8"};
static const char *const LP_UNITS[] = {"", "", "H0 / (100 km/s/Mpc)", "", ""};
static const double LP_LO[] = {0.1, 0.04, 0.64, 0.84, 0.8};
static const double LP_HI[] = {0.6, 0.06, 0.82, 1.1, 1.0};

static const gen_info INFO[GEN_COUNT] = {
    {2, PL_NAMES, PL_LO, PL_HI, PL_UNITS, 60, "energy", "keV", "counts",
     "power law A E^-Gamma on 60 log-spaced energies 0.3-10 keV, times the exposure", 1},
    {3, BPL_NAMES, BPL_LO, BPL_HI, BPL_UNITS, 60, "energy", "keV", "counts",
     "broken power law (E/Eb)^-Gamma1 below Eb, (E/Eb)^-Gamma2 above, 60 log-spaced energies "
     "0.3-10 keV, times the "
     "exposure",
     1},
    {5, LP_NAMES, LP_LO, LP_HI, LP_UNITS, 50, "k", "h/Mpc", "(Mpc/h)^3",
     "linear matter power spectrum P(k) at z = 0, Eisenstein & Hu (1998) transfer function with "
     "baryon acoustic "
     "oscillations, T_cmb = 2.7255 K, normalised to sigma_8; 50 log-spaced k in [1e-3, 10] h/Mpc",
     0},
};

const gen_info *gen_model_info(gen_model model) { return &INFO[model]; }

void gen_grid(gen_model model, double *grid) {
  int m = INFO[model].m;
  double lo = model == GEN_LINPOWER ? 1e-3 : 0.3, hi = model == GEN_LINPOWER ? 10.0 : 10.0;
  for (int i = 0; i < m; i++) grid[i] = lo * pow(hi / lo, (double)i / (m - 1));
}

void gen_eval(gen_model model, const double *p, const double *grid, double *out) {
  int m = INFO[model].m;
  switch (model) {
    case GEN_POWERLAW: {
      double A = exp(p[0]);
      for (int i = 0; i < m; i++) out[i] = A * pow(grid[i], -p[1]);
      break;
    }
    case GEN_BROKENPOWERLAW:
      for (int i = 0; i < m; i++) {
        double x = grid[i] / p[2];
        out[i] = pow(x, grid[i] < p[2] ? -p[0] : -p[1]);
      }
      break;
    case GEN_LINPOWER: {
      eh98 c;
      eh98_init(&c, p[0] + p[1], p[1], p[2], EH98_TCMB);
      double amp = eh98_amplitude(&c, p[3], p[4]);
      for (int i = 0; i < m; i++) out[i] = eh98_power(&c, p[3], amp, grid[i]);
      break;
    }
    default: break;
  }
}

void gen_lhs(mlps_rng *r, size_t n, int d, double *u) {
  size_t *perm = mlps_xmalloc((n ? n : 1) * sizeof *perm);
  for (int j = 0; j < d; j++) {
    for (size_t i = 0; i < n; i++) perm[i] = i;
    rng_shuffle_size(r, perm, n);
    for (size_t i = 0; i < n; i++) {
      double v = ((double)perm[i] + rng_uniform(r)) / (double)n;
      /* Rounding could push the top of a stratum onto the next one. */
      double top = (double)(perm[i] + 1) / (double)n;
      if (v >= top) v = nextafter(top, 0.0);
      u[i * (size_t)d + (size_t)j] = v;
    }
  }
  free(perm);
}

double gen_poisson(mlps_rng *r, double lam) {
  if (!(lam > 0)) return 0.0;
  if (lam < 10) {
    double L = exp(-lam), p = 1.0;
    double k = 0;
    for (;;) {
      p *= rng_uniform(r);
      if (p <= L) return k;
      k += 1;
    }
  }
  double slam = sqrt(lam), loglam = log(lam);
  double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    double U = rng_uniform(r) - 0.5, V = rng_uniform(r), us = 0.5 - fabs(U);
    double k = floor((2 * a / us + b) * U + lam + 0.43);
    if (us >= 0.07 && V <= vr) return k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (log(V) + log(invalpha) - log(a / (us * us) + b) <= -lam + k * loglam - lgamma(k + 1))
      return k;
  }
}

int gen_make(const gen_opts *o, double **Xp, double **Yp, double **gridp, mlps_err *e) {
  if (o->model < 0 || o->model >= GEN_COUNT)
    return mlps_errorf(e, MLPS_EINPUT, "gen: unknown model");
  const gen_info *in = &INFO[o->model];
  if (o->n < 1) return mlps_errorf(e, MLPS_EINPUT, "gen: --n must be at least 1");
  if (o->noise == GEN_NOISE_POISSON && !in->allows_noise)
    return mlps_errorf(e, MLPS_EINPUT,
                       "gen: model %s has no noise option (P(k) is not a count spectrum)",
                       GEN_MODEL_NAMES[o->model]);
  if (!(o->exposure > 0))
    return mlps_errorf(e, MLPS_EINPUT, "gen: --exposure must be > 0, got %g", o->exposure);
  size_t n = o->n, d = (size_t)in->d, m = (size_t)in->m;
  double *X = malloc(n * d * sizeof *X), *Y = malloc(n * m * sizeof *Y),
         *grid = mlps_xmalloc(m * sizeof *grid);
  if (!X || !Y) {
    free(X);
    free(Y);
    free(grid);
    return mlps_errorf(e, MLPS_ERUNTIME, "gen: out of memory for %zu samples", n);
  }
  gen_grid(o->model, grid);
  mlps_rng r;
  rng_seed(&r, rng_derive(o->seed, GEN_PURPOSE, 0, 0));
  if (o->sampling == GEN_LHS) gen_lhs(&r, n, (int)d, X);
  else
    for (size_t i = 0; i < n * d; i++) X[i] = rng_uniform(&r);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < d; j++)
      X[i * d + j] = in->lo[j] + X[i * d + j] * (in->hi[j] - in->lo[j]);
  mlps_rng nr;
  rng_seed(&nr, rng_derive(o->seed, GEN_PURPOSE, 1, 0));
  for (size_t i = 0; i < n; i++) {
    double *y = Y + i * m;
    gen_eval(o->model, X + i * d, grid, y);
    for (size_t j = 0; j < m; j++) {
      y[j] *= o->exposure;
      if (o->noise == GEN_NOISE_POISSON) y[j] = gen_poisson(&nr, y[j]);
    }
  }
  *Xp = X;
  *Yp = Y;
  *gridp = grid;
  return MLPS_OK;
}

int gen_write(const char *path, const gen_opts *o, mlps_err *e) {
  double *X, *Y, *grid;
  MLPS_TRY(gen_make(o, &X, &Y, &grid, e));
  const gen_info *in = &INFO[o->model];
  hid_t f;
  int rc = h5_create(path, &f, e);
  if (rc) goto out;
  size_t n = o->n, d = (size_t)in->d, m = (size_t)in->m;
  int64_t seed = (int64_t)o->seed, nn = (int64_t)n, ver = DATA_FORMAT_VERSION;
  char ybuf[256];
  snprintf(ybuf, sizeof ybuf, "%s at the %zu points of /grid (%s); rows match /X", in->y_units, m,
           in->grid_name);
  rc = h5_write_f64(f, "X", X, n, d, o->gzip, e);
  if (!rc) rc = h5_write_f64(f, "Y", Y, n, m, o->gzip, e);
  if (!rc) rc = h5_write_f64(f, "grid", grid, m, 0, 0, e);
  if (!rc) rc = h5_attr_str(f, ".", "format", DATA_FORMAT, e);
  if (!rc) rc = h5_attr_i64(f, ".", "format_version", &ver, 1, e);
  if (!rc) rc = h5_attr_str(f, ".", "generator", "mlpsweep gen " MLPS_VERSION, e);
  if (!rc) rc = h5_attr_str(f, ".", "model", GEN_MODEL_NAMES[o->model], e);
  if (!rc) rc = h5_attr_str(f, ".", "description", in->description, e);
  if (!rc) rc = h5_attr_str(f, ".", "sampling", GEN_SAMPLING_NAMES[o->sampling], e);
  if (!rc) rc = h5_attr_i64(f, ".", "seed", &seed, 1, e);
  if (!rc) rc = h5_attr_i64(f, ".", "n", &nn, 1, e);
  if (!rc) rc = h5_attr_str(f, ".", "noise", GEN_NOISE_NAMES[o->noise], e);
  if (!rc) rc = h5_attr_f64(f, ".", "exposure", &o->exposure, 1, e);
  if (!rc) rc = h5_attr_strs(f, ".", "param_names", in->names, d, e);
  if (!rc) rc = h5_attr_f64(f, ".", "param_low", in->lo, d, e);
  if (!rc) rc = h5_attr_f64(f, ".", "param_high", in->hi, d, e);
  if (!rc) rc = h5_attr_strs(f, "X", "names", in->names, d, e);
  if (!rc) rc = h5_attr_strs(f, "X", "units", in->units, d, e);
  if (!rc) rc = h5_attr_f64(f, "X", "low", in->lo, d, e);
  if (!rc) rc = h5_attr_f64(f, "X", "high", in->hi, d, e);
  if (!rc) rc = h5_attr_str(f, "Y", "units", in->y_units, e);
  if (!rc) rc = h5_attr_str(f, "Y", "description", ybuf, e);
  if (!rc) rc = h5_attr_str(f, "grid", "name", in->grid_name, e);
  if (!rc) rc = h5_attr_str(f, "grid", "units", in->grid_units, e);
  if (!rc && o->model == GEN_LINPOWER) {
    double tcmb = EH98_TCMB, z = 0.0;
    rc = h5_attr_f64(f, ".", "T_cmb", &tcmb, 1, e);
    if (!rc) rc = h5_attr_f64(f, ".", "z", &z, 1, e);
  }
  if (H5Fclose(f) < 0 && !rc) rc = mlps_errorf(e, MLPS_ERUNTIME, "closing failed");
  if (rc) mlps_err_prefix(e, "%s", path);
out:
  free(X);
  free(Y);
  free(grid);
  return rc;
}
