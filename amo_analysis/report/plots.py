"""Figures: one seaborn theme, readable in black and white and by colour-blind readers.

Groups are told apart by colour (Okabe–Ito palette) and by a second channel (marker or hatch), so
a grey printout still works. Large portfolios are sampled for point layers (at most
`MAX_POINTS`, seeded) so a figure never grows with the portfolio; a point layer of more than
`VECTOR_POINTS` points is drawn as an image inside the SVG (at `savefig.dpi`), the rest stays
vector.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg") if matplotlib.get_backend().lower() in ("", "agg") else None
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from amo_analysis.findings import passes_unavailable  # noqa: E402
from amo_analysis.i18n import SCALE_KEYS, format_number, format_percent, translate  # noqa: E402
from amo_analysis.report.show_forecast import scenario_name  # noqa: E402

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
GROUP_MARKERS = ["o", "s"]
GROUP_HATCHES = ["", "//"]
MAX_POINTS = 2000
VECTOR_POINTS = 500  # above: a point layer is rasterised (an SVG element per point would be ~80 bytes)


def apply_theme() -> None:
    """The suite's one theme (call once per notebook; idempotent)."""
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette=OKABE_ITO,
        rc={
            "figure.dpi": 100,
            "savefig.dpi": 200,
            "axes.titleweight": "bold",
            "svg.fonttype": "none",
            "figure.autolayout": False,
        },
    )


def percent_axis(ax, axis: str = "y", lang: str = "en") -> None:
    """Show a fraction axis as percentages in the report's language."""
    formatter = FuncFormatter(lambda v, _pos: format_percent(v, lang))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def _sample(data: pd.DataFrame, seed: int) -> pd.DataFrame:
    return data if len(data) <= MAX_POINTS else data.sample(MAX_POINTS, random_state=seed)


#: characters per line of a group's name under its box or beside its bar (longer names are wrapped)
LABEL_WIDTH = 18


def wrap_label(text: object, width: int = LABEL_WIDTH) -> str:
    """`text` broken into lines of at most `width` characters at spaces (a longer word keeps its line),
    so that long practice names ("with Even agency code (placebo)") do not run into their neighbours."""
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False, break_on_hyphens=False)) or str(text)


def _group_boxes(ax, values: list[np.ndarray], labels: list[str]) -> None:
    """Box plot (quartiles, whiskers at 1.5 IQR, no fliers) of each group, computed on every value
    (matplotlib's boxplot_stats: fast at any size), in the group colours and hatches."""
    from matplotlib.cbook import boxplot_stats

    stats = [boxplot_stats(v, whis=1.5)[0] if len(v) else None for v in values]
    shown = [i for i, st in enumerate(stats) if st is not None]
    lines = {"color": "#3f3f3f", "linewidth": 1.2}
    boxes = ax.bxp(
        [stats[i] for i in shown],
        positions=shown,
        widths=0.5,
        showfliers=False,
        patch_artist=True,
        boxprops={"alpha": 0.55, "edgecolor": "#3f3f3f", "linewidth": 1.2},
        medianprops=lines,
        whiskerprops=lines,
        capprops=lines,
    )
    for i, patch in zip(shown, boxes["boxes"]):
        patch.set_facecolor(OKABE_ITO[i % len(OKABE_ITO)])
        patch.set_hatch(GROUP_HATCHES[i % len(GROUP_HATCHES)])
    ax.set_xticks(range(len(labels)), [wrap_label(label) for label in labels])
    ax.set_xlim(-0.6, len(labels) - 0.4)


def outcome_distributions(data: pd.DataFrame, outcomes, group: pd.Series, lang: str = "en", seed: int = 0):
    """One panel per outcome: box plot per group with the projects as points.

    Drift and slip are fat-tailed: the y axis is symmetric-log so the bulk and the tail both show.
    """
    outcomes = [o for o in outcomes if o in data and data[o].notna().any()]
    fig, axes = plt.subplots(1, max(len(outcomes), 1), figsize=(4.2 * max(len(outcomes), 1), 4.2), squeeze=False)
    order = sorted(group.dropna().unique())
    frame = data[outcomes].assign(_group=group)  # only the plotted columns, not a copy of the portfolio
    for ax, outcome in zip(axes[0], outcomes):
        part = frame[["_group", outcome]].dropna(subset=[outcome])
        _group_boxes(ax, [part.loc[part["_group"] == name, outcome].to_numpy(dtype=float) for name in order], order)
        sample = _sample(part, seed)
        for i, (name, marker) in enumerate(zip(order, GROUP_MARKERS)):
            pts = sample[sample["_group"] == name][outcome]
            jitter = np.random.default_rng(seed + i).uniform(-0.15, 0.15, len(pts))
            ax.scatter(
                np.full(len(pts), i) + jitter,
                pts,
                s=12,
                marker=marker,
                color="black",
                alpha=0.6,
                linewidths=0,
                rasterized=len(sample) > VECTOR_POINTS,
            )
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
        ax.barh(
            [wrap_label(g, 2 * LABEL_WIDTH) for g in pivot.index],
            pivot[cls],
            left=left,
            color=colour,
            hatch=hatch,
            edgecolor="black",
            linewidth=0.5,
            label=translate(cls, lang),
        )
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
        ax.text(0.5, 0.5, balance.attrs.get("why", "No covariate to compare."), ha="center", va="center", wrap=True)
        return fig
    balance = balance.copy()
    label_col = "covariate" if "covariate" in balance else balance.columns[0]
    fig, ax = plt.subplots(figsize=(6.5, 0.6 + 0.35 * len(balance)))
    y = np.arange(len(balance))
    ax.scatter(
        balance["smd_unweighted"], y, marker="o", color=OKABE_ITO[3], label=translate("plot_unweighted", lang), zorder=3
    )
    if "smd_weighted" in balance:
        ax.scatter(
            balance["smd_weighted"],
            y,
            marker="s",
            facecolor="white",
            edgecolor=OKABE_ITO[0],
            label=translate("plot_weighted", lang),
            zorder=3,
        )
    for x in (-threshold, threshold):
        ax.axvline(x, color="grey", ls="--", lw=0.8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, balance[label_col].astype(str))
    ax.invert_yaxis()
    ax.set_xlabel(translate("smd", lang))
    ax.legend(loc="lower right", frameon=True)
    fig.tight_layout()
    return fig


def cost_distributions(
    cost_without, cost_with_total, budget: float, lang: str = "en", practice: str = "AMO", unit: str = "EUR"
):
    """Simulated final cost without vs with the practice (fee included), overlaid, budget marked."""
    fig, ax = plt.subplots(figsize=(7, 4))
    both = np.concatenate([cost_without, cost_with_total])
    bins = np.linspace(np.quantile(both, 0.001), np.quantile(both, 0.995), 60)
    ax.hist(
        cost_without,
        bins=bins,
        alpha=0.55,
        color=OKABE_ITO[1],
        hatch="//",
        edgecolor="black",
        linewidth=0.3,
        label=translate("without", lang, practice=practice),
    )
    ax.hist(
        cost_with_total,
        bins=bins,
        alpha=0.55,
        color=OKABE_ITO[0],
        edgecolor="black",
        linewidth=0.3,
        label=translate("with", lang, practice=practice),
    )
    ax.axvline(budget, color="black", ls="--", lw=1)
    ax.set_xlabel(f"{translate('final_cost', lang)} ({unit})")
    ax.set_ylabel(translate("draws", lang))
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def ratio_histogram(values, lang: str = "en", xlabel_key: str = "roi_prevented_per_euro"):
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


def forecast_figure(table: pd.DataFrame, lang: str = "en", practice: str = "AMO"):
    """Final-cost forecast ranges (P50 to the highest quantile) per scenario, with budget and budget + 10 %."""
    qcols = sorted([c for c in table.columns if c.startswith("cost_p")], key=lambda c: int(c[6:]))
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.8 * len(table)))
    labels = []
    for i, r in enumerate(table.to_dict("records")):
        values = [r[c] for c in qcols]
        ax.plot([v for v in values if np.isfinite(v)], [i] * sum(np.isfinite(values)), color="black", lw=1)
        for c, marker in zip(qcols, "o^sDv"):
            if np.isfinite(r[c]):
                ax.scatter(
                    r[c], i, marker=marker, s=50, color="#0072B2", zorder=3, label=c[5:].upper() if i == 0 else None
                )
        labels.append(f"{r['project_id']} – {scenario_name(r['amo'], practice, lang)}")
    budget = float(table["budget_planned"].iloc[0])
    ax.axvline(budget, color="grey", ls="--", lw=1, label=translate("fc_legend_budget", lang))
    ax.axvline(budget * 1.1, color="#D55E00", ls=":", lw=1.2, label=translate("fc_legend_budget_10", lang))
    ax.set_yticks(range(len(table)), labels)
    ax.set_ylim(-0.7, len(table) - 0.3)
    ax.set_xlabel(translate("fc_axis_cost", lang))
    ax.xaxis.set_major_locator(plt.MaxNLocator(5))
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _pos: format_number(v, lang)))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=5, frameon=False)
    fig.tight_layout()
    return fig


@passes_unavailable
def roi_cost_figure(result, lang: str = "en", practice: str = "AMO", unit: str = "EUR"):
    """`cost_distributions` of an `analyses.roi.RoiResult` (its budget marked); `Unavailable` passes."""
    return cost_distributions(result.cost_without, result.total_with, result.budget, lang, practice, unit)


@passes_unavailable
def roi_ratio_figure(result, lang: str = "en"):
    """`ratio_histogram` of the drift prevented per unit of fee of a `RoiResult`; `Unavailable` passes."""
    return ratio_histogram(result.prevented_per_euro, lang)


EVIDENCE_MARKERS = {
    "peer-reviewed": "D",
    "practitioner study": "s",
    "vendor survey": "^",
    "self-reported survey": "v",
    "consultancy claim": "P",
}


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
    ax.errorbar(
        rows["estimate"],
        y,
        xerr=[low.fillna(0), high.fillna(0)],
        fmt="o",
        color="black",
        ecolor="black",
        elinewidth=1.2,
        capsize=3,
        label=translate("bench_portfolio", lang),
        zorder=3,
    )
    shown = set()
    for i, r in rows.iterrows():
        marker = EVIDENCE_MARKERS.get(r["evidence"], "o")
        label = translate(f"evidence.{r['evidence']}", lang)
        if np.isfinite(r["benchmark_high"]):
            ax.plot(
                [r["benchmark"], r["benchmark_high"]],
                [i, i],
                color=OKABE_ITO[3],
                lw=5,
                alpha=0.45,
                solid_capstyle="butt",
                zorder=2,
            )
        ax.scatter(
            [r["benchmark"]],
            [i],
            marker=marker,
            s=60,
            facecolor="white",
            edgecolor=OKABE_ITO[3],
            linewidths=1.6,
            zorder=4,
            label=None if label in shown else label,
        )
        shown.add(label)
    ax.set_yticks(y, [f"{f}\n{c}" for f, c in zip(rows["figure"], rows["citation"])], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="grey", lw=0.8)
    percent_axis(ax, "x", lang)
    ax.set_title(translate("bench_title", lang))
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.6 / max(len(rows), 1) - 0.04), ncol=3, frameon=False, fontsize=8
    )
    fig.tight_layout()
    return fig


_FOREST_METHODS = {  # method -> (marker, colour): two channels, so a grey printout still works
    "difference": ("o", OKABE_ITO[7]),
    "ols": ("s", OKABE_ITO[0]),
    "ipw": ("^", OKABE_ITO[2]),
    "aipw": ("D", OKABE_ITO[4]),
    "quantile": ("v", OKABE_ITO[5]),
    "fractional_logit": ("P", OKABE_ITO[1]),
    "log_linear": ("X", OKABE_ITO[1]),
}


def effects_forest(estimates: pd.DataFrame, claims: pd.DataFrame | None = None, lang: str = "en"):
    """Forest plot of every effect estimate with its 95 % interval (`portfolio_effects.estimate_all`).

    One panel per outcome and reading (relative change | relative change of the mean | percentage
    points, the columns present), a vertical line at 0,
    one marker shape and colour per method; the published claim on the same reading is a black
    star on its own row. Estimates that could not be computed are listed as "not estimable".
    """
    from amo_analysis.i18n import format_points

    keys = list(dict.fromkeys(zip(estimates["measure"], estimates["scale"])))
    measures = list(dict.fromkeys(m for m, _ in keys)) or [""]
    present = set(estimates["scale"])
    scales = [s for s in ("percent change", "percent change of the mean", "percentage points") if s in present]
    scales = scales or ["percent change", "percentage points"]
    heights = [
        max(
            2,
            max((len(estimates[(estimates["measure"] == m) & (estimates["scale"] == s)]) for s in scales), default=1)
            + 1,
        )
        for m in measures
    ]
    fig, axes = plt.subplots(
        len(measures),
        len(scales),
        figsize=(5.5 * len(scales), 0.9 + 0.32 * sum(heights)),
        squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )
    for i, measure in enumerate(measures):
        for j, scale in enumerate(scales):
            ax = axes[i][j]
            part = estimates[(estimates["measure"] == measure) & (estimates["scale"] == scale)]
            if part.empty:
                ax.axis("off")
                continue
            labels = []
            for k, row in enumerate(part.itertuples(index=False)):
                if row.method == "quantile":
                    name = translate("pe_method_quantile", lang, p=round(row.quantile * 100))
                else:
                    name = translate(f"pe_method_{row.method}", lang)
                labels.append(name)
                marker, colour = _FOREST_METHODS.get(row.method, ("o", OKABE_ITO[7]))
                if np.isfinite(row.estimate):
                    ax.hlines(k, row.ci_low, row.ci_high, color=colour, lw=1.6)
                    ax.plot(
                        row.estimate,
                        k,
                        marker=marker,
                        color=colour,
                        markeredgecolor="black",
                        markersize=7,
                        linestyle="none",
                        zorder=3,
                    )
                else:
                    ax.text(
                        0.01,
                        k,
                        translate("pe_no_estimate", lang),
                        va="center",
                        ha="left",
                        fontsize=8,
                        color="dimgrey",
                        style="italic",
                        transform=matplotlib.transforms.blended_transform_factory(ax.transAxes, ax.transData),
                    )
            if claims is not None and not claims.empty:
                claim = claims[(claims["measure"] == measure) & (claims["scale"] == scale)]
                for row in claim.itertuples(index=False):
                    labels.append(translate("pe_claim_marker", lang))
                    ax.plot(
                        row.claimed,
                        len(labels) - 1,
                        marker="*",
                        color="black",
                        markersize=13,
                        linestyle="none",
                        zorder=4,
                    )
            ax.axvline(0, color="black", lw=0.9)
            ax.set_yticks(range(len(labels)), labels, fontsize=8)
            ax.set_ylim(len(labels) - 0.5, -0.5)
            if scale != "percentage points":
                percent_axis(ax, "x", lang)
            else:
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_points(v, lang, 0)))
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
            reading = translate(SCALE_KEYS[scale], lang)
            ax.set_title(f"{translate(measure, lang)} — {reading}", fontsize=10)
    fig.tight_layout()
    return fig


_BOUND_STYLES = [(OKABE_ITO[1], "//"), (OKABE_ITO[2], ".."), (OKABE_ITO[4], "xx"), (OKABE_ITO[5], "\\\\")]


def sensitivity_bounds(bounds: pd.DataFrame, lang: str = "en", scales=("percent change",)):
    """Benchmark bounds of the claim readings (`analyses.claims_sensitivity.claims_sensitivity(...).bounds`)
    on the given `scales` (default: the relative readings; the percentage-point readings of the same
    fits move alike and are in the table): one panel per outcome, one bar per row — the estimate itself
    (grey), then the estimate had a confounder 1×, 2×, 3× as strong as each measured covariate been
    adjusted for (one colour and hatch per covariate) — with its 95 % interval and a line at 0.
    Reading a bar: "a confounder as strong as the budget would move −14 % to −6 %". Rows that could
    not be computed are left out."""
    from amo_analysis.i18n import TRANSLATIONS, format_points

    shown = (
        bounds[np.isfinite(bounds["estimate"].astype("float64")) & bounds["scale"].isin(list(scales))]
        if not bounds.empty
        else bounds
    )
    if shown.empty:
        fig, ax = plt.subplots(figsize=(6.5, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, translate("sens_plot_nothing", lang), ha="center", va="center", wrap=True)
        return fig
    panels = list(dict.fromkeys(zip(shown["measure"], shown["scale"])))
    benchmarks = [b for b in dict.fromkeys(shown["benchmark"]) if b]
    order = sorted(
        dict.fromkeys(zip(shown["benchmark"], shown["k"])),
        key=lambda bk: (bk[0] != "", benchmarks.index(bk[0]) if bk[0] else -1, bk[1]),
    )
    styles = {b: _BOUND_STYLES[i % len(_BOUND_STYLES)] for i, b in enumerate(benchmarks)}

    def label(bench: str, k: float) -> str:
        if not bench:
            return translate("sens_plot_estimate", lang)
        key = f"sens_benchmark_{bench}"
        words = translate(key, lang) if key in TRANSLATIONS else bench
        return translate("sens_plot_bound", lang, k=f"{k:g}", benchmark=words)

    fig, axes = plt.subplots(
        1, len(panels), squeeze=False, sharey=True, figsize=(1.6 + 3.6 * len(panels), 1.0 + 0.3 * len(order))
    )
    for ax, (measure, scale) in zip(axes[0], panels):
        part = shown[(shown["measure"] == measure) & (shown["scale"] == scale)]
        for row in part.itertuples(index=False):
            y = order.index((row.benchmark, row.k))
            colour, hatch = styles[row.benchmark] if row.benchmark else ("#9a9a9a", "")
            ax.barh(
                y,
                row.estimate,
                color=colour,
                hatch=hatch,
                edgecolor="black",
                linewidth=0.5,
                alpha=0.85,
                xerr=[[max(row.estimate - row.ci_low, 0.0)], [max(row.ci_high - row.estimate, 0.0)]],
                error_kw={"ecolor": "black", "elinewidth": 1, "capsize": 2},
            )
        ax.axvline(0, color="black", lw=0.9)
        if scale == "percentage points":
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_points(v, lang, 0)))
        else:
            percent_axis(ax, "x", lang)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
        ax.set_title(f"{translate(measure, lang)} — {translate(SCALE_KEYS[scale], lang)}", fontsize=10)
    axes[0][0].set_yticks(range(len(order)), [label(b, k) for b, k in order], fontsize=8)
    axes[0][0].set_ylim(len(order) - 0.5, -0.5)
    fig.tight_layout()
    return fig
