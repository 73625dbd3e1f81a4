"""How notebook 03 shows what `analyses.pitfalls` computes: the E-value table as fixed-width text
(`evalue_text`), its records (`evalue_records`, `sensitivity.<framing|pitfall>.<exposure>.<outcome>.evalue`)
and its finding (`evalue_finding`), and the records of the claims (`claims_records`: the framing claim
and the pitfall claims `pitfalls.<key>`). E-values and risk ratios are plain ratios (1 = no
association); the pitfall claims are percent changes (fractions: 0.10 = +10 %) or fractions.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from amo_analysis.analyses.framing import question_label
from amo_analysis.analyses.pitfalls import EVALUE_MODEL
from amo_analysis.findings import Finding
from amo_analysis.i18n import translate
from amo_analysis.ingest.columns import PITFALL_COLUMNS
from amo_analysis.report.show_framing import _fmt, _note_in, framing_claim_records, shown

__all__ = ["evalue_text", "evalue_records", "evalue_finding", "claims_records"]


def evalue_text(table: pd.DataFrame) -> str:
    """The E-value table as fixed-width text, 3 decimals (the notebook's regression check)."""
    lines = [
        f"{r['exposure']:<18} {r['outcome']:<20} rr={_fmt(r['estimate'])} ci=[{_fmt(r['ci_low'])}, "
        f"{_fmt(r['ci_high'])}] evalue={_fmt(r['evalue'])} evalue_ci={_fmt(r['evalue_ci'])}"
        for r in table.to_dict("records")
    ]
    return "\n".join(lines)


def evalue_records(table: pd.DataFrame, lang: str = "en", practice: str = "AMO") -> list[dict]:
    """One record per row: `sensitivity.framing.<exposure>.<outcome>.evalue` and
    `sensitivity.pitfall.<pitfall>.<outcome>.evalue`; value = E-value of the risk ratio (unit "ratio"),
    `evalue_ci` = that of the interval limit closer to 1, `rr`, `rr_ci_low`, `rr_ci_high` the risk ratio
    itself, `model` (adjusted + amo); value null and the reason in `note` when not estimated."""
    records = []
    for r in table.to_dict("records"):
        kind = "pitfall" if r["exposure"] in PITFALL_COLUMNS else "framing"
        records.append(
            dict(
                name=f"sensitivity.{kind}.{r['exposure']}.{r['outcome']}.evalue",
                value=r["evalue"],
                n=int(r["n"]),
                unit="ratio",
                method=translate("ev_method", lang, practice=practice),
                label=translate(
                    "ev_label", lang, label=question_label(r["exposure"], lang), outcome=translate(r["outcome"], lang)
                ),
                evalue_ci=r["evalue_ci"],
                rr=r["estimate"],
                rr_ci_low=r["ci_low"],
                rr_ci_high=r["ci_high"],
                exposure=r["exposure"],
                outcome=r["outcome"],
                model=EVALUE_MODEL,
                note=_note_in(r["note"] or "", lang),
            )
        )
    return records


def evalue_finding(table: pd.DataFrame, lang: str = "en", practice: str = "AMO") -> Finding:
    """The E-value table of notebook 03 (saved as `evalues`, shown in `lang`, see `shown`) with its
    records (`evalue_records`)."""
    finding = shown(table, "evalues", lang)
    return replace(finding, records=evalue_records(table, lang, practice))


def claims_records(claim_table: pd.DataFrame, pitfall_claim_table: pd.DataFrame, lang: str = "en") -> list[dict]:
    """The records of the framing RR claim (`framing.failure_rr.well_framed`, see
    `show_framing.framing_claim_records`) and of the pitfall claims (`pitfalls.<key>`), all on the summary page."""
    return framing_claim_records(claim_table, lang) + _pitfall_claim_records(pitfall_claim_table, lang)


def _pitfall_claim_records(pitfall_claim_table: pd.DataFrame, lang: str) -> list[dict]:
    records = []
    for p in pitfall_claim_table.to_dict("records"):
        drift = (p.get("unit") or "") == "percent change"  # scope creep → drift; else requirements → adoption
        records.append(
            dict(
                name=f"pitfalls.{p['key']}",
                value=p["estimate"],
                ci_low=p.get("ci_low"),
                ci_high=p.get("ci_high"),
                n=int(p.get("n") or 0),
                unit="percent change" if drift else "fraction",
                headline=True,
                verdict=p["verdict"],
                claim=p["claim"],
                claim_key=p["key"],
                label=translate("framing_scope_label" if drift else "framing_req_label", lang),
                method=translate("framing_scope_method" if drift else "framing_req_method", lang),
                note=_note_in(p.get("note", ""), lang),
            )
        )
    return records
