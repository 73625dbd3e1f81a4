"""How the effects notebook (`02_amo_effects`) shows `analyses.outcome_refutations.refute_outcomes`'s
table: what each refuter's result means in one sentence (`refutation_sentence`), the readable table
(`refutation_display`) and the records `refute.<outcome>.<key>` (`refutation_records`).

Estimates are in outcome units: log ratios for the cost and duration ratios, fractions (percentage
points) for adoption at M+3; p-values and shares are fractions."""

from __future__ import annotations

import pandas as pd

from amo_analysis.analyses.outcome_refutations import ALPHA, SUBSET_FRACTION
from amo_analysis.findings import interval_record, number_or_none
from amo_analysis.i18n import format_number, format_percent, localise, translate

__all__ = ["refutation_sentence", "refutation_display", "refutation_records"]

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
            interval_record(
                f"refute.{row['outcome']}.{row['key']}",
                row,
                value="refuted_estimate",
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
