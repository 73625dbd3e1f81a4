"""How fat is the tail of cost overruns? The tail index of actual ÷ planned cost (notebook 01).

The overrun ratio of a finished project is x = cost_actual ÷ budget_planned (1 = on budget, 2 = twice
the plan; budget drift is x − 1). Its **tail index α** (see `amo_analysis.stats.tails`) says which
averages exist: α ≤ 1, no finite mean (averages and "mean + x %" contingencies mislead); α ≤ 2,
infinite variance (the mean is unstable, a few projects dominate it: plan on P80/P90); α > 2, finite
variance. Two estimates, both on the overruns (ratios > 1) only: Hill's, from the k largest overruns
with k chosen automatically (Kolmogorov–Smirnov, Clauset et al. 2009) and its exact Pareto 95 %
interval, and a generalised Pareto (GPD) fit above the same threshold with a seeded bootstrap
interval. Both are read against Flyvbjerg, Budzier et al. (2022, J. Management Information Systems
39(3)), who found IT cost overruns to follow a power law.

Large portfolios: Hill's estimate from the k largest overruns uses only the k + 1 largest ratios, and
the estimate and the Kolmogorov–Smirnov distance do not change when every ratio is divided by the
same number. Above `MAX_TAIL` overruns, k is therefore searched among the `MAX_TAIL` largest only
(the ratios divided by the next one, so the fits are exact for those k), which keeps the search,
quadratic in the number of overruns, and the GPD bootstrap short at any portfolio size.

Every text here is in the report's language (locale keys `tl_…`); nothing compares language names.
The readings in words, the text, the records and the finding of notebook 01 are in
`report.show_overruns`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from amo_analysis.errors import InputError
from amo_analysis.i18n import translate
from amo_analysis.stats import tails as tail_stats
from amo_analysis.stats.tails import MIN_EXCEEDANCES, TailFit

#: at most this many of the largest overruns are searched for Hill's k (and fitted by the GPD)
MAX_TAIL = 2000
#: GPD bootstrap resamples
BOOTSTRAP = 200

#: language-free names of the four readings of a tail index (`CostTail.regime`)
INFINITE_MEAN = "infinite mean"
INFINITE_VARIANCE = "infinite variance"
FINITE_VARIANCE = "finite variance"
NO_POWER_LAW = "no power-law tail"

#: Headers of `tail_table` beyond report.run_context.CANONICAL_COLUMNS: column → translation key
HEADERS: dict[str, str] = {
    "method": "method",
    "alpha": "tl_alpha",
    "k": "tl_k",
    "threshold": "tl_threshold",
    "n_overruns": "tl_n_overruns",
}


def regime(alpha: float) -> str:
    """Which of the four readings a tail index α (> 0; ∞ = no power-law tail) falls under."""
    if alpha <= 1:
        return INFINITE_MEAN
    if alpha <= 2:
        return INFINITE_VARIANCE
    return NO_POWER_LAW if math.isinf(alpha) else FINITE_VARIANCE


@dataclass(frozen=True)
class CostTail:
    """The tail of actual ÷ planned cost of a portfolio's finished projects. `n`: projects with both
    costs known (and positive); `n_overruns`: those over budget (ratio > 1); `hill`, `gpd`: the two
    fits (`TailFit`, ratio units; None when not estimable); `path`: Hill plot data (α̂ and its 95 %
    interval against k, `stats.tails.hill_plot`; None when not estimable); `searched`: the number of
    largest overruns k was searched among; `why`: the sentence (in the report's language) saying why
    the tail index is not estimated ("" when it is); `gpd_why`: the same for the GPD fit alone."""

    n: int
    n_overruns: int
    hill: TailFit | None
    gpd: TailFit | None
    path: pd.DataFrame | None
    searched: int
    why: str = ""
    gpd_why: str = ""

    @property
    def estimable(self) -> bool:
        return self.hill is not None

    @property
    def regime(self) -> str | None:
        """The reading of Hill's α (`INFINITE_MEAN`, `INFINITE_VARIANCE`, …), None when not estimated."""
        return None if self.hill is None else regime(self.hill.alpha)


def cost_ratios(data: pd.DataFrame) -> np.ndarray:
    """actual ÷ planned cost of the projects with both costs known and positive (ratio units)."""
    if "cost_actual" not in data or "budget_planned" not in data:
        return np.array([], dtype=float)
    actual = pd.to_numeric(data["cost_actual"], errors="coerce").to_numpy(dtype=float)
    planned = pd.to_numeric(data["budget_planned"], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(actual) & np.isfinite(planned) & (actual > 0) & (planned > 0)
    return tail_stats.overrun_ratios(actual[keep], planned[keep])


def _rescaled(fit: TailFit, scale: float, n: int, m: int) -> TailFit:
    """A fit made on ratios divided by `scale`, put back in the portfolio's ratio units and counts."""
    return replace(
        fit, threshold=fit.threshold * scale, n=n, n_overruns=m, scale=None if fit.scale is None else fit.scale * scale
    )


def cost_tail(
    data: pd.DataFrame,
    conf_level: float = 0.95,
    bootstrap: int = BOOTSTRAP,
    seed: int = 0,
    lang: str = "en",
    max_tail: int = MAX_TAIL,
) -> CostTail:
    """Hill and GPD tail index of actual ÷ planned cost on the finished projects (see the module
    docstring), with the Hill plot data. Too few overruns (fewer than `MIN_EXCEEDANCES`) or a tail
    that cannot be fitted give a `CostTail` without fits and the sentence saying why, never an error."""
    ratios = cost_ratios(data)
    n = int(ratios.size)
    over = np.sort(ratios[ratios > 1])[::-1]
    m = int(over.size)
    if m < MIN_EXCEEDANCES:
        why = translate("tl_too_few", lang, m=m, min_k=MIN_EXCEEDANCES)
        return CostTail(n, m, None, None, None, min(m, max_tail), why)
    scale = 1.0
    if m > max_tail:  # exact for k ≤ max_tail: the fits use only the largest ratios, in proportion
        scale = float(over[max_tail])
        over = over[:max_tail] / scale
    try:
        hill = _rescaled(tail_stats.hill_tail(over, conf_level=conf_level), scale, n, m)
        path = tail_stats.hill_plot(over, conf_level=conf_level)
    except InputError as exc:
        why = translate("tl_not_estimated", lang, reason=str(exc))
        return CostTail(n, m, None, None, None, int(over.size), why)
    path = path.assign(threshold=path["threshold"] * scale)
    gpd, gpd_why = None, ""
    try:
        gpd = _rescaled(
            tail_stats.gpd_tail(
                over, threshold=hill.threshold / scale, conf_level=conf_level, bootstrap=bootstrap, seed=seed
            ),
            scale,
            n,
            m,
        )
    except InputError as exc:
        gpd_why = translate("tl_gpd_not_fitted", lang, reason=str(exc))
    return CostTail(n, m, hill, gpd, path, int(over.size), "", gpd_why)


def _finite_or_nan(value: float) -> float:
    return value if math.isfinite(value) else float("nan")


def tail_table(tail: CostTail, lang: str = "en") -> pd.DataFrame:
    """One row per fit (Hill, GPD): method (in `lang`), alpha, ci_low, ci_high (an unbounded end is
    NaN: shown as –), k (overruns in the tail), threshold (ratio above which it was fitted), n (finished
    projects), n_overruns. Empty, with ``attrs["why"]``, when the tail index is not estimated."""
    columns = ["method", "alpha", "ci_low", "ci_high", "k", "threshold", "n", "n_overruns"]
    if not tail.estimable:
        empty = pd.DataFrame(columns=columns)
        empty.attrs["why"] = tail.why
        return empty
    rows = []
    for fit, key in ((tail.hill, "tl_method_hill"), (tail.gpd, "tl_method_gpd")):
        if fit is None:
            continue
        rows.append(
            {
                "method": translate(key, lang),
                "alpha": _finite_or_nan(fit.alpha),
                "ci_low": _finite_or_nan(fit.ci_low),
                "ci_high": _finite_or_nan(fit.ci_high),
                "k": fit.k,
                "threshold": fit.threshold,
                "n": fit.n,
                "n_overruns": fit.n_overruns,
            }
        )
    return pd.DataFrame(rows, columns=columns)
