"""How the effects notebook (`02_amo_effects`) shows `analyses.claims_sensitivity.claims_sensitivity`'s
result: one plain sentence per claim reading (`sentence`, `sentences`, `sentences_markdown`: robust,
direction only, fragile, uncertain, unanchored or not assessed), the readable table
(`sensitivity_display`), the fixed-width text nbval checks (`sensitivity_text`) and the records
(`sensitivity_records`: `sensitivity.<claim>…`).

Robustness values and partial R² are fractions of residual variance; E-values are on the risk-ratio
scale (≥ 1); estimates and bounds are on the reading's own scale (percent change or percentage points,
fractions)."""

from __future__ import annotations

import pandas as pd

from amo_analysis.analyses.claims_sensitivity import (
    DIRECTION,
    FRAGILE,
    NOT_ASSESSED,
    ROBUST,
    UNANCHORED,
    UNCERTAIN,
    ClaimsSensitivity,
)
from amo_analysis.analyses.practice_effects import PP
from amo_analysis.findings import interval_record, number_or_none
from amo_analysis.i18n import SCALE_KEYS, TRANSLATIONS, format_percent, format_points, translate

__all__ = [
    "sentence",
    "sentences",
    "sentences_markdown",
    "sensitivity_display",
    "sensitivity_text",
    "sensitivity_records",
]


def _share_text(value: float, lang: str) -> str:
    """A share of residual variance as a percentage, one decimal below 10 %."""
    return format_percent(value, lang, decimals=0 if value >= 0.095 else 1)


def _reading_value(value: float, scale_name: str, lang: str) -> str:
    if scale_name == PP:
        return format_points(value, lang)
    return format_percent(value, lang, decimals=0 if abs(value) >= 0.095 else 1, signed=True)


def _benchmark_words(name: str, lang: str) -> str:
    key = f"sens_benchmark_{name}"
    return translate(key, lang) if key in TRANSLATIONS else f"`{name}`"


_VERDICT_KEYS = {
    ROBUST: "sens_robust",
    DIRECTION: "sens_direction",
    FRAGILE: "sens_fragile",
    UNCERTAIN: "sens_uncertain",
    UNANCHORED: "sens_unanchored",
}


def sentence(row, lang: str = "en") -> str:
    """The plain sentence of one `summary` row in `lang`, e.g. "Robust: an unmeasured factor would have
    to explain more than 18 % of what is left of both the practice and the cost drift to erase the
    estimate (−14 %, relative change) — more than the budget does (4 %)."."""
    if row["verdict"] == NOT_ASSESSED:
        return translate(
            "sens_not_assessed",
            lang,
            about=translate(f"sens_about_{row['measure']}", lang),
            reading=translate(SCALE_KEYS[row["scale"]], lang),
            why=row["note"],
        )
    values = {
        "rv": _share_text(row["rv"], lang),
        "rv_alpha": _share_text(row["rv_alpha"], lang),
        "outcome": translate(f"sens_outcome_{row['measure']}", lang),
        "estimate": _reading_value(row["estimate"], row["scale"], lang),
        "reading": translate(SCALE_KEYS[row["scale"]], lang),
        "benchmark": _benchmark_words(row["benchmark"], lang) if row["benchmark"] else "",
        "share": _share_text(row["benchmark_share"], lang) if row["benchmark"] else "",
    }
    return translate(_VERDICT_KEYS[row["verdict"]], lang, **values)


def sentences(result: ClaimsSensitivity, lang: str = "en") -> list[str]:
    """One sentence per claim reading, in `summary` order."""
    return [sentence(row, lang) for _, row in result.summary.iterrows()]


def sentences_markdown(result: ClaimsSensitivity, lang: str = "en") -> str:
    """The sentences as a Markdown list, each after its claim and reading (or why there is none)."""
    if result.summary.empty:
        return translate("sens_nothing", lang)
    lines = []
    for _, row in result.summary.iterrows():
        key = "claim_" + row["claim"].split(".")[0]
        text = translate(key, lang) if key in TRANSLATIONS else row["text"]
        head = translate("pe_claim_label", lang, text=text, reading=translate(SCALE_KEYS[row["scale"]], lang))
        lines.append(f"- **{head}** — {sentence(row, lang)}")
    return "\n".join(lines)


def sensitivity_display(result: ClaimsSensitivity, lang: str = "en") -> pd.DataFrame:
    """Readable table: claim, reading, estimate, partial R², RV, RV at 5 %, E-value (point and
    interval), strongest benchmark and its share, verdict (fractions shown as numbers, 3 decimals)."""
    s = result.summary
    return pd.DataFrame(
        {
            translate("pe_measure", lang): s["measure"].map(lambda m: translate(m, lang)),
            translate("pe_reading", lang): s["scale"].map(lambda v: translate(SCALE_KEYS[v], lang)),
            translate("estimate", lang): s["estimate"],
            translate("sens_partial_r2", lang): s["partial_r2"],
            translate("sens_rv", lang): s["rv"],
            translate("sens_rv_alpha", lang): s["rv_alpha"],
            translate("sens_evalue", lang): s["evalue"],
            translate("sens_evalue_ci", lang): s["evalue_ci"],
            translate("sens_strongest", lang): [_benchmark_words(b, lang) if b else "–" for b in s["benchmark"]],
            translate("sens_strongest_share", lang): s["benchmark_share"],
            translate("pe_verdict", lang): s["verdict"].map(
                lambda v: translate(f"sens_verdict_{v.replace(' ', '_')}", lang)
            ),
        }
    )


def sensitivity_text(result: ClaimsSensitivity, refutations: pd.DataFrame | None = None) -> str:
    """Fixed-width text of the sensitivity numbers (3 decimals) and the refuters' verdicts, for the
    notebook's regression check."""
    s = result.summary[
        [
            "claim",
            "coefficient",
            "t",
            "dof",
            "partial_r2",
            "rv",
            "rv_alpha",
            "evalue",
            "benchmark",
            "benchmark_share",
            "verdict",
        ]
    ]
    text = s.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="nan")
    if refutations is not None and not refutations.empty:
        r = refutations[["outcome", "key", "passed", "p_value"]]
        text += "\n" + r.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="nan")
    return text


def sensitivity_records(result: ClaimsSensitivity, lang: str = "en") -> list[dict]:
    """The records, for each claim reading `<claim>` (e.g. `amo_budget_drift.relative`):

    * `sensitivity.<claim>` (headline): value = RV (fraction), label = the plain sentence, `robustness`
      = robust / direction only / fragile / uncertain / unanchored / not assessed, `benchmark`, `benchmark_share`;
    * `sensitivity.<claim>.rv`, `.rv_alpha`, `.partial_r2` (fractions of residual variance);
    * `sensitivity.<claim>.evalue` (risk-ratio scale; `evalue_ci` for the interval, `d`);
    * `sensitivity.<claim>.bound.<benchmark>.<k>x`: the estimate on the reading's scale (its `unit`)
      with its 95 % interval had a confounder k times as strong as the benchmark been adjusted for."""
    records = []
    method = translate("sens_method", lang)
    for _, row in result.summary.iterrows():
        name = f"sensitivity.{row['claim']}"
        n = int(row["n"]) if row["n"] else None
        records.append(
            dict(
                name=name,
                value=number_or_none(row["rv"]),
                n=n,
                unit="fraction",
                method=method,
                label=sentence(row, lang),
                robustness=row["verdict"],
                benchmark=row["benchmark"],
                benchmark_share=number_or_none(row["benchmark_share"]),
                note=row["note"],
                headline=True,
            )
        )
        if row["verdict"] == NOT_ASSESSED:
            continue
        about = f"{translate(row['measure'], lang)} ({translate(SCALE_KEYS[row['scale']], lang)})"
        for part, key, unit in (
            ("rv", "sens_rv", "fraction"),
            ("rv_alpha", "sens_rv_alpha", "fraction"),
            ("partial_r2", "sens_partial_r2", "fraction"),
        ):
            records.append(
                dict(
                    name=f"{name}.{part}",
                    value=number_or_none(row[part]),
                    n=n,
                    unit=unit,
                    method=method,
                    label=f"{translate(key, lang)} — {about}",
                    t=number_or_none(row["t"]),
                    dof=number_or_none(row["dof"]),
                    headline=False,
                )
            )
        records.append(
            dict(
                name=f"{name}.evalue",
                value=number_or_none(row["evalue"]),
                n=n,
                unit="ratio",
                method=translate("sens_evalue_method", lang),
                label=f"{translate('sens_evalue', lang)} — {about}",
                evalue_ci=number_or_none(row["evalue_ci"]),
                d=number_or_none(row["d"]),
                headline=False,
            )
        )
    for _, b in result.bounds[result.bounds["k"] > 0].iterrows():
        label = translate(
            "sens_bound_label",
            lang,
            k=f"{b['k']:g}",
            benchmark=_benchmark_words(b["benchmark"], lang),
            about=f"{translate(b['measure'], lang)} ({translate(SCALE_KEYS[b['scale']], lang)})",
        )
        extra = {"note": b["note"]} if b["note"] else {}
        records.append(
            interval_record(
                f"sensitivity.{b['claim']}.bound.{b['benchmark']}.{b['k']:g}x",
                b,
                n=None,
                unit=b["scale"],
                method=method,
                label=label,
                r2dz_x=number_or_none(b["r2dz_x"]),
                r2yz_dx=number_or_none(b["r2yz_dx"]),
                reaches_zero=bool(b["reaches_zero"]),
                headline=False,
                **extra,
            )
        )
    return records
