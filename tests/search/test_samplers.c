/* Non-adaptive samplers (grid, random, LHS, Sobol): determinism, domain
 * correctness of every distribution, LHS strata, Sobol reference values,
 * and the options/space validation messages. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "search/sampler.h"
#include "search/sobol.h"
#include "search_test_util.h"
#include "test_util.h"

/* Every distribution once, plus a constant. */
static void all_dists_space(search_space *s) {
  memset(s, 0, sizeof *s);
  sp_cat(s, "activation", 5);                                     /* 0 */
  sp_num(s, "layers", DIST_INT_UNIFORM, 1, 20, 0, 1);             /* 1 */
  sp_num(s, "dropout", DIST_UNIFORM, 0, 0.5, 0, 0);               /* 2 */
  sp_num(s, "batch", DIST_Q_UNIFORM, 16, 2048, 16, 1);            /* 3 */
  sp_num(s, "lr", DIST_LOG_UNIFORM_VALUES, 1e-5, 1e-2, 0, 0);     /* 4 */
  sp_num(s, "width", DIST_LOG_UNIFORM_VALUES, 16, 2048, 0, 1);    /* 5 */
  sp_const(s, "epochs", 100);                                     /* 6 */
  sp_num(s, "wd", DIST_Q_LOG_UNIFORM_VALUES, 0.003, 1, 0.005, 0); /* 7 */
  sp_num(s, "frac", DIST_Q_UNIFORM, 0.05, 0.95, 0.1, 0);          /* 8 */
}

static int is_multiple(double v, double q) { return fabs(v / q - nearbyint(v / q)) < 1e-9; }

static void check_domain(const char *what, const double *x) {
  int bad = 0;
  bad |= !(x[0] == floor(x[0]) && x[0] >= 0 && x[0] <= 4);
  bad |= !(x[1] == floor(x[1]) && x[1] >= 1 && x[1] <= 20);
  bad |= !(x[2] >= 0 && x[2] <= 0.5);
  bad |= !(x[3] == floor(x[3]) && x[3] >= 16 && x[3] <= 2048 && is_multiple(x[3], 16));
  bad |= !(x[4] >= 1e-5 && x[4] <= 1e-2);
  bad |= !(x[5] == floor(x[5]) && x[5] >= 16 && x[5] <= 2048);
  bad |= !(x[6] == 0);
  bad |= !(x[7] >= 0.003 && x[7] <= 1 && is_multiple(x[7], 0.005) && x[7] >= 0.005);
  bad |= !(x[8] >= 0.05 && x[8] <= 0.95 && is_multiple(x[8], 0.1));
  if (bad) {
    fprintf(stderr, "%s: point out of domain:", what);
    for (int i = 0; i < 9; i++) fprintf(stderr, " %.17g", x[i]);
    fprintf(stderr, "\n");
  }
  CHECK(!bad);
}

static void test_domains(void) {
  search_space sp;
  all_dists_space(&sp);
  const int N = 600;
  for (int m = SAMPLER_RANDOM; m <= SAMPLER_TPE; m++) {
    sampler_options o;
    sampler_options_init(&o);
    o.trials = N;
    sampler *s;
    mlps_err err;
    CHECK(sampler_create(&s, (sampler_method)m, &sp, 11, &o, &err) == MLPS_OK);
    CHECK(sampler_dims(s) == 8);
    int layer_seen[21] = {0}, act_seen[5] = {0};
    int lr_low = 0, width_low = 0;
    sampler_obs *h = calloc(N, sizeof *h);
    for (int t = 0; t < N; t++) {
      double *x = h[t].x;
      h[t].trial = t;
      CHECK(sampler_suggest(s, t, h, t, NULL, 0, x, &err) == MLPS_OK);
      h[t].status = SAMPLER_TRIAL_OK;
      h[t].value = x[2] + x[1]; /* some objective for TPE */
      check_domain(SAMPLER_METHOD_NAMES[m], x);
      layer_seen[(int)x[1]]++;
      act_seen[(int)x[0]]++;
      lr_low += x[4] < sqrt(1e-5 * 1e-2);
      width_low += x[5] < sqrt(16.0 * 2048.0);
    }
    if (m != SAMPLER_TPE) { /* uniform coverage (TPE concentrates, by design) */
      for (int k = 1; k <= 20; k++) CHECK(layer_seen[k] > 0);
      for (int k = 0; k < 5; k++) CHECK(act_seen[k] > 0);
      /* log scale: half the draws below the geometric mid-point. Binomial
       * sd for 600 draws is 12; +-60 is 5 sd. */
      CHECK(abs(lr_low - N / 2) < 60);
      CHECK(abs(width_low - N / 2) < 60);
    }
    free(h);
    sampler_free(s);
  }
}

static void test_determinism(void) {
  search_space sp;
  all_dists_space(&sp);
  for (int m = SAMPLER_RANDOM; m <= SAMPLER_SOBOL; m++) {
    sampler_options o;
    sampler_options_init(&o);
    o.trials = 40;
    sampler *a, *b, *c;
    mlps_err err;
    CHECK(sampler_create(&a, (sampler_method)m, &sp, 5, &o, &err) == MLPS_OK);
    CHECK(sampler_create(&b, (sampler_method)m, &sp, 5, &o, &err) == MLPS_OK);
    CHECK(sampler_create(&c, (sampler_method)m, &sp, 6, &o, &err) == MLPS_OK);
    double xa[40][SPACE_MAX_PARAMS], xb[SPACE_MAX_PARAMS], xc[SPACE_MAX_PARAMS];
    int differs = 0;
    for (int t = 0; t < 40; t++)
      CHECK(sampler_suggest(a, t, NULL, 0, NULL, 0, xa[t], &err) == MLPS_OK);
    /* Asked in reverse order by another sampler object: same points. */
    for (int t = 39; t >= 0; t--) {
      CHECK(sampler_suggest(b, t, NULL, 0, NULL, 0, xb, &err) == MLPS_OK);
      CHECK(memcmp(xa[t], xb, sizeof(double) * (size_t)sp.n) == 0);
      CHECK(sampler_suggest(c, t, NULL, 0, NULL, 0, xc, &err) == MLPS_OK);
      differs += memcmp(xa[t], xc, sizeof(double) * (size_t)sp.n) != 0;
    }
    CHECK(differs > 30); /* another seed gives other points */
    sampler_free(a);
    sampler_free(b);
    sampler_free(c);
  }
}

static void unit_space(search_space *s, int d) {
  memset(s, 0, sizeof *s);
  for (int i = 0; i < d; i++) {
    char nm[16];
    snprintf(nm, sizeof nm, "u%d", i);
    sp_num(s, nm, DIST_UNIFORM, 0, 1, 0, 0);
  }
}

static void test_lhs_strata(void) {
  search_space sp;
  unit_space(&sp, 4);
  sp_cat(&sp, "c", 5);
  const int N = 50;
  sampler_options o;
  sampler_options_init(&o);
  o.trials = N;
  sampler *s;
  mlps_err err;
  CHECK(sampler_create(&s, SAMPLER_LHS, &sp, 3, &o, &err) == MLPS_OK);
  int cnt[4][50] = {{0}}, cat[5] = {0};
  int cnt2[4][50] = {{0}};
  for (int t = 0; t < 2 * N; t++) {
    double x[SPACE_MAX_PARAMS];
    CHECK(sampler_suggest(s, t, NULL, 0, NULL, 0, x, &err) == MLPS_OK);
    for (int j = 0; j < 4; j++) {
      int st = (int)floor(x[j] * N);
      CHECK(st >= 0 && st < N);
      if (st < 0 || st >= N) continue;
      if (t < N) cnt[j][st]++;
      else cnt2[j][st]++; /* trials N..2N-1: a second, independent design */
    }
    if (t < N) cat[(int)x[4]]++;
  }
  for (int j = 0; j < 4; j++)
    for (int k = 0; k < N; k++) {
      CHECK(cnt[j][k] == 1);
      CHECK(cnt2[j][k] == 1);
    }
  for (int k = 0; k < 5; k++) CHECK(cat[k] == N / 5); /* 50 strata -> 10 per choice */
  sampler_free(s);
}

static void test_sobol(void) {
  /* First 8 points of the unscrambled sequence, dimensions 1-3, as printed
   * by Joe & Kuo's generator and by scipy.stats.qmc.Sobol(scramble=False). */
  static const double ref[8][3] = {{0, 0, 0},
                                   {0.5, 0.5, 0.5},
                                   {0.75, 0.25, 0.25},
                                   {0.25, 0.75, 0.75},
                                   {0.375, 0.375, 0.625},
                                   {0.875, 0.875, 0.125},
                                   {0.625, 0.125, 0.875},
                                   {0.125, 0.625, 0.375}};
  for (int k = 0; k < 8; k++)
    for (int d = 0; d < 3; d++) CHECK_CLOSE(sobol_coord((uint32_t)k, d) * 0x1p-32, ref[k][d], 0, 0);

  /* Through the sampler with scrambling off: trial k = point k. */
  search_space sp;
  unit_space(&sp, 32);
  sampler_options o;
  sampler_options_init(&o);
  o.sobol_scramble = 0;
  sampler *s;
  mlps_err err;
  CHECK(sampler_create(&s, SAMPLER_SOBOL, &sp, 1, &o, &err) == MLPS_OK);
  double x[SPACE_MAX_PARAMS];
  for (int k = 0; k < 8; k++) {
    CHECK(sampler_suggest(s, k, NULL, 0, NULL, 0, x, &err) == MLPS_OK);
    for (int d = 0; d < 3; d++) CHECK_CLOSE(x[d], ref[k][d], 0, 0);
  }
  sampler_free(s);

  /* Every one of the 32 dimensions: the first 2^m points put one point in
   * each interval [i/2^m, (i+1)/2^m) (a (0,m,1)-net), scrambled or not.
   * Pairs: the t-value of the first 256 points (smallest t such that every
   * elementary box 2^-a x 2^-b with a + b = 8 - t holds exactly 2^t
   * points). Dimensions 1-2 form a (0,8,2)-net; a digital shift must keep
   * every pair's t-value. */
  int tval[2][32][32];
  for (int scr = 0; scr <= 1; scr++) {
    o.sobol_scramble = scr;
    CHECK(sampler_create(&s, SAMPLER_SOBOL, &sp, 9, &o, &err) == MLPS_OK);
    static double pts[256][SPACE_MAX_PARAMS];
    for (int k = 0; k < 256; k++)
      CHECK(sampler_suggest(s, k, NULL, 0, NULL, 0, pts[k], &err) == MLPS_OK);
    for (int d = 0; d < 32; d++) {
      int cnt[256] = {0};
      for (int k = 0; k < 256; k++) cnt[(int)(pts[k][d] * 256)]++;
      int ok = 1;
      for (int i = 0; i < 256; i++) ok &= cnt[i] == 1;
      if (!ok) fprintf(stderr, "sobol dim %d (scramble %d) is not stratified\n", d, scr);
      CHECK(ok);
    }
    int worst = 0;
    for (int a = 0; a < 32; a++)
      for (int b = a + 1; b < 32; b++) {
        int t;
        for (t = 0; t < 8; t++) {
          int ok = 1;
          for (int ea = 0; ea <= 8 - t && ok; ea++) {
            int eb = 8 - t - ea;
            int cnt[256] = {0};
            for (int k = 0; k < 256; k++) {
              int ia = (int)(pts[k][a] * (1 << ea)), ib = (int)(pts[k][b] * (1 << eb));
              cnt[(ia << eb) | ib]++;
            }
            for (int i = 0; i < (1 << (8 - t)); i++) ok &= cnt[i] == (1 << t);
          }
          if (ok) break;
        }
        tval[scr][a][b] = t;
        if (t > worst) worst = t;
      }
    printf(
        "sobol (scramble %d): dims 1-2 t = %d; worst t-value over all 496 pairs of 32 dims, 256 "
        "points: %d\n",
        scr, tval[scr][0][1], worst);
    CHECK(tval[scr][0][1] == 0);
    sampler_free(s);
  }
  int same = 1;
  for (int a = 0; a < 32; a++)
    for (int b = a + 1; b < 32; b++) same &= tval[0][a][b] == tval[1][a][b];
  CHECK(same);
}

static void test_grid(void) {
  search_space sp;
  memset(&sp, 0, sizeof sp);
  sp_cat(&sp, "a", 2);
  sp_const(&sp, "k", 3);
  sp_cat(&sp, "b", 3);
  sp_cat(&sp, "c", 4);
  sampler_options o;
  sampler_options_init(&o);
  o.trials = 100;
  sampler *s;
  mlps_err err;
  CHECK(sampler_create(&s, SAMPLER_GRID, &sp, 1, &o, &err) == MLPS_OK);
  CHECK(sampler_budget(s) == 24);
  int seen[24] = {0};
  for (int t = 0; t < 24; t++) {
    double x[SPACE_MAX_PARAMS];
    CHECK(sampler_ready(s, t, NULL, 0) == SAMPLER_READY);
    CHECK(sampler_suggest(s, t, NULL, 0, NULL, 0, x, &err) == MLPS_OK);
    CHECK(x[1] == 0);
    int code = (int)x[0] * 12 + (int)x[2] * 4 + (int)x[3];
    CHECK(code == t); /* last parameter fastest, like itertools.product */
    if (code >= 0 && code < 24) seen[code]++;
  }
  for (int i = 0; i < 24; i++) CHECK(seen[i] == 1);
  CHECK(sampler_ready(s, 24, NULL, 0) == SAMPLER_DONE);
  double x[SPACE_MAX_PARAMS];
  CHECK(sampler_suggest(s, 24, NULL, 0, NULL, 0, x, &err) == MLPS_EINPUT);
  sampler_free(s);
  o.trials = 10;
  CHECK(sampler_create(&s, SAMPLER_GRID, &sp, 1, &o, &err) == MLPS_OK);
  CHECK(sampler_budget(s) == 10);
  sampler_free(s);

  /* A continuous parameter cannot be gridded: clear message naming it. */
  sp_num(&sp, "lr", DIST_LOG_UNIFORM_VALUES, 1e-4, 1e-1, 0, 0);
  CHECK(sampler_create(&s, SAMPLER_GRID, &sp, 1, &o, &err) == MLPS_EINPUT);
  CHECK(s == NULL);
  CHECK(strstr(err.msg, "lr") != NULL);
}

static void test_validation(void) {
  search_space sp;
  mlps_err err;
  sampler *s;
  sampler_options o;
  sampler_options_init(&o);
  memset(&sp, 0, sizeof sp);
  sp_num(&sp, "x", DIST_Q_UNIFORM, 0.3, 0.4, 1, 0); /* no multiple of 1 inside */
  CHECK(sampler_create(&s, SAMPLER_RANDOM, &sp, 1, &o, &err) == MLPS_EINPUT);
  CHECK(strstr(err.msg, "x") != NULL);
  memset(&sp, 0, sizeof sp);
  sp_num(&sp, "lr", DIST_LOG_UNIFORM_VALUES, 0, 1, 0, 0);
  CHECK(sampler_create(&s, SAMPLER_RANDOM, &sp, 1, &o, &err) == MLPS_EINPUT);
  memset(&sp, 0, sizeof sp);
  sp_num(&sp, "lr", DIST_UNIFORM, 0, 1, 0, 0);
  o.gamma = 0;
  CHECK(sampler_create(&s, SAMPLER_TPE, &sp, 1, &o, &err) == MLPS_EINPUT);
  CHECK(strstr(err.msg, "gamma") != NULL);
  sampler_options_init(&o);
  o.trials = 0;
  CHECK(sampler_create(&s, SAMPLER_RANDOM, &sp, 1, &o, &err) == MLPS_EINPUT);
  /* Degenerate but valid: min == max, a space of constants only. */
  sampler_options_init(&o);
  memset(&sp, 0, sizeof sp);
  sp_num(&sp, "x", DIST_UNIFORM, 2, 2, 0, 0);
  sp_const(&sp, "c", 1);
  for (int m = 0; m < SAMPLER_COUNT; m++) {
    if (m == SAMPLER_GRID) continue;
    CHECK(sampler_create(&s, (sampler_method)m, &sp, 1, &o, &err) == MLPS_OK);
    sampler_obs h[30];
    memset(h, 0, sizeof h);
    for (int t = 0; t < 30; t++) {
      h[t].trial = t;
      CHECK(sampler_suggest(s, t, h, t, NULL, 0, h[t].x, &err) == MLPS_OK);
      CHECK(h[t].x[0] == 2 && h[t].x[1] == 0);
      h[t].value = t;
    }
    sampler_free(s);
  }
}

/* search.batch for every method: trial t of generation t / B waits until
 * trials [0, gB) finished (pruned ones count as finished); the points do
 * not depend on it. The grid still ends at its size. */
static void test_generations(void) {
  search_space sp;
  memset(&sp, 0, sizeof sp);
  sp_cat(&sp, "a", 2);
  sp_cat(&sp, "b", 3);
  for (int m = SAMPLER_GRID; m < SAMPLER_TPE; m++) {
    sampler_options o;
    sampler_options_init(&o);
    o.trials = 6;
    o.batch = 3;
    sampler *s;
    mlps_err err;
    CHECK(sampler_create(&s, (sampler_method)m, &sp, 5, &o, &err) == MLPS_OK);
    CHECK(sampler_generation(s, 2) == 0 && sampler_generation(s, 3) == 1);
    CHECK(sampler_required_trials(s, 2) == 0 && sampler_required_trials(s, 5) == 3);
    sampler_obs h[3];
    memset(h, 0, sizeof h);
    for (int t = 0; t < 3; t++) h[t].trial = t, h[t].status = SAMPLER_TRIAL_OK;
    h[1].status = SAMPLER_TRIAL_PENDING;
    CHECK(sampler_ready(s, 1, h, 3) == SAMPLER_READY);
    CHECK(sampler_ready(s, 4, h, 3) == SAMPLER_WAIT);
    h[1].status = SAMPLER_TRIAL_PRUNED;
    CHECK(sampler_ready(s, 4, h, 3) == SAMPLER_READY);
    CHECK(sampler_ready(s, 6, h, 3) == (m == SAMPLER_GRID ? SAMPLER_DONE : SAMPLER_WAIT));
    sampler_free(s);
  }
}

int main(void) {
  test_domains();
  test_determinism();
  test_lhs_strata();
  test_sobol();
  test_grid();
  test_validation();
  test_generations();
  return TEST_RESULT("search_samplers");
}
