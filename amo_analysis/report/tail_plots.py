"""Figures of the tail of cost overruns (notebook 01): the Hill plot.

Same theme as `report.plots` (Okabe–Ito colours, a second channel for grey print); every word from
the locale files (`tl_…` keys).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from amo_analysis.analyses.overruns import CostTail
from amo_analysis.findings import Unavailable
from amo_analysis.i18n import format_number, translate

BLUE, ORANGE, VERMILION = "#0072B2", "#E69F00", "#D55E00"
MAX_DRAWN = 2000  # points of the α̂ curve drawn at most (evenly spaced in log k beyond)


def _drawn_rows(k: np.ndarray) -> np.ndarray:
    """Positions of the Hill plot rows to draw: all of them up to `MAX_DRAWN`, else a log-spaced
    selection (the curve keeps its shape, the figure stays small)."""
    if k.size <= MAX_DRAWN:
        return np.arange(k.size)
    return np.unique(np.geomspace(1, k.size, MAX_DRAWN).astype(int) - 1)


def hill_figure(tail: CostTail, lang: str = "en"):
    """Hill plot of actual ÷ planned cost: α̂ (tail index, no unit) against k (the number of largest
    overruns used), with its 95 % interval as a band, α = 1 and α = 2 as reference lines and the
    automatically chosen k marked; `Unavailable` with the reason when the tail is not estimated."""
    if not tail.estimable:
        return Unavailable(tail.why)
    path, fit = tail.path, tail.hill
    rows = _drawn_rows(path["k"].to_numpy())
    shown = path.iloc[rows]
    k = shown["k"].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(7.2, 4.8))
    ax.fill_between(
        k, shown["ci_low"], shown["ci_high"], color=BLUE, alpha=0.18, linewidth=0, label=translate("tl_hill_band", lang)
    )
    ax.plot(k, shown["alpha"], color=BLUE, linewidth=1.6, label=translate("tl_hill_y", lang))
    ax.axhline(1, color="black", linestyle="--", linewidth=0.9, label=translate("tl_hill_line1", lang))
    ax.axhline(2, color="#555555", linestyle=":", linewidth=1.1, label=translate("tl_hill_line2", lang))
    ax.axvline(fit.k, color=VERMILION, linestyle="-.", linewidth=1.0)
    ax.plot(
        [fit.k],
        [fit.alpha],
        marker="D",
        color=VERMILION,
        markersize=7,
        linestyle="none",
        label=translate("tl_hill_chosen", lang, k=format_number(fit.k, lang), alpha=format_number(fit.alpha, lang, 2)),
    )
    # small k are noisy: keep the y axis on the readable part of the curve (α̂ at the chosen k, the
    # reference lines and the interval there), whatever the first few points do
    top = max(3.0, 2.0 * fit.alpha, fit.ci_high if math.isfinite(fit.ci_high) else 0.0)
    ax.set_ylim(0, top * 1.05)
    ax.set_xlim(path["k"].min(), path["k"].max())
    if path["k"].max() > 200:
        ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(v, lang)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(v, lang, 1)))
    ax.set_xlabel(translate("tl_hill_x", lang))
    ax.set_ylabel(translate("tl_hill_y", lang))
    ax.set_title(translate("tl_hill_title", lang))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
