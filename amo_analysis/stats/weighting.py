"""Inverse-probability weighting (IPW, Hájek) and augmented IPW (AIPW) as stacked M-estimators with an
analytic sandwich.

Parameters θ are estimated jointly from per-row estimating equations ψ_i(θ) whose sum is zero at θ̂:

* propensity model (binary GLM, logit or probit link F, linear index η = Z'γ):
  ψ_γ = Z · (t − F(η)) f(η) / (F(η)(1 − F(η)));
* IPW: ψ_μ1 = t·w₁·(y − μ₁), ψ_μ0 = (1 − t)·w₀·(y − μ₀), with w₁ = 1/F, w₀ = 1/(1 − F) for the ATE
  and w₁ = 1, w₀ = F/(1 − F) for the ATT (weights normalised within each group);
* AIPW (ATE): outcome OLS within each group, ψ_β1 = t·X(y − X'β₁), ψ_β0 = (1 − t)·X(y − X'β₀), and
  ψ_μ1 = X'β₁ + t(y − X'β₁)/F − μ₁, ψ_μ0 = X'β₀ + (1 − t)(y − X'β₀)/(1 − F) − μ₀.

The effect is τ = μ₁ − μ₀ (outcome units). Its variance is ℓ'J⁻¹ S J⁻ᵀℓ with J = Σ ∂ψ_i/∂θ' written
out analytically (no numerical step, so the interval does not change when a covariate changes units)
and S = Σ_g s_g s_g', s_g the sum of ψ_i over cluster g (each row its own cluster when none is given).
These are the equations of Stata's `teffects ipw` / `teffects aipw`, whose published standard errors
the tests reproduce. Point and interval use the same propensities: nothing is clipped.

Nothing here reads files, prints or knows a language; degenerate inputs raise `WeightingError`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.stats as st
from statsmodels.discrete.discrete_model import Logit, Probit
from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

from amo_analysis.errors import InputError
from amo_analysis.stats.robust import cluster_codes, cluster_sums

__all__ = ["WeightingError", "PropensityFit", "MEstimate", "fit_propensity", "ipw", "aipw"]

#: a propensity this close to 0 or 1 means the covariates predict the practice almost exactly.
SEPARATION_EPS = 1e-9


class WeightingError(InputError):
    """The weighting estimator cannot be computed on these data (one sentence says why)."""


@dataclass
class PropensityFit:
    """A fitted binary propensity model: coefficients `gamma` on `Z` (constant included), `link`,
    and the fitted probabilities `prob` (fractions)."""

    gamma: np.ndarray
    link: str
    prob: np.ndarray
    converged: bool

    def derivatives(self, Z: np.ndarray):
        """(F, f, score weight s, ds/dη) at each row: F the probability, f = dF/dη, s such that the
        score is Z·(t − F)·s, and d[f/(F(1 − F))]/dη for the Jacobian."""
        eta = Z @ self.gamma
        if self.link == "logit":
            F = 1.0 / (1.0 + np.exp(-eta))
            f = F * (1 - F)
            return F, f, np.ones_like(F), np.zeros_like(F)
        F = st.norm.cdf(eta)
        f = st.norm.pdf(eta)
        v = F * (1 - F)
        s = f / v
        ds = (-eta * f * v - f * f * (1 - 2 * F)) / (v * v)
        return F, f, s, ds


def fit_propensity(
    t: np.ndarray, Z: np.ndarray, link: str = "logit", label: str = "treatment", check_separation: bool = True
) -> PropensityFit:
    """Maximum-likelihood logit or probit of `t` (0/1) on `Z` (with its constant column) through
    statsmodels. Perfect or quasi-separation (a fitted probability within 1e-9 of 0 or 1), singular
    covariates or non-convergence raise WeightingError unless `check_separation` is False (then the
    fit is returned as it is, for trimming)."""
    model_cls = {"logit": Logit, "probit": Probit}.get(link)
    if model_cls is None:
        raise WeightingError(f"Propensity link must be 'logit' or 'probit'; got {link!r}.")
    separated = (
        f"The propensity model of '{label}' has perfect separation: the covariates predict "
        "treatment exactly, so treated and untreated projects are not comparable."
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = model_cls(t, Z).fit(disp=0, maxiter=200)
        except PerfectSeparationError as exc:
            raise WeightingError(separated) from exc
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise WeightingError(
                f"The propensity model of '{label}' could not be fitted (singular covariates)."
            ) from exc
    fit = PropensityFit(
        gamma=np.asarray(res.params, dtype=float),
        link=link,
        prob=np.asarray(res.predict()),
        converged=bool(res.mle_retvals.get("converged", True)),
    )
    if not check_separation:
        return fit
    if any(issubclass(type(w.message), PerfectSeparationWarning) for w in caught):
        raise WeightingError(separated)
    if not np.all(np.isfinite(fit.gamma)):
        raise WeightingError(f"The propensity model of '{label}' could not be fitted (singular covariates).")
    if not fit.converged or np.any(fit.prob < SEPARATION_EPS) or np.any(fit.prob > 1 - SEPARATION_EPS):
        raise WeightingError(
            f"The propensity model of '{label}' did not converge or predicts treatment almost "
            "exactly (quasi-separation); treated and untreated projects do not overlap."
        )
    return fit


@dataclass
class MEstimate:
    """τ̂ = μ̂₁ − μ̂₀ with its sandwich standard error.

    `effect`, `std_error`, `pom` (μ̂₀, μ̂₁) in outcome units; `n_params` = length of θ (propensity,
    outcome models and the two means); `n_clusters` = clusters in the meat (rows when none)."""

    effect: float
    std_error: float
    pom: tuple[float, float]
    n_params: int
    n_clusters: int


def _sandwich(psi: np.ndarray, jac: np.ndarray, groups, ell: np.ndarray) -> tuple[float, int]:
    codes, G = cluster_codes(groups, psi.shape[0])
    _, sums = cluster_sums(None, psi, codes, G)  # the estimating functions summed per cluster
    meat = sums.T @ sums
    try:
        a = np.linalg.solve(jac.T, ell)  # J⁻ᵀ ℓ
    except np.linalg.LinAlgError as exc:
        raise WeightingError(
            "The weighting estimator's equations are singular (a covariate or a "
            "group has no variation); no standard error."
        ) from exc
    var = float(a @ meat @ a)
    return math.sqrt(max(var, 0.0)), G


def _propensity_block(t, Z, ps: PropensityFit):
    F, f, s, ds = ps.derivatives(Z)
    psi = Z * ((t - F) * s)[:, None]
    # d/dγ' of Z (t − F) s = Z Z' [−f s + (t − F) ds]
    jac = (Z * (-f * s + (t - F) * ds)[:, None]).T @ Z
    return F, f, psi, jac


def ipw(
    y: np.ndarray, t: np.ndarray, Z: np.ndarray, ps: PropensityFit, estimand: str = "ATE", groups=None
) -> MEstimate:
    """Hájek IPW estimate of the ATE or ATT (see the module docstring) and its sandwich SE."""
    F, f, psi_g, jac_g = _propensity_block(t, Z, ps)
    k = Z.shape[1]
    if estimand == "ATE":
        w1, dw1 = 1.0 / F, -f / F**2
    else:
        w1, dw1 = np.ones_like(F), np.zeros_like(F)
    w0, dw0 = (1.0 / (1 - F), f / (1 - F) ** 2) if estimand == "ATE" else (F / (1 - F), f / (1 - F) ** 2)
    a1, a0 = t * w1, (1 - t) * w0
    mu1 = float((a1 * y).sum() / a1.sum())
    mu0 = float((a0 * y).sum() / a0.sum())
    psi = np.column_stack([psi_g, a0 * (y - mu0), a1 * (y - mu1)])
    jac = np.zeros((k + 2, k + 2))
    jac[:k, :k] = jac_g
    jac[k, :k] = ((1 - t) * (y - mu0) * dw0) @ Z
    jac[k, k] = -a0.sum()
    jac[k + 1, :k] = (t * (y - mu1) * dw1) @ Z
    jac[k + 1, k + 1] = -a1.sum()
    ell = np.zeros(k + 2)
    ell[k], ell[k + 1] = -1.0, 1.0
    se, G = _sandwich(psi, jac, groups, ell)
    return MEstimate(effect=mu1 - mu0, std_error=se, pom=(mu0, mu1), n_params=k + 2, n_clusters=G)


def aipw(y: np.ndarray, t: np.ndarray, X: np.ndarray, Z: np.ndarray, ps: PropensityFit, groups=None) -> MEstimate:
    """AIPW (doubly robust) estimate of the ATE with outcome OLS per group and its sandwich SE."""
    F, f, psi_g, jac_g = _propensity_block(t, Z, ps)
    kz, kx = Z.shape[1], X.shape[1]
    treated = t == 1
    beta = {}
    for g, mask in ((0, ~treated), (1, treated)):
        Xg = X[mask]
        if np.linalg.matrix_rank(Xg) < kx:
            name = "treated" if g else "untreated"
            raise WeightingError(
                f"AIPW fits one outcome model per group: the covariates do not vary "
                f"enough among the {name} projects to fit it."
            )
        beta[g] = np.linalg.lstsq(Xg, y[mask], rcond=None)[0]
    m0, m1 = X @ beta[0], X @ beta[1]
    r0, r1 = y - m0, y - m1
    phi1 = m1 + t * r1 / F
    phi0 = m0 + (1 - t) * r0 / (1 - F)
    mu1, mu0 = float(phi1.mean()), float(phi0.mean())
    # θ = (γ, β₀, β₁, μ₀, μ₁)
    i_b0, i_b1, i_m0, i_m1 = kz, kz + kx, kz + 2 * kx, kz + 2 * kx + 1
    p = kz + 2 * kx + 2
    psi = np.column_stack([psi_g, X * ((1 - t) * r0)[:, None], X * (t * r1)[:, None], phi0 - mu0, phi1 - mu1])
    jac = np.zeros((p, p))
    jac[:kz, :kz] = jac_g
    jac[i_b0:i_b1, i_b0:i_b1] = -(X * (1 - t)[:, None]).T @ X
    jac[i_b1:i_m0, i_b1:i_m0] = -(X * t[:, None]).T @ X
    jac[i_m0, :kz] = ((1 - t) * r0 * f / (1 - F) ** 2) @ Z
    jac[i_m0, i_b0:i_b1] = (1 - (1 - t) / (1 - F)) @ X
    jac[i_m0, i_m0] = -len(y)
    jac[i_m1, :kz] = (-t * r1 * f / F**2) @ Z
    jac[i_m1, i_b1:i_m0] = (1 - t / F) @ X
    jac[i_m1, i_m1] = -len(y)
    ell = np.zeros(p)
    ell[i_m0], ell[i_m1] = -1.0, 1.0
    se, G = _sandwich(psi, jac, groups, ell)
    return MEstimate(effect=mu1 - mu0, std_error=se, pom=(mu0, mu1), n_params=p, n_clusters=G)
