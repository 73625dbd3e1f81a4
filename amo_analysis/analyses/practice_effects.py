"""What the practice is associated with in one portfolio: every effect estimate, the claims check,
detectable effects and the records of the effects notebook (`02_amo_effects`).

Effects are treated − untreated ("with the practice" − "without"), adjusted for measured
pre-treatment covariates: associations, not proof of causation. Two readings per outcome:

* **percent change** (relative): budget drift and schedule slip as the change of actual/planned,
  exp(effect on ln(actual/planned)) − 1 (−0.18 = final cost 18 % lower relative to plan);
  adoption as a ratio of mean adoption − 1 (log-linear model);
* **percentage points**: the plain difference of budget drift, schedule slip or adoption at M+3
  (fractions: −0.18 = 18 pp lower);
* **relative change of the mean** (drift and slip): adjusted mean drift with ÷ without − 1
  (−0.18 = the mean drift is 18 % lower, e.g. 25 % → 20.5 %), from the OLS fit of the drift with
  Fieller's interval.

The claims check draws its verdicts from regression adjustment (OLS) with HC2 — CR2 when errors are
clustered by organisation — and Bell–McCaffrey degrees of freedom: the inference whose false-alarm
rate the test suite measures on 24-project and organisation-level null portfolios (`design` decides
the covariates and the clustering). AIPW, IPW, the raw difference and the quantile regressions are
shown beside it as checks.

All numbers are fractions. Every estimator call is wrapped: when the data cannot support an
estimate the row keeps a NaN estimate and one sentence in `note` saying why.

Size: over 600 lines because the covariates, the estimates of every method, the claims check that
reads them and their records and tables share one table layout (`ESTIMATE_COLUMNS`); the estimators
themselves are in `stats.effects`, the sensitivity and refutations in their own modules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from amo_analysis.stats import claims as claims_mod
from amo_analysis.analyses import overview
from amo_analysis.ingest import metrics
from amo_analysis.stats import effects
from amo_analysis.stats.effects.aft import aft_effect
from amo_analysis.stats import power
from amo_analysis.stats.design import MIN_ORGANISATIONS_PER_GROUP, AssignmentDesign, assignment_design
from amo_analysis.findings import number_or_none
from amo_analysis.errors import InputError
from amo_analysis.i18n import SCALE_KEYS, TRANSLATIONS, Message, format_percent, join_sentences, localise, translate
from amo_analysis.ingest.model_columns import default_covariates, with_model_columns

__all__ = [
    "SPECS",
    "ESTIMATE_COLUMNS",
    "resolve_covariates",
    "covariates_text",
    "design_for",
    "design_text",
    "design_record",
    "estimate_all",
    "claims_for",
    "AFT_METHOD",
    "censored_duration",
    "aft_fit",
    "effect_claims",
    "primary_rows",
    "claims_check",
    "detectable_effects",
    "weighted_balance",
    "balance_note",
    "overlap_text",
    "effects_records",
    "estimates_display",
    "missing_display",
    "claims_display",
    "detectable_display",
    "estimates_text",
    "claims_text",
]

PCT, PP, MEAN_PCT = "percent change", "percentage points", "percent change of the mean"
READING_SCALE = {"relative": PCT, "pp": PP, "relative_mean": MEAN_PCT}
UNIT_NAMES = {PCT: "pct", PP: "pp", MEAN_PCT: "mean_pct"}  # the scale's part of a record name
PRIMARY_METHODS = ("ols",)  # the estimate the claims check uses: size measured (tests/stats/test_claims_size.py)
#: the censoring-aware estimate of the duration ratio (`stats.effects.aft`): the claims check reads the
#: relative delay claim from it when the fit counts running projects (`primary_rows`), else from OLS
AFT_METHOD = "lognormal_aft"
#: columns `censored_duration` adds: duration ratio (finished: actual / planned; running: elapsed /
#: planned, a lower bound) and whether the project has finished
AFT_RATIO, AFT_FINISHED = "aft_duration_ratio", "aft_finished"
DEFAULT_QUANTILES = (0.5, 0.8, 0.9)

ESTIMATE_COLUMNS = [
    "measure",
    "outcome",
    "scale",
    "method",
    "quantile",
    "estimand",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "std_error",
    "n",
    "n_treated",
    "residual_sd",
    "control_mean",
    "n_running",
    "note",
]


@dataclass(frozen=True)
class Spec:
    """One model family: `outcome` column modelled, the `measure` (claim outcome) it informs and
    the `scale` its estimates are reported on. `ratio_of_means`: the OLS row reports the adjusted
    mean with ÷ without − 1 (Fieller interval) instead of the difference."""

    outcome: str
    measure: str
    scale: str
    methods: tuple[str, ...]
    log_outcome: bool = False
    ratio_of_means: bool = False


_TAIL = ("difference", "ols", "ipw", "aipw", "quantile")
SPECS: tuple[Spec, ...] = (
    Spec("log_cost_ratio", "budget_drift", PCT, _TAIL, log_outcome=True),
    Spec("budget_drift", "budget_drift", PP, _TAIL),
    Spec("budget_drift", "budget_drift", MEAN_PCT, ("ols",), ratio_of_means=True),
    Spec("log_duration_ratio", "schedule_slip", PCT, _TAIL + (AFT_METHOD,), log_outcome=True),
    Spec("schedule_slip", "schedule_slip", PP, _TAIL),
    Spec("schedule_slip", "schedule_slip", MEAN_PCT, ("ols",), ratio_of_means=True),
    Spec("adoption_m3", "adoption_m3", PP, ("difference", "ols", "ipw", "aipw", "fractional_logit")),
    Spec("adoption_m3", "adoption_m3", PCT, ("ols", "log_linear"), ratio_of_means=True),
)


# --------------------------------------------------------------------------------------------
# Covariates
# --------------------------------------------------------------------------------------------


def resolve_covariates(data: pd.DataFrame, covariates=None, lang: str = "en", treatment: str = "amo") -> list[str]:
    """The covariates to adjust for: `covariates` as given (a list, or a comma-separated string),
    or `default_covariates(data)` when None.

    Covariates the user gave must allow an adjusted estimate, else an `InputError` says why in one
    sentence (in `lang`), instead of a table of estimates that are all missing: each must be a
    column of `data`, and at least one project with the practice and one without must have every
    covariate filled in. (A covariate with one value in every project is no such case: the
    estimators drop it with a note and still estimate.)"""
    if covariates is None:
        return default_covariates(data)
    if isinstance(covariates, str):
        covariates = [c.strip() for c in covariates.split(",") if c.strip()]
    covariates = [str(c) for c in covariates]
    unknown = [c for c in covariates if c not in data]
    if unknown:
        columns = ", ".join(map(str, data.columns))
        value = ", ".join(map(repr, unknown))
        raise InputError(translate("param_no_column", lang, name="covariates", value=value, columns=columns))
    if covariates and treatment in data:
        complete = data[covariates].notna().all(axis=1) & data[treatment].notna()
        n_with = int((complete & (data[treatment] == 1)).sum())
        n_without = int((complete & (data[treatment] == 0)).sum())
        if n_with == 0 or n_without == 0:
            missing = data[covariates].isna().sum()
            raise InputError(
                translate(
                    "pe_cov_incomplete",
                    lang,
                    covariates=", ".join(covariates),
                    n_with=n_with,
                    n_without=n_without,
                    name=str(missing.idxmax()),
                    missing=int(missing.max()),
                )
            )
    return covariates


def covariates_text(covariates: list[str], given: bool = False, lang: str = "en") -> str:
    """One sentence naming the covariates the adjusted estimates use."""
    names = ", ".join(f"`{c}`" for c in covariates) or translate("none", lang)
    key = "pe_covariates_given" if given else "pe_covariates_default"
    return translate(key, lang, covariates=names)


def design_for(
    data: pd.DataFrame, covariates: list[str], cluster: str | None = None, treatment: str = "amo"
) -> AssignmentDesign:
    """How the practice is spread over organisations and the covariates and clustering that follow
    (`design.assignment_design`)."""
    return assignment_design(data, covariates, cluster, treatment)


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


# --------------------------------------------------------------------------------------------
# Estimates
# --------------------------------------------------------------------------------------------


def _row(spec: Spec, method: str, q: float | None, control_mean: float) -> dict:
    return {
        "measure": spec.measure,
        "outcome": spec.outcome,
        "scale": spec.scale,
        "method": method,
        "quantile": np.nan if q is None else float(q),
        "estimand": "",
        "estimate": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "p_value": np.nan,
        "std_error": np.nan,
        "n": 0,
        "n_treated": 0,
        "residual_sd": np.nan,
        "control_mean": control_mean,
        "n_running": 0,
        "note": "",
    }


def _control_mean(data: pd.DataFrame, outcome: str, treatment: str) -> float:
    """Mean of `outcome` among untreated projects (NaN when there is none)."""
    if outcome not in data or treatment not in data:
        return float("nan")
    untreated = data[treatment].astype("boolean").eq(False).fillna(False).to_numpy(dtype=bool)
    values = pd.to_numeric(data.loc[untreated, outcome], errors="coerce").dropna()
    return float(values.mean()) if len(values) else float("nan")


#: quantile regression needs at least this many projects per parameter: a fit with k parameters
#: has k residuals exactly 0, and below ~3 projects per parameter the kernel sandwich (which
#: estimates the residual density at 0) collapses to a near-zero width.
MIN_ROWS_PER_QUANTREG_PARAMETER = 3


def _quantile_problem(res: effects.EffectResult, q: float) -> str | None:
    """A sentence when QuantReg's interval is unusable (too few projects per parameter, collapsed
    or infinite interval), else None."""
    k = len(res.details.get("coefficients", {}))
    low, high = res.ci_low, res.ci_high
    collapsed = not (math.isfinite(low) and math.isfinite(high)) or high - low <= 1e-6 * max(1.0, abs(res.estimate))
    if collapsed or res.n < MIN_ROWS_PER_QUANTREG_PARAMETER * k:
        return Message(
            "note_quantile_not_estimable",
            p=round(q * 100),
            n=res.n,
            k=k,
            needed=MIN_ROWS_PER_QUANTREG_PARAMETER * k,
        )
    return None


def _fill(row: dict, res: effects.EffectResult, spec: Spec) -> None:
    if spec.ratio_of_means and res.method == "ols":
        _fill_ratio(row, res)
        return
    if spec.log_outcome and res.method != AFT_METHOD:  # the AFT result is a percent change already
        res = res.as_percent_change()
    row.update(
        {
            "estimand": res.estimand,
            "estimate": res.estimate,
            "ci_low": res.ci_low,
            "ci_high": res.ci_high,
            "p_value": res.p_value,
            "std_error": np.nan if res.std_error is None else res.std_error,
            "n": res.n,
            "n_treated": res.n_treated,
            "residual_sd": res.details.get("residual_sd", res.details.get("sigma", np.nan)),
            "n_running": int(res.details.get("n_running", 0)),
            "note": join_sentences(res.notes),
        }
    )


def _fill_ratio(row: dict, res: effects.EffectResult) -> None:
    """The OLS fit's adjusted mean with ÷ without − 1 and its Fieller interval (`effects._ols`)."""
    ratio = res.details["ratio_of_means"]
    nan = float("nan")
    note = Message("note_ratio_of_means", treated=ratio["treated_mean"], control=ratio["control_mean"])
    if ratio["estimate"] is None or ratio["ci_low"] is None:
        note = Message("note_ratio_unbounded", control=ratio["control_mean"])
    row.update(
        {
            "estimand": "ratio of adjusted means − 1",
            "estimate": nan if ratio["estimate"] is None else ratio["estimate"],
            "ci_low": nan if ratio["ci_low"] is None else ratio["ci_low"],
            "ci_high": nan if ratio["ci_high"] is None else ratio["ci_high"],
            "p_value": res.p_value,
            "std_error": nan,
            "n": res.n,
            "n_treated": res.n_treated,
            "residual_sd": res.details.get("residual_sd", nan),
            "control_mean": ratio["control_mean"],
            "note": join_sentences(list(res.notes) + [note]),
        }
    )


def estimate_all(
    data: pd.DataFrame,
    covariates=None,
    seed: int = 0,
    cluster: str | None = None,
    quantiles=DEFAULT_QUANTILES,
    *,
    treatment: str = "amo",
    methods=None,
    specs: tuple[Spec, ...] = SPECS,
    keep: dict | None = None,
) -> pd.DataFrame:
    """Every effect of `treatment` on every outcome of `specs`, one row per outcome × method × scale.

    Columns `ESTIMATE_COLUMNS`: estimate / ci_low / ci_high / std_error on `scale` (fractions),
    `residual_sd` (OLS rows: residual SD of the modelled outcome, its own units — log ratio or
    fraction), `control_mean` (mean outcome of untreated projects), `note` (the estimator's notes,
    or why the estimate is missing). `methods` restricts the methods run (default: all of each spec).
    Quantile rows are conditional quantile differences from quantile regression (a relative
    reading of a log-ratio quantile is exact: quantiles follow monotone transforms).
    `keep`: a dict filled with each fit, (outcome, method, quantile) → `EffectResult` (or the reason
    there is none), for the leave-one-out check (`stability.claims_stability`).
    """
    if "log_budget" not in data and "budget_planned" in data:
        data = with_model_columns(data)
    covariates = resolve_covariates(data, covariates)
    rows = []
    fits: dict = {} if keep is None else keep  # one fit (or why none) per (outcome, method, quantile)

    def fit(outcome: str, method: str, q: float | None):
        if (outcome, method, q) not in fits:
            options = {"quantile": q} if q is not None else {}
            try:
                if method == AFT_METHOD:
                    fits[outcome, method, q] = aft_fit(data, covariates, cluster, treatment)
                else:
                    fits[outcome, method, q] = effects.estimate_effect(
                        data, outcome, treatment, covariates, method=method, cluster=cluster, seed=seed, **options
                    )
            except (InputError, np.linalg.LinAlgError, ValueError) as exc:
                fits[outcome, method, q] = str(exc)
        return fits[outcome, method, q]

    for spec in specs:
        control_mean = _control_mean(data, spec.outcome, treatment)
        for method in spec.methods:
            if methods is not None and method not in methods:
                continue
            for q in list(quantiles) if method == "quantile" else [None]:
                row = _row(spec, method, q, control_mean)
                res = fit(spec.outcome, method, q)
                problem = res if isinstance(res, str) else (_quantile_problem(res, q) if q is not None else None)
                if problem:
                    row["note"] = problem
                    if not isinstance(res, str):
                        row["n"], row["n_treated"] = res.n, res.n_treated
                    if method == AFT_METHOD:
                        row["n_running"] = running_count(data, treatment)
                else:
                    _fill(row, res, spec)
                rows.append(row)
    table = pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)
    table["note"] = pd.Series([row["note"] for row in rows], index=table.index, dtype=object)  # keeps i18n.Message
    table["n"] = table["n"].astype("int64")
    table["n_treated"] = table["n_treated"].astype("int64")
    table["n_running"] = table["n_running"].astype("int64")
    table.attrs["covariates"] = list(covariates)
    return table


def censored_duration(data: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy of `data` with the AFT's outcome: `aft_duration_ratio` (no unit: duration /
    planned for a finished project, elapsed / planned at the as-of date for a running one, which its
    ratio is known to exceed; missing when neither is known or the ratio is not positive) and
    `aft_finished` (bool: False for a running project). From `metrics.censored_outcome` of the slip."""
    out = data.copy(deep=False)
    sample = metrics.censored_outcome(data, "schedule_slip") if "schedule_slip" in data else None
    if sample is None or sample.empty:
        out[AFT_RATIO] = np.nan
        out[AFT_FINISHED] = True
        return out
    ratio = (1.0 + sample["value"]).where(lambda r: r > 0)
    out[AFT_RATIO] = ratio.reindex(data.index).astype("float64")
    out[AFT_FINISHED] = sample["observed"].reindex(data.index).fillna(True).astype(bool)
    return out


def running_count(data: pd.DataFrame, treatment: str = "amo") -> int:
    """Running projects with a known elapsed time (a censored duration ratio) and a known practice."""
    frame = censored_duration(data)
    known = frame[AFT_RATIO].notna() & ~frame[AFT_FINISHED]
    if treatment in frame:
        known &= frame[treatment].notna()
    return int(known.sum())


def aft_fit(data: pd.DataFrame, covariates, cluster: str | None = None, treatment: str = "amo") -> effects.EffectResult:
    """The log-normal AFT effect of `treatment` on the duration ratio, running projects right-censored
    at elapsed / planned (`stats.effects.aft.aft_effect`: HC0 without clusters, leave-one-cluster-out
    jackknife with t(G − 1) with them). Its estimate is a percent change of the duration ratio."""
    return aft_effect(censored_duration(data), AFT_RATIO, treatment, AFT_FINISHED, list(covariates), cluster)


def primary_rows(estimates: pd.DataFrame) -> pd.DataFrame:
    """Per (measure, scale): the primary adjusted estimate — OLS (`PRIMARY_METHODS`); for the relative
    reading of the duration ratio the log-normal AFT (`AFT_METHOD`) instead when its fit counts running
    projects (`n_running` > 0) and is estimable; for relative adoption the log-linear ratio of means
    (the only relative estimator). Adds `why_not` (why a preferred method was skipped)."""
    picked = []
    for (measure, scale), part in estimates.groupby(["measure", "scale"], sort=False):
        order = [m for m in PRIMARY_METHODS if m in set(part["method"])] or list(part["method"])
        skipped = []
        chosen = None
        aft = part[part["method"] == AFT_METHOD]
        running = pd.to_numeric(aft.get("n_running", pd.Series(dtype=float)), errors="coerce").fillna(0)
        if len(aft) and running.iloc[0] > 0:  # running projects: the censoring-aware fit
            if math.isfinite(aft["estimate"].iloc[0]):
                order = [AFT_METHOD]
            else:
                skipped.append(f"{AFT_METHOD.upper()} not estimable: {aft['note'].iloc[0]}")
        for method in order:
            row = part[part["method"] == method].iloc[0]
            if math.isfinite(row["estimate"]):
                chosen = row
                break
            skipped.append(f"{method.upper()} not estimable: {row['note']}")
        if chosen is None:
            chosen = part[part["method"] == order[0]].iloc[0]
        chosen = chosen.copy()
        chosen["why_not"] = " ".join(skipped)
        picked.append(chosen)
    return pd.DataFrame(picked).reset_index(drop=True)


def _ols_row(estimates: pd.DataFrame, outcome: str) -> pd.Series | None:
    part = estimates[(estimates["outcome"] == outcome) & (estimates["method"] == "ols")]
    return None if part.empty else part.iloc[0]


def _power_inputs(estimates: pd.DataFrame, measure: str, scale: str, claimed: float):
    """(effect, sd, ratio, assumption, problem) for `power.projects_needed` on the model scale."""
    spec = next(s for s in SPECS if s.measure == measure and s.scale == scale)
    outcome = spec.outcome
    ols = _ols_row(estimates, outcome)
    if ols is None or not math.isfinite(ols["residual_sd"]) or ols["residual_sd"] <= 0:
        if ols is None:
            return None, None, None, "", Message("pe_no_residual_sd", outcome=outcome)
        return None, None, None, "", Message("pe_no_residual_sd_why", outcome=outcome, why=ols["note"])
    sd = float(ols["residual_sd"])
    n_t, n_c = int(ols["n_treated"]), int(ols["n"] - ols["n_treated"])
    ratio = n_c / n_t if n_t else 1.0
    if spec.log_outcome:
        effect = math.log1p(claimed)
        assumption = Message("pe_assume_log", claimed=claimed, effect=effect, sd=sd)
    elif scale in (PCT, MEAN_PCT):  # relative change of a mean: claimed share of the mean without
        ratio_row = estimates[
            (estimates["outcome"] == outcome) & (estimates["method"] == "ols") & (estimates["scale"] == scale)
        ]
        base = float(ratio_row["control_mean"].iloc[0] if len(ratio_row) else ols["control_mean"])
        effect = claimed * base
        assumption = Message("pe_assume_mean", base=base, effect=effect, outcome=outcome, sd=sd)
    else:
        effect = claimed
        assumption = Message("pe_assume_difference", claimed=claimed, sd=sd)
    assumption = Message("pe_assume_power", reading=assumption, ratio=ratio)
    return effect, sd, ratio, assumption, None


def claims_check(
    estimates: pd.DataFrame,
    n_projects: int | None = None,
    claims=claims_mod.AMO_CLAIMS,
    alpha: float = 0.05,
    power_level: float = 0.8,
    design: AssignmentDesign | None = None,
) -> pd.DataFrame:
    """Each claim beside this portfolio's primary adjusted estimate (OLS, `PRIMARY_METHODS`; the
    log-normal AFT for the relative reading of the duration ratio when running projects are counted,
    `primary_rows`, with a note saying so), with a
    verdict (`claims.verdict`: supported, smaller / larger than claimed, opposite direction,
    inconclusive).

    For inconclusive claims, `projects_needed` = total projects for a two-sided t-test
    (`power.projects_needed`) to detect the claimed effect with the residual SD of this portfolio's
    OLS fit on the model scale (the `assumption` column states it). When `design` clusters by
    organisation, `organisations_needed` counts organisations instead (each organisation's mean one
    observation, `AssignmentDesign.organisations_needed`), and when it has fewer than
    `design.MIN_ORGANISATIONS_PER_GROUP` organisations on a side no verdict is drawn at all: the note
    says so. `n_projects` = projects in the portfolio (for comparison).
    """
    primary = primary_rows(estimates)
    clustered = design is not None and design.clustered and not design.user_cluster
    too_few = design is not None and not design.enough
    rows = []
    for claim in claims:
        scale = READING_SCALE.get(claim.reading)
        match = primary[(primary["measure"] == claim.outcome) & (primary["scale"] == scale)]
        base = {
            "claim": claim.key,
            "text": claim.text,
            "measure": claim.outcome,
            "reading": claim.reading,
            "scale": scale,
            "claimed": claim.value,
            "claim_n_projects": claim.n_projects,
            "organisations_needed": pd.NA,
        }
        if match.empty:
            rows.append(
                {
                    **base,
                    "method": "",
                    "estimate": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "n": 0,
                    "verdict": claims_mod.INCONCLUSIVE,
                    "projects_needed": pd.NA,
                    "assumption": "",
                    "note": Message("pe_no_estimate_reading"),
                }
            )
            continue
        row = match.iloc[0]
        low, high = row["ci_low"], row["ci_high"]
        notes = [row["why_not"]] if row["why_not"] else []
        if row["method"] == AFT_METHOD:
            notes.append(Message("pe_claim_aft", n_running=int(row["n_running"]), n=int(row["n"])))
        if not math.isfinite(row["estimate"]) or not (math.isfinite(low) and math.isfinite(high)):
            notes.append(Message("pe_no_interval", why=row["note"]))
        if too_few:
            low = high = np.nan
            notes.append(
                Message(
                    "design_too_few",
                    n_with=design.n_with,
                    n_without=design.n_without,
                    minimum=MIN_ORGANISATIONS_PER_GROUP,
                )
            )
        verdict = claims_mod.verdict(
            low if math.isfinite(low) else None, high if math.isfinite(high) else None, claim.value, claim.null_value
        )
        needed, organisations, assumption = pd.NA, pd.NA, ""
        if verdict == claims_mod.INCONCLUSIVE:
            effect, sd, ratio, assumption, problem = _power_inputs(estimates, claim.outcome, scale, claim.value)
            if clustered and effect is not None:
                outcome = next(s.outcome for s in SPECS if s.measure == claim.outcome and s.scale == scale)
                organisations = design.organisations_needed(outcome, effect, alpha, power_level)
                organisations = pd.NA if organisations is None else organisations
                assumption = Message(
                    "pe_assume_organisations",
                    effect=effect,
                    outcome=outcome,
                    between_sd=design.between_sd.get(outcome, float("nan")),
                    n_with=design.n_with,
                    n_without=design.n_without,
                )
            elif problem:
                notes.append(Message("pe_needed_not_computed", problem=problem))
            else:
                needed = power.projects_needed(effect, sd, ratio=ratio, alpha=alpha, power=power_level)
        rows.append(
            {
                **base,
                "method": row["method"],
                "estimate": row["estimate"],
                "ci_low": low,
                "ci_high": high,
                "n": int(row["n"]),
                "verdict": verdict,
                "projects_needed": needed,
                "organisations_needed": organisations,
                "assumption": assumption,
                "note": join_sentences([n for n in notes if n]),
            }
        )
    table = pd.DataFrame(rows)
    for column in ("text", "assumption", "note"):  # object: a string column would drop the i18n.Message
        table[column] = pd.Series([r[column] for r in rows], index=table.index, dtype=object)
    table["projects_needed"] = table["projects_needed"].astype("Int64")
    table["organisations_needed"] = table["organisations_needed"].astype("Int64")
    table["n_projects"] = n_projects if n_projects is not None else int(estimates["n"].max() or 0)
    table.attrs["paraphrases"] = {c.key: dict(c.paraphrases) for c in claims}  # labels of a user's claims
    return table


def effect_claims(claims_file: str | None = None) -> tuple[claims_mod.Claim, ...]:
    """The claims the effects analysis checks: every reading of the claims register with
    `analysis = "effects"`, with those of a user's claims file (`--claims FILE`) added or replacing
    the register's claim of the same key (`claims.load_register`)."""
    return claims_mod.effect_claims(claims_file)


def claims_for(
    data: pd.DataFrame,
    covariates=None,
    cluster: str | None = None,
    claims=claims_mod.AMO_CLAIMS,
    treatment: str = "amo",
    stability: bool = False,
    public: set | None = None,
) -> pd.DataFrame:
    """The claims check alone, as the effects notebook draws it: the assignment design
    (`design_for`), the OLS fits of `PRIMARY_METHODS` and, when running projects have a known elapsed
    time, the AFT fit of the duration ratio, and `claims_check`. What the size and
    power simulations of the test suite run on each simulated portfolio. With `stability`, the
    leave-one-out columns of `stability.claims_stability` too (`public`: organisations that may be
    named)."""
    if "log_budget" not in data and "budget_planned" in data:
        data = with_model_columns(data)
    design = design_for(data, resolve_covariates(data, covariates), cluster, treatment)
    fits: dict = {}
    estimates = estimate_all(
        data,
        design.covariates,
        cluster=design.cluster,
        treatment=treatment,
        methods=PRIMARY_METHODS + ((AFT_METHOD,) if running_count(data, treatment) else ()),
        keep=fits,
    )
    checked = claims_check(estimates, len(data), claims=claims, design=design)
    if not stability:
        return checked
    from amo_analysis.analyses.stability import claims_stability  # stability builds on this module

    return claims_stability(data, checked, design, fits, treatment, public)


def detectable_effects(estimates: pd.DataFrame, alpha: float = 0.05, power_level: float = 0.8) -> pd.DataFrame:
    """Minimum detectable effect (two-sided t-test, `power.minimum_detectable_effect`) for this
    portfolio's group sizes and each outcome's OLS residual SD, per (measure, scale).

    `mde_decrease` / `mde_increase`: smallest detectable fall / rise on the reported scale
    (percent change: exp(∓mde) − 1 on log outcomes, ±mde / untreated mean for adoption;
    percentage points: ±mde)."""
    rows = []
    for spec in SPECS:
        ols = _ols_row(estimates, spec.outcome)
        row = {
            "measure": spec.measure,
            "outcome": spec.outcome,
            "scale": spec.scale,
            "n_treated": 0,
            "n_control": 0,
            "residual_sd": np.nan,
            "mde_decrease": np.nan,
            "mde_increase": np.nan,
            "note": "",
        }
        if ols is None:
            continue
        n_t, n_c, sd = int(ols["n_treated"]), int(ols["n"] - ols["n_treated"]), ols["residual_sd"]
        row.update({"n_treated": n_t, "n_control": n_c, "residual_sd": sd})
        try:
            mde = power.minimum_detectable_effect(n_t, n_c, float(sd), alpha=alpha, power=power_level)
        except InputError as exc:
            row["note"] = f"Not computed: {ols['note'] or exc}"
            rows.append(row)
            continue
        if spec.log_outcome:
            row.update(mde_decrease=math.expm1(-mde), mde_increase=math.expm1(mde))
        elif spec.scale == PCT:
            base = float(ols["control_mean"])
            if base > 0:
                row.update(mde_decrease=-mde / base, mde_increase=mde / base)
            else:
                row["note"] = "Not computed: untreated mean is not positive."
        else:
            row.update(mde_decrease=-mde, mde_increase=mde)
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Balance and overlap
# --------------------------------------------------------------------------------------------


def weighted_balance(data: pd.DataFrame, covariates, treatment: str = "amo") -> pd.DataFrame:
    """Covariate balance before and after stabilised ATE inverse-probability weighting.

    When the weights cannot be computed the unweighted table is returned and ``attrs["note"]``
    says why (``attrs["why"]`` when no balance can be computed at all)."""
    try:
        weights = effects.ipw_weights(data, treatment, covariates)
    except InputError as exc:
        table = overview.covariate_balance(data, covariates)
        table.attrs["note"] = Message("pe_balance_unavailable", why=str(exc))
        return table
    table = overview.covariate_balance(data, covariates, weights=weights)
    table.attrs["note"] = Message("pe_balance_weighted")
    return table


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


# --------------------------------------------------------------------------------------------
# Records, display tables, check text
# --------------------------------------------------------------------------------------------


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


def claim_text(claims: pd.DataFrame, row, lang: str = "en") -> str:
    """The text of a claim row of `claims_check` in `lang`: the headline figure's own words where the
    locale files have them (`claim_<key>`), else the claim's paraphrase in `lang` (the register's or a
    claims file's), else its text as written."""
    claim_key = "claim_" + str(row["claim"]).split(".")[0]
    own = claims.attrs.get("paraphrases", {}).get(row["claim"], {}).get(lang)
    return translate(claim_key, lang) if claim_key in TRANSLATIONS else own or localise(row["text"], lang)


def stability_fields(row, lang: str = "en") -> dict:
    """The leave-one-out fields of a claim record (`stability.claims_stability`; none when the row has
    no `stability` column): `stability`, `decisive` (project ids or public organisation names),
    `decisive_hidden` (decisive organisations not named), `decisive_verdict`, `loo_low`, `loo_high`."""
    if "stability" not in row or not isinstance(row["stability"], str):
        return {}
    return dict(
        stability=row["stability"],
        decisive=[str(u) for u in row["decisive"]],
        decisive_kind=row["decisive_kind"] or None,
        decisive_hidden=int(row["decisive_hidden"]),
        decisive_verdict=row["decisive_verdict"] or None,
        loo_low=number_or_none(row["loo_low"]),
        loo_high=number_or_none(row["loo_high"]),
    )


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
            dict(
                name=f"claim.{row['claim']}",
                value=number_or_none(row["estimate"]),
                ci_low=number_or_none(row["ci_low"]),
                ci_high=number_or_none(row["ci_high"]),
                n=int(row["n"]),
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
                **stability_fields(row, lang),
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
