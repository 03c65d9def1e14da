/* Column selection parser: see colspec.h. */
#include "data/colspec.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int colspec_is_all(const char *spec) {
  if (!spec) return 1;
  while (isspace((unsigned char)*spec)) spec++;
  if (!*spec) return 1;
  size_t l = strlen(spec);
  while (l && isspace((unsigned char)spec[l - 1])) l--;
  return l == 3 && strncmp(spec, "all", 3) == 0;
}

#define HINT \
  "write e.g. \"0:50\", \"0,3,7\", \"0:10,20\", \"5:\" or \"all\" (0-based, a:b excludes b)"

/* Reads a non-negative integer at *p (skipping blanks). Returns 1 if one was
 * there, 0 if not, -1 on overflow. */
static int read_num(const char **p, int64_t *v) {
  while (isspace((unsigned char)**p)) (*p)++;
  if (!isdigit((unsigned char)**p)) return 0;
  errno = 0;
  char *end;
  long long x = strtoll(*p, &end, 10);
  if (errno || x > (long long)1 << 40) return -1;
  *p = end;
  while (isspace((unsigned char)**p)) (*p)++;
  *v = x;
  return 1;
}

typedef struct {
  int64_t a, b; /* columns a..b-1 */
} col_range;

static int range_cmp(const void *x, const void *y) {
  const col_range *p = x, *q = y;
  return p->a < q->a ? -1 : p->a > q->a;
}

/* Parses spec into its ranges and checks them against ncols (syntax only
 * when ncols < 0), duplicates included. Allocates in proportion to the
 * spec's length, never to ncols: a file claiming a billion columns must be
 * refused by the memory check (data.c), not by an allocation here. On
 * success *rs (malloc'ed, *nr entries, may be NULL when nr = 0) and *count
 * (columns selected; 0 when ncols < 0). */
static int parse_ranges(const char *spec, int64_t ncols, const char *what, col_range **rs,
                        size_t *nr, int64_t *count, mlps_err *e) {
  *rs = NULL;
  *nr = 0;
  *count = 0;
  if (colspec_is_all(spec)) {
    if (ncols > 0) {
      *rs = mlps_xmalloc(sizeof **rs);
      (*rs)[0] = (col_range){0, ncols};
      *nr = 1;
      *count = ncols;
    }
    return MLPS_OK;
  }
  size_t cap = 1; /* items <= commas + 1 */
  for (const char *q = spec; *q; q++) cap += *q == ',';
  col_range *r = mlps_xmalloc(cap * sizeof *r);
  size_t k = 0;
  const char *p = spec;
  int rc = MLPS_OK;
  for (;;) {
    const char *item = p;
    int64_t a = 0, b = -1;
    int ra = read_num(&p, &a), rb = 0, range = 0;
    if (ra < 0) {
      rc = mlps_errorf(e, MLPS_EINPUT, "%s \"%s\": number too large at \"%s\"; " HINT, what, spec,
                       item);
      break;
    }
    if (*p == ':') {
      range = 1;
      p++;
      rb = read_num(&p, &b);
      if (rb < 0) {
        rc = mlps_errorf(e, MLPS_EINPUT, "%s \"%s\": number too large at \"%s\"; " HINT, what, spec,
                         item);
        break;
      }
      if (!rb) b = -1; /* a: -> to the end */
    }
    if ((!ra && !range) || (*p != ',' && *p != '\0')) {
      size_t l = strcspn(item, ",");
      rc = mlps_errorf(e, MLPS_EINPUT,
                       "%s \"%s\": cannot read \"%.*s\" as a column or a range; " HINT, what, spec,
                       (int)l, item);
      break;
    }
    if (range && !ra) a = 0;
    if (range && b < 0) {
      if (ncols < 0) goto next; /* syntax only: a: is fine */
      b = ncols;
    }
    if (!range) b = a + 1;
    if (b <= a) {
      rc = mlps_errorf(e, MLPS_EINPUT,
                       "%s \"%s\": range %lld:%lld selects no column (a:b means a..b-1); " HINT,
                       what, spec, (long long)a, (long long)b);
      break;
    }
    if (ncols >= 0 && b > ncols) {
      rc = mlps_errorf(
          e, MLPS_EINPUT,
          "%s \"%s\": column %lld is out of range: the dataset has %lld columns (0..%lld)", what,
          spec, (long long)(b - 1), (long long)ncols, (long long)ncols - 1);
      break;
    }
    r[k++] = (col_range){a, b};
  next:
    if (*p == '\0') break;
    p++; /* ',' */
  }
  if (!rc && ncols >= 0 && k > 1) {
    /* Duplicates: sorted by start, a range starting before the furthest end
     * so far overlaps; the first found is the lowest repeated column. */
    col_range *sorted = mlps_xmalloc(k * sizeof *sorted);
    memcpy(sorted, r, k * sizeof *sorted);
    qsort(sorted, k, sizeof *sorted, range_cmp);
    int64_t end = sorted[0].b;
    for (size_t i = 1; i < k && !rc; i++) {
      if (sorted[i].a < end)
        rc = mlps_errorf(e, MLPS_EINPUT, "%s \"%s\": column %lld is selected twice", what, spec,
                         (long long)sorted[i].a);
      if (sorted[i].b > end) end = sorted[i].b;
    }
    free(sorted);
  }
  if (rc) {
    free(r);
    return rc;
  }
  int64_t cnt = 0;
  for (size_t i = 0; i < k; i++) cnt += r[i].b - r[i].a;
  *rs = r;
  *nr = k;
  *count = ncols >= 0 ? cnt : 0;
  return MLPS_OK;
}

int colspec_count(const char *spec, int64_t ncols, const char *what, int64_t *n, mlps_err *e) {
  col_range *r;
  size_t nr;
  int rc = parse_ranges(spec, ncols, what ? what : "columns", &r, &nr, n, e);
  free(r);
  return rc;
}

int colspec_parse(const char *spec, int64_t ncols, const char *what, int64_t **cols, int64_t *n,
                  mlps_err *e) {
  if (!what) what = "columns";
  *n = 0;
  if (cols) *cols = NULL;
  col_range *r;
  size_t nr;
  int64_t cnt;
  MLPS_TRY(parse_ranges(spec, ncols, what, &r, &nr, &cnt, e));
  if (ncols < 0) {
    free(r);
    return MLPS_OK;
  }
  int64_t *c = malloc((size_t)(cnt ? cnt : 1) * sizeof *c);
  if (!c) {
    free(r);
    return mlps_errorf(e, MLPS_ERUNTIME, "%s: out of memory for %lld columns", what,
                       (long long)cnt);
  }
  int64_t q = 0;
  for (size_t i = 0; i < nr; i++)
    for (int64_t j = r[i].a; j < r[i].b; j++) c[q++] = j;
  free(r);
  *cols = c;
  *n = cnt;
  return MLPS_OK;
}

const char *colspec_format(const int64_t *cols, int64_t n, int64_t ncols, char *buf,
                           size_t bufsize) {
  if (!bufsize) return buf;
  buf[0] = '\0';
  int all = n == ncols;
  for (int64_t i = 0; i < n && all; i++) all = cols[i] == i;
  if (all) {
    snprintf(buf, bufsize, "all");
    return buf;
  }
  size_t p = 0;
  for (int64_t i = 0; i < n && p < bufsize;) {
    int64_t j = i;
    while (j + 1 < n && cols[j + 1] == cols[j] + 1) j++;
    int w = j > i ? snprintf(buf + p, bufsize - p, "%s%lld:%lld", i ? "," : "", (long long)cols[i],
                             (long long)cols[j] + 1)
                  : snprintf(buf + p, bufsize - p, "%s%lld", i ? "," : "", (long long)cols[i]);
    if (w < 0) break;
    p += (size_t)w;
    i = j + 1;
  }
  return buf;
}
