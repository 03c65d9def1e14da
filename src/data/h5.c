/* HDF5 helpers: see h5.h. Every hid_t opened here is closed on every path. */
#include "data/h5.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

int h5_open_read(const char *path, hid_t *fid, mlps_err *e) {
  h5_quiet();
  struct stat st;
  if (stat(path, &st) != 0)
    return mlps_errorf(e, MLPS_EINPUT, "%s: file not found (%s); check the path", path,
                       strerror(errno));
  if (S_ISDIR(st.st_mode))
    return mlps_errorf(e, MLPS_EINPUT, "%s: is a directory, not an HDF5 file", path);
  if (access(path, R_OK) != 0)
    return mlps_errorf(e, MLPS_EINPUT, "%s: cannot read the file (%s); check its permissions", path,
                       strerror(errno));
  htri_t is = H5Fis_hdf5(path);
  if (is <= 0)
    return mlps_errorf(
        e, MLPS_EINPUT,
        "%s: not an HDF5 file (%lld bytes); inputs must be HDF5 (e.g. written by h5py)", path,
        (long long)st.st_size);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0)
    return mlps_errorf(e, MLPS_EINPUT, "%s: HDF5 could not open the file (damaged or truncated?)",
                       path);
  *fid = f;
  return MLPS_OK;
}

int h5_create(const char *path, hid_t *fid, mlps_err *e) {
  h5_quiet();
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0)
    return mlps_errorf(
        e, MLPS_ERUNTIME,
        "%s: cannot create the HDF5 file (does the directory exist and is it writable?)", path);
  *fid = f;
  return MLPS_OK;
}

int h5_check_overwrite(const char *path, int force, mlps_err *e) {
  struct stat st;
  if (force || stat(path, &st) != 0) return MLPS_OK;
  return mlps_errorf(e, MLPS_EINPUT,
                     "%s exists; pass --force to overwrite it, or choose another file", path);
}

int h5_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int h5_exists(hid_t loc, const char *name) {
  h5_quiet();
  if (!name || !name[0]) return 0;
  if (strcmp(name, "/") == 0 || strcmp(name, ".") == 0) return 1;
  char buf[1024];
  size_t len = strlen(name);
  if (len >= sizeof buf) return 0;
  memcpy(buf, name, len + 1);
  /* H5Lexists needs every intermediate component to exist. */
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] == '/' || buf[i] == '\0') {
      char c = buf[i];
      buf[i] = '\0';
      if (H5Lexists(loc, buf, H5P_DEFAULT) <= 0) return 0;
      buf[i] = c;
    }
  }
  return 1;
}

typedef struct {
  char *buf;
  size_t size, len;
  int count;
} dset_list;

static herr_t list_cb(hid_t g, const char *name, const h5_linfo *info, void *data) {
  dset_list *l = data;
  if (info->type != H5L_TYPE_HARD) return 0;
  hid_t o = H5Oopen(g, name, H5P_DEFAULT);
  if (o < 0) return 0;
  if (H5Iget_type(o) == H5I_DATASET) {
    if (l->count < 20) {
      hid_t s = H5Dget_space(o);
      int r = H5Sget_simple_extent_ndims(s);
      hsize_t dims[8] = {0};
      if (r > 0 && r <= 8) H5Sget_simple_extent_dims(s, dims, NULL);
      H5Sclose(s);
      char shape[96] = "";
      int p = 0;
      for (int i = 0; i < r && i < 8; i++)
        p += snprintf(shape + p, sizeof shape - (size_t)p, "%s%llu", i ? ", " : "",
                      (unsigned long long)dims[i]);
      if (r == 1) snprintf(shape + p, sizeof shape - (size_t)p, ",");
      int w = snprintf(l->buf + l->len, l->size - l->len, "%s/%s (%s)", l->count ? ", " : "", name,
                       shape);
      if (w > 0 && (size_t)w < l->size - l->len) l->len += (size_t)w;
    } else if (l->count == 20) {
      int w = snprintf(l->buf + l->len, l->size - l->len, ", ...");
      if (w > 0 && (size_t)w < l->size - l->len) l->len += (size_t)w;
    }
    l->count++;
  }
  H5Oclose(o);
  return 0;
}

int h5_open_dataset(hid_t loc, const char *file, const char *name, hid_t *did, mlps_err *e) {
  h5_quiet();
  const char *shown = name;
  if (h5_exists(loc, name)) {
    hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
    if (o >= 0) {
      if (H5Iget_type(o) == H5I_DATASET) {
        *did = o;
        return MLPS_OK;
      }
      H5Oclose(o);
      return mlps_errorf(e, MLPS_EINPUT,
                         "%s: '%s' is a group, not a dataset; give the path of a 2-D dataset", file,
                         shown);
    }
  }
  char list[1400];
  dset_list l = {list, sizeof list, 0, 0};
  list[0] = '\0';
  H5Lvisit(loc, H5_INDEX_NAME, H5_ITER_INC, list_cb, &l);
  if (l.count == 0)
    return mlps_errorf(e, MLPS_EINPUT, "%s: dataset '%s' not found; the file contains no datasets",
                       file, shown);
  return mlps_errorf(e, MLPS_EINPUT, "%s: dataset '%s' not found; datasets in the file: %s", file,
                     shown, list);
}

/* Link-creation property list that creates missing parent groups. */
static hid_t lcpl_parents(void) {
  hid_t p = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(p, 1);
  return p;
}

hid_t h5_group_open_or_create(hid_t loc, const char *group) {
  h5_quiet();
  if (h5_exists(loc, group)) return H5Gopen2(loc, group, H5P_DEFAULT);
  hid_t lcpl = lcpl_parents();
  hid_t g = H5Gcreate2(loc, group, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Pclose(lcpl);
  return g;
}

static int write_any(hid_t loc, const char *name, hid_t ftype, hid_t mtype, size_t esize,
                     const void *a, size_t rows, size_t cols, int gzip, mlps_err *e) {
  h5_quiet();
  int rank = cols ? 2 : 1;
  hsize_t dims[2] = {rows, cols};
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (gzip > 0 && rows > 0) {
    size_t rowbytes = esize * (cols ? cols : 1);
    hsize_t crow = (hsize_t)((1u << 20) / rowbytes);
    if (crow < 1) crow = 1;
    if (crow > rows) crow = rows;
    hsize_t chunk[2] = {crow, cols ? cols : 1};
    H5Pset_chunk(dcpl, rank, chunk);
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, (unsigned)(gzip > 9 ? 9 : gzip));
  }
  hid_t lcpl = lcpl_parents();
  if (H5Lexists(loc, name, H5P_DEFAULT) > 0) H5Ldelete(loc, name, H5P_DEFAULT);
  hid_t d = H5Dcreate2(loc, name, ftype, space, lcpl, dcpl, H5P_DEFAULT);
  int rc = MLPS_OK;
  if (d < 0) rc = mlps_errorf(e, MLPS_ERUNTIME, "cannot create dataset '%s'", name);
  else if (rows && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, a) < 0)
    rc = mlps_errorf(e, MLPS_ERUNTIME, "cannot write dataset '%s' (disk full?)", name);
  if (d >= 0) H5Dclose(d);
  H5Pclose(lcpl);
  H5Pclose(dcpl);
  H5Sclose(space);
  return rc;
}

int h5_write_f32(hid_t loc, const char *name, const float *a, size_t rows, size_t cols, int gzip,
                 mlps_err *e) {
  return write_any(loc, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 4, a, rows, cols, gzip, e);
}
int h5_write_f64(hid_t loc, const char *name, const double *a, size_t rows, size_t cols, int gzip,
                 mlps_err *e) {
  return write_any(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 8, a, rows, cols, gzip, e);
}
int h5_write_i64(hid_t loc, const char *name, const int64_t *a, size_t rows, size_t cols,
                 mlps_err *e) {
  return write_any(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 8, a, rows, cols, 0, e);
}

static hid_t vlstr_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

int h5_write_strings(hid_t loc, const char *name, const char *const *s, size_t n, mlps_err *e) {
  h5_quiet();
  hsize_t dims[1] = {n};
  hid_t space = H5Screate_simple(1, dims, NULL);
  hid_t t = vlstr_type();
  hid_t lcpl = lcpl_parents();
  if (H5Lexists(loc, name, H5P_DEFAULT) > 0) H5Ldelete(loc, name, H5P_DEFAULT);
  hid_t d = H5Dcreate2(loc, name, t, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  int rc = MLPS_OK;
  if (d < 0 || (n && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) < 0))
    rc = mlps_errorf(e, MLPS_ERUNTIME, "cannot write string dataset '%s'", name);
  if (d >= 0) H5Dclose(d);
  H5Pclose(lcpl);
  H5Tclose(t);
  H5Sclose(space);
  return rc;
}

/* Creates (replacing) attribute attr on obj and writes buf with mtype. */
static int attr_write(hid_t loc, const char *obj, const char *attr, hid_t ftype, hid_t mtype,
                      hid_t space, const void *buf, mlps_err *e) {
  h5_quiet();
  if (H5Aexists_by_name(loc, obj, attr, H5P_DEFAULT) > 0)
    H5Adelete_by_name(loc, obj, attr, H5P_DEFAULT);
  hid_t a = H5Acreate_by_name(loc, obj, attr, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int rc = MLPS_OK;
  if (a < 0 || H5Awrite(a, mtype, buf) < 0)
    rc = mlps_errorf(e, MLPS_ERUNTIME, "cannot write attribute '%s' of '%s'", attr, obj);
  if (a >= 0) H5Aclose(a);
  return rc;
}

int h5_attr_str(hid_t loc, const char *obj, const char *attr, const char *value, mlps_err *e) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t t = vlstr_type();
  const char *p[1] = {value};
  int rc = attr_write(loc, obj, attr, t, t, space, p, e);
  H5Tclose(t);
  H5Sclose(space);
  return rc;
}

int h5_attr_strs(hid_t loc, const char *obj, const char *attr, const char *const *v, size_t n,
                 mlps_err *e) {
  hsize_t dims[1] = {n};
  hid_t space = H5Screate_simple(1, dims, NULL);
  hid_t t = vlstr_type();
  int rc = attr_write(loc, obj, attr, t, t, space, v, e);
  H5Tclose(t);
  H5Sclose(space);
  return rc;
}

int h5_attr_f64(hid_t loc, const char *obj, const char *attr, const double *v, size_t n,
                mlps_err *e) {
  hsize_t dims[1] = {n};
  hid_t space = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
  int rc = attr_write(loc, obj, attr, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space, v, e);
  H5Sclose(space);
  return rc;
}

int h5_attr_i64(hid_t loc, const char *obj, const char *attr, const int64_t *v, size_t n,
                mlps_err *e) {
  hsize_t dims[1] = {n};
  hid_t space = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
  int rc = attr_write(loc, obj, attr, H5T_STD_I64LE, H5T_NATIVE_INT64, space, v, e);
  H5Sclose(space);
  return rc;
}

/* Reads n strings of type ftype from an attribute (is_attr) or dataset. */
static int read_strs(hid_t obj, int is_attr, const char *what, char ***out, size_t *nout,
                     mlps_err *e) {
  hid_t ftype = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
  hid_t space = is_attr ? H5Aget_space(obj) : H5Dget_space(obj);
  int rc = MLPS_OK;
  if (H5Tget_class(ftype) != H5T_STRING) {
    rc = mlps_errorf(e, MLPS_EINPUT, "'%s' is not a string", what);
    goto done;
  }
  hssize_t n = H5Sget_simple_extent_npoints(space);
  if (n < 0) n = 0;
  char **res = mlps_xcalloc((size_t)n + 1, sizeof *res);
  herr_t st;
  if (H5Tis_variable_str(ftype) > 0) {
    hid_t m = H5Tcopy(H5T_C_S1);
    H5Tset_size(m, H5T_VARIABLE);
    H5Tset_cset(m, H5Tget_cset(ftype)); /* HDF5 does not convert ASCII <-> UTF-8 */
    char **tmp = mlps_xcalloc((size_t)n + 1, sizeof *tmp);
    st = is_attr ? H5Aread(obj, m, tmp) : H5Dread(obj, m, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp);
    for (hssize_t i = 0; i < n; i++) res[i] = mlps_xstrdup(st >= 0 && tmp[i] ? tmp[i] : "");
    if (st >= 0) H5Dvlen_reclaim(m, space, H5P_DEFAULT, tmp);
    free(tmp);
    H5Tclose(m);
  } else {
    size_t sz = H5Tget_size(ftype);
    hid_t m = H5Tcopy(H5T_C_S1);
    H5Tset_size(m, sz);
    H5Tset_strpad(m, H5T_STR_NULLPAD);
    H5Tset_cset(m, H5Tget_cset(ftype));
    char *tmp = mlps_xcalloc((size_t)n * sz + 1, 1);
    st = is_attr ? H5Aread(obj, m, tmp) : H5Dread(obj, m, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp);
    for (hssize_t i = 0; i < n; i++) {
      const char *s = tmp + (size_t)i * sz;
      size_t l = 0;
      while (l < sz && s[l]) l++;
      res[i] = mlps_xmalloc(l + 1);
      memcpy(res[i], s, l);
      res[i][l] = '\0';
    }
    free(tmp);
    H5Tclose(m);
  }
  if (st < 0) {
    h5_free_strings(res, (size_t)n);
    rc = mlps_errorf(e, MLPS_EINPUT, "cannot read strings of '%s'", what);
    goto done;
  }
  *out = res;
  *nout = (size_t)n;
done:
  H5Tclose(ftype);
  H5Sclose(space);
  return rc;
}

void h5_free_strings(char **s, size_t n) {
  if (!s) return;
  for (size_t i = 0; i < n; i++) free(s[i]);
  free(s);
}

static hid_t attr_open(hid_t loc, const char *obj, const char *attr, mlps_err *e) {
  h5_quiet();
  if (H5Aexists_by_name(loc, obj, attr, H5P_DEFAULT) <= 0) {
    mlps_errorf(e, MLPS_EINPUT, "attribute '%s' of '%s' not found", attr, obj);
    return -1;
  }
  hid_t a = H5Aopen_by_name(loc, obj, attr, H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0) mlps_errorf(e, MLPS_EINPUT, "cannot open attribute '%s' of '%s'", attr, obj);
  return a;
}

int h5_read_attr_strs(hid_t loc, const char *obj, const char *attr, char ***out, size_t *n,
                      mlps_err *e) {
  hid_t a = attr_open(loc, obj, attr, e);
  if (a < 0) return MLPS_EINPUT;
  int rc = read_strs(a, 1, attr, out, n, e);
  H5Aclose(a);
  return rc;
}

int h5_read_attr_str(hid_t loc, const char *obj, const char *attr, char *buf, size_t bufsize,
                     mlps_err *e) {
  char **s = NULL;
  size_t n = 0;
  MLPS_TRY(h5_read_attr_strs(loc, obj, attr, &s, &n, e));
  if (n < 1) {
    h5_free_strings(s, n);
    return mlps_errorf(e, MLPS_EINPUT, "attribute '%s' of '%s' is empty", attr, obj);
  }
  snprintf(buf, bufsize, "%s", s[0]);
  h5_free_strings(s, n);
  return MLPS_OK;
}

int h5_read_attr_f64(hid_t loc, const char *obj, const char *attr, double *v, size_t max, size_t *n,
                     mlps_err *e) {
  hid_t a = attr_open(loc, obj, attr, e);
  if (a < 0) return MLPS_EINPUT;
  hid_t t = H5Aget_type(a), s = H5Aget_space(a);
  H5T_class_t c = H5Tget_class(t);
  hssize_t cnt = H5Sget_simple_extent_npoints(s);
  int rc = MLPS_OK;
  if (c != H5T_FLOAT && c != H5T_INTEGER) {
    rc = mlps_errorf(e, MLPS_EINPUT, "attribute '%s' of '%s' is not numeric", attr, obj);
  } else {
    double *tmp = mlps_xcalloc((size_t)(cnt > 0 ? cnt : 1), sizeof *tmp);
    if (H5Aread(a, H5T_NATIVE_DOUBLE, tmp) < 0) {
      rc = mlps_errorf(e, MLPS_EINPUT, "cannot read attribute '%s' of '%s'", attr, obj);
    } else {
      size_t k = (size_t)cnt < max ? (size_t)cnt : max;
      memcpy(v, tmp, k * sizeof *v);
      if (n) *n = (size_t)cnt;
    }
    free(tmp);
  }
  H5Tclose(t);
  H5Sclose(s);
  H5Aclose(a);
  return rc;
}

int h5_read_f64(hid_t loc, const char *name, double **a, size_t dims[2], int *rank, mlps_err *e) {
  hid_t d;
  MLPS_TRY(h5_open_dataset(loc, "file", name, &d, e));
  hid_t s = H5Dget_space(d), t = H5Dget_type(d);
  int r = H5Sget_simple_extent_ndims(s);
  H5T_class_t c = H5Tget_class(t);
  int rc = MLPS_OK;
  hsize_t hd[2] = {0, 0};
  if (r < 1 || r > 2) {
    rc = mlps_errorf(e, MLPS_EINPUT, "dataset '%s' has rank %d; expected 1 or 2", name, r);
  } else if (c != H5T_FLOAT && c != H5T_INTEGER) {
    rc = mlps_errorf(e, MLPS_EINPUT, "dataset '%s' is not numeric", name);
  } else {
    H5Sget_simple_extent_dims(s, hd, NULL);
    size_t cnt = (size_t)hd[0] * (r == 2 ? (size_t)hd[1] : 1);
    double *buf = malloc((cnt ? cnt : 1) * sizeof *buf);
    if (!buf) {
      rc = mlps_errorf(e, MLPS_ERUNTIME, "out of memory reading dataset '%s' (%zu values)", name,
                       cnt);
    } else if (cnt && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
      free(buf);
      rc = mlps_errorf(e, MLPS_EINPUT, "cannot read dataset '%s'", name);
    } else {
      *a = buf;
      dims[0] = (size_t)hd[0];
      dims[1] = r == 2 ? (size_t)hd[1] : 0;
      *rank = r;
    }
  }
  H5Tclose(t);
  H5Sclose(s);
  H5Dclose(d);
  return rc;
}

int h5_read_strings(hid_t loc, const char *name, char ***out, size_t *n, mlps_err *e) {
  hid_t d;
  MLPS_TRY(h5_open_dataset(loc, "file", name, &d, e));
  int rc = read_strs(d, 0, name, out, n, e);
  H5Dclose(d);
  return rc;
}

const char *h5_type_name(hid_t type, char *buf, size_t bufsize) {
  H5T_class_t c = H5Tget_class(type);
  size_t sz = H5Tget_size(type);
  switch (c) {
    case H5T_FLOAT: snprintf(buf, bufsize, "float%zu", sz * 8); break;
    case H5T_INTEGER:
      snprintf(buf, bufsize, "%sint%zu", H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", sz * 8);
      break;
    case H5T_STRING:
      snprintf(buf, bufsize, "%s",
               H5Tis_variable_str(type) > 0 ? "string (variable length)" : "string (fixed length)");
      break;
    case H5T_COMPOUND: snprintf(buf, bufsize, "compound"); break;
    case H5T_ENUM: snprintf(buf, bufsize, "enum"); break;
    case H5T_ARRAY: snprintf(buf, bufsize, "array"); break;
    case H5T_VLEN: snprintf(buf, bufsize, "vlen"); break;
    default: snprintf(buf, bufsize, "other"); break;
  }
  return buf;
}

/* H5Ewalk2 callback: keeps the innermost description (the first one seen
 * walking upward), e.g. "Fletcher32 checksum failure" or "inflate() failed". */
static herr_t err_walk_cb(unsigned n, const H5E_error2_t *err, void *data) {
  char *buf = data;
  if (n == 0 && err->desc) snprintf(buf, 160, "%s", err->desc);
  return 0;
}

/* One hyperslab read; on failure *detail gets HDF5's innermost reason. */
static herr_t read_slab(hid_t did, size_t r0, size_t nr, size_t nc, double *buf, char *detail) {
  hid_t fs = H5Dget_space(did);
  int r = H5Sget_simple_extent_ndims(fs);
  hsize_t start[2] = {r0, 0}, count[2] = {nr, nc};
  hid_t ms = H5Screate_simple(r, count, NULL);
  H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
  herr_t st = H5Dread(did, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf);
  if (st < 0) {
    detail[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, err_walk_cb, detail);
  }
  H5Sclose(ms);
  H5Sclose(fs);
  return st;
}

int h5_read_rows(hid_t did, size_t r0, size_t nr, size_t nc, double *buf, const char *file,
                 const char *name, mlps_err *e) {
  h5_quiet();
  char detail[160] = "";
  if (read_slab(did, r0, nr, nc, buf, detail) >= 0) return MLPS_OK;
  /* Narrow down to the first unreadable chunk (only on this error path). */
  size_t a = r0, b = r0 + nr - 1;
  hid_t p = H5Dget_create_plist(did);
  hsize_t cd[2] = {0, 0};
  if (H5Pget_layout(p) == H5D_CHUNKED && H5Pget_chunk(p, 2, cd) >= 1 && cd[0] > 0) {
    size_t ch = (size_t)cd[0];
    for (size_t s = r0; s < r0 + nr; s = (s / ch + 1) * ch) {
      size_t t = (s / ch + 1) * ch;
      if (t > r0 + nr) t = r0 + nr;
      if (read_slab(did, s, t - s, nc, buf, detail) < 0) {
        a = s;
        b = t - 1;
        break;
      }
    }
  }
  H5Pclose(p);
  return mlps_errorf(
      e, MLPS_EINPUT,
      "%s: dataset '%s': rows %zu..%zu cannot be read (HDF5: %s); the file is damaged there (a "
      "truncated or corrupted copy?) or compressed with a filter this HDF5 does not have: "
      "re-create or "
      "re-copy the file (h5dump -d '%s' shows the failure too)",
      file, name, a, b, detail[0] ? detail : "read failed", name);
}

int h5_column_stats(hid_t did, size_t rows, size_t cols, h5_colstats *st, const char *file,
                    const char *name, mlps_err *e) {
  h5_quiet();
  hid_t fs = H5Dget_space(did), p = H5Dget_create_plist(did);
  int r = H5Sget_simple_extent_ndims(fs);
  hsize_t dims[2] = {0, 1}, cd[2] = {0, 0};
  if (r < 1 || r > 2) {
    H5Sclose(fs);
    H5Pclose(p);
    return mlps_errorf(e, MLPS_EINPUT, "statistics need a 1-D or 2-D dataset (rank %d)", r);
  }
  H5Sget_simple_extent_dims(fs, dims, NULL);
  H5Sclose(fs);
  if (r == 1) dims[1] = 1;
  size_t n = (size_t)dims[0], c = (size_t)dims[1];
  if (rows && rows < n) n = rows;
  if (cols < c) c = cols;
  size_t block = ((size_t)8 << 20) / ((c ? c : 1) * sizeof(double));
  if (block < 1) block = 1;
  if (H5Pget_layout(p) == H5D_CHUNKED && H5Pget_chunk(p, 2, cd) >= 1 && cd[0] > 0)
    block = block < cd[0] ? (size_t)cd[0] : block / cd[0] * cd[0];
  H5Pclose(p);
  if (block > n) block = n ? n : 1;
  double *buf = malloc(block * (c ? c : 1) * sizeof *buf);
  double *sum = calloc(c ? c : 1, sizeof *sum);
  uint64_t *cnt = calloc(c ? c : 1, sizeof *cnt);
  int rc = MLPS_OK;
  if (!buf || !sum || !cnt) {
    rc = mlps_errorf(e, MLPS_ERUNTIME, "out of memory for statistics");
    goto out;
  }
  for (size_t j = 0; j < c; j++) {
    st[j].min = INFINITY;
    st[j].max = -INFINITY;
    st[j].nan = st[j].inf = 0;
  }
  for (size_t r0 = 0; r0 < n && !rc && c; r0 += block) {
    size_t nr = n - r0 < block ? n - r0 : block;
    rc = h5_read_rows(did, r0, nr, c, buf, file, name, e);
    for (size_t i = 0; i < nr && !rc; i++)
      for (size_t j = 0; j < c; j++) {
        double v = buf[i * c + j];
        if (v != v) {
          st[j].nan++;
        } else if (v == INFINITY || v == -INFINITY) {
          st[j].inf++;
        } else {
          if (v < st[j].min) st[j].min = v;
          if (v > st[j].max) st[j].max = v;
          sum[j] += v;
          cnt[j]++;
        }
      }
  }
  for (size_t j = 0; j < c; j++) {
    if (cnt[j]) {
      st[j].mean = sum[j] / (double)cnt[j];
    } else {
      st[j].min = st[j].max = st[j].mean = NAN;
    }
  }
out:
  free(buf);
  free(sum);
  free(cnt);
  return rc;
}

/* Set when an H5Fclose failed: HDF5 1.10 then keeps a half-closed file
 * whose clean-up at library shutdown dereferences freed state (seen as a
 * segfault in H5F__close_cb from H5_term_library after a full disk). */
static int g_close_failed = 0;

int h5_close_file(hid_t fid, const char *path, int rc, mlps_err *e) {
  if (H5Fclose(fid) < 0) {
    g_close_failed = 1;
    if (!rc)
      rc = mlps_errorf(e, MLPS_ERUNTIME, "%s: closing the HDF5 file failed (disk full or quota?)",
                       path);
  }
  return rc;
}

void h5_library_init(void) { H5dont_atexit(); }

void h5_library_close(void) {
  /* After a failed close, shutting the library down would crash in its own
   * clean-up: leave it to the operating system (nothing is left to write,
   * every file that could be closed was). */
  if (!g_close_failed) H5close();
}
