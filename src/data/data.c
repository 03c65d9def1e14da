/* Loader and validator of X (n, d) and Y (n, m): see data.h.
 *
 * The loader works in three steps so that the node-shared version can put
 * collective agreement points between them: open_check (open file and
 * datasets, check types, shapes, selections and memory; nothing big is
 * allocated), then read_into (read row blocks as double, check every selected
 * value is finite and fits float32, store float32), then close. Reading in
 * blocks of whole rows (a multiple of the chunk height for chunked data) keeps
 * the temporary buffer small and decompresses every chunk once, and lets the
 * column selection take any order. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "data/data.h"

#include <ctype.h>
#include <stdarg.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "data/colspec.h"
#include "data/h5.h"
#include "data/noise.h"
#include "util/agree.h"

#define BLOCK_BYTES ((size_t)8 << 20) /* temporary read buffer per block of rows */

typedef struct {
  hid_t fid, did[2];     /* file; datasets X, Y */
  const char *dname[2];  /* dataset names as given */
  size_t n_file, n;      /* rows in file, rows to load */
  size_t cols_file[2];   /* columns in file */
  int64_t *cols[2];      /* selected file columns */
  size_t ncols[2];       /* number selected */
  char **names[2];       /* selected column names, or NULL */
  hsize_t chunk_rows[2]; /* 0 = contiguous */
  char dtype[2][32];
  int nd;              /* 1 (inputs only) or 2 */
  uint64_t file_bytes; /* size of the file */
  size_t block_bytes;  /* read buffer target (data_spec.read_block_bytes) */
  data_hash hash[2];   /* of X and Y as read, value by value */
} opened;

const char *data_fmt_bytes(double b, char *buf, size_t bufsize) {
  const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int i = 0;
  while (b >= 1024 && i < 5) {
    b /= 1024;
    i++;
  }
  if (i == 0) snprintf(buf, bufsize, "%.0f B", b);
  else snprintf(buf, bufsize, "%.*f %s", b < 10 ? 2 : 1, b, u[i]);
  return buf;
}

static int read_u64_file(const char *path, unsigned long long *v) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[64] = "";
  int ok = fgets(line, sizeof line, f) != NULL;
  fclose(f);
  if (!ok || strncmp(line, "max", 3) == 0) return 0;
  char *end;
  *v = strtoull(line, &end, 10);
  return end != line;
}

size_t data_mem_available(void) {
  unsigned long long avail = ULLONG_MAX;
  FILE *f = fopen("/proc/meminfo", "r");
  if (f) {
    char line[256];
    while (fgets(line, sizeof line, f)) {
      unsigned long long kb;
      if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
        avail = kb * 1024ull;
        break;
      }
    }
    fclose(f);
  }
  unsigned long long max, cur;
  /* cgroup v2, then v1: a batch job's limit is often far below the node's. */
  if (read_u64_file("/sys/fs/cgroup/memory.max", &max) &&
      read_u64_file("/sys/fs/cgroup/memory.current", &cur)) {
    unsigned long long left = max > cur ? max - cur : 0;
    if (left < avail) avail = left;
  } else if (read_u64_file("/sys/fs/cgroup/memory/memory.limit_in_bytes", &max) &&
             read_u64_file("/sys/fs/cgroup/memory/memory.usage_in_bytes", &cur) &&
             max < (1ull << 60)) {
    unsigned long long left = max > cur ? max - cur : 0;
    if (left < avail) avail = left;
  }
  /* ulimit -v: what the limit leaves of the address space (VmSize). */
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    unsigned long long vm = 0;
    FILE *st = fopen("/proc/self/status", "r");
    if (st) {
      char line[256];
      while (fgets(line, sizeof line, st))
        if (sscanf(line, "VmSize: %llu kB", &vm) == 1) break;
      fclose(st);
    }
    unsigned long long lim = (unsigned long long)rl.rlim_cur,
                       left = lim > vm * 1024ull ? lim - vm * 1024ull : 0;
    if (left < avail) avail = left;
  }
  return avail > SIZE_MAX ? SIZE_MAX : (size_t)avail;
}

/* ---- content checksum ------------------------------------------------- */

#define HASH_MUL 0x9E3779B97F4A7C15ull /* odd: multiplying by it is a bijection */

/* splitmix64's finaliser: every input bit affects every output bit. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* For a fixed word w, h -> step(h, w) is a bijection (xor, odd multiply,
 * xorshift), so a change in one word always changes the state after it and
 * every later state: one changed value always changes the checksum. The
 * xorshift folds the high bits down, so that changes reach the low bits
 * that later multiplications spread. */
static inline uint64_t hash_step(uint64_t h, uint64_t w) {
  h = (h ^ w) * HASH_MUL;
  return h ^ (h >> 32);
}

static inline uint32_t float_bits(const float *v) {
  uint32_t u;
  memcpy(&u, v, sizeof u);
  return u;
}

void data_hash_init(data_hash *s) {
  s->h[0] = 0x6A09E667F3BCC908ull;
  s->h[1] = 0xBB67AE8584CAA73Bull;
  s->count = 0;
  s->half = 0;
}

static inline uint64_t pair_word(const float *v) {
  return (uint64_t)float_bits(v) | (uint64_t)float_bits(v + 1) << 32;
}

/* Values are mixed two at a time (a 64-bit word), word k into lane k % 2:
 * two independent chains run at once (measured 1.9 -> 1.2 ns per value
 * against one chain, data/README.md). Words and lanes follow the position
 * in the stream, not in the call, so the result does not depend on how the
 * values are split into calls (read blocks, chunks). */
void data_hash_floats(data_hash *s, const float *v, size_t n) {
  size_t i = 0;
  uint64_t c = s->count;
  if ((c & 1) && n) { /* complete the pending word */
    s->h[(c >> 1) & 1] =
        hash_step(s->h[(c >> 1) & 1], (uint64_t)s->half | (uint64_t)float_bits(v) << 32);
    i = 1;
    c++;
  }
  if (((c >> 1) & 1) && i + 1 < n) { /* align to lane 0 */
    s->h[1] = hash_step(s->h[1], pair_word(v + i));
    i += 2;
    c += 2;
  }
  uint64_t h0 = s->h[0], h1 = s->h[1];
  for (; i + 3 < n; i += 4, c += 4) {
    h0 = hash_step(h0, pair_word(v + i));
    h1 = hash_step(h1, pair_word(v + i + 2));
  }
  if (i + 1 < n) {
    h0 = hash_step(h0, pair_word(v + i));
    i += 2;
    c += 2;
  }
  if (i < n) {
    s->half = float_bits(v + i);
    c++;
  }
  s->h[0] = h0;
  s->h[1] = h1;
  s->count = c;
}

uint64_t data_hash_final(const data_hash *s) {
  uint64_t h[2] = {s->h[0], s->h[1]};
  if (s->count & 1) h[(s->count >> 1) & 1] = hash_step(h[(s->count >> 1) & 1], s->half);
  return mix64(mix64(h[0] ^ s->count * HASH_MUL) ^ h[1]);
}

static uint64_t checksum_combine(uint64_t hx, uint64_t hy, uint64_t n, uint64_t d, uint64_t m) {
  uint64_t h = mix64(hx ^ 0x3C6EF372FE94F82Bull);
  h = mix64(h ^ hy);
  h = mix64(h ^ n);
  h = mix64(h ^ d);
  return mix64(h ^ m);
}

uint64_t data_checksum(const float *X, size_t n, size_t d, const float *Y, size_t m) {
  data_hash hx, hy;
  data_hash_init(&hx);
  data_hash_init(&hy);
  data_hash_floats(&hx, X, n * d);
  if (Y) data_hash_floats(&hy, Y, n * m);
  return checksum_combine(data_hash_final(&hx), data_hash_final(&hy), n, d, Y ? m : 0);
}

const char *data_checksum_hex(uint64_t c, char *buf) {
  snprintf(buf, 17, "%016llx", (unsigned long long)c);
  return buf;
}

int data_checksum_parse(const char *s, uint64_t *c) {
  if (!s) return -1;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
  uint64_t v = 0;
  int k = 0;
  for (; s[k]; k++) {
    int x = isdigit((unsigned char)s[k])   ? s[k] - '0'
            : (s[k] >= 'a' && s[k] <= 'f') ? s[k] - 'a' + 10
            : (s[k] >= 'A' && s[k] <= 'F') ? s[k] - 'A' + 10
                                           : -1;
    if (x < 0 || k >= 16) return -1;
    v = v << 4 | (uint64_t)x;
  }
  if (k != 16) return -1;
  *c = v;
  return 0;
}

static void close_opened(opened *o) {
  for (int k = 0; k < 2; k++) {
    if (o->did[k] > 0) H5Dclose(o->did[k]);
    free(o->cols[k]);
    h5_free_strings(o->names[k], o->ncols[k]);
    o->did[k] = -1;
    o->cols[k] = NULL;
    o->names[k] = NULL;
  }
  if (o->fid > 0) H5Fclose(o->fid);
  o->fid = -1;
}

/* Opens and checks one dataset: numeric, rank 2, at least one row and column. */
static int check_dataset(opened *o, int k, const char *path, mlps_err *e) {
  const char *name = o->dname[k];
  MLPS_TRY(h5_open_dataset(o->fid, path, name, &o->did[k], e));
  hid_t t = H5Dget_type(o->did[k]), s = H5Dget_space(o->did[k]), p = H5Dget_create_plist(o->did[k]);
  H5T_class_t c = H5Tget_class(t);
  h5_type_name(t, o->dtype[k], sizeof o->dtype[k]);
  int r = H5Sget_simple_extent_ndims(s);
  hsize_t dims[32] = {0};
  if (r > 0 && r <= 32) H5Sget_simple_extent_dims(s, dims, NULL);
  if (H5Pget_layout(p) == H5D_CHUNKED) {
    hsize_t cd[32] = {0};
    if (H5Pget_chunk(p, 32, cd) >= 1) o->chunk_rows[k] = cd[0];
  }
  H5Pclose(p);
  H5Sclose(s);
  H5Tclose(t);
  if (c != H5T_FLOAT && c != H5T_INTEGER)
    return mlps_errorf(e, MLPS_EINPUT,
                       "%s: dataset '%s' has type %s; expected float32 or float64 numbers", path,
                       name, o->dtype[k]);
  if (r != 2) {
    char shape[128] = "";
    int q = 0;
    for (int i = 0; i < r && i < 32 && q < 100; i++)
      q += snprintf(shape + q, sizeof shape - (size_t)q, "%s%llu", i ? ", " : "",
                    (unsigned long long)dims[i]);
    return mlps_errorf(
        e, MLPS_EINPUT,
        "%s: dataset '%s' has rank %d (shape (%s)); expected a 2-D (rows, columns) dataset%s", path,
        name, r, shape,
        r == 1 ? " (for one column, reshape it to (n, 1), e.g. h5py: f.create_dataset(name, "
                 "data=a.reshape(-1, 1)))"
               : "");
  }
  if (dims[1] == 0)
    return mlps_errorf(e, MLPS_EINPUT, "%s: dataset '%s' has shape (%llu, 0): no columns", path,
                       name, (unsigned long long)dims[0]);
  o->cols_file[k] = (size_t)dims[1];
  if (k == 0) o->n_file = (size_t)dims[0];
  else if ((size_t)dims[0] != o->n_file)
    return mlps_errorf(e, MLPS_EINPUT,
                       "%s: row counts differ: inputs '%s' has %zu rows but targets '%s' has %llu; "
                       "row i of both must "
                       "be the same example",
                       path, o->dname[0], o->n_file, name, (unsigned long long)dims[0]);
  return MLPS_OK;
}

/* Checks the selection of dataset k and sets ncols[k], allocating nothing. */
static int count_columns(opened *o, int k, const char *spec, const char *what, const char *path,
                         mlps_err *e) {
  int64_t n = 0;
  int rc = colspec_count(spec, (int64_t)o->cols_file[k], what, &n, e);
  if (rc)
    return mlps_err_prefix(e, "%s: dataset '%s' (%zu columns)", path, o->dname[k], o->cols_file[k]);
  o->ncols[k] = (size_t)n;
  return MLPS_OK;
}

/* Fills cols[k] and names[k]; after count_columns and the memory check. */
static int select_columns(opened *o, int k, const char *spec, const char *what, const char *path,
                          mlps_err *e) {
  int64_t n = 0;
  int rc = colspec_parse(spec, (int64_t)o->cols_file[k], what, &o->cols[k], &n, e);
  if (rc)
    return mlps_err_prefix(e, "%s: dataset '%s' (%zu columns)", path, o->dname[k], o->cols_file[k]);
  o->ncols[k] = (size_t)n;
  /* Column names, when the dataset has a "names" attribute of the right length. */
  char **all = NULL;
  size_t na = 0;
  mlps_err ignore;
  if (h5_read_attr_strs(o->did[k], ".", "names", &all, &na, &ignore) == MLPS_OK) {
    if (na == o->cols_file[k]) {
      o->names[k] = mlps_xcalloc(o->ncols[k] ? o->ncols[k] : 1, sizeof(char *));
      for (size_t j = 0; j < o->ncols[k]; j++) o->names[k][j] = mlps_xstrdup(all[o->cols[k][j]]);
    }
    h5_free_strings(all, na);
  }
  return MLPS_OK;
}

/* Rows per read block of dataset k: about BLOCK_BYTES of doubles, rounded
 * to whole chunks so each chunk is decompressed once, unless the chunks are
 * so tall that one would need a huge buffer (then a chunk may be decompressed
 * once per block: slower, still correct). */
static size_t block_rows(const opened *o, int k) {
  size_t cf = o->cols_file[k];
  size_t block_bytes = o->block_bytes ? o->block_bytes : BLOCK_BYTES;
  size_t block = block_bytes / (cf * sizeof(double));
  if (block < 1) block = 1;
  hsize_t ch = o->chunk_rows[k];
  if (ch > 0 && (double)ch * (double)cf * sizeof(double) <= 8.0 * (double)block_bytes)
    block = block < ch ? (size_t)ch : block / ch * ch;
  if (block > o->n) block = o->n;
  return block;
}

static int open_check(const data_spec *spec, opened *o, mlps_err *e) {
  memset(o, 0, sizeof *o);
  o->fid = o->did[0] = o->did[1] = -1;
  const char *path = spec->path ? spec->path : "";
  o->dname[0] = spec->inputs && spec->inputs[0] ? spec->inputs : "X";
  o->dname[1] = spec->targets && spec->targets[0] ? spec->targets : "Y";
  o->nd = spec->inputs_only ? 1 : 2;
  o->block_bytes = spec->read_block_bytes;
  if (!path[0]) return mlps_errorf(e, MLPS_EINPUT, "no data file given (data.path)");
  int rc = h5_open_read(path, &o->fid, e);
  for (int k = 0; !rc && k < o->nd; k++) rc = check_dataset(o, k, path, e);
  if (!rc) rc = count_columns(o, 0, spec->input_columns, "input_columns", path, e);
  if (!rc && o->nd == 2) rc = count_columns(o, 1, spec->target_columns, "target_columns", path, e);
  if (rc) {
    close_opened(o);
    return rc;
  }
  o->n = o->n_file;
  if (spec->max_rows > 0 && (size_t)spec->max_rows < o->n) o->n = (size_t)spec->max_rows;
  if (o->n == 0) {
    close_opened(o);
    return mlps_errorf(e, MLPS_EINPUT, "%s: dataset '%s' has 0 rows; nothing to train on", path,
                       o->dname[0]);
  }
  /* Memory: X and Y as float32, plus the transient read buffer and the
   * column lists, checked before anything sized by the file is allocated
   * (a file may claim a billion columns it never wrote). */
  double need = (double)o->n * (double)(o->ncols[0] + (o->nd == 2 ? o->ncols[1] : 0)) * 4.0;
  double buf = 0;
  for (int k = 0; k < o->nd; k++) {
    double b = (double)block_rows(o, k) * (double)o->cols_file[k] * sizeof(double);
    if (b > buf) buf = b;
  }
  buf += (double)(o->ncols[0] + o->ncols[1]) * (sizeof(int64_t) + sizeof(char *));
  double have = spec->mem_limit ? (double)spec->mem_limit : (double)data_mem_available();
  if (need + buf > have) {
    char b1[32], b2[32], b3[32];
    close_opened(o);
    char what[600];
    if (o->nd == 2)
      snprintf(what, sizeof what,
               "%zu rows of inputs '%s' (%zu columns) and targets '%s' (%zu columns)", o->n,
               o->dname[0], o->ncols[0], o->dname[1], o->ncols[1]);
    else
      snprintf(what, sizeof what, "%zu rows of inputs '%s' (%zu columns)", o->n, o->dname[0],
               o->ncols[0]);
    /* Whole file rows are read, so a narrow selection of a very wide
     * dataset may fit while its read buffer does not: fewer rows would not
     * help then. */
    const char *fix =
        need <= have
            ? "blocks of whole file rows are read (float64), so put the columns you use in a "
              "dataset of their own, or use a node with more memory"
            : "load less with data.max_rows or column selections, or use a node with more memory";
    return mlps_errorf(
        e, MLPS_EINPUT, "%s: %s need %s as float32 (plus %s while loading), but only %s %s; %s",
        path, what, data_fmt_bytes(need, b1, sizeof b1), data_fmt_bytes(buf, b3, sizeof b3),
        data_fmt_bytes(have, b2, sizeof b2),
        spec->mem_limit ? "are allowed (memory limit)" : "are available on this node", fix);
  }
  rc = select_columns(o, 0, spec->input_columns, "input_columns", path, e);
  if (!rc && o->nd == 2) rc = select_columns(o, 1, spec->target_columns, "target_columns", path, e);
  if (rc) {
    close_opened(o);
    return rc;
  }
  struct stat st;
  o->file_bytes = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
  return MLPS_OK;
}

/* Reads rows [0, n) of dataset k, selected columns, into dst (n, ncols). */
static int read_matrix(opened *o, int k, const char *path, float *dst, mlps_err *e) {
  size_t cf = o->cols_file[k], nc = o->ncols[k];
  size_t block = block_rows(o, k);
  /* mmap rather than malloc: munmap returns the pages at once, so the
   * buffer does not stay resident in the heap next to the data. */
  size_t buf_bytes = block * cf * sizeof(double);
  double *buf = mmap(NULL, buf_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf == MAP_FAILED) {
    char b[32];
    return mlps_errorf(e, MLPS_ERUNTIME, "%s: out of memory for a read buffer of %s", path,
                       data_fmt_bytes((double)(block * cf * sizeof *buf), b, sizeof b));
  }
  int rc = MLPS_OK;
  const int64_t *cols = o->cols[k];
  data_hash_init(&o->hash[k]);
  for (size_t r0 = 0; r0 < o->n && !rc; r0 += block) {
    size_t nr = o->n - r0 < block ? o->n - r0 : block;
    rc = h5_read_rows(o->did[k], r0, nr, cf, buf, path, o->dname[k], e);
    for (size_t i = 0; i < nr && !rc; i++) {
      const double *row = buf + i * cf;
      float *out = dst + (r0 + i) * nc;
      for (size_t j = 0; j < nc; j++) {
        double v = row[cols[j]];
        if (!isfinite(v) || fabs(v) > FLT_MAX) {
          char col[64];
          if (cols[j] != (int64_t)j)
            snprintf(col, sizeof col, "column %zu (file column %lld)", j, (long long)cols[j]);
          else snprintf(col, sizeof col, "column %zu", j);
          rc = mlps_errorf(
              e, MLPS_EINPUT, "%s: dataset '%s': %s at row %zu, %s; %s", path, o->dname[k],
              isnan(v)   ? "NaN"
              : isinf(v) ? (v > 0 ? "+Inf" : "-Inf")
                         : "value too large for float32",
              r0 + i, col,
              isfinite(v) ? "rescale the column (e.g. store its log)"
                          : "remove or fix that row before training (every value must be finite)");
          break;
        }
        out[j] = (float)v;
      }
      /* the row is still in cache: no second pass over the data */
      if (!rc) data_hash_floats(&o->hash[k], out, nc);
    }
  }
  munmap(buf, buf_bytes);
  return rc;
}

static size_t y_offset(const opened *o) {
  /* Y starts on a 64-byte boundary after X. */
  size_t xb = o->n * o->ncols[0] * sizeof(float);
  return (xb + 63) / 64 * 64;
}

static size_t total_bytes(const opened *o) {
  return o->nd == 2 ? y_offset(o) + o->n * o->ncols[1] * sizeof(float)
                    : o->n * o->ncols[0] * sizeof(float);
}

static int read_into(opened *o, const char *path, void *base, mlps_err *e) {
  MLPS_TRY(read_matrix(o, 0, path, (float *)base, e));
  if (o->nd == 2) MLPS_TRY(read_matrix(o, 1, path, (float *)((char *)base + y_offset(o)), e));
  return MLPS_OK;
}

/* The checksum of what read_into read (reader ranks only). */
static uint64_t opened_checksum(const opened *o) {
  data_hash empty;
  data_hash_init(&empty);
  return checksum_combine(data_hash_final(&o->hash[0]),
                          data_hash_final(o->nd == 2 ? &o->hash[1] : &empty), o->n, o->ncols[0],
                          o->nd == 2 ? o->ncols[1] : 0);
}

/* Moves metadata (columns, names) from o into ds and points X, Y at base. */
static void fill_set(opened *o, const data_spec *spec, data_set *ds, void *base) {
  ds->n = o->n;
  ds->d = o->ncols[0];
  ds->m = o->nd == 2 ? o->ncols[1] : 0;
  ds->n_file = o->n_file;
  ds->d_file = o->cols_file[0];
  ds->m_file = o->nd == 2 ? o->cols_file[1] : 0;
  ds->x_cols = o->cols[0];
  ds->y_cols = o->cols[1];
  ds->x_names = o->names[0];
  ds->y_names = o->names[1];
  o->cols[0] = o->cols[1] = NULL;
  o->names[0] = o->names[1] = NULL;
  snprintf(ds->path, sizeof ds->path, "%s", spec->path);
  snprintf(ds->inputs, sizeof ds->inputs, "%s", o->dname[0]);
  snprintf(ds->targets, sizeof ds->targets, "%s", o->nd == 2 ? o->dname[1] : "");
  snprintf(ds->x_dtype, sizeof ds->x_dtype, "%s", o->dtype[0]);
  snprintf(ds->y_dtype, sizeof ds->y_dtype, "%s", o->nd == 2 ? o->dtype[1] : "");
  ds->bytes = total_bytes(o);
  ds->file_bytes = o->file_bytes;
  ds->checksum = opened_checksum(o);
  ds->X = (const float *)base;
  ds->Y = o->nd == 2 ? (const float *)((char *)base + y_offset(o)) : NULL;
}

int data_load(const data_spec *spec, data_set *ds, mlps_err *e) {
  memset(ds, 0, sizeof *ds);
  ds->win_ = MPI_WIN_NULL;
  ds->node_ = MPI_COMM_NULL;
  h5_quiet();
  opened o;
  MLPS_TRY(open_check(spec, &o, e));
  size_t bytes = total_bytes(&o);
  void *mem = malloc(bytes);
  if (!mem) {
    char b[32];
    close_opened(&o);
    return mlps_errorf(e, MLPS_ERUNTIME, "%s: out of memory allocating %s for the data", spec->path,
                       data_fmt_bytes((double)bytes, b, sizeof b));
  }
  int rc = read_into(&o, spec->path, mem, e);
  if (rc) {
    free(mem);
    close_opened(&o);
    return rc;
  }
  fill_set(&o, spec, ds, mem);
  ds->mem_ = mem;
  close_opened(&o);
  rc = noise_load(MPI_COMM_NULL, MPI_COMM_NULL, spec, ds, e);
  if (rc) data_free(ds);
  return rc;
}

void data_free(data_set *ds) {
  if (!ds) return;
  noise_free(ds);
  if (ds->shared_) {
    MPI_Win_free(&ds->win_);
    MPI_Comm_free(&ds->node_);
  }
  free(ds->mem_);
  free(ds->x_cols);
  free(ds->y_cols);
  h5_free_strings(ds->x_names, ds->d);
  h5_free_strings(ds->y_names, ds->m);
  memset(ds, 0, sizeof *ds);
  ds->win_ = MPI_WIN_NULL;
  ds->node_ = MPI_COMM_NULL;
}

/* ---- node-shared loading ---------------------------------------------- */

/* Packs what other ranks need to rebuild `opened`'s metadata. */
typedef struct {
  uint64_t n, n_file, cols_file[2], ncols[2];
  int32_t nd, has_names[2];
  char dtype[2][32];
} meta_hdr;

static char *pack_meta(const opened *o, size_t *len) {
  meta_hdr h;
  memset(&h, 0, sizeof h);
  h.n = o->n;
  h.n_file = o->n_file;
  h.nd = o->nd;
  size_t sz = sizeof h;
  for (int k = 0; k < 2; k++) {
    h.cols_file[k] = o->cols_file[k];
    h.ncols[k] = o->ncols[k];
    h.has_names[k] = o->names[k] != NULL;
    memcpy(h.dtype[k], o->dtype[k], sizeof h.dtype[k]);
    sz += o->ncols[k] * sizeof(int64_t);
    if (o->names[k])
      for (size_t j = 0; j < o->ncols[k]; j++) sz += strlen(o->names[k][j]) + 1;
  }
  char *buf = mlps_xmalloc(sz), *p = buf;
  memcpy(p, &h, sizeof h);
  p += sizeof h;
  for (int k = 0; k < 2; k++) {
    if (o->ncols[k]) memcpy(p, o->cols[k], o->ncols[k] * sizeof(int64_t));
    p += o->ncols[k] * sizeof(int64_t);
    if (o->names[k])
      for (size_t j = 0; j < o->ncols[k]; j++) {
        size_t l = strlen(o->names[k][j]) + 1;
        memcpy(p, o->names[k][j], l);
        p += l;
      }
  }
  *len = sz;
  return buf;
}

static void unpack_meta(const char *buf, opened *o) {
  meta_hdr h;
  memcpy(&h, buf, sizeof h);
  const char *p = buf + sizeof h;
  o->n = h.n;
  o->n_file = h.n_file;
  o->nd = h.nd;
  for (int k = 0; k < 2; k++) {
    o->cols_file[k] = h.cols_file[k];
    o->ncols[k] = h.ncols[k];
    memcpy(o->dtype[k], h.dtype[k], sizeof o->dtype[k]);
    o->cols[k] = mlps_xmalloc((o->ncols[k] ? o->ncols[k] : 1) * sizeof(int64_t));
    if (o->ncols[k]) memcpy(o->cols[k], p, o->ncols[k] * sizeof(int64_t));
    p += o->ncols[k] * sizeof(int64_t);
    if (h.has_names[k]) {
      o->names[k] = mlps_xcalloc(o->ncols[k] ? o->ncols[k] : 1, sizeof(char *));
      for (size_t j = 0; j < o->ncols[k]; j++) {
        o->names[k][j] = mlps_xstrdup(p);
        p += strlen(p) + 1;
      }
    }
  }
  if (!o->ncols[1]) {
    free(o->cols[1]);
    o->cols[1] = NULL;
  }
}

int data_load_shared(MPI_Comm comm, const data_spec *spec, data_set *ds, mlps_err *e) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  int rc = data_load_shared_nodes(comm, node, spec, ds, e);
  MPI_Comm_free(&node);
  return rc;
}

int data_load_shared_nodes(MPI_Comm comm, MPI_Comm node_in, const data_spec *spec, data_set *ds,
                           mlps_err *e) {
  memset(ds, 0, sizeof *ds);
  ds->win_ = MPI_WIN_NULL;
  ds->node_ = MPI_COMM_NULL;
  h5_quiet();
  int rank;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm node;
  MPI_Comm_dup(node_in, &node);
  MPI_Comm_set_errhandler(node, MPI_ERRORS_RETURN);
  int nrank;
  MPI_Comm_rank(node, &nrank);
  const int reader = nrank == 0;

  /* 1. The reader of each node opens and checks; everyone agrees. */
  opened o;
  memset(&o, 0, sizeof o);
  o.fid = o.did[0] = o.did[1] = -1;
  o.dname[0] = spec->inputs && spec->inputs[0] ? spec->inputs : "X";
  o.dname[1] = spec->targets && spec->targets[0] ? spec->targets : "Y";
  int rc = reader ? open_check(spec, &o, e) : MLPS_OK;
  rc = mpi_agree(comm, rc, e);
  if (rc) {
    close_opened(&o); /* this node's reader may have succeeded where another failed */
    MPI_Comm_free(&node);
    return rc;
  }

  /* 2. All nodes must have read the same shapes (a stale copy of the file on
   * one node's local disk would otherwise train on different data). */
  uint64_t mine[3] = {0, 0, 0}, lo[3], hi[3];
  if (reader) {
    mine[0] = o.n;
    mine[1] = o.ncols[0];
    mine[2] = o.ncols[1];
  }
  uint64_t minein[3];
  for (int i = 0; i < 3; i++) minein[i] = reader ? mine[i] : UINT64_MAX;
  MPI_Allreduce(mine, hi, 3, MPI_UINT64_T, MPI_MAX, comm);
  MPI_Allreduce(minein, lo, 3, MPI_UINT64_T, MPI_MIN, comm);
  if (memcmp(lo, hi, sizeof lo) != 0) {
    if (reader) close_opened(&o);
    MPI_Comm_free(&node);
    /* No file name: it may differ between ranks, the message must not. */
    return mlps_errorf(e, MLPS_EINPUT,
                       "data: the nodes of this job see different data (rows %llu..%llu, input "
                       "columns %llu..%llu, "
                       "target columns %llu..%llu); is the file the same on every node?",
                       (unsigned long long)lo[0], (unsigned long long)hi[0],
                       (unsigned long long)lo[1], (unsigned long long)hi[1],
                       (unsigned long long)lo[2], (unsigned long long)hi[2]);
  }

  /* 3. Metadata to the other ranks of the node. */
  size_t len = 0;
  char *meta = reader ? pack_meta(&o, &len) : NULL;
  uint64_t len64 = len;
  MPI_Bcast(&len64, 1, MPI_UINT64_T, 0, node);
  if (!reader) meta = mlps_xmalloc(len64);
  MPI_Bcast(meta, (int)len64, MPI_BYTE, 0, node);
  if (!reader) unpack_meta(meta, &o);
  free(meta);
  size_t bytes = total_bytes(&o);

  /* 4. One shared window per node, all of it owned by the reader. */
  MPI_Info info;
  MPI_Info_create(&info);
  MPI_Info_set(info, "alloc_shared_noncontig", "false");
  void *base = NULL;
  MPI_Win win = MPI_WIN_NULL;
  int mrc = MPI_Win_allocate_shared(reader ? (MPI_Aint)bytes : 0, 1, info, node, &base, &win);
  MPI_Info_free(&info);
  rc = MLPS_OK;
  if (mrc != MPI_SUCCESS) {
    char b[32];
    rc = mlps_errorf(e, MLPS_ERUNTIME,
                     "%s: could not allocate %s of node-shared memory (MPI_Win_allocate_shared "
                     "failed; is /dev/shm "
                     "large enough?)",
                     spec->path, data_fmt_bytes((double)bytes, b, sizeof b));
  } else {
    MPI_Aint qsize;
    int qdisp;
    MPI_Win_shared_query(win, 0, &qsize, &qdisp, &base);
  }
  rc = mpi_agree(comm, rc, e);
  if (rc) {
    if (win != MPI_WIN_NULL) MPI_Win_free(&win);
    close_opened(&o);
    MPI_Comm_free(&node);
    return rc;
  }

  /* 5. The reader fills the window; the sync/barrier/sync makes its stores
   * visible to the other ranks (MPI-3 unified model). */
  MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
  rc = reader ? read_into(&o, spec->path, base, e) : MLPS_OK;
  MPI_Win_sync(win);
  MPI_Barrier(node);
  MPI_Win_sync(win);
  MPI_Win_unlock_all(win);
  rc = mpi_agree(comm, rc, e);
  /* 6. Every node must have read the same values: the readers' checksums
   * agree (step 2 compared only shapes). Then every rank takes the first
   * reader's identity, so that it is the same everywhere. */
  uint64_t ck[2] = {0, 0}, cklo, ckhi;
  if (!rc) {
    ck[0] = reader ? opened_checksum(&o) : 0;
    ck[1] = reader ? o.file_bytes : 0;
    uint64_t in = reader ? ck[0] : UINT64_MAX;
    MPI_Allreduce(&in, &cklo, 1, MPI_UINT64_T, MPI_MIN, comm);
    in = reader ? ck[0] : 0;
    MPI_Allreduce(&in, &ckhi, 1, MPI_UINT64_T, MPI_MAX, comm);
    if (cklo != ckhi) {
      char h1[17], h2[17];
      rc = mlps_errorf(
          e, MLPS_EINPUT,
          "data: the nodes of this job see different data: same rows and columns, but content "
          "checksums "
          "%s..%s; is the file the same on every node (a stale copy on a node's local disk?)",
          data_checksum_hex(cklo, h1), data_checksum_hex(ckhi, h2));
    }
    MPI_Bcast(ck, 2, MPI_UINT64_T, 0, comm);
  }
  if (rc) {
    MPI_Win_free(&win);
    close_opened(&o);
    MPI_Comm_free(&node);
    return rc;
  }
  fill_set(&o, spec, ds, base);
  ds->checksum = ck[0];
  ds->file_bytes = ck[1];
  close_opened(&o);
  ds->shared_ = 1;
  ds->win_ = win;
  ds->node_ = node;
  rc = noise_load(comm, node_in, spec, ds, e);
  if (rc) data_free(ds);
  return rc;
}

/* The colspec string of cols[0..n) (malloc'ed). */
static char *format_columns(const int64_t *cols, size_t n, size_t nfile) {
  size_t size = n * 24 + 8;
  char *s = mlps_xmalloc(size);
  colspec_format(cols, (int64_t)n, (int64_t)nfile, s, size);
  return s;
}

/* ---- identity ---------------------------------------------------------- */

void data_identity_make(const data_set *ds, data_identity *id) {
  memset(id, 0, sizeof *id);
  snprintf(id->path, sizeof id->path, "%s", ds->path);
  snprintf(id->inputs, sizeof id->inputs, "%s", ds->inputs);
  snprintf(id->targets, sizeof id->targets, "%s", ds->targets);
  id->file_bytes = ds->file_bytes;
  id->n = ds->n;
  id->d = ds->d;
  id->m = ds->m;
  id->input_columns = format_columns(ds->x_cols, ds->d, ds->d_file);
  id->target_columns = ds->Y ? format_columns(ds->y_cols, ds->m, ds->m_file) : mlps_xstrdup("");
  id->checksum = ds->checksum;
}

void data_identity_free(data_identity *id) {
  if (!id) return;
  free(id->input_columns);
  free(id->target_columns);
  id->input_columns = id->target_columns = NULL;
}

const char *data_identity_describe(const data_identity *id, char *buf, size_t bufsize) {
  char hex[17];
  int w =
      snprintf(buf, bufsize, "%s (%llu bytes): %llu rows; inputs '%s' columns %s (d %llu)",
               id->path, (unsigned long long)id->file_bytes, (unsigned long long)id->n, id->inputs,
               id->input_columns ? id->input_columns : "?", (unsigned long long)id->d);
  if (w >= 0 && (size_t)w < bufsize && id->targets[0])
    w += snprintf(buf + w, bufsize - (size_t)w, "; targets '%s' columns %s (m %llu)", id->targets,
                  id->target_columns ? id->target_columns : "?", (unsigned long long)id->m);
  if (w >= 0 && (size_t)w < bufsize)
    snprintf(buf + w, bufsize - (size_t)w, "; content checksum %s",
             data_checksum_hex(id->checksum, hex));
  return buf;
}

/* Appends "; " (after the first) and a formatted item to msg. */
static void diff_add(char *msg, size_t size, const char *fmt, ...) MLPS_PRINTF(3, 4);
static void diff_add(char *msg, size_t size, const char *fmt, ...) {
  size_t l = strlen(msg);
  if (l + 1 >= size) return;
  if (l) {
    snprintf(msg + l, size - l, "; ");
    l = strlen(msg);
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + l, size - l, fmt, ap);
  va_end(ap);
}

/* One field of data_identity_diff: adds its bit and text when it differs. */
static unsigned diff_str(unsigned bit, unsigned fields, const char *label, const char *was,
                         const char *now, char *msg, size_t size) {
  if (!(fields & bit) || strcmp(was ? was : "", now ? now : "") == 0) return 0;
  diff_add(msg, size, "%s '%s' -> '%s'", label, was ? was : "", now ? now : "");
  return bit;
}

static unsigned diff_u64(unsigned bit, unsigned fields, const char *label, uint64_t was,
                         uint64_t now, char *msg, size_t size) {
  if (!(fields & bit) || was == now) return 0;
  diff_add(msg, size, "%s %llu -> %llu", label, (unsigned long long)was, (unsigned long long)now);
  return bit;
}

unsigned data_identity_diff(const data_identity *was, const data_identity *now, unsigned fields,
                            char *msg, size_t msgsize) {
  msg[0] = '\0';
  unsigned diff = 0;
  diff |= diff_str(DATA_ID_PATH, fields, "file", was->path, now->path, msg, msgsize);
  diff |=
      diff_str(DATA_ID_INPUTS, fields, "inputs dataset", was->inputs, now->inputs, msg, msgsize);
  diff |= diff_str(DATA_ID_TARGETS, fields, "targets dataset", was->targets, now->targets, msg,
                   msgsize);
  diff |= diff_u64(DATA_ID_FILE_BYTES, fields, "file size (bytes)", was->file_bytes,
                   now->file_bytes, msg, msgsize);
  diff |= diff_u64(DATA_ID_N, fields, "rows used", was->n, now->n, msg, msgsize);
  diff |= diff_u64(DATA_ID_D, fields, "input columns used", was->d, now->d, msg, msgsize);
  diff |= diff_u64(DATA_ID_M, fields, "target columns used", was->m, now->m, msg, msgsize);
  diff |= diff_str(DATA_ID_INPUT_COLUMNS, fields, "input columns", was->input_columns,
                   now->input_columns, msg, msgsize);
  diff |= diff_str(DATA_ID_TARGET_COLUMNS, fields, "target columns", was->target_columns,
                   now->target_columns, msg, msgsize);
  if ((fields & DATA_ID_CHECKSUM) && was->checksum != now->checksum) {
    char h1[17], h2[17];
    diff |= DATA_ID_CHECKSUM;
    diff_add(msg, msgsize, "content checksum %s -> %s", data_checksum_hex(was->checksum, h1),
             data_checksum_hex(now->checksum, h2));
  }
  return diff;
}

int data_write_meta(hid_t loc, const char *group, const data_set *ds, mlps_err *e) {
  hid_t g = h5_group_open_or_create(loc, group);
  if (g < 0) return mlps_errorf(e, MLPS_ERUNTIME, "cannot create group '%s'", group);
  char *xs = format_columns(ds->x_cols, ds->d, ds->d_file),
       *ys = format_columns(ds->y_cols, ds->m, ds->m_file);
  int64_t v[4] = {(int64_t)ds->n, (int64_t)ds->n_file, (int64_t)ds->d, (int64_t)ds->m};
  char hex[17];
  int rc = h5_attr_str(g, ".", "path", ds->path, e);
  if (!rc) rc = h5_attr_str(g, ".", "checksum", data_checksum_hex(ds->checksum, hex), e);
  if (!rc) rc = h5_attr_str(g, ".", "inputs", ds->inputs, e);
  if (!rc) rc = h5_attr_str(g, ".", "targets", ds->targets, e);
  if (!rc) rc = h5_attr_str(g, ".", "input_columns", xs, e);
  if (!rc) rc = h5_attr_str(g, ".", "target_columns", ys, e);
  if (!rc) rc = h5_attr_i64(g, ".", "n", &v[0], 1, e);
  if (!rc) rc = h5_attr_i64(g, ".", "n_file", &v[1], 1, e);
  if (!rc) rc = h5_attr_i64(g, ".", "d", &v[2], 1, e);
  if (!rc) rc = h5_attr_i64(g, ".", "m", &v[3], 1, e);
  if (!rc && ds->x_names)
    rc = h5_attr_strs(g, ".", "input_names", (const char *const *)ds->x_names, ds->d, e);
  if (!rc && ds->y_names)
    rc = h5_attr_strs(g, ".", "target_names", (const char *const *)ds->y_names, ds->m, e);
  free(xs);
  free(ys);
  H5Gclose(g);
  return rc;
}
