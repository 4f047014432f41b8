#!/usr/bin/env python3
"""Independent reference values for `regnet_lab::stats`, computed with numpy / scipy.

Run from the repository root:

    .venv/bin/python tests/oracle/stats_oracle.py

It rewrites tests/fixtures/stats_oracle.json, which tests/it/stats.rs reads (the Rust tests do not
need Python). Inputs are fixed (a seeded numpy Generator), so the file is reproducible.
NaN is written as the string "nan" (JSON has no NaN) and decoded by the Rust test.
"""
import itertools
import json
import math
import os

import numpy as np
import scipy
from scipy import special, stats

rng = np.random.default_rng(20240607)
OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "stats_oracle.json")


def enc(x):
    """Encode floats (NaN -> "nan", inf -> "inf") and numpy scalars for JSON."""
    if isinstance(x, (list, tuple, np.ndarray)):
        return [enc(v) for v in x]
    if isinstance(x, dict):
        return {k: enc(v) for k, v in x.items()}
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    return x


def rnd(n, lo=0.2, hi=0.6, decimals=None):
    v = rng.uniform(lo, hi, n)
    return np.round(v, decimals) if decimals is not None else v


# ---------------------------------------------------------------- EDF
def edf_case(name, errors, weights=None):
    e = np.asarray(errors, dtype=float)
    finite = np.isfinite(e)
    ef = e[finite]
    grid = np.linspace(np.min(ef) - 0.01, np.max(ef) + 0.01, 17) if ef.size else np.array([])
    grid = np.concatenate([grid, np.unique(ef)])  # evaluate exactly at the jumps too
    case = {"name": name, "errors": e, "grid": grid, "n_excluded": int((~finite).sum())}
    if weights is None:
        # F(e) = fraction with error strictly below e
        case["edf"] = [np.count_nonzero(ef < g) / ef.size for g in grid]
        case["min"] = ef.min()
        case["mean"] = ef.mean()
        xs = np.unique(ef)
        case["steps_x"] = xs
        case["steps_y"] = [np.count_nonzero(ef <= x) / ef.size for x in xs]
    else:
        w = np.asarray(weights, dtype=float)
        case["weights"] = w
        wf = w[finite]
        if wf.sum() == 0:
            case["error"] = "zero_weight"
        else:
            case["edf"] = [wf[ef < g].sum() / wf.sum() for g in grid]
            case["min"] = ef.min()
            case["mean"] = np.average(ef, weights=wf)
    return case


edf_cases = [
    edf_case("plain", rnd(25)),
    edf_case("ties", rnd(30, decimals=2)),
    edf_case("n1", [0.42]),
    edf_case("nan", np.where(rng.uniform(size=20) < 0.2, np.nan, rnd(20, decimals=3))),
    edf_case("weighted", rnd(15, decimals=2), rng.uniform(0, 2, 15)),
    edf_case("weighted_with_zeros", rnd(10, decimals=2), np.r_[np.zeros(5), rng.uniform(0, 1, 5)]),
    edf_case("weighted_nan", np.r_[rnd(6), [np.nan, np.nan]], rng.uniform(0, 1, 8)),
    edf_case("zero_weight", rnd(5), np.zeros(5)),
    edf_case("zero_weight_after_nan", [0.3, np.nan, 0.2], [0.0, 1.0, 0.0]),
]

# ------------------------------------------------- complexity-normalised weights
def weights_case(name, flops, n_bins, scale):
    f = np.asarray(flops, dtype=float)
    lo, hi = f.min(), f.max()
    edges = np.linspace(lo, hi, n_bins + 1) if scale == "linear" else np.geomspace(lo, hi, n_bins + 1)
    edges[0], edges[-1] = lo, hi
    counts, _ = np.histogram(f, edges)
    case = {"name": name, "flops": f, "n_bins": n_bins, "scale": scale, "edges": edges}
    empty = np.nonzero(counts == 0)[0]
    case["empty_bins"] = empty
    nonempty = np.nonzero(counts)[0]
    # merge rule (documented in normalize.rs): keep the upper edge of every non-empty bin but
    # the last; an empty bin joins the next non-empty bin above, trailing ones the last below.
    merged_edges = np.r_[edges[0], [edges[b + 1] for b in nonempty[:-1]], edges[-1]]
    mcounts, _ = np.histogram(f, merged_edges)
    # bin of each value: [e_i, e_{i+1}), last bin closed (numpy.histogram's convention)
    b = np.clip(np.searchsorted(merged_edges, f, side="right") - 1, 0, len(mcounts) - 1)
    case["merged_edges"] = merged_edges
    case["merged_counts"] = mcounts
    case["merged_bin_of"] = b
    case["merged_weights"] = 1.0 / mcounts[b] / len(mcounts)
    if len(empty) == 0:
        case["weights"] = case["merged_weights"]
    return case


flops_a = rng.lognormal(np.log(400e6), 0.3, 60)
flops_b = np.r_[rng.uniform(100, 200, 10), rng.uniform(400, 500, 5)]  # gap: empty bins in the middle
weights_cases = [
    weights_case("lognormal_linear", flops_a, 5, "linear"),
    weights_case("lognormal_log", flops_a, 4, "log"),
    weights_case("gap_linear", flops_b, 8, "linear"),
    weights_case("single_bin", [1.0, 2.0, 3.0], 1, "linear"),
]

# normalised EDF of two spaces on shared bins, and the weighted KS distance between them
errs_a = rnd(60)
errs_b = rnd(60, 0.25, 0.65)
flops_c = rng.lognormal(np.log(380e6), 0.3, 60)
shared = np.linspace(min(flops_a.min(), flops_c.min()), max(flops_a.max(), flops_c.max()), 4)


def norm_weights(f, edges):
    counts, _ = np.histogram(f, edges)
    assert (counts > 0).all()
    b = np.clip(np.searchsorted(edges, f, side="right") - 1, 0, len(counts) - 1)
    return 1.0 / counts[b] / len(counts)


def weighted_cdf_le(e, w, x):
    return w[e <= x].sum() / w.sum()


wa_, wb_ = norm_weights(flops_a, shared), norm_weights(flops_c, shared)
pts = np.r_[errs_a, errs_b]
normalized = {
    "errors_a": errs_a, "flops_a": flops_a, "errors_b": errs_b, "flops_b": flops_c,
    "n_bins": 3, "weights_a": wa_, "weights_b": wb_,
    "ks_weighted": max(abs(weighted_cdf_le(errs_a, wa_, x) - weighted_cdf_le(errs_b, wb_, x)) for x in pts),
    "edf_a_grid": np.linspace(0.2, 0.6, 9),
    "edf_a": [wa_[errs_a < g].sum() / wa_.sum() for g in np.linspace(0.2, 0.6, 9)],
}

# ---------------------------------------------------------------- KS
def ks_case(name, a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    fa, fb = a[np.isfinite(a)], b[np.isfinite(b)]
    auto = stats.ks_2samp(fa, fb)
    asym = stats.ks_2samp(fa, fb, method="asymp")
    return {"name": name, "a": a, "b": b, "statistic": auto.statistic, "pvalue": auto.pvalue,
            "pvalue_asymp": asym.pvalue, "statistic_asymp": asym.statistic}


ks_cases = [
    ks_case("small_unequal", rnd(7), rnd(9, 0.3, 0.7)),
    ks_case("equal_sizes", rnd(50), rnd(50, 0.25, 0.65)),
    ks_case("ties", rnd(40, decimals=2), rnd(35, 0.22, 0.62, decimals=2)),
    ks_case("n1", [0.3], rnd(5)),
    ks_case("identical", [0.1, 0.2, 0.3], [0.1, 0.2, 0.3]),
    ks_case("disjoint", rnd(12, 0.1, 0.2), rnd(8, 0.3, 0.4)),
    ks_case("medium", rnd(200), rnd(300, 0.21, 0.61)),
    ks_case("nan", np.r_[rnd(20), [np.nan]], np.r_[[np.nan, np.nan], rnd(25, 0.3, 0.7)]),
]
kstwo = []
for n in [1, 2, 5, 10, 50, 140, 141, 500, 2000, 20000, 200000]:
    for x in [0.0005, 0.004, 0.01, 0.03, 0.05, 0.08, 0.1, 0.2, 0.3, 0.45, 0.5, 0.7, 0.95]:
        kstwo.append([n, x, stats.kstwo.sf(x, n)])
kstwobign = [[z, stats.kstwobign.sf(z)] for z in [0.05, 0.2, 0.5, 0.8, 0.99, 1.0, 1.2, 2.0, 3.0, 5.0]]

# ---------------------------------------------------------------- bootstrap
n_boot = 40
b_err = rnd(n_boot, decimals=2)  # ties among errors
b_err[[3, 17]] = np.nan  # two diverged runs
props = {
    "depth": rng.integers(8, 24, n_boot).astype(float),
    "w0": (rng.integers(1, 12, n_boot) * 8).astype(float),
    "wa": np.round(rng.uniform(8, 64, n_boot), 1),
    "wm": np.round(rng.uniform(2, 3, n_boot), 3),
    "g": rng.choice([8.0, 16.0, 24.0, 32.0], n_boot),
    "flops": rng.uniform(300e6, 500e6, n_boot),
}
finite = np.isfinite(b_err)
ef = b_err[finite]
nf = ef.size
k = max(1, int(nf * 0.25))
# Exact winner distribution of one resample of k models drawn with replacement: a model beats
# the rest when it is drawn and nothing better is; tied models share equally.
p_win = np.zeros(n_boot)
for i in np.nonzero(finite)[0]:
    a = np.count_nonzero(ef > b_err[i])
    c = np.count_nonzero(ef == b_err[i])
    p_win[i] = (((a + c) / nf) ** k - (a / nf) ** k) / c
# pycls get_filters itself, with numpy's RNG, many resamples: a Monte-Carlo reference.
idx_f = np.nonzero(finite)[0]
rs = np.random.default_rng(5)
B = 100000
samples = rs.integers(0, nf, size=(B, k))
winners = idx_f[samples[np.arange(B), np.argmin(ef[samples], axis=1)]]
bootstrap = {
    "errors": b_err, "props": props, "sample_size": k, "p_win": p_win,
    "pycls_b100000": {name: np.percentile(v[winners], [2.5, 50, 97.5]) for name, v in props.items()},
}
pct_values = rng.normal(size=23)
percentiles = {"values": pct_values, "q": [0, 2.5, 10, 50, 90, 97.5, 100],
               "expected": np.percentile(pct_values, [0, 2.5, 10, 50, 90, 97.5, 100])}

# ---------------------------------------------------------------- fits
def generate(d, w0, wa, wm, q=8):
    u = np.arange(d) * wa + w0
    s = np.round(np.log(u / w0) / np.log(wm))
    return (np.round(w0 * np.power(wm, s) / q) * q).astype(int)


def e_fit(widths, w0, wa, wm):
    w = np.asarray(widths, float)
    return float(np.mean(np.abs(np.log(generate(len(w), w0, wa, wm) / w))))


efit_cases = []
for (d, w0, wa, wm) in [(13, 24, 36.44, 2.49), (22, 48, 36.97, 2.24), (16, 56, 35.73, 2.28),
                        (25, 88, 26.31, 2.25)]:
    widths = generate(d, w0, wa, wm)
    efit_cases.append({"widths": widths, "w0": w0, "wa": wa, "wm": wm, "e_fit": 0.0})
    efit_cases.append({"widths": widths, "w0": w0 + 8, "wa": wa * 1.3, "wm": wm * 0.9,
                       "e_fit": e_fit(widths, w0 + 8, wa * 1.3, wm * 0.9)})
# an AnyNet-like net that no quantised-linear model reproduces, and a brute-force grid search
# over (w0, wa, wm) that our exact-in-wa search must match or beat
anynet = np.array([32, 32, 64, 64, 64, 128, 128, 128, 128, 200, 256, 256])
best = (np.inf, None)
wm_grid = np.round(np.arange(1.2, 4.0 + 1e-9, 0.01), 2)
wa_grid = np.round(np.arange(0, 256 + 1e-9, 0.1), 1)
lw = np.log(anynet.astype(float))
j = np.arange(len(anynet))
for w0 in range(8, 257, 8):
    u = j[None, :] * wa_grid[:, None] + w0  # (wa, d)
    for wm in wm_grid:
        s = np.round(np.log(u / w0) / np.log(wm))
        pred = np.round(w0 * np.power(wm, s) / 8) * 8
        err = np.mean(np.abs(np.log(pred) - lw), axis=1)
        i = int(np.argmin(err))
        if err[i] < best[0]:
            best = (float(err[i]), (w0, float(wa_grid[i]), float(wm)))
fits = {"efit_cases": efit_cases, "anynet": anynet, "anynet_grid_best": best[0],
        "anynet_grid_params": best[1]}
lin = []
for name, x, y, scale in [
    ("linear", rng.uniform(0, 10, 12), None, "linear"),
    ("log10", np.array([200e6, 400e6, 800e6, 1.6e9, 3.2e9, 6.4e9]), np.array([13, 16, 18, 21, 22, 25.0]), "log10"),
]:
    if y is None:
        y = 2.5 * x - 1 + rng.normal(0, 1, x.size)
    xx = np.log10(x) if scale == "log10" else x
    slope, intercept = np.polyfit(xx, y, 1)
    r2 = 1 - np.sum((y - (slope * xx + intercept)) ** 2) / np.sum((y - y.mean()) ** 2)
    lin.append({"name": name, "x": x, "y": y, "scale": scale, "slope": slope,
                "intercept": intercept, "r_squared": r2})
fits["linear"] = lin

# ---------------------------------------------------------------- random-search efficiency
def brute_with(e, k):
    # every ordered k-tuple of draws with replacement is equally likely
    return float(np.mean([min(t) for t in itertools.product(e, repeat=k)]))


def brute_without(e, k):
    return float(np.mean([min(c) for c in itertools.combinations(e, k)]))


small = np.array([0.31, 0.27, 0.27, 0.35, 0.22, 0.4, 0.29])
search = {
    "errors": np.r_[small, [np.nan]],
    "with": [[k, brute_with(small, k)] for k in range(1, 5)],
    "without": [[k, brute_without(small, k)] for k in range(1, 8)],
}
# a larger sweep by the order-statistic formula, written with scipy's comb
big = np.sort(rnd(120, decimals=3))
n = big.size
def formula_without(k):
    i = np.arange(1, n + 1)
    return float(np.sum(big * special.comb(n - i, k - 1) / special.comb(n, k)))
def formula_with(k):
    i = np.arange(1, n + 1)
    return float(np.sum(big * (((n - i + 1) / n) ** k - ((n - i) / n) ** k)))
search["big_errors"] = big
search["big_with"] = [[k, formula_with(k)] for k in [1, 2, 5, 10, 50, 100, 500]]
search["big_without"] = [[k, formula_without(k)] for k in [1, 2, 5, 10, 50, 100, 120]]

# ---------------------------------------------------------------- rank correlation
def rank_case(name, x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    sp = stats.spearmanr(x, y, nan_policy="omit")
    kt = stats.kendalltau(x, y, nan_policy="omit")
    return {"name": name, "x": x, "y": y, "spearman": float(sp.statistic),
            "spearman_p": float(sp.pvalue), "kendall": float(kt.statistic),
            "kendall_p": float(kt.pvalue)}


x1 = rnd(20)
x2 = rnd(50, decimals=2)
x3 = rnd(40)
rank_cases = [
    rank_case("no_ties_small", x1, x1 + rng.normal(0, 0.05, 20)),  # kendall exact
    rank_case("ties", x2, np.round(x2 + rng.normal(0, 0.05, 50), 2)),  # asymptotic
    rank_case("no_ties_large", x3, x3 + rng.normal(0, 0.1, 40)),  # asymptotic, no ties
    rank_case("negative", [1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 1, 2]),
    rank_case("nan", np.r_[x1[:10], [np.nan]], np.r_[[0.3], x1[1:10] * 2, [0.1]]),
]

out = {
    "generated_with": {"numpy": np.__version__, "scipy": scipy.__version__},
    "edf": edf_cases,
    "weights": weights_cases,
    "normalized": normalized,
    "ks": ks_cases,
    "kstwo": kstwo,
    "kstwobign": kstwobign,
    "bootstrap": bootstrap,
    "percentiles": percentiles,
    "fits": fits,
    "search": search,
    "rank": rank_cases,
}
with open(OUT, "w") as fh:
    json.dump(enc(out), fh, indent=None, separators=(",", ":"))
    fh.write("\n")
print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")
