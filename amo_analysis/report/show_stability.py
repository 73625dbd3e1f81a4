"""The leave-one-out check of a claim in words (`analyses.stability`): "without project PRJ-0041 the
verdict would be *supported*", in the report's language, for a claim record or a row of the claims
table alike (both carry `stability`, `decisive`, `decisive_kind`, `decisive_hidden`,
`decisive_verdict`, `loo_low`, `loo_high`). The leave-one-out range is on the reading's scale: a
fraction shown as a percentage, or percentage points."""

from __future__ import annotations

import math

import pandas as pd

from amo_analysis.findings import number_or_none
from amo_analysis.i18n import SCALE_KEYS, TRANSLATIONS, format_percent, format_points, localise, translate
from amo_analysis.stats.claims import stability_message

__all__ = ["stability_sentence", "stability_markdown", "claims_stability_text", "claim_text", "stability_record_fields"]


def _value(value, unit: str, lang: str, format_value) -> str:
    if format_value is not None:
        return format_value(value, unit, lang)
    return format_points(value, lang) if unit == "percentage points" else format_percent(value, lang)


def stability_sentence(rec, lang: str = "en", format_value=None, stable_too: bool = True) -> str:
    """One sentence on what leaving one project (or organisation) out does to the verdict; "" when the
    record has no leave-one-out fields, or when it is stable and `stable_too` is False.
    `format_value(value, unit, lang)` writes the leave-one-out range (default: a percentage)."""
    stability = rec.get("stability") if hasattr(rec, "get") else None
    if not isinstance(stability, str) or not stability:
        return ""
    if stability == "stable":
        low, high = rec.get("loo_low"), rec.get("loo_high")
        if not stable_too or low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
            return ""
        unit = str(rec.get("unit") or rec.get("scale") or "")
        return translate(
            "loo_stable",
            lang,
            low=_value(low, unit, lang, format_value),
            high=_value(high, unit, lang, format_value),
        )
    return localise(stability_message(rec) or "", lang)


def stability_markdown(claims: pd.DataFrame, lang: str = "en", text=None, reading=None) -> str:
    """A markdown list, one line per claim reading of a claims table with the leave-one-out columns:
    the claim's text (`text(row)`, default its key), its reading (`reading(row)`) and the sentence."""
    lines = []
    for _, row in claims.iterrows():
        sentence = stability_sentence(row, lang)
        if not sentence:
            continue
        claim = text(row) if text is not None else str(row["claim"])
        shown = reading(row) if reading is not None else str(row.get("scale", ""))
        lines.append("- " + translate("loo_claim", lang, claim=claim, reading=shown, sentence=sentence))
    return "\n".join(lines)


def claims_stability_text(claims: pd.DataFrame, lang: str = "en") -> str:
    """`stability_markdown` of notebook 02's claims check (claims in the report's words)."""
    return stability_markdown(
        claims,
        lang,
        text=lambda row: claim_text(claims, row, lang),
        reading=lambda row: translate(SCALE_KEYS[row["scale"]], lang),
    )


def claim_text(claims: pd.DataFrame, row, lang: str = "en") -> str:
    """The text of a claim row of `claims_check` in `lang`: the headline figure's own words where the
    locale files have them (`claim_<key>`), else the claim's paraphrase in `lang` (the register's or a
    claims file's), else its text as written."""
    claim_key = "claim_" + str(row["claim"]).split(".")[0]
    own = claims.attrs.get("paraphrases", {}).get(row["claim"], {}).get(lang)
    return translate(claim_key, lang) if claim_key in TRANSLATIONS else own or localise(row["text"], lang)


def stability_record_fields(row, *, refits: bool = False) -> dict:
    """The leave-one-out fields of a claim's record (`analyses.stability`, `analyses.article_stability`;
    none when the row has no `stability`): `stability` ("stable", "rests on one project", "rests on one
    organisation", "not assessed"), `decisive` (project ids or public organisation names, at most 5),
    `decisive_kind`, `decisive_hidden` (decisive organisations not named), `decisive_verdict`, `loo_low` /
    `loo_high` (the reading's scale) and, with `refits`, `n_refits` (exact refits made)."""
    if "stability" not in row or not isinstance(row["stability"], str):
        return {}
    fields = dict(
        stability=row["stability"],
        decisive=[str(u) for u in row["decisive"]],
        decisive_kind=row["decisive_kind"] or None,
        decisive_hidden=int(row["decisive_hidden"]),
        decisive_verdict=row["decisive_verdict"] or None,
        loo_low=number_or_none(row["loo_low"]),
        loo_high=number_or_none(row["loo_high"]),
    )
    return fields | ({"n_refits": int(row["n_refits"])} if refits else {})
