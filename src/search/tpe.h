/* Tree-structured Parzen Estimator: the model-based trials of search.method
 * tpe. The front (sampler.c) checks readiness and draws the LHS start-up
 * trials; tpe.c proposes the trials after them. Semantics: sampler.h. */
#ifndef MLPS_TPE_H
#define MLPS_TPE_H

#include "search/sampler_impl.h"

/* Writes trial `trial`'s point (trial >= startup_trials) into x[0 .. space.n)
 * from the history and the running trials (as sampler_suggest). cutoff: in
 * batch mode, only finished trials with id < cutoff are used (the front's
 * sampler_required_trials); ignored otherwise. Returns MLPS_OK; MLPS_EINPUT
 * on a history entry of unknown status; MLPS_ERUNTIME when memory runs out. */
int tpe_suggest(const sampler *s, int trial, int cutoff, const sampler_obs *history, int n_history,
                const sampler_obs *pending, int n_pending, double *x, mlps_err *err);

/* Tests: the numeric Parzen estimator TPE builds for dimension j (index
 * among the non-constant parameters) from m observed values with weights w
 * (as the sampler's options say: univariate or multivariate). Writes the
 * kernels (observations sorted and merged when univariate, then the prior)
 * as internal-coordinate centres, bandwidths and normalised weights into
 * arrays of m + 1; returns the number of kernels, or -1. */
int tpe_debug_estimator(const sampler *s, int j, const double *values, const double *w, int m,
                        double *mu, double *sig, double *weight);

#endif
