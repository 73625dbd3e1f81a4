"""Random-effects meta-analysis of per-organisation effects: `random_effects`.

Each organisation (a "study") gives an estimate y_i with its standard error s_i; the model is
y_i = mu + u_i + e_i with u_i ~ N(0, tau^2) (how much the true effect differs between
organisations) and e_i ~ N(0, s_i^2). What comes from statsmodels
(`statsmodels.stats.meta_analysis.combine_effects`): Cochran's Q, the between-organisation variance
tau^2 by Paule–Mandel ("pm", the root of the generalised Q = k − 1) or DerSimonian–Laird ("dl",
method of moments), the inverse-variance weights 1 / (s_i^2 + tau^2), the pooled estimate, its
standard error and the Hartung–Knapp(–Sidik–Jonkman) variance (the weighted residual variance,
with t on k − 1 degrees of freedom, floored at the plain variance by default). What is written here because statsmodels lacks it: I^2
(Higgins & Thompson 2002: tau^2 over tau^2 plus the typical within-organisation variance, as metafor
reports it; (Q − (k − 1)) / Q floored at 0 with DL), truncation of
tau^2 at 0 for DL, and the prediction interval of a new organisation's true effect, with t on
k − 2 degrees of freedom (Higgins, Thompson & Spiegelhalter 2009): mu ± t_{k−2} sqrt(tau^2 + SE^2).

Units: whatever the estimates are in (log ratios, fractions); tau^2 in their square; I^2 a fraction.
Checked against metafor's `dat.bcg` (13 BCG vaccine trials, log risk ratios) in
tests/stats/test_meta.py, with a coverage simulation of the default interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from amo_analysis.results_display import ResultDisplay, number

#: number of organisations up to which the Hartung–Knapp adjustment is the default (`knapp_hartung=None`)
SMALL_K = 20


@dataclass(frozen=True, repr=False)
class RandomEffectsResult(ResultDisplay):
    """A pooled random-effects estimate (`estimate`, `std_error`, `ci_low`, `ci_high`), the
    heterogeneity (`tau2`, `i2` a fraction, `q` Cochran's Q on `k` − 1 df, `q_p` its p-value) and
    the prediction interval of a new organisation's true effect (`pi_low`, `pi_high`; None when
    k < 3). `method` is "pm" or "dl", `knapp_hartung` whether the HK variance and t(k − 1) were used
    (floored at the plain variance unless `hk_floor` was False).
    `note` says why something could not be computed (empty when everything was)."""

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float
    q: float
    q_p: float
    k: int
    pi_low: float | None
    pi_high: float | None
    method: str
    knapp_hartung: bool
    conf_level: float = 0.95
    weights: tuple[float, ...] = field(default=(), repr=False)
    note: str = ""

    @property
    def tau(self) -> float:
        return math.sqrt(self.tau2)

    def _display_title(self) -> str:
        return f"Random-effects pooling of {self.k} estimates"

    def _display_rows(self) -> list[tuple[str, str]]:
        level = f"{self.conf_level:.0%}"
        pi = "— (needs k ≥ 3)" if self.pi_low is None else f"[{number(self.pi_low)}, {number(self.pi_high)}]"
        return [
            ("Pooled estimate", f"{number(self.estimate)} [{number(self.ci_low)}, {number(self.ci_high)}] ({level})"),
            ("Std. error", number(self.std_error)),
            ("Estimates (k)", str(self.k)),
            ("Prediction interval", pi),
            ("tau² (between)", number(self.tau2)),
            ("I²", f"{self.i2:.0%}" if math.isfinite(self.i2) else "—"),
            ("Cochran's Q", f"{number(self.q)} on {self.k - 1} df, p = {number(self.q_p)}"),
            ("Estimator", {"pm": "Paule–Mandel", "dl": "DerSimonian–Laird"}.get(self.method, self.method)),
            ("Hartung–Knapp", f"yes, t({self.k - 1})" if self.knapp_hartung else "no, normal"),
        ]

    def _display_notes(self, lang: str = "en") -> list[str]:
        return [self.note] if self.note else []

    def summary_frame(self) -> pd.DataFrame:
        """One row: estimate, std_error, ci_low, ci_high, pi_low, pi_high (NaN when k < 3), tau2,
        i2 (a fraction), q, q_p, k, method, knapp_hartung, conf_level (effects in the units given)."""
        nan = float("nan")
        return pd.DataFrame(
            [
                {
                    "estimate": self.estimate,
                    "std_error": self.std_error,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "pi_low": nan if self.pi_low is None else self.pi_low,
                    "pi_high": nan if self.pi_high is None else self.pi_high,
                    "tau2": self.tau2,
                    "i2": self.i2,
                    "q": self.q,
                    "q_p": self.q_p,
                    "k": self.k,
                    "method": self.method,
                    "knapp_hartung": self.knapp_hartung,
                    "conf_level": self.conf_level,
                }
            ]
        )


def random_effects(
    estimates,
    std_errors,
    method: str = "pm",
    knapp_hartung: bool | None = None,
    conf_level: float = 0.95,
    *,
    hk_floor: bool = True,
) -> RandomEffectsResult:
    """Pool `estimates` (one per organisation) with their `std_errors` in a random-effects model.

    `method` "pm" (Paule–Mandel, the default: recommended for few studies, Veroniki et al. 2016) or
    "dl" (DerSimonian–Laird). `knapp_hartung`: the Hartung–Knapp adjustment (t on k − 1 df); None
    (the default) uses it when k ≤ `SMALL_K`. `hk_floor`: the Hartung–Knapp variance is never
    smaller than the plain one (Knapp & Hartung 2003's ad hoc rule, metafor's `test="adhoc"`): with
    Paule–Mandel the two differ only when tau² is 0 and Q < k − 1, exactly where plain HK gives an
    interval narrower than a fixed-effect one (Röver, Knapp & Friede 2015). Raises ValueError for fewer than 2 estimates, a
    non-positive or non-finite standard error, or lengths that differ.
    """
    from statsmodels.stats.meta_analysis import combine_effects

    y = np.asarray(estimates, dtype=float)
    se = np.asarray(std_errors, dtype=float)
    if y.shape != se.shape or y.ndim != 1:
        raise ValueError("estimates and std_errors must be two sequences of the same length")
    k = len(y)
    if k < 2:
        raise ValueError(f"a meta-analysis needs at least 2 estimates (got {k})")
    if not (np.isfinite(y).all() and np.isfinite(se).all() and (se > 0).all()):
        raise ValueError("every estimate must be finite and every standard error finite and positive")
    method = method.lower()
    if method not in ("pm", "dl"):
        raise ValueError(f"method must be 'pm' or 'dl' (got {method!r})")
    if knapp_hartung is None:
        knapp_hartung = k <= SMALL_K
    alpha = 1 - conf_level

    variance = se**2
    with np.errstate(invalid="ignore", divide="ignore"):  # statsmodels' side statistics at tau² < 0 or Q = 0
        if method == "pm":
            res = combine_effects(y, variance, method_re="pm", atol=1e-10, maxiter=500)
        else:
            res = combine_effects(y, variance, method_re="dl")
    tau2 = max(float(res.tau2), 0.0)  # statsmodels leaves a negative DL moment estimate as it is
    weights = 1.0 / (variance + tau2)
    mu = float((weights * y).sum() / weights.sum())
    q = float(res.q)
    df = k - 1
    if knapp_hartung:
        scale = float((weights * (y - mu) ** 2).sum() / df)
        if hk_floor:
            scale = max(scale, 1.0)
        var_mu = scale / weights.sum()
        crit = stats.t.isf(alpha / 2, df)
    else:
        var_mu = 1.0 / weights.sum()
        crit = stats.norm.isf(alpha / 2)
    std_error = math.sqrt(var_mu)
    # I^2 as metafor computes it for any tau^2 estimator: tau^2 / (tau^2 + typical within variance);
    # with DL it is (Q − (k − 1)) / Q
    w_fixed = 1.0 / variance
    typical = df * w_fixed.sum() / (w_fixed.sum() ** 2 - (w_fixed**2).sum())
    i2 = tau2 / (tau2 + typical)
    if k >= 3:
        half = stats.t.isf(alpha / 2, k - 2) * math.sqrt(tau2 + var_mu)
        pi_low, pi_high, note = float(mu - half), float(mu + half), ""
    else:
        pi_low = pi_high = None
        note = "a prediction interval needs at least 3 organisations (t on k − 2 degrees of freedom)"
    return RandomEffectsResult(
        estimate=mu,
        std_error=std_error,
        ci_low=float(mu - crit * std_error),
        ci_high=float(mu + crit * std_error),
        tau2=tau2,
        i2=i2,
        q=q,
        q_p=float(stats.chi2.sf(q, df)),
        k=k,
        pi_low=pi_low,
        pi_high=pi_high,
        method=method,
        knapp_hartung=bool(knapp_hartung),
        conf_level=conf_level,
        weights=tuple(float(w) for w in weights / weights.sum()),
        note=note,
    )
