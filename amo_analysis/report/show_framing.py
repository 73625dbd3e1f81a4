"""How notebook 03 shows the tables of `analyses.framing` and `analyses.pitfalls`: their headers
(`HEADERS`), the display step (`shown`: names such as model, outcome, unit, verdict in the report's
language; `localised`: the sentences in that language, as a run saves them), the claim checks and the
reasons of missing estimates as text (`claims_text`, `notes_text`) and the record of the framing claim
(`framing_claim_records`). Risk ratios are plain ratios (1 = no association); shares are fractions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from amo_analysis.analyses.framing import FRAMING_CLAIM, TEXT_COLUMNS
from amo_analysis.findings import Finding, interval_record, passes_unavailable
from amo_analysis.i18n import TRANSLATIONS, localise, translate

__all__ = [
    "HEADERS",
    "MODEL_KEYS",
    "UNIT_KEYS",
    "localised",
    "shown",
    "claims_text",
    "notes_text",
    "framing_claim_records",
]


#: Headers of this module's tables beyond report.run_context.CANONICAL_COLUMNS: column → translation
#: key, for `ctx.show(..., labels=show_framing.HEADERS)` (notebook 03).
HEADERS: dict[str, str] = {
    column: column
    for column in (
        "framing_score",
        "with",
        "without",  # framing_score_distribution
        "question",
        "pitfall",
        "share_all",
        "ci_low_all",
        "ci_high_all",
        "share_with",
        "ci_low_with",
        "ci_high_with",
        "share_without",
        "ci_low_without",
        "ci_high_without",  # answer rates, prevalence
        "exposure",
        "model",
        "n_events",
        "n_exposed",
        "covariates",  # risk ratios
        "measure",
        "meaning",
        "n_with",
        "scale",  # pitfall effects
        "key",
        "claimed_low",
        "claimed_high",
        "threshold",  # claims
    )
} | {"evalue": "ev_evalue", "evalue_ci": "ev_evalue_ci", "all": "framing_col_all"}  # E-values; score distribution


def _note_in(note, lang: str):
    """A row's note in `lang` for its record (an `i18n.Message` translated; a missing note kept as it is)."""
    return localise(note, lang) if isinstance(note, str) else note


#: translation key of each model of the risk-ratio tables (the `model` column keeps the names)
MODEL_KEYS = {
    "crude": "framing_model_crude",
    "adjusted": "framing_model_adjusted",
    "adjusted + amo": "framing_model_adjusted_amo",
    "without amo": "framing_model_without_amo",
    "with amo": "framing_model_with_amo",
    "ratio with/without amo": "framing_model_ratio_amo",
}


#: translation key of each unit or scale of the pitfall tables (`unit`, `scale` keep the names)
UNIT_KEYS = {
    "percent change": "framing_unit_percent_change",
    "percentage points": "framing_unit_percentage_points",
    "fraction": "framing_unit_fraction",
}


def _words(value, keys: dict[str, str] | None, lang: str):
    """A name of a table cell in `lang`: through `keys` (or as a translation key itself when `keys`
    is None); anything else (a missing value, an unknown name) as it is."""
    if not isinstance(value, str):
        return value
    key = value if keys is None else keys.get(value)
    return translate(key, lang) if key in TRANSLATIONS else value


def _covariate_words(value, lang: str):
    if not isinstance(value, str) or not value:
        return value
    return ", ".join(_words(c, {c: f"framing_cov_{c}"}, lang) for c in value.split(", "))


def localised(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """A copy of a table of this module with its sentences (`TEXT_COLUMNS`: notes, meanings, claims'
    measures) in `lang` as plain text: what a run saves. Names (model, outcome, unit…) are kept."""
    out = table.copy()
    for column in TEXT_COLUMNS:
        if column in out:
            out[column] = pd.Series(
                [localise(v, lang) if isinstance(v, str) else v for v in out[column]], index=out.index, dtype=object
            )
    return out


@passes_unavailable
def shown(table: pd.DataFrame, name: str | None = None, lang: str = "en") -> Finding:
    """A table of this module as notebook 03 shows it: saved under `name` with its names (model,
    outcome, covariates, unit, scale, verdict) and its sentences in `lang` (`localised`), shown
    with those names in `lang` too."""
    saved = localised(table, lang)
    out = saved.copy()
    for column, keys in (
        ("model", MODEL_KEYS),
        ("outcome", None),
        ("unit", UNIT_KEYS),
        ("scale", UNIT_KEYS),
        ("verdict", None),
    ):
        if column in out:
            out[column] = pd.Series([_words(v, keys, lang) for v in out[column]], index=out.index, dtype=object)
    if "covariates" in out:
        out["covariates"] = pd.Series(
            [_covariate_words(v, lang) for v in out["covariates"]], index=out.index, dtype=object
        )
    return Finding(out, name=name, labels=HEADERS, saved=saved)


def _fmt(v) -> str:
    return "   nan" if v is None or not np.isfinite(v) else f"{v:.3f}"


def claims_text(framing: pd.DataFrame, pitfalls: pd.DataFrame) -> str:
    """The three claim checks as fixed-width text (3 decimals), for the notebooks' regression check."""
    lines = []
    for table in (framing, pitfalls):
        for r in table.to_dict("records"):
            key = r.get("key", FRAMING_CLAIM.key) if "key" in r else FRAMING_CLAIM.key
            lines.append(
                f"{key:<28} estimate={_fmt(r['estimate'])} ci=[{_fmt(r['ci_low'])}, "
                f"{_fmt(r['ci_high'])}] n={int(r['n'])} verdict={r['verdict']}"
            )
    return "\n".join(lines)


def notes_text(table: pd.DataFrame, lang: str = "en") -> str:
    """The distinct reasons why estimates are missing, in `lang`, one per line ("" when none)."""
    notes = [localise(n, lang) for n in dict.fromkeys(table.get("note", pd.Series(dtype=object)).fillna("")) if n]
    return "\n".join(notes)


def framing_claim_records(claim_table: pd.DataFrame, lang: str = "en") -> list[dict]:
    """The record of the framing RR claim (`framing.failure_rr.well_framed`, on the summary page);
    none when `claim_table` is empty (no framing score)."""
    if claim_table.empty:
        return []
    r = claim_table.iloc[0]
    return [
        interval_record(
            "framing.failure_rr.well_framed",
            r,
            unit="ratio",
            headline=True,
            verdict=r["verdict"],
            claim=r["claim"],
            claim_key=FRAMING_CLAIM.key,
            label=translate("framing_rr_label", lang, threshold=int(r["threshold"])),
            method=translate("framing_rr_method", lang),
            note=_note_in(r["note"], lang),
        )
    ]
