"""Figures of notebook 07 (organisations): the forest plot of the meta-analysis and the peer positions.

Same theme as `plots` (Okabe–Ito colours, a second channel for print: marker shapes). Labels are the
organisations' public names (a small organisation is never in these figures; peers are "Peer A", …
in a focus edition), so the SVG text holds nothing the report may not name.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Polygon

from amo_analysis.i18n import translate
from amo_analysis.report.plots import OKABE_ITO, percent_axis

FOCUS_COLOUR = OKABE_ITO[3]
OTHER_COLOUR = OKABE_ITO[0]
POOLED_COLOUR = "#3f3f3f"


def _relative(values, reading: str):
    """Outcome units → what the axis shows: exp(x) − 1 for log ratios, as they are for points."""
    values = np.asarray(values, dtype=float)
    return np.expm1(values) if reading == "relative" else values


def forest_plot(
    effects: pd.DataFrame,
    meta: pd.DataFrame,
    pooled: pd.DataFrame,
    readings: dict[str, str],
    outcome_keys: dict[str, str],
    lang: str = "en",
    focus: str | None = None,
):
    """One panel per outcome: each organisation's effect with its 95 % interval (square), the pooled
    random-effects estimate (diamond spanning its interval), its prediction interval (a bar under the
    diamond) and notebook 02's pooled-projects estimate (a circle with its interval). `readings`
    maps each outcome to "relative" or "pp"; `outcome_keys` to the translation key of its name."""
    outcomes = list(readings)
    fig, axes = plt.subplots(
        1, len(outcomes), figsize=(4.2 * len(outcomes), 1.2 + 0.42 * (effects["group"].nunique() + 3))
    )
    axes = np.atleast_1d(axes)
    for ax, outcome in zip(axes, outcomes):
        reading = readings[outcome]
        part = effects[(effects["outcome"] == outcome) & np.isfinite(effects["estimate"].astype(float))]
        groups = list(part["group"])
        y = np.arange(len(groups))[::-1] + 3
        est = _relative(part["estimate"], reading)
        low = _relative(part["ci_low"], reading)
        high = _relative(part["ci_high"], reading)
        for yi, g, e, lo, hi in zip(y, groups, est, low, high):
            colour = FOCUS_COLOUR if g == focus else OTHER_COLOUR
            ax.plot([lo, hi], [yi, yi], color=colour, linewidth=1.4)
            ax.plot([e], [yi], marker="s", color=colour, markersize=6)
        m = meta[meta["outcome"] == outcome]
        labels = list(groups)
        ticks = list(y)
        if not m.empty and isinstance(m.iloc[0]["estimate"], float) and math.isfinite(m.iloc[0]["estimate"]):
            r = m.iloc[0]
            c, lo, hi = _relative([r["estimate"], r["ci_low"], r["ci_high"]], reading)
            ax.add_patch(Polygon([[lo, 2], [c, 2.3], [hi, 2], [c, 1.7]], closed=True, color=POOLED_COLOUR))
            if r["pi_low"] is not None and math.isfinite(r["pi_low"]):
                pl, ph = _relative([r["pi_low"], r["pi_high"]], reading)
                ax.plot([pl, ph], [1.45, 1.45], color=POOLED_COLOUR, linewidth=3, alpha=0.45)
            ticks += [2, 1.45]
            labels += [translate("org_pooled_re", lang), translate("org_prediction", lang)]
        p = pooled[pooled["outcome"] == outcome]
        if not p.empty and math.isfinite(p.iloc[0]["estimate"]):
            r = p.iloc[0]
            c, lo, hi = _relative([r["estimate"], r["ci_low"], r["ci_high"]], reading)
            ax.plot([lo, hi], [0.6, 0.6], color=OKABE_ITO[2], linewidth=1.4)
            ax.plot([c], [0.6], marker="o", color=OKABE_ITO[2], markersize=6)
            ticks.append(0.6)
            labels.append(translate("org_pooled_projects", lang))
        ax.axvline(0, color="#999999", linewidth=0.8, linestyle="--")
        ax.set_yticks(ticks, labels)
        ax.set_ylim(0, (max(y) if len(y) else 3) + 1)
        ax.set_title(translate(outcome_keys[outcome], lang))
        if reading == "relative":
            percent_axis(ax, "x", lang)
            ax.set_xlabel(translate("org_axis_relative", lang))
        else:
            percent_axis(ax, "x", lang)
            ax.set_xlabel(translate("org_axis_points", lang))
    fig.tight_layout()
    return fig


def peer_plot(peers: pd.DataFrame, lang: str = "en", focus: str | None = None, overall: dict | None = None):
    """Dot-and-band: each named organisation's median drift and slip (dot) with its exact 95 %
    interval (band), ordered by the median, the focus organisation highlighted, the whole
    portfolio's median as a dashed line (`overall`: outcome → median)."""
    outcomes = list(dict.fromkeys(peers["outcome"]))
    n = peers["group"].nunique()
    fig, axes = plt.subplots(1, len(outcomes), figsize=(4.6 * len(outcomes), 1.2 + 0.4 * max(n, 2)), squeeze=False)
    for ax, outcome in zip(axes[0], outcomes):
        part = peers[peers["outcome"] == outcome].sort_values("median", ascending=False, kind="stable")
        y = np.arange(len(part))
        for yi, r in zip(y, part.to_dict("records")):
            colour = FOCUS_COLOUR if r["group"] == focus else OTHER_COLOUR
            lo = r["low"] if math.isfinite(r["low"]) else r["median"]
            hi = r["high"] if math.isfinite(r["high"]) else r["median"]
            ax.plot([lo, hi], [yi, yi], color=colour, linewidth=6, alpha=0.3, solid_capstyle="butt")
            ax.plot([r["median"]], [yi], marker="D" if r["group"] == focus else "o", color=colour, markersize=7)
        if overall and outcome in overall and math.isfinite(overall[outcome]):
            ax.axvline(overall[outcome], color=POOLED_COLOUR, linestyle="--", linewidth=1)
        labels = [
            f"{g} ({format_share(p, lang)})" if math.isfinite(p) else str(g)
            for g, p in zip(part["group"], part["percentile"])
        ]
        ax.set_yticks(y, labels)
        ax.set_title(translate(outcome, lang))
        ax.set_xlabel(translate("org_axis_median", lang))
        percent_axis(ax, "x", lang)
    fig.tight_layout()
    return fig


def format_share(fraction: float, lang: str) -> str:
    from amo_analysis.i18n import format_percent

    return translate("org_percentile_short", lang, value=format_percent(fraction, lang))
