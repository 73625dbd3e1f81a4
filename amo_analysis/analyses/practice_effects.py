"""What the practice is associated with in one portfolio: the covariates and the assignment design, every
effect estimate of the effects notebook (`02_amo_effects`) and the claims check drawn from them
(`claims_for`; the check itself and the detectable effects are in `claims_check`, the tables, text and
records the notebook shows in `report.show_effects`).

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

The estimators themselves are in `stats.effects`, the sensitivity and refutations in their own modules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from amo_analysis.stats import claims as claims_mod
from amo_analysis.ingest import metrics
from amo_analysis.stats import effects
from amo_analysis.stats.effects.aft import aft_effect
from amo_analysis.stats.design import AssignmentDesign, assignment_design
from amo_analysis.errors import InputError
from amo_analysis.i18n import Message, join_sentences, translate
from amo_analysis.ingest.model_columns import default_covariates, with_model_columns

if TYPE_CHECKING:
    from amo_analysis.analyses.claims_check import ClaimsCheck

__all__ = [
    "SPECS",
    "ESTIMATE_COLUMNS",
    "resolve_covariates",
    "design_for",
    "estimate_all",
    "claims_for",
    "AFT_METHOD",
    "censored_duration",
    "aft_fit",
    "effect_claims",
]

PCT, PP, MEAN_PCT = "percent change", "percentage points", "percent change of the mean"
READING_SCALE = {"relative": PCT, "pp": PP, "relative_mean": MEAN_PCT}
PRIMARY_METHODS = ("ols",)  # the estimate the claims check uses: size measured (tests/stats/test_claims_size.py)
#: the censoring-aware estimate of the duration ratio (`stats.effects.aft`): the claims check reads the
#: relative delay claim from it when the fit counts running projects (`claims_check.primary_rows`), else from OLS
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


def design_for(
    data: pd.DataFrame, covariates: list[str], cluster: str | None = None, treatment: str = "amo"
) -> AssignmentDesign:
    """How the practice is spread over organisations and the covariates and clustering that follow
    (`design.assignment_design`)."""
    return assignment_design(data, covariates, cluster, treatment)


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
            if keep is not None and not isinstance(fits[outcome, method, q], str):
                # slimmed as soon as it is made (a row reads only its numbers): the fits after it are
                # made beside the compact designs of those before (at 10⁶ projects 19 MB, not 104 MB each)
                effects.slim_kept_fit(fits[outcome, method, q], fits.values())
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
) -> "ClaimsCheck":
    """The claims check alone, as the effects notebook draws it: the assignment design
    (`design_for`), the OLS fits of `PRIMARY_METHODS` and, when running projects have a known elapsed
    time, the AFT fit of the duration ratio, and `claims_check.claims_check`. What the size and
    power simulations of the test suite run on each simulated portfolio. With `stability`, the
    leave-one-out columns of `stability.claims_stability` too (`public`: organisations that may be
    named). Returns a `claims_check.ClaimsCheck`: its `summary_frame()` is the table."""
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
    from amo_analysis.analyses.claims_check import ClaimsCheck, claims_check  # it reads this module's SPECS

    checked = claims_check(estimates, len(data), claims=claims, design=design)
    if stability:
        from amo_analysis.analyses.stability import claims_stability  # stability builds on this module

        checked = claims_stability(data, checked, design, fits, treatment, public)
    return ClaimsCheck(checked, design)
