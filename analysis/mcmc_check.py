#!/usr/bin/python3
"""Does the emulator bias a posterior? emcee with the true model against
emcee with the emulator, on Poisson data simulated from the true model.

    /usr/bin/python3 analysis/mcmc_check.py RUN --generator brokenpowerlaw \\
        [--exposure T ...] [--points N] [--seed S] [--walkers W] [--max-steps S]
        [--free-norm]

For N points of the training box (every second one with some coordinates
near an edge: 5% or 95% of the range), and each exposure T:
  * the true model is `mlpsweep gen GEN --params -` (the same C code as the
    data sets; one persistent process fed all walkers of a step at once);
  * the data are Poisson counts with mean mu = T * model(theta), the
    convention of `mlpsweep gen --noise poisson --exposure T`; the emulator,
    trained on spectra at the data file's exposure T0 (attribute `exposure`),
    gives mu = (T / T0) * f(theta);
  * the prior is uniform on the training box (model.h5 version 2's /box, or
    the data file's min and max of X for a version 1 file);
  * emcee runs with the same walkers, start and seed: the true model
    with a Poisson likelihood, the emulator with a Poisson likelihood, and
    the emulator with its error model: a negative binomial per bin, mean mu,
    variance mu + (s mu)^2, with s the emulator's fractional error on the
    test set (model.h5 v2: sqrt(diag frac_cov + frac_mean^2); v1: the same
    from RUN/test_predictions.h5). That is the brief's Gaussian variance,
    but the exact marginal of Poisson counts whose mean has a Gamma-
    distributed fractional error, so it stays right in bins of few counts,
    where a Gaussian does not (a broken power law has many). It ignores
    the correlations across bins, hence
  * a fourth run, the emulator with the full error covariance: Poisson
    counts with mean mu_i (1 + delta_i), delta ~ N(0, S), S the second
    moments of the test rows' fractional residuals (frac_cov + frac_mean
    frac_mean^T; v1: from test_predictions.h5), delta integrated out to
    second order around 0 with the Fisher information M = diag(mu) (exact
    as S -> 0; S is ~1e-5 here; S through its leading eigenvectors holding
    99.99% of its trace, "cov_rank" in the JSON):
        ln L = sum(n ln mu - mu) + 1/2 r^T (S^-1 + M)^-1 r - 1/2 ln det(I + S M),
    r = n - mu: the Poisson likelihood plus the difference between Gaussian
    likelihoods with and without the error covariance, so bins of zero
    counts keep their Poisson weight. (The observed information diag(n)
    instead of M makes the correction grow faster than the Poisson penalty
    far from the data: the chains run away; a plain Gaussian with covariance
    M + M S M would misweight the many bins of few counts.)
  * --free-norm: a free normalisation A (parameter ln_norm = ln A, uniform
    prior on [-1, 1], true value 0) multiplies mu in all four chains, as in
    a real fit, where the source's flux is unknown: an error of the
    emulator's overall level then goes into A instead of the shape
    parameters (brokenpowerlaw and powerlaw have no normalisation input);
  * chains run in chunks until they are longer than 50 autocorrelation
    times (emcee's get_autocorr_time) or --max-steps, which is reported.
Per parameter: bias = (mean_emulator - mean_true) / sigma_true and the width
ratio sigma_emulator / sigma_true, with the Monte Carlo error of the bias
(sqrt(mcse_true^2 + mcse_emulator^2) / sigma_true, mcse = sigma / sqrt(n /
tau): an upper estimate, since the chains share their random numbers).
Writes RUN/mcmc_check.json and RUN/plots/mcmc_check.png, prints a table.
Needs Debian's python3-emcee (and python3-scipy for the error model).
"""
import argparse
import json
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small products: threads only contend
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from mlpsweep_analysis.emulator_check import GENERATORS, TrueModel, find_binary, open_run, points  # noqa: E402

def poisson_ll(n, mu):
    return np.sum(n * np.log(mu) - mu, axis=-1)


def negbin_ll(n, mu, s2):
    """Negative binomial (Gamma-Poisson) with mean mu, variance mu + s2 mu^2;
    the log n! term dropped (constant)."""
    from scipy.special import gammaln
    r = 1.0 / s2
    return np.sum(gammaln(n + r) - gammaln(r) + r * np.log(r / (r + mu)) + n * np.log(mu / (r + mu)), axis=-1)


def low_rank(S, keep=0.9999):
    """V (m, k) with V V^T = S restricted to its leading eigenvectors that
    hold `keep` of the trace (the residuals are smooth over the bins: k is
    a fraction of m), so a likelihood costs k x k, not m x m, per walker."""
    lam, U = np.linalg.eigh(S)
    lam, U = lam[::-1].clip(min=0), U[:, ::-1]
    k = int(np.searchsorted(np.cumsum(lam), keep * lam.sum()) + 1)
    return U[:, :k] * np.sqrt(lam[:k])


def cov_ll(n, mu, V):
    """Poisson counts with mean mu (1 + delta), delta ~ N(0, S = V V^T),
    delta integrated out to second order around 0 with the Fisher
    information M = diag(mu):
        ln L = Poisson + 1/2 r^T (S^-1 + M)^-1 r - 1/2 ln det(I + S M)
             = Poisson + 1/2 |L^-1 V^T r|^2 - ln det L,  L L^T = I + V^T M V,
    r = n - mu (one k x k Cholesky per walker)."""
    r = n - mu
    A = np.matmul(V.T[None] * mu[:, None, :], V)
    A += np.eye(V.shape[1])
    L = np.linalg.cholesky(A)
    z = np.linalg.solve(L, (r @ V)[..., None])[..., 0]
    logdet = np.sum(np.log(np.diagonal(L, axis1=1, axis2=2)), axis=1)
    return poisson_ll(n, mu) + 0.5 * np.sum(z * z, axis=1) - logdet


def run_chain(logp, p0, seed, max_steps, chunk, tau_mult):
    import emcee
    nw, d = p0.shape
    s = emcee.EnsembleSampler(nw, d, logp, vectorize=True)
    s.random_state = np.random.RandomState(seed).get_state()
    state, steps, tau = p0, 0, np.full(d, np.nan)
    converged = False
    while steps < max_steps:
        n = min(chunk, max_steps - steps)
        state = s.run_mcmc(state, n, progress=False)
        steps += n
        tau = s.get_autocorr_time(tol=0)
        if np.all(np.isfinite(tau)) and steps >= tau_mult * tau.max():
            converged = True
            break
    burn = int(min(steps // 2, 3 * np.nanmax(tau))) if np.all(np.isfinite(tau)) else steps // 2
    chain = s.get_chain(discard=burn, flat=True)
    n_eff = max(1.0, chain.shape[0] / np.nanmax(tau)) if np.all(np.isfinite(tau)) else 1.0
    return {"mean": chain.mean(axis=0), "sd": chain.std(axis=0, ddof=1), "mcse_factor": 1.0 / np.sqrt(n_eff),
            "tau": tau.tolist(), "steps": steps, "converged": converged,
            "acceptance": float(np.mean(s.acceptance_fraction))}


def frac_moments(f, run_dir):
    """S (m, m): second moments of the fractional residuals y_pred / y - 1
    over the test rows (a mean error is an error too), and its source."""
    if f.frac_cov is not None:
        mean = f.frac_mean if f.frac_mean is not None else np.zeros(len(f.frac_cov))
        return f.frac_cov + np.outer(mean, mean), "model.h5 (frac_cov, frac_mean)"
    with h5py.File(os.path.join(run_dir, "test_predictions.h5"), "r") as h:
        Y, P = h["Y"][()].astype(np.float64), h["Y_pred"][()].astype(np.float64)
    ok = Y > 0
    r = np.where(ok, P / np.where(ok, Y, 1.0) - 1.0, 0.0)
    cnt = np.maximum(ok.astype(np.float64).T @ ok.astype(np.float64), 1.0)
    return (r.T @ r) / cnt, "test_predictions.h5 (model.h5 version 1)"


def main(argv=None):
    ap = argparse.ArgumentParser(description="emcee with the true model against emcee with the emulator.")
    ap.add_argument("run", help="output directory of mlpsweep run (with model.h5)")
    ap.add_argument("--generator", required=True, choices=GENERATORS)
    ap.add_argument("--exposure", type=float, nargs="+", default=[1e3],
                    help="counts scale T: mu = T * model (as gen --noise poisson --exposure T); several allowed")
    ap.add_argument("--points", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--walkers", type=int, default=32)
    ap.add_argument("--max-steps", type=int, default=20000)
    ap.add_argument("--chunk", type=int, default=1000, help="steps between autocorrelation checks")
    ap.add_argument("--tau-multiple", type=float, default=50, help="converged: chain longer than this x tau")
    ap.add_argument("--free-norm", action="store_true",
                    help="fit a free normalisation ln_norm (uniform on [-1, 1]) with the model's parameters")
    ap.add_argument("--mlpsweep", help="the mlpsweep binary (default: $MLPS_BIN, build/src/mlpsweep, PATH)")
    ap.add_argument("-o", "--output", help="JSON (default RUN/mcmc_check.json)")
    ap.add_argument("--no-plot", action="store_true")
    a = ap.parse_args(argv)
    try:
        import emcee  # noqa: F401
    except ImportError:
        print("mcmc_check.py: needs emcee: apt-get install python3-emcee", file=sys.stderr)
        return 2
    if a.generator == "linpower":
        print("mcmc_check.py: linpower is a power spectrum, not counts: no Poisson data (use powerlaw or "
              "brokenpowerlaw)", file=sys.stderr)
        return 2
    try:
        binary = find_binary(a.mlpsweep)
        ctx = open_run(a.run, a.generator)
        f, T0, names, box_src = ctx.f, ctx.T0, ctx.names, ctx.box_src
        S, sig_src = frac_moments(f, a.run)
        sig = np.sqrt(np.diag(S))
        V = low_rank(S)
    except (OSError, ValueError, KeyError) as e:
        print(f"mcmc_check.py: {e}", file=sys.stderr)
        return 2
    lo, hi = ctx.lo, ctx.hi
    d = f.n_inputs  # the model's inputs; the sampled parameters are d (+ 1 with --free-norm)
    plo, phi = (np.append(lo, -1.0), np.append(hi, 1.0)) if a.free_norm else (lo, hi)
    if a.free_norm:
        names.append("ln_norm")
    true = TrueModel(binary, a.generator)
    m_true = true(((lo + hi) / 2)[None, :]).shape[1]
    if m_true != f.n_outputs:
        print(f"mcmc_check.py: generator {a.generator} gives {m_true} outputs, the model {f.n_outputs}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(a.seed)
    pts = points(lo, hi, a.points, rng)
    dp = len(plo)
    nw = max(a.walkers, 2 * dp + 2)
    s2 = sig ** 2
    results = []
    t_start = time.time()
    for i, x0 in enumerate(pts):
        mu1_true = true(x0[None, :])[0]
        x0p = np.append(x0, 0.0) if a.free_norm else x0
        for T in a.exposure:
            counts = np.random.default_rng([a.seed, i, int(T)]).poisson(T * mu1_true).astype(np.float64)

            def prior_in(P):
                return np.all((P >= plo) & (P <= phi), axis=1)

            def make(model_mu, ll):
                def logp(P):
                    out = np.full(len(P), -np.inf)
                    ok = prior_in(P)
                    if ok.any():
                        Q = P[ok]
                        mu = model_mu(Q[:, :d])
                        if a.free_norm:
                            mu = mu * np.exp(Q[:, d:])
                        mu = np.maximum(mu, 1e-300)
                        out[ok] = ll(counts, mu)
                    return out
                return logp

            mu_true = (lambda P: T * true(P))
            mu_emu = (lambda P: (T / T0) * f(P))
            chains = {}
            p0 = np.clip(x0p + 1e-3 * (phi - plo) * np.random.default_rng([a.seed, i, 7]).standard_normal((nw, dp)),
                         plo, phi)
            seed = a.seed * 1000 + i
            chains["true"] = run_chain(make(mu_true, poisson_ll), p0, seed, a.max_steps, a.chunk, a.tau_multiple)
            chains["emulator"] = run_chain(make(mu_emu, poisson_ll), p0, seed, a.max_steps, a.chunk, a.tau_multiple)
            chains["emulator+error"] = run_chain(make(mu_emu, lambda n, mu: negbin_ll(n, mu, s2)), p0, seed,
                                                 a.max_steps, a.chunk, a.tau_multiple)
            chains["emulator+cov"] = run_chain(make(mu_emu, lambda n, mu: cov_ll(n, mu, V)), p0, seed,
                                               a.max_steps, a.chunk, a.tau_multiple)
            t = chains["true"]
            row = {"point": i, "theta": x0.tolist(), "exposure": T, "counts_total": float(counts.sum()),
                   "counts_max_bin": float(counts.max()), "chains": {}}
            for k, c in chains.items():
                entry = {"mean": c["mean"].tolist(), "sd": c["sd"].tolist(), "tau": c["tau"], "steps": c["steps"],
                         "converged": c["converged"], "acceptance": c["acceptance"]}
                if k != "true":
                    entry["bias"] = ((c["mean"] - t["mean"]) / t["sd"]).tolist()
                    entry["width_ratio"] = (c["sd"] / t["sd"]).tolist()
                    entry["bias_mc_error"] = (np.hypot(t["mcse_factor"] * t["sd"], c["mcse_factor"] * c["sd"])
                                              / t["sd"]).tolist()
                row["chains"][k] = entry
            results.append(row)
            e, ee, ec = row["chains"]["emulator"], row["chains"]["emulator+error"], row["chains"]["emulator+cov"]
            print(f"point {i} T={T:g}: bias " + ", ".join(f"{n} {b:+.3f}" for n, b in zip(names, e["bias"]))
                  + " | with error model " + ", ".join(f"{b:+.3f}" for b in ee["bias"])
                  + " | with covariance " + ", ".join(f"{b:+.3f}" for b in ec["bias"])
                  + ("" if all(c["converged"] for c in chains.values()) else "  (NOT converged: raise --max-steps)"),
                  file=sys.stderr, flush=True)
    true.close()
    summary = []
    for T in a.exposure:
        rows = [r for r in results if r["exposure"] == T]
        s = {"exposure": T}
        for k in VARIANTS:
            b = np.array([r["chains"][k]["bias"] for r in rows])
            w = np.array([r["chains"][k]["width_ratio"] for r in rows])
            mc = np.array([r["chains"][k]["bias_mc_error"] for r in rows])
            s[k] = {"max_abs_bias": float(np.abs(b).max()), "bias_mc_error_median": float(np.median(mc)),
                    "max_abs_bias_per_param": np.abs(b).max(axis=0).tolist(),
                    "width_ratio_min": float(w.min()), "width_ratio_max": float(w.max())}
        s["all_converged"] = all(c["converged"] for r in rows for c in r["chains"].values())
        s["median_counts_max_bin"] = float(np.median([r["counts_max_bin"] for r in rows]))
        summary.append(s)
    doc = {"run": a.run, "generator": a.generator, "params": names, "box": [lo.tolist(), hi.tolist()],
           "box_source": box_src, "training_exposure": T0, "frac_sigma_source": sig_src,
           "frac_sigma_median": float(np.median(sig)), "cov_rank": int(V.shape[1]), "walkers": nw, "seed": a.seed,
           "max_steps": a.max_steps, "tau_multiple": a.tau_multiple, "free_norm": a.free_norm,
           "likelihoods": {"true": "Poisson, true model (mlpsweep gen --params -)",
                           "emulator": "Poisson, emulator mean",
                           "emulator+error": "negative binomial, mean mu, variance mu + (frac_sigma mu)^2",
                           "emulator+cov": "Poisson with a N(0, S) fractional error integrated out (Laplace)"},
           "variants": VARIANTS, "seconds": time.time() - t_start, "summary": summary, "results": results}
    out = a.output or os.path.join(a.run, "mcmc_check.json")
    with open(out, "w") as fh:
        json.dump(doc, fh, indent=1)
    print(f"\nMCMC check of {a.run} ({a.generator}{', free normalisation' if a.free_norm else ''}, {a.points} points, "
          f"{nw} walkers; bias in sigma_true)")
    print(table(doc))
    print(f"wrote {out}")
    if not a.no_plot:
        plot(doc, os.path.join(a.run, "plots", "mcmc_check.png"))
    return 0


VARIANTS = {"emulator": "emulator", "emulator+error": "with error model (diagonal, negative binomial)",
            "emulator+cov": "with error covariance (Laplace)"}


def table(doc):
    """The summary as a markdown table: per exposure and likelihood the max
    |bias| (per parameter) and the width ratios."""
    lines = ["| exposure | likelihood | max |bias| | per parameter (" + ", ".join(doc["params"]) + ") | width ratio "
             "| MC error of a bias (median) | converged |", "|---:|---|---:|---|---|---:|---|"]
    for s in doc["summary"]:
        for k, label in VARIANTS.items():
            e = s[k]
            lines.append(f"| {s['exposure']:g} | {label} | {e['max_abs_bias']:.3f} | "
                         + ", ".join(f"{v:.3f}" for v in e["max_abs_bias_per_param"])
                         + f" | {e['width_ratio_min']:.2f}-{e['width_ratio_max']:.2f} | "
                         f"{e['bias_mc_error_median']:.3f} | {'yes' if s['all_converged'] else 'NO'} |")
    return "\n".join(lines)


def plot(doc, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = doc["params"]
    fig, axes = plt.subplots(1, len(names), figsize=(min(12, 3.6 * len(names)), 3.4), squeeze=False)
    for j, (ax, n) in enumerate(zip(axes[0], names)):
        for q, (k, mk) in enumerate(zip(VARIANTS, "os^")):
            T = [r["exposure"] for r in doc["results"]]
            b = [r["chains"][k]["bias"][j] for r in doc["results"]]
            ax.scatter(np.array(T) * 1.15 ** q, b, marker=mk, color=f"C{q}", s=18, label=k if j == 0 else None)
        ax.axhspan(-0.1, 0.1, color="0.85", zorder=0)
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("exposure T (counts scale)")
        ax.set_title(n)
        if j == 0:
            ax.set_ylabel("(mean_emu - mean_true) / sigma_true")
    axes[0][0].legend(fontsize=8)
    fig.suptitle("MCMC check: posterior mean shift by the emulator (grey: |bias| < 0.1 sigma)", fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
