"""Descriptive statistics of a portfolio: what it holds, its data quality, and outcome quantiles.

Fractions throughout (0.27 = 27 % over budget). Every quantile comes with a distribution-free
confidence interval (order statistics, `scipy.stats.quantile_test`), every share with a Wilson
interval (`statsmodels.stats.proportion.proportion_confint`). The tables, sentences, records and
fixed-width text of notebook 01 are in `report.show_overview`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from amo_analysis.ingest.columns import OUTCOME_CLASSES
from amo_analysis.defaults import DEFAULTS
from amo_analysis.i18n import Message, localise, translate
from amo_analysis.ingest.metrics import CENSORING_BOUNDS, censored_outcome
from amo_analysis.ingest.portfolio import Portfolio
from amo_analysis.stats.intervals import quantile_ci, share_ci

OUTCOMES = ("budget_drift", "schedule_slip", "adoption_m3")
TAIL_QUANTILES = (0.5, 0.8, 0.9)


def _group_names(practice: str, lang: str) -> dict:
    return {
        True: translate("with", lang, practice=practice),
        False: translate("without", lang, practice=practice),
        "all": translate("all_projects", lang),
    }


def group_labels(data: pd.DataFrame, practice: str, lang: str = "en") -> pd.Series:
    """'with AMO' / 'without AMO' for each project (the practice column is `amo`); 'all projects' for
    a project whose practice is not known (every project of a portfolio without a practice column)."""
    names = _group_names(practice, lang)
    known = data["amo"].notna().to_numpy()
    labels = data["amo"].astype(object).where(known, "all").map(names)
    return labels


#: the plan and the outcome compared by `exact_plan_table`: (record name, planned, actual)
EXACT_PLAN = (("cost", "budget_planned", "cost_actual"), ("duration", "duration_planned_days", "duration_actual_days"))


def exact_plan_table(data: pd.DataFrame, conf_level: float = DEFAULTS.conf_level) -> pd.DataFrame:
    """Share of finished projects whose outcome equals the plan exactly: final cost = planned budget
    (to a relative 1e-9, so a plan read from text in another rounding still counts) and actual =
    planned duration (days), with its Wilson interval.

    A high share is the signature of plans re-baselined to match reality, which hides overruns: each
    row is `flagged` when the whole interval lies above `DEFAULTS.exact_plan_cost_flag` (cost) or
    `exact_plan_duration_flag` (duration). Columns: name, count, n, share, ci_low, ci_high, threshold,
    flagged; a row with n = 0 has NaN shares and is not flagged.
    """
    thresholds = {"cost": DEFAULTS.exact_plan_cost_flag, "duration": DEFAULTS.exact_plan_duration_flag}
    rows = []
    for name, planned, actual in EXACT_PLAN:
        if planned in data and actual in data:
            plan = data[planned].astype("float64")
            outcome = data[actual].astype("float64")
            known = plan.notna() & outcome.notna()
            equal = known & ((outcome - plan).abs() <= 1e-9 * plan.abs().clip(lower=1))
            count, n = int(equal.sum()), int(known.sum())
        else:
            count = n = 0
        share, low, high = share_ci(count, n, conf_level)
        flagged = bool(n > 0 and low > thresholds[name])
        rows.append(
            {
                "name": name,
                "count": count,
                "n": n,
                "share": share,
                "ci_low": low,
                "ci_high": high,
                "threshold": thresholds[name],
                "flagged": flagged,
            }
        )
    return pd.DataFrame(rows)


#: Whipple's index above which heaping is flagged: 1.75 is the United Nations' "very rough" data
WHIPPLE_FLAG = 1.75
#: drifts in whole percent (besides 0) needed before heaping is assessed
HEAPING_MIN_VALUES = 30


def drift_heaping(data: pd.DataFrame, alpha: float = DEFAULTS.alpha) -> dict:
    """Heaping of budget drift at round percentages (multiples of 5 %), other than 0 (`exact_plan_table`
    covers that): Whipple's index, the demographers' test of digit preference in reported ages (Shryock
    & Siegel, *The Methods and Materials of Demography*; the United Nations grades it), applied to the
    finished projects whose drift is a whole percentage from 1 % to 99 % in absolute value:

        W = (count at multiples of 5 %) ÷ (count of whole percentages ÷ 5)

    1 without any preference, 5 when every such drift is a multiple of 5 %. A binomial test (scipy) of
    the count at multiples of 5 against 1/5 gives `p_value`; `flagged` when W > `WHIPPLE_FLAG` and p <
    `alpha`, with at least `HEAPING_MIN_VALUES` whole-percentage drifts. Returns value (W, None when
    not assessed), n (whole-percentage drifts), count, p_value, flagged."""
    if "budget_drift" not in data:
        return {"value": None, "n": 0, "count": 0, "p_value": None, "flagged": False}
    pct = data["budget_drift"].astype("float64").dropna().to_numpy() * 100
    whole = np.abs(pct - np.round(pct)) < 1e-6
    pct = np.abs(np.round(pct[whole]))
    pct = pct[(pct >= 1) & (pct <= 99)]
    n, count = len(pct), int((pct % 5 == 0).sum())
    if n < HEAPING_MIN_VALUES:
        return {"value": None, "n": n, "count": count, "p_value": None, "flagged": False}
    whipple = count / (n / 5)
    p_value = float(stats.binomtest(count, n, 0.2, alternative="greater").pvalue)
    return {
        "value": whipple,
        "n": n,
        "count": count,
        "p_value": p_value,
        "flagged": whipple > WHIPPLE_FLAG and p_value < alpha,
    }


def censored_quantile_rows(values, observed, quantiles=TAIL_QUANTILES, conf_level: float = 0.95) -> list[dict]:
    """Quantiles of an outcome (fraction: 0.30 = 30 % over plan) whose running projects are
    right-censored (`observed` False: the outcome is at least the value), one dict per quantile with
    estimate, ci_low, ci_high, n, n_running, method ("exact" or the Kaplan–Meier method of
    `stats.survival.censored_quantiles`) and note ("" or an `i18n.Message` saying why a value or an
    end is missing).

    Without a running project this is `quantile_ci` (exact order-statistic interval), so a portfolio
    of finished projects keeps its figures; with some, the Kaplan–Meier quantile of 1 + outcome (the
    duration or cost ratio, shifted by 1 so that a drift of −100 % stays positive: quantiles and their
    Brookmeyer–Crowley ends are observed values, so the shift is exact) minus 1."""
    values = np.asarray(values, dtype="float64")
    observed = np.asarray(observed, dtype=bool)
    n, n_running = len(values), int((~observed).sum())
    if n_running == 0:
        rows = []
        for q in quantiles:
            est, low, high = quantile_ci(values, q, conf_level)
            rows.append(dict(estimate=est, ci_low=low, ci_high=high, n=n, n_running=0, method="exact", note=""))
        return rows
    from amo_analysis.stats.survival import censored_quantiles

    table = censored_quantiles(values + 2.0, observed, probs=tuple(quantiles), conf_level=conf_level)
    return [
        dict(
            estimate=row.value - 2.0,
            ci_low=row.ci_low - 2.0,
            ci_high=row.ci_high - 2.0,
            n=int(row.n),
            n_running=int(row.n_running),
            method=row.method,
            note=row.note,
        )
        for row in table.itertuples(index=False)
    ]


def outcome_quantiles(
    data: pd.DataFrame, outcome: str, by: str | None = "amo", quantiles=TAIL_QUANTILES, conf_level: float = 0.95
) -> pd.DataFrame:
    """Quantiles of `outcome` (overall and per value of `by`) with their intervals, counting the
    projects still running at the as-of date as right-censored (`metrics.censored_outcome`,
    `censored_quantile_rows`).

    Columns: group, quantile, estimate, ci_low, ci_high, n (projects counted, running ones
    included), n_running, method, note. `group` is "all" or the value of `by`.
    """
    sample = censored_outcome(data, outcome)
    groups = [("all", sample)]
    if by is not None:
        keys = data.loc[sample.index, by]
        groups += [(key, sample[(keys == key).fillna(False).to_numpy(bool)]) for key in sorted(keys.dropna().unique())]
    uncounted = uncounted_running(data, outcome)
    rows = []
    for key, part in groups:
        found = censored_quantile_rows(part["value"], part["observed"], quantiles, conf_level)
        left_out = int(uncounted.sum()) if key == "all" else int((uncounted & (data[by] == key).fillna(False)).sum())
        for q, row in zip(quantiles, found):
            if left_out and not row["note"]:
                row["note"] = Message(f"note_running_uncounted_{outcome}", n=left_out)
            rows.append({"group": key, "quantile": q, **row})
    table = pd.DataFrame(rows)
    # object dtype: a string column would turn the notes (i18n.Message) into plain English str
    table["note"] = pd.Series([row["note"] for row in rows], index=table.index, dtype=object)
    return table


def uncounted_running(data: pd.DataFrame, outcome: str) -> pd.Series:
    """True for a running project whose `outcome` is unknown and cannot be bounded either (for
    budget drift: no spend to date; for schedule slip: no start date or planned duration), so the
    quantiles leave it out; all False for an outcome without censoring (adoption)."""
    if outcome not in CENSORING_BOUNDS or "running" not in data:
        return pd.Series(False, index=data.index)
    counted = data.index.isin(censored_outcome(data, outcome).index)
    return data["running"].fillna(False).astype(bool) & ~counted


def outcome_class_table(data: pd.DataFrame, by: str = "amo", conf_level: float = 0.95) -> pd.DataFrame:
    """Counts and shares (Wilson CI) of successful / challenged / failed per group."""
    rows = []
    known = data.loc[data["outcome_class"].notna(), [by, "outcome_class"]]  # not every column: 10⁶ rows
    for key, part in [("all", known)] + list(known.groupby(by, sort=True)):
        n = len(part)
        for cls in OUTCOME_CLASSES:
            count = int((part["outcome_class"] == cls).sum())
            share, low, high = share_ci(count, n, conf_level)
            rows.append(
                {
                    "group": key,
                    "outcome_class": cls,
                    "count": count,
                    "n": n,
                    "share": share,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows)


def tail_table(data: pd.DataFrame, outcomes=OUTCOMES, quantiles=TAIL_QUANTILES) -> pd.DataFrame:
    """Median and tail quantiles of each outcome, overall and per practice group, with their intervals
    (`outcome_quantiles`: running projects right-censored where the export allows)."""
    parts = [
        outcome_quantiles(data, o, "amo", quantiles).assign(outcome=o)
        for o in outcomes
        if o in data and data[o].notna().any()
    ]
    table = pd.concat(parts, ignore_index=True)
    return table[["outcome", "group", "quantile", "estimate", "ci_low", "ci_high", "n", "n_running", "method", "note"]]


def label_groups(table: pd.DataFrame, practice: str, lang: str = "en") -> pd.DataFrame:
    """Replace the True/False/"all" group keys of a table by readable labels (and its notes, if any,
    by their text in `lang`)."""
    labels = _group_names(practice, lang)
    notes = {"note": table["note"].map(lambda v: localise(v, lang))} if "note" in table else {}
    return table.assign(group=table["group"].map(lambda g: labels.get(g, g)), **notes)


def headline_counts(portfolio: Portfolio) -> str:
    """One line with the counts a reader checks first (used as a regression check of the sample)."""
    d = portfolio.data
    finished = int(d["cost_actual"].notna().sum())
    return (
        f"projects={len(d)} with_{portfolio.practice_name}={int(d['amo'].sum())} "
        f"finished={finished} excluded={len(portfolio.excluded_rows)} "
        f"personal_columns_dropped={len(portfolio.personal_columns)}"
    )
