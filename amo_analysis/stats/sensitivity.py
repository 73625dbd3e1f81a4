"""Could something unmeasured explain it? Sensitivity of an estimate to an unobserved confounder.

Two families of closed forms, no simulation:

* **Omitted-variable bias in partial R²** (Cinelli & Hazlett 2020, "Making Sense of Sensitivity:
  Extending Omitted Variable Bias", JRSS-B 82(1); the R/Stata/Python package sensemakr). For an OLS
  estimate τ̂ of the practice with standard error se and residual degrees of freedom dof, an omitted
  confounder Z is described by two shares of *residual* variance (fractions in [0, 1]):
  R²_{D~Z|X} (`r2dz_x`, how much of the practice that the covariates X leave unexplained Z explains)
  and R²_{Y~Z|D,X} (`r2yz_dx`, how much of the outcome that practice and X leave unexplained Z
  explains). Then, exactly in the sample,

      |bias| = se · sqrt(dof) · sqrt(r2yz_dx · r2dz_x / (1 − r2dz_x))            (outcome units)
      se_adj = se · sqrt((1 − r2yz_dx) / (1 − r2dz_x)) · sqrt(dof / (dof − 1))

  and the adjusted interval is estimate ± t(1 − α/2, dof)·se_adj (as sensemakr's `ovb_bounds`).
  The partial R² of the practice with the outcome, t² / (t² + dof), and the robustness value RV_q
  — the share of residual variance a confounder must explain in *both* practice and outcome to
  remove 100·q % of the estimate — summarise it in one number each. Benchmark bounds express "a
  confounder k times as strong as log budget" through the observed partial R² of that covariate
  (sensemakr's `ovb_partial_r2_bound`, `ovb_bounds`).

* **E-values** (VanderWeele & Ding 2017, "Sensitivity Analysis in Observational Research:
  Introducing the E-Value", Ann Intern Med 167(4):268–274; R package EValue): the minimum strength of
  association, on the risk-ratio scale, that a confounder needs with both the practice and the outcome
  to move a risk ratio RR to the null: E = RR + sqrt(RR·(RR − 1)) for RR ≥ 1 (ratios below 1 are
  inverted first). A standardised mean difference d on a continuous outcome is first converted with
  RR ≈ exp(0.91·d) (VanderWeele 2017; the interval with exp(0.91·d ± 1.78·se)), odds and hazard ratios
  of a common outcome with VanderWeele's square-root conversions.

Balance diagnostics that complement the standardised mean differences of `effects.balance_table`:
variance ratios per covariate and the effective sample size of weights per group.

Nothing here reads files or knows a language; impossible inputs raise InputError (one sentence).

Size: over 600 lines because partial R², robustness values, the benchmark bounds and E-values are
one family (the same t and degrees of freedom, the formulas of Cinelli & Hazlett and VanderWeele & Ding),
each beside the published example it is tested against.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats as st
from statsmodels.regression.linear_model import OLS  # not statsmodels.api: 0.2 s less to import
from statsmodels.tools.tools import add_constant

from amo_analysis.errors import InputError
from amo_analysis.results_display import ResultDisplay, number

__all__ = [
    "partial_r2",
    "robustness_value",
    "SensitivityStats",
    "sensitivity_stats",
    "Adjusted",
    "adjusted",
    "bias",
    "benchmark_bounds",
    "BenchmarkR2",
    "benchmark_partial_r2",
    "contour_grid",
    "EValue",
    "evalue",
    "evalue_from_difference",
    "MD_TO_RR",
    "MD_SE_TO_LOG_RR",
]

#: VanderWeele (2017): a standardised mean difference d ≈ an odds ratio exp(1.81·d) of the dichotomised
#: outcome (Chinn 2000), whose square root is a risk ratio: RR ≈ exp(0.91·d).
MD_TO_RR = 0.91
#: ... and the interval of that risk ratio: exp(0.91·d ± 1.78·se(d)) (EValue's `evalues.MD`).
MD_SE_TO_LOG_RR = 1.78


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------


def _finite(value, name: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number; got {value!r}.") from None
    if not math.isfinite(out):
        raise InputError(f"{name} must be a finite number; got {value!r}.")
    return out


def _dof(dof, minimum: int = 1) -> float:
    out = _finite(dof, "dof (residual degrees of freedom)")
    if out < minimum:
        raise InputError(f"dof (residual degrees of freedom) must be at least {minimum}; got {dof}.")
    return out


def _share(value, name: str, *, below_one: bool = False) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1) or (below_one and np.any(arr >= 1)):
        bound = "[0, 1)" if below_one else "[0, 1]"
        raise InputError(f"{name} is a share of residual variance and must lie in {bound}; got {value!r}.")
    return arr


def _alpha(alpha) -> float:
    a = _finite(alpha, "alpha")
    if not 0 < a < 1:
        raise InputError(f"alpha must be between 0 and 1; got {alpha}.")
    return a


def _scalar(arr: np.ndarray):
    return float(arr) if np.ndim(arr) == 0 else arr


# --------------------------------------------------------------------------------------------
# partial R², robustness value
# --------------------------------------------------------------------------------------------


def partial_r2(t_stat, dof):
    """Partial R² of the practice with the outcome given the covariates: t² / (t² + dof), a fraction
    of the outcome's residual variance. `t_stat` is the practice's OLS t-value (scalar or array)."""
    t = np.asarray(t_stat, dtype=float)
    d = _dof(dof)
    return _scalar(t * t / (t * t + d))


def robustness_value(t_stat, dof, q: float = 1.0, alpha: float | None = None):
    """Robustness value RV_q (Cinelli & Hazlett 2020, eq. 19; sensemakr `robustness_value`): the share
    of residual variance (fraction) that a confounder must explain in both the practice and the outcome
    to reduce the estimate by 100·q % (q = 1: to zero). With f_q = q·|t| / sqrt(dof):

        RV_q = ½ (sqrt(f_q⁴ + 4 f_q²) − f_q²).

    With `alpha`, the share that makes the estimate no longer significant at that level: f_q is
    reduced by f* = |t*(α/2, dof − 1)| / sqrt(dof − 1) first; RV = 0 when f_q ≤ f* (not significant to
    begin with), and when f_q > 1/f* the equal-strength confounder is not the weakest one and the
    bound is the extreme value (f_q² − f*²) / (1 + f_q²) (sensemakr ≥ 0.1.4)."""
    t = np.asarray(t_stat, dtype=float)
    d = _dof(dof, minimum=2 if alpha is not None else 1)
    q = _finite(q, "q")
    if q <= 0:
        raise InputError(f"q (the share of the estimate to explain away) must be positive; got {q}.")
    fq = q * np.abs(t) / math.sqrt(d)
    if alpha is None:
        return _scalar(0.5 * (np.sqrt(fq**4 + 4 * fq**2) - fq**2))
    a = _alpha(alpha)
    f_crit = abs(st.t.ppf(a / 2, d - 1)) / math.sqrt(d - 1)
    fqa = fq - f_crit
    rv = 0.5 * (np.sqrt(fqa**4 + 4 * fqa**2) - fqa**2)
    rv_extreme = (fq**2 - f_crit**2) / (1 + fq**2)
    out = np.where(fqa <= 0, 0.0, np.where(fq > 1 / f_crit, rv_extreme, rv))
    return _scalar(out)


@dataclass(frozen=True)
class SensitivityStats:
    """The three numbers for routine reporting (Cinelli & Hazlett 2020, §6): estimate, se (outcome
    units), t, dof, `partial_r2` = R²_{Y~D|X}, `rv_q` and `rv_qa` (fractions of residual variance),
    for the given q and alpha."""

    estimate: float
    se: float
    t: float
    dof: float
    partial_r2: float
    rv_q: float
    rv_qa: float
    q: float
    alpha: float

    def sentence(self) -> str:
        """One sentence a reader can check against the benchmark bounds."""
        share = f"{100 * self.q:.0f} %"
        return (
            f"An unmeasured confounder would have to explain {100 * self.rv_q:.1f} % of the residual "
            f"variance of both the practice and the outcome to remove {share} of the estimate, and "
            f"{100 * self.rv_qa:.1f} % to make it no longer significant at the "
            f"{100 * (1 - self.alpha):.0f} % level."
        )


def sensitivity_stats(estimate, se, dof, q: float = 1.0, alpha: float = 0.05) -> SensitivityStats:
    """`SensitivityStats` of an OLS estimate (outcome units) with standard error `se` and `dof`
    residual degrees of freedom (sensemakr `sensitivity_stats`)."""
    est, s = _finite(estimate, "estimate"), _finite(se, "se")
    if s <= 0:
        raise InputError(f"se (standard error) must be positive; got {se}.")
    d = _dof(dof, minimum=2)
    t = est / s
    return SensitivityStats(
        est,
        s,
        t,
        d,
        float(partial_r2(t, d)),
        float(robustness_value(t, d, q)),
        float(robustness_value(t, d, q, alpha)),
        float(q),
        float(alpha),
    )


# --------------------------------------------------------------------------------------------
# bias-adjusted estimates, benchmark bounds, contour grid
# --------------------------------------------------------------------------------------------


def bias(se, dof, r2dz_x, r2yz_dx):
    """Size of the omitted-variable bias (outcome units, ≥ 0) of a confounder with partial R²
    `r2dz_x` with the practice and `r2yz_dx` with the outcome: se·sqrt(dof)·sqrt(r2yz·r2dz/(1 − r2dz))
    (Cinelli & Hazlett 2020, eq. 11; sensemakr `bias`)."""
    s, d = _finite(se, "se"), _dof(dof)
    rd = _share(r2dz_x, "r2dz_x", below_one=True)
    ry = _share(r2yz_dx, "r2yz_dx")
    return _scalar(s * math.sqrt(d) * np.sqrt(ry * rd / (1 - rd)))


@dataclass(frozen=True)
class Adjusted:
    """The estimate had a confounder of the given strength been adjusted for: `bias` (≥ 0), `estimate`,
    `se`, `ci_low`, `ci_high` (outcome units), `t` against h0 = 0, interval at 1 − alpha with
    t(dof) critical values as sensemakr's `ovb_bounds`."""

    r2dz_x: float
    r2yz_dx: float
    bias: float
    estimate: float
    se: float
    t: float
    ci_low: float
    ci_high: float


def _adjust_arrays(estimate, se, dof, rd, ry, reduce, alpha):
    b = se * math.sqrt(dof) * np.sqrt(ry * rd / (1 - rd))
    sign = 1.0 if estimate >= 0 else -1.0
    est = sign * (abs(estimate) - b) if reduce else sign * (abs(estimate) + b)
    s = np.sqrt((1 - ry) / (1 - rd)) * se * math.sqrt(dof / (dof - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / s
    crit = st.t.ppf(1 - alpha / 2, dof)  # sensemakr's ovb_bounds: t(dof), not t(dof − 1)
    return b, est, s, t, est - crit * s, est + crit * s


def adjusted(estimate, se, dof, r2dz_x, r2yz_dx, reduce: bool = True, alpha: float = 0.05) -> Adjusted:
    """Bias-adjusted estimate, se, t and interval (sensemakr `adjusted_estimate`, `adjusted_se`,
    `adjusted_t`): the confounder is assumed to pull the estimate towards zero (`reduce`) or away."""
    est, s, d = _finite(estimate, "estimate"), _finite(se, "se"), _dof(dof, minimum=2)
    rd = float(_share(r2dz_x, "r2dz_x", below_one=True))
    ry = float(_share(r2yz_dx, "r2yz_dx"))
    b, e, sa, t, lo, hi = _adjust_arrays(est, s, d, rd, ry, reduce, _alpha(alpha))
    return Adjusted(rd, ry, float(b), float(e), float(sa), float(t), float(lo), float(hi))


def benchmark_bounds(
    estimate,
    se,
    dof,
    r2dxj_x,
    r2yxj_dx,
    kd: Sequence[float] = (1, 2, 3),
    ky: Sequence[float] | None = None,
    label: str = "benchmark",
    alpha: float = 0.05,
    reduce: bool = True,
) -> pd.DataFrame:
    """Bounds on a confounder k times as strong as an observed covariate X_j (Cinelli & Hazlett 2020,
    §6.1; sensemakr `ovb_bounds` for OLS), e.g. "a confounder 1×, 2×, 3× as strong as log budget".

    `r2dxj_x`: partial R² of X_j with the practice given the other covariates; `r2yxj_dx`: partial R²
    of X_j with the outcome given the practice and the other covariates (`benchmark_partial_r2`
    computes both). For each k (kd for the practice side, ky for the outcome side, ky = kd unless
    given) the bound on the confounder's strength is

        r2dz_x  = kd · r2dxj / (1 − r2dxj)
        r2zxj   = kd · r2dxj² / ((1 − kd·r2dxj)(1 − r2dxj))
        r2yz_dx = ((sqrt(ky) + sqrt(r2zxj)) / sqrt(1 − r2zxj))² · r2yxj / (1 − r2yxj)   (capped at 1)

    and the row gives the adjusted estimate, se, t and (1 − alpha) interval at that bound. Columns:
    bound_label, kd, ky, r2dz_x, r2yz_dx, adjusted_estimate, adjusted_se, adjusted_t, adjusted_lower,
    adjusted_upper, capped (r2yz_dx was capped at 1)."""
    est, s, d = _finite(estimate, "estimate"), _finite(se, "se"), _dof(dof, minimum=2)
    if s <= 0:
        raise InputError(f"se (standard error) must be positive; got {se}.")
    rdx = float(_share(r2dxj_x, "r2dxj_x (benchmark's partial R² with the practice)", below_one=True))
    ryx = float(_share(r2yxj_dx, "r2yxj_dx (benchmark's partial R² with the outcome)", below_one=True))
    kd_arr = np.atleast_1d(np.asarray(kd, dtype=float))
    ky_arr = kd_arr if ky is None else np.atleast_1d(np.asarray(ky, dtype=float))
    if ky_arr.shape != kd_arr.shape:
        raise InputError(f"kd and ky must have the same length; got {kd_arr.size} and {ky_arr.size}.")
    multipliers = np.r_[kd_arr, ky_arr]
    if not (np.all(np.isfinite(multipliers)) and np.all(multipliers > 0)):
        raise InputError("The multipliers kd and ky must be positive numbers.")
    r2dz = kd_arr * rdx / (1 - rdx)
    if np.any(r2dz >= 1) or np.any(kd_arr * rdx >= 1):
        worst = float(kd_arr[np.argmax(kd_arr)])
        raise InputError(
            f"A confounder {worst:g} times as strong as {label} would explain all of the "
            f"practice's residual variance; use a smaller multiplier."
        )
    r2zxj = kd_arr * rdx**2 / ((1 - kd_arr * rdx) * (1 - rdx))
    if np.any(r2zxj >= 1):
        raise InputError(f"The multiplier implies an impossible confounder relative to {label}; use a smaller one.")
    r2yz = ((np.sqrt(ky_arr) + np.sqrt(r2zxj)) / np.sqrt(1 - r2zxj)) ** 2 * (ryx / (1 - ryx))
    capped = r2yz > 1
    r2yz = np.minimum(r2yz, 1.0)
    _, e, sa, t, lo, hi = _adjust_arrays(est, s, d, r2dz, r2yz, reduce, _alpha(alpha))
    labels = [f"{k:g}x {label}" if k == kk else f"{k:g}/{kk:g}x {label}" for k, kk in zip(kd_arr, ky_arr)]
    return pd.DataFrame(
        {
            "bound_label": labels,
            "kd": kd_arr,
            "ky": ky_arr,
            "r2dz_x": r2dz,
            "r2yz_dx": r2yz,
            "adjusted_estimate": e,
            "adjusted_se": sa,
            "adjusted_t": t,
            "adjusted_lower": lo,
            "adjusted_upper": hi,
            "capped": capped,
        }
    )


@dataclass(frozen=True)
class BenchmarkR2:
    """Observed strength of a benchmark covariate (or group of columns): `r2dxj_x` partial R² with the
    practice given the other covariates, `r2yxj_dx` with the outcome given practice and the other
    covariates (fractions), from OLS fits on `n` complete rows with residual dof `dof_d` and `dof_y`."""

    benchmark: str
    r2dxj_x: float
    r2yxj_dx: float
    dof_d: int
    dof_y: int
    n: int


def _numeric_design(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Columns as floats: numbers and booleans as they are, anything else one-hot (first level
    dropped); returns the design and, for each source column, its design columns."""
    parts, groups = [], {}
    for col in columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            parts.append(s.astype(float).rename(col))
            groups[col] = [col]
        else:
            dummies = pd.get_dummies(s.astype("category"), prefix=col, prefix_sep="=", drop_first=True, dtype=float)
            parts.append(dummies)
            groups[col] = list(dummies.columns)
    design = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)
    return design, groups


def _group_partial_r2(fit, names: list[str]) -> float:
    """Partial R² of a group of regressors: F·p / (F·p + dof) (sensemakr `group_partial_r2`)."""
    if len(names) == 1:
        t = float(fit.tvalues[names[0]])
        return t * t / (t * t + fit.df_resid)
    b = fit.params[names].to_numpy()
    V = fit.cov_params().loc[names, names].to_numpy()
    wald = float(b @ np.linalg.solve(V, b))  # = F·p
    return wald / (wald + fit.df_resid)


def benchmark_partial_r2(
    data: pd.DataFrame, outcome: str, treatment: str, covariates: Iterable[str], benchmark: str | Sequence[str]
) -> BenchmarkR2:
    """Partial R² of a benchmark covariate with the practice (OLS of the practice on all covariates)
    and with the outcome (OLS of the outcome on practice + all covariates), each t² / (t² + dof) — or
    F·p / (F·p + dof) for a group of columns (a categorical benchmark, or a list of names). The
    benchmark must be one of `covariates`. Rows with a missing value are left out."""
    covariates = list(covariates)
    bench = [benchmark] if isinstance(benchmark, str) else list(benchmark)
    missing = [c for c in [outcome, treatment, *covariates] if c not in data.columns]
    if missing:
        raise InputError(f"Column '{missing[0]}' is not in the data.")
    absent = [b for b in bench if b not in covariates]
    if absent:
        raise InputError(f"The benchmark '{absent[0]}' must be one of the covariates adjusted for.")
    frame = data[[outcome, treatment, *covariates]].dropna()
    design, groups = _numeric_design(frame, covariates)
    names = [c for b in bench for c in groups[b]]
    d = _numeric_design(frame, [treatment])[0].iloc[:, 0].to_numpy()
    y = pd.to_numeric(frame[outcome], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(y)):
        raise InputError(f"Outcome '{outcome}' must be numeric.")
    X = add_constant(design, has_constant="add")
    if len(frame) <= X.shape[1] + 1:
        raise InputError(f"{len(frame)} complete rows are too few for {X.shape[1] + 1} coefficients.")
    fit_d = OLS(d, X).fit()
    XD = X.assign(__practice__=d)
    fit_y = OLS(y, XD).fit()
    return BenchmarkR2(
        "+".join(bench),
        _group_partial_r2(fit_d, names),
        _group_partial_r2(fit_y, names),
        int(fit_d.df_resid),
        int(fit_y.df_resid),
        len(frame),
    )


def contour_grid(
    estimate,
    se,
    dof,
    r2dz_x: Sequence[float] | None = None,
    r2yz_dx: Sequence[float] | None = None,
    lim: float = 0.4,
    points: int = 41,
    reduce: bool = True,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Adjusted estimate and t over a grid of confounder strengths, for a contour plot (sensemakr
    `ovb_contour_plot`). Default grid: `points` values from 0 to `lim` on both axes. One row per grid
    point: r2dz_x, r2yz_dx, adjusted_estimate, adjusted_se, adjusted_t, adjusted_lower, adjusted_upper."""
    est, s, d = _finite(estimate, "estimate"), _finite(se, "se"), _dof(dof, minimum=2)
    if not 0 < lim < 1:
        raise InputError(f"lim must be between 0 and 1; got {lim}.")
    gx = np.linspace(0, lim, points) if r2dz_x is None else _share(r2dz_x, "r2dz_x", below_one=True)
    gy = np.linspace(0, lim, points) if r2yz_dx is None else _share(r2yz_dx, "r2yz_dx")
    RD, RY = np.meshgrid(np.atleast_1d(gx), np.atleast_1d(gy), indexing="ij")
    _, e, sa, t, lo, hi = _adjust_arrays(est, s, d, RD.ravel(), RY.ravel(), reduce, _alpha(alpha))
    return pd.DataFrame(
        {
            "r2dz_x": RD.ravel(),
            "r2yz_dx": RY.ravel(),
            "adjusted_estimate": e,
            "adjusted_se": sa,
            "adjusted_t": t,
            "adjusted_lower": lo,
            "adjusted_upper": hi,
        }
    )


# --------------------------------------------------------------------------------------------
# E-values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class EValue(ResultDisplay):
    """E-values (risk-ratio scale, ≥ 1): `point` for the estimate, `ci` for the interval limit closer
    to the null value (1 when the interval includes it; None without an interval). `rr`, `rr_low`,
    `rr_high`: the estimate and limits on the risk-ratio scale after any conversion; `note` says which
    conversion was used."""

    point: float
    ci: float | None
    rr: float
    rr_low: float | None
    rr_high: float | None
    measure: str
    note: str

    def _display_title(self) -> str:
        return "E-value (risk-ratio scale)"

    def _display_rows(self) -> list[tuple[str, str]]:
        interval = "—" if self.rr_low is None else f"[{number(self.rr_low)}, {number(self.rr_high)}]"
        return [
            ("E-value (estimate)", number(self.point)),
            ("E-value (interval)", "— (no interval)" if self.ci is None else number(self.ci)),
            ("Risk ratio", f"{number(self.rr)} {interval}"),
            ("Measure", self.measure),
            ("Conversion", self.note or "none"),
        ]

    def summary_frame(self) -> pd.DataFrame:
        """One row: point, ci (NaN without an interval), rr, rr_low, rr_high, measure, note."""
        nan = float("nan")
        row = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return pd.DataFrame([{k: nan if v is None else v for k, v in row.items()}])


def _threshold(rr: float, true: float = 1.0) -> float:
    """E-value of one risk ratio against the true value `true` (EValue's `threshold`); the ratio of
    the two, taken ≥ 1, so that 0.8 and 1/0.8 have the same E-value."""
    ratio = rr / true if rr >= true else true / rr
    return float(ratio + math.sqrt(ratio * (ratio - 1)))


def _to_rr(value: float, measure: str, rare: bool) -> float:
    if measure == "OR" and not rare:
        return math.sqrt(value)
    if measure == "HR" and not rare:
        root = math.sqrt(value)
        return (1 - 0.5**root) / (1 - 0.5 ** (1 / root))
    return value


def _evalue_rr(rr, lo, hi, true, measure, note) -> EValue:
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    if (lo is not None and rr < lo) or (hi is not None and rr > hi):
        raise InputError(f"The point estimate {rr:g} must lie inside its interval [{lo:g}, {hi:g}].")
    point = _threshold(rr, true)
    if rr == true:
        point = 1.0
    if lo is None and hi is None:
        ci = None
    elif rr >= true:  # the limit closer to the null is the lower one
        ci = None if lo is None else (1.0 if lo <= true else _threshold(lo, true))
    else:
        ci = None if hi is None else (1.0 if hi >= true else _threshold(hi, true))
    return EValue(point, ci, rr, lo, hi, measure, note)


def evalue(rr, ci_low=None, ci_high=None, rare: bool = True, measure: str = "RR", true: float = 1.0) -> EValue:
    """E-value of a ratio estimate and its interval (VanderWeele & Ding 2017; EValue's `evalues.RR`,
    `evalues.OR`, `evalues.HR`). `measure`: "RR" (risk or rate ratio), "OR" (odds ratio) or "HR"
    (hazard ratio). With `rare=False` (outcome more common than 15 % by the end of follow-up) odds and
    hazard ratios are first converted to risk ratios, OR → sqrt(OR) (VanderWeele 2017, Epidemiology
    28(6):e58) and HR → (1 − 0.5^sqrt(HR)) / (1 − 0.5^sqrt(1/HR)) (VanderWeele 2020, Biometrics); a
    risk ratio needs no conversion. Ratios below 1 are inverted, so 0.8 and 1.25 have the same E-value.
    `true`: the value to shift the estimate to (1: explain the association away)."""
    measure = str(measure).upper()
    if measure not in {"RR", "OR", "HR"}:
        raise InputError(f"measure must be 'RR', 'OR' or 'HR'; got {measure!r}.")
    values = {"estimate": rr, "ci_low": ci_low, "ci_high": ci_high, "true": true}
    for name, value in values.items():
        if value is not None and not (_finite(value, name) > 0):
            raise InputError(f"{name} is a ratio and must be positive; got {value!r}.")
    conv = {k: (None if v is None else _to_rr(float(v), measure, rare)) for k, v in values.items()}
    if measure == "RR" or rare:
        note = "risk ratio used as it is" if measure == "RR" else f"{measure} taken as a risk ratio (rare outcome)"
    elif measure == "OR":
        note = "odds ratio of a common outcome converted to a risk ratio as sqrt(OR) (VanderWeele 2017)"
    else:
        note = (
            "hazard ratio of a common outcome converted to a risk ratio as "
            "(1 − 0.5^sqrt(HR)) / (1 − 0.5^sqrt(1/HR)) (VanderWeele 2020)"
        )
    return _evalue_rr(conv["estimate"], conv["ci_low"], conv["ci_high"], conv["true"], measure, note)


def evalue_from_difference(d, se=None, ci_low=None, ci_high=None, true: float = 0.0) -> EValue:
    """E-value of a standardised mean difference d (Cohen's d: the difference in outcome units divided
    by the outcome's standard deviation) on a continuous outcome, through the approximate conversion
    RR ≈ exp(0.91·d) (VanderWeele 2017; EValue's `evalues.MD`). With `se` (of d) the interval is
    exp(0.91·d ± 1.78·se); alternatively give the interval of d as `ci_low`, `ci_high`. The conversion
    assumes a roughly normal outcome: with fat-tailed overruns the E-value is a rough guide."""
    d = _finite(d, "d (standardised mean difference)")
    true_rr = math.exp(MD_TO_RR * _finite(true, "true"))
    if se is not None:
        s = _finite(se, "se")
        if s <= 0:
            raise InputError(f"se (standard error of d) must be positive; got {se}.")
        lo = math.exp(MD_TO_RR * d - MD_SE_TO_LOG_RR * s)
        hi = math.exp(MD_TO_RR * d + MD_SE_TO_LOG_RR * s)
    else:
        lo = None if ci_low is None else math.exp(MD_TO_RR * _finite(ci_low, "ci_low"))
        hi = None if ci_high is None else math.exp(MD_TO_RR * _finite(ci_high, "ci_high"))
    note = (
        "standardised mean difference converted to a risk ratio as RR ≈ exp(0.91·d), interval "
        "exp(0.91·d ± 1.78·se) (VanderWeele 2017): approximate, assumes a roughly normal outcome"
    )
    return _evalue_rr(math.exp(MD_TO_RR * d), lo, hi, true_rr, "MD", note)
