"""How notebook 06 (`06_benchmark_report`) shows `analyses.references`' comparison: the table a reader
reads (`benchmark_table`: percentages, the portfolio's 95 % interval, the evidence kind), where each
figure comes from (`sources_table`, with `HEADERS`), the fixed-width text nbval checks
(`comparison_text`) and the `benchmark.<key>` records (`benchmark_records`).

Units: benchmark and portfolio figures are fractions (0.27 = 27 %) shown as percentages, except
benchmarks in the `ratio` unit (plain ratios, 2 decimals). Our own words come in the report's language
where the benchmark file gives them (`analyses.references.in_language`).
"""

from __future__ import annotations

import math

import pandas as pd

from amo_analysis.analyses.references import TRANSLATED_COLUMNS, in_language
from amo_analysis.i18n import format_number, format_percent, translate

__all__ = ["HEADERS", "HEADLINE_KEYS", "benchmark_table", "sources_table", "comparison_text", "benchmark_records"]

#: Headers of `sources_table`: column → translation key, for `ctx.show(..., labels=show_references.HEADERS)`
#: (the English text of each key is the column's name, as the English page has always shown it)
HEADERS: dict[str, str] = {
    column: f"bench_col_{column}"
    for column in (
        "citation",
        "figure",
        "definition",
        "population",
        "n_projects",
        "year",
        "evidence",
        "source",
        "quality_note",
    )
}
#: Benchmark rows put on the summary page (index.html) by `benchmark_records`.
HEADLINE_KEYS = ("hbr2011_mean_cost_overrun", "standish2015_failed")


def _format_value(value: float, high: float, unit: str, lang: str) -> str:
    if not math.isfinite(value):
        return "–"
    if unit == "ratio":
        text = format_number(value, lang, 2)
        return text if not math.isfinite(high) else f"{text}–{format_number(high, lang, 2)}"
    signed = unit == "percent change"
    text = format_percent(value, lang, signed=signed)
    return text if not math.isfinite(high) else f"{text}–{format_percent(high, lang, signed=signed)}"


def benchmark_table(comparison: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The comparison as a reader sees it: percentages, the portfolio's interval, evidence kind."""
    rows = []
    for r in comparison.itertuples(index=False):
        if math.isfinite(r.estimate):
            portfolio = format_percent(r.estimate, lang)
            if math.isfinite(r.ci_low) and math.isfinite(r.ci_high):
                portfolio += f" [{format_percent(r.ci_low, lang)} … {format_percent(r.ci_high, lang)}]"
        else:
            portfolio = "–"
        rows.append(
            {
                translate("reference_figure", lang): r.figure,
                translate("citation", lang): r.citation,
                translate("evidence", lang): translate(f"evidence.{r.evidence}", lang),
                translate("benchmark", lang): _format_value(r.benchmark, r.benchmark_high, r.unit, lang),
                translate("portfolio_ci", lang): portfolio,
                translate("n", lang): r.n if r.n else "–",
                translate("comparison", lang): r.comparison,
            }
        )
    return pd.DataFrame(rows)


def sources_table(benchmarks: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Where each figure comes from, on whom, and its caveats (one row per benchmark)."""
    table = benchmarks[list(HEADERS)].copy()
    for column in TRANSLATED_COLUMNS:
        table[column] = [in_language(bench, column, lang) for bench in benchmarks.to_dict("records")]
    table["evidence"] = table["evidence"].map(lambda e: translate(f"evidence.{e}", lang))
    for column in ("n_projects", "year"):
        table[column] = table[column].map(lambda v: "–" if not math.isfinite(v) else str(int(v)))
    return table


def comparison_text(comparison: pd.DataFrame) -> str:
    """The comparable rows as fixed-width text, 3 decimals (a regression check of the sample)."""
    shown = comparison.loc[
        comparison["portfolio_metric"] != "", ["key", "benchmark", "estimate", "ci_low", "ci_high", "n"]
    ]
    return shown.to_string(index=False, float_format=lambda v: f"{v:.3f}")


def benchmark_records(comparison: pd.DataFrame, lang: str = "en", headline_keys=HEADLINE_KEYS) -> list[dict]:
    """The records `benchmark.<key>` of every computed comparison (portfolio estimate, interval, benchmark).

    Rows whose key is in `headline_keys` go on the summary page; the label names the benchmark.
    """
    records = []
    for r in comparison.itertuples(index=False):
        if not math.isfinite(r.estimate):
            continue
        bench = _format_value(r.benchmark, r.benchmark_high, r.unit, lang)
        label = translate("bench_record_label", lang, figure=r.figure, benchmark=bench, citation=r.citation)
        row = r._asdict()
        records.append(
            {
                "name": f"benchmark.{r.key}",
                "value": r.estimate,
                **{column: row[column] for column in ("ci_low", "ci_high", "n")},
                "unit": "fraction",
                "method": r.method,
                "label": label,
                "headline": r.key in headline_keys,
                **{column: row[column] for column in ("benchmark", "benchmark_high", "comparison", "evidence")},
            }
        )
    return records
