/* Hard-example fine-tuning of the final networks (see hard.h).
 *
 * Choices, and why:
 * - A training row's error is its largest |fractional error| over the
 *   outputs, in data units: the rounds are judged by the tail of
 *   |fractional error| (the holdout's 95th percentile), and what moves a
 *   posterior is a bin badly off (in the quickstart's broken power law, the
 *   bins at the break), which a row's mean would dilute among its good
 *   bins. search.metric plays no part: it chooses the configuration, and
 *   every tail metric is of |fractional error| anyway.
 * - Oversampling by row indices (a hard row listed `weight` times in all)
 *   rather than loss weights, so the training loop is the ordinary one.
 * - The fine-tune's learning rate decays from lr * lr_factor to 0 (cosine)
 *   over its epochs: the final retrain ends annealed, and a fine-tune at a
 *   constant rate would end wherever its noisy last epoch leaves it (README,
 *   "The final model"). The optimizer state starts afresh, as in a new
 *   torch optimizer.
 * - The holdout never trains the network, but the transforms are fitted on
 *   all of the final model's rows (holdout included), as outputs.c refits
 *   them to write model.h5; the holdout's inputs and targets thus move the
 *   scalers' shift and scale, not the weights. */
#include "workflow/hard.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/rng.h"
#include "workflow/fisher.h"

/* rng_derive purpose of the holdout draw and the fine-tunes' seeds, from the
 * network's own seed. */
#define HARD_PURPOSE 0x48415244ull /* "HARD" */

typedef struct {
  double median_before, p95_before, median_after, p95_after; /* holdout |fractional error| */
  int kept;
  int status; /* train_status of the fine-tune */
} hard_round;

typedef struct {
  int have, n_rounds;
  size_t n_train, n_holdout;
  hard_round round[CFG_MAX_HARD_ROUNDS];
} hard_report;

/* The reports of the networks this rank trained, until hard_report_collect. */
static hard_report hard_reports[FIT_MAX_MEMBERS];

/* A training row and its error, for ranking. */
typedef struct {
  double err;
  size_t row;
} row_err;

/* Largest error first; ties by row, so the ranking is total. */
static int cmp_row_err(const void *a, const void *b) {
  const row_err *x = a, *y = b;
  if (x->err != y->err) return x->err < y->err ? 1 : -1;
  return (x->row > y->row) - (x->row < y->row);
}

/* Each row's error under measure `by` into err (n): the largest
 * |fractional error| over its outputs, or the largest |posterior bias| over
 * its inputs (fisher.h). nat is (n, m) scratch. */
static int row_errors(cfg_hard_by by, const fit_model *fm, const data_set *ds, const size_t *rows,
                      size_t n, float *nat, double *err, mlps_err *e) {
  size_t m = ds->m, d = ds->d;
  MLPS_TRY(fit_predict_rows(fm, ds->X, d, rows, n, NULL, nat, e));
  double *bias = by == HARD_BY_BIAS ? malloc(sizeof(double) * (n * d + 1)) : NULL;
  if (by == HARD_BY_BIAS && !bias)
    return mlps_errorf(e, MLPS_ERUNTIME, "out of memory for the bias of %zu rows", n);
  int rc = bias ? fisher_bias(fm, ds, rows, n, nat, bias, e) : MLPS_OK;
  for (size_t i = 0; !rc && i < n; i++) {
    const float *y = ds->Y + rows[i] * m;
    double worst = 0;
    size_t nv = bias ? d : m;
    for (size_t j = 0; j < nv; j++) {
      double f = bias ? fabs(bias[i * d + j]) : fabs((double)nat[i * m + j] / y[j] - 1.0);
      /* a NaN prediction is the worst error; a NaN bias is an input that is
       * no parameter (no spread, or F singular): not an error of the row */
      if (isnan(f)) f = bias ? 0 : INFINITY;
      if (f > worst) worst = f;
    }
    err[i] = worst;
  }
  free(bias);
  return rc;
}

/* The nbad rows of rows[0..n) with the largest error (row_errors) into bad. */
static int worst_rows(cfg_hard_by by, const fit_model *fm, const data_set *ds, const size_t *rows,
                      size_t n, size_t nbad, size_t *bad, mlps_err *e) {
  float *nat = malloc(sizeof(float) * (n * ds->m + 1));
  double *err = malloc(sizeof(double) * (n + 1));
  row_err *re = malloc(sizeof(row_err) * (n + 1));
  int rc = MLPS_OK;
  if (!nat || !err || !re)
    rc = mlps_errorf(e, MLPS_ERUNTIME, "out of memory ranking %zu training rows", n);
  if (!rc) rc = row_errors(by, fm, ds, rows, n, nat, err, e);
  if (!rc) {
    for (size_t i = 0; i < n; i++) re[i] = (row_err){err[i], rows[i]};
    qsort(re, n, sizeof *re, cmp_row_err);
    for (size_t i = 0; i < nbad; i++) bad[i] = re[i].row;
  }
  free(nat), free(err), free(re);
  return rc;
}

/* The holdout's median and 95th percentile of the measure `by`: |fractional
 * error| over every value, or each row's worst |posterior bias| over its
 * inputs (fisher_bias_quantiles); scaled and natural are (n, m) scratch. */
static int holdout_metrics(cfg_hard_by by, const fit_model *fm, const data_set *ds,
                           const size_t *rows, size_t n, float *scaled, float *natural,
                           double *median, double *p95, mlps_err *e) {
  MLPS_TRY(fit_predict_rows(fm, ds->X, ds->d, rows, n, scaled, natural, e));
  /* a diverged fine-tune gives NaN, which the round's comparison rejects */
  if (by == HARD_BY_BIAS) return fisher_bias_quantiles(fm, ds, rows, n, natural, median, p95, e);
  fit_metrics fmx;
  MLPS_TRY(fit_metrics_rows(fm, ds, rows, n, scaled, natural, &fmx, NULL, NULL, NULL, e));
  *median = fmx.median_frac;
  *p95 = fmx.p95_frac;
  return MLPS_OK;
}

/* The rounds on network k of fm (trained on tr), judged on ho. Sets
 * *stopped when a stop request ended a round (which is undone). */
static int hard_rounds(const mlps_config *cfg, const fit_plan *p, const data_set *ds, fit_model *fm,
                       int k, int member, const size_t *tr, size_t ntr, const size_t *ho,
                       size_t nho, uint64_t seed, train_callback cb, void *user, hard_report *rep,
                       int *stopped, mlps_err *e) {
  const cfg_hard_examples *h = &cfg->final.hard;
  size_t nbad = (size_t)h->n_bad < ntr ? (size_t)h->n_bad : ntr;
  size_t extra = (size_t)(h->weight - 1) * nbad, m = ds->m;
  size_t np = mlp_arch_num_params(&p->arch);
  size_t *rows = malloc(sizeof(size_t) * (ntr + extra));
  size_t *bad = malloc(sizeof(size_t) * nbad);
  float *saved = malloc(sizeof(float) * np);
  float *scaled = malloc(sizeof(float) * nho * m), *natural = malloc(sizeof(float) * nho * m);
  int rc = MLPS_OK;
  if (!rows || !bad || !saved || !scaled || !natural)
    rc = mlps_errorf(e, MLPS_ERUNTIME,
                     "out of memory for hard-example fine-tuning (%zu rows, %zu parameters)",
                     ntr + extra, np);
  double med = NAN, p95 = NAN;
  if (!rc) rc = holdout_metrics(h->by, fm, ds, ho, nho, scaled, natural, &med, &p95, e);
  if (!rc) memcpy(rows, tr, sizeof(size_t) * ntr);
  train_config tc = p->tc;
  tc.opt.lr *= h->lr_factor;
  tc.max_epochs = h->epochs;
  tc.patience = 0;
  tc.n_stages = 0;
  tc.schedule = SCHED_COSINE;
  tc.cosine_eta_min = 0;
  tc.cosine_start = 0;
  for (int r = 0; !rc && r < h->rounds; r++) {
    rc = worst_rows(h->by, fm, ds, tr, ntr, nbad, bad, e);
    for (size_t i = 0; !rc && i < extra; i++) rows[ntr + i] = bad[i % nbad];
    if (rc) break;
    mlp_get_params(fm->member[k], saved);
    tc.seed = rng_derive(seed, HARD_PURPOSE, 1 + (uint64_t)r, 0);
    train_result tr_res;
    rc = fit_train_more(fm, k, ds, rows, ntr + extra, &tc, cb, user, &tr_res, e);
    if (rc) break;
    hard_round *hr = &rep->round[rep->n_rounds++];
    *hr = (hard_round){med, p95, NAN, NAN, 0, (int)tr_res.status};
    train_result_free(&tr_res);
    if (hr->status == TRAIN_STOPPED) {
      mlp_set_params(fm->member[k], saved);
      *stopped = 1;
      break;
    }
    rc = holdout_metrics(h->by, fm, ds, ho, nho, scaled, natural, &hr->median_after, &hr->p95_after,
                         e);
    if (rc) break;
    /* NaN (a diverged fine-tune) compares false: rejected. */
    hr->kept = hr->p95_after < p95;
    double u = h->by == HARD_BY_FRAC_ERR ? 100 : 1; /* percent, or sigma */
    const char *unit = h->by == HARD_BY_FRAC_ERR ? "%" : " sigma";
    log_msg(LOG_INFO,
            "mlpsweep: final network %d, hard examples round %d/%d: holdout median %s %.4g%s "
            "-> %.4g%s, 95th percentile %.4g%s -> %.4g%s: %s",
            member, r + 1, h->rounds,
            h->by == HARD_BY_FRAC_ERR ? "|fractional error|" : "|posterior bias|", u * med, unit,
            u * hr->median_after, unit, u * p95, unit, u * hr->p95_after, unit,
            hr->kept ? "kept" : "undone, rounds end");
    if (!hr->kept) {
      mlp_set_params(fm->member[k], saved);
      break;
    }
    med = hr->median_after;
    p95 = hr->p95_after;
  }
  free(rows), free(bad), free(saved), free(scaled), free(natural);
  return rc;
}

int hard_fit_member(const mlps_config *cfg, const fit_plan *p, const data_set *ds, fit_model *fm,
                    int member, const size_t *train_rows, size_t n_train, const size_t *val_rows,
                    size_t n_val, uint64_t seed, train_callback cb, void *user, train_result *r,
                    mlps_err *e) {
  const cfg_hard_examples *h = &cfg->final.hard;
  if (!h->rounds || member < 0)
    return fit_train_member(p, ds, fm, train_rows, n_train, val_rows, n_val, seed, cb, user, r, e);
  memset(r, 0, sizeof *r);
  if (n_train < 2)
    return mlps_errorf(e, MLPS_EINPUT,
                       "final.hard_examples: the final network has %zu training row(s), too few "
                       "to hold some out; use more data or remove hard_examples",
                       n_train);
  size_t nho = (size_t)ceil(h->holdout_fraction * (double)n_train);
  if (nho < 1) nho = 1;
  if (nho > n_train - 1) nho = n_train - 1;
  size_t ntr = n_train - nho;
  /* [holdout | training rows], each ascending: the first nho of a shuffle. */
  size_t *buf = malloc(sizeof(size_t) * n_train);
  if (!buf)
    return mlps_errorf(e, MLPS_ERUNTIME, "out of memory holding out %zu of %zu rows", nho, n_train);
  memcpy(buf, train_rows, sizeof(size_t) * n_train);
  mlps_rng g;
  rng_seed(&g, rng_derive(seed, HARD_PURPOSE, 0, 0));
  rng_shuffle_size(&g, buf, n_train);
  fit_rows_sort(buf, nho);
  fit_rows_sort(buf + nho, ntr);
  const size_t *ho = buf, *tr = buf + nho;
  hard_report *rep = member < FIT_MAX_MEMBERS ? &hard_reports[member] : NULL;
  hard_report scratch;
  if (!rep) rep = &scratch;
  memset(rep, 0, sizeof *rep);
  rep->n_train = ntr;
  rep->n_holdout = nho;
  int rc = fit_train_member(p, ds, fm, tr, ntr, val_rows, n_val, seed, cb, user, r, e);
  int stopped = 0;
  if (!rc && r->status != TRAIN_STOPPED)
    rc = hard_rounds(cfg, p, ds, fm, fm->n_members - 1, member, tr, ntr, ho, nho, seed, cb, user,
                     rep, &stopped, e);
  if (!rc && stopped) r->status = TRAIN_STOPPED;
  if (rc) train_result_free(r);
  rep->have = !rc;
  free(buf);
  return rc;
}

/* A report as doubles (exact: counts are far below 2^53), so that the
 * reports of all ranks reach rank 0 in one MPI_Reduce: a rank contributes
 * zeros for the networks it did not train, and x + 0 = x exactly. */
enum { HARD_HEAD = 4, HARD_PER_ROUND = 6 };

static void report_pack(const hard_report *h, int rounds, double *d) {
  d[0] = h->have, d[1] = h->n_rounds, d[2] = (double)h->n_train, d[3] = (double)h->n_holdout;
  for (int r = 0; r < rounds; r++) {
    const hard_round *x = &h->round[r];
    double *o = d + HARD_HEAD + HARD_PER_ROUND * r;
    o[0] = x->median_before, o[1] = x->p95_before, o[2] = x->median_after, o[3] = x->p95_after;
    o[4] = x->kept, o[5] = x->status;
  }
}

static void report_unpack(const double *d, int rounds, hard_report *h) {
  h->have = (int)d[0], h->n_rounds = (int)d[1];
  h->n_train = (size_t)d[2], h->n_holdout = (size_t)d[3];
  for (int r = 0; r < rounds; r++) {
    const double *o = d + HARD_HEAD + HARD_PER_ROUND * r;
    h->round[r] = (hard_round){o[0], o[1], o[2], o[3], (int)o[4], (int)o[5]};
  }
}

static void report_json(json_writer *w, cfg_hard_by by, int member, const hard_report *h) {
  json_obj_begin(w);
  json_key(w, "member"), json_int(w, member);
  json_key(w, "train_rows"), json_int(w, (long long)h->n_train);
  json_key(w, "holdout_rows"), json_int(w, (long long)h->n_holdout);
  json_key(w, "rounds");
  json_arr_begin(w);
  double med = NAN, p95 = NAN;
  for (int r = 0; r < h->n_rounds; r++) {
    const hard_round *x = &h->round[r];
    json_obj_begin(w);
    json_key(w, "median_before"), json_num(w, x->median_before);
    json_key(w, "p95_before"), json_num(w, x->p95_before);
    json_key(w, "median_after"), json_num(w, x->median_after);
    json_key(w, "p95_after"), json_num(w, x->p95_after);
    json_key(w, "kept"), json_bool(w, x->kept);
    json_key(w, "fine_tune"), json_str(w, TRAIN_STATUS_NAMES[x->status]);
    json_obj_end(w);
    med = x->kept ? x->median_after : x->median_before;
    p95 = x->kept ? x->p95_after : x->p95_before;
  }
  json_arr_end(w);
  /* The holdout's figures of the network as kept. */
  int frac = by == HARD_BY_FRAC_ERR;
  json_key(w, frac ? "holdout_median_frac_err" : "holdout_median_bias_sigma"), json_num(w, med);
  json_key(w, frac ? "holdout_p95_frac_err" : "holdout_p95_bias_sigma"), json_num(w, p95);
  json_obj_end(w);
}

void hard_report_collect(MPI_Comm comm, const mlps_config *cfg, int n_members, json_writer *w) {
  int rounds = cfg->final.hard.rounds;
  if (n_members > FIT_MAX_MEMBERS) n_members = FIT_MAX_MEMBERS;
  if (!rounds || n_members < 1) {
    memset(hard_reports, 0, sizeof hard_reports);
    return;
  }
  int rank;
  MPI_Comm_rank(comm, &rank);
  size_t rec = HARD_HEAD + HARD_PER_ROUND * (size_t)rounds, nd = rec * (size_t)n_members;
  double *mine = mlps_xcalloc(nd, sizeof(double)), *all = mlps_xcalloc(nd, sizeof(double));
  for (int j = 0; j < n_members; j++) report_pack(&hard_reports[j], rounds, mine + rec * j);
  MPI_Reduce(mine, all, (int)nd, MPI_DOUBLE, MPI_SUM, 0, comm);
  memset(hard_reports, 0, sizeof hard_reports);
  if (rank == 0 && w) {
    json_key(w, "hard_examples");
    json_obj_begin(w);
    json_key(w, "by"), json_str(w, CFG_HARD_BY_NAMES[cfg->final.hard.by]);
    json_key(w, "members");
    json_arr_begin(w);
    for (int j = 0; j < n_members; j++) {
      hard_report h;
      report_unpack(all + rec * j, rounds, &h);
      if (h.have) report_json(w, cfg->final.hard.by, j, &h);
    }
    json_arr_end(w);
    json_obj_end(w);
  }
  free(mine), free(all);
}
