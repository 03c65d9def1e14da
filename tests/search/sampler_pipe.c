/* Ask/tell driver for mlpsweep's samplers, so that a script can run them
 * on an objective it computes itself (analysis/sampler_surrogate.py puts
 * them beside Optuna's TPE on the same objectives). Not a test.
 *
 *   sampler_pipe CONFIG.yaml [--set key=value ...]
 *
 * The sampler is the one the sweep would create from CONFIG (method,
 * options, seed, space). It first prints "params NAME ..." (the space's
 * parameters in order). Commands on stdin, one per line:
 *   ask T                      prints "x T x_0 ... x_{n-1}": trial T's point
 *                              (see search/sampler.h; categorical = index)
 *   tell T STATUS VALUE x...   records trial T as finished; STATUS is ok,
 *                              failed, diverged or timeout
 *   pend T x...                records trial T as running (constant liar)
 * Every reply line is flushed; an error prints "error: ..." and exits 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "search/sampler.h"
#include "util/err.h"
#include "util/names.h"

static int fail(const char *what, int line) {
  fprintf(stdout, "error: line %d: %s\n", line, what);
  fflush(stdout);
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help")) {
    fprintf(stderr,
            "usage: sampler_pipe CONFIG.yaml [--set key=value ...]  (commands on stdin: "
            "ask/tell/pend)\n");
    return 2;
  }
  const char *sets[64];
  int ns = 0;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--set") && i + 1 < argc && ns < 64) sets[ns++] = argv[++i];
    else {
      fprintf(stderr, "sampler_pipe: unexpected argument '%s'\n", argv[i]);
      return 2;
    }
  }
  mlps_config cfg;
  cfg_errors ce = {0};
  if (cfg_load(argv[1], sets, ns, &cfg, &ce)) {
    fputs(ce.text ? ce.text : "config error\n", stderr);
    cfg_errors_free(&ce);
    return 2;
  }
  sampler_options o;
  cfg_sampler_options(&cfg, &o);
  sampler *s;
  mlps_err err;
  if (sampler_create(&s, cfg.search.method, &cfg.space, cfg.seed, &o, &err)) {
    fprintf(stderr, "sampler_pipe: %s\n", err.msg);
    return 2;
  }
  int n = cfg.space.n, cap = 64, nh = 0, np = 0;
  sampler_obs *hist = mlps_xmalloc(sizeof *hist * (size_t)cap),
              *pend = mlps_xmalloc(sizeof *pend * (size_t)cap);
  printf("params");
  for (int j = 0; j < n; j++) printf(" %s", cfg.space.p[j].name);
  printf("\n");
  fflush(stdout);
  char line[4096];
  int lineno = 0, rc = 0;
  while (!rc && fgets(line, sizeof line, stdin)) {
    lineno++;
    char cmd[16];
    int t, off = 0;
    if (sscanf(line, "%15s %d%n", cmd, &t, &off) < 2) {
      if (strspn(line, " \t\r\n") == strlen(line)) continue;
      rc = fail("expected: ask T | tell T STATUS VALUE x... | pend T x...", lineno);
      break;
    }
    if (nh >= cap || np >= cap) {
      cap *= 2;
      hist = mlps_xrealloc(hist, sizeof *hist * (size_t)cap);
      pend = mlps_xrealloc(pend, sizeof *pend * (size_t)cap);
    }
    if (!strcmp(cmd, "ask")) {
      double x[SPACE_MAX_PARAMS];
      if (sampler_suggest(s, t, hist, nh, pend, np, x, &err)) {
        rc = fail(err.msg, lineno);
        break;
      }
      printf("x %d", t);
      for (int j = 0; j < n; j++) printf(" %.17g", x[j]);
      printf("\n");
      fflush(stdout);
      continue;
    }
    int is_tell = !strcmp(cmd, "tell");
    if (!is_tell && strcmp(cmd, "pend")) {
      rc = fail("unknown command (ask, tell, pend)", lineno);
      break;
    }
    sampler_obs ob = {.trial = t, .status = SAMPLER_TRIAL_PENDING, .value = 0};
    const char *p = line + off;
    if (is_tell) {
      char st[16];
      int k = 0;
      if (sscanf(p, "%15s %lf%n", st, &ob.value, &k) < 2) {
        rc = fail("tell needs STATUS VALUE", lineno);
        break;
      }
      p += k;
      /* finished statuses only: the names before "pending" */
      int found = names_find(SAMPLER_TRIAL_STATUS_NAMES, SAMPLER_TRIAL_PENDING, st);
      if (found < 0) {
        rc = fail("STATUS must be ok, failed, diverged or timeout", lineno);
        break;
      }
      ob.status = (sampler_trial_status)found;
    }
    for (int j = 0; j < n; j++) {
      char *end;
      ob.x[j] = strtod(p, &end);
      if (end == p) {
        rc = fail("too few coordinates for the space", lineno);
        break;
      }
      p = end;
    }
    if (rc) break;
    /* A told trial is no longer running. */
    for (int i = 0; i < np; i++)
      if (pend[i].trial == t) pend[i--] = pend[--np];
    if (is_tell) hist[nh++] = ob;
    else pend[np++] = ob;
  }
  free(hist);
  free(pend);
  sampler_free(s);
  cfg_free(&cfg);
  return rc;
}
