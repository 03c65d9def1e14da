/* The search space: hyperparameters and their domains, following Weights &
 * Biases sweep conventions. config/ fills it from YAML; samplers read it.
 *
 * A point in the space is a vector of doubles, one per parameter: the index of
 * the choice for categorical parameters, the value itself for numeric ones
 * (integers are stored exactly as doubles). */
#ifndef MLPS_SPACE_H
#define MLPS_SPACE_H

#include <stdint.h>

typedef enum {
  DIST_CONSTANT,
  DIST_CATEGORICAL,
  DIST_INT_UNIFORM,
  DIST_UNIFORM,
  DIST_Q_UNIFORM,
  DIST_LOG_UNIFORM_VALUES,   /* log-uniform between min and max (values, not logs) */
  DIST_Q_LOG_UNIFORM_VALUES, /* the same, rounded to a multiple of q */
  DIST_COUNT
} space_dist;
extern const char *const SPACE_DIST_NAMES[DIST_COUNT];

typedef enum { VAL_INT, VAL_FLOAT, VAL_STRING } space_value_type;
typedef struct {
  space_value_type type;
  long i;
  double f;
  char s[128]; /* widths lists like "1024,1024,512,256" fit */
} space_value;

#define SPACE_MAX_PARAMS 32
#define SPACE_MAX_CHOICES 64
#define SPACE_NAME_MAX 48

typedef struct {
  char name[SPACE_NAME_MAX]; /* e.g. "layers", "lr", "activation" */
  space_dist dist;
  int is_int;         /* numeric domain takes integer values */
  double min, max, q; /* numeric domains; q > 0 only for q_ dists */
  int n_values;       /* categorical (and constant: 1) */
  space_value values[SPACE_MAX_CHOICES];
} space_param;

typedef struct {
  int n;
  space_param p[SPACE_MAX_PARAMS];
} search_space;

/* Index of the parameter named name, or -1. */
int space_find(const search_space *s, const char *name);
/* True when every parameter has finitely many values (constant or
 * categorical): the space can be searched by grid. */
int space_is_finite(const search_space *s);
/* Number of grid points (product of n_values), saturating at UINT64_MAX. */
uint64_t space_grid_size(const search_space *s);

#endif
