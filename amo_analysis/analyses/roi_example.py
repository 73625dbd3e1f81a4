"""The published ROI example decoded, and each assumption it implies checked against the portfolio.

The consultancy's example ("75 000 € project: 95 000 € without AMO, 82 500 € with; 12 500 € saved;
1 € of AMO prevents 1.7 € of drift", claim `roi_example` of the claims register) allows two consistent
readings: the stated 82 500 includes the fee ("net") or excludes it ("gross").
`decode_published_example` gives the assumptions each reading implies (fee, baseline and residual
drift, drift cut, saving and drift prevented per unit of fee), `published_figures` recomputes the stated
numbers from a set of assumptions, and `example_vs_portfolio` sets each implied assumption beside what
the portfolio says (raw means with bootstrap intervals, `drift_cut_cis`; the drift prevented per unit
of fee from `analyses.roi.simulate_roi`), with a verdict per reading.

Money in the cost unit (EUR for the example); drifts and shares as fractions (0.10 = 10 %); "pp" =
percentage points, a difference of two fractions. The tables in the report's language are in
`report.show_roi`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from amo_analysis.analyses.roi import DEFAULT_FEE_SHARE, RoiResult
from amo_analysis.findings import Unavailable
from amo_analysis.stats import claims as claims_mod
from amo_analysis.stats import scale
from amo_analysis.stats.intervals import mean_t_ci

N_RESAMPLES = 4999
READINGS = ("net", "gross")  # the stated 82 500 includes the fee / excludes it
#: the example's own numbers, from the claims register (claim "roi_example", table `example`)
_EXAMPLE = claims_mod.registered("roi_example").example


@dataclass(frozen=True)
class PublishedExample:
    """The consultancy's example, in its own numbers (EUR; from the claims register)."""

    budget: float = _EXAMPLE["budget"]
    total_without: float = _EXAMPLE["total_without"]
    total_with: float = _EXAMPLE["total_with"]
    saving: float = _EXAMPLE["saving"]
    per_euro: float = _EXAMPLE["per_euro"]


def published_figures(
    budget: float, fee: float, baseline_drift: float, residual_drift: float, reading: str
) -> dict[str, float]:
    """The figures the article states, computed forward from a set of assumptions under `reading`.

    `budget` and `fee` in money; drifts as fractions (final cost ÷ budget − 1, fee excluded).
    "net": the stated cost with the practice includes the fee; "gross": it excludes it. In both the
    article computes saved = without − with and per_euro = saved / fee; only what they mean differs.
    Returns total_without, total_with (as stated), saving (as stated) and per_euro (ratio).
    """
    if reading not in READINGS:
        raise ValueError(f"unknown reading {reading!r}: one of {', '.join(READINGS)}")
    total_without = budget * (1 + baseline_drift)
    cost_with = budget * (1 + residual_drift)
    stated_with = cost_with + fee if reading == "net" else cost_with
    saved = total_without - stated_with
    return {"total_without": total_without, "total_with": stated_with, "saving": saved, "per_euro": saved / fee}


def _implied(example: PublishedExample, fee_share: float, reading: str) -> dict[str, float]:
    fee = fee_share * example.budget
    cost_with = example.total_with - fee if reading == "net" else example.total_with
    baseline = example.total_without / example.budget - 1
    residual = cost_with / example.budget - 1
    prevented = example.total_without - cost_with
    return {
        "fee": fee,
        "fee share of the budget": fee_share,
        "total cost without the practice": example.total_without,
        "cost with the practice, fee excluded": cost_with,
        "total cost with the practice, fee included": cost_with + fee,
        "baseline drift without the practice": baseline,
        "residual drift with the practice": residual,
        "drift cut, in points": baseline - residual,
        "relative drift cut": 1 - residual / baseline if baseline else float("nan"),
        "gross drift prevented": prevented,
        "net saving": prevented - fee,
        "gross drift prevented per unit of fee": prevented / fee,
        "net saving per unit of fee": (prevented - fee) / fee,
    }


DECODED_UNITS = {
    "fee": "cost",
    "fee share of the budget": "fraction",
    "total cost without the practice": "cost",
    "cost with the practice, fee excluded": "cost",
    "total cost with the practice, fee included": "cost",
    "baseline drift without the practice": "fraction",
    "residual drift with the practice": "fraction",
    "drift cut, in points": "pp (as a fraction)",
    "relative drift cut": "fraction",
    "gross drift prevented": "cost",
    "net saving": "cost",
    "gross drift prevented per unit of fee": "ratio",
    "net saving per unit of fee": "ratio",
}


def decode_published_example(
    example: PublishedExample = PublishedExample(), fee_share: float = DEFAULT_FEE_SHARE
) -> pd.DataFrame:
    """The assumptions the published example implies under each of its two consistent readings,
    side by side (columns `net_reading` and `gross_reading`).

    95 000 − 82 500 = 12 500 and 12 500 ÷ 7 500 = 1.67 ("1.7") hold under both; the fee is pinned at
    12 500 ÷ 1.7 ≈ 7 350, i.e. 10 % of the budget (`fee_share`, 7 500) to the stated precision.
    - net: 82 500 includes the fee → cost with = 75 000, residual drift 0 %, a 26.7-pp (100 %) drift
      cut; 12 500 is the net saving and 1.67 the net saving per euro (gross drift prevented: 2.67/€);
    - gross: 82 500 excludes the fee → residual drift 10 %, a 16.7-pp (62.5 %) drift cut; 12 500 is the
      drift prevented and 1.67 the drift prevented per euro, the sentence taken literally (net saving:
      5 000, 0.67/€).
    Money in the cost unit (EUR); drifts and shares as fractions; "drift cut, in points" is the
    difference of two fractions (0.167 = 16.7 pp). `published_figures` recomputes the stated numbers
    from either column.
    """
    implied = {reading: _implied(example, fee_share, reading) for reading in READINGS}
    table = pd.DataFrame(
        {
            "quantity": list(DECODED_UNITS),
            "net_reading": [implied["net"][q] for q in DECODED_UNITS],
            "gross_reading": [implied["gross"][q] for q in DECODED_UNITS],
            "unit": list(DECODED_UNITS.values()),
        }
    )
    return table


def _mean_ci(values: pd.Series, seed: int) -> tuple[float, float, float]:
    from scipy import stats

    x = values.dropna().to_numpy(dtype=float)
    if len(x) < 3:
        return float(np.mean(x)) if len(x) else float("nan"), float("nan"), float("nan")
    if len(x) > scale.ANALYTIC_N:  # the percentile interval converges to the t interval
        return (float(x.mean()), *mean_t_ci(x))
    ci = stats.bootstrap(
        (x,), np.mean, n_resamples=N_RESAMPLES, method="percentile", random_state=np.random.default_rng(seed)
    ).confidence_interval
    return float(x.mean()), float(ci.low), float(ci.high)


def _resampled_means(x: np.ndarray, rng: np.random.Generator, n_resamples: int) -> np.ndarray:
    chunk = max(1, 2_000_000 // len(x))
    return np.concatenate(
        [
            x[rng.integers(0, len(x), (min(chunk, n_resamples - start), len(x)))].mean(axis=1)
            for start in range(0, n_resamples, chunk)
        ]
    )


def drift_cut_cis(without: pd.Series, with_: pd.Series, seed: int) -> dict[str, tuple[float, float, float]]:
    """The raw drift cut between two groups of projects, in points and in relative terms, each as
    (estimate, ci_low, ci_high).

    points = mean drift without − mean drift with (difference of fractions: 0.05 = 5 pp); relative =
    1 − mean with ÷ mean without (a fraction). 95 % percentile intervals from 4 999 resamples of each
    group (seeded); Welch / delta-method intervals above `scale.ANALYTIC_N` projects in a group. The
    relative cut has no interval (NaN) when the baseline's interval reaches 0 (a ratio to ~0 is
    meaningless) or a group has fewer than 3 projects.
    """
    from scipy import stats

    x0 = without.dropna().to_numpy(dtype=float)
    x1 = with_.dropna().to_numpy(dtype=float)
    nan3 = (float("nan"),) * 3
    if len(x0) < 3 or len(x1) < 3:
        pp = float(x0.mean() - x1.mean()) if len(x0) and len(x1) else float("nan")
        return {"points": (pp, float("nan"), float("nan")), "relative": nan3}
    m0, m1 = float(x0.mean()), float(x1.mean())
    pp, rel = m0 - m1, (1 - m1 / m0) if m0 else float("nan")
    if max(len(x0), len(x1)) > scale.ANALYTIC_N:
        v0, v1 = x0.var(ddof=1) / len(x0), x1.var(ddof=1) / len(x1)
        dof = (v0 + v1) ** 2 / (v0**2 / (len(x0) - 1) + v1**2 / (len(x1) - 1))
        half = stats.t.ppf(0.975, dof) * np.sqrt(v0 + v1)
        points = (pp, pp - half, pp + half)
        baseline_low = m0 - stats.t.ppf(0.975, len(x0) - 1) * np.sqrt(v0)
        if baseline_low <= 0:
            return {"points": points, "relative": (rel, float("nan"), float("nan"))}
        se = abs(m1 / m0) * np.sqrt(v1 / m1**2 + v0 / m0**2) if m1 else np.sqrt(v1) / abs(m0)
        z = stats.norm.ppf(0.975)
        return {"points": points, "relative": (rel, rel - z * se, rel + z * se)}
    rng = np.random.default_rng(seed)
    b0, b1 = _resampled_means(x0, rng, N_RESAMPLES), _resampled_means(x1, rng, N_RESAMPLES)
    points = (pp, *(float(v) for v in np.quantile(b0 - b1, [0.025, 0.975])))
    if np.quantile(b0, 0.025) <= 0:
        return {"points": points, "relative": (rel, float("nan"), float("nan"))}
    return {"points": points, "relative": (rel, *(float(v) for v in np.quantile(1 - b1 / b0, [0.025, 0.975])))}


def example_vs_portfolio(
    data: pd.DataFrame,
    result: RoiResult | Unavailable | None,
    seed: int = 0,
    example: PublishedExample = PublishedExample(),
) -> pd.DataFrame:
    """Each assumption the published example implies, under each reading, beside what this portfolio
    says, with a verdict per reading (`claims.consistency`: consistent / contradicted / inconclusive).

    Fee share ↔ the portfolio's median fee share (exact order-statistic CI); baseline drift ↔ mean
    budget drift of projects without the practice; residual drift ↔ mean drift of projects with it;
    drift cut in points and relative ↔ the difference and ratio of these two means (`drift_cut_cis`);
    these are raw (unadjusted) means with bootstrap 95 % CIs, so only indicative. Drift prevented and
    net saving per unit of fee ↔ the simulation's (adjusted) expectations at its own fee, with their
    interval over the bootstrap refits. Fractions, "pp (as a fraction)" and ratios as in
    `decode_published_example`; `n` = projects behind the estimate.
    """
    from amo_analysis.stats.claims import consistency
    from amo_analysis.stats.intervals import quantile_ci

    decoded = decode_published_example(example).set_index("quantity")
    amo = data["amo"].astype(bool)
    drift = data["budget_drift"]
    rows = []
    if "amo_cost" in data:
        shares = (data["amo_cost"] / data["budget_planned"])[amo].dropna()
        if len(shares):
            rows.append(("fee share of the budget", *quantile_ci(shares, 0.5), int(len(shares))))
    n_without, n_with = int(drift[~amo].notna().sum()), int(drift[amo].notna().sum())
    rows.append(("baseline drift without the practice", *_mean_ci(drift[~amo], seed), n_without))
    rows.append(("residual drift with the practice", *_mean_ci(drift[amo], seed + 1), n_with))
    cuts = drift_cut_cis(drift[~amo], drift[amo], seed + 2)
    rows.append(("drift cut, in points", *cuts["points"], n_without + n_with))
    rows.append(("relative drift cut", *cuts["relative"], n_without + n_with))
    if result:  # None or Unavailable when the portfolio could not support the simulation
        per_euro = result.summary_frame().set_index("name").loc["prevented_per_euro"]
        gross = (per_euro["value"], per_euro["ci_low"], per_euro["ci_high"])
        rows.append(("gross drift prevented per unit of fee", *gross, result.n_projects))
        rows.append(("net saving per unit of fee", *(v - 1 for v in gross), result.n_projects))
    table = pd.DataFrame(rows, columns=["assumption", "estimate", "ci_low", "ci_high", "n"])
    for reading in READINGS:
        implied = decoded.loc[table["assumption"], f"{reading}_reading"].to_numpy()
        table[f"implied_{reading}"] = implied
        table[f"verdict_{reading}"] = [consistency(r.ci_low, r.ci_high, v) for r, v in zip(table.itertuples(), implied)]
    table["unit"] = [DECODED_UNITS[a] for a in table["assumption"]]
    return table[
        [
            "assumption",
            "implied_net",
            "verdict_net",
            "implied_gross",
            "verdict_gross",
            "estimate",
            "ci_low",
            "ci_high",
            "unit",
            "n",
        ]
    ]
