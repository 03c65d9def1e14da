/* Loader tests: round trips (float32, float64, chunked + gzip, groups,
 * several read blocks), column selections and max_rows, and every malformed
 * file case with its specific message. Files are built here with the plain
 * HDF5 C API in $MLPS_TMP. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/colspec.h"
#include "data/data.h"
#include "data/h5.h"
#include "test_util.h"

static char tmpdir[512];

static const char *tmp(const char *name) {
  static char buf[8][1024];
  static int k = 0;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/data_load_%s", tmpdir, name);
  return buf[k];
}

/* Writes a rank-`rank` dataset of doubles a, stored as ftype, optionally
 * chunked (crow rows per chunk) and gzip'ed, creating parent groups. */
static void wr(hid_t f, const char *name, hid_t ftype, int rank, const hsize_t *dims,
               const double *a, hsize_t crow, int gzip) {
  hid_t s = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (crow) {
    hsize_t cd[3] = {crow, rank > 1 ? dims[1] : 1, rank > 2 ? dims[2] : 1};
    H5Pset_chunk(dcpl, rank, cd);
    if (gzip) H5Pset_deflate(dcpl, (unsigned)gzip);
  }
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t d = H5Dcreate2(f, name, ftype, s, lcpl, dcpl, H5P_DEFAULT);
  size_t cnt = 1;
  for (int i = 0; i < rank; i++) cnt *= dims[i];
  if (cnt) H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a);
  H5Dclose(d);
  H5Pclose(lcpl);
  H5Pclose(dcpl);
  H5Sclose(s);
}

static double xval(size_t i, size_t j) {
  return sin(0.37 * (double)i + 1.3 * (double)j) * 100.0 + (double)j / 3.0;
}
static double yval(size_t i, size_t j) {
  return exp(0.01 * (double)(i % 300)) * (double)(j + 1) + 1e-7 * (double)i;
}

static double *mat(size_t n, size_t c, double (*f)(size_t, size_t)) {
  double *a = malloc((n * c > 0 ? n * c : 1) * sizeof *a);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < c; j++) a[i * c + j] = f(i, j);
  return a;
}

/* Writes X (n, d) and Y (n, m) under the given names. */
static void make_file(const char *path, const char *xn, const char *yn, hid_t ftype, size_t n,
                      size_t d, size_t m, hsize_t crow, int gzip) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  double *x = mat(n, d, xval), *y = mat(n, m, yval);
  hsize_t dx[2] = {n, d}, dy[2] = {n, m};
  wr(f, xn, ftype, 2, dx, x, crow, gzip);
  wr(f, yn, ftype, 2, dy, y, crow, gzip);
  free(x);
  free(y);
  H5Fclose(f);
}

static int check_values(const data_set *ds, const int64_t *xc, const int64_t *yc) {
  int bad = 0;
  for (size_t i = 0; i < ds->n && bad < 3; i++) {
    for (size_t j = 0; j < ds->d; j++)
      if (ds->X[i * ds->d + j] != (float)xval(i, (size_t)(xc ? xc[j] : (int64_t)j))) bad++;
    for (size_t j = 0; j < ds->m; j++)
      if (ds->Y[i * ds->m + j] != (float)yval(i, (size_t)(yc ? yc[j] : (int64_t)j))) bad++;
  }
  return bad == 0;
}

static void round_trips(void) {
  struct {
    const char *name;
    hid_t type;
    hsize_t crow;
    int gzip;
    size_t n, d, m;
  } cases[] = {
      {"f32.h5", H5T_IEEE_F32LE, 0, 0, 50, 3, 7},
      {"f64.h5", H5T_IEEE_F64LE, 0, 0, 50, 3, 7},
      {"f64_gzip.h5", H5T_IEEE_F64LE, 7, 6, 50, 3, 7},
      {"f32_gzip.h5", H5T_IEEE_F32LE, 16, 1, 50, 3, 7},
      {"i32.h5", H5T_STD_I32LE, 0, 0, 20, 2, 2},
      /* 1200 rows of 1100 float64 columns: the 8 MiB read buffer holds 953
       * rows, rounded to 900 (chunk height 100), so two blocks are read. */
      {"wide_gzip.h5", H5T_IEEE_F32LE, 100, 1, 1200, 1100, 2},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const char *p = tmp(cases[c].name);
    make_file(p, "X", "Y", cases[c].type, cases[c].n, cases[c].d, cases[c].m, cases[c].crow,
              cases[c].gzip);
    data_spec spec = {.path = p};
    data_set ds;
    mlps_err e = {0, ""};
    int rc = data_load(&spec, &ds, &e);
    if (rc) fprintf(stderr, "%s: %s\n", cases[c].name, e.msg);
    CHECK(rc == MLPS_OK);
    if (rc) continue;
    CHECK(ds.n == cases[c].n && ds.d == cases[c].d && ds.m == cases[c].m);
    if (cases[c].type == H5T_STD_I32LE) {
      /* integers: the file holds the truncated values */
      int ok = 1;
      for (size_t i = 0; i < ds.n; i++)
        for (size_t j = 0; j < ds.d; j++) ok &= ds.X[i * ds.d + j] == (float)(int)xval(i, j);
      CHECK(ok);
    } else if (cases[c].type == H5T_IEEE_F32LE) {
      /* values went through float32 in the file: same rounding */
      CHECK(check_values(&ds, NULL, NULL));
    } else {
      CHECK(check_values(&ds, NULL, NULL));
    }
    CHECK(strcmp(ds.x_dtype, cases[c].type == H5T_IEEE_F64LE  ? "float64"
                             : cases[c].type == H5T_STD_I32LE ? "int32"
                                                              : "float32") == 0);
    data_free(&ds);
    CHECK(ds.X == NULL);
  }
}

static void selections_and_groups(void) {
  const char *p = tmp("groups.h5");
  make_file(p, "/params", "/spectra/total", H5T_IEEE_F64LE, 40, 5, 12, 8, 4);
  /* a "names" attribute as fixed-length strings (what Fortran/C writers make) */
  hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "params", H5P_DEFAULT);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, 6);
  hsize_t five = 5;
  hid_t s = H5Screate_simple(1, &five, NULL);
  hid_t a = H5Acreate2(d, "names", t, s, H5P_DEFAULT, H5P_DEFAULT);
  const char names[30] = "alpha\0beta\0\0gamma\0delta\0eps\0\0\0";
  H5Awrite(a, t, names);
  H5Aclose(a);
  H5Sclose(s);
  H5Tclose(t);
  H5Dclose(d);
  H5Fclose(f);

  data_spec spec = {.path = p,
                    .inputs = "/params",
                    .targets = "spectra/total",
                    .input_columns = "4,0,2:4",
                    .target_columns = "0:3,10:",
                    .max_rows = 25};
  data_set ds;
  mlps_err e = {0, ""};
  int rc = data_load(&spec, &ds, &e);
  if (rc) fprintf(stderr, "groups: %s\n", e.msg);
  CHECK(rc == MLPS_OK);
  if (rc) return;
  int64_t xc[] = {4, 0, 2, 3}, yc[] = {0, 1, 2, 10, 11};
  CHECK(ds.n == 25 && ds.n_file == 40 && ds.d == 4 && ds.m == 5 && ds.d_file == 5 &&
        ds.m_file == 12);
  CHECK(check_values(&ds, xc, yc));
  for (int j = 0; j < 4; j++) CHECK(ds.x_cols[j] == xc[j]);
  CHECK(ds.x_names && strcmp(ds.x_names[0], "eps") == 0 && strcmp(ds.x_names[1], "alpha") == 0 &&
        strcmp(ds.x_names[3], "delta") == 0);
  CHECK(ds.y_names == NULL);
  /* provenance for model.h5: the stored selections reload the same columns */
  char meta[1024];
  snprintf(meta, sizeof meta, "%s/data_load_meta.h5", tmpdir);
  hid_t mf = H5Fcreate(meta, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  CHECK(data_write_meta(mf, "/data", &ds, &e) == MLPS_OK);
  char sel[64];
  CHECK(h5_read_attr_str(mf, "data", "input_columns", sel, sizeof sel, &e) == MLPS_OK &&
        strcmp(sel, "4,0,2:4") == 0);
  CHECK(h5_read_attr_str(mf, "data", "target_columns", sel, sizeof sel, &e) == MLPS_OK &&
        strcmp(sel, "0:3,10:12") == 0);
  char **nm = NULL;
  size_t nn = 0;
  CHECK(h5_read_attr_strs(mf, "data", "input_names", &nm, &nn, &e) == MLPS_OK && nn == 4 &&
        strcmp(nm[0], "eps") == 0);
  h5_free_strings(nm, nn);
  H5Fclose(mf);
  data_free(&ds);

  /* inputs only */
  data_spec s2 = {.path = p, .inputs = "params", .inputs_only = 1};
  rc = data_load(&s2, &ds, &e);
  CHECK(rc == MLPS_OK && ds.Y == NULL && ds.m == 0 && ds.n == 40);
  if (!rc) data_free(&ds);
}

/* Loads spec and checks the status and that every needle is in the message. */
static void expect(const char *label, data_spec spec, int code, const char *n1, const char *n2,
                   const char *n3) {
  data_set ds;
  mlps_err e = {0, ""};
  int rc = data_load(&spec, &ds, &e);
  const char *needles[3] = {n1, n2, n3};
  int ok = rc == code;
  for (int i = 0; i < 3; i++)
    if (needles[i] && !strstr(e.msg, needles[i])) ok = 0;
  if (!ok) fprintf(stderr, "case %s: rc %d (want %d), message: %s\n", label, rc, code, e.msg);
  else printf("  %-14s -> %s\n", label, e.msg);
  CHECK(ok);
  if (rc == MLPS_OK) data_free(&ds);
}

static void malformed(void) {
  /* missing file */
  const char *missing = tmp("does_not_exist.h5");
  expect("missing", (data_spec){.path = missing}, MLPS_EINPUT, missing, "file not found", NULL);
  /* not HDF5 */
  const char *txt = tmp("text.h5");
  FILE *fp = fopen(txt, "w");
  fprintf(fp, "x,y\n1,2\n");
  fclose(fp);
  expect("not_hdf5", (data_spec){.path = txt}, MLPS_EINPUT, txt, "not an HDF5 file", NULL);
  /* dataset missing: lists what exists */
  const char *g = tmp("groups2.h5");
  make_file(g, "/params", "/spectra/total", H5T_IEEE_F64LE, 10, 2, 3, 0, 0);
  expect("no_dataset", (data_spec){.path = g}, MLPS_EINPUT, "dataset 'X' not found",
         "/params (10, 2)", "/spectra/total (10, 3)");
  expect("group", (data_spec){.path = g, .inputs = "params", .targets = "spectra"}, MLPS_EINPUT,
         "'spectra' is a group", NULL, NULL);

  hid_t f;
  /* rank 1 and rank 3 */
  const char *r1 = tmp("rank1.h5");
  f = H5Fcreate(r1, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  double v[24];
  for (int i = 0; i < 24; i++) v[i] = i;
  hsize_t d1[1] = {24}, d3[3] = {2, 3, 4}, d2[2] = {24, 1}, d2b[2] = {23, 1};
  wr(f, "X", H5T_IEEE_F64LE, 1, d1, v, 0, 0);
  wr(f, "Y", H5T_IEEE_F64LE, 2, d2, v, 0, 0);
  wr(f, "Z", H5T_IEEE_F64LE, 3, d3, v, 0, 0);
  wr(f, "Yshort", H5T_IEEE_F64LE, 2, d2b, v, 0, 0);
  H5Fclose(f);
  expect("rank1", (data_spec){.path = r1}, MLPS_EINPUT, "dataset 'X' has rank 1", "reshape", r1);
  expect("rank3", (data_spec){.path = r1, .inputs = "Y", .targets = "Z"}, MLPS_EINPUT,
         "dataset 'Z' has rank 3", "(2, 3, 4)", NULL);
  expect("rows_differ", (data_spec){.path = r1, .inputs = "Y", .targets = "Yshort"}, MLPS_EINPUT,
         "row counts differ", "has 24 rows", "'Yshort' has 23");

  /* n = 0 */
  const char *z = tmp("empty.h5");
  make_file(z, "X", "Y", H5T_IEEE_F32LE, 0, 2, 3, 0, 0);
  expect("empty", (data_spec){.path = z}, MLPS_EINPUT, "has 0 rows", NULL, NULL);

  /* NaN in Y at row 5 column 2, +Inf in X at row 7 column 1 */
  const char *nanf = tmp("nan.h5");
  f = H5Fcreate(nanf, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  double x[10 * 2], y[10 * 3];
  for (int i = 0; i < 20; i++) x[i] = i;
  for (int i = 0; i < 30; i++) y[i] = i;
  y[5 * 3 + 2] = NAN;
  hsize_t dx[2] = {10, 2}, dy[2] = {10, 3};
  wr(f, "X", H5T_IEEE_F64LE, 2, dx, x, 0, 0);
  wr(f, "Y", H5T_IEEE_F64LE, 2, dy, y, 4, 3);
  x[7 * 2 + 1] = INFINITY;
  wr(f, "Xinf", H5T_IEEE_F32LE, 2, dx, x, 0, 0);
  x[7 * 2 + 1] = 1e300;
  wr(f, "Xbig", H5T_IEEE_F64LE, 2, dx, x, 0, 0);
  H5Fclose(f);
  expect("nan", (data_spec){.path = nanf}, MLPS_EINPUT, "dataset 'Y': NaN at row 5, column 2", nanf,
         NULL);
  expect("nan_selected", (data_spec){.path = nanf, .target_columns = "2"}, MLPS_EINPUT,
         "NaN at row 5, column 0 (file column 2)", NULL, NULL);
  expect("nan_not_selected", (data_spec){.path = nanf, .target_columns = "0:2"}, MLPS_OK, NULL,
         NULL, NULL);
  expect("nan_after_max", (data_spec){.path = nanf, .max_rows = 5}, MLPS_OK, NULL, NULL, NULL);
  expect("inf", (data_spec){.path = nanf, .inputs = "Xinf", .target_columns = "0"}, MLPS_EINPUT,
         "dataset 'Xinf': +Inf at row 7, column 1", NULL, NULL);
  expect("too_big", (data_spec){.path = nanf, .inputs = "Xbig", .target_columns = "0"}, MLPS_EINPUT,
         "too large for float32 at row 7, column 1", NULL, NULL);

  /* strings are not numbers */
  const char *sf = tmp("strings.h5");
  f = H5Fcreate(sf, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const char *strs[2] = {"a", "b"};
  mlps_err e;
  h5_write_strings(f, "X", strs, 2, &e);
  H5Fclose(f);
  expect("strings", (data_spec){.path = sf}, MLPS_EINPUT, "dataset 'X' has type string",
         "float32 or float64", NULL);

  /* memory: needs more than allowed, said before allocating */
  const char *ok = tmp("f64.h5");
  expect("memory", (data_spec){.path = ok, .mem_limit = 1000}, MLPS_EINPUT,
         "need 1.95 KiB as float32", "1000 B are allowed", "max_rows");

  /* column selections */
  expect("cols_syntax", (data_spec){.path = ok, .target_columns = "0:x"}, MLPS_EINPUT,
         "target_columns \"0:x\"", "cannot read \"0:x\"", "(7 columns)");
  expect("cols_range", (data_spec){.path = ok, .input_columns = "0:5"}, MLPS_EINPUT,
         "column 4 is out of range", "has 3 columns (0..2)", NULL);
}

static void colspec(void) {
  int64_t *c = NULL, n = 0;
  mlps_err e;
  CHECK(colspec_parse("0:10,20", 30, "t", &c, &n, &e) == MLPS_OK && n == 11 && c[0] == 0 &&
        c[9] == 9 && c[10] == 20);
  free(c);
  CHECK(colspec_parse(" 3 , 0 ,7 ", 8, "t", &c, &n, &e) == MLPS_OK && n == 3 && c[0] == 3 &&
        c[1] == 0 && c[2] == 7);
  free(c);
  CHECK(colspec_parse("5:", 8, "t", &c, &n, &e) == MLPS_OK && n == 3 && c[0] == 5 && c[2] == 7);
  free(c);
  CHECK(colspec_parse(":2", 8, "t", &c, &n, &e) == MLPS_OK && n == 2 && c[1] == 1);
  free(c);
  CHECK(colspec_parse("all", 4, "t", &c, &n, &e) == MLPS_OK && n == 4 && c[3] == 3);
  free(c);
  CHECK(colspec_parse(NULL, 2, "t", &c, &n, &e) == MLPS_OK && n == 2);
  free(c);
  CHECK(colspec_parse("3:1", 8, "t", &c, &n, &e) == MLPS_EINPUT &&
        strstr(e.msg, "range 3:1 selects no column"));
  CHECK(colspec_parse("1,1", 8, "t", &c, &n, &e) == MLPS_EINPUT &&
        strstr(e.msg, "column 1 is selected twice"));
  CHECK(colspec_parse("0:4,2", 8, "t", &c, &n, &e) == MLPS_EINPUT &&
        strstr(e.msg, "column 2 is selected twice"));
  CHECK(colspec_parse("a", 8, "t", &c, &n, &e) == MLPS_EINPUT &&
        strstr(e.msg, "cannot read \"a\""));
  CHECK(colspec_parse("1,", 8, "t", &c, &n, &e) == MLPS_EINPUT);
  CHECK(colspec_parse("-1", 8, "t", &c, &n, &e) == MLPS_EINPUT);
  CHECK(colspec_parse("1-3", 8, "t", &c, &n, &e) == MLPS_EINPUT && strstr(e.msg, "\"1-3\""));
  CHECK(colspec_parse("8", 8, "t", &c, &n, &e) == MLPS_EINPUT && strstr(e.msg, "out of range"));
  char buf[64];
  int64_t f1[] = {0, 1, 2, 3}, f2[] = {4, 0, 2, 3, 9}, f3[] = {0, 1, 2};
  CHECK(strcmp(colspec_format(f1, 4, 4, buf, sizeof buf), "all") == 0);
  CHECK(strcmp(colspec_format(f2, 5, 10, buf, sizeof buf), "4,0,2:4,9") == 0);
  CHECK(strcmp(colspec_format(f3, 3, 10, buf, sizeof buf), "0:3") == 0);
  /* counting allocates nothing sized by the column count: a file may claim 2^40 columns */
  CHECK(colspec_count("all", (int64_t)1 << 40, "t", &n, &e) == MLPS_OK && n == (int64_t)1 << 40);
  CHECK(colspec_count("5,1099511627775", (int64_t)1 << 40, "t", &n, &e) == MLPS_OK && n == 2);
  CHECK(colspec_count("0:9,7", (int64_t)1 << 40, "t", &n, &e) == MLPS_EINPUT &&
        strstr(e.msg, "column 7 is selected twice"));
  CHECK(colspec_count("3:5,0:4", 8, "t", &n, &e) == MLPS_EINPUT &&
        strstr(e.msg, "column 3 is selected twice"));
  CHECK(colspec_count("3:5,0:3,5", 8, "t", &n, &e) == MLPS_OK && n == 6);
  /* syntax only */
  CHECK(colspec_parse("0:50,60:", -1, "t", NULL, &n, &e) == MLPS_OK);
  CHECK(colspec_parse("0:50;60", -1, "t", NULL, &n, &e) == MLPS_EINPUT);
}

/* The content checksum and the identity (issue 17): independent of the
 * file's chunking and compression and of the read blocks; one changed value
 * anywhere, one row fewer, another column selection: another checksum. */
static uint64_t load_checksum(const char *path, size_t block_bytes, long long max_rows,
                              const char *xcols) {
  data_spec spec = {
      .path = path, .read_block_bytes = block_bytes, .max_rows = max_rows, .input_columns = xcols};
  data_set ds;
  mlps_err e = {0, ""};
  int rc = data_load(&spec, &ds, &e);
  if (rc) fprintf(stderr, "%s: %s\n", path, e.msg);
  CHECK(rc == MLPS_OK);
  if (rc) return 0;
  /* the loader's streaming checksum equals the one-call checksum of what it loaded */
  CHECK(ds.checksum == data_checksum(ds.X, ds.n, ds.d, ds.Y, ds.m));
  uint64_t c = ds.checksum;
  data_free(&ds);
  return c;
}

static void checksum_identity(void) {
  const size_t n = 301, d = 3, m = 5; /* odd sizes: values pair across rows */
  const char *pa = tmp("ck_contig.h5"), *pb = tmp("ck_chunk7.h5"), *pc = tmp("ck_chunk64_f64.h5");
  make_file(pa, "X", "Y", H5T_IEEE_F32LE, n, d, m, 0, 0);
  make_file(pb, "X", "Y", H5T_IEEE_F32LE, n, d, m, 7, 4);
  make_file(pc, "X", "Y", H5T_IEEE_F32LE, n, d, m, 64, 1);
  uint64_t base = load_checksum(pa, 0, 0, NULL);
  /* read blocks of 1 row (block_bytes smaller than a row), 5 rows, whole chunks; contiguous and
   * chunked files */
  CHECK(load_checksum(pa, 1, 0, NULL) == base);
  CHECK(load_checksum(pa, 5 * 8 * 5, 0, NULL) == base);
  CHECK(load_checksum(pb, 0, 0, NULL) == base);
  CHECK(load_checksum(pb, 1, 0, NULL) == base);
  CHECK(load_checksum(pc, 3 * 8 * 5, 0, NULL) == base);
  /* row count and column selection */
  uint64_t fewer = load_checksum(pa, 0, (long long)n - 1, NULL),
           sel = load_checksum(pa, 0, 0, "0:2");
  CHECK(fewer != base && sel != base && fewer != sel);

  /* streaming in any split equals one call */
  float *x = malloc(n * d * sizeof *x), *y = malloc(n * m * sizeof *y);
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < d; j++) x[i * d + j] = (float)xval(i, j);
    for (size_t j = 0; j < m; j++) y[i * m + j] = (float)yval(i, j);
  }
  CHECK(data_checksum(x, n, d, y, m) == base);
  data_hash h1, h2;
  data_hash_init(&h1);
  data_hash_init(&h2);
  data_hash_floats(&h1, x, n * d);
  for (size_t a = 0, step = 1; a < n * d; a += step, step = step % 7 + 1)
    data_hash_floats(&h2, x + a, a + step <= n * d ? step : n * d - a);
  CHECK(data_hash_final(&h1) == data_hash_final(&h2));
  /* one value changed by one ulp, at every position of X and Y: always another checksum */
  int same = 0;
  for (size_t k = 0; k < n * (d + m); k++) {
    float *v = k < n * d ? x + k : y + (k - n * d);
    float old = *v;
    *v = nextafterf(old, INFINITY);
    same += data_checksum(x, n, d, y, m) == base;
    *v = old;
  }
  CHECK(same == 0);
  CHECK(data_checksum(x, n, d, y, m) == base);
  /* inputs only, and X/Y boundary: the same values cut differently differ */
  CHECK(data_checksum(x, n, d, NULL, 0) != base);
  CHECK(data_checksum(x, n - 1, d, y, m) != data_checksum(x, n - 1, d, y + m, m));
  free(x);
  free(y);

  /* a file with one value changed (row 150, target column 4) */
  const char *pd = tmp("ck_changed.h5");
  make_file(pd, "X", "Y", H5T_IEEE_F32LE, n, d, m, 0, 0);
  hid_t f = H5Fopen(pd, H5F_ACC_RDWR, H5P_DEFAULT), did = H5Dopen2(f, "Y", H5P_DEFAULT),
        fs = H5Dget_space(did);
  hsize_t start[2] = {150, 4}, one[2] = {1, 1};
  H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, one, NULL);
  hid_t ms = H5Screate_simple(2, one, NULL);
  float v = nextafterf((float)yval(150, 4), 0);
  H5Dwrite(did, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, &v);
  H5Sclose(ms);
  H5Sclose(fs);
  H5Dclose(did);
  H5Fclose(f);
  uint64_t changed = load_checksum(pd, 0, 0, NULL);
  CHECK(changed != base);

  /* identities and their comparison */
  data_spec sa = {.path = pa}, sd = {.path = pd};
  data_spec sf = {.path = pa, .max_rows = (long long)n - 1, .input_columns = "0,2"};
  data_set a, b, c;
  mlps_err e = {0, ""};
  CHECK(data_load(&sa, &a, &e) == MLPS_OK && data_load(&sd, &b, &e) == MLPS_OK &&
        data_load(&sf, &c, &e) == MLPS_OK);
  data_identity ia, ib, ic;
  data_identity_make(&a, &ia);
  data_identity_make(&b, &ib);
  data_identity_make(&c, &ic);
  CHECK(ia.n == n && ia.d == d && ia.m == m && ia.checksum == base &&
        ia.file_bytes > n * (d + m) * 4);
  CHECK(strcmp(ia.input_columns, "all") == 0 && strcmp(ic.input_columns, "0,2") == 0 &&
        strcmp(ia.inputs, "X") == 0);
  char msg[512], desc[512], hex[17];
  CHECK(data_identity_diff(&ia, &ia, DATA_ID_ALL, msg, sizeof msg) == 0 && msg[0] == '\0');
  /* same shape, other content: only the checksum (and the path) differ */
  CHECK(data_identity_diff(&ia, &ib, DATA_ID_VALUES, msg, sizeof msg) == DATA_ID_CHECKSUM);
  printf("  changed value: %s\n", msg);
  CHECK(strstr(msg, "content checksum ") && strstr(msg, data_checksum_hex(base, hex)));
  CHECK(data_identity_diff(&ia, &ib, DATA_ID_ALL, msg, sizeof msg) ==
        (DATA_ID_CHECKSUM | DATA_ID_PATH));
  unsigned dc = data_identity_diff(&ia, &ic, DATA_ID_VALUES, msg, sizeof msg);
  printf("  fewer rows, other columns: %s\n", msg);
  CHECK(dc == (DATA_ID_N | DATA_ID_D | DATA_ID_INPUT_COLUMNS | DATA_ID_CHECKSUM));
  CHECK(strstr(msg, "rows used 301 -> 300") && strstr(msg, "input columns 'all' -> '0,2'") &&
        strstr(msg, "input columns used 3 -> 2"));
  data_identity_describe(&ic, desc, sizeof desc);
  printf("  %s\n", desc);
  CHECK(strstr(
      desc,
      "300 rows; inputs 'X' columns 0,2 (d 2); targets 'Y' columns all (m 5); content checksum "));
  uint64_t back = 0;
  CHECK(data_checksum_parse(data_checksum_hex(ic.checksum, hex), &back) == 0 &&
        back == ic.checksum);
  CHECK(data_checksum_parse("0x0123456789abcdef", &back) == 0 && back == 0x0123456789abcdefull);
  CHECK(data_checksum_parse("123", &back) == -1 &&
        data_checksum_parse("0123456789abcdefg", &back) == -1);
  data_identity_free(&ia);
  data_identity_free(&ib);
  data_identity_free(&ic);
  data_free(&a);
  data_free(&b);
  data_free(&c);
}

int main(void) {
  const char *t = getenv("MLPS_TMP");
  snprintf(tmpdir, sizeof tmpdir, "%s", t && t[0] ? t : "/tmp");
  h5_quiet();
  colspec();
  round_trips();
  selections_and_groups();
  malformed();
  checksum_identity();
  return TEST_RESULT("data_load");
}
