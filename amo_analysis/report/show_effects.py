"""How the effects notebook (`02_amo_effects`) shows what `analyses.practice_effects` and
`analyses.claims_check` compute: the sentences on the covariates, the assignment design, the weighting
and the overlap (`covariates_text`, `design_text`, `balance_note`, `overlap_text`), the readable tables
of the estimates, the missing estimates, the claims check and the detectable effects (`*_display`,
`claims_notes`), the fixed-width text nbval checks (`estimates_text`, `claims_text`) and the records
(`effects_records`: `effect.…`, `claim.…`, `mde.…`, `design.share_within_organisations`).

Values are fractions: percent change (−0.18 = 18 % lower) or percentage points (−0.18 = 18 pp lower),
as each row's `scale` says."""

from __future__ import annotations

import math

import pandas as pd

from amo_analysis.analyses.claims_check import primary_rows
from amo_analysis.analyses.practice_effects import AFT_METHOD, MEAN_PCT, PCT, PP, PRIMARY_METHODS, SPECS
from amo_analysis.errors import InputError
from amo_analysis.findings import interval_record, number_or_none
from amo_analysis.i18n import SCALE_KEYS, Message, format_percent, join_sentences, localise, translate
from amo_analysis.report.show_stability import claim_text, stability_record_fields
from amo_analysis.stats import effects
from amo_analysis.stats.design import MIN_ORGANISATIONS_PER_GROUP, AssignmentDesign

__all__ = [
    "UNIT_NAMES",
    "covariates_text",
    "design_text",
    "model_table",
    "design_record",
    "balance_note",
    "overlap_text",
    "effects_records",
    "estimates_display",
    "missing_display",
    "claims_display",
    "detectable_display",
    "estimates_text",
    "claims_text",
    "claims_notes",
]

UNIT_NAMES = {PCT: "pct", PP: "pp", MEAN_PCT: "mean_pct"}  # the scale's part of a record name


def model_table(design: AssignmentDesign, treatment: str = "amo") -> pd.DataFrame:
    """The models notebook 02 fits (`practice_effects.SPECS`), as `estimate_all` is called with this
    design: one row per outcome and scale, with the adjusted model (outcome ~ practice + the design's
    covariates; the raw difference uses none), the methods and the clusters of the standard errors
    (the design's cluster column, or none: independent projects)."""
    terms = " + ".join([treatment, *design.covariates])
    return pd.DataFrame(
        [
            {
                "outcome": spec.outcome,
                "scale": spec.scale,
                "adjusted_model": f"{spec.outcome} ~ {terms}",
                "methods": ", ".join(spec.methods),
                "clusters": design.cluster or "none",
            }
            for spec in SPECS
        ]
    )


def covariates_text(covariates: list[str], given: bool = False, lang: str = "en") -> str:
    """One sentence naming the covariates the adjusted estimates use."""
    names = ", ".join(f"`{c}`" for c in covariates) or translate("none", lang)
    key = "pe_covariates_given" if given else "pe_covariates_default"
    return translate(key, lang, covariates=names)


def design_text(design: AssignmentDesign, lang: str = "en") -> str:
    """The sentence(s) saying which case holds, what is adjusted for and how intervals are computed
    (and, when there are too few organisations, that no verdict can be drawn)."""
    share = format_percent(design.share_within, lang) if math.isfinite(design.share_within) else "–"
    values = {
        "n": design.n_organisations,
        "share": share,
        "n_with": design.n_with,
        "n_without": design.n_without,
        "cluster": design.cluster,
    }
    key = "design_user_cluster" if design.user_cluster else f"design_{design.level}"
    text = translate(key, lang, **values)
    if not design.enough:
        text += " " + translate("design_too_few", lang, minimum=MIN_ORGANISATIONS_PER_GROUP, **values)
    return text


def design_record(design: AssignmentDesign, lang: str = "en") -> dict:
    """The record `design.share_within_organisations`: how the practice is assigned (`design.level`,
    share of projects in organisations where it varies), so that runs can be compared."""
    return dict(
        name="design.share_within_organisations",
        value=None if not math.isfinite(design.share_within) else design.share_within,
        unit="fraction",
        method=design.level,
        n=design.n_organisations,
        label=translate("design_label", lang),
        level=design.level,
        cluster=design.cluster or "",
        organisations_with=design.n_with,
        organisations_without=design.n_without,
        headline=False,
    )


def balance_note(balance: pd.DataFrame) -> str:
    """The sentence shown with a `weighted_balance` table: how it was weighted, or why not."""
    return balance.attrs.get("note") or balance.attrs.get("why", "")


def overlap_text(data: pd.DataFrame, covariates, treatment: str = "amo") -> str:
    """One or two sentences on the common support of the propensity score."""
    try:
        s = effects.overlap_summary(data, treatment, covariates)
    except InputError as exc:
        return Message("pe_overlap_not_assessed", why=str(exc))
    ranges = Message(
        "pe_overlap_ranges",
        treated_min=s["treated_min"],
        treated_max=s["treated_max"],
        control_min=s["control_min"],
        control_max=s["control_max"],
    )
    return join_sentences([s["verdict"], ranges])


def _method_label(method: str, q, lang: str = "en") -> str:
    if method == "quantile":
        return translate("pe_method_quantile", lang, p=round(float(q) * 100))
    return translate(f"pe_method_{method}", lang)


def _scale_label(scale: str, lang: str = "en") -> str:
    return translate(SCALE_KEYS[scale], lang)


def _name(row) -> str:
    q = "" if row["method"] != "quantile" else f"_p{round(float(row['quantile']) * 100)}"
    return f"effect.{row['outcome']}.{row['method']}{q}.{UNIT_NAMES[row['scale']]}"


def _count(value):
    return None if value is None or pd.isna(value) else int(value)


def effects_records(
    estimates: pd.DataFrame,
    claims: pd.DataFrame | None = None,
    detectable: pd.DataFrame | None = None,
    design: AssignmentDesign | None = None,
    lang: str = "en",
    practice: str = "AMO",
) -> list[dict]:
    """The records of every estimate (`effect.…`), claim verdict (`claim.…`) and minimum detectable
    effect (`mde.…`), and, given `design`, how the practice is assigned (`design_record`), first.

    Headline (index.html): the primary adjusted percent changes of cost and duration (OLS) and every
    claim row (with its verdict)."""
    records = [] if design is None else [design_record(design, lang)]
    primary = primary_rows(estimates)
    headline = {
        (r["outcome"], r["method"], r["scale"])
        for _, r in primary.iterrows()
        if r["scale"] == PCT and r["method"] in PRIMARY_METHODS + (AFT_METHOD,)
    }
    for _, row in estimates.iterrows():
        label = (
            f"{translate(row['measure'], lang, practice=practice)} — {_method_label(row['method'], row['quantile'], lang)} "
            f"({_scale_label(row['scale'], lang)})"
        )
        extra = {"note": localise(row["note"], lang)} if row["note"] else {}
        records.append(
            dict(
                name=_name(row),
                value=number_or_none(row["estimate"]),
                ci_low=number_or_none(row["ci_low"]),
                ci_high=number_or_none(row["ci_high"]),
                n=int(row["n"]),
                method=_method_label(row["method"], row["quantile"], lang),
                unit=row["scale"],
                label=label,
                p_value=number_or_none(row["p_value"]),
                headline=(row["outcome"], row["method"], row["scale"]) in headline,
                **extra,
            )
        )
    for _, row in (claims if claims is not None else pd.DataFrame()).iterrows():
        text = claim_text(claims, row, lang)
        label = translate("pe_claim_label", lang, text=text, reading=_scale_label(row["scale"], lang))
        needed = None if pd.isna(row["projects_needed"]) else int(row["projects_needed"])
        records.append(
            interval_record(
                f"claim.{row['claim']}",
                row,
                method=_method_label(row["method"], None, lang) if row["method"] else "",
                unit=row["scale"],
                label=label,
                verdict=row["verdict"],
                claimed=row["claimed"],
                projects_needed=needed,
                organisations_needed=_count(row.get("organisations_needed")),
                assumption=localise(row["assumption"], lang),
                note=localise(row["note"], lang),
                headline=True,
                **stability_record_fields(row),
            )
        )
    for _, row in (detectable if detectable is not None else pd.DataFrame()).iterrows():
        records.append(
            dict(
                name=f"mde.{row['outcome']}.{UNIT_NAMES[row['scale']]}",
                value=number_or_none(row["mde_increase"]),
                n=int(row["n_treated"] + row["n_control"]),
                unit=row["scale"],
                method=translate("pe_mde_method", lang),
                label=f"{translate(row['measure'], lang, practice=practice)} — {translate('pe_mde', lang)} ({_scale_label(row['scale'], lang)})",
                mde_decrease=number_or_none(row["mde_decrease"]),
                note=row["note"],
                headline=False,
            )
        )
    return records


def estimates_display(estimates: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Readable table of the estimates (labels, estimate, interval, n); missing ones show '–'."""
    return pd.DataFrame(
        {
            translate("pe_measure", lang): estimates["measure"].map(lambda m: translate(m, lang)),
            translate("pe_reading", lang): estimates["scale"].map(lambda s: _scale_label(s, lang)),
            translate("method", lang): [
                _method_label(m, q, lang) for m, q in zip(estimates["method"], estimates["quantile"])
            ],
            translate("estimate", lang): estimates["estimate"],
            translate("ci_low", lang): estimates["ci_low"],
            translate("ci_high", lang): estimates["ci_high"],
            "p": estimates["p_value"],
            translate("n", lang): estimates["n"],
        }
    )


def missing_display(estimates: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The estimates that could not be computed, each with the sentence saying why."""
    gone = estimates[estimates["estimate"].isna()]
    return pd.DataFrame(
        {
            translate("pe_measure", lang): gone["measure"].map(lambda m: translate(m, lang)),
            translate("pe_reading", lang): gone["scale"].map(lambda s: _scale_label(s, lang)),
            translate("method", lang): [_method_label(m, q, lang) for m, q in zip(gone["method"], gone["quantile"])],
            translate("pe_why", lang): gone["note"].map(lambda note: localise(note, lang)),
        }
    )


def claims_display(claims: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Readable claims-check table."""
    return pd.DataFrame(
        {
            translate("pe_claim", lang): [claim_text(claims, row, lang) for _, row in claims.iterrows()],
            translate("pe_reading", lang): claims["scale"].map(lambda s: _scale_label(s, lang)),
            translate("pe_claimed", lang): claims["claimed"],
            translate("method", lang): [_method_label(m, None, lang) if m else "–" for m in claims["method"]],
            translate("estimate", lang): claims["estimate"],
            translate("ci_low", lang): claims["ci_low"],
            translate("ci_high", lang): claims["ci_high"],
            translate("n", lang): claims["n"],
            translate("pe_verdict", lang): claims["verdict"].map(lambda v: translate(v, lang)),
            translate("pe_projects_needed", lang): claims["projects_needed"],
            translate("pe_organisations_needed", lang): claims.get(
                "organisations_needed", pd.Series(pd.NA, index=claims.index)
            ),
        }
    )


def detectable_display(detectable: pd.DataFrame, lang: str = "en", practice: str = "AMO") -> pd.DataFrame:
    """Readable minimum-detectable-effect table."""
    return pd.DataFrame(
        {
            translate("pe_measure", lang): detectable["measure"].map(lambda m: translate(m, lang)),
            translate("pe_reading", lang): detectable["scale"].map(lambda s: _scale_label(s, lang)),
            translate("pe_n_with", lang, practice=practice): detectable["n_treated"],
            translate("pe_n_without", lang, practice=practice): detectable["n_control"],
            translate("pe_residual_sd", lang): detectable["residual_sd"],
            translate("pe_mde_decrease", lang): detectable["mde_decrease"],
            translate("pe_mde_increase", lang): detectable["mde_increase"],
        }
    )


def _fixed(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="nan")


def estimates_text(estimates: pd.DataFrame) -> str:
    """Fixed-width text of the estimates (3 decimals) for the notebook's regression check."""
    shown = estimates.assign(
        method=[
            m if m != "quantile" else f"q{round(q * 100)}" for m, q in zip(estimates["method"], estimates["quantile"])
        ],
        scale=estimates["scale"].map(UNIT_NAMES),
    )
    return _fixed(shown[["outcome", "scale", "method", "estimate", "ci_low", "ci_high", "n"]])


def claims_text(claims: pd.DataFrame) -> str:
    """Fixed-width text of the claims check (3 decimals) for the notebook's regression check, with the
    leave-one-out stability and decisive units when the table has them."""
    columns = ["claim", "method", "estimate", "ci_low", "ci_high", "verdict", "projects_needed", "organisations_needed"]
    shown = claims[columns + [c for c in ("stability",) if c in claims]]
    if "decisive" in claims:  # the leave-one-out check (`stability.claims_stability`)
        shown = shown.assign(decisive=claims["decisive"].map(lambda units: ",".join(map(str, units)) or "-"))
    return _fixed(shown)


def claims_notes(claims: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """For each claim with something to add: the power assumption and why a method was replaced
    or an estimate is missing."""
    keep = (claims["assumption"] != "") | (claims["note"] != "")
    part = claims[keep]
    return pd.DataFrame(
        {
            translate("pe_claim", lang): [claim_text(claims, row, lang) for _, row in part.iterrows()],
            translate("pe_reading", lang): part["scale"].map(lambda s: _scale_label(s, lang)),
            translate("pe_assumption", lang): part["assumption"].map(lambda text: localise(text, lang)),
            translate("notes", lang): part["note"].map(lambda note: localise(note, lang)),
        }
    )
