"""How notebook 01 shows the tail index of cost overruns (`analyses.overruns.cost_tail`): the reading
of each fit in words (`fit_reading`, `tail_reading_text`, `tail_reading`), the fits as fixed-width
text (`tail_text`), the records `tails.cost_ratio.alpha` / `alpha_gpd` (`tail_records`) and the
table's finding (`tail_finding`). α is a tail index (plain number); thresholds are cost ratios
(actual ÷ planned cost). Every text is in the report's language (locale keys `tl_…`).
"""

from __future__ import annotations

import math

from amo_analysis.analyses.overruns import (
    FINITE_VARIANCE,
    HEADERS,
    INFINITE_MEAN,
    INFINITE_VARIANCE,
    NO_POWER_LAW,
    CostTail,
    regime,
    tail_table,
)
from amo_analysis.findings import Finding
from amo_analysis.i18n import format_number, translate
from amo_analysis.stats.tails import TailFit

__all__ = ["fit_reading", "tail_reading_text", "tail_text", "tail_records", "tail_reading", "tail_finding"]


#: translation keys of the reading and of the comparison with the published finding, per regime
_READING_KEYS = {
    INFINITE_MEAN: "tl_reading_infinite_mean",
    INFINITE_VARIANCE: "tl_reading_infinite_variance",
    FINITE_VARIANCE: "tl_reading_finite",
    NO_POWER_LAW: "tl_reading_thin",
}
_COMPARE_KEYS = {
    INFINITE_MEAN: "tl_compare_in_line",
    INFINITE_VARIANCE: "tl_compare_fat",
    FINITE_VARIANCE: "tl_compare_thinner",
    NO_POWER_LAW: "tl_compare_thinner",
}


def _interval(low: float, high: float, lang: str) -> str:
    if math.isfinite(high):
        return translate("tl_interval_closed", lang, low=format_number(low, lang, 2), high=format_number(high, lang, 2))
    return translate("tl_interval_open", lang, low=format_number(low, lang, 2))


def fit_reading(fit: TailFit, lang: str = "en") -> str:
    """Plain words for one fit: what its α means for means and contingencies, whether its interval
    straddles α = 1 or 2, and how it compares with the published finding (in `lang`)."""
    which = regime(fit.alpha)
    text = translate(_READING_KEYS[which], lang, alpha=format_number(fit.alpha, lang, 2))
    interval = _interval(fit.ci_low, fit.ci_high, lang)
    crosses = [c for c in (1, 2) if fit.ci_low <= c < fit.ci_high]
    if crosses:
        marks = f" {translate('tl_and', lang)} ".join(str(c) for c in crosses)
        text += " " + translate("tl_interval_crosses", lang, interval=interval, marks=marks)
    else:
        text += " " + translate("tl_interval", lang, interval=interval)
    return f"{text} {translate(_COMPARE_KEYS[which], lang)} {translate('tl_published', lang)}"


def tail_reading_text(tail: CostTail, lang: str = "en") -> str:
    """The paragraph under the tail table: the reading of Hill's α, then the GPD fit as a check (or
    why it could not be made); when the tail index is not estimated, the one sentence saying why."""
    if not tail.estimable:
        return tail.why
    text = fit_reading(tail.hill, lang)
    if tail.gpd is not None:
        text += " " + translate(
            "tl_gpd_check",
            lang,
            alpha=format_number(tail.gpd.alpha, lang, 2) if math.isfinite(tail.gpd.alpha) else "∞",
            interval=_interval(tail.gpd.ci_low, tail.gpd.ci_high, lang),
        )
    elif tail.gpd_why:
        text += " " + tail.gpd_why
    if tail.searched < tail.n_overruns:
        text += " " + translate(
            "tl_searched", lang, searched=format_number(tail.searched, lang), m=format_number(tail.n_overruns, lang)
        )
    return text


def tail_text(tail: CostTail) -> str:
    """The fits as fixed-width text, 3 decimals (the notebook's regression check)."""
    if not tail.estimable:
        return f"not estimated: n={tail.n} overruns={tail.n_overruns}"
    lines = []
    for fit in (tail.hill, tail.gpd):
        if fit is not None:
            lines.append(
                f"{fit.method:<5} alpha={fit.alpha:.3f} ci=[{fit.ci_low:.3f}, {fit.ci_high:.3f}] "
                f"k={fit.k} threshold={fit.threshold:.3f} n={fit.n} overruns={fit.n_overruns} "
                f"regime={regime(fit.alpha)}"
            )
    return "\n".join(lines)


def tail_records(tail: CostTail, lang: str = "en") -> list[dict]:
    """The records `tails.cost_ratio.alpha` (Hill, on the summary page) and `tails.cost_ratio.alpha_gpd`:
    value α, its interval (an unbounded end is null), n (finished projects), method "Hill" / "GPD",
    k (overruns in the tail), threshold (ratio units), n_overruns, regime (language-free), reading (in
    the report's language); when not estimated, value null and the sentence in `note`."""
    fits = (
        ("tails.cost_ratio.alpha", "Hill", tail.hill, "tl_label_hill", True),
        ("tails.cost_ratio.alpha_gpd", "GPD", tail.gpd, "tl_label_gpd", False),
    )
    records = []
    for name, method, fit, label, headline in fits:
        if fit is None:
            records.append(
                dict(
                    name=name,
                    value=None,
                    n=tail.n,
                    unit="tail index",
                    method=method,
                    label=translate(label, lang),
                    n_overruns=tail.n_overruns,
                    note=tail.why or tail.gpd_why,
                )
            )
            continue
        records.append(
            dict(
                name=name,
                value=fit.alpha,
                ci_low=fit.ci_low,
                ci_high=fit.ci_high,
                n=fit.n,
                unit="tail index",
                method=method,
                label=translate(label, lang),
                headline=headline,
                k=fit.k,
                threshold=fit.threshold,
                k_rule=fit.k_rule,
                searched=tail.searched,
                n_overruns=fit.n_overruns,
                conf_level=fit.conf_level,
                regime=regime(fit.alpha),
                reading=fit_reading(fit, lang),
                note="",
            )
        )
    return records


def tail_reading(tail: CostTail, lang: str = "en") -> str:
    """The reading under the Hill plot (`tail_reading_text`); "" when the tail is not estimated, as
    the table and the plot already say why."""
    return tail_reading_text(tail, lang) if tail.estimable else ""


def tail_finding(tail: CostTail, lang: str = "en") -> Finding:
    """The tail-index table of notebook 01 (saved as `tail_index`) with its records (`tail_records`)."""
    return Finding(tail_table(tail, lang), name="tail_index", labels=HEADERS, records=tail_records(tail, lang))
