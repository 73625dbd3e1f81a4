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


def cost_distributions(cost_without, cost_with_total, budget: float, lang: str = "en",
                       practice: str = "AMO", unit: str = "EUR"):
    """Simulated final cost without vs with the practice (fee included), overlaid, budget marked."""
    fig, ax = plt.subplots(figsize=(7, 4))
    both = np.concatenate([cost_without, cost_with_total])
    bins = np.linspace(np.quantile(both, 0.001), np.quantile(both, 0.995), 60)
    ax.hist(cost_without, bins=bins, alpha=0.55, color=OKABE_ITO[1], hatch="//", edgecolor="black",
            linewidth=0.3, label=translate("without", lang, practice=practice))
    ax.hist(cost_with_total, bins=bins, alpha=0.55, color=OKABE_ITO[0], edgecolor="black", linewidth=0.3,
            label=translate("with", lang, practice=practice))
    ax.axvline(budget, color="black", ls="--", lw=1)
    ax.set_xlabel(f"{translate('final_cost', lang)} ({unit})")
    ax.set_ylabel(translate("draws", lang))
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def ratio_histogram(values, lang: str = "en", xlabel_key: str = "prevented_per_euro"):
    """Histogram of a per-draw ratio (e.g. drift prevented per unit of fee), 1 and 0 marked."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    lo, hi = np.quantile(values, [0.005, 0.995])
    ax.hist(np.clip(values, lo, hi), bins=60, color=OKABE_ITO[2], edgecolor="black", linewidth=0.3)
    for x, style in ((0, "-"), (1, "--")):
        ax.axvline(x, color="black", ls=style, lw=1)
    ax.set_xlabel(translate(xlabel_key, lang))
    ax.set_ylabel(translate("draws", lang))
    fig.tight_layout()
    return fig


EVIDENCE_MARKERS = {"peer-reviewed": "D", "practitioner study": "s", "vendor survey": "^",
                    "self-reported survey": "v", "consultancy claim": "P"}


def benchmark_plot(comparison: pd.DataFrame, lang: str = "en"):
    """Published benchmarks (open markers, shape = kind of evidence; a bar for ranges) beside the
    same figure on the portfolio (black dot with its 95 % interval), one row per comparable figure.

    Takes the table of `benchmarks.compare_with_benchmarks`; rows without a portfolio estimate are left out.
    """
    rows = comparison[np.isfinite(comparison["estimate"].astype("float64"))].reset_index(drop=True)
    if rows.empty:
        fig, ax = plt.subplots(figsize=(6.5, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, translate("bench_nothing", lang), ha="center", va="center", wrap=True)
        return fig
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.42 * len(rows)))
    y = np.arange(len(rows))
    low = (rows["estimate"] - rows["ci_low"]).clip(lower=0)
    high = (rows["ci_high"] - rows["estimate"]).clip(lower=0)
    ax.errorbar(rows["estimate"], y, xerr=[low.fillna(0), high.fillna(0)], fmt="o", color="black",
                ecolor="black", elinewidth=1.2, capsize=3, label=translate("bench_portfolio", lang), zorder=3)
    shown = set()
    for i, r in rows.iterrows():
        marker = EVIDENCE_MARKERS.get(r["evidence"], "o")
        label = translate(f"evidence.{r['evidence']}", lang)
        if np.isfinite(r["benchmark_high"]):
            ax.plot([r["benchmark"], r["benchmark_high"]], [i, i], color=OKABE_ITO[3], lw=5, alpha=0.45,
                    solid_capstyle="butt", zorder=2)
        ax.scatter([r["benchmark"]], [i], marker=marker, s=60, facecolor="white", edgecolor=OKABE_ITO[3],
                   linewidths=1.6, zorder=4, label=None if label in shown else label)
        shown.add(label)
    ax.set_yticks(y, [f"{f}\n{c}" for f, c in zip(rows["figure"], rows["citation"])], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="grey", lw=0.8)
    percent_axis(ax, "x", lang)
    ax.set_title(translate("bench_title", lang))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.6 / max(len(rows), 1) - 0.04), ncol=3,
              frameon=False, fontsize=8)
    fig.tight_layout()
    return fig
