/* TPE settings compared on the synthetic objectives of the search tests
 * (Branin, Hartmann-6, mixed categorical + integer + log-float): median
 * regret (best found minus the known minimum) after 20, 30 and 60
 * evaluations over many seeds, for the defaults, the recommended setting of
 * configs/bench-tpe.yaml (multivariate, 5 startup trials, gamma 0.15) and
 * the steps between, with random search as the floor. Prints a Markdown
 * table. Not a test (the test with a pass/fail margin is test_tpe.c):
 *
 *   build/tests/search/bench_tpe_settings [--seeds N] [--seed0 S]  */
#include "search_test_util.h"

typedef struct {
  const char *name;
  int method_tpe, multivariate, startup;
  double gamma;
} setting;

static const setting SETTINGS[] = {
    {"TPE defaults (univariate, startup 10, gamma 0.1)", 1, 0, 10, 0.1},
    {"univariate, gamma 0.15", 1, 0, 10, 0.15},
    {"multivariate", 1, 1, 10, 0.1},
    {"multivariate, startup 5", 1, 1, 5, 0.1},
    {"multivariate, startup 5, gamma 0.15 (recommended)", 1, 1, 5, 0.15},
    {"random", 0, 0, 0, 0.1},
};
#define N_SETTINGS (int)(sizeof SETTINGS / sizeof SETTINGS[0])
#define MAX_SEEDS 1000
#define EVALS 60

int main(int argc, char **argv) {
  int n_seeds = 200;
  unsigned long long seed0 = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--seeds")) n_seeds = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--seed0")) seed0 = strtoull(argv[i + 1], NULL, 10);
    else n_seeds = -1;
  }
  if (n_seeds < 1 || n_seeds > MAX_SEEDS) {
    fprintf(stderr, "usage: bench_tpe_settings [--seeds 1..%d] [--seed0 S]\n", MAX_SEEDS);
    return 2;
  }
  static double reg[3][MAX_SEEDS];
  static const int AT[3] = {20, 30, 60};
  double best[EVALS];
  printf("median regret after 20 / 30 / 60 evaluations, %d seeds from %llu\n\n", n_seeds, seed0);
  printf("| setting |");
  for (int f = 0; f < 3; f++) printf(" %s |", OBJECTIVES[f].name);
  printf("\n|---|---:|---:|---:|\n");
  for (int v = 0; v < N_SETTINGS; v++) {
    const setting *st = &SETTINGS[v];
    printf("| %s |", st->name);
    for (int f = 0; f < 3; f++) {
      const objective *obj = &OBJECTIVES[f];
      for (int k = 0; k < n_seeds; k++) {
        sampler_options o;
        sampler_options_init(&o);
        o.trials = EVALS;
        o.multivariate = st->multivariate;
        o.startup_trials = st->startup;
        o.gamma = st->gamma;
        if (run_search(obj, st->method_tpe ? SAMPLER_TPE : SAMPLER_RANDOM, &o, seed0 + (uint64_t)k,
                       EVALS, best)) {
          fprintf(stderr, "bench_tpe_settings: %s on %s failed\n", st->name, obj->name);
          return 1;
        }
        for (int a = 0; a < 3; a++) reg[a][k] = best[AT[a] - 1] - obj->fmin;
      }
      printf(" %.3f / %.3f / %.3f |", median(reg[0], n_seeds), median(reg[1], n_seeds),
             median(reg[2], n_seeds));
    }
    printf("\n");
  }
  return 0;
}
