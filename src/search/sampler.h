/* Samplers: where the next trial goes. grid, random, Latin hypercube (lhs),
 * Sobol and TPE, behind one interface the coordinator calls.
 *
 * Every sampler is a pure function of (seed, space, options, trial index,
 * history, pending): no hidden state changes between calls, no MPI, no I/O.
 * Calling sampler_suggest twice with the same arguments gives the same point,
 * in any order and on any rank, and the order of the history and pending
 * arrays does not matter (they are sorted by trial index inside).
 *
 * ---- points ----------------------------------------------------------------
 * A point is double x[SPACE_MAX_PARAMS], one entry per parameter of the space
 * (space.h): the choice index for categorical parameters, 0 for constants,
 * the value itself for numeric ones. Integers are exact doubles.
 *
 * ---- how the unit cube maps to each distribution (grid aside) -------------
 * Non-constant parameters are the dimensions of a unit cube u in [0,1)^d
 * (d = number of non-constant parameters, in space order). Each u maps to:
 *   categorical            index floor(u * n_values)
 *   int_uniform            one of the integers in [min, max], equally likely
 *   uniform                min + u (max - min); with integer parameters as
 *                          int_uniform
 *   q_uniform              one of the multiples of q in [min, max], equally
 *                          likely (W&B's round(U/q)*q gives the two end
 *                          values half weight; equal weights keep LHS strata
 *                          and Sobol balance meaningful)
 *   log_uniform_values     exp(log min + u (log max - log min)); integer
 *                          parameters: the integer k gets the log-width of
 *                          [k - 1/2, k + 1/2] (Optuna's log-int rule)
 *   q_log_uniform_values   log-uniform on [lo - q/2, hi + q/2] rounded to a
 *                          multiple of q, lo/hi being the smallest/largest
 *                          multiples of q in [min, max]
 *   constant               0 (the index of its single value)
 *
 * ---- methods and determinism ----------------------------------------------
 * grid    trial k is the k-th point of the Cartesian product of all values
 *         (mixed-radix decode of k, the LAST parameter varying fastest, as in
 *         itertools.product). Every parameter must be categorical or
 *         constant. The grid runs exactly the product: sampler_budget() is
 *         min(trials, grid size) and trials past the grid are DONE.
 * random  trial k draws u from its own RNG stream derived from (seed, k).
 * lhs     a Latin hypercube design of N = options.trials rows is generated
 *         from the seed; trial k takes row k: in each dimension every stratum
 *         [i/N, (i+1)/N) holds exactly one of the N rows (jittered inside
 *         it). Trials k >= N take row k mod N of an independent design number
 *         k / N, so asking past the budget still works; but every row
 *         depends on N, which is why a sweep refuses a new search.trials for
 *         lhs on --resume (the other methods' trial k does not depend on it).
 * sobol   trial k takes point k of the Sobol sequence with Joe & Kuo's
 *         new-joe-kuo-6.21201 direction numbers (up to 32 dimensions, 32-bit
 *         resolution). With sobol_scramble (default on) each dimension is
 *         XORed with a 32-bit random digital shift drawn from the seed, which
 *         keeps the sequence's (t,s)-net balance while making seeds differ
 *         (and avoids the all-min corner at k = 0). Off: the raw sequence,
 *         point 0 = (0, ..., 0).
 * tpe     Tree-structured Parzen Estimator (Bergstra et al. 2011) with
 *         Optuna's TPESampler semantics; see "TPE" below.
 * grid/random/lhs/sobol depend only on (seed, space, options.trials, k): trial
 * k has the same parameters whatever the number of ranks or order of asks.
 *
 * ---- TPE ------------------------------------------------------------------
 * Trials 0 .. startup_trials-1 are rows of an LHS design of startup_trials
 * rows (independent of the history). After that, the finished trials are
 * split: the n_good = min(ceil(gamma n), gamma_max) best OK trials (ties by
 * trial index) form the good set l(x); everything else (the other OK trials,
 * failed / diverged / timed-out trials, trials with a non-finite value, and
 * with the constant liar the pending trials) forms the bad set g(x).
 * Pruned trials rank after every OK trial, as in Optuna: further pruned
 * (larger step) first, then by their value at that step; they join the
 * good set only when fewer than n_good trials are OK. n counts
 * every observation, pending included. Each set is a Parzen estimator: one
 * kernel per observation plus a prior kernel of weight prior_weight.
 * Observation weights follow Optuna's default ramp (flat below 25
 * observations, older ones down-weighted linearly beyond the newest 25).
 * Numeric kernels are Gaussians truncated to the domain, in log space for
 * log distributions; integer and q parameters are discrete (the kernel's
 * mass over the cell of each value). Bandwidths: distance to the farther
 * neighbour among the sorted observations (and the prior mean), the end
 * kernels using their inner neighbour unless consider_endpoints; clipped to
 * [range / min(100, n + 2), range] ("magic clip"); the prior kernel sits at
 * the middle with bandwidth = range. Categorical kernels put 1 + p on the
 * observed choice and p = prior_weight / (n + 1) on every choice (then
 * normalised). Univariate (default): each parameter draws ei_candidates
 * candidates from its own l and keeps the one maximising log l - log g.
 * multivariate: kernels are products over all parameters (one kernel per
 * observation), the bandwidth of numeric parameters is Optuna's
 * 0.2 n^(-1/(d+4)) range, candidates are whole points scored jointly.
 * Each ask's randomness is an RNG stream derived from (seed, trial), so a
 * suggestion is a pure function of its inputs.
 *
 * Asynchronous mode (batch = 0, default): with constant_liar (default on) the
 * pending trials (running, no result yet) are taken as observations whose
 * value is the worst seen so far, i.e. they join the bad set, so asks made
 * while others run avoid the running points instead of repeating them. As a
 * last guard, a proposal near-identical to a running trial (every categorical
 * choice equal and every numeric coordinate within 1% of its (log-)range)
 * is replaced by the best-scored candidates of one parameter at a time
 * (rank 2, then 3, ...) until it differs; the argmax stays only if no
 * candidate helps (e.g. a space of a few categorical values). The
 * result of trial t depends on which trials had finished when it was asked:
 * good per trial, but not reproducible across numbers of ranks.
 *
 * Generations for every method (batch = B >= 1): trial t of grid, random,
 * lhs and sobol belongs to generation floor(t / B) and waits (sampler_ready)
 * until trials [0, gB) finished; their points do not depend on it, but a
 * pruner deciding from earlier generations only needs them finished.
 *
 * Reproducible mode (batch = B >= 1): after the startup trials, trial t
 * belongs to generation g = floor((t - startup_trials) / B) and is suggested
 * from the finished trials with index < startup_trials + g B only (earlier
 * generations; the caller may pass more, the sampler filters by index), with
 * no liar. The sequence of trials is then identical whatever the number of
 * ranks, at the price of idling when a generation's last trials run long
 * (at most B trials run at once after startup), and of updating the model
 * only once per generation. sampler_ready() tells whether trial t can be
 * suggested yet.
 *
 * ---- the coordinator's loop ----------------------------------------------
 *   sampler_options o; sampler_options_init(&o); o.trials = budget; ...
 *   sampler *s; if (sampler_create(&s, SAMPLER_TPE, &space, seed, &o, &err)) fail;
 *   for the next trial id t:
 *     switch (sampler_ready(s, t, hist, n_hist)) {
 *       case SAMPLER_DONE: stop proposing; (grid exhausted)
 *       case SAMPLER_WAIT: ask again after the next trial finishes;
 *       case SAMPLER_READY: sampler_suggest(s, t, hist, n_hist, pend, n_pend, x, &err);
 *     }
 *   hist = every finished trial (OK with its objective, or FAILED/DIVERGED/
 *   TIMEOUT), pend = the trials handed out and not finished (their x).
 *   A sweep_trial in TRIAL_PENDING state may also be passed inside hist with
 *   status SAMPLER_TRIAL_PENDING: it is treated exactly like an entry of pend.
 *   The history rebuilt from the journal on --resume is the same input, so
 *   a resumed sampler is the same function. */
#ifndef MLPS_SAMPLER_H
#define MLPS_SAMPLER_H

#include <stdint.h>

#include "search/space.h"
#include "util/err.h"

/* Same order as config's cfg_search_method, so the value converts directly. */
typedef enum {
  SAMPLER_GRID,
  SAMPLER_RANDOM,
  SAMPLER_LHS,
  SAMPLER_SOBOL,
  SAMPLER_TPE,
  SAMPLER_COUNT
} sampler_method;
extern const char
    *const SAMPLER_METHOD_NAMES[SAMPLER_COUNT]; /* "grid", "random", "lhs", "sobol", "tpe" */

/* What became of a trial. Every finished status other than OK counts as a
 * bad observation for TPE (never good, never missing). */
typedef enum {
  SAMPLER_TRIAL_OK,
  SAMPLER_TRIAL_FAILED,
  SAMPLER_TRIAL_DIVERGED,
  SAMPLER_TRIAL_TIMEOUT,
  SAMPLER_TRIAL_PENDING, /* running: no result yet */
  SAMPLER_TRIAL_PRUNED,  /* stopped early by a pruner: value at step (epochs) */
  SAMPLER_TRIAL_STATUS_COUNT
} sampler_trial_status;
extern const char *const SAMPLER_TRIAL_STATUS_NAMES[SAMPLER_TRIAL_STATUS_COUNT];

/* One trial as the sampler sees it. */
typedef struct {
  int trial; /* trial id, >= 0; unique within a call */
  sampler_trial_status status;
  double value;               /* objective (lower is better); read only when OK;
                                 NaN/Inf with OK counts as failed; PRUNED: the
                                 pruner's value at step */
  int step;                   /* PRUNED: how far it got (epochs); else ignored */
  double x[SPACE_MAX_PARAMS]; /* the trial's point */
} sampler_obs;

typedef struct {
  long trials; /* planned budget: the LHS design size, grid cap; default 20 */
  /* TPE */
  int startup_trials;     /* first trials drawn by LHS; default 10 */
  double gamma;           /* fraction of observations in the good set; default 0.1 */
  int gamma_max;          /* ... at most this many; default 25 */
  int ei_candidates;      /* candidates scored per proposal; default 24 */
  double prior_weight;    /* weight of the prior kernel; default 1.0 */
  int multivariate;       /* joint kernels over all parameters; default 0 */
  int batch;              /* 0 = asynchronous (default); B >= 1 = generations of B */
  int constant_liar;      /* asynchronous mode: pending trials join the bad set; default 1 */
  int consider_endpoints; /* end kernels' bandwidth may reach the domain edge; default 0 */
  int magic_clip;         /* lower bound range/min(100, n+2) on bandwidths; default 1 */
  /* Sobol */
  int sobol_scramble; /* random digital shift from the seed; default 1 */
} sampler_options;

/* Fills the defaults listed above. */
void sampler_options_init(sampler_options *o);

typedef struct sampler sampler;

/* Validates the space and options for the method and builds the sampler
 * (owns a copy of space). Returns MLPS_OK, or MLPS_EINPUT with err naming
 * the parameter or option and the fix; *out is NULL on error. */
int sampler_create(sampler **out, sampler_method method, const search_space *space, uint64_t seed,
                   const sampler_options *opt, mlps_err *err);
void sampler_free(sampler *s);

/* Number of trials the sweep should run: grid: min(trials, grid size);
 * others: options.trials. */
long sampler_budget(const sampler *s);

typedef enum {
  SAMPLER_READY, /* sampler_suggest(trial) may be called now */
  SAMPLER_WAIT,  /* TPE batch mode: an earlier generation is still running;
                    ask again once another trial finishes */
  SAMPLER_DONE   /* grid: trial is past the end of the grid */
} sampler_readiness;
extern const char *const SAMPLER_READINESS_NAMES[3];

/* Whether trial `trial` can be suggested given the finished trials in
 * history (entries with status PENDING are ignored). Cheap: O(n_history). */
sampler_readiness sampler_ready(const sampler *s, int trial, const sampler_obs *history,
                                int n_history);

/* Batch mode: the generation of trial t (-1 for TPE's startup trials and
 * without batch) and the number of leading trials (ids [0, n)) that must
 * be finished before it can be suggested (0 for those). */
int sampler_generation(const sampler *s, int trial);
int sampler_required_trials(const sampler *s, int trial);

/* Writes trial `trial`'s point into x[0 .. space.n). history: finished
 * trials (and possibly PENDING entries, see above); pending: running trials
 * (status ignored). Both may be NULL with count 0; only TPE reads them.
 * Returns MLPS_OK; MLPS_EINPUT when trial < 0, when the trial is not READY
 * (grid exhausted, or a TPE generation not finished), or on an invalid
 * history entry; MLPS_ERUNTIME when memory runs out. */
int sampler_suggest(const sampler *s, int trial, const sampler_obs *history, int n_history,
                    const sampler_obs *pending, int n_pending, double *x, mlps_err *err);

/* Maps a point u of the unit cube (one coordinate per non-constant
 * parameter, in space order) to x, as described above. */
void sampler_map_unit(const sampler *s, const double *u, double *x);
/* Number of non-constant parameters (the dimension of the unit cube). */
int sampler_dims(const sampler *s);

#endif
