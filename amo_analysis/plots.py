"""Figures: one seaborn theme, readable in black and white and by colour-blind readers.

Groups are told apart by colour (Okabe–Ito palette) and by a second channel (marker or hatch), so
a grey printout still works. Large portfolios are sampled for point layers (at most
`MAX_POINTS`, seeded) so a figure never grows with the portfolio.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg") if matplotlib.get_backend().lower() in ("", "agg") else None
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from .i18n import format_percent, translate  # noqa: E402

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
GROUP_MARKERS = ["o", "s"]
GROUP_HATCHES = ["", "//"]
MAX_POINTS = 2000


def apply_theme() -> None:
    """The suite's one theme (call once per notebook; idempotent)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=OKABE_ITO,
                  rc={"figure.dpi": 100, "savefig.dpi": 150, "axes.titleweight": "bold",
                      "svg.fonttype": "none", "figure.autolayout": False})


def percent_axis(ax, axis: str = "y", lang: str = "en") -> None:
    """Show a fraction axis as percentages in the report's language."""
    formatter = FuncFormatter(lambda v, _pos: format_percent(v, lang))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def _sample(data: pd.DataFrame, seed: int) -> pd.DataFrame:
    return data if len(data) <= MAX_POINTS else data.sample(MAX_POINTS, random_state=seed)


def outcome_distributions(data: pd.DataFrame, outcomes, group: pd.Series, lang: str = "en",
                          seed: int = 0):
    """One panel per outcome: box plot per group with the projects as points.

    Drift and slip are fat-tailed: the y axis is symmetric-log so the bulk and the tail both show.
    """
    outcomes = [o for o in outcomes if o in data and data[o].notna().any()]
    fig, axes = plt.subplots(1, max(len(outcomes), 1), figsize=(4.2 * max(len(outcomes), 1), 4.2),
                             squeeze=False)
    order = sorted(group.dropna().unique())
    frame = data.assign(_group=group)
    for ax, outcome in zip(axes[0], outcomes):
        part = frame.dropna(subset=[outcome])
        sns.boxplot(data=part, x="_group", y=outcome, order=order, hue="_group", hue_order=order,
                    ax=ax, showfliers=False, width=0.5, legend=False,
                    boxprops={"alpha": 0.55})
        for patch, hatch in zip(ax.patches, GROUP_HATCHES * 4):
            patch.set_hatch(hatch)
        sample = _sample(part, seed)
        for i, (name, marker) in enumerate(zip(order, GROUP_MARKERS)):
            pts = sample[sample["_group"] == name][outcome]
            jitter = np.random.default_rng(seed + i).uniform(-0.15, 0.15, len(pts))
            ax.scatter(np.full(len(pts), i) + jitter, pts, s=12, marker=marker, color="black",
                       alpha=0.6, linewidths=0)
        if outcome in ("budget_drift", "schedule_slip"):
            ax.set_yscale("symlog", linthresh=0.5)
            ax.axhline(0, color="grey", lw=0.8)
        percent_axis(ax, "y", lang)
        ax.set_xlabel("")
        ax.set_ylabel(translate(outcome, lang))
        ax.set_title(translate(outcome, lang))
    fig.tight_layout()
    return fig


def outcome_class_bars(table: pd.DataFrame, lang: str = "en"):
    """Stacked shares of successful / challenged / failed per group (from `outcome_class_table`)."""
    pivot = table.pivot(index="group", columns="outcome_class", values="share")
    classes = [c for c in ("successful", "challenged", "failed") if c in pivot]
    fig, ax = plt.subplots(figsize=(6.5, 0.9 + 0.7 * len(pivot)))
    left = np.zeros(len(pivot))
    for cls, colour, hatch in zip(classes, [OKABE_ITO[2], OKABE_ITO[1], OKABE_ITO[3]], ["", "..", "xx"]):
        ax.barh([str(g) for g in pivot.index], pivot[cls], left=left, color=colour, hatch=hatch,
                edgecolor="black", linewidth=0.5, label=translate(cls, lang))
        left += pivot[cls].fillna(0).to_numpy()
    percent_axis(ax, "x", lang)
    ax.set_xlim(0, 1)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=3, frameon=False)
    ax.set_title(translate("outcome_class", lang))
    fig.tight_layout()
    return fig


def love_plot(balance: pd.DataFrame, lang: str = "en", threshold: float = 0.1):
    """Standardised mean differences per covariate (before, and after weighting when present)."""
    if balance.empty:  # nothing to compare: say why instead of plotting
        fig, ax = plt.subplots(figsize=(6.5, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, balance.attrs.get("why", "No covariate to compare."), ha="center", va="center",
                wrap=True)
        return fig
    balance = balance.copy()
    label_col = "covariate" if "covariate" in balance else balance.columns[0]
    fig, ax = plt.subplots(figsize=(6.5, 0.6 + 0.35 * len(balance)))
    y = np.arange(len(balance))
    ax.scatter(balance["smd_unweighted"], y, marker="o", color=OKABE_ITO[3], label="unweighted"
               if lang == "en" else "non pondéré", zorder=3)
    if "smd_weighted" in balance:
        ax.scatter(balance["smd_weighted"], y, marker="s", facecolor="white", edgecolor=OKABE_ITO[0],
                   label="weighted" if lang == "en" else "pondéré", zorder=3)
    for x in (-threshold, threshold):
        ax.axvline(x, color="grey", ls="--", lw=0.8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, balance[label_col].astype(str))
    ax.invert_yaxis()
    ax.set_xlabel(translate("smd", lang))
    ax.legend(loc="lower right", frameon=True)
    fig.tight_layout()
    return fig
