"""How fat is the tail of cost overruns? Tail index of actual ÷ planned cost.

The overrun ratio is x = actual ÷ planned cost (1 = on budget, 2 = double). Above some threshold u a
power-law (Pareto) tail has P(X > x | X > u) = (x / u)^(−α): the **tail index α** says which averages
exist. The mean of X exists only when α > 1 and its variance only when α > 2, so

* α ≤ 1: the mean overrun is not even defined (infinite): averages and "mean +x %" contingencies
  mislead — the next project can exceed any plan;
* 1 < α ≤ 2: the mean exists but the variance is infinite: the sample mean is unstable and a few
  projects dominate it;
* α > 2: finite variance; averages are usable, with care at the largest overruns.

Flyvbjerg, Budzier, Lee, Keil, Lunn & Bester (2022), "The Empirical Reality of IT Project Cost
Overruns: Discovering A Power-Law Distribution", Journal of Management Information Systems 39(3),
found on 5,392 IT projects that cost overruns follow a power law — many small overruns and a fat tail
of extreme ones; a follow-up by Flyvbjerg and colleagues (Project Management Journal 2025, doi
10.1177/87569728251340590) places IT as the only one of 23 project types with a Pareto tail α ≤ 1.

Two estimators, both on the overruns (ratios > 1) only:

* **Hill** (Hill 1975): with X_(1) ≥ X_(2) ≥ … the overruns in decreasing order and k the number of
  upper order statistics used, α̂ = k / Σ_{i≤k} ln(X_(i) / X_(k+1)) (threshold X_(k+1); with k = all
  overruns the threshold is the plan itself, 1). Standard error α̂/√k. The interval is exact for a
  Pareto tail: 2αS ~ χ²(2k) with S the sum of log-ratios, so
  α ∈ α̂·[χ²_{2k}(a/2), χ²_{2k}(1 − a/2)] / (2k).
  Automatic k (Clauset, Shalizi & Newman 2009): the k ≥ `min_k` whose fitted Pareto tail is closest,
  in Kolmogorov–Smirnov distance, to the empirical tail above X_(k+1).
* **Generalised Pareto** (Pickands 1975; Balkema & de Haan 1974): the exceedances x − u over a high
  threshold u follow a GPD with shape ξ and scale σ (`scipy.stats.genpareto` with location 0);
  maximum likelihood through the profile likelihood in θ = ξ/σ (Grimshaw 1993); α = 1/ξ (ξ ≤ 0: no
  power-law tail, α = ∞); interval from a seeded nonparametric bootstrap of the exceedances
  (percentile interval of ξ, mapped to α).

Nothing here reads files or knows a language; impossible inputs raise InputError (one sentence).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats as st
from scipy.optimize import minimize_scalar

from amo_analysis.errors import InputError
from amo_analysis.results_display import ResultDisplay, number

__all__ = [
    "TailFit",
    "overrun_ratios",
    "hill_tail",
    "hill_plot",
    "gpd_tail",
    "tail_reading",
    "PUBLISHED_FINDING",
    "MIN_EXCEEDANCES",
]

#: fewer exceedances than this and a tail index is noise
MIN_EXCEEDANCES = 10
PUBLISHED_FINDING = (
    "Flyvbjerg, Budzier et al. (2022, J. Management Information Systems 39(3)) found on 5,392 IT projects "
    "that cost overruns follow a power law with a fat tail of extreme overruns; a 2025 follow-up "
    "(Project Management Journal) puts IT's Pareto tail index at α ≤ 1, infinite mean."
)


@dataclass(frozen=True, repr=False)
class TailFit(ResultDisplay):
    """A tail index of overrun ratios (actual ÷ planned cost). `alpha`: tail index α = 1/ξ with
    (1 − level) interval [`ci_low`, `ci_high`] (∞ when the fit finds no power-law tail); `xi` = 1/α;
    `se`: standard error of α (Hill: α/√k; GPD: bootstrap SD of ξ by the delta method); `k`: number
    of overruns in the tail (exceedances); `threshold`: the ratio above which the tail was fitted;
    `n`: ratios given; `n_overruns`: ratios > 1; `scale`: GPD scale σ (ratio units; None for Hill);
    `k_rule`: "given", "automatic (KS)"; `reading`: plain words."""

    method: str
    alpha: float
    ci_low: float
    ci_high: float
    xi: float
    se: float
    k: int
    threshold: float
    n: int
    n_overruns: int
    conf_level: float
    k_rule: str
    scale: float | None
    reading: str

    def _display_title(self) -> str:
        return f"Tail index of overrun ratios ({self.method})"

    def _display_rows(self) -> list[tuple[str, str]]:
        return [
            (
                "Tail index α",
                f"{number(self.alpha)} [{number(self.ci_low)}, {number(self.ci_high)}] ({self.conf_level:.0%})",
            ),
            ("ξ = 1/α", number(self.xi)),
            ("Std. error of α", number(self.se)),
            ("Tail (k)", f"{self.k} exceedances above ratio {number(self.threshold)} ({self.k_rule})"),
            ("Ratios", f"{self.n} given, {self.n_overruns} overruns (> 1)"),
            ("GPD scale σ", number(self.scale)),
            ("Reading", self.reading),
        ]

    def _repr_rows(self) -> list[tuple[str, str]]:
        return self._display_rows()[:1] + [("k", str(self.k)), ("n", str(self.n))]

    def summary_frame(self) -> pd.DataFrame:
        """One row: method, alpha, ci_low, ci_high, xi, se, k, threshold, n, n_overruns, conf_level,
        k_rule, scale (NaN for Hill), reading."""
        row = {name: getattr(self, name) for name in self.__dataclass_fields__}
        row["scale"] = float("nan") if self.scale is None else self.scale
        return pd.DataFrame([row])


def overrun_ratios(actual, planned) -> np.ndarray:
    """actual ÷ planned cost per project (pairs with a missing value are left out). Planned and actual
    costs must be positive."""
    a = np.asarray(actual, dtype=float)
    p = np.asarray(planned, dtype=float)
    if a.shape != p.shape:
        raise InputError(f"actual ({a.size} values) and planned ({p.size} values) must be aligned.")
    keep = ~(np.isnan(a) | np.isnan(p))
    a, p = a[keep], p[keep]
    bad = np.flatnonzero(~(np.isfinite(a) & np.isfinite(p) & (a > 0) & (p > 0)))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"Project {i + 1} has actual {a[i]:g} and planned {p[i]:g}: costs must be positive numbers.")
    return a / p


def _overruns(ratios) -> tuple[np.ndarray, int]:
    """The overruns (ratios > 1) sorted in decreasing order, and the number of ratios given."""
    x = np.asarray(ratios, dtype=float).ravel()
    x = x[~np.isnan(x)]
    bad = np.flatnonzero(~(np.isfinite(x) & (x > 0)))
    if bad.size:
        raise InputError(f"Ratio {x[bad[0]]:g} is not a positive number: actual ÷ planned cost must be positive.")
    if x.size == 0:
        raise InputError("There are no overrun ratios to analyse.")
    over = np.sort(x[x > 1])[::-1]
    if over.size == 0:
        raise InputError(
            "No project overran its plan (all actual ÷ planned ratios are ≤ 1): there is no overrun tail to fit."
        )
    return over, int(x.size)


def _hill_all(over: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For k = 1 … m: α̂_k, the sum of log-ratios S_k and the threshold X_(k+1) (1 at k = m)."""
    m = over.size
    logs = np.log(over)
    thresholds = np.append(over[1:], 1.0)
    k = np.arange(1, m + 1)
    S = np.cumsum(logs) - k * np.log(thresholds)
    with np.errstate(divide="ignore"):
        alpha = np.where(S > 0, k / S, np.inf)
    return alpha, S, thresholds


def _ks(over: np.ndarray, k: int, u: float, alpha: float) -> float:
    tail = np.sort(over[:k])
    F = 1 - (tail / u) ** (-alpha)
    i = np.arange(1, k + 1)
    return float(max(np.max(i / k - F), np.max(F - (i - 1) / k)))


def _choose_k(over: np.ndarray, min_k: int) -> int:
    alpha, _, thr = _hill_all(over)
    best, best_d = over.size, math.inf
    for k in range(min_k, over.size + 1):
        if not math.isfinite(alpha[k - 1]):
            continue
        dist = _ks(over, k, thr[k - 1], alpha[k - 1])
        if dist < best_d - 1e-12:
            best, best_d = k, dist
    return best


def _too_few(m: int, min_k: int) -> InputError:
    return InputError(
        f"Only {m} projects overran their plan: at least {min_k} overruns are needed to estimate the tail of overruns."
    )


def _level(conf_level: float) -> float:
    if not 0 < conf_level < 1:
        raise InputError(f"conf_level must be between 0 and 1; got {conf_level}.")
    return float(conf_level)


def hill_tail(ratios, k: int | None = None, conf_level: float = 0.95, min_k: int = MIN_EXCEEDANCES) -> TailFit:
    """Hill estimate of the tail index α of overrun ratios (actual ÷ planned cost) from the k largest
    overruns (automatic k when None; see the module docstring), with its standard error α/√k and the
    exact Pareto (χ²) interval."""
    level = _level(conf_level)
    over, n = _overruns(ratios)
    m = over.size
    if m < min_k:
        raise _too_few(m, min_k)
    if k is None:
        k, rule = _choose_k(over, min_k), "automatic (KS)"
    else:
        if int(k) != k or not min_k <= k <= m:
            raise InputError(f"k must be a whole number from {min_k} to {m} (the number of overruns); got {k}.")
        k, rule = int(k), "given"
    alpha, S, thr = _hill_all(over)
    a = float(alpha[k - 1])
    if not math.isfinite(a):
        raise InputError(f"The {k} largest overruns are all equal: the tail index cannot be estimated.")
    q = (1 - level) / 2
    lo = float(st.chi2.ppf(q, 2 * k) / (2 * S[k - 1]))
    hi = float(st.chi2.ppf(1 - q, 2 * k) / (2 * S[k - 1]))
    return TailFit(
        "hill",
        a,
        lo,
        hi,
        1 / a,
        a / math.sqrt(k),
        k,
        float(thr[k - 1]),
        n,
        m,
        level,
        rule,
        None,
        tail_reading(a, lo, hi),
    )


def hill_plot(ratios, conf_level: float = 0.95, k_min: int = 2) -> pd.DataFrame:
    """Data for a Hill plot: α̂ against k for k = k_min … number of overruns. Columns k, threshold
    (X_(k+1), non-increasing in k), alpha, se (α/√k), ci_low, ci_high (exact Pareto interval). A flat
    stretch of α̂ over a range of k is the usual sign of a power-law tail; small k are noisy."""
    level = _level(conf_level)
    over, _ = _overruns(ratios)
    if over.size < max(k_min, 2):
        raise _too_few(over.size, max(k_min, 2))
    alpha, S, thr = _hill_all(over)
    k = np.arange(1, over.size + 1)
    q = (1 - level) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        table = pd.DataFrame(
            {
                "k": k,
                "threshold": thr,
                "alpha": alpha,
                "se": alpha / np.sqrt(k),
                "ci_low": st.chi2.ppf(q, 2 * k) / (2 * S),
                "ci_high": st.chi2.ppf(1 - q, 2 * k) / (2 * S),
            }
        )
    return table[table["k"] >= k_min].reset_index(drop=True)


def _gpd_negll(theta, y: np.ndarray) -> np.ndarray:
    """Profile negative log-likelihood of the GPD in θ = ξ/σ (Grimshaw 1993): for fixed θ the MLE of ξ
    is mean(log(1 + θy)), leaving −ℓ(θ) = m·log(ξ/θ) + Σ log(1 + θy) + m. θ = 0 is the exponential
    limit; ξ < −1 (where the likelihood is unbounded) is excluded."""
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    m = y.size
    with np.errstate(divide="ignore", invalid="ignore"):
        S = np.log1p(np.outer(theta, y)).sum(axis=1)
        xi = S / m
        ll = -m * np.log(xi / theta) - S - m
    expo = np.abs(theta) * y.mean() < 1e-10
    ll = np.where(expo, -m * np.log(y.mean()) - m, ll)
    return -np.where(np.isfinite(ll) & ((xi >= -1) | expo), ll, -np.inf)


def _fit_gpd(y: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood (ξ, σ) of exceedances y > 0 (location 0): a grid over θ, then Brent's method
    between the best grid point's neighbours. Same optimum as `scipy.stats.genpareto.fit(y, floc=0)`
    (the tests check the log-likelihoods) at a fraction of the time, which the bootstrap needs."""
    ybar, ymax = float(y.mean()), float(y.max())
    negative = -np.geomspace((1 - 1e-9) / ymax, 1e-8 / ybar, 40)  # θ > −1/max(y): 1 + θy > 0
    grid = np.concatenate([negative, [0.0], np.geomspace(1e-8, 1e8, 60) / ybar])
    values = _gpd_negll(grid, y)
    i = int(np.argmin(values))
    best_t, best_v = float(grid[i]), float(values[i])
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    found = minimize_scalar(
        lambda th: float(_gpd_negll(th, y)[0]),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-12 * max(abs(lo), abs(hi))},
    )
    if found.fun < best_v:
        best_t = float(found.x)
    if abs(best_t) * ybar < 1e-10:
        return 0.0, ybar
    xi = float(np.mean(np.log1p(best_t * y)))
    return xi, xi / best_t


def gpd_tail(
    ratios,
    threshold: float | None = None,
    conf_level: float = 0.95,
    bootstrap: int = 200,
    seed: int = 0,
    min_exceedances: int = MIN_EXCEEDANCES,
) -> TailFit:
    """Maximum-likelihood generalised Pareto fit of the exceedances (ratio − threshold) over a high
    threshold (ratio units; default: the threshold chosen by the automatic Hill rule), α = 1/ξ, with a
    seeded bootstrap (`bootstrap` resamples, ≥ 50) percentile interval."""
    level = _level(conf_level)
    if int(bootstrap) != bootstrap or bootstrap < 50:
        raise InputError(f"bootstrap needs at least 50 resamples; got {bootstrap}.")
    over, n = _overruns(ratios)
    m = over.size
    if threshold is None:
        if m < min_exceedances:
            raise _too_few(m, min_exceedances)
        k = _choose_k(over, min_exceedances)
        u, rule = (float(over[k]) if k < m else 1.0), "automatic (KS)"
    else:
        u = float(threshold)
        if not (math.isfinite(u) and u >= 1):
            raise InputError(f"The threshold is an overrun ratio and must be at least 1; got {threshold}.")
        rule = "given"
    exceed = over[over > u] - u
    if exceed.size < min_exceedances:
        raise InputError(
            f"Only {exceed.size} ratios exceed the threshold {u:g}: at least {min_exceedances} "
            f"are needed to fit a tail."
        )
    xi, scale = _fit_gpd(exceed)
    rng = np.random.default_rng(seed)
    boot = np.array([_fit_gpd(rng.choice(exceed, exceed.size, replace=True))[0] for _ in range(int(bootstrap))])
    q = (1 - level) / 2
    xi_lo, xi_hi = np.quantile(boot, [q, 1 - q])
    alpha = 1 / xi if xi > 0 else math.inf
    ci_low = 1 / xi_hi if xi_hi > 0 else math.inf
    ci_high = 1 / xi_lo if xi_lo > 0 else math.inf
    se = float(np.std(boot, ddof=1) / xi**2) if xi > 0 else math.inf
    return TailFit(
        "gpd",
        float(alpha),
        float(ci_low),
        float(ci_high),
        xi,
        se,
        int(exceed.size),
        u,
        n,
        m,
        level,
        rule,
        scale,
        tail_reading(alpha, ci_low, ci_high),
    )


def tail_reading(alpha: float, ci_low: float | None = None, ci_high: float | None = None) -> str:
    """Plain words for a tail index α (and its interval, when given), compared with the published
    finding for IT projects."""
    if not alpha > 0:
        raise InputError(f"A tail index must be positive; got {alpha}.")
    if alpha <= 1:
        text = (
            f"Tail index α ≈ {alpha:.2f} ≤ 1: the mean overrun is not even defined (infinite), so averages "
            f"and 'mean +x %' contingencies mislead — the next project can exceed any reserve."
        )
    elif alpha <= 2:
        text = (
            f"Tail index α ≈ {alpha:.2f} ≤ 2: the variance of overruns is infinite, so the sample mean is "
            f"unstable and a few projects dominate it."
        )
    elif math.isinf(alpha):
        text = "No power-law tail: overruns beyond the threshold are bounded or thin-tailed, and averages are usable."
    else:
        text = (
            f"Tail index α ≈ {alpha:.2f} > 2: the variance is finite, so averages are usable, though the "
            f"largest overruns still deserve a separate look."
        )
    if ci_low is not None and ci_high is not None:
        crosses = [c for c in (1, 2) if ci_low <= c < ci_high]
        interval = f"[{ci_low:.2f}, {ci_high:.2f}]" if math.isfinite(ci_high) else f"[{ci_low:.2f}, ∞)"
        if crosses:
            marks = " and ".join(str(c) for c in crosses)
            text += (
                f" The interval {interval} includes α = {marks}, so the data cannot say on which side the tail lies."
            )
        else:
            text += f" Interval {interval}."
    if alpha <= 1:
        compare = "This is in line with the published finding"
    elif alpha <= 2:
        compare = "This is fat-tailed like the published finding, though less extreme than α ≤ 1"
    else:
        compare = "This tail is thinner than the published finding"
    return f"{text} {compare}: {PUBLISHED_FINDING}"
