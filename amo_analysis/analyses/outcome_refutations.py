"""Refutation tests of the effects notebook (`02_amo_effects`, section "Could something unmeasured
explain this?"): each refuter of `stats.refuters` run on the log cost and duration ratios and on adoption at
M+3 with the claims check's covariates and assignment design, `REFUTER_DRAWS` draws each: placebo practice
(shuffled across organisations when the design clusters by organisation), random common cause, data subsets
(`SUBSET_FRACTION` of the projects or organisations) and dummy outcome; above `scale.LARGE_N` projects on a
seeded subsample. Each row says, in one sentence in the report's language, what passing or failing means.
Every random step takes the run's `seed`.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from amo_analysis.findings import number_or_none
from amo_analysis.errors import InputError
from amo_analysis.i18n import (
    Message,
    format_number,
    format_percent,
    join_sentences,
    localise,
    translate,
)
from amo_analysis.stats import refuters, scale
from amo_analysis.stats.design import AssignmentDesign

#: draws per refuter: enough for the verdicts, small enough to add well under a second (vectorised OLS)
REFUTER_DRAWS = {"placebo_practice": 200, "random_common_cause": 50, "data_subsets": 100, "dummy_outcome": 100}
#: outcomes the refuters run on (model scale: log ratios, and adoption as a fraction)
REFUTED_OUTCOMES = ("log_cost_ratio", "log_duration_ratio", "adoption_m3")
#: level of the placebo and dummy-outcome tests (as the claims check)
ALPHA = 0.05
#: share of the projects (or organisations) kept by each data-subsets draw
SUBSET_FRACTION = 0.8

# --------------------------------------------------------------------------------------------
# Refuters
# --------------------------------------------------------------------------------------------

REFUTATION_COLUMNS = [
    "outcome",
    "key",
    "estimate",
    "se",
    "refuted_estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "passed",
    "n",
    "draws",
    "stands_out",
    "model_p",
    "shuffled",
    "mean_abs_change_se",
    "same_sign",
    "sd_ratio",
    "unit",
    "share_significant",
    "note",
]


def refute_outcomes(
    data: pd.DataFrame,
    design: AssignmentDesign,
    seed: int = 0,
    *,
    treatment: str = "amo",
    outcomes=REFUTED_OUTCOMES,
    draws=None,
) -> pd.DataFrame:
    """The four refuters (`stats.refuters`) on each outcome of `outcomes`, OLS with `design`'s
    covariates, placebo practices and subsets by organisation when `design` clusters. Seeds: `seed`
    (placebo), `seed` + 1 (common cause), + 2 (subsets), + 3 (dummy outcome), the same for each outcome.
    One row per outcome × refuter (`REFUTATION_COLUMNS`): estimates in outcome units (log ratio or
    fraction), `p_value` (NaN where the refuter has none), `passed`; a refuter that cannot run keeps
    `passed` NA and says why in `note`. Above `scale.LARGE_N` projects, a seeded subsample is used."""
    draws = {**REFUTER_DRAWS, **(draws or {})}
    data, subsample_note = scale.model_rows(data, seed, Message("note_subject_refuters"))
    rows = []
    for outcome in outcomes:
        base = dict.fromkeys(REFUTATION_COLUMNS, np.nan)
        if outcome not in data:
            continue
        frame = data
        clusters = None
        if design.cluster is not None and design.cluster in data:
            clusters = design.cluster
        calls = {
            "placebo_practice": lambda: refuters.placebo_practice(
                frame,
                outcome,
                treatment,
                design.covariates,
                clusters=clusters,
                draws=draws["placebo_practice"],
                seed=seed,
                alpha=ALPHA,
            ),
            "random_common_cause": lambda: refuters.random_common_cause(
                frame, outcome, treatment, design.covariates, draws=draws["random_common_cause"], seed=seed + 1
            ),
            "data_subsets": lambda: refuters.data_subsets(
                frame,
                outcome,
                treatment,
                design.covariates,
                clusters=clusters,
                fraction=SUBSET_FRACTION,
                draws=draws["data_subsets"],
                seed=seed + 2,
            ),
            "dummy_outcome": lambda: refuters.dummy_outcome(
                frame, outcome, treatment, design.covariates, draws=draws["dummy_outcome"], seed=seed + 3, alpha=ALPHA
            ),
        }
        for key, call in calls.items():
            row = {
                **base,
                "outcome": outcome,
                "key": key,
                "passed": pd.NA,
                "draws": draws[key],
                "shuffled": "",
                "unit": "",
                "note": subsample_note or "",
            }
            try:
                r = call()
            except (InputError, np.linalg.LinAlgError) as exc:
                row["note"] = join_sentences([part for part in (row["note"], str(exc)) if part])
                rows.append(row)
                continue
            d = r.details
            row.update(
                estimate=r.estimate,
                se=r.se,
                refuted_estimate=r.refuted_estimate,
                ci_low=r.ci_low,
                ci_high=r.ci_high,
                p_value=r.p_value,
                passed=bool(r.passed),
                n=int(frame[[outcome, treatment, *design.covariates]].dropna().shape[0]),
                draws=int(d.get("draws", draws[key])),
                stands_out=d.get("stands_out", np.nan),
                model_p=d.get("model_p", np.nan),
                shuffled=d.get("shuffled", ""),
                mean_abs_change_se=d.get("mean_abs_change_se", np.nan),
                same_sign=d.get("same_sign", np.nan),
                sd_ratio=d.get("sd_ratio", np.nan),
                unit=("organisations" if clusters is not None else "projects") if key == "data_subsets" else "",
                share_significant=d.get("share_significant", np.nan),
            )
            if key == "data_subsets":
                row["draws"] = int(d.get("usable", draws[key]))
            rows.append(row)
    table = pd.DataFrame(rows, columns=REFUTATION_COLUMNS)
    table["note"] = pd.Series([row["note"] for row in rows], index=table.index, dtype=object)  # keeps i18n.Message
    table["passed"] = table["passed"].astype("boolean")
    return table


_SHUFFLED_KEYS = {
    "across projects": "refute_how_projects",
    "across organisations": "refute_how_organisations",
    "across organisations (all assignments)": "refute_how_organisations_all",
    "within organisations": "refute_how_within",
}


def refutation_sentence(row, lang: str = "en") -> str:
    """What one refuter's result means, in one sentence in `lang` (or why it did not run)."""
    if pd.isna(row["passed"]):
        return translate("refute_not_run", lang, why=localise(row["note"], lang))
    draws = int(row["draws"])
    key = row["key"]
    if key == "placebo_practice":
        how = translate(_SHUFFLED_KEYS[row["shuffled"]], lang) if row["shuffled"] in _SHUFFLED_KEYS else row["shuffled"]
        significant = row["model_p"] <= ALPHA
        case = (
            ("stands_out" if row["stands_out"] else "alarm")
            if significant
            else ("stands_out_not_significant" if row["stands_out"] else "not_significant")
        )
        return translate(
            f"refute_placebo_{case}",
            lang,
            draws=draws,
            how=how,
            p=format_number(row["p_value"], lang, 3),
            share=format_percent(row["p_value"], lang),
        )
    if key == "random_common_cause":
        return translate(
            "refute_common_cause_" + ("pass" if row["passed"] else "fail"),
            lang,
            draws=draws,
            change=format_number(row["mean_abs_change_se"], lang, 2),
            tolerance=format_number(0.25, lang, 2),
        )
    if key == "data_subsets":
        unit = translate(f"refute_unit_{row['unit']}", lang)
        case = "pass" if row["passed"] else ("sign" if row["same_sign"] < 0.9 else "spread")
        return translate(
            f"refute_subsets_{case}",
            lang,
            draws=draws,
            unit=unit,
            fraction=format_percent(SUBSET_FRACTION, lang),
            same_sign=format_percent(row["same_sign"], lang),
            sd_ratio=format_number(row["sd_ratio"], lang, 2),
        )
    return translate(
        "refute_dummy_" + ("pass" if row["passed"] else "fail"),
        lang,
        draws=draws,
        share=format_percent(row["share_significant"], lang),
        alpha=format_percent(ALPHA, lang),
    )


def refutation_display(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Readable refuters' table: outcome, check, result (passed / alarm / not run), p-value, estimate,
    mean refuted estimate (outcome units) and the one-sentence meaning."""

    def result(v):
        return (
            translate("refute_not_run_short", lang)
            if pd.isna(v)
            else translate("refute_passed" if v else "refute_failed", lang)
        )

    return pd.DataFrame(
        {
            translate("pe_measure", lang): table["outcome"].map(lambda o: translate(f"refute_outcome_{o}", lang)),
            translate("refute_check", lang): table["key"].map(lambda k: translate(f"refute_{k}", lang)),
            translate("refute_result", lang): table["passed"].map(result),
            translate("p_value", lang): table["p_value"],
            translate("estimate", lang): table["estimate"],
            translate("refute_refuted_estimate", lang): table["refuted_estimate"],
            translate("meaning", lang): [refutation_sentence(row, lang) for _, row in table.iterrows()],
        }
    )


def refutation_records(table: pd.DataFrame, lang: str = "en") -> list[dict]:
    """The records `refute.<outcome>.<key>` for each refuter row: value = mean refuted estimate (outcome
    units: log ratio or fraction) with the 2.5–97.5 % range of the refuted estimates as ci_low /
    ci_high, `passed` (None when it could not run), `p_value`, `estimate` (the original), label = the
    one-sentence meaning."""
    records = []
    units = {"log_cost_ratio": "log ratio", "log_duration_ratio": "log ratio"}
    for _, row in table.iterrows():
        records.append(
            dict(
                name=f"refute.{row['outcome']}.{row['key']}",
                value=number_or_none(row["refuted_estimate"]),
                ci_low=number_or_none(row["ci_low"]),
                ci_high=number_or_none(row["ci_high"]),
                n=None if pd.isna(row["n"]) else int(row["n"]),
                unit=units.get(row["outcome"], "percentage points"),
                method=translate(f"refute_{row['key']}", lang),
                label=refutation_sentence(row, lang),
                passed=None if pd.isna(row["passed"]) else bool(row["passed"]),
                p_value=number_or_none(row["p_value"]),
                estimate=number_or_none(row["estimate"]),
                draws=None if pd.isna(row["draws"]) else int(row["draws"]),
                note=localise(row["note"], lang),
                headline=False,
            )
        )
    return records
