/* mlpsweep info: describes an HDF5 file (datasets, shapes, types, chunking,
 * compression, attributes, per-column statistics over a bounded number of
 * rows and columns, so that a file claiming 10^10 rows is described at
 * once), or with --check loads X and Y exactly as a sweep would and reports
 * the first problem (exit 2). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "data/data.h"
#include "data/h5.h"

static void help(FILE *f) {
  fprintf(f,
          "usage: mlpsweep info FILE.h5 [--columns N] [--rows N]\n"
          "       mlpsweep info FILE.h5 --check [--inputs X] [--targets Y]\n"
          "                     [--input-columns SPEC] [--target-columns SPEC]\n"
          "                     [--max-rows N] [--mem-limit BYTES]\n\n"
          "Without --check: lists every dataset with its shape, type, layout\n"
          "(contiguous or chunked), compression and attributes, and for numeric 1-D and\n"
          "2-D datasets the per-column min / max / mean and NaN / Inf counts, over\n"
          "the first rows only when the dataset is large (said in the output).\n"
          "  --columns N      show statistics for at most N columns per dataset\n"
          "                   (default 12; 0 = all); at most 65536 are computed\n"
          "  --rows N         statistics over at most the first N rows (default:\n"
          "                   1000000, and at most 2^26 values per dataset; 0 = all)\n"
          "A dataset that cannot be read (a damaged chunk) is reported, exit code 2.\n\n"
          "With --check: loads the inputs and targets the way `mlpsweep run` does, with\n"
          "every validation (datasets exist and are 2-D numbers, equal row counts, at\n"
          "least one row, column selections, no NaN or Inf, enough memory), and prints\n"
          "a one-line summary with the content checksum that `run --resume` compares.\n"
          "On a problem prints it and exits with code 2.\n"
          "  --inputs X           dataset of the inputs (default X)\n"
          "  --targets Y          dataset of the targets (default Y)\n"
          "  --input-columns S    e.g. 0:3 or 0,2 (0-based, a:b excludes b; default all)\n"
          "  --target-columns S   e.g. 0:50 (default all)\n"
          "  --max-rows N         use only the first N rows\n"
          "  --mem-limit BYTES    fail if the data need more than BYTES (default: the\n"
          "                       memory available on this node)\n\n"
          "exit codes: 0 ok, 1 runtime failure, 2 bad file or usage\n");
}

/* Prints an attribute's value compactly (at most 8 elements). */
static void print_attr(hid_t loc, const char *name, const char *indent) {
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  if (a < 0) return;
  hid_t t = H5Aget_type(a), s = H5Aget_space(a);
  hssize_t n = H5Sget_simple_extent_npoints(s);
  int scalar = H5Sget_simple_extent_type(s) == H5S_SCALAR;
  H5T_class_t c = H5Tget_class(t);
  printf("%s@%s = ", indent, name);
  if (c == H5T_STRING) {
    char **v = NULL;
    size_t k = 0;
    mlps_err e;
    if (h5_read_attr_strs(loc, ".", name, &v, &k, &e) == MLPS_OK) {
      if (!scalar) printf("[");
      for (size_t i = 0; i < k && i < 8; i++)
        printf("%s%s%s%s", i ? ", " : "", scalar ? "" : "\"", v[i], scalar ? "" : "\"");
      if (k > 8) printf(", ... (%zu)", k);
      if (!scalar) printf("]");
      h5_free_strings(v, k);
    } else {
      printf("(unreadable string)");
    }
  } else if (c == H5T_FLOAT || c == H5T_INTEGER) {
    double *v = calloc((size_t)(n > 0 ? n : 1), sizeof *v);
    if (v && H5Aread(a, H5T_NATIVE_DOUBLE, v) >= 0) {
      if (!scalar) printf("[");
      for (hssize_t i = 0; i < n && i < 8; i++) printf("%s%.10g", i ? ", " : "", v[i]);
      if (n > 8) printf(", ... (%lld)", (long long)n);
      if (!scalar) printf("]");
    }
    free(v);
  } else {
    char tb[48];
    printf("(%s)", h5_type_name(t, tb, sizeof tb));
  }
  printf("\n");
  H5Tclose(t);
  H5Sclose(s);
  H5Aclose(a);
}

static herr_t attr_cb(hid_t obj, const char *name, const H5A_info_t *info, void *indent) {
  (void)info;
  print_attr(obj, name, indent);
  return 0;
}

static void print_attrs(hid_t obj, const char *indent) {
  hsize_t idx = 0;
  H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_cb, (void *)indent);
}

static int max_cols = 12;
static long max_rows = -1;  /* --rows; -1 = the default bound */
static mlps_err read_error; /* the first dataset that could not be read */

#define STATS_MAX_COLS 65536 /* columns whose statistics are computed */
#define STATS_MAX_VALUES \
  (1L << 26) /* rows x columns read per dataset by default (~0.5 GiB as double, about 1 s) */
#define STATS_DEFAULT_ROWS 1000000L

static void print_dataset(hid_t d, const char *path, const char *file) {
  hid_t t = H5Dget_type(d), s = H5Dget_space(d), p = H5Dget_create_plist(d);
  char tb[48];
  int r = H5Sget_simple_extent_ndims(s);
  hsize_t dims[32] = {0};
  if (r > 0 && r <= 32) H5Sget_simple_extent_dims(s, dims, NULL);
  printf("/%s  %s  (", path, h5_type_name(t, tb, sizeof tb));
  for (int i = 0; i < r && i < 32; i++)
    printf("%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
  printf("%s)", r == 1 ? "," : "");
  if (H5Pget_layout(p) == H5D_CHUNKED) {
    hsize_t cd[32];
    int cr = H5Pget_chunk(p, 32, cd);
    printf("  chunked (");
    for (int i = 0; i < cr; i++) printf("%s%llu", i ? ", " : "", (unsigned long long)cd[i]);
    printf("%s)", cr == 1 ? "," : "");
    int nf = H5Pget_nfilters(p);
    for (int i = 0; i < nf; i++) {
      unsigned flags, cv[8];
      size_t ncv = 8;
      char fname[64] = "";
      H5Z_filter_t f = H5Pget_filter2(p, (unsigned)i, &flags, &ncv, cv, sizeof fname, fname, NULL);
      if (f == H5Z_FILTER_DEFLATE) printf(", gzip %u", ncv ? cv[0] : 0);
      else if (f == H5Z_FILTER_SHUFFLE) printf(", shuffle");
      else if (f == H5Z_FILTER_FLETCHER32) printf(", fletcher32");
      else printf(", filter %d (%s)", (int)f, fname);
    }
  } else if (H5Pget_layout(p) == H5D_COMPACT) {
    printf("  compact");
  } else {
    printf("  contiguous");
  }
  printf("\n");
  print_attrs(d, "    ");
  H5T_class_t c = H5Tget_class(t);
  if ((c == H5T_FLOAT || c == H5T_INTEGER) && (r == 1 || r == 2) && dims[0] > 0) {
    size_t ncf = r == 2 ? (size_t)dims[1] : 1, nrf = (size_t)dims[0];
    /* Bounded work: the file's shape is only a claim (a never-written
     * chunked dataset of 10^10 rows costs nothing to create). */
    size_t nc = ncf < STATS_MAX_COLS ? ncf : STATS_MAX_COLS, nr = nrf;
    if (max_rows != 0) {
      size_t lim = max_rows > 0 ? (size_t)max_rows : STATS_DEFAULT_ROWS;
      if (max_rows < 0 && nc && lim > (size_t)STATS_MAX_VALUES / nc)
        lim = (size_t)STATS_MAX_VALUES / nc;
      if (lim < 1) lim = 1;
      if (lim < nr) nr = lim;
    }
    h5_colstats *st = calloc(nc ? nc : 1, sizeof *st);
    mlps_err e = {0, ""};
    int src = st && nc ? h5_column_stats(d, nr, nc, st, file, path, &e) : MLPS_ERUNTIME;
    if (nr < nrf || nc < ncf) {
      printf("    (statistics");
      if (nr < nrf) printf(" over the first %zu of %zu rows", nr, nrf);
      if (nc < ncf) printf(" for the first %zu of %zu columns", nc, ncf);
      printf("%s)\n", nr < nrf ? "; --rows 0 for all rows" : "");
    }
    if (src == MLPS_OK) {
      size_t show = max_cols > 0 && (size_t)max_cols < nc ? (size_t)max_cols : nc;
      printf("    %8s %14s %14s %14s %8s %8s\n", r == 2 ? "column" : "", "min", "max", "mean",
             "NaN", "Inf");
      for (size_t j = 0; j < show; j++) {
        char col[32];
        if (r == 2) snprintf(col, sizeof col, "%zu", j);
        else snprintf(col, sizeof col, "all");
        printf("    %8s %14.6g %14.6g %14.6g %8llu %8llu\n", col, st[j].min, st[j].max, st[j].mean,
               (unsigned long long)st[j].nan, (unsigned long long)st[j].inf);
      }
      if (show < nc) {
        unsigned long long tn = 0, ti = 0;
        for (size_t j = 0; j < nc; j++) {
          tn += st[j].nan;
          ti += st[j].inf;
        }
        printf(
            "    ... %zu more columns (--columns 0 shows all); NaN in these %zu columns: %llu, "
            "Inf: %llu\n",
            nc - show, nc, tn, ti);
      }
    } else if (st && nc) {
      printf("    (statistics unavailable: %s)\n", e.msg);
      if (e.code == MLPS_EINPUT && !read_error.code) read_error = e;
    }
    free(st);
  }
  H5Pclose(p);
  H5Sclose(s);
  H5Tclose(t);
}

static herr_t visit_cb(hid_t g, const char *name, const h5_linfo *info, void *file) {
  if (info->type == H5L_TYPE_SOFT) {
    char target[512] = "";
    H5Lget_val(g, name, target, sizeof target, H5P_DEFAULT);
    printf("/%s  -> soft link to %s\n", name, target);
    return 0;
  }
  if (info->type != H5L_TYPE_HARD) {
    printf("/%s  (external link)\n", name);
    return 0;
  }
  hid_t o = H5Oopen(g, name, H5P_DEFAULT);
  if (o < 0) return 0;
  if (H5Iget_type(o) == H5I_DATASET) {
    print_dataset(o, name, file);
  } else if (H5Iget_type(o) == H5I_GROUP) {
    printf("/%s/  group\n", name);
    print_attrs(o, "    ");
  }
  H5Oclose(o);
  return 0;
}

static int describe(const char *path) {
  mlps_err e = {0, ""};
  hid_t f;
  if (h5_open_read(path, &f, &e)) return cli_report("info", &e);
  struct stat st;
  char b[32] = "?";
  if (stat(path, &st) == 0) data_fmt_bytes((double)st.st_size, b, sizeof b);
  printf("%s  (HDF5, %s)\n", path, b);
  print_attrs(f, "  ");
  H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, visit_cb, (void *)path);
  H5Fclose(f);
  /* Unreadable data is bad content, as in --check: described, then exit 2. */
  return read_error.code ? cli_report("info", &read_error) : 0;
}

static int check(const char *path, data_spec *spec) {
  mlps_err e = {0, ""};
  data_set ds;
  spec->path = path;
  if (data_load(spec, &ds, &e)) return cli_report("info", &e);
  char b[32], hex[17];
  printf(
      "ok: %s: inputs '%s' %s (%zu, %zu) of (%zu, %zu), targets '%s' %s (%zu, %zu) of (%zu, %zu); "
      "%s as float32; "
      "no NaN or Inf; content checksum %s\n",
      path, ds.inputs, ds.x_dtype, ds.n, ds.d, ds.n_file, ds.d_file, ds.targets, ds.y_dtype, ds.n,
      ds.m, ds.n_file, ds.m_file, data_fmt_bytes((double)ds.bytes, b, sizeof b),
      data_checksum_hex(ds.checksum, hex));
  if (ds.x_names) {
    printf("input names:");
    for (size_t j = 0; j < ds.d; j++) printf(" %s", ds.x_names[j]);
    printf("\n");
  }
  data_free(&ds);
  return 0;
}

int cmd_info(int argc, char **argv) {
  const char *path = NULL;
  int do_check = 0;
  data_spec spec;
  memset(&spec, 0, sizeof spec);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (cli_is_help(a)) {
      help(stdout);
      return 0;
    }
    if (a[0] != '-' || a[1] == '\0') {
      if (path) return cli_usage_error("info", "more than one file given ('%s' and '%s')", path, a);
      path = a;
      continue;
    }
    if (strcmp(a, "--check") == 0) {
      do_check = 1;
      continue;
    }
    static const char *const WITH_VALUE[] = {"--columns",  "--rows",          "--inputs",
                                             "--targets",  "--input-columns", "--target-columns",
                                             "--max-rows", "--mem-limit"};
    int known = 0;
    for (size_t q = 0; q < sizeof WITH_VALUE / sizeof *WITH_VALUE; q++)
      known |= strcmp(a, WITH_VALUE[q]) == 0;
    if (!known) return cli_usage_error("info", "unknown option '%s'", a);
    if (i + 1 >= argc) return cli_usage_error("info", "%s needs a value", a);
    const char *v = argv[++i];
    long l;
    if (strcmp(a, "--columns") == 0) {
      if (cli_parse_long("info", a, v, 0, 1000000, &l)) return 2;
      max_cols = (int)l;
    } else if (strcmp(a, "--rows") == 0) {
      if (cli_parse_long("info", a, v, 0, 0x7fffffffffffffffL, &l)) return 2;
      max_rows = l;
    } else if (strcmp(a, "--inputs") == 0) {
      spec.inputs = v;
    } else if (strcmp(a, "--targets") == 0) {
      spec.targets = v;
    } else if (strcmp(a, "--input-columns") == 0) {
      spec.input_columns = v;
    } else if (strcmp(a, "--target-columns") == 0) {
      spec.target_columns = v;
    } else if (strcmp(a, "--max-rows") == 0) {
      if (cli_parse_long("info", a, v, 1, 0x7fffffffffffffffL, &l)) return 2;
      spec.max_rows = l;
    } else if (strcmp(a, "--mem-limit") == 0) {
      double m;
      if (cli_parse_double("info", a, v, &m)) return 2;
      if (!(m >= 1))
        return cli_usage_error("info", "--mem-limit must be at least 1 byte, got %s", v);
      spec.mem_limit = (size_t)m;
    } else {
      return cli_usage_error("info", "unknown option '%s'", a);
    }
  }
  if (!path) return cli_usage_error("info", "missing FILE.h5");
  return do_check ? check(path, &spec) : describe(path);
}
