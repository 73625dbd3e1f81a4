"""Could something unmeasured explain it? Sensitivity of the claims check to an unmeasured confounder
(notebook `02_amo_effects`).

**Which estimates.** Each claim reading the claims check draws from an OLS coefficient
(`CLAIM_READINGS`): the relative readings of cost and delay (the coefficient of the practice on
ln(actual ÷ planned), read as exp(β) − 1), the percentage-point readings of drift, slip and adoption
(the coefficient on the fraction itself) and the relative reading of adoption (the coefficient ÷ the
adjusted mean adoption without the practice, `effects`' OLS ratio of adjusted means; the mean is held
fixed). The relative change of the mean drift or slip uses the same OLS fit as the percentage-point
reading (same t, same robustness value) and is not repeated. Fits use the covariates and the
assignment design of the claims check (`effects.design_for`).

**Numbers per reading** (`stats.sensitivity`, Cinelli & Hazlett 2020; VanderWeele & Ding 2017):

* `partial_r2`: share (fraction) of the outcome's residual variance the practice explains, t²/(t² + dof);
* `rv`: robustness value RV(q = 1), the share of residual variance (fraction) an unmeasured confounder
  must explain in *both* the practice and the outcome to bring the estimate to 0; `rv_alpha`:
  RV(q = 1, α = 0.05), the share that makes it no longer significant at 5 %. Both follow sensemakr's
  convention: the *classical* OLS t-statistic and residual degrees of freedom (n − parameters), not the
  HC2 / CR2 standard errors of the claims check (with clustering these can be far wider);
* `evalue` (risk-ratio scale, ≥ 1): the E-value of the standardised difference d = β ÷ residual SD of
  the OLS fit (outcome units cancel), converted with RR ≈ exp(0.91·d) (VanderWeele 2017; approximate,
  assumes a roughly normal outcome — overruns are fat-tailed, so read it as a rough guide); `evalue_ci`
  for the interval limit closer to 1 (interval exp(0.91·d ± 1.78·se(d)));
* benchmark bounds (`bounds`): the estimate and its 95 % interval had a confounder 1×, 2×, 3× as strong
  as each numeric covariate adjusted for (log budget, complexity) been adjusted for, on the reading's
  own scale (fractions: percent change or percentage points).

**Verdict and sentence** (one per reading, in the report's language, words from the locale files):
*robust* when RV(α = 0.05) exceeds the share of residual variance that the strongest numeric covariate
explains (the larger of its partial R² with the practice and with the outcome): a confounder as strong as
the budget could neither erase the estimate nor bring its interval to 0; *direction only* when RV exceeds
that share but RV(α = 0.05) does not (it could not erase the estimate, but could make it no longer
significant); *fragile* when RV does not exceed it; *uncertain* when the claims check's own
interval (HC2 / CR2, Bell–McCaffrey) already includes 0 or cannot be computed; *unanchored* when no
numeric covariate is there to compare with; *not assessed* (with the reason) when the fit fails.

The same section of the notebook also shows the refutation tests (`analyses.outcome_refutations`); the balance
additions beside the SMDs are in `analyses.balance`.

Every random step takes the run's `seed`. Nothing is compared with a language name.

The sentences, the table, the check text and the records are in `report.show_sensitivity`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats as st
from statsmodels.regression.linear_model import OLS

from amo_analysis.analyses import practice_effects as pe
from amo_analysis.errors import InputError
from amo_analysis.stats import claims as claims_mod
from amo_analysis.stats import effects
from amo_analysis.stats import sensitivity as sens
from amo_analysis.stats.design import AssignmentDesign
from amo_analysis.ingest.model_columns import with_model_columns

__all__ = [
    "CLAIM_READINGS",
    "BENCHMARK_MULTIPLIERS",
    "ClaimsSensitivity",
    "claim_readings",
    "claims_sensitivity",
]

ROBUST, DIRECTION, FRAGILE = "robust", "direction only", "fragile"
UNCERTAIN, UNANCHORED, NOT_ASSESSED = "uncertain", "unanchored", "not assessed"
#: how each reading's coefficient β (outcome units) becomes the reading's number
LOG, IDENTITY, RATIO = "exp(β) − 1", "β", "β ÷ adjusted mean without the practice"
#: multipliers k of "a confounder k times as strong as the covariate"
BENCHMARK_MULTIPLIERS = (1, 2, 3)
ALPHA = 0.05

SUMMARY_COLUMNS = [
    "claim",
    "text",
    "measure",
    "outcome",
    "reading",
    "scale",
    "transform",
    "estimate",
    "ci_low",
    "ci_high",
    "coefficient",
    "se",
    "t",
    "dof",
    "n",
    "residual_sd",
    "partial_r2",
    "rv",
    "rv_alpha",
    "d",
    "evalue",
    "evalue_ci",
    "established",
    "benchmark",
    "benchmark_share",
    "verdict",
    "note",
]
BOUND_COLUMNS = [
    "claim",
    "measure",
    "scale",
    "benchmark",
    "k",
    "r2dz_x",
    "r2yz_dx",
    "estimate",
    "ci_low",
    "ci_high",
    "reaches_zero",
    "note",
]


# --------------------------------------------------------------------------------------------
# Which readings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimReading:
    """A claim reading drawn from an OLS coefficient: the claim, the modelled `outcome` column, the
    `scale` of the reading (`effects.PCT` or `effects.PP`) and how β becomes it (`transform`)."""

    claim: claims_mod.Claim
    outcome: str
    scale: str
    transform: str


def claim_readings(claims=claims_mod.AMO_CLAIMS) -> list[ClaimReading]:
    """The readings of `claims` drawn from an OLS coefficient (module docstring), in claim order."""
    out = []
    for claim in claims:
        scale_name = pe.READING_SCALE.get(claim.reading)
        if scale_name not in (pe.PCT, pe.PP):
            continue  # relative change of a mean: the percentage-point reading's fit
        spec = next((s for s in pe.SPECS if s.measure == claim.outcome and s.scale == scale_name), None)
        if spec is None or "ols" not in spec.methods:
            continue
        transform = LOG if spec.log_outcome else RATIO if spec.ratio_of_means else IDENTITY
        out.append(ClaimReading(claim, spec.outcome, scale_name, transform))
    return out


CLAIM_READINGS = tuple(r.claim.key for r in claim_readings())


# --------------------------------------------------------------------------------------------
# Sensitivity of each claim reading
# --------------------------------------------------------------------------------------------


@dataclass
class ClaimsSensitivity:
    """`summary`: one row per claim reading (`SUMMARY_COLUMNS`): `estimate`, `ci_low`, `ci_high` on the
    reading's scale (fractions; the interval is the claims check's, HC2 / CR2 with Bell–McCaffrey df),
    `coefficient` and classical `se` of the practice in outcome units (log ratio or fraction), `t`,
    `dof` (residual degrees of freedom), `partial_r2`, `rv`, `rv_alpha`, `benchmark_share` (fractions of
    residual variance), `d` (standardised difference), `evalue`, `evalue_ci` (risk-ratio scale),
    `verdict` and `note` (why something is missing). `bounds`: one row per reading × benchmark × k
    (`BOUND_COLUMNS`; k = 0 is the estimate itself with its classical 95 % interval), the adjusted
    `estimate`, `ci_low`, `ci_high` on the reading's scale, `r2dz_x`, `r2yz_dx` (fractions) and
    `reaches_zero` (the adjusted interval includes 0 or the estimate changed sign)."""

    summary: pd.DataFrame
    bounds: pd.DataFrame


def _to_reading(values, transform: str, control_mean: float):
    values = np.asarray(values, dtype=float)
    if transform == LOG:
        return np.expm1(values)
    if transform == RATIO:
        return values / control_mean
    return values


def _numeric_benchmarks(data: pd.DataFrame, covariates: list[str]) -> list[str]:
    """The numeric (not yes/no, not categorical) covariates that vary: the benchmarks."""
    out = []
    for c in covariates:
        if c not in data:
            continue
        s = data[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) and s.nunique(dropna=True) > 1:
            out.append(c)
    return out


def _fit(data: pd.DataFrame, outcome: str, design: AssignmentDesign, treatment: str, kept=None):
    """The classical OLS fit of `outcome` on a constant, the practice and `design.covariates`, on the rows
    of the claims check (those without a cluster label left out when it clusters; clustering changes
    the standard errors only): (result, coefficient, classical se, residual dof).

    `kept`: the claims check's own OLS fit of `outcome` (`effects.estimate_all(..., keep=)` with the same
    design), used instead of fitting again when it analysed the same rows: its statsmodels fit is the
    plain one (HC2 / CR2 are computed beside it), so the classical se and dof are the same numbers."""
    if design.cluster is not None and design.cluster in data:
        data = data[data[design.cluster].notna()]
    if _same_fit(kept, data, outcome, design, treatment):
        res = kept
    else:
        res = effects.estimate_effect(data, outcome, treatment, design.covariates, method="ols", cov_type="nonrobust")
    fit = res.model  # columns: constant, practice, covariates (`effects.regression._ols`)
    return res, float(fit.params[1]), float(fit.bse[1]), float(fit.df_resid)


def _same_fit(kept, data: pd.DataFrame, outcome: str, design: AssignmentDesign, treatment: str) -> bool:
    """Whether `kept` is an OLS fit of `outcome` on `treatment` and `design.covariates` over exactly the
    complete rows of `data` (those `effects.estimate_effect` would analyse)."""
    if not isinstance(kept, effects.EffectResult) or kept.method != "ols" or kept.model is None or kept.rows is None:
        return False
    if (
        kept.outcome != outcome
        or kept.treatment != treatment
        or tuple(kept.covariates or ()) != tuple(design.covariates)
    ):
        return False
    used = list(dict.fromkeys([outcome, treatment, *design.covariates]))
    if not set(used) <= set(data.columns):
        return False
    complete = data.index[data[used].notna().all(axis=1).to_numpy()]
    return len(complete) == len(kept.rows) and bool((complete == pd.Index(kept.rows)).all())


def _benchmark_strengths(res, benchmarks: list[str]) -> dict:
    """Partial R² of each benchmark column with the outcome (from the outcome fit itself: t² / (t² + dof))
    and with the practice (OLS of the practice on the same constant and covariates), as
    `stats.sensitivity.benchmark_partial_r2` computes them, without refitting the outcome; a sentence
    instead when the column is not in the fit."""
    fit = res.model
    names = list(res.details.get("coefficients", {}))
    X = np.asarray(fit.model.exog)
    others = [i for i in range(X.shape[1]) if i != 1]
    fit_d = None
    out = {}
    for b in benchmarks:
        if b not in names:
            out[b] = f"'{b}' is not in the fit (left out as collinear with the other covariates)."
            continue
        if fit_d is None:
            fit_d = OLS(X[:, 1], X[:, others]).fit()
        j = names.index(b)
        ty, td = float(fit.tvalues[j]), float(fit_d.tvalues[others.index(j)])
        out[b] = sens.BenchmarkR2(
            b,
            td * td / (td * td + fit_d.df_resid),
            ty * ty / (ty * ty + fit.df_resid),
            int(fit_d.df_resid),
            int(fit.df_resid),
            int(res.n),
        )
    return out


def _claims_interval(
    estimates: pd.DataFrame | None, reading: ClaimReading, data, design, treatment, control_mean: float
) -> tuple[float, float]:
    """The claims check's 95 % interval of the reading (its scale): the OLS row of `estimates`
    (`effects.estimate_all`), else a fresh OLS fit with the design's HC2 / CR2 errors."""
    if estimates is not None:
        part = estimates[
            (estimates["outcome"] == reading.outcome)
            & (estimates["method"] == "ols")
            & (estimates["scale"] == reading.scale)
        ]
        if len(part):
            return float(part["ci_low"].iloc[0]), float(part["ci_high"].iloc[0])
    res = effects.estimate_effect(
        data, reading.outcome, treatment, design.covariates, method="ols", cluster=design.cluster
    )
    low, high = _to_reading([res.ci_low, res.ci_high], reading.transform, control_mean)
    return float(low), float(high)


def _bound_rows(
    reading: ClaimReading, coef, se, dof, strengths: dict, control_mean: float, kd, alpha: float
) -> list[dict]:
    crit = float(st.t.ppf(1 - alpha / 2, dof))
    low, high = _to_reading([coef - crit * se, coef + crit * se], reading.transform, control_mean)
    base = {"claim": reading.claim.key, "measure": reading.claim.outcome, "scale": reading.scale}
    rows = [
        {
            **base,
            "benchmark": "",
            "k": 0.0,
            "r2dz_x": 0.0,
            "r2yz_dx": 0.0,
            "estimate": float(_to_reading(coef, reading.transform, control_mean)),
            "ci_low": float(low),
            "ci_high": float(high),
            "reaches_zero": bool(low <= 0 <= high),
            "note": "",
        }
    ]
    for name, strength in strengths.items():
        for k in kd:
            row = {
                **base,
                "benchmark": name,
                "k": float(k),
                "r2dz_x": np.nan,
                "r2yz_dx": np.nan,
                "estimate": np.nan,
                "ci_low": np.nan,
                "ci_high": np.nan,
                "reaches_zero": False,
                "note": "",
            }
            if isinstance(strength, str):
                row["note"] = strength
                rows.append(row)
                continue
            try:
                b = sens.benchmark_bounds(
                    coef, se, dof, strength.r2dxj_x, strength.r2yxj_dx, kd=[k], label=name, alpha=alpha
                ).iloc[0]
            except InputError as exc:
                row["note"] = str(exc)
                rows.append(row)
                continue
            est, lo, hi = _to_reading(
                [b["adjusted_estimate"], b["adjusted_lower"], b["adjusted_upper"]], reading.transform, control_mean
            )
            flipped = np.sign(b["adjusted_estimate"]) != np.sign(coef)
            row.update(
                r2dz_x=float(b["r2dz_x"]),
                r2yz_dx=float(b["r2yz_dx"]),
                estimate=float(est),
                ci_low=float(lo),
                ci_high=float(hi),
                reaches_zero=bool(flipped or lo <= 0 <= hi),
            )
            rows.append(row)
    return rows


def claims_sensitivity(
    data: pd.DataFrame,
    design: AssignmentDesign,
    estimates: pd.DataFrame | None = None,
    *,
    claims=claims_mod.AMO_CLAIMS,
    treatment: str = "amo",
    kd=BENCHMARK_MULTIPLIERS,
    alpha: float = ALPHA,
    fits: dict | None = None,
) -> ClaimsSensitivity:
    """Sensitivity of each claim reading drawn from OLS (module docstring) to an unmeasured confounder,
    with the covariates and clustering of `design` (`effects.design_for`). `estimates`
    (`effects.estimate_all` with the same design) gives the claims check's intervals; without it they
    are refitted. `fits`: the fits `estimate_all` kept (its `keep=`), whose OLS fits stand in for
    refitting each outcome when they analysed the same rows (the same numbers; at 10⁶ projects each OLS
    fit costs seconds and a copy of the design). Never raises for what the data cannot support: the row's `verdict` is "not
    assessed" and `note` says why."""
    if "log_budget" not in data and "budget_planned" in data:
        data = with_model_columns(data)
    benchmarks = _numeric_benchmarks(data, list(design.covariates))
    kept = fits or {}
    by_outcome: dict = {}
    rows, bounds = [], []
    for reading in claim_readings(claims):
        claim = reading.claim
        row = dict.fromkeys(SUMMARY_COLUMNS, np.nan)
        row.update(
            claim=claim.key,
            text=claim.text,
            measure=claim.outcome,
            outcome=reading.outcome,
            reading=claim.reading,
            scale=reading.scale,
            transform=reading.transform,
            n=0,
            established=False,
            benchmark="",
            verdict=NOT_ASSESSED,
            note="",
        )
        if reading.outcome not in by_outcome:
            try:
                fit = _fit(data, reading.outcome, design, treatment, kept.get((reading.outcome, "ols", None)))
                by_outcome[reading.outcome] = (fit, _benchmark_strengths(fit[0], benchmarks))
            except (InputError, np.linalg.LinAlgError) as exc:
                by_outcome[reading.outcome] = str(exc)
        got = by_outcome[reading.outcome]
        if isinstance(got, str):
            row["note"] = got
            rows.append(row)
            continue
        (res, coef, se, dof), strengths = got
        control_mean = float(res.details.get("ratio_of_means", {}).get("control_mean", np.nan))
        if reading.transform == RATIO and not (math.isfinite(control_mean) and control_mean > 0):
            row["note"] = (
                f"The adjusted mean of '{reading.outcome}' without the practice ({control_mean:.3f}) "
                "is not positive: no relative reading."
            )
            rows.append(row)
            continue
        if not (se > 0 and dof >= 2):
            row["note"] = f"The OLS fit of '{reading.outcome}' leaves {dof:g} residual degrees of freedom."
            rows.append(row)
            continue
        stats_ = sens.sensitivity_stats(coef, se, dof, q=1.0, alpha=alpha)
        resid_sd = float(res.details.get("residual_sd", np.nan))
        try:
            ci = _claims_interval(estimates, reading, data, design, treatment, control_mean)
        except (InputError, np.linalg.LinAlgError):
            ci = (np.nan, np.nan)
        established = design.enough and all(math.isfinite(v) for v in ci) and not ci[0] <= 0 <= ci[1]
        row.update(
            estimate=float(_to_reading(coef, reading.transform, control_mean)),
            ci_low=ci[0],
            ci_high=ci[1],
            coefficient=coef,
            se=se,
            t=stats_.t,
            dof=dof,
            n=int(res.n),
            residual_sd=resid_sd,
            partial_r2=stats_.partial_r2,
            rv=stats_.rv_q,
            rv_alpha=stats_.rv_qa,
            established=bool(established),
        )
        notes = []
        if not design.enough:
            notes.append("Too few organisations on a side for the claims check's interval.")
        if resid_sd > 0 and math.isfinite(resid_sd):
            ev = sens.evalue_from_difference(coef / resid_sd, se=se / resid_sd)
            row.update(d=coef / resid_sd, evalue=ev.point, evalue_ci=ev.ci)
        else:
            notes.append("No E-value: the OLS fit leaves no residual spread.")
        usable = {b: s for b, s in strengths.items() if not isinstance(s, str)}
        notes += [f"Benchmark '{b}' not computed: {s}" for b, s in strengths.items() if isinstance(s, str)]
        if usable:
            name, strength = max(usable.items(), key=lambda kv: max(kv[1].r2dxj_x, kv[1].r2yxj_dx))
            share = max(strength.r2dxj_x, strength.r2yxj_dx)
            row.update(benchmark=name, benchmark_share=share)
        if not established:
            row["verdict"] = UNCERTAIN
        elif not usable:
            row["verdict"] = UNANCHORED
        else:
            share = row["benchmark_share"]
            row["verdict"] = FRAGILE if stats_.rv_q <= share else ROBUST if stats_.rv_qa > share else DIRECTION
        row["note"] = " ".join(notes)
        rows.append(row)
        bounds += _bound_rows(reading, coef, se, dof, strengths, control_mean, kd, alpha)
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    summary["n"] = summary["n"].astype("int64")
    return ClaimsSensitivity(summary, pd.DataFrame(bounds, columns=BOUND_COLUMNS))
