"""How notebook 04 shows the reference-class forecast (`analyses.forecast`): the forecast as a reader
wants it (`forecast_summary`: one row per quantity, one column per scenario), the paragraph on how it
was computed (`method_paragraph`), the backtest table in the report's language
(`calibration_display`), the fixed-width texts nbval checks (`forecast_text`, `calibration_text`) and
the `forecast.*` records (`forecast_records`). Costs in the portfolio's cost unit, durations in days,
chances, contingencies and shares exceeded as fractions (0.2 = 20 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from amo_analysis.analyses.forecast import (
    FOLDS,
    METHOD_KEYS,
    MIN_COMPARABLE,
    MIN_GROUP_RESIDUALS,
    MIN_REGRESSION,
    ROWS_PER_PARAMETER,
    scenario_group,
)
from amo_analysis.i18n import format_amount, format_number, format_percent, localise, money_decimals, translate
from amo_analysis.stats import scale

#: Headers of the backtest table beyond report.run_context.CANONICAL_COLUMNS: column → translation key,
#: for `ctx.show(..., labels=show_forecast.HEADERS)` (notebook 04)
HEADERS: dict[str, str] = {column: column for column in ("target", "exceeded", "share_exceeded", "expected")}


def scenario_name(amo, practice: str, lang: str) -> str:
    """The scenario's name in `lang`: "with AMO", "without AMO" or "all projects"."""
    group = scenario_group(amo)
    return translate("all_projects" if group == "all" else group, lang, practice=practice)


def calibration_display(table: pd.DataFrame, lang: str = "en", practice: str = "AMO") -> pd.DataFrame:
    """A `calibration` table as notebook 04 shows it: target and group in `lang` (the saved table keeps
    the names cost / duration and all / with / without)."""
    groups = {"all": "all_projects", "with": "with", "without": "without"}
    return table.assign(
        target=[translate(f"fc_{target}", lang) for target in table["target"]],
        group=[translate(groups[group], lang, practice=practice) for group in table["group"]],
    )


def _method_words(method: str, lang: str) -> str:
    """A forecast method's name ("quantile regression", "nearest projects", "none") in `lang`."""
    return translate(METHOD_KEYS[method], lang) if method in METHOD_KEYS else method


def method_paragraph(table: pd.DataFrame, lang: str = "en") -> str:
    """How the forecast was computed, in one paragraph in `lang`, from a `forecast` table."""
    row = table.iloc[0]
    n, method = int(row["n_reference"]), row["method"]
    if method == "quantile regression" and n > scale.LARGE_N:
        how = translate(
            "fc_how_regression_subsample", lang, rows=scale.SUBSAMPLE_ROWS, n=n, rest=n - scale.SUBSAMPLE_ROWS
        )
    elif method == "quantile regression":
        how = translate("fc_how_regression", lang, n=n, folds=FOLDS)
    elif method == "nearest projects":
        how = translate("fc_how_nearest", lang, n=n, min_regression=MIN_REGRESSION, per_parameter=ROWS_PER_PARAMETER)
    else:
        how = translate("fc_how_none", lang)
    sentences = [
        translate(
            "fc_paragraph",
            lang,
            how=how,
            method_duration=_method_words(row["method_duration"], lang),
            n_duration=int(row["n_reference_duration"]),
        )
    ]
    if method == "quantile regression":
        sentences.append(translate("fc_paragraph_groups", lang, min_group=MIN_GROUP_RESIDUALS))
        if bool(table["note"].astype(str).str.contains("pooled", regex=False).any()):
            sentences.append(translate("fc_paragraph_pooled", lang))
    if bool(table["few_comparables"].any()):
        sentences.append(translate("fc_paragraph_few", lang, min_comparable=MIN_COMPARABLE))
    return " ".join(sentences)


def forecast_text(table: pd.DataFrame) -> str:
    """Key columns of a forecast as fixed-width text (3 decimals; amounts with three significant digits,
    whole units from 100 up)."""
    cols = (
        ["project_id", "amo", "method", "n_reference"]
        + [c for c in table.columns if c.startswith("cost_p")]
        + [c for c in table.columns if c.startswith("chance_cost")]
        + ["contingency", "chance_10pct_enough"]
        + [c for c in table.columns if c.startswith("duration_p")]
    )
    shown = table[cols].copy()
    for c in cols:
        if c.startswith(("cost_p", "duration_p")):
            shown[c] = shown[c].map(lambda v: "nan" if not np.isfinite(v) else f"{v:.{money_decimals(v)}f}")
    return shown.to_string(index=False, float_format=lambda v: f"{v:.3f}")


def calibration_text(table: pd.DataFrame) -> str:
    """A calibration table as fixed-width text (3 decimals)."""
    return table.to_string(index=False, float_format=lambda v: f"{v:.3f}")


def forecast_records(
    table: pd.DataFrame,
    calib: pd.DataFrame | None = None,
    lang: str = "en",
    practice: str = "AMO",
    cost_unit: str = "EUR",
) -> list[dict]:
    """The records of notebook 04 (for `ctx.keep`): each scenario's P`accepted_risk` cost and
    contingency (headline) and the chance that budget + 10 % is enough, then the backtest calibration
    of each target and group with projects (`forecast.backtest.<target>.<group>`, headline for "all").
    Labels, methods and notes in `lang`; money in `cost_unit`, other values fractions."""

    def t(key: str, **values) -> str:
        return translate(key, lang, practice=practice, **values)

    records = []
    for r in table.to_dict("records"):
        group = scenario_group(r["amo"])
        label_group = t("all_projects" if group == "all" else group)
        pct = f"p{round(r['accepted_risk'] * 100)}"
        method = t("fc_method", method=_method_words(r["method"], lang), n=r["n_reference"])
        p = pct[1:]
        records += [
            {
                "name": f"forecast.cost_{pct}.{group}",
                "value": r[f"cost_{pct}"],
                "n": r["n_reference"],
                "unit": cost_unit,
                "label": t("fc_cost_label", p=p, scenario=label_group),
                "method": method,
                "headline": True,
                "note": localise(r["note"], lang),
            },
            {
                "name": f"forecast.contingency.{group}",
                "value": r["contingency"],
                "n": r["n_reference"],
                "unit": "fraction",
                "label": t("fc_contingency_label", p=p, scenario=label_group),
                "method": method,
                "headline": True,
            },
            {
                "name": f"forecast.chance_10pct_enough.{group}",
                "value": r["chance_10pct_enough"],
                "n": r["n_reference"],
                "unit": "fraction",
                "label": t("fc_chance_enough_label", scenario=label_group),
                "method": method,
                "headline": False,
            },
        ]
    for r in [] if calib is None else calib.to_dict("records"):
        if r["n"]:
            records.append(
                {
                    "name": f"forecast.backtest.{r['target']}.{r['group']}",
                    "value": r["share_exceeded"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "n": r["n"],
                    "unit": "fraction",
                    "headline": r["group"] == "all",
                    "label": t(
                        "fc_backtest_label",
                        target=t(f"fc_{r['target']}"),
                        p=round(r["quantile"] * 100),
                        expected=format_percent(r["expected"], lang),
                    ),
                    "method": t("fc_backtest_method"),
                }
            )
    return records


def forecast_summary(table: pd.DataFrame, practice: str = "AMO", lang: str = "en") -> pd.DataFrame:
    """The forecast as a reader wants it: one row per quantity, one column per scenario
    (with / without the practice), numbers formatted in the report's language."""
    columns = {}
    for r in table.to_dict("records"):
        name = scenario_name(r["amo"], practice, lang)
        if table["project_id"].nunique() > 1:
            name = f"{r['project_id']} – {name}"
        col = {}
        for c, v in r.items():
            if c == "duration_planned_days":
                col[translate("fc_row_duration_planned", lang)] = format_number(v, lang)
            elif c.startswith(("cost_p", "duration_p")):
                target, quantile = c.split("_")
                shown = format_number(v, lang) if target == "duration" else format_amount(v, lang)
                col[translate(f"fc_row_{target}", lang, p=quantile.upper())] = shown
            elif c == "chance_10pct_enough":
                col[translate("fc_row_10pct_enough", lang)] = format_percent(v, lang)
            elif c.startswith("chance_"):  # chance_<target>_overrun_<threshold %>
                target, threshold = c.removeprefix("chance_").split("_overrun_")
                col[translate(f"fc_row_{target}_overrun", lang, threshold=threshold)] = format_percent(v, lang)
            elif c == "contingency":
                p = round(r.get("accepted_risk", 0.8) * 100)
                col[translate("fc_row_contingency", lang, p=p)] = format_percent(v, lang)
        col[translate("fc_row_reference_projects", lang)] = str(r.get("n_reference", ""))
        col[translate("method", lang)] = _method_words(str(r.get("method", "")), lang)
        columns[name] = col
    out = pd.DataFrame(columns)
    return out.rename_axis("quantity").reset_index()
