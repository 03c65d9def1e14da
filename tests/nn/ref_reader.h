/* Reader of tests/nn/data/torch_ref.txt (lines `name count v1 ... vcount`,
 * written by make_torch_reference.py). Test helper: aborts on a bad file. */
#ifndef MLPS_TEST_REF_READER_H
#define MLPS_TEST_REF_READER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char name[64];
  int n;
  double *v;
} ref_array;

typedef struct {
  int n;
  ref_array a[256];
} ref_file;

static void ref_load(ref_file *f, const char *path) {
  FILE *fp = fopen(path, "r");
  if (!fp) {
    fprintf(stderr, "cannot open reference file %s\n", path);
    exit(1);
  }
  f->n = 0;
  char name[64];
  int c;
  while ((c = fgetc(fp)) != EOF) {
    if (c == '#') {
      while ((c = fgetc(fp)) != EOF && c != '\n') {
      }
      continue;
    }
    if (c == '\n' || c == ' ') continue;
    ungetc(c, fp);
    int n;
    if (fscanf(fp, "%63s %d", name, &n) != 2 || n < 0 || f->n >= 256) {
      fprintf(stderr, "%s: malformed line after %d arrays\n", path, f->n);
      exit(1);
    }
    ref_array *a = &f->a[f->n++];
    snprintf(a->name, sizeof a->name, "%s", name);
    a->n = n;
    a->v = malloc((size_t)(n ? n : 1) * sizeof(double));
    for (int i = 0; i < n; i++)
      if (fscanf(fp, "%lf", &a->v[i]) != 1) {
        fprintf(stderr, "%s: %s: expected %d values\n", path, name, n);
        exit(1);
      }
  }
  fclose(fp);
}

static const ref_array *ref_get(const ref_file *f, const char *name, int n_expected) {
  for (int i = 0; i < f->n; i++)
    if (strcmp(f->a[i].name, name) == 0) {
      if (n_expected >= 0 && f->a[i].n != n_expected) {
        fprintf(stderr, "reference %s has %d values, expected %d\n", name, f->a[i].n, n_expected);
        exit(1);
      }
      return &f->a[i];
    }
  fprintf(stderr, "reference %s not found\n", name);
  exit(1);
}

static void ref_free(ref_file *f) {
  for (int i = 0; i < f->n; i++) free(f->a[i].v);
  f->n = 0;
}

#endif
