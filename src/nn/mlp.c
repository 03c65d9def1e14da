/* MLP model: architecture checks, the parameter buffer and its views,
 * initialisation, the forward pass on cblas_sgemm, predict and evaluate. */
#define _POSIX_C_SOURCE 200809L
#include "nn/mlp.h"

#include "nn/act.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

/* ---- sgemm with optional timing (bench) ---- */

static _Thread_local int g_time_sgemm = 0;
static _Thread_local double g_sgemm_s = 0.0;

void nn_sgemm_timing(int on) { g_time_sgemm = on; }
double nn_sgemm_seconds(void) { return g_sgemm_s; }
void nn_sgemm_reset(void) { g_sgemm_s = 0.0; }

void nn_blas_set_threads(int n) {
#ifdef OPENBLAS_VERSION
  openblas_set_num_threads(n);
#else
  (void)n;
#endif
}

const char *nn_blas_info(void) {
#ifdef OPENBLAS_VERSION
  static _Thread_local char buf[256];
  snprintf(buf, sizeof buf, "%s (core %s)", openblas_get_config(), openblas_get_corename());
  return buf;
#else
  return "unknown cblas";
#endif
}

void nn_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc) {
  enum CBLAS_TRANSPOSE ta = transA ? CblasTrans : CblasNoTrans;
  enum CBLAS_TRANSPOSE tb = transB ? CblasTrans : CblasNoTrans;
  if (!g_time_sgemm) {
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  double t0 = mlps_now();
  cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  g_sgemm_s += mlps_now() - t0;
}

/* ---- architecture ---- */

int mlp_arch_make(mlp_arch *a, const int *widths, int n_widths, nn_activation act, mlps_err *e) {
  memset(a, 0, sizeof *a);
  if (n_widths < 2 || n_widths > MLP_MAX_LAYERS + 1)
    return mlps_errorf(e, MLPS_EINPUT,
                       "network needs between 2 and %d widths (inputs, hidden..., outputs), got %d",
                       MLP_MAX_LAYERS + 1, n_widths);
  a->n_layers = n_widths - 1;
  for (int i = 0; i < n_widths; i++) a->sizes[i] = widths[i];
  a->act = act;
  return mlp_arch_check(a, e);
}

int mlp_arch_check(const mlp_arch *a, mlps_err *e) {
  if (a->n_layers < 1 || a->n_layers > MLP_MAX_LAYERS)
    return mlps_errorf(e, MLPS_EINPUT, "number of dense layers must be in [1, %d], got %d",
                       MLP_MAX_LAYERS, a->n_layers);
  for (int i = 0; i <= a->n_layers; i++)
    if (a->sizes[i] < 1 || a->sizes[i] > MLP_MAX_WIDTH)
      return mlps_errorf(e, MLPS_EINPUT, "layer width %d must be in [1, %d], got %d", i,
                         MLP_MAX_WIDTH, a->sizes[i]);
  if ((int)a->act < 0 || a->act >= ACT_COUNT)
    return mlps_errorf(e, MLPS_EINPUT, "unknown activation %d", (int)a->act);
  return MLPS_OK;
}

size_t mlp_arch_num_params(const mlp_arch *a) {
  size_t n = 0;
  for (int l = 0; l < a->n_layers; l++)
    n += (size_t)a->sizes[l + 1] * (size_t)a->sizes[l] + (size_t)a->sizes[l + 1];
  return n;
}

void mlp_arch_offsets(const mlp_arch *a, int l, size_t *w_off, size_t *b_off) {
  size_t off = 0;
  for (int k = 0; k < l; k++) off += (size_t)a->sizes[k + 1] * (size_t)(a->sizes[k] + 1);
  *w_off = off;
  *b_off = off + (size_t)a->sizes[l + 1] * (size_t)a->sizes[l];
}

int mlp_arch_max_width(const mlp_arch *a) {
  int w = 0;
  for (int i = 0; i <= a->n_layers; i++)
    if (a->sizes[i] > w) w = a->sizes[i];
  return w;
}

const char *mlp_arch_str(const mlp_arch *a, char *buf, size_t bufsize) {
  size_t off = 0;
  buf[0] = '\0';
  for (int i = 0; i <= a->n_layers && off < bufsize; i++)
    off += (size_t)snprintf(buf + off, bufsize - off, "%s%d", i ? "-" : "", a->sizes[i]);
  return buf;
}

/* ---- model ---- */

void mlp_point_views(const mlp_arch *a, float *buf, mlp_layer *views) {
  for (int l = 0; l < a->n_layers; l++) {
    size_t wo, bo;
    mlp_arch_offsets(a, l, &wo, &bo);
    views[l].W = buf + wo;
    views[l].b = buf + bo;
  }
}

mlp *mlp_create(const mlp_arch *a, mlps_err *e) {
  if (mlp_arch_check(a, e)) return NULL;
  mlp *m = calloc(1, sizeof *m);
  size_t n = mlp_arch_num_params(a);
  float *p = calloc(n, sizeof(float));
  if (!m || !p) {
    free(m);
    free(p);
    mlps_errorf(e, MLPS_ERUNTIME, "out of memory allocating an MLP with %zu parameters", n);
    return NULL;
  }
  m->arch = *a;
  m->n_params = n;
  m->params = p;
  mlp_point_views(a, p, m->layer);
  return m;
}

void mlp_free(mlp *m) {
  if (!m) return;
  free(m->params);
  free(m);
}

mlp *mlp_clone(const mlp *m, mlps_err *e) {
  mlp *c = mlp_create(&m->arch, e);
  if (c) memcpy(c->params, m->params, m->n_params * sizeof(float));
  return c;
}

void mlp_get_params(const mlp *m, float *dst) {
  memcpy(dst, m->params, m->n_params * sizeof(float));
}
void mlp_set_params(mlp *m, const float *src) {
  memcpy(m->params, src, m->n_params * sizeof(float));
}

int mlp_params_finite(const mlp *m) {
  /* Summing is cheaper than n isfinite branches and NaN/Inf propagate;
   * a finite sum overflowing to Inf would need |w| ~ 1e38/n: diverged anyway. */
  float acc[8] = {0};
  size_t n = m->n_params, i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) acc[k] += m->params[i + k] * 0.0f;
  for (; i < n; i++) acc[0] += m->params[i] * 0.0f;
  float s = 0.0f;
  for (int k = 0; k < 8; k++) s += acc[k];
  return s == 0.0f;
}

void mlp_init(mlp *m, nn_init init, unsigned long long seed) {
  mlps_rng r;
  rng_seed(&r, seed);
  const mlp_arch *a = &m->arch;
  for (int l = 0; l < a->n_layers; l++) {
    int in = a->sizes[l], out = a->sizes[l + 1];
    size_t nw = (size_t)in * (size_t)out;
    float *W = m->layer[l].W, *b = m->layer[l].b;
    double bound;
    switch (init) {
      case INIT_HE: {
        double sd = sqrt(2.0 / in);
        for (size_t i = 0; i < nw; i++) W[i] = (float)(sd * rng_normal(&r));
        memset(b, 0, (size_t)out * sizeof(float));
        break;
      }
      case INIT_GLOROT:
        bound = sqrt(6.0 / (in + out));
        for (size_t i = 0; i < nw; i++) W[i] = (float)(bound * (2.0 * rng_uniform(&r) - 1.0));
        memset(b, 0, (size_t)out * sizeof(float));
        break;
      case INIT_TORCH:
      default:
        /* kaiming_uniform(a=sqrt(5)): gain sqrt(2/(1+5)), bound gain*sqrt(3/fan_in)
         * = 1/sqrt(fan_in); the bias uses the same bound. */
        bound = 1.0 / sqrt((double)in);
        for (size_t i = 0; i < nw; i++) W[i] = (float)(bound * (2.0 * rng_uniform(&r) - 1.0));
        for (int j = 0; j < out; j++) b[j] = (float)(bound * (2.0 * rng_uniform(&r) - 1.0));
        break;
    }
  }
}

/* ---- activations (act.h) ---- */

float nn_act(nn_activation a, float z) { return nn_act_one(a, z); }

int nn_act_needs_z(nn_activation a) { return a == ACT_GELU || a == ACT_SWISH; }

/* Copies the row b (n) into each of the nb rows of h. Short rows: an inline
 * vector loop beats a memcpy call per row, so keep GCC from turning the loop
 * into memcpy calls. */
NN_NO_MEMCPY_PATTERN void nn_fill_rows(float *restrict h, const float *restrict b, int nb, int n) {
  for (int i = 0; i < nb; i++) {
    float *restrict row = h + (size_t)i * (size_t)n;
    for (int j = 0; j < n; j++) row[j] = b[j];
  }
}

/* ---- forward workspace and pass ---- */

int mlp_fwd_ws_init(mlp_fwd_ws *w, const mlp_arch *a, int max_batch, int with_dropout,
                    mlps_err *e) {
  memset(w, 0, sizeof *w);
  w->max_batch = max_batch;
  int L = a->n_layers, needz = nn_act_needs_z(a->act);
  size_t total = 0;
  for (int l = 0; l < L; l++) {
    size_t n = (size_t)max_batch * (size_t)a->sizes[l + 1];
    int hidden = l < L - 1;
    total += n * (1 + (hidden && needz) + 2 * (hidden && with_dropout));
  }
  w->buf = malloc(total * sizeof(float));
  if (!w->buf)
    return mlps_errorf(e, MLPS_ERUNTIME, "out of memory allocating a %zu-float forward workspace",
                       total);
  float *p = w->buf;
  for (int l = 0; l < L; l++) {
    size_t n = (size_t)max_batch * (size_t)a->sizes[l + 1];
    int hidden = l < L - 1;
    w->h[l + 1] = p, p += n;
    if (hidden && needz) w->z[l + 1] = p, p += n;
    if (hidden && with_dropout) {
      w->mask[l + 1] = p, p += n;
      w->hd[l + 1] = p, p += n;
    }
  }
  return MLPS_OK;
}

void mlp_fwd_ws_free(mlp_fwd_ws *w) {
  free(w->buf);
  w->buf = NULL;
}

const float *mlp_fwd_input(const mlp_fwd_ws *w, const float *X, int l) {
  if (l == 0) return X;
  return w->dropout_active ? w->hd[l] : w->h[l];
}

const float *mlp_forward(const mlp *m, mlp_fwd_ws *w, const float *X, int nb, float dropout,
                         mlps_rng *rng) {
  const mlp_arch *a = &m->arch;
  int L = a->n_layers;
  const float *in = X;
  w->dropout_active = dropout > 0.0f && rng && w->hd[1];
  for (int l = 0; l < L; l++) {
    int nin = a->sizes[l], nout = a->sizes[l + 1], hidden = l < L - 1;
    float *h = w->h[l + 1];
    /* h = b + in W^T: (nb, nin) x (nout, nin)^T. Rows start as the bias and
     * sgemm accumulates with beta = 1, which OpenBLAS runs without its
     * separate C-scaling pass (beta = 0 would zero C first). */
    nn_fill_rows(h, m->layer[l].b, nb, nout);
    nn_sgemm(0, 1, nb, nout, nin, 1.0f, in, nin, m->layer[l].W, nin, 1.0f, h, nout);
    if (hidden) nn_act_forward(h, w->z[l + 1], (size_t)nb * (size_t)nout, a->act);
    in = h;
    if (hidden && w->dropout_active) {
      /* inverted dropout as torch.nn.Dropout: keep with 1-p, scale 1/(1-p) */
      size_t n = (size_t)nb * (size_t)nout;
      float *mk = w->mask[l + 1], *hd = w->hd[l + 1];
      float keep = 1.0f / (1.0f - dropout);
      for (size_t i = 0; i < n; i++) mk[i] = rng_uniformf(rng) < dropout ? 0.0f : keep;
      for (size_t i = 0; i < n; i++) hd[i] = h[i] * mk[i];
      in = hd;
    }
  }
  return in;
}

/* ---- inference ---- */

#define PREDICT_CHUNK 1024

int mlp_predict(const mlp *m, const float *X, size_t n, float *Y, mlps_err *e) {
  mlp_fwd_ws w;
  int chunk = n < PREDICT_CHUNK ? (int)(n ? n : 1) : PREDICT_CHUNK;
  MLPS_TRY(mlp_fwd_ws_init(&w, &m->arch, chunk, 0, e));
  int din = m->arch.sizes[0], dout = m->arch.sizes[m->arch.n_layers];
  for (size_t i = 0; i < n; i += (size_t)chunk) {
    int nb = (int)(n - i < (size_t)chunk ? n - i : (size_t)chunk);
    const float *out = mlp_forward(m, &w, X + i * (size_t)din, nb, 0.0f, NULL);
    memcpy(Y + i * (size_t)dout, out, (size_t)nb * (size_t)dout * sizeof(float));
  }
  mlp_fwd_ws_free(&w);
  return MLPS_OK;
}

int mlp_evaluate(const mlp *m, const float *X, const float *Y, size_t n, double *mse, double *mae,
                 mlps_err *e) {
  mlp_fwd_ws w;
  int chunk = n < PREDICT_CHUNK ? (int)(n ? n : 1) : PREDICT_CHUNK;
  MLPS_TRY(mlp_fwd_ws_init(&w, &m->arch, chunk, 0, e));
  int din = m->arch.sizes[0], dout = m->arch.sizes[m->arch.n_layers];
  double s2 = 0.0, s1 = 0.0;
  for (size_t i = 0; i < n; i += (size_t)chunk) {
    int nb = (int)(n - i < (size_t)chunk ? n - i : (size_t)chunk);
    const float *out = mlp_forward(m, &w, X + i * (size_t)din, nb, 0.0f, NULL);
    const float *t = Y + i * (size_t)dout;
    for (size_t k = 0; k < (size_t)nb * (size_t)dout; k++) {
      double d = (double)out[k] - (double)t[k];
      s2 += d * d;
      s1 += fabs(d);
    }
  }
  mlp_fwd_ws_free(&w);
  double cnt = (double)n * (double)dout;
  if (mse) *mse = n ? s2 / cnt : NAN;
  if (mae) *mae = n ? s1 / cnt : NAN;
  return MLPS_OK;
}
