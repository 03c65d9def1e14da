#!/usr/bin/python3
"""How far does the emulator move a posterior, on every test row: the
linearised (Fisher) bias, deterministic, split into its systematic
(Asimov) part and its data-noise part, with what carries each.

    /usr/bin/python3 analysis/bias_fisher.py RUN --generator brokenpowerlaw \\
        [--exposure T ...] [--free-norm] [--predictions FILE] [--mcmc JSON] [-o JSON]

For each test row theta (RUN/test_predictions.h5: the emulator's Y_pred; the
inputs in float64 from the data file's rows when it is found) and each
exposure T: Poisson counts n of mean mu = T * m(theta), m the true model
(`mlpsweep gen GEN --params -`); the emulator's mean mu_e = (T / T0) * Y_pred
(T0: the data file's `exposure`; the convention of mcmc_check.py); the
fractional error r = mu_e / mu - 1. Derivatives are central differences
with step h = --step x the box's range per parameter ("fd_check": the
biases again with 10x and 0.1x the step; the few rows that change are
those whose break sits within a step of a grid energy, where the broken
power law has no derivative).

Asimov part (the shift of the fit to noise-free data n = mu; the mean over
data sets): one Gauss-Newton step of the emulator's fit,
    dtheta = -(J_e^T W J_e)^-1 J_e^T W (mu_e - mu),  W = diag(1 / mu),
    bias_j = dtheta_j / sigma_j,  sigma_j = sqrt((F^-1)_jj),  F = J^T W J,
J (J_e) = d mu / d theta of the true model (of the emulator). The sign: the
fit moves against the error (an emulator mu(theta + d) gives -d). Written
with G = d ln m / d theta, J = mu G, so W needs no cut:
    F = T sum_b m_b G_b G_b^T,  dtheta = -(sum_b m_b Ge_b Ge_b^T)^-1 sum_b m_b Ge_b r_b:
a bin of mu ~ 0 weighs ~ mu; bins where the true model is <= 0 (at theta
or theta +- h: no ln) are left out, counted in "bins_dropped". The
emulator's Jacobian, not the true one (the brief's formula, kept as
"asimov_trueJ"), because the error's slope d r / d theta is not small
against the model's own: with the true J the shift is 25-30% off the exact
fit's (the "scaling" check below), with J_e it agrees within its noise.
dtheta does not depend on T and sigma ~ 1 / sqrt(T): this part grows as
sqrt(T) (the exact Asimov fit too: its likelihood is T times one of T's).
Data-noise part (zero mean over data sets, but in every single data set,
hence in every MCMC): to first order in the noise eps = n - mu and in r,
    dtheta_noise = F^-1 sum_b eps_b [d r_b/d theta - (M + M^T) F^-1 G_b],
    M = sum_b mu_b G_b (d r_b / d theta)^T,
the error's slope moving the fit with the noise (d r / d theta from the
emulator's and the true model's derivatives). Its sd in sigma is the same
at every T. With --predictions (no model.h5 derivatives) only the Asimov
part with the true J is computed.
--free-norm adds ln A (a normalisation multiplying mu, true value 0; its
G = 1 in every bin, its d r = 0), as mcmc_check.py --free-norm does.

Prints and writes (RUN/bias_fisher[_freenorm].json):
  * per exposure: median, p95, p99 and max of |bias| over the test rows, per
    parameter and "any" (the largest |bias| of a row over its parameters),
    for the Asimov part, one simulated data set per row and the rms over
    data sets; the noise part's sd; the max |bias| over 6 random rows x
    parameters (the MCMC check's statistic) with one data set each, with
    only either part, and the error scale that brings its mean to 0.2;
  * explain (at T = 1e3): a row's |bias| against its p95 / max / rms
    |fractional error| (Spearman, Pearson); the share of the count-weighted
    error sum_b mu_b r_b^2 in the parameters' directions; the coherence
    |sum_b c_bj| / sum_b |c_bj| of the bins' contributions c_bj to bias_j;
    per bin (energy, and log10(E / Eb) for the broken power law) the mean
    signed and absolute contributions, the mean signed and rms r, the rms
    slope d r / d theta against the model's, the share of the noise
    variance; the fractional error a 0.2-sigma Asimov bias allows (|r| <=
    eps in every bin with the worst signs; independent noise of rms s);
  * validation (RUN/mcmc_check.json or --mcmc, same --free-norm): at its
    points (checked against `points()` with its seed) the Asimov bias, the
    linear prediction for the very counts the MCMC used (same seeds), the
    shift of the maximum-likelihood fit (Fisher scoring, emulator minus
    true model) for those counts, against the MCMC's bias and Monte Carlo
    error; the noise floor (the max |bias| over points x parameters from the
    Monte Carlo errors alone) and the max expected from all three parts;
  * scaling: at `points()` (--points, --seed) and each exposure, the mean
    and sd of the ML shift over --realisations data sets against the
    Asimov bias and the noise sd.
Per-row dtheta, sigma at T = 1, noise sd and |r| summaries are in "rows".
"""
import argparse
import json
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small products: threads only contend
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from mlpsweep_analysis.emulator_check import GENERATORS, TrueModel, find_binary, open_run, points  # noqa: E402
from mlpsweep_analysis.model import OutsideTrainingBox  # noqa: E402

TARGET_BIAS, TARGET_T = 0.2, 1e3  # issue 22's target: 0.2 sigma at 10^3 counts per unit


def log_jacobian(model, X, h):
    """G (n, m, d) = d ln model / d theta by central differences with step
    h (d,), the model at X (n, m), and the mask (n, m) of bins where the
    model is > 0 at X and at every X +- h (elsewhere G = 0)."""
    n, d = X.shape
    shifted = [X + s * h[j] * np.eye(d)[j] for j in range(d) for s in (1, -1)]
    Y = model(np.concatenate([X] + shifted))
    m = Y.shape[1]
    Y = Y.reshape(1 + 2 * d, n, m)
    ok = np.all(Y > 0, axis=0)
    L = np.log(np.where(ok[None], Y, 1.0))
    G = np.stack([(L[1 + 2 * j] - L[2 + 2 * j]) / (2 * h[j]) for j in range(d)], axis=-1)
    return G * ok[..., None], Y[0], ok


def with_norm(G, free_norm, value=1.0):
    """G with the free normalisation's column added (d ln mu / d ln A = 1;
    value 0 for the derivative of r, which A does not change)."""
    if not free_norm:
        return G
    return np.concatenate([G, np.full(G.shape[:-1] + (1,), value)], axis=-1)


def row_terms(true, emu, X, P, T0, h, free_norm):
    """The linear terms of every row, at exposure 1 (see the docstring).
    Always: r (n, bins), sigma1 (n, p), dtheta_trueJ (n, p), the Asimov
    shift with the true model's Jacobian. With an emulator callable `emu`
    (else None) also: dtheta with the emulator's Jacobian (else the same as
    dtheta_trueJ), Vn (n, bins, p) with the data-noise shift
    (1/T) sum_b eps_b Vn_b (eps = n - mu), and noise_cov (n, p, p), its
    covariance in sigma units (the same at every T). A (n, p, bins) gives
    dtheta = -A r; G the log-derivatives (n, bins, p) that A uses."""
    G, m, ok = log_jacobian(true, X, h)
    r = np.where(ok, (P / T0) / np.where(ok, m, 1.0) - 1.0, 0.0)
    Gf = with_norm(G, free_norm)
    w = np.where(ok, m, 0.0)

    def solve_weights(Gx):  # (sum_b m G G^T)^-1 G_b m_b: Gauss-Newton's step per unit r
        return np.einsum("njk,nbk,nb->njb", np.linalg.inv(np.einsum("nb,nbj,nbk->njk", w, Gx, Gx)), Gx, w)

    Finv = np.linalg.inv(np.einsum("nb,nbj,nbk->njk", w, Gf, Gf))
    A = np.einsum("njk,nbk,nb->njb", Finv, Gf, w)
    t = {"G": Gf, "G0": Gf, "m": m, "ok": ok, "r": r, "A": A, "dtheta_trueJ": -np.einsum("njb,nb->nj", A, r),
         "sigma1": np.sqrt(np.einsum("njj->nj", Finv)), "Vn": None, "dr": None, "noise_cov": None, "noise_sd": None,
         "jacobian": "true model"}
    t["dtheta"] = t["dtheta_trueJ"]
    if emu is not None:
        with warnings.catch_warnings():  # rows on the box's edge: theta + h is outside by 1e-4 of the range
            warnings.simplefilter("ignore", OutsideTrainingBox)
            Ge, _, oke = log_jacobian(emu, X, h)
        Ge = np.where((ok & oke)[..., None], Ge, 0.0)
        dr = with_norm((1.0 + r)[..., None] * (Ge - G), free_norm, 0.0)  # d r / d theta
        M = np.einsum("nb,nbj,nbk->njk", w, Gf, dr)
        V = dr - np.einsum("njk,nkl,nbl->nbj", M + np.swapaxes(M, 1, 2), Finv, Gf)
        t["Vn"] = np.einsum("njk,nbk->nbj", Finv, V)
        t["dr"] = dr
        C1 = np.einsum("nb,nbj,nbk->njk", w, t["Vn"], t["Vn"])
        t["noise_cov"] = C1 / (t["sigma1"][:, :, None] * t["sigma1"][:, None, :])
        t["noise_sd"] = np.sqrt(np.einsum("njj->nj", t["noise_cov"]))
        t["G"] = with_norm(Ge, free_norm)
        t["A"] = solve_weights(t["G"])
        t["dtheta"] = -np.einsum("njb,nb->nj", t["A"], r)
        t["jacobian"] = "emulator"
    return t


def quantiles(v):
    v = np.abs(np.asarray(v))
    return {"median": float(np.median(v)), "p95": float(np.percentile(v, 95)),
            "p99": float(np.percentile(v, 99)), "max": float(v.max())}


def per_param(b, names):
    """quantiles of |b| (n, p) per parameter and of each row's largest."""
    s = {n: quantiles(b[:, j]) for j, n in enumerate(names)}
    s["any"] = quantiles(np.abs(b).max(axis=1))
    return s


def spearman(a, b):
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def draw_noise(cov, rng, k=1):
    """k draws (k, n, p) of N(0, cov[i]) for each row i of cov (n, p, p)."""
    L = np.linalg.cholesky(cov + 1e-12 * np.eye(cov.shape[1]))
    return np.einsum("njk,snk->snj", L, rng.standard_normal((k,) + cov.shape[:2]))


def fit_poisson(model, counts, theta0, h, free_norm, iters=30):
    """Maximum of sum(n ln mu - mu) by Fisher scoring from theta0 (the
    truth: the fit is a small step away); model(P) gives mu (k, bins) at
    rows P of the model's parameters; ln A appended when free_norm. The
    prior box is ignored (the points are >= 5% of the range from its edges,
    many sigma at the exposures used)."""
    th = np.array(theta0, dtype=np.float64)
    d = len(h)
    for _ in range(iters):
        G, mu, ok = log_jacobian(model, th[None, :d], h)
        G, mu, ok = with_norm(G, free_norm)[0], mu[0], ok[0]
        if free_norm:
            mu = mu * np.exp(th[d])
        F = np.einsum("b,bj,bk->jk", np.where(ok, mu, 0.0), G, G)
        step = np.linalg.solve(F, G[ok].T @ (counts[ok] - mu[ok]))
        th = th + step
        if np.all(np.abs(step) < 1e-9 * np.sqrt(np.diag(np.linalg.inv(F)))):
            break
    return th


def load_rows(a, ctx):
    """X (n, d) float64 and the emulator's prediction (n, m) of the test rows."""
    path = a.predictions or os.path.join(a.run, "test_predictions.h5")
    with h5py.File(path, "r") as h:
        for k in ("X", "Y_pred"):
            if k not in h:
                raise ValueError(f"{path}: no dataset /{k} (a test_predictions.h5 of `mlpsweep run` has X, Y, "
                                 "Y_pred and rows)")
        X, P = h["X"][()].astype(np.float64), h["Y_pred"][()].astype(np.float64)
        rows = h["rows"][()] if "rows" in h else None
    if rows is not None and ctx.dpath:  # the inputs in float64, as the true model should see them
        with h5py.File(ctx.dpath, "r") as h:
            X64 = h["X"][()][rows]
        if X64.shape == X.shape and np.allclose(X64, X, rtol=1e-6, atol=1e-6 * np.abs(X).max()):
            X = X64
    if X.ndim != 2 or P.ndim != 2 or X.shape[1] != ctx.f.n_inputs or P.shape != (len(X), ctx.f.n_outputs):
        raise ValueError(f"{path}: X {X.shape} and Y_pred {P.shape} do not fit the model's "
                         f"{ctx.f.n_inputs} inputs and {ctx.f.n_outputs} outputs")
    return X, P, path


def contributions(t, T):
    """C (n, p, bins): bin b's share of row n's Asimov bias_j at exposure T."""
    return -np.sqrt(T) * t["A"] * t["r"][:, None, :] / t["sigma1"][..., None]


def explain(names, X, t, grid, gen):
    """The 'explain' section at TARGET_T: what carries the bias (see the
    docstring)."""
    T, ok, r = TARGET_T, t["ok"], t["r"]
    bias = np.sqrt(T) * t["dtheta"] / t["sigma1"]
    absr = np.where(ok, np.abs(r), np.nan)
    rows = {"p95_abs_frac_err": np.nanpercentile(absr, 95, axis=1), "max_abs_frac_err": np.nanmax(absr, axis=1),
            "rms_frac_err": np.sqrt(np.nanmean(absr ** 2, axis=1))}
    worst = np.abs(bias).max(axis=1)
    corr = {"asimov_bias": {k: {"pearson": float(np.corrcoef(worst, v)[0, 1]), "spearman": spearman(worst, v)}
                            for k, v in rows.items()}}
    if t["noise_sd"] is not None:
        ns = t["noise_sd"].max(axis=1)
        corr["noise_sd"] = {k: {"pearson": float(np.corrcoef(ns, v)[0, 1]), "spearman": spearman(ns, v)}
                            for k, v in rows.items()}
    w = np.where(ok, t["m"], 0.0)
    chi2 = np.sum(w * r ** 2, axis=1)  # at T = 1
    chi2_proj = np.einsum("nj,njk,nk->n", t["dtheta"], np.einsum("nb,nbj,nbk->njk", w, t["G"], t["G"]), t["dtheta"])
    share = chi2_proj / np.maximum(chi2, 1e-300)
    C = contributions(t, T)
    coher = np.abs(C.sum(axis=2)) / np.maximum(np.abs(C).sum(axis=2), 1e-300)
    big = worst >= np.percentile(worst, 90)
    Ahat = np.sqrt(T) * t["A"] / t["sigma1"][..., None]  # |bias_j| per unit r in each bin
    eps_uniform = TARGET_BIAS / np.abs(Ahat).sum(axis=2).max(axis=1)
    s_white = TARGET_BIAS / np.sqrt((Ahat ** 2).sum(axis=2)).max(axis=1)
    rr = np.where(ok, r, np.nan)
    per_bin = {"energy": grid.tolist() if grid is not None else None,
               "mean_signed_contribution": C.mean(axis=0).tolist(),
               "mean_abs_contribution": np.abs(C).mean(axis=0).tolist(),
               "mean_signed_frac_err": np.nanmean(rr, axis=0).tolist(),
               "rms_frac_err": np.sqrt(np.nanmean(rr ** 2, axis=0)).tolist()}
    allowed = {"target_bias": TARGET_BIAS, "uniform_bound_eps": quantiles(eps_uniform),
               "white_noise_rms": quantiles(s_white), "rows_max_abs_frac_err": quantiles(rows["max_abs_frac_err"]),
               "rows_rms_frac_err": quantiles(rows["rms_frac_err"]),
               "asimov_shrink_factor_needed_p95_row": float(np.percentile(worst, 95) / TARGET_BIAS)}
    vshare = None
    if t["noise_sd"] is not None:
        allowed["noise_shrink_factor_needed_p95_row"] = float(np.percentile(t["noise_sd"].max(axis=1), 95)
                                                              / TARGET_BIAS)
        vshare = w[..., None] * t["Vn"] ** 2 / np.maximum(np.einsum("nb,nbj->nj", w, t["Vn"] ** 2)[:, None, :],
                                                          1e-300)
        per_bin["noise_variance_share"] = vshare.mean(axis=0).tolist()
        per_bin["rms_dr_dtheta"] = np.sqrt(np.mean(np.where(ok[..., None], t["dr"], 0.0) ** 2, axis=0)).tolist()
    out = {"at_exposure": T, "bias_from": "largest |bias| of a row over its parameters",
           "correlation_with_row_error": corr,
           "share_of_weighted_error_in_parameter_directions": quantiles(share) | {"mean": float(share.mean())},
           "coherence_of_bin_contributions": {"median": float(np.median(coher)),
                                              "median_top10pct_rows": float(np.median(coher[big]))},
           "per_bin": per_bin, "allowed_for_target": allowed}
    if gen == "brokenpowerlaw" and grid is not None:  # the error sits at the break: bins of log10(E / Eb)
        iEb = names.index("Eb")
        u = np.log10(grid[None, :] / X[:, iEb:iEb + 1])
        edges = np.round(np.arange(-1.3, 1.45, 0.2), 10)
        k = np.clip(np.digitize(u, edges) - 1, 0, len(edges) - 2)
        rel = {"log10_E_over_Eb_edges": edges.tolist(), "n_values": [], "mean_signed_frac_err": [],
               "rms_frac_err": [], "mean_abs_contribution_per_row": [], "mean_signed_contribution_per_row": [],
               "rms_dr_dtheta": [], "rms_dlnm_dtheta": [], "noise_variance_share": []}
        for b in range(len(edges) - 1):
            sel = (k == b) & ok
            rel["n_values"].append(int(sel.sum()))
            v = r[sel]
            rel["mean_signed_frac_err"].append(float(v.mean()) if v.size else None)
            rel["rms_frac_err"].append(float(np.sqrt((v ** 2).mean())) if v.size else None)
            cs = np.where(sel[:, None, :], C, 0.0).sum(axis=2)  # (n, p): the bins' share of each bias
            rel["mean_abs_contribution_per_row"].append(np.abs(cs).mean(axis=0).tolist())
            rel["mean_signed_contribution_per_row"].append(cs.mean(axis=0).tolist())
            if t["dr"] is not None:  # the slope of the error, against the model's own (d ln m / d theta)
                rel["rms_dr_dtheta"].append(np.sqrt((t["dr"][sel] ** 2).mean(axis=0)).tolist() if v.size else None)
                rel["rms_dlnm_dtheta"].append(np.sqrt((t["G0"][sel] ** 2).mean(axis=0)).tolist() if v.size else None)
                rel["noise_variance_share"].append((vshare[sel].sum(axis=0) / len(X)).tolist())
        out["relative_to_break"] = rel
    return out, rows, share


def at_point(ctx, true, h, x0, T, fn, seed, i, n_sim):
    """One point of the box at exposure T: the linear terms, sigma, and the
    ML shift (emulator fit minus true-model fit, in sigma) over n_sim
    Poisson data sets (seeds [seed, i, T, 1000 + k]); ml_shift(counts)
    for other counts."""
    t = row_terms(true, ctx.f, x0[None, :], ctx.f(x0[None, :]), ctx.T0, h, fn)
    sig = t["sigma1"][0] / np.sqrt(T)
    mu = T * t["m"][0]
    th0 = np.append(x0, 0.0) if fn else x0

    def ml_shift(counts):
        return (fit_poisson(lambda P: (T / ctx.T0) * ctx.f(P), counts, th0, h, fn)
                - fit_poisson(lambda P: T * true(P), counts, th0, h, fn)) / sig

    sims = np.array([ml_shift(np.random.default_rng([seed, i, int(T), 1000 + k]).poisson(mu).astype(np.float64))
                     for k in range(n_sim)])
    return {"t": t, "sig": sig, "mu": mu, "ml_shift": ml_shift, "fisher_bias": t["dtheta"][0] / sig,
            "fisher_trueJ_bias": t["dtheta_trueJ"][0] / sig,
            "noise_sd": t["noise_sd"][0], "sim_mean": sims.mean(axis=0), "sim_sd": sims.std(axis=0, ddof=1)}


def band(v):
    return {"mean": float(np.mean(v)), "p05": float(np.percentile(v, 5)), "p95": float(np.percentile(v, 95))}


def validate(ctx, true, h, mc, mc_path, n_sim):
    """At mcmc_check.py's points: the Fisher (Asimov) bias, the linear
    prediction and the ML shift for the MCMC's own counts, the mean and
    spread of the ML shift over n_sim other Poisson data sets, against the
    MCMC's biases and Monte Carlo errors (see the docstring)."""
    fn = bool(mc.get("free_norm", False))
    pts = points(ctx.lo, ctx.hi, len({r["point"] for r in mc["results"]}), np.random.default_rng(mc["seed"]))
    rows = []
    for r in mc["results"]:
        x0, T, i = np.array(r["theta"]), r["exposure"], r["point"]
        p = at_point(ctx, true, h, x0, T, fn, mc["seed"], i, n_sim)
        counts = np.random.default_rng([mc["seed"], i, int(T)]).poisson(p["mu"]).astype(np.float64)
        lin = (p["t"]["dtheta"][0] + (counts - p["mu"]) @ p["t"]["Vn"][0] / T) / p["sig"]
        ch = r["chains"]
        rows.append({"point": i, "theta": x0.tolist(), "exposure": T,
                     "same_point_as_points()": bool(np.allclose(pts[i], x0, rtol=1e-12, atol=0)),
                     "fisher_bias": p["fisher_bias"].tolist(), "fisher_trueJ_bias": p["fisher_trueJ_bias"].tolist(),
                     "noise_sd": p["noise_sd"].tolist(),
                     "noise_cov": p["t"]["noise_cov"][0].tolist(),
                     "linear_these_counts": lin.tolist(), "ml_shift_these_counts": p["ml_shift"](counts).tolist(),
                     "ml_shift_over_data_sets": {"n": n_sim, "mean": p["sim_mean"].tolist(), "sd": p["sim_sd"].tolist()},
                     "mcmc_bias": ch["emulator"]["bias"], "mcmc_mc_error": ch["emulator"]["bias_mc_error"],
                     "fisher_sigma": p["sig"].tolist(), "mcmc_sd_true": ch["true"]["sd"]})
    get = {k: np.array([p[k] for p in rows]) for k in ("fisher_bias", "fisher_trueJ_bias", "linear_these_counts",
                                                      "ml_shift_these_counts", "mcmc_bias", "mcmc_mc_error")}
    cb, ce = get["mcmc_bias"], get["mcmc_mc_error"]
    preds = [k for k in get if k not in ("mcmc_bias", "mcmc_mc_error")]
    rng = np.random.default_rng(0)
    mcn = rng.standard_normal((20000,) + ce.shape) * ce
    cov = np.array([p["noise_cov"] for p in rows])
    on_top = np.abs(get["fisher_bias"] + draw_noise(cov, rng, 20000) + mcn).max(axis=(1, 2))
    summary = {"mcmc": mc_path, "free_norm": fn, "n_biases": int(cb.size), "realisations": n_sim,
               "max_abs_bias": {k: float(np.abs(get[k]).max()) for k in preds + ["mcmc_bias"]},
               "rms_mcmc_minus": {k: float(np.sqrt(np.mean((cb - get[k]) ** 2))) for k in preds},
               "chi2_mcmc_vs": {k: float(np.sum(((cb - get[k]) / ce) ** 2)) for k in preds},
               "mcmc_mc_error_rms": float(np.sqrt(np.mean(ce ** 2))),
               "noise_floor_max_abs": band(np.abs(mcn).max(axis=(1, 2))),
               "expected_mcmc_max_given_linear": band(on_top),
               "sigma_ratio_fisher_over_mcmc": quantiles(np.array([np.array(p["fisher_sigma"])
                                                                   / np.array(p["mcmc_sd_true"]) for p in rows]))}
    return {"summary": summary, "points": rows}


def scaling(ctx, true, h, exposures, fn, n_points, seed, n_sim):
    """At points(n_points, seed) and each exposure: the Asimov bias and the
    noise sd of the linear theory against the mean and sd of the ML shift
    over n_sim data sets (the Asimov part grows as sqrt(T), the noise part
    does not)."""
    pts = points(ctx.lo, ctx.hi, n_points, np.random.default_rng(seed))
    out = []
    for T in exposures:
        ps = [at_point(ctx, true, h, x0, T, fn, seed, i, n_sim) for i, x0 in enumerate(pts)]
        fb, ns = np.array([p["fisher_bias"] for p in ps]), np.array([p["noise_sd"] for p in ps])
        ft = np.array([p["fisher_trueJ_bias"] for p in ps])
        sm, ss = np.array([p["sim_mean"] for p in ps]), np.array([p["sim_sd"] for p in ps])
        out.append({"exposure": T, "fisher_bias": fb.tolist(), "ml_mean": sm.tolist(), "noise_sd": ns.tolist(),
                    "ml_sd": ss.tolist(), "rms_ml_mean_minus_fisher": float(np.sqrt(np.mean((sm - fb) ** 2))),
                    "fisher_trueJ_bias": ft.tolist(),
                    "rms_ml_mean_minus_fisher_trueJ": float(np.sqrt(np.mean((sm - ft) ** 2))),
                    "rms_error_of_ml_mean": float(np.sqrt(np.mean(ss ** 2) / n_sim)),
                    "noise_sd_over_ml_sd": quantiles(ns / ss)})
    return {"points": n_points, "seed": seed, "realisations": n_sim, "per_exposure": out}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Linearised (Fisher) posterior bias of an emulator on every test row.")
    ap.add_argument("run", help="output directory of mlpsweep run (model.h5, test_predictions.h5)")
    ap.add_argument("--generator", required=True, choices=GENERATORS)
    ap.add_argument("--exposure", type=float, nargs="+", default=[1e2, 1e3, 1e4],
                    help="counts scale T: mu = T * model (as gen --noise poisson --exposure T)")
    ap.add_argument("--free-norm", action="store_true", help="a free normalisation ln A fitted with the parameters")
    ap.add_argument("--step", type=float, default=1e-4, help="finite-difference step, fraction of the box's range")
    ap.add_argument("--predictions", help="the emulator's predictions (default RUN/test_predictions.h5); "
                    "without model.h5's derivatives: no data-noise term, no validation")
    ap.add_argument("--mcmc", help="mcmc_check.py's JSON to validate against (default RUN/mcmc_check.json if any)")
    ap.add_argument("--realisations", type=int, default=100,
                    help="Poisson data sets per point for the ML-shift checks (0: none)")
    ap.add_argument("--points", type=int, default=6, help="points of the scaling check (mcmc_check.py's points())")
    ap.add_argument("--seed", type=int, default=1, help="seed of the scaling check's points and data")
    ap.add_argument("--mlpsweep", help="the mlpsweep binary (default: $MLPS_BIN, build/src/mlpsweep, PATH)")
    ap.add_argument("-o", "--output", help="JSON (default RUN/bias_fisher.json, RUN/bias_fisher_freenorm.json)")
    a = ap.parse_args(argv)
    if a.generator == "linpower":
        print("bias_fisher.py: linpower is a power spectrum, not counts: no Poisson data (use powerlaw or "
              "brokenpowerlaw)", file=sys.stderr)
        return 2
    if not (0 < a.step < 0.1) or any(not (T > 0) for T in a.exposure) or a.realisations < 0 or a.points < 1:
        print("bias_fisher.py: --step must be in (0, 0.1), --exposure > 0, --realisations >= 0, --points >= 1",
              file=sys.stderr)
        return 2
    try:
        binary = find_binary(a.mlpsweep)
        ctx = open_run(a.run, a.generator)
        X, P, pred_path = load_rows(a, ctx)
        mc_path = a.mcmc or os.path.join(a.run, "mcmc_check.json")
        if a.mcmc and not os.path.isfile(a.mcmc):
            raise ValueError(f"--mcmc {a.mcmc}: no such file")
        mc = None
        if os.path.isfile(mc_path) and not a.predictions and a.realisations > 0:
            with open(mc_path) as fh:
                mc = json.load(fh)
            if bool(mc.get("free_norm", False)) != a.free_norm:
                print(f"bias_fisher.py: {mc_path} was run {'with' if mc.get('free_norm') else 'without'} "
                      "--free-norm: no validation", file=sys.stderr)
                mc = None
        grid = None
        if ctx.dpath:
            with h5py.File(ctx.dpath, "r") as hf:
                grid = hf["grid"][()] if "grid" in hf else None
    except (OSError, ValueError, KeyError) as e:
        print(f"bias_fisher.py: {e}", file=sys.stderr)
        return 2
    names = list(ctx.names) + (["ln_norm"] if a.free_norm else [])
    true = TrueModel(binary, a.generator)
    m_true = true(((ctx.lo + ctx.hi) / 2)[None, :]).shape[1]
    if m_true != P.shape[1]:
        print(f"bias_fisher.py: generator {a.generator} gives {m_true} outputs, {pred_path} has {P.shape[1]}",
              file=sys.stderr)
        true.close()
        return 2
    h = a.step * (ctx.hi - ctx.lo)
    t = row_terms(true, None if a.predictions else ctx.f, X, P, ctx.T0, h, a.free_norm)
    b1 = t["dtheta"] / t["sigma1"]  # the Asimov bias at T = 1
    fd = {}  # the step: the Asimov bias at TARGET_T with 10x and 0.1x the step, on 200 rows
    for k in (10.0, 0.1):
        tk = row_terms(true, None if a.predictions else ctx.f, X[:200], P[:200], ctx.T0, k * h, a.free_norm)
        diff = np.sqrt(TARGET_T) * np.abs(tk["dtheta"] / tk["sigma1"] - b1[:200]).max(axis=1)
        fd[f"step_x{k:g}"] = {"max_abs_change": float(diff.max()), "p99_abs_change": float(np.percentile(diff, 99)),
                              "median_abs_change": float(np.median(diff)),
                              "rows_changing_over_0.01": float(np.mean(diff > 0.01))}
    rng = np.random.default_rng(a.seed)
    summary = []
    for T in a.exposure:
        bA = np.sqrt(T) * b1
        s = {"exposure": T, "asimov": per_param(bA, names)}
        if t["jacobian"] == "emulator":
            s["asimov_trueJ"] = per_param(np.sqrt(T) * t["dtheta_trueJ"] / t["sigma1"], names)
        if t["noise_sd"] is not None:
            one = bA + draw_noise(t["noise_cov"], rng)[0]
            s["one_data_set"] = per_param(one, names)
            s["rms_over_data_sets"] = per_param(np.sqrt(bA ** 2 + t["noise_sd"] ** 2), names)
            pick = rng.integers(len(X), size=(5000, 6))
            draws = bA[pick] + draw_noise(t["noise_cov"], rng, 5000)[np.arange(5000)[:, None], pick]
            s["max_over_6_rows"] = band(np.abs(draws).max(axis=(1, 2)))
            # What it takes: both parts scale with the error (in value and slope) by k: k = target / mean max;
            # the data-noise part alone (a perfect Asimov part) gives the floor of the value-only improvements.
            s["max_over_6_rows_noise_only"] = band(np.abs(draws - bA[pick]).max(axis=(1, 2)))
            s["max_over_6_rows_asimov_only"] = band(np.abs(bA[pick]).max(axis=(1, 2)))
            s["error_scale_for_target"] = TARGET_BIAS / s["max_over_6_rows"]["mean"]
        summary.append(s)
    ex, rowstats, share = explain(names, X, t, grid, a.generator)
    val = validate(ctx, true, h, mc, mc_path, a.realisations) if mc else None
    sc = (scaling(ctx, true, h, a.exposure, a.free_norm, a.points, a.seed, a.realisations)
          if not a.predictions and a.realisations > 0 else None)
    true.close()
    doc = {"run": a.run, "generator": a.generator, "params": names, "predictions": pred_path, "n_rows": len(X),
           "training_exposure": ctx.T0, "free_norm": a.free_norm, "step": a.step, "fd_check": fd,
           "bins_dropped": int((~t["ok"]).sum()), "asimov_jacobian": t["jacobian"],
           "bias": "posterior shift (emulator - true) / sigma, sigma = sqrt((F^-1)_jj) at the exposure",
           "summary": summary, "noise_sd": per_param(t["noise_sd"], names) if t["noise_sd"] is not None else None,
           "explain": ex, "validation": val, "scaling": sc,
           "rows": {"theta": X.tolist(), "dtheta": t["dtheta"].tolist(), "dtheta_trueJ": t["dtheta_trueJ"].tolist(),
                    "sigma_at_exposure_1": t["sigma1"].tolist(),
                    "noise_sd": t["noise_sd"].tolist() if t["noise_sd"] is not None else None,
                    "p95_abs_frac_err": rowstats["p95_abs_frac_err"].tolist(),
                    "max_abs_frac_err": rowstats["max_abs_frac_err"].tolist(),
                    "share_in_parameter_directions": share.tolist()}}
    out = a.output or os.path.join(a.run, "bias_fisher_freenorm.json" if a.free_norm else "bias_fisher.json")
    with open(out, "w") as fh:
        json.dump(doc, fh, indent=1)
    print(report(doc))
    print(f"wrote {out}")
    return 0


def q4(q):
    return f"{q['median']:.3f} / {q['p95']:.3f} / {q['p99']:.3f} / {q['max']:.3f}"


def report(doc):
    """The printed summary: tables of |bias| quantiles, then the few
    figures of 'explain', 'validation' and 'scaling'."""
    names = doc["params"]
    head = "| exposure | bias | " + " | ".join(names) + " | any |"
    lines = [f"Fisher bias of {doc['run']} ({doc['generator']}{', free normalisation' if doc['free_norm'] else ''}; "
             f"{doc['n_rows']} test rows; |bias| in sigma: median / p95 / p99 / max over the rows)", head,
             "|---:|---|" + "---|" * (len(names) + 1)]
    for s in doc["summary"]:
        for k, label in (("asimov", "Asimov (mean over data sets)"), ("asimov_trueJ", "Asimov, true model's J"),
                         ("one_data_set", "one data set"),
                         ("rms_over_data_sets", "rms over data sets")):
            if k in s:
                lines.append(f"| {s['exposure']:g} | {label} | " + " | ".join(q4(s[k][n]) for n in names + ["any"])
                             + " |")
    if doc["noise_sd"]:
        lines.append("| any | data-noise term sd | " + " | ".join(q4(doc["noise_sd"][n]) for n in names + ["any"])
                     + " |")
        lines.append("max |bias| over 6 random test rows x parameters, one data set each (mean, 5-95%; Asimov part "
                     "alone; data-noise part alone; the error scale that brings the mean to "
                     f"{TARGET_BIAS}):")
        for s in doc["summary"]:
            lines.append(f"  T={s['exposure']:g}: {s['max_over_6_rows']['mean']:.2f} ({s['max_over_6_rows']['p05']:.2f}-"
                         f"{s['max_over_6_rows']['p95']:.2f}); {s['max_over_6_rows_asimov_only']['mean']:.2f}; "
                         f"{s['max_over_6_rows_noise_only']['mean']:.2f}; x{s['error_scale_for_target']:.2f}")
    fd = doc["fd_check"]
    lines.append(f"finite differences: step {doc['step']:g} of the range; 10x / 0.1x the step change an Asimov bias "
                 f"at T=1e3 by a median {fd['step_x10']['median_abs_change']:.0e} / "
                 f"{fd['step_x0.1']['median_abs_change']:.0e} sigma, more than 0.01 sigma in "
                 f"{fd['step_x10']['rows_changing_over_0.01']:.1%} / {fd['step_x0.1']['rows_changing_over_0.01']:.1%} "
                 f"of the rows (max {fd['step_x10']['max_abs_change']:.2f} / {fd['step_x0.1']['max_abs_change']:.2f}); "
                 f"bins dropped (model <= 0): {doc['bins_dropped']}"),
    ex = doc["explain"]
    c = ex["correlation_with_row_error"]
    sh = ex["share_of_weighted_error_in_parameter_directions"]
    al = ex["allowed_for_target"]
    lines.append(f"at T = {ex['at_exposure']:g}: Spearman of a row's Asimov |bias| with its p95 |r| "
                 f"{c['asimov_bias']['p95_abs_frac_err']['spearman']:.2f}, max |r| "
                 f"{c['asimov_bias']['max_abs_frac_err']['spearman']:.2f}, rms r "
                 f"{c['asimov_bias']['rms_frac_err']['spearman']:.2f}"
                 + (f"; of its noise sd with p95 |r| {c['noise_sd']['p95_abs_frac_err']['spearman']:.2f}"
                    if "noise_sd" in c else ""))
    lines.append(f"share of the count-weighted error in the parameters' directions: median {sh['median']:.3f}, p95 "
                 f"{sh['p95']:.3f}; coherence of the bins' contributions: median "
                 f"{ex['coherence_of_bin_contributions']['median']:.2f} "
                 f"({ex['coherence_of_bin_contributions']['median_top10pct_rows']:.2f} in the worst 10% of rows)")
    lines.append(f"{al['target_bias']} sigma at T = {ex['at_exposure']:g} (Asimov part) needs |r| <= "
                 f"{al['uniform_bound_eps']['median'] * 100:.3f}% in every bin (worst signs; median row) or white "
                 f"noise of rms {al['white_noise_rms']['median'] * 100:.3f}%; the rows have max |r| median "
                 f"{al['rows_max_abs_frac_err']['median'] * 100:.3f}%, rms r median "
                 f"{al['rows_rms_frac_err']['median'] * 100:.3f}%; at the p95 row the Asimov part must shrink "
                 f"{al['asimov_shrink_factor_needed_p95_row']:.1f}x"
                 + (f", the noise part {al['noise_shrink_factor_needed_p95_row']:.1f}x"
                    if "noise_shrink_factor_needed_p95_row" in al else ""))
    rel = ex.get("relative_to_break")
    if rel and rel["rms_dr_dtheta"]:
        j = len(names) - 1 if not doc["free_norm"] else len(names) - 2  # Eb: the last model input
        lines.append(f"by log10(E/Eb) (bins of 0.2): mean |contribution| to the Asimov |bias| (max over parameters), "
                     f"share of the data-noise variance ({names[j]}), rms r, rms d r / d {names[j]} against "
                     f"rms d ln m / d {names[j]}:")
        for k in range(len(rel["n_values"])):
            if rel["n_values"][k]:
                lo, hi = rel["log10_E_over_Eb_edges"][k:k + 2]
                lines.append(f"  [{lo:+.1f}, {hi:+.1f}): {max(rel['mean_abs_contribution_per_row'][k]):.3f}, "
                             f"{rel['noise_variance_share'][k][j]:.2f}, {rel['rms_frac_err'][k] * 100:.2f}%, "
                             f"{rel['rms_dr_dtheta'][k][j]:.3f} / {rel['rms_dlnm_dtheta'][k][j]:.3f}")
    if doc["validation"]:
        v = doc["validation"]["summary"]
        lines.append(f"validation against {v['mcmc']} ({v['n_biases']} biases, MC error rms "
                     f"{v['mcmc_mc_error_rms']:.3f}): max |bias| " + ", ".join(
                         f"{k} {x:.3f}" for k, x in v["max_abs_bias"].items()))
        lines.append("  rms(MCMC - x): " + ", ".join(f"{k} {x:.3f}" for k, x in v["rms_mcmc_minus"].items())
                     + "; chi2 of MCMC - x over its MC errors: "
                     + ", ".join(f"{k} {x:.1f}" for k, x in v["chi2_mcmc_vs"].items()) + f" (for {v['n_biases']})")
        nf, ot = v["noise_floor_max_abs"], v["expected_mcmc_max_given_linear"]
        lines.append(f"  noise floor: Monte Carlo error alone gives a max |bias| of {nf['mean']:.3f} "
                     f"({nf['p05']:.3f}-{nf['p95']:.3f}); Asimov + data noise + MC error: {ot['mean']:.3f} "
                     f"({ot['p05']:.3f}-{ot['p95']:.3f})")
        for p in doc["validation"]["points"]:
            f3 = (lambda xs: ", ".join(f"{x:+.3f}" for x in xs))
            lines.append(f"  point {p['point']}: Asimov {f3(p['fisher_bias'])} (noise sd "
                         + ", ".join(f"{x:.2f}" for x in p["noise_sd"]) + f") | linear {f3(p['linear_these_counts'])}"
                         f" | ML {f3(p['ml_shift_these_counts'])} | MCMC {f3(p['mcmc_bias'])}")
    if doc["scaling"]:
        for e in doc["scaling"]["per_exposure"]:
            lines.append(f"scaling, T={e['exposure']:g}, {doc['scaling']['points']} points x "
                         f"{doc['scaling']['realisations']} data sets: rms(mean ML shift - Asimov) "
                         f"{e['rms_ml_mean_minus_fisher']:.3f} (with the true model's J "
                         f"{e['rms_ml_mean_minus_fisher_trueJ']:.3f}; its own error {e['rms_error_of_ml_mean']:.3f}); "
                         f"noise sd linear / simulated: median {e['noise_sd_over_ml_sd']['median']:.2f}, max "
                         f"{e['noise_sd_over_ml_sd']['max']:.2f}; max |Asimov| "
                         f"{np.abs(e['fisher_bias']).max():.3f}, max noise sd {np.max(e['noise_sd']):.3f}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
