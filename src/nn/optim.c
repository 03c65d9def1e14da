/* Optimizer steps (see optim.h for the update rules). Each rule is one loop
 * over the flat parameter vector. GCC does not vectorise sqrtf without
 * -fno-math-errno (which we do not impose on the whole build), so the adam
 * loops carry explicit SIMD paths: AVX (8 lanes, chosen at run time when the
 * CPU has it, since the default build targets baseline x86-64) and SSE (4
 * lanes), each with a scalar tail. All paths do the same float operations in
 * the same order (no FMA), so results do not depend on the path taken. */
#include "nn/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <immintrin.h>
#define NN_SSE 1
#endif

#if defined(NN_SSE) && defined(__GNUC__)
#define NN_AVX 1
/* Runs the first n - n % 8 elements of adam_step with 8-lane AVX. */
__attribute__((target("avx"))) static size_t adam_avx(float *restrict p, const float *restrict g0,
                                                      float *restrict m, float *restrict v,
                                                      size_t n, float b1, float omb1, float b2,
                                                      float omb2, float wd, float decay,
                                                      float step_size, float bc2_sqrt, float eps) {
  const __m256 vb1 = _mm256_set1_ps(b1), vomb1 = _mm256_set1_ps(omb1), vb2 = _mm256_set1_ps(b2),
               vomb2 = _mm256_set1_ps(omb2), vwd = _mm256_set1_ps(wd),
               vdecay = _mm256_set1_ps(decay), vstep = _mm256_set1_ps(step_size),
               vbc2 = _mm256_set1_ps(bc2_sqrt), veps = _mm256_set1_ps(eps);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 pi = _mm256_mul_ps(_mm256_loadu_ps(p + i), vdecay);
    __m256 g = _mm256_add_ps(_mm256_loadu_ps(g0 + i), _mm256_mul_ps(vwd, pi));
    __m256 mi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), vb1), _mm256_mul_ps(g, vomb1));
    __m256 vi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), vb2),
                              _mm256_mul_ps(_mm256_mul_ps(vomb2, g), g));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), vbc2), veps);
    _mm256_storeu_ps(p + i, _mm256_sub_ps(pi, _mm256_div_ps(_mm256_mul_ps(vstep, mi), denom)));
  }
  return i;
}

__attribute__((target("avx"))) static size_t radam_avx(float *restrict p, const float *restrict g0,
                                                       float *restrict m, float *restrict v,
                                                       size_t n, float b1, float omb1, float b2,
                                                       float omb2, float wd, float bc1, float lr,
                                                       int rectified, float bc2_sqrt, float rect,
                                                       float eps) {
  const __m256 vb1 = _mm256_set1_ps(b1), vomb1 = _mm256_set1_ps(omb1), vb2 = _mm256_set1_ps(b2),
               vomb2 = _mm256_set1_ps(omb2), vwd = _mm256_set1_ps(wd), vbc1 = _mm256_set1_ps(bc1),
               vlr = _mm256_set1_ps(lr), vbc2 = _mm256_set1_ps(bc2_sqrt),
               vrect = _mm256_set1_ps(rect), veps = _mm256_set1_ps(eps);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 pi = _mm256_loadu_ps(p + i);
    __m256 g = _mm256_add_ps(_mm256_loadu_ps(g0 + i), _mm256_mul_ps(vwd, pi));
    __m256 mi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), vb1), _mm256_mul_ps(g, vomb1));
    __m256 vi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), vb2),
                              _mm256_mul_ps(_mm256_mul_ps(vomb2, g), g));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    __m256 upd = _mm256_mul_ps(_mm256_div_ps(mi, vbc1), vlr);
    if (rectified) {
      __m256 adaptive = _mm256_div_ps(vbc2, _mm256_add_ps(_mm256_sqrt_ps(vi), veps));
      upd = _mm256_mul_ps(_mm256_mul_ps(upd, adaptive), vrect);
    }
    _mm256_storeu_ps(p + i, _mm256_sub_ps(pi, upd));
  }
  return i;
}

/* libgcc fills the CPU model at start-up; the query is a load and a test. */
static int have_avx(void) { return __builtin_cpu_supports("avx"); }
#endif

void optim_config_default(optim_config *c, nn_optimizer kind) {
  memset(c, 0, sizeof *c);
  c->kind = kind;
  c->lr = 1e-3;
  c->beta1 = 0.9;
  c->beta2 = 0.999;
  c->eps = 1e-8;
  c->weight_decay = kind == OPT_ADAMW ? 1e-2 : 0.0;
}

int optim_config_check(const optim_config *c, mlps_err *e) {
  if ((int)c->kind < 0 || c->kind >= OPT_COUNT)
    return mlps_errorf(e, MLPS_EINPUT, "unknown optimizer %d", (int)c->kind);
  if (!(c->lr > 0.0) || !isfinite(c->lr))
    return mlps_errorf(e, MLPS_EINPUT, "learning rate must be a finite number > 0, got %g", c->lr);
  if (!(c->weight_decay >= 0.0) || !isfinite(c->weight_decay))
    return mlps_errorf(e, MLPS_EINPUT, "weight_decay must be >= 0, got %g", c->weight_decay);
  if (c->kind == OPT_SGD) {
    if (!(c->momentum >= 0.0 && c->momentum < 1.0))
      return mlps_errorf(e, MLPS_EINPUT, "momentum must be in [0, 1), got %g", c->momentum);
    if (!(c->dampening >= 0.0 && c->dampening <= 1.0))
      return mlps_errorf(e, MLPS_EINPUT, "dampening must be in [0, 1], got %g", c->dampening);
    if (c->nesterov && (c->momentum <= 0.0 || c->dampening != 0.0))
      return mlps_errorf(e, MLPS_EINPUT,
                         "nesterov needs momentum > 0 and dampening 0 (as torch.optim.SGD)");
  } else {
    if (!(c->beta1 >= 0.0 && c->beta1 < 1.0) || !(c->beta2 >= 0.0 && c->beta2 < 1.0))
      return mlps_errorf(e, MLPS_EINPUT, "betas must be in [0, 1), got (%g, %g)", c->beta1,
                         c->beta2);
    if (!(c->eps >= 0.0)) return mlps_errorf(e, MLPS_EINPUT, "eps must be >= 0, got %g", c->eps);
  }
  return MLPS_OK;
}

int optim_init(optim_state *s, const optim_config *c, size_t n, mlps_err *e) {
  memset(s, 0, sizeof *s);
  MLPS_TRY(optim_config_check(c, e));
  s->cfg = *c;
  s->n = n;
  size_t nbuf = c->kind == OPT_SGD ? (c->momentum > 0.0 ? n : 0) : 2 * n;
  if (nbuf) {
    s->buf = calloc(nbuf, sizeof(float));
    if (!s->buf)
      return mlps_errorf(e, MLPS_ERUNTIME, "out of memory allocating optimizer state (%zu floats)",
                         nbuf);
    s->m = s->buf;
    if (c->kind != OPT_SGD) s->v = s->buf + n;
  }
  return MLPS_OK;
}

void optim_reset(optim_state *s) {
  s->step = 0;
  if (s->buf) memset(s->buf, 0, (s->v ? 2 : 1) * s->n * sizeof(float));
}

void optim_free(optim_state *s) {
  free(s->buf);
  s->buf = s->m = s->v = NULL;
}

static void sgd_step(float *restrict p, const float *restrict g0, float *restrict buf, size_t n,
                     float lr, float wd, float mom, float damp, int nesterov, int first) {
  if (!buf) {
    for (size_t i = 0; i < n; i++) p[i] -= lr * (g0[i] + wd * p[i]);
    return;
  }
  float omd = 1.0f - damp;
  if (first) {
    for (size_t i = 0; i < n; i++) {
      float g = g0[i] + wd * p[i];
      buf[i] = g;
      p[i] -= lr * (nesterov ? g + mom * g : g);
    }
    return;
  }
  if (nesterov) {
    for (size_t i = 0; i < n; i++) {
      float g = g0[i] + wd * p[i];
      float b = mom * buf[i] + omd * g;
      buf[i] = b;
      p[i] -= lr * (g + mom * b);
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      float g = g0[i] + wd * p[i];
      float b = mom * buf[i] + omd * g;
      buf[i] = b;
      p[i] -= lr * b;
    }
  }
}

/* adam / adamw (decay = p multiplier, 1 for adam; wd = L2 coefficient, 0 for adamw) */
static void adam_step(float *restrict p, const float *restrict g0, float *restrict m,
                      float *restrict v, size_t n, float b1, float omb1, float b2, float omb2,
                      float wd, float decay, float step_size, float bc2_sqrt, float eps) {
  size_t i = 0;
#ifdef NN_AVX
  if (have_avx())
    i = adam_avx(p, g0, m, v, n, b1, omb1, b2, omb2, wd, decay, step_size, bc2_sqrt, eps);
#endif
#ifdef NN_SSE
  const __m128 vb1 = _mm_set1_ps(b1), vomb1 = _mm_set1_ps(omb1), vb2 = _mm_set1_ps(b2),
               vomb2 = _mm_set1_ps(omb2), vwd = _mm_set1_ps(wd), vdecay = _mm_set1_ps(decay),
               vstep = _mm_set1_ps(step_size), vbc2 = _mm_set1_ps(bc2_sqrt),
               veps = _mm_set1_ps(eps);
  for (; i + 4 <= n; i += 4) {
    __m128 pi = _mm_mul_ps(_mm_loadu_ps(p + i), vdecay);
    __m128 g = _mm_add_ps(_mm_loadu_ps(g0 + i), _mm_mul_ps(vwd, pi));
    __m128 mi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(m + i), vb1), _mm_mul_ps(g, vomb1));
    __m128 vi =
        _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v + i), vb2), _mm_mul_ps(_mm_mul_ps(vomb2, g), g));
    _mm_storeu_ps(m + i, mi);
    _mm_storeu_ps(v + i, vi);
    __m128 denom = _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(vi), vbc2), veps);
    _mm_storeu_ps(p + i, _mm_sub_ps(pi, _mm_div_ps(_mm_mul_ps(vstep, mi), denom)));
  }
#endif
  for (; i < n; i++) {
    float pi = p[i] * decay;
    float g = g0[i] + wd * pi;
    float mi = m[i] * b1 + g * omb1;
    float vi = v[i] * b2 + omb2 * g * g;
    m[i] = mi;
    v[i] = vi;
    float denom = sqrtf(vi) / bc2_sqrt + eps;
    p[i] = pi - step_size * mi / denom;
  }
}

static void radam_step(float *restrict p, const float *restrict g0, float *restrict m,
                       float *restrict v, size_t n, float b1, float omb1, float b2, float omb2,
                       float wd, float bc1, float lr, int rectified, float bc2_sqrt, float rect,
                       float eps) {
  size_t i = 0;
#ifdef NN_AVX
  if (have_avx())
    i = radam_avx(p, g0, m, v, n, b1, omb1, b2, omb2, wd, bc1, lr, rectified, bc2_sqrt, rect, eps);
#endif
#ifdef NN_SSE
  const __m128 vb1 = _mm_set1_ps(b1), vomb1 = _mm_set1_ps(omb1), vb2 = _mm_set1_ps(b2),
               vomb2 = _mm_set1_ps(omb2), vwd = _mm_set1_ps(wd), vbc1 = _mm_set1_ps(bc1),
               vlr = _mm_set1_ps(lr), vbc2 = _mm_set1_ps(bc2_sqrt), vrect = _mm_set1_ps(rect),
               veps = _mm_set1_ps(eps);
  for (; i + 4 <= n; i += 4) {
    __m128 pi = _mm_loadu_ps(p + i);
    __m128 g = _mm_add_ps(_mm_loadu_ps(g0 + i), _mm_mul_ps(vwd, pi));
    __m128 mi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(m + i), vb1), _mm_mul_ps(g, vomb1));
    __m128 vi =
        _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v + i), vb2), _mm_mul_ps(_mm_mul_ps(vomb2, g), g));
    _mm_storeu_ps(m + i, mi);
    _mm_storeu_ps(v + i, vi);
    __m128 upd = _mm_mul_ps(_mm_div_ps(mi, vbc1), vlr);
    if (rectified) {
      __m128 adaptive = _mm_div_ps(vbc2, _mm_add_ps(_mm_sqrt_ps(vi), veps));
      upd = _mm_mul_ps(_mm_mul_ps(upd, adaptive), vrect);
    }
    _mm_storeu_ps(p + i, _mm_sub_ps(pi, upd));
  }
#endif
  for (; i < n; i++) {
    float g = g0[i] + wd * p[i];
    float mi = m[i] * b1 + g * omb1;
    float vi = v[i] * b2 + omb2 * g * g;
    m[i] = mi;
    v[i] = vi;
    float bcm = mi / bc1;
    if (rectified) {
      float adaptive = bc2_sqrt / (sqrtf(vi) + eps);
      p[i] -= bcm * lr * adaptive * rect;
    } else {
      p[i] -= bcm * lr;
    }
  }
}

void optim_step(optim_state *s, float *params, const float *grads, double lr) {
  const optim_config *c = &s->cfg;
  s->step++;
  double t = (double)s->step;
  switch (c->kind) {
    case OPT_SGD:
      sgd_step(params, grads, s->m, s->n, (float)lr, (float)c->weight_decay, (float)c->momentum,
               (float)c->dampening, c->nesterov, s->step == 1);
      break;
    case OPT_ADAM:
    case OPT_ADAMW: {
      double bc1 = 1.0 - pow(c->beta1, t), bc2 = 1.0 - pow(c->beta2, t);
      int w = c->kind == OPT_ADAMW;
      adam_step(params, grads, s->m, s->v, s->n, (float)c->beta1, (float)(1.0 - c->beta1),
                (float)c->beta2, (float)(1.0 - c->beta2), w ? 0.0f : (float)c->weight_decay,
                w ? (float)(1.0 - lr * c->weight_decay) : 1.0f, (float)(lr / bc1), (float)sqrt(bc2),
                (float)c->eps);
      break;
    }
    case OPT_RADAM: {
      double bc1 = 1.0 - pow(c->beta1, t), bc2 = 1.0 - pow(c->beta2, t);
      double rho_inf = 2.0 / (1.0 - c->beta2) - 1.0;
      double rho_t = rho_inf - 2.0 * t * pow(c->beta2, t) / bc2;
      int rectified = rho_t > 5.0;
      double rect =
          rectified
              ? sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
              : 0.0;
      radam_step(params, grads, s->m, s->v, s->n, (float)c->beta1, (float)(1.0 - c->beta1),
                 (float)c->beta2, (float)(1.0 - c->beta2), (float)c->weight_decay, (float)bc1,
                 (float)lr, rectified, (float)sqrt(bc2), (float)rect, (float)c->eps);
      break;
    }
    default: break;
  }
}
