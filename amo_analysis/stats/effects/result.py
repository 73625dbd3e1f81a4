"""`EffectResult`, what every estimator returns, and `EffectError`, what it raises.

A result reads like a statsmodels results object: `summary()` (text), `_repr_html_()` (a table in
JupyterLab), `summary_frame()` (one DataFrame row), `conf_int(alpha)` (the interval at another level)
and a one-line repr. `to_dict()` is the JSON form; its keys and values are a contract (reports and
`results.json` are built from the same fields), so the live objects kept for inspection — the fitted
`model` and the interval's `reference` distribution — are left out of it, of equality and of the repr.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats as st

from amo_analysis.i18n import Message, localise
from amo_analysis.errors import InputError
from amo_analysis.results_display import Summary

__all__ = ["EffectError", "EffectResult", "Reference"]

#: reference distributions `EffectResult.conf_int` can rebuild at any level (estimate ± critical value × SE)
REBUILDABLE = ("t", "normal")
_REPR_TEXT = 30  # characters of the estimand and of the outcome name shown in the one-line repr

#: what each method fits, in words (the "Estimator" row of `EffectResult.summary()`)
ESTIMATOR_WORDS = {
    "difference": "difference in means, no adjustment (bootstrap / permutation, or Welch)",
    "ols": "OLS regression adjustment (treatment coefficient)",
    "ipw": "inverse probability weighting (logit/probit propensity on the covariates)",
    "aipw": "augmented IPW (doubly robust: outcome regression + propensity weights)",
    "quantile": "quantile regression (treatment coefficient)",
    "fractional_logit": "fractional logit GLM, average marginal effect",
    "log_linear": "log-linear GLM (Poisson quasi-likelihood), ratio of means − 1",
}


class EffectError(InputError):
    """The data cannot support the requested estimate (degenerate, unknown column, bad option)."""


@dataclass(frozen=True)
class Reference:
    """How a result's interval was built.

    `kind` "t" (Student t with `df` degrees of freedom) or "normal": the interval is estimate ±
    critical value × std_error (on the log scale for a "percent change", see `EffectResult.conf_int`)
    and can be rebuilt at any level. Any other kind ("BCa bootstrap", "percentile bootstrap") names a
    construction made at one fixed level only.
    """

    kind: str
    df: float | None = None

    def describe(self) -> str:
        """'t(117)', 'normal' or the construction's name."""
        return f"t({self.df:g})" if self.kind == "t" else self.kind


def _plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars -> Python, NaN/inf -> None, tuples/arrays -> lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Index, pd.Series)):
        return [_plain(v) for v in list(value)]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _number(value: float | None) -> str:
    """Four significant digits; '—' for a missing value."""
    return "—" if value is None else f"{value:.4g}"


def _shorten(text: str, limit: int = _REPR_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class EffectResult:
    """One effect estimate with its interval.

    `estimate`, `ci_low`, `ci_high` and `std_error` are on `scale`: "difference" (outcome units),
    "percentage points" (a fraction: 0.26 = 26 pp) or "percent change" (a fraction: −0.18 = −18 %).
    The interval is two-sided at `conf_level` (0.95 = 95 %). `p_value` tests "no effect". `n` counts
    the rows actually used (after dropping and trimming), `n_treated` + `n_control` = `n`.
    `covariates` are the adjustment columns as given (empty for the unadjusted difference).

    `details` (JSON-safe once through `to_dict()`) has one shape:

    * ``se_type`` (text): how the standard error was computed — set by every method except the
      resampling difference in means, whose keys predate it (its SE is the bootstrap SE; the
      `se_type` property fills that in, `to_dict()` stays as it was);
    * ``df``: degrees of freedom of the t reference, when the interval and p-value use one (OLS, the
      clustered difference, IPW/AIPW with ``small_sample``, log-linear with ``small_sample`` unless
      clustered). Welch's difference gives ``welch_df`` instead; quantile regression's analytic
      t(n − k) interval does not record it (see `reference`);
    * ``n_clusters``: number of clusters, when clusters were given to a method that uses them (all but
      quantile regression and the weighting bootstrap; below ``min_clusters`` a GLM or a statsmodels
      OLS ``cov_type`` records them but falls back to a non-clustered SE, with a note);
    * ``seed``, ``bootstrap_reps``: the difference in means and every bootstrap interval;
    * method-specific keys — difference: ``mean_treated``, ``mean_control`` (outcome units),
      ``bootstrap_method``, ``permutation_exact``, ``permutation_reps``; ols: ``coefficients``,
      ``assumption``, ``r_squared``, ``residual_sd`` (outcome units), ``ratio_of_means`` (adjusted
      means without / with the treatment and their ratio − 1 with Fieller's interval); ipw / aipw:
      ``propensity_*`` (link, covariates, min, max, treated / control ranges as fractions),
      ``n_extreme_propensity``, ``weights``, ``k_params``, ``potential_outcome_means`` and, when
      trimmed, ``n_trimmed`` and ``trim``; quantile: ``quantile``, ``coefficients``;
      fractional_logit: ``coefficients_logit``, ``ame_method``; log_linear: ``coefficients_log``,
      ``assumption``; "percent change" results: ``log_scale`` (estimate, interval and SE on the log
      scale, from which the percent change is exp(·) − 1).

    Not serialised, not compared, not in the repr: `model`, the fitted object behind the estimate
    (statsmodels results for ols — its own `bse` are the plain ones when the reported SE is HC2/CR2 —,
    quantile and the GLMs; the `weighting.MEstimate` for ipw / aipw; scipy's bootstrap or Welch test
    result, or the `robust.RobustCovariance` of a clustered difference), and `reference`, the
    interval's `Reference` distribution (None for a hand-made result), and `rows`, the index labels of
    the data rows the estimate used (leave-one-out, `analyses.stability`).
    """

    outcome: str
    treatment: str
    method: str
    estimand: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    std_error: float | None
    n: int
    n_treated: int
    n_control: int
    scale: str
    covariates: tuple[str, ...]
    conf_level: float = 0.95
    notes: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    model: Any = field(default=None, repr=False, compare=False)
    reference: Reference | None = field(default=None, repr=False, compare=False)
    #: the data's index labels of the rows the estimate used (not serialised; None for a hand-made result)
    rows: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        """JSON-serialisable dict (Python floats; NaN and infinities become None)."""
        return {
            "outcome": self.outcome,
            "treatment": self.treatment,
            "method": self.method,
            "estimand": self.estimand,
            "estimate": _plain(self.estimate),
            "ci_low": _plain(self.ci_low),
            "ci_high": _plain(self.ci_high),
            "p_value": _plain(self.p_value),
            "std_error": _plain(self.std_error),
            "n": int(self.n),
            "n_treated": int(self.n_treated),
            "n_control": int(self.n_control),
            "scale": self.scale,
            "covariates": list(self.covariates),
            "conf_level": float(self.conf_level),
            "notes": [str(n) for n in self.notes],
            "details": _plain(self.details),
        }

    def as_percent_change(self) -> "EffectResult":
        """Back-transform an effect estimated on a natural-log outcome: x -> exp(x) − 1.

        The CI bounds are transformed the same way (exact for a monotone map); the standard
        error becomes the delta-method exp(x)·se; the p-value is unchanged (x = 0 ⇔ exp(x) − 1 = 0).
        """
        if self.scale != "difference":
            raise EffectError(
                f"Only an effect on the 'difference' scale of a log outcome can be turned into a "
                f"percent change; this one ({self.method} on '{self.outcome}') is in {self.scale}."
            )
        se = None if self.std_error is None else float(math.exp(self.estimate) * self.std_error)
        details = dict(self.details)
        details["log_scale"] = {
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "std_error": self.std_error,
        }
        return replace(
            self,
            estimate=math.expm1(self.estimate),
            ci_low=math.expm1(self.ci_low),
            ci_high=math.expm1(self.ci_high),
            std_error=se,
            scale="percent change",
            notes=list(self.notes) + [Message("note_percent_change", outcome=self.outcome)],
            details=details,
        )

    # ----------------------------------------------------------------------------------------
    # Reading a result
    # ----------------------------------------------------------------------------------------

    @property
    def se_type(self) -> str:
        """How the standard error was computed: `details["se_type"]`, or for the resampling
        difference in means (which does not record it) its bootstrap standard error."""
        if "se_type" in self.details:
            return str(self.details["se_type"])
        if "bootstrap_method" in self.details:
            return f"bootstrap standard error ({self.details['bootstrap_method']} interval)"
        return "not recorded"

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """(low, high) two-sided interval at level 1 − `alpha`, on `scale`.

        The stored interval when `alpha` = 1 − `conf_level`. Otherwise rebuilt as estimate ± q·SE with
        q the 1 − alpha/2 quantile of the result's `reference` (t(df) or normal) — for a "percent
        change", on the log scale (`details["log_scale"]`) and mapped through exp(·) − 1, as the stored
        one was. A bootstrap interval exists at its level only: EffectError (re-estimate with another
        `conf_level`).
        """
        if not 0 < alpha < 1:
            raise EffectError(f"alpha must be between 0 and 1; got {alpha}.")
        if math.isclose(alpha, 1 - self.conf_level, rel_tol=0, abs_tol=1e-12):
            return self.ci_low, self.ci_high
        ref = self.reference
        if ref is None or ref.kind not in REBUILDABLE:
            how = "an unrecorded construction" if ref is None else f"a {ref.kind} construction"
            raise EffectError(
                f"The {self.conf_level:.0%} interval of this {self.method} estimate comes from {how} at "
                f"that level only; it cannot be recomputed for alpha={alpha:g} — estimate again with "
                f"conf_level={1 - alpha:g}."
            )
        log = self.scale == "percent change"
        on_log_scale = self.details.get("log_scale", {})
        estimate, se = (
            (on_log_scale.get("estimate"), on_log_scale.get("std_error")) if log else (self.estimate, self.std_error)
        )
        if estimate is None or se is None:
            raise EffectError(f"This {self.method} estimate has no standard error to rebuild its interval from.")
        q = float(st.t.ppf(1 - alpha / 2, ref.df) if ref.kind == "t" else st.norm.ppf(1 - alpha / 2))
        low, high = estimate - q * se, estimate + q * se
        return (math.expm1(low), math.expm1(high)) if log else (float(low), float(high))

    @property
    def log_outcome(self) -> bool:
        """Whether the estimate is a difference of a natural-log outcome (its name starts with `log_`,
        `ln_`, `log(` or `ln(`, scale "difference"): then exp(estimate) − 1 is the percent change of
        the ratio behind the log (−0.162 on ln(cost ÷ budget) = −15.0 % final cost relative to plan),
        which `summary()` and the repr show beside it (`as_percent_change()` converts the result)."""
        return self.scale == "difference" and self.outcome.lower().startswith(("log_", "ln_", "log(", "ln("))

    def _percent_words(self) -> str | None:
        """'−15.0 % [−30.1 %, +3.2 %]' (exp(·) − 1 of the log estimate and interval), or None."""
        if not self.log_outcome:
            return None
        values = (self.estimate, self.ci_low, self.ci_high)
        low_high = [math.expm1(v) if v is not None and math.isfinite(v) else None for v in values]
        pct = ["—" if v is None else f"{v:+.1%}" for v in low_high]
        return f"{pct[0]} [{pct[1]}, {pct[2]}]"

    def _lines(self) -> list[tuple[str, str]]:
        """(label, value) pairs shared by `summary()` and `_repr_html_()`: the model fitted (estimator,
        outcome and its scale, practice, covariates, covariance, rows and clusters), then the numbers."""
        se = _number(self.std_error)
        reference = "" if self.reference is None else f"; {self.reference.describe()} reference"
        covariates = ", ".join(self.covariates) or "none"
        clusters = self.details.get("n_clusters")
        scale = self.scale
        if self.log_outcome:
            scale += " of a natural log (log points; percent change = exp(d) − 1)"
        elif self.scale == "percent change" and "log_scale" in self.details:
            scale += " (exp(d) − 1 of a log-scale difference d)"
        lines = [
            ("Method", f"{self.method} — {self.estimand}"),
            ("Estimator", ESTIMATOR_WORDS.get(self.method, self.method)),
            ("Model", f"{self.outcome} ~ {self.treatment}" + "".join(f" + {c}" for c in self.covariates)),
            ("Outcome", self.outcome),
            ("Treatment", self.treatment),
            ("Rows", f"{self.n} ({self.n_treated} treated, {self.n_control} untreated)"),
            ("Clusters", "none (independent rows)" if clusters is None else str(clusters)),
            ("Scale", scale),
            ("Estimate", _number(self.estimate)),
        ]
        percent = self._percent_words()
        if percent is not None:
            lines.append(("Percent change", f"{percent} (exp(estimate) − 1; the estimate is a log difference)"))
        log_scale = self.details.get("log_scale") if self.scale == "percent change" else None
        if log_scale:
            lines.append(
                (
                    "Log difference",
                    f"{_number(log_scale.get('estimate'))} [{_number(log_scale.get('ci_low'))}, "
                    f"{_number(log_scale.get('ci_high'))}] (the estimate is exp(d) − 1 of it)",
                )
            )
        lines += [
            ("Std. error", f"{se} ({self.se_type}{reference})"),
            ("Covariance", self.se_type),
            (f"{self.conf_level:.0%} interval", f"[{_number(self.ci_low)}, {_number(self.ci_high)}]"),
            ("p-value", _number(self.p_value)),
            ("Covariates", covariates),
        ]
        return lines

    def summary(self, lang: str = "en") -> Summary:
        """The model and the estimate as a text table (a `str`) that shows as HTML in JupyterLab: method
        and estimand, estimator, model (outcome ~ treatment + covariates), outcome, treatment, rows,
        clusters, scale (a log outcome's percent change exp(d) − 1 beside the log difference), estimate,
        SE (its type and reference distribution), covariance, interval, p-value, covariates and the
        notes (the notes in `lang`; the rest is the developer's English view)."""
        title = f"Effect of {self.treatment} on {self.outcome}"
        return Summary(title, self._lines(), [localise(note, lang) for note in self.notes])

    def _repr_html_(self) -> str:
        """The `summary()` rows as a compact HTML table (JupyterLab); every text is escaped."""
        return self.summary().as_html()

    def summary_frame(self) -> pd.DataFrame:
        """One-row DataFrame: outcome, treatment, method, estimand, scale, estimate, std_error,
        ci_low, ci_high, conf_level, p_value, n, n_treated, n_control, se_type and df (degrees of
        freedom of a t reference, else NaN). A missing standard error is NaN."""
        nan = float("nan")
        df = self.reference.df if self.reference is not None and self.reference.kind == "t" else nan
        return pd.DataFrame(
            [
                {
                    "outcome": self.outcome,
                    "treatment": self.treatment,
                    "method": self.method,
                    "estimand": self.estimand,
                    "scale": self.scale,
                    "estimate": self.estimate,
                    "std_error": nan if self.std_error is None else self.std_error,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "conf_level": self.conf_level,
                    "p_value": self.p_value,
                    "n": self.n,
                    "n_treated": self.n_treated,
                    "n_control": self.n_control,
                    "se_type": self.se_type,
                    "df": float(df),
                }
            ]
        )

    def __repr__(self) -> str:
        percent = self._percent_words()
        percent = "" if percent is None else f" = {percent} as exp(d) − 1"
        return (
            f"<EffectResult {self.method} {_shorten(self.estimand)} {_shorten(self.outcome)}: "
            f"{self.estimate:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}]{percent} n={self.n}>"
        )
