/* Search-space queries shared by the samplers and config. */
#include "search/space.h"

#include <string.h>

const char *const SPACE_DIST_NAMES[DIST_COUNT] = {
    "constant",  "categorical",        "int_uniform",         "uniform",
    "q_uniform", "log_uniform_values", "q_log_uniform_values"};

int space_find(const search_space *s, const char *name) {
  for (int i = 0; i < s->n; i++)
    if (strcmp(s->p[i].name, name) == 0) return i;
  return -1;
}

int space_is_finite(const search_space *s) {
  for (int i = 0; i < s->n; i++)
    if (s->p[i].dist != DIST_CONSTANT && s->p[i].dist != DIST_CATEGORICAL) return 0;
  return 1;
}

uint64_t space_grid_size(const search_space *s) {
  uint64_t n = 1;
  for (int i = 0; i < s->n; i++) {
    uint64_t k = s->p[i].dist == DIST_CATEGORICAL ? (uint64_t)s->p[i].n_values : 1;
    if (k && n > UINT64_MAX / k) return UINT64_MAX;
    n *= k;
  }
  return n;
}
