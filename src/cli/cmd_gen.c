/* mlpsweep gen: writes an example emulation data set (see data/gen.h), or
 * with --params evaluates the noise-free model at given parameters (the true
 * model for analysis/mcmc_check.py, from the same code as the data set). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "data/gen.h"
#include "data/h5.h"
#include "util/names.h"

static void help(FILE *f) {
  fprintf(f,
          "usage: mlpsweep gen MODEL --n N [--seed S] [--sampling lhs|random]\n"
          "                    [--noise none|poisson] [--exposure T] [--gzip LEVEL] -o FILE.h5 "
          "[--force]\n"
          "       mlpsweep gen MODEL --params P1,P2,...|- [--exposure T]\n\n"
          "Writes an example emulation data set: /X (N, d) parameters, /Y (N, m) model\n"
          "outputs in natural units (transforms such as log belong to the sweep config),\n"
          "/grid (m) energies or wavenumbers, and attributes naming the parameters and\n"
          "their ranges, the model, sampling, seed and format (mlpsweep-data 1).\n\n"
          "models:\n"
          "  powerlaw        lnA in [ln 5e-4, ln 5e-2], Gamma in [1, 3]\n"
          "                  -> T A E^-Gamma at 60 log-spaced E in 0.3-10 keV\n"
          "  brokenpowerlaw  Gamma1 in [0, 1.5], Gamma2 in [1.5, 5], Eb in [0.5, 5] keV\n"
          "                  -> T (E/Eb)^-Gamma1 below Eb, T (E/Eb)^-Gamma2 above\n"
          "  linpower        Omega_c [0.1, 0.6], Omega_b [0.04, 0.06], h [0.64, 0.82],\n"
          "                  n_s [0.84, 1.1], sigma_8 [0.8, 1.0] -> linear P(k), z = 0,\n"
          "                  Eisenstein & Hu (1998) with BAO, 50 log-spaced k in\n"
          "                  [1e-3, 10] h/Mpc, normalised to sigma_8\n\n"
          "options:\n"
          "  --n N           number of samples (required)\n"
          "  --seed S        random seed (default 1)\n"
          "  --sampling M    lhs (Latin hypercube, default) or random (uniform)\n"
          "  --noise M       none (default) or poisson (counts; power-law models only)\n"
          "  --exposure T    multiplies the spectra (the Poisson means); default 1\n"
          "  --gzip LEVEL    store /X and /Y chunked and gzip-compressed (1-9); default 0\n"
          "  -o FILE.h5      output file (required); an existing file is refused (exit 2)\n"
          "  --force         overwrite FILE.h5 if it exists\n\n"
          "evaluation mode (no file written):\n"
          "  --params P1,P2,...  prints the noise-free model (times --exposure) at one\n"
          "                  point as one line of m numbers (%%.17g: exact doubles, the same\n"
          "                  values as /Y of a noise-free data set at those parameters)\n"
          "  --params -      reads parameter rows from stdin (d numbers per line,\n"
          "                  separated by commas or blanks) and writes one line per row,\n"
          "                  flushed: a persistent process a sampler can feed in batches.\n"
          "                  Values outside the ranges above are evaluated as they are.\n");
}

static int pick(const char *opt, const char *v, const char *const *table, int n, int *out) {
  int k = names_find(table, n, v);
  if (k < 0) {
    char all[128];
    int c = names_closest(table, n, v);
    return cli_usage_error("gen", "%s: unknown value '%s'%s%s%s; valid: %s", opt, v,
                           c >= 0 ? " (did you mean '" : "", c >= 0 ? table[c] : "",
                           c >= 0 ? "'?)" : "", names_join(table, n, all, sizeof all));
  }
  *out = k;
  return 0;
}

/* Parses d numbers separated by commas or blanks from s into p; returns the
 * count found (d + 1 if there are more), or -1 at a token that is not a
 * finite number (its offset in *bad). */
static int parse_row(const char *s, int d, double *p, size_t *bad) {
  int k = 0;
  const char *c = s;
  for (;;) {
    while (*c == ',' || *c == ' ' || *c == '\t' || *c == '\r' || *c == '\n') c++;
    if (*c == '\0') return k;
    char *end;
    double v = strtod(c, &end);
    if (end == c || !isfinite(v) || (*end && !strchr(", \t\r\n", *end))) {
      *bad = (size_t)(c - s);
      return -1;
    }
    if (k == d) return d + 1;
    p[k++] = v;
    c = end;
  }
}

static void print_row(const double *y, int m) {
  for (int j = 0; j < m; j++) printf(j ? " %.17g" : "%.17g", y[j]);
  putchar('\n');
}

/* --params: one point from the command line, or rows from stdin until EOF.
 * The spectra are gen_eval's times the exposure, as gen_make computes them. */
static int eval_params(gen_model model, const char *params, double exposure) {
  const gen_info *in = gen_model_info(model);
  double p[16] /* d <= 5 */, *grid = malloc((size_t)in->m * sizeof *grid),
                             *y = malloc((size_t)in->m * sizeof *y);
  if (!grid || !y) {
    free(grid);
    free(y);
    fprintf(stderr, "mlpsweep gen: out of memory\n");
    return 1;
  }
  gen_grid(model, grid);
  int rc = 0;
  size_t bad = 0;
  if (strcmp(params, "-") != 0) {
    int k = parse_row(params, in->d, p, &bad);
    if (k != in->d) {
      rc = k < 0 ? cli_usage_error("gen", "--params: '%s' at character %zu is not a finite number",
                                   params + bad, bad + 1)
                 : cli_usage_error("gen", "--params: %s takes %d parameters (%s first), got %s%d",
                                   GEN_MODEL_NAMES[model], in->d, in->names[0],
                                   k > in->d ? "more than " : "", k > in->d ? in->d : k);
    } else {
      gen_eval(model, p, grid, y);
      for (int j = 0; j < in->m; j++) y[j] *= exposure;
      print_row(y, in->m);
    }
  } else {
    static char line[65536];
    for (size_t ln = 1; fgets(line, sizeof line, stdin); ln++) {
      if (!strchr(line, '\n') && !feof(stdin)) {
        rc = cli_usage_error("gen", "stdin line %zu: longer than %zu characters", ln,
                             sizeof line - 2);
        break;
      }
      int k = parse_row(line, in->d, p, &bad);
      if (k != in->d) {
        line[strcspn(line, "\r\n")] = '\0';
        rc = k < 0 ? cli_usage_error("gen",
                                     "stdin line %zu, character %zu: '%s' is not a finite number",
                                     ln, bad + 1, line + bad)
                   : cli_usage_error("gen",
                                     "stdin line %zu: %s takes %d parameters per line, got %s%d",
                                     ln, GEN_MODEL_NAMES[model], in->d,
                                     k > in->d ? "more than " : "", k > in->d ? in->d : k);
        break;
      }
      gen_eval(model, p, grid, y);
      for (int j = 0; j < in->m; j++) y[j] *= exposure;
      print_row(y, in->m);
      fflush(stdout); /* the reader waits for this row before sending more */
    }
  }
  free(grid);
  free(y);
  return rc;
}

int cmd_gen(int argc, char **argv) {
  gen_opts o = {GEN_POWERLAW, 0, 1, GEN_LHS, GEN_NOISE_NONE, 1.0, 0};
  const char *model = NULL, *out = NULL, *params = NULL;
  int have_n = 0, force = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (cli_is_help(a)) {
      help(stdout);
      return 0;
    }
    int is_opt = a[0] == '-' && a[1] != '\0';
    if (strcmp(a, "--force") == 0) {
      force = 1;
      continue;
    }
    if (!is_opt) {
      if (model)
        return cli_usage_error("gen", "more than one MODEL given ('%s' and '%s')", model, a);
      model = a;
      continue;
    }
    static const char *const WITH_VALUE[] = {"--n",      "-n",         "--seed", "--sampling",
                                             "--noise",  "--exposure", "--gzip", "-o",
                                             "--output", "--params"};
    int known = 0;
    for (size_t q = 0; q < sizeof WITH_VALUE / sizeof *WITH_VALUE; q++)
      known |= strcmp(a, WITH_VALUE[q]) == 0;
    if (!known) return cli_usage_error("gen", "unknown option '%s'", a);
    if (i + 1 >= argc) return cli_usage_error("gen", "%s needs a value", a);
    const char *v = argv[++i];
    long l;
    int k = 0;
    if (strcmp(a, "--n") == 0 || strcmp(a, "-n") == 0) {
      if (cli_parse_long("gen", a, v, 1, 1000000000L, &l)) return 2;
      o.n = (size_t)l;
      have_n = 1;
    } else if (strcmp(a, "--seed") == 0) {
      if (cli_parse_long("gen", a, v, 0, 0x7fffffffffffffffL, &l)) return 2;
      o.seed = (uint64_t)l;
    } else if (strcmp(a, "--sampling") == 0) {
      if (pick(a, v, GEN_SAMPLING_NAMES, GEN_SAMPLING_COUNT, &k)) return 2;
      o.sampling = (gen_sampling)k;
    } else if (strcmp(a, "--noise") == 0) {
      if (pick(a, v, GEN_NOISE_NAMES, GEN_NOISE_COUNT, &k)) return 2;
      o.noise = (gen_noise)k;
    } else if (strcmp(a, "--exposure") == 0) {
      if (cli_parse_double("gen", a, v, &o.exposure)) return 2;
      if (!(o.exposure > 0)) return cli_usage_error("gen", "--exposure must be > 0, got %s", v);
    } else if (strcmp(a, "--gzip") == 0) {
      if (cli_parse_long("gen", a, v, 0, 9, &l)) return 2;
      o.gzip = (int)l;
    } else if (strcmp(a, "--params") == 0) {
      params = v;
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      out = v;
    } else {
      return cli_usage_error("gen", "unknown option '%s'", a);
    }
  }
  if (!model) return cli_usage_error("gen", "missing MODEL (powerlaw, brokenpowerlaw or linpower)");
  int k = 0;
  if (pick("MODEL", model, GEN_MODEL_NAMES, GEN_COUNT, &k)) return 2;
  o.model = (gen_model)k;
  if (params) {
    if (have_n || out || o.noise != GEN_NOISE_NONE)
      return cli_usage_error("gen",
                             "--params evaluates the noise-free model and writes no file: "
                             "drop --n, -o and --noise");
    return eval_params(o.model, params, o.exposure);
  }
  if (!have_n) return cli_usage_error("gen", "missing --n N (number of samples)");
  if (!out) return cli_usage_error("gen", "missing -o FILE.h5");
  if (o.noise == GEN_NOISE_POISSON && !gen_model_info(o.model)->allows_noise)
    return cli_usage_error("gen", "--noise poisson applies to the power-law models only, not %s",
                           model);
  mlps_err e = {0, ""};
  if (h5_check_overwrite(out, force, &e)) return cli_report("gen", &e);
  int rc = gen_write(out, &o, &e);
  if (rc) return cli_report("gen", &e);
  const gen_info *in = gen_model_info(o.model);
  printf("wrote %s: %s, %zu samples (%s, seed %llu), X (%zu, %d), Y (%zu, %d)\n", out, model, o.n,
         GEN_SAMPLING_NAMES[o.sampling], (unsigned long long)o.seed, o.n, in->d, o.n, in->m);
  return 0;
}
