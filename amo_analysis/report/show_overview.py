"""How notebook 01 and the summary page show what `analyses.overview` computes: the records of the
data-quality checks (`exact_plan_records`: `quality.exact_plan.cost` / `.duration`, shares as
fractions; `drift_heaping_records`: `quality.drift_heaping.cost`, Whipple's index as a ratio), their
sentences on the summary page (`exact_plan_warnings`), and the tail and balance tables as fixed-width
text (`tail_text`, `balance_text`: fractions and standardised differences, 3 decimals).
"""

from __future__ import annotations

import pandas as pd

from amo_analysis.analyses.overview import exact_plan_sentences, heaping_sentences
from amo_analysis.i18n import translate

__all__ = ["exact_plan_records", "drift_heaping_records", "exact_plan_warnings", "tail_text", "balance_text"]


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
