"""How notebook 05 shows the ROI simulation (`analyses.roi`) and the published example
(`analyses.roi_example`): the ROI table with its records and the sentence on the run
(`summary_finding`), the table with adoption's value (`adoption_value_finding`), the published
example's readings and assumptions in the report's language (`published_example_display`,
`assumptions_display`), the sentence beside the estimate on its covariates and notebook 02's
(`covariates_note`) and the fixed-width texts nbval checks (`summary_text`, `assumptions_text`).
Money in the run's cost unit; shares and drifts as fractions (0.10 = 10 %); "pp" = percentage points.
"""

from __future__ import annotations

import pandas as pd

from amo_analysis.analyses.roi import RoiResult, effects_covariates, run_note
from amo_analysis.findings import Finding, Unavailable, interval_record, passes_unavailable
from amo_analysis.i18n import localise, translate

#: Headers of the ROI tables beyond report.run_context.CANONICAL_COLUMNS: column → translation
#: key, for `ctx.show(..., labels=show_roi.HEADERS)` (notebook 05)
HEADERS: dict[str, str] = {
    column: column
    for column in (
        "name",  # RoiResult.summary_frame
        "net_reading",
        "gross_reading",  # decode_published_example
        "assumption",
        "implied_net",
        "verdict_net",
        "implied_gross",
        "verdict_gross",  # example_vs_portfolio
    )
}

#: locale key of each quantity of the published example (`roi_example.DECODED_UNITS`) and of each unit, for display
QUANTITY_KEYS: dict[str, str] = {
    "fee": "roi_q_fee",
    "fee share of the budget": "roi_q_fee_share",
    "total cost without the practice": "roi_q_total_without",
    "cost with the practice, fee excluded": "roi_q_cost_with_fee_excluded",
    "total cost with the practice, fee included": "roi_q_total_with_fee_included",
    "baseline drift without the practice": "roi_q_baseline_drift",
    "residual drift with the practice": "roi_q_residual_drift",
    "drift cut, in points": "roi_q_drift_cut_points",
    "relative drift cut": "roi_q_relative_drift_cut",
    "gross drift prevented": "roi_q_gross_prevented",
    "net saving": "roi_q_net_saving",
    "gross drift prevented per unit of fee": "roi_q_gross_per_fee",
    "net saving per unit of fee": "roi_q_net_per_fee",
}
UNIT_KEYS: dict[str, str] = {
    "cost": "roi_unit_cost",
    "fraction": "roi_unit_fraction",
    "pp (as a fraction)": "roi_unit_pp",
    "ratio": "roi_unit_ratio",
}


def _words(values: pd.Series, keys: dict[str, str], lang: str) -> list[str]:
    return [translate(keys[v], lang) if v in keys else v for v in values]


def published_example_display(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """`decode_published_example`'s table as a reader sees it: quantities and units in `lang` (the
    saved table keeps the identifiers)."""
    shown = table.copy()
    shown["quantity"] = _words(table["quantity"], QUANTITY_KEYS, lang)
    shown["unit"] = _words(table["unit"], UNIT_KEYS, lang)
    return shown


def assumptions_display(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """`example_vs_portfolio`'s table as a reader sees it: assumptions, verdicts and units in `lang`
    (the saved table keeps the identifiers)."""
    shown = table.copy()
    shown["assumption"] = _words(table["assumption"], QUANTITY_KEYS, lang)
    for column in ("verdict_net", "verdict_gross"):
        shown[column] = [translate(v, lang) for v in table[column]]
    shown["unit"] = _words(table["unit"], UNIT_KEYS, lang)
    return shown


def adoption_value_records(table: pd.DataFrame, lang: str = "en") -> list[dict]:
    """The records `roi.with_adoption.<name>` of `with_adoption_value` rows, when a value per adoption
    point was given (not headline: an assumption of the user's, said in `assumption`)."""
    records = []
    for row in table.to_dict("records"):
        records.append(
            interval_record(
                f"roi.with_adoption.{row['name']}",
                row,
                value="value",
                unit=row["unit"],
                label=row["label"],
                method=translate("m_roi", lang),
                assumption=table.attrs.get("assumption", ""),
                headline=False,
            )
        )
    return records


def adoption_value_finding(table: pd.DataFrame, lang: str = "en") -> Finding:
    """The table of the ROI with adoption's value (saved as `roi_with_adoption`), its records and the
    sentence stating the user's assumption; when no value was given, the empty table says why."""
    return _roi_finding(
        table, "roi_with_adoption", adoption_value_records(table, lang), table.attrs.get("assumption", "")
    )


def describe_run(result: RoiResult, lang: str = "en") -> str:
    """One sentence: the fee used and what the simulation rests on (`run_note` in `lang`)."""
    return localise(run_note(result), lang)


def summary_records(summary: pd.DataFrame, lang: str = "en") -> list[dict]:
    """The records `roi.<name>` of each row of `RoiResult.summary_frame` (value, interval, n, unit, label);
    the saving, drift prevented per unit of fee and chance of paying for itself on the summary page."""
    headline = ("saving", "prevented_per_euro", "p_pays_for_itself")
    return [
        dict(
            name=f"roi.{row['name']}",
            value=row["value"],
            ci_low=row.get("ci_low"),
            ci_high=row.get("ci_high"),
            n=row.get("n"),
            unit=row.get("unit", ""),
            label=row.get("label", row["name"]),
            method=translate("m_roi", lang),
            headline=row["name"] in headline,
        )
        for row in summary.to_dict("records")
    ]


@passes_unavailable
def summary_finding(result: RoiResult, lang: str = "en") -> Finding:
    """The ROI table of notebook 05 (saved as `roi`), its records and the sentence on the run."""
    summary = result.summary_frame(lang)
    return _roi_finding(summary, "roi", summary_records(summary, lang), describe_run(result, lang))


def _roi_finding(table: pd.DataFrame, name: str, records: list[dict], text) -> Finding:
    """An ROI table as notebook 05 shows it (saved as `name`): money with 2 decimals, the ROI headers."""
    return Finding(table, name=name, decimals=2, labels=HEADERS, records=records, text=text)


def covariates_note(result: RoiResult | Unavailable | None, data: pd.DataFrame, lang: str = "en") -> str | None:
    """One or two sentences beside the ROI estimate: the covariates it adjusts for, those notebook 02
    adjusts for with its default parameters (`roi.effects_covariates`), and why they differ
    (`roi.roi_covariates`); whether the `project_type` parameter is used. None when the simulation did
    not run (its cell already says why)."""
    if not result:
        return None
    effects = effects_covariates(data)
    roi = list(result.covariates)
    none = translate("none", lang)
    if roi == list(effects):
        text = translate("roi_covariates_same", lang, covariates=", ".join(roi) or none)
    else:
        text = translate(
            "roi_covariates_differ",
            lang,
            covariates=", ".join(roi) or none,
            effects=", ".join(effects) or none,
            n_bootstrap=result.n_bootstrap,
        )
    if "project_type" not in roi:
        text += " " + translate("roi_covariates_type_unused", lang)
    return text


def summary_text(result: RoiResult | Unavailable | None) -> str:
    """The ROI summary as fixed-width text (3 decimals), or why there is none."""
    if not result:  # None or Unavailable
        return "not estimated"
    table = result.summary_frame()[["name", "value", "ci_low", "ci_high"]]
    return table.to_string(index=False, float_format=lambda v: f"{v:.3f}")


def assumptions_text(table: pd.DataFrame) -> str:
    """`example_vs_portfolio` as fixed-width text (3 decimals)."""
    return table[["assumption", "implied_net", "verdict_net", "implied_gross", "verdict_gross", "estimate"]].to_string(
        index=False, float_format=lambda v: f"{v:.3f}"
    )
