"""How notebook 01 and the summary page show what `analyses.overview` computes: the tables of what the
portfolio holds and how it was read (`portfolio_summary`, `data_quality_table`, `missing_values_table`,
`column_mapping_table`, headers and labels in the report's language), the records of the
data-quality checks (`exact_plan_records`: `quality.exact_plan.cost` / `.duration`, shares as
fractions; `drift_heaping_records`: `quality.drift_heaping.cost`, Whipple's index as a ratio), their
sentences on the summary page (`exact_plan_warnings`), and the tail and balance tables as fixed-width
text (`tail_text`, `balance_text`: fractions and standardised differences, 3 decimals).

The summary page imports this module in the runner, which has not imported scipy or statsmodels:
nothing here computes (the checks are `analyses.overview`'s).
"""

from __future__ import annotations

import pandas as pd

from amo_analysis.i18n import Message, format_number, format_percent, localise, translate
from amo_analysis.ingest.portfolio import Portfolio

__all__ = [
    "portfolio_summary",
    "data_quality_table",
    "missing_values_table",
    "column_mapping_table",
    "exact_plan_sentences",
    "heaping_sentences",
    "exact_plan_records",
    "drift_heaping_records",
    "exact_plan_warnings",
    "tail_text",
    "balance_text",
]


def drift_heaping_records(heaping: dict, lang: str = "en") -> list[dict]:
    """The record `quality.drift_heaping.cost` of a `drift_heaping` result (Whipple's index, unit
    "ratio"; on the summary page when flagged)."""
    return [
        dict(
            name="quality.drift_heaping.cost",
            value=heaping["value"],
            n=heaping["n"],
            count=heaping["count"],
            p_value=heaping["p_value"],
            flagged=heaping["flagged"],
            unit="ratio",
            label=translate("drift_heaping_label", lang),
            method=translate("m_whipple", lang),
            headline=heaping["flagged"],
        )
    ]


def exact_plan_warnings(records: list[dict], lang: str = "en") -> list[str]:
    """The sentences of `exact_plan_sentences` from the `quality.exact_plan.*` records of a run (for the
    summary page)."""
    rows = [
        {
            "name": r["name"].rsplit(".", 1)[-1],
            "count": r.get("count", 0),
            "n": r.get("n", 0),
            "share": r.get("value"),
            "ci_low": r.get("ci_low"),
            "ci_high": r.get("ci_high"),
            "threshold": r.get("threshold"),
            "flagged": bool(r.get("flagged")),
        }
        for r in records
        if r.get("name", "").startswith("quality.exact_plan.")
    ]
    table = pd.DataFrame(rows, columns=["name", "count", "n", "share", "ci_low", "ci_high", "threshold", "flagged"])
    heaping = next((r for r in records if r.get("name") == "quality.drift_heaping.cost"), {})
    return exact_plan_sentences(table.astype({"flagged": bool}), lang) + heaping_sentences(heaping, lang)


def exact_plan_records(table: pd.DataFrame, lang: str = "en") -> list[dict]:
    """The records `quality.exact_plan.cost` and `quality.exact_plan.duration` of an `exact_plan_table`
    (share, Wilson interval, n, count, threshold, flagged; on the summary page when flagged)."""
    records = []
    for row in table.itertuples(index=False):
        records.append(
            dict(
                name=f"quality.exact_plan.{row.name}",
                value=None if row.n == 0 else row.share,
                ci_low=None if row.n == 0 else row.ci_low,
                ci_high=None if row.n == 0 else row.ci_high,
                n=row.n,
                count=row.count,
                threshold=row.threshold,
                flagged=row.flagged,
                unit="fraction",
                label=translate(f"exact_plan_{row.name}", lang),
                method=translate("m_share_wilson", lang),
                headline=row.flagged,  # on the summary page when the plans look re-baselined
            )
        )
    return records


def tail_text(tails: pd.DataFrame) -> str:
    """The tail table as fixed-width text, 3 decimals (fractions); methods and notes left out."""
    shown = tails.drop(columns=["method", "note"], errors="ignore").assign(group=tails["group"].astype(str))
    return shown.to_string(index=False, float_format=lambda v: f"{v:.3f}")


def balance_text(balance: pd.DataFrame) -> str:
    """The balance table as fixed-width text, 3 decimals (or why it is empty)."""
    if balance.empty and balance.attrs.get("why"):
        return balance.attrs["why"]
    return balance.to_string(index=False, float_format=lambda v: f"{v:.3f}")


def portfolio_summary(portfolio: Portfolio, lang: str = "en") -> pd.DataFrame:
    """What the portfolio holds: projects, finished projects, practice share, period, unit."""
    d = portfolio.data
    practice = portfolio.practice_name
    rows = [
        (translate("source", lang), portfolio.source_name),
        (translate("projects_in_file", lang), len(d)),
        (translate("projects_finished", lang), int(d["cost_actual"].notna().sum())),
        (translate("projects_with", lang, practice=practice), int(d["amo"].sum()))
        if portfolio.has_practice
        else (translate("practice_column", lang), translate("no_practice_column", lang)),
    ]
    period = portfolio.period()
    if period:
        rows.append((translate("period", lang), f"{period[0]} – {period[1]}"))
    rows.append((translate("cost_unit", lang), portfolio.cost_unit))
    rows.append((translate("checksum", lang), portfolio.checksum[:19]))
    return pd.DataFrame(rows, columns=[translate("item", lang), translate("value", lang)])


def data_quality_table(
    portfolio: Portfolio, lang: str = "en", exact_plan: pd.DataFrame | None = None, heaping: dict | None = None
) -> pd.DataFrame:
    """Detection, exclusions, personal data dropped and notes, one line each; first, when
    `exact_plan` (`exact_plan_table`) flags plans that look re-baselined, a warning per outcome, and
    when `heaping` (`drift_heaping`) flags drifts heaped at round percentages, a warning."""
    rows = []
    if exact_plan is not None:
        rows += [(translate("rebaselined_plans", lang), text) for text in exact_plan_sentences(exact_plan, lang)]
    if heaping is not None:
        rows += [(translate("rebaselined_plans", lang), text) for text in heaping_sentences(heaping, lang)]
    rows += [(translate("detection", lang), localise(line, lang)) for line in portfolio.detection]
    rows.append((translate("rows_excluded", lang), len(portfolio.excluded_rows)))
    for problem in portfolio.problems:
        sentence = problem.get("sentence_translatable", problem["sentence"])
        rows.append(("", localise(Message.from_json(sentence), lang)))
    dropped = ", ".join(
        f"{p['column']} ({localise(Message.from_json(p.get('reason_translatable', p['reason'])), lang)})"
        for p in portfolio.personal_columns
    )
    rows.append((translate("personal_dropped", lang), dropped or translate("none", lang)))
    rows.extend((translate("notes", lang), localise(note, lang)) for note in portfolio.notes)
    return pd.DataFrame(rows, columns=[translate("item", lang), translate("value", lang)])


def heaping_sentences(heaping: dict, lang: str = "en") -> list[str]:
    """One sentence when `drift_heaping` flags heaping, else none."""
    if not heaping.get("flagged"):
        return []
    return [
        translate(
            "drift_heaping_flag",
            lang,
            share=format_percent(heaping["count"] / heaping["n"], lang),
            count=format_number(heaping["count"], lang),
            n=format_number(heaping["n"], lang),
            whipple=format_number(heaping["value"], lang, 2),
        )
    ]


def exact_plan_sentences(table: pd.DataFrame, lang: str = "en") -> list[str]:
    """One sentence per flagged row of `exact_plan_table` saying what the share means and what it does
    to every drift figure (empty when nothing is flagged)."""
    out = []
    for row in table[table["flagged"]].itertuples(index=False):
        out.append(
            translate(
                f"exact_plan_flag_{row.name}",
                lang,
                share=format_percent(row.share, lang),
                low=format_percent(row.ci_low, lang),
                high=format_percent(row.ci_high, lang),
                count=format_number(row.count, lang),
                n=format_number(row.n, lang),
                threshold=format_percent(row.threshold, lang),
            )
        )
    return out


def column_mapping_table(portfolio: Portfolio, lang: str = "en") -> pd.DataFrame:
    """How each header of the user's file was read: canonical name, or kept as an extra column."""
    rows = [(src, canon) for src, canon in portfolio.recognised.items()]
    rows += [(src, "—") for src in portfolio.unrecognised]
    return pd.DataFrame(rows, columns=[translate("source", lang), translate("column", lang)])


def missing_values_table(portfolio: Portfolio, lang: str = "en") -> pd.DataFrame:
    """Missing values per canonical column that has any, with the share of projects."""
    n = max(len(portfolio.data), 1)
    rows = [(col, cnt, cnt / n) for col, cnt in portfolio.missing.items() if cnt]
    return pd.DataFrame(
        rows, columns=[translate("column", lang), translate("missing_values", lang), translate("share", lang)]
    )
