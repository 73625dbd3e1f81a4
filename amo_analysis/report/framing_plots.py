"""Figures of notebook 03 (framing and pitfalls): risk ratios of failure as a forest plot, and the
co-occurrence of the five pitfalls as a heat map. Given `Unavailable` (no framing or pitfall data),
each returns it, so the notebook shows the reason instead of a figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from amo_analysis.findings import passes_unavailable
from amo_analysis.i18n import translate


@passes_unavailable
def risk_ratio_forest(table: pd.DataFrame, outcome: str = "failed", model: str = "adjusted + amo", lang: str = "en"):
    """Risk ratios (log axis) with their 95 % intervals, one line per exposure; estimable rows only."""
    part = table[(table["outcome"] == outcome) & (table["model"] == model)].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7, 0.8 + 0.38 * max(len(part), 1)))
    y = np.arange(len(part))
    ok = part["estimate"].notna().to_numpy()
    ax.errorbar(
        part.loc[ok, "estimate"],
        y[ok],
        xerr=[part.loc[ok, "estimate"] - part.loc[ok, "ci_low"], part.loc[ok, "ci_high"] - part.loc[ok, "estimate"]],
        fmt="s",
        color="#0072B2",
        ecolor="black",
        capsize=3,
    )
    for i in y[~ok]:
        ax.text(1, i, translate("framing_not_estimable", lang), ha="center", va="center", fontsize=8, color="grey")
    ax.axvline(1, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(y, part["label"].astype(str))
    ax.invert_yaxis()
    ax.set_xlabel(translate("framing_forest_axis", lang, outcome=translate(outcome, lang)))
    fig.tight_layout()
    return fig


@passes_unavailable
def cooccurrence_heatmap(matrix: pd.DataFrame, lang: str = "en"):
    """Heat map of the pitfall co-occurrence shares (diagonal = prevalence)."""
    fig, ax = plt.subplots(figsize=(6.5, 5.2))
    sns.heatmap(
        matrix.astype(float),
        annot=True,
        fmt=".0%",
        cmap="Blues",
        vmin=0,
        vmax=1,
        ax=ax,
        cbar_kws={"label": translate("framing_cooccurrence_share", lang)},
    )
    ax.set_title(translate("framing_cooccurrence_title", lang))
    fig.tight_layout()
    return fig
