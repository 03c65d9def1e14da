/* libmlpsweep_emu: model.h5 -> a folded float64 network, and its prediction
 * (see mlpsweep_emu.h for the API and workflow/model.h for the file).
 *
 * Folding. A transform stage is y = (g(x) - shift) / scale. Per input column,
 * the stages after the last log/log10 of its chain compose to x' = a x + c:
 * they are folded into the first layer of every member (W0[:, j] *= a_j,
 * b0 += W0[:, j] c_j); the stages up to that log run outside, per value. Per
 * output, the inverse of the stages after the last log composes to
 * y = A z + C: one multiply-add per output after the members' mean
 * (averaging commutes with an affine map), not folded into the last layer,
 * so that layer keeps the file's float32 weights; the rest of the inverse
 * (exp, pow 10 and what precedes them) runs outside.
 *
 * Layout for speed (one row is a chain of matrix-vector products whose
 * weights, ~100-200 KiB for 128-wide layers, stream from L2 on every call):
 * a layer's weights are packed in blocks of OB outputs, each block (in, OB)
 * contiguous and zero-padded, so a block is one sequential stream, its OB
 * accumulators stay in registers across the input loop (8 independent FMA
 * chains: enough to cover the FMA latency), and no reassociation is needed.
 * float32 where the weights are float32 values (the file's: exact, and half
 * the bytes; converted to float64 before the multiply-add), float64 where a
 * fold changed them (the first layer). Kernels for AVX-512 (OB 64), AVX2+FMA
 * (OB 32) and baseline x86-64 or other CPUs (OB 16) are compiled from one
 * source and picked at open from the CPU's features. */
#include "emu/mlpsweep_emu.h"

#include <hdf5.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"

#define EMU_MAX_LAYERS 33 /* nn's MLP_MAX_LAYERS + 1 widths */
#define EMU_MAX_MEMBERS 64
#define EMU_MAX_CHAIN 4
#define EMU_PAD 64 /* the widest kernel block: scratch rows are padded by it */

enum { G_ID, G_LOG, G_LOG10 };
enum { A_RELU, A_LEAKY, A_ELU, A_SELU, A_GELU, A_SWISH, A_SIGMOID, A_TANH, A_LINEAR, A_COUNT };
static const char *const ACT_NAMES[A_COUNT] = {"relu",  "leaky_relu", "elu",  "selu",  "gelu",
                                               "swish", "sigmoid",    "tanh", "linear"};

/* One column's stages that stay outside the network, applied in order
 * (forward for inputs, backward for outputs). */
typedef struct {
  int n;
  int g[EMU_MAX_CHAIN];
  double shift[EMU_MAX_CHAIN], scale[EMU_MAX_CHAIN];
} emu_outer;

typedef struct {
  int n_layers, act;
  int sizes[EMU_MAX_LAYERS + 1];
  /* W[l]: the file's (out, in) float64 while loading; after emu_pack the
   * kernel's blocks (see the top): float32 when f32[l], else float64. b[l]:
   * padded to whole blocks with zeros. */
  void *W[EMU_MAX_LAYERS];
  double *b[EMU_MAX_LAYERS];
  double weight; /* its weight in the mean (attribute "weight"; NaN: none) */
  unsigned char f32[EMU_MAX_LAYERS];
} emu_member;

/* One member's layers on one (outer-transformed) input row; out gets the
 * last layer's output, padded to whole blocks (scratch, not the caller's). */
typedef void (*emu_forward_fn)(const emu_member *mb, const double *x, double *restrict h0,
                               double *restrict h1, double *restrict out);

struct mlps_emu {
  size_t d, m;
  int n_members, version, max_width, has_box, has_err, ob;
  int weighted; /* members weighted unequally (a committee by CV error) */
  char **names;
  double *lo, *hi, *frac_mean, *frac_cov;
  double *ya, *yc;    /* (m): the output's folded affine stages, y = ya z + yc */
  emu_outer *xo, *yo; /* (d), (m) */
  emu_forward_fn fwd;
  /* y = exp(v) for a row, vectorised (out_exp: every output's outer stages
   * are one ln, whose shift and scale are then in ya, yc too) */
  void (*exp_row)(const double *restrict v, int n, double *restrict y);
  int out_exp;
  const char *kernel;
  emu_member mem[EMU_MAX_MEMBERS];
};

const char *mlps_emu_version(void) { return MLPS_VERSION; }

/* ---- reading ---- */

static int parse_stage(const char *s, size_t len, int *g, int *affine) {
  static const char *const names[] = {"none", "standard", "minmax", "log", "log10"};
  for (int k = 0; k < 5; k++)
    if (strlen(names[k]) == len && strncmp(s, names[k], len) == 0) {
      *g = k == 3 ? G_LOG : k == 4 ? G_LOG10 : G_ID;
      *affine = k < 3;
      return 0;
    }
  return -1;
}

/* A transform group (data/transform.h's xf_write_h5): chains, shift and
 * scale -> per column the outer stages and the folded affine (a, c) for
 * inputs (forward) or (A, C) for outputs (inverse). */
static int read_transform(hid_t fid, const char *group, size_t ncols, int output, int unfolded,
                          emu_outer *outer, double *a, double *c, mlps_err *e) {
  char **chains = NULL;
  size_t nch = 0, dims[2];
  double *shift = NULL, *scale = NULL;
  int rank = 0;
  char name[64];
  snprintf(name, sizeof name, "%s/chain", group);
  int rc = h5_read_strings(fid, name, &chains, &nch, e);
  snprintf(name, sizeof name, "%s/shift", group);
  if (!rc) rc = h5_read_f64(fid, name, &shift, dims, &rank, e);
  if (!rc && (rank != 2 || dims[0] != ncols || dims[1] != EMU_MAX_CHAIN || nch != ncols))
    rc = mlps_errorf(e, MLPS_EINPUT, "%s does not match the network's %zu columns", group, ncols);
  snprintf(name, sizeof name, "%s/scale", group);
  if (!rc) rc = h5_read_f64(fid, name, &scale, dims, &rank, e);
  if (!rc && (rank != 2 || dims[0] != ncols || dims[1] != EMU_MAX_CHAIN))
    rc = mlps_errorf(e, MLPS_EINPUT, "%s/scale has the wrong shape", group);
  for (size_t j = 0; !rc && j < ncols; j++) {
    int g[EMU_MAX_CHAIN], aff[EMU_MAX_CHAIN], n = 0, last_log = -1;
    const char *s = chains[j];
    while (!rc && *s && strcmp(s, "none") != 0) {
      s += strspn(s, "[ ,");
      size_t len = strcspn(s, ", ]");
      if (!len) break;
      if (n == EMU_MAX_CHAIN || parse_stage(s, len, &g[n], &aff[n]))
        rc = mlps_errorf(e, MLPS_EINPUT, "%s: column %zu has an unknown transform chain '%s'",
                         group, j, chains[j]);
      else if (!aff[n++]) last_log = n - 1;
      s += len;
      s += strspn(s, " ]");
    }
    if (rc) break;
    int split = unfolded ? n - 1 : last_log; /* stages 0..split stay outside */
    const double *sh = shift + j * EMU_MAX_CHAIN, *sc = scale + j * EMU_MAX_CHAIN;
    outer[j].n = split + 1;
    for (int k = 0; k <= split; k++) {
      outer[j].g[k] = g[k];
      outer[j].shift[k] = sh[k];
      outer[j].scale[k] = sc[k];
    }
    double aj = 1, cj = 0;
    if (!output) /* x' = (x' - sh) / sc, stages in order */
      for (int k = split + 1; k < n; k++) aj /= sc[k], cj = (cj - sh[k]) / sc[k];
    else /* y = y sc + sh, stages in reverse */
      for (int k = n - 1; k > split; k--) aj *= sc[k], cj = cj * sc[k] + sh[k];
    a[j] = aj, c[j] = cj;
  }
  h5_free_strings(chains, nch);
  free(shift), free(scale);
  return rc;
}

static int read_member(hid_t fid, const char *path, int k, emu_member *mb, const int *sizes0,
                       int n0, int act0, mlps_err *e) {
  char obj[32], name[64], act[32];
  snprintf(obj, sizeof obj, "members/%d", k);
  double s[EMU_MAX_LAYERS + 1];
  size_t ns = 0;
  mlps_err tmp = {0};
  mb->act = act0, mb->n_layers = n0 - 1;
  memcpy(mb->sizes, sizes0, sizeof(int) * (size_t)n0);
  /* Version 2 gives each member its own architecture; version 1 only the root's. */
  if (!h5_read_attr_f64(fid, obj, "sizes", s, EMU_MAX_LAYERS + 1, &ns, &tmp)) {
    if (ns < 2) return mlps_errorf(e, MLPS_EINPUT, "%s: %s has fewer than 2 sizes", path, obj);
    mb->n_layers = (int)ns - 1;
    for (size_t l = 0; l < ns; l++) mb->sizes[l] = (int)s[l];
  }
  size_t nw = 0;
  if (h5_read_attr_f64(fid, obj, "weight", &mb->weight, 1, &nw, &tmp) || nw != 1) mb->weight = NAN;
  if (!h5_read_attr_str(fid, obj, "activation", act, sizeof act, &tmp)) {
    mb->act = -1;
    for (int a = 0; a < A_COUNT; a++)
      if (strcmp(act, ACT_NAMES[a]) == 0 || (a == A_SWISH && strcmp(act, "silu") == 0)) mb->act = a;
    if (mb->act < 0)
      return mlps_errorf(e, MLPS_EINPUT, "%s: %s: unknown activation '%s'", path, obj, act);
  }
  for (int l = 0; l < mb->n_layers; l++) {
    size_t in = (size_t)mb->sizes[l], out = (size_t)mb->sizes[l + 1];
    for (int wb = 0; wb < 2; wb++) {
      snprintf(name, sizeof name, "members/%d/%c%d", k, wb ? 'b' : 'W', l);
      double *v = NULL;
      size_t dims[2] = {0, 0};
      int rank = 0;
      MLPS_TRY(h5_read_f64(fid, name, &v, dims, &rank, e));
      if (dims[0] != out || (wb == 0 && (rank != 2 || dims[1] != in)) || (wb == 1 && rank != 1)) {
        free(v);
        return mlps_errorf(e, MLPS_EINPUT, "%s: %s has the wrong shape for sizes", path, name);
      }
      if (wb) mb->b[l] = v;
      else mb->W[l] = v; /* (out, in), packed once the folds are done */
    }
  }
  return MLPS_OK;
}

/* The members' weights (attribute "weight" of members/K, format 2 and
 * later), normalised to sum 1: averaging commutes with the affine target
 * stages folded into each member's last layer only when they do. Members
 * without one count equally. */
static int read_weights(mlps_emu *u, const char *path, mlps_err *e) {
  double sum = 0;
  int all = 1;
  for (int k = 0; k < u->n_members; k++) {
    double w = u->mem[k].weight;
    if (isnan(w)) all = 0;
    else if (!(w >= 0) || !isfinite(w))
      return mlps_errorf(e, MLPS_EINPUT, "%s: members/%d has weight %g (must be >= 0 and finite)",
                         path, k, w);
    else sum += w;
  }
  if (!all || !(sum > 0)) {
    for (int k = 0; k < u->n_members; k++) u->mem[k].weight = 1.0 / u->n_members;
    return all ? mlps_errorf(e, MLPS_EINPUT, "%s: the members' weights sum to 0", path) : MLPS_OK;
  }
  for (int k = 0; k < u->n_members; k++) {
    u->mem[k].weight /= sum;
    u->weighted |= fabs(u->mem[k].weight - u->mem[0].weight) > 1e-15;
  }
  return MLPS_OK;
}

/* Layer l of mb from the file's (out, in) float64 to the kernel's blocks of
 * ob outputs (see the top); float32 when every weight is a float32 value. */
static int emu_pack(emu_member *mb, int l, int ob) {
  int ni = mb->sizes[l], no = mb->sizes[l + 1], nb = (no + ob - 1) / ob;
  const double *w = mb->W[l];
  int f32 = 1;
  for (size_t i = 0; f32 && i < (size_t)ni * (size_t)no; i++) f32 = (double)(float)w[i] == w[i];
  /* cache-line aligned: no load of a block row straddles two lines */
  size_t bytes = (size_t)nb * (size_t)ob * (size_t)ni * (f32 ? sizeof(float) : sizeof(double));
  bytes = (bytes + 63) / 64 * 64;
  void *p = aligned_alloc(64, bytes);
  if (p) memset(p, 0, bytes);
  double *b = calloc((size_t)nb * (size_t)ob, sizeof(double));
  if (!p || !b) return free(p), free(b), -1;
  for (int o = 0; o < no; o++) {
    size_t base = (size_t)(o / ob) * (size_t)ob * (size_t)ni + (size_t)(o % ob);
    for (int i = 0; i < ni; i++) {
      double v = w[(size_t)o * (size_t)ni + (size_t)i];
      if (f32) ((float *)p)[base + (size_t)i * (size_t)ob] = (float)v;
      else ((double *)p)[base + (size_t)i * (size_t)ob] = v;
    }
    b[o] = mb->b[l][o];
  }
  free(mb->W[l]), free(mb->b[l]);
  mb->W[l] = p, mb->b[l] = b, mb->f32[l] = (unsigned char)f32;
  return 0;
}

/* Optional dataset of exactly n values into *dst (malloc'ed); 1 when read. */
static int read_opt(hid_t fid, const char *name, size_t n, double **dst, mlps_err *e) {
  if (!h5_exists(fid, name)) return 0;
  size_t dims[2] = {0, 0};
  int rank = 0;
  if (h5_read_f64(fid, name, dst, dims, &rank, e)) return -1;
  if (dims[0] * (rank == 2 ? dims[1] : 1) != n) {
    free(*dst), *dst = NULL;
    return mlps_errorf(e, MLPS_EINPUT, "%s has %zu values, expected %zu", name,
                       dims[0] * (rank == 2 ? dims[1] : 1), n),
           -1;
  }
  return 1;
}

static void emu_pick(mlps_emu *u, unsigned flags);

static int emu_load(mlps_emu *u, const char *path, unsigned flags, mlps_err *e) {
  hid_t fid;
  MLPS_TRY(h5_open_read(path, &fid, e));
  char fmt[64] = "", act[32] = "";
  double sd[EMU_MAX_LAYERS + 1], v = 0, nm = 0;
  size_t ns = 0, one = 0;
  int rc = h5_read_attr_str(fid, ".", "format", fmt, sizeof fmt, e);
  if (rc || strcmp(fmt, "mlpsweep-model") != 0)
    rc = mlps_errorf(e, MLPS_EINPUT,
                     "%s: not an mlpsweep model (no format attribute 'mlpsweep-model'); pass the "
                     "model.h5 written by mlpsweep run",
                     path);
  if (!rc) rc = h5_read_attr_f64(fid, ".", "format_version", &v, 1, &one, e);
  if (!rc && (v < MLPS_EMU_FORMAT_MIN || v > MLPS_EMU_FORMAT_MAX))
    rc = mlps_errorf(e, MLPS_EINPUT,
                     "%s: model format version %g is not supported (this library reads %d to %d); "
                     "use the mlpsweep that wrote it, or a newer libmlpsweep_emu",
                     path, v, MLPS_EMU_FORMAT_MIN, MLPS_EMU_FORMAT_MAX);
  u->version = (int)v;
  if (!rc) rc = h5_read_attr_f64(fid, ".", "sizes", sd, EMU_MAX_LAYERS + 1, &ns, e);
  if (!rc) rc = h5_read_attr_f64(fid, ".", "n_members", &nm, 1, &one, e);
  if (!rc) rc = h5_read_attr_str(fid, ".", "activation", act, sizeof act, e);
  if (!rc && (ns < 2 || nm < 1 || nm > EMU_MAX_MEMBERS))
    rc = mlps_errorf(e, MLPS_EINPUT, "%s: sizes or n_members out of range", path);
  int sizes0[EMU_MAX_LAYERS + 1], act0 = -1;
  for (size_t l = 0; !rc && l < ns; l++) sizes0[l] = (int)sd[l];
  for (int a = 0; !rc && a < A_COUNT; a++)
    if (strcmp(act, ACT_NAMES[a]) == 0 || (a == A_SWISH && strcmp(act, "silu") == 0)) act0 = a;
  if (!rc && act0 < 0) rc = mlps_errorf(e, MLPS_EINPUT, "%s: unknown activation '%s'", path, act);
  if (!rc) {
    u->d = (size_t)sizes0[0], u->m = (size_t)sizes0[ns - 1], u->n_members = (int)nm;
    u->xo = calloc(u->d, sizeof(emu_outer)), u->yo = calloc(u->m, sizeof(emu_outer));
    if (!u->xo || !u->yo) rc = mlps_errorf(e, MLPS_ERUNTIME, "out of memory");
  }
  for (int k = 0; !rc && k < u->n_members; k++) {
    emu_member *mb = &u->mem[k];
    rc = read_member(fid, path, k, mb, sizes0, (int)ns, act0, e);
    if (!rc && ((size_t)mb->sizes[0] != u->d || (size_t)mb->sizes[mb->n_layers] != u->m))
      rc = mlps_errorf(e, MLPS_EINPUT, "%s: member %d's inputs/outputs differ from member 0's",
                       path, k);
    for (int l = 0; !rc && l <= mb->n_layers; l++) {
      if (mb->sizes[l] < 1 || mb->sizes[l] > MLPS_EMU_MAX_WIDTH)
        rc = mlps_errorf(e, MLPS_EINPUT, "%s: member %d has a layer of width %d (allowed 1..%d)",
                         path, k, mb->sizes[l], MLPS_EMU_MAX_WIDTH);
      else if (mb->sizes[l] > u->max_width) u->max_width = mb->sizes[l];
    }
  }
  if (!rc) rc = read_weights(u, path, e);
  double *a = NULL, *c = NULL;
  if (!rc) {
    size_t w = u->d > u->m ? u->d : u->m;
    a = malloc(sizeof(double) * w), c = malloc(sizeof(double) * w);
    if (!a || !c) rc = mlps_errorf(e, MLPS_ERUNTIME, "out of memory");
  }
  int unf = (flags & MLPS_EMU_UNFOLDED) != 0;
  if (!rc) rc = read_transform(fid, "input_transform", u->d, 0, unf, u->xo, a, c, e);
  for (int k = 0; !rc && k < u->n_members; k++) { /* fold into layer 0, (out, in) */
    emu_member *mb = &u->mem[k];
    double *W0 = mb->W[0];
    for (size_t o = 0; o < (size_t)mb->sizes[1]; o++)
      for (size_t j = 0; j < u->d; j++) {
        mb->b[0][o] += W0[o * u->d + j] * c[j];
        W0[o * u->d + j] *= a[j];
      }
  }
  if (!rc) {
    u->ya = malloc(sizeof(double) * u->m), u->yc = malloc(sizeof(double) * u->m);
    if (!u->ya || !u->yc) rc = mlps_errorf(e, MLPS_ERUNTIME, "out of memory");
  }
  if (!rc) rc = read_transform(fid, "target_transform", u->m, 1, unf, u->yo, u->ya, u->yc, e);
  if (!rc) { /* the usual [log, standard] targets: exp after one multiply-add */
    u->out_exp = 1;
    for (size_t j = 0; j < u->m; j++) u->out_exp &= u->yo[j].n == 1 && u->yo[j].g[0] == G_LOG;
    for (size_t j = 0; u->out_exp && j < u->m; j++) {
      u->ya[j] *= u->yo[j].scale[0];
      u->yc[j] = u->yc[j] * u->yo[j].scale[0] + u->yo[j].shift[0];
    }
  }
  free(a), free(c);
  if (!rc) emu_pick(u, flags);
  for (int k = 0; !rc && k < u->n_members; k++)
    for (int l = 0; !rc && l < u->mem[k].n_layers; l++)
      if (emu_pack(&u->mem[k], l, u->ob)) rc = mlps_errorf(e, MLPS_ERUNTIME, "out of memory");
  if (!rc) { /* input names: version 2 stores them; else x0, x1, ... */
    size_t nn = 0;
    char **nms = NULL;
    mlps_err tmp = {0};
    if (!h5_read_attr_strs(fid, ".", "input_names", &nms, &nn, &tmp) && nn == u->d) {
      u->names = nms;
    } else {
      h5_free_strings(nms, nn);
      u->names = calloc(u->d, sizeof(char *));
      for (size_t j = 0; u->names && j < u->d; j++) {
        u->names[j] = malloc(24);
        if (u->names[j]) snprintf(u->names[j], 24, "x%zu", j);
      }
    }
  }
  int r;
  if (!rc && (r = read_opt(fid, "box/lo", u->d, &u->lo, e)) < 0) rc = e->code;
  if (!rc && r && (r = read_opt(fid, "box/hi", u->d, &u->hi, e)) < 0) rc = e->code;
  if (!rc) u->has_box = u->lo && u->hi;
  if (!rc && (r = read_opt(fid, "metrics/frac_mean", u->m, &u->frac_mean, e)) < 0) rc = e->code;
  if (!rc && r && (r = read_opt(fid, "metrics/frac_cov", u->m * u->m, &u->frac_cov, e)) < 0)
    rc = e->code;
  if (!rc) u->has_err = u->frac_mean && u->frac_cov;
  H5Fclose(fid);
  return rc;
}

static void copy_err(char *err, size_t len, const char *msg) {
  if (err && len) snprintf(err, len, "%s", msg);
}

mlps_emu *mlps_emu_open_flags(const char *model_path, unsigned flags, char *err, size_t err_len) {
  copy_err(err, err_len, "");
  if (!model_path) return copy_err(err, err_len, "model path is NULL"), NULL;
  mlps_emu *u = calloc(1, sizeof *u);
  if (!u) return copy_err(err, err_len, "out of memory"), NULL;
  mlps_err e = {0};
  if (emu_load(u, model_path, flags, &e)) {
    copy_err(err, err_len, e.msg);
    mlps_emu_close(u);
    return NULL;
  }
  return u;
}

mlps_emu *mlps_emu_open(const char *model_path, char *err, size_t err_len) {
  return mlps_emu_open_flags(model_path, 0, err, err_len);
}

void mlps_emu_close(mlps_emu *u) {
  if (!u) return;
  for (int k = 0; k < EMU_MAX_MEMBERS; k++)
    for (int l = 0; l < EMU_MAX_LAYERS; l++) free(u->mem[k].W[l]), free(u->mem[k].b[l]);
  if (u->names)
    for (size_t j = 0; j < u->d; j++) free(u->names[j]);
  free(u->names), free(u->lo), free(u->hi), free(u->frac_mean), free(u->frac_cov);
  free(u->ya), free(u->yc), free(u->xo), free(u->yo), free(u);
}

size_t mlps_emu_n_inputs(const mlps_emu *u) { return u ? u->d : 0; }
size_t mlps_emu_n_outputs(const mlps_emu *u) { return u ? u->m : 0; }
size_t mlps_emu_n_members(const mlps_emu *u) { return u ? (size_t)u->n_members : 0; }
int mlps_emu_format_version(const mlps_emu *u) { return u ? u->version : -1; }
const char *mlps_emu_kernel(const mlps_emu *u) { return u ? u->kernel : NULL; }
const char *mlps_emu_input_name(const mlps_emu *u, size_t i) {
  return u && i < u->d ? u->names[i] : NULL;
}

int mlps_emu_bounds(const mlps_emu *u, double *lo, double *hi) {
  if (!u || !lo || !hi || !u->has_box) return -1;
  memcpy(lo, u->lo, sizeof(double) * u->d);
  memcpy(hi, u->hi, sizeof(double) * u->d);
  return 0;
}

int mlps_emu_error_model(const mlps_emu *u, double *frac_mean, double *frac_cov) {
  if (!u || !u->has_err) return -1;
  if (frac_mean) memcpy(frac_mean, u->frac_mean, sizeof(double) * u->m);
  if (frac_cov) memcpy(frac_cov, u->frac_cov, sizeof(double) * u->m * u->m);
  return 0;
}

/* ---- prediction ---- */

/* Helpers inlined into each kernel, so they are compiled for its ISA. */
#if defined(__GNUC__) || defined(__clang__)
#define EMU_INLINE inline __attribute__((always_inline))
#else
#define EMU_INLINE inline
#endif

static EMU_INLINE double emu_exp(double x);

static EMU_INLINE double act1(int a, double z) {
  switch (a) {
    case A_RELU: return z < 0 ? 0 : z;
    case A_LEAKY: return z < 0 ? 0.01 * z : z;
    case A_ELU: return z > 0 ? z : expm1(z);
    case A_SELU:
      return 1.0507009873554804934193349852946 *
             (z > 0 ? z : 1.6732632423543772848170429916717 * expm1(z));
    case A_GELU: return z * 0.5 * erfc(-z * 0.70710678118654752440);
    case A_SWISH: return z / (1.0 + emu_exp(-z));
    case A_SIGMOID: return 1.0 / (1.0 + emu_exp(-z));
    case A_TANH: return tanh(z);
    default: return z;
  }
}

/* exp for the swish and sigmoid loops, in a form GCC vectorises (libm's exp
 * is a call per value, most of a small network's time): Cody-Waite
 * reduction x = k ln2 + r, |r| <= ln2/2, a degree-12 Taylor polynomial
 * (truncation < 2e-16 relative) and 2^k added to the exponent bits. x is
 * clamped to [-700, 700], where swish and sigmoid are saturated anyway. */
static EMU_INLINE double emu_exp(double x) {
  x = x < -700.0 ? -700.0 : x > 700.0 ? 700.0 : x;
  const double shifter = 0x1.8p52;
  double kb = x * 1.4426950408889634 + shifter, k = kb - shifter;
  double r = x - k * 6.93147180369123816490e-01 - k * 1.90821492927058770002e-10;
  /* Estrin's scheme: 4 dependent multiply-adds instead of Horner's 12 (the
   * activation loops are latency-bound) */
  double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  double q0 = 1.0 + r, q1 = 0.5 + r * (1.0 / 6), q2 = 1.0 / 24 + r * (1.0 / 120);
  double q3 = 1.0 / 720 + r * (1.0 / 5040), q4 = 1.0 / 40320 + r * (1.0 / 362880);
  double q5 = 1.0 / 3628800 + r * (1.0 / 39916800);
  double s0 = q0 + r2 * q1, s1 = q2 + r2 * q3, s2 = q4 + r2 * q5;
  double p = (s0 + r4 * s1) + r8 * (s2 + r4 * (1.0 / 479001600));
  uint64_t pb, kbits;
  memcpy(&pb, &p, sizeof pb);
  memcpy(&kbits, &kb, sizeof kbits);
  pb += kbits << 52; /* kb's low mantissa bits hold k (two's complement) */
  memcpy(&p, &pb, sizeof p);
  return p;
}

static EMU_INLINE void act_row(int a, double *restrict y, int n) {
  switch (a) {
    case A_SWISH:
      for (int o = 0; o < n; o++) y[o] = y[o] / (1.0 + emu_exp(-y[o]));
      break;
    case A_SIGMOID:
      for (int o = 0; o < n; o++) y[o] = 1.0 / (1.0 + emu_exp(-y[o]));
      break;
    case A_RELU:
      for (int o = 0; o < n; o++) y[o] = y[o] < 0 ? 0 : y[o];
      break;
    default:
      for (int o = 0; o < n; o++) y[o] = act1(a, y[o]);
  }
}

/* y (no, written in whole blocks of OB: the caller's scratch is padded) =
 * b + W x, W packed in blocks of OB outputs (see the top). */
#define EMU_DENSE(NAME, ATTR, T, OB)                                                               \
  ATTR static EMU_INLINE void NAME(const T *restrict W, const double *restrict b,                  \
                                   const double *restrict x, int ni, int no, double *restrict y) { \
    for (int o0 = 0; o0 < no; o0 += OB, b += OB, y += OB) {                                        \
      double acc[OB];                                                                              \
      for (int k = 0; k < OB; k++) acc[k] = b[k];                                                  \
      for (int i = 0; i < ni; i++, W += OB) {                                                      \
        double xi = x[i];                                                                          \
        for (int k = 0; k < OB; k++) acc[k] += xi * (double)W[k];                                  \
      }                                                                                            \
      for (int k = 0; k < OB; k++) y[k] = acc[k];                                                  \
    }                                                                                              \
  }

/* A member's forward pass (emu_forward_fn) built on the dense kernels of
 * one ISA with OB outputs per block. */
#define EMU_FORWARD(SUF, ATTR, OB)                                                           \
  EMU_DENSE(dense_d_##SUF, ATTR, double, OB)                                                 \
  ATTR static void exp_row_##SUF(const double *restrict v, int n, double *restrict y) {      \
    for (int j = 0; j < n; j++) y[j] = emu_exp(v[j]);                                        \
    for (int j = 0; j < n; j++) /* beyond emu_exp's clamp, and NaN */                        \
      if (!(fabs(v[j]) < 700.0)) y[j] = exp(v[j]);                                           \
  }                                                                                          \
  ATTR static void forward_##SUF(const emu_member *mb, const double *x, double *restrict h0, \
                                 double *restrict h1, double *restrict out) {                \
    const double *in = x;                                                                    \
    for (int l = 0; l < mb->n_layers; l++) {                                                 \
      int ni = mb->sizes[l], no = mb->sizes[l + 1], last = l == mb->n_layers - 1;            \
      double *y = last ? out : (l & 1 ? h1 : h0);                                            \
      if (mb->f32[l]) dense_f_##SUF(mb->W[l], mb->b[l], in, ni, no, y);                      \
      else dense_d_##SUF(mb->W[l], mb->b[l], in, ni, no, y);                                 \
      if (!last) act_row(mb->act, y, no);                                                    \
      in = y;                                                                                \
    }                                                                                        \
  }

/* OB: 8 vector accumulators of the ISA (independent FMA chains, enough to
 * hide the FMA latency at two FMAs per cycle), leaving registers for the
 * weights and the broadcast input. SSE2 has no FMA: multiply and add. */
EMU_DENSE(dense_f_base, , float, 16)
EMU_FORWARD(base, , 16)
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EMU_X86 1
#ifdef __clang__
#define EMU_ATTR_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
#else /* GCC's default for these CPUs is 256-bit vectors; the kernel wants 512 */
#define EMU_ATTR_AVX512 \
  __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma,prefer-vector-width=512")))
#endif
#define EMU_ATTR_AVX2 __attribute__((target("avx2,fma")))
EMU_DENSE(dense_f_avx2, EMU_ATTR_AVX2, float, 32)
EMU_FORWARD(avx2, EMU_ATTR_AVX2, 32)
#ifdef EMU_PLAIN512
EMU_DENSE(dense_f_avx512, EMU_ATTR_AVX512, float, 64)
#else
#include <immintrin.h>
/* EMU_DENSE for float32 weights, written out: GCC loads 16 floats and
 * splits them (an extract per pair of conversions); converting straight
 * from memory saves those shuffles, and the conversions are what bounds
 * this loop. */
EMU_ATTR_AVX512 static EMU_INLINE void dense_f_avx512(const float *restrict W,
                                                      const double *restrict b,
                                                      const double *restrict x, int ni, int no,
                                                      double *restrict y) {
  for (int o0 = 0; o0 < no; o0 += 64, b += 64, y += 64) {
    __m512d a[8];
    for (int k = 0; k < 8; k++) a[k] = _mm512_loadu_pd(b + 8 * k);
    for (int i = 0; i < ni; i++, W += 64) {
      __m512d xi = _mm512_set1_pd(x[i]);
      for (int k = 0; k < 8; k++)
        a[k] = _mm512_fmadd_pd(xi, _mm512_cvtps_pd(_mm256_loadu_ps(W + 8 * k)), a[k]);
    }
    for (int k = 0; k < 8; k++) _mm512_storeu_pd(y + 8 * k, a[k]);
  }
}
#endif
EMU_FORWARD(avx512, EMU_ATTR_AVX512, 64)
#else
#define EMU_X86 0
#endif

/* The kernel for this CPU (its features as the OS enables them), capped by
 * the open flags. Sets the block width the layers are packed with. */
static void emu_pick(mlps_emu *u, unsigned flags) {
  u->fwd = forward_base, u->exp_row = exp_row_base, u->ob = 16, u->kernel = "baseline";
#if EMU_X86
  if (flags & MLPS_EMU_BASELINE) return;
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return;
  u->fwd = forward_avx2, u->exp_row = exp_row_avx2, u->ob = 32, u->kernel = "avx2";
  if (flags & MLPS_EMU_NO_AVX512) return;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw"))
    u->fwd = forward_avx512, u->exp_row = exp_row_avx512, u->ob = 64, u->kernel = "avx512";
#else
  (void)flags;
#endif
}

static inline double outer_fwd(const emu_outer *t, double x) {
  for (int k = 0; k < t->n; k++) {
    double g = t->g[k] == G_LOG ? log(x) : t->g[k] == G_LOG10 ? log10(x) : x;
    x = (g - t->shift[k]) / t->scale[k];
  }
  return x;
}

static inline double outer_inv(const emu_outer *t, double y) {
  for (int k = t->n - 1; k >= 0; k--) {
    double v = y * t->scale[k] + t->shift[k];
    y = t->g[k] == G_LOG ? exp(v) : t->g[k] == G_LOG10 ? pow(10.0, v) : v;
  }
  return y;
}

/* z (m, the last layer's output; times s, the 1/members of a mean) -> y in
 * data units: the output's affine stages, then the outer ones. v: scratch. */
static void emu_finish(const mlps_emu *u, const double *z, double s, double *v, double *y) {
  size_t m = u->m;
  if (u->out_exp) {
    for (size_t j = 0; j < m; j++) v[j] = u->ya[j] * (z[j] * s) + u->yc[j];
    u->exp_row(v, (int)m, y);
  } else {
    for (size_t j = 0; j < m; j++) y[j] = outer_inv(&u->yo[j], u->ya[j] * (z[j] * s) + u->yc[j]);
  }
}

/* Shared by predict and predict_members: members == 1 writes each member. */
static int emu_run(const mlps_emu *u, size_t n, const double *x, double *y, int members) {
  if (!u || (n && (!x || !y))) return -1;
  size_t d = u->d, m = u->m, w = (size_t)u->max_width + EMU_PAD;
  /* stack: no allocation per call (w <= MLPS_EMU_MAX_WIDTH + EMU_PAD); the
   * layers write whole blocks, hence the padding and z for the last one */
  double scratch[4 * w + d];
  double *h0 = scratch, *h1 = scratch + w, *z = scratch + 2 * w, *acc = scratch + 3 * w;
  double *xs = scratch + 4 * w;
  size_t outside = 0;
  for (size_t r = 0; r < n; r++) {
    const double *xr = x + r * d;
    int out = 0;
    for (size_t j = 0; j < d; j++) {
      if (u->has_box && !(xr[j] >= u->lo[j] && xr[j] <= u->hi[j])) out = 1;
      xs[j] = outer_fwd(&u->xo[j], xr[j]);
    }
    outside += (size_t)out;
    if (members) {
      for (int k = 0; k < u->n_members; k++) {
        double *yk = y + (r * (size_t)u->n_members + (size_t)k) * m;
        u->fwd(&u->mem[k], xs, h0, h1, z);
        emu_finish(u, z, 1.0, acc, yk);
      }
      continue;
    }
    double *yr = y + r * m;
    /* The (weighted) mean of the members in the folded space; the output
     * affine stage and the outer transforms follow it (emu_finish). */
    u->fwd(&u->mem[0], xs, h0, h1, acc);
    if (u->weighted)
      for (size_t j = 0; j < m; j++) acc[j] *= u->mem[0].weight;
    for (int k = 1; k < u->n_members; k++) {
      u->fwd(&u->mem[k], xs, h0, h1, z);
      double wk = u->weighted ? u->mem[k].weight : 1.0;
      for (size_t j = 0; j < m; j++) acc[j] += wk * z[j];
    }
    emu_finish(u, acc, u->weighted ? 1.0 : 1.0 / u->n_members, z, yr);
  }
  return outside > INT_MAX ? INT_MAX : (int)outside;
}

int mlps_emu_predict(const mlps_emu *u, size_t n, const double *x, double *y) {
  return emu_run(u, n, x, y, 0);
}

int mlps_emu_predict_members(const mlps_emu *u, size_t n, const double *x, double *y_members) {
  return emu_run(u, n, x, y_members, 1);
}
