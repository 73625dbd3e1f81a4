"""Small-sample robust inference for linear models: HC2 / CR2 covariance with Bell–McCaffrey degrees of
freedom, and Fieller's interval for a ratio of two linear contrasts.

Why: portfolios hold 20–200 projects, often clustered in a few organisations. Heteroskedasticity- or
cluster-robust standard errors with normal (or t(n − k), t(G − 1)) critical values are too narrow there.
Bell & McCaffrey (2002) and Imbens & Kolesár (2016) fix both halves of the problem:

* **HC2 / CR2** ("bias-reduced linearisation"): each cluster's residuals e_g are multiplied by
  A_g = (I − H_gg)^(−1/2), H the hat matrix, before the sandwich is formed; the variance estimate is
  then unbiased when the errors are independent and homoskedastic. Without clusters CR2 is HC2.
* **Bell–McCaffrey degrees of freedom**: the variance estimate of a contrast ℓ'β is a quadratic form
  in the errors; under the same working model its distribution is approximated by a scaled χ² with
  df = (Σλ)² / Σλ², λ the eigenvalues of G'G (Satterthwaite). The interval is ℓ'β̂ ± t(df)·se.
  With a treatment decided per organisation, df falls to about the number of organisations, as it
  should; with one binary regressor and no clusters it is Imbens & Kolesár's closed form
  (N₀ + N₁)²(N₀ − 1)(N₁ − 1) / (N₁²(N₁ − 1) + N₀²(N₀ − 1)).

The computation follows Imbens & Kolesár's `dfadjust` (thin QR, one small eigen-problem per cluster,
df without forming an n × n matrix), so it scales to 10⁶ rows. Weighted models (WLS, a GLM's working
weights) are handled by passing the design and residuals premultiplied by √w.

`fieller_interval` gives the exact-under-normality interval of num/den, two linear contrasts of β with
a joint covariance (Fieller 1954): bounded only when den is significantly different from 0. Nothing
here reads files or knows a language.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["RobustCovariance", "robust_covariance", "fieller_interval"]

#: eigenvalues of I − H_gg below this are treated as 0 (pseudo-inverse square root, as `dfadjust`).
_TOL = 1e-9


@dataclass
class RobustCovariance:
    """HC2 (no clusters) or CR2 (clusters) covariance of OLS coefficients, with Bell–McCaffrey df.

    `vcov`: p × p covariance of β̂ in the units of the coefficients. `kind`: "HC2" or "CR2".
    `n_clusters`: clusters (rows when there are none). Use `se(ℓ)` and `df(ℓ)` for a contrast ℓ'β
    (ℓ a length-p vector; an int j means the j-th coefficient).
    """

    vcov: np.ndarray
    kind: str
    n: int
    n_clusters: int
    _R: np.ndarray
    _AQ: np.ndarray
    _Q: np.ndarray
    _codes: np.ndarray | None  # cluster of each row (None: each row its own cluster)

    def _ell(self, contrast) -> np.ndarray:
        if isinstance(contrast, (int, np.integer)):
            ell = np.zeros(self.vcov.shape[0])
            ell[int(contrast)] = 1.0
            return ell
        return np.asarray(contrast, dtype=float)

    def se(self, contrast) -> float:
        """Standard error of ℓ'β̂."""
        ell = self._ell(contrast)
        return float(math.sqrt(max(ell @ self.vcov @ ell, 0.0)))

    def df(self, contrast) -> float:
        """Bell–McCaffrey degrees of freedom of ℓ'β̂ (working model: independent, homoskedastic
        errors). NaN when the contrast is not estimable from the residuals (variance 0)."""
        ell = self._ell(contrast)
        a = self._AQ @ np.linalg.solve(self._R.T, ell)  # n
        a2, B = cluster_sums(a * a, a[:, None] * self._Q, self._codes, self.n_clusters)
        trace = a2.sum() - (B * B).sum()
        BtB = B.T @ B
        trace_sq = (a2 * a2).sum() - 2 * (a2 * (B * B).sum(axis=1)).sum() + (BtB * BtB).sum()
        if not (trace > 0 and trace_sq > 0):
            return float("nan")
        return float(trace * trace / trace_sq)


def robust_covariance(X: np.ndarray, resid: np.ndarray, groups=None) -> RobustCovariance:
    """HC2 / CR2 covariance of the OLS fit of some y on `X` (n × p, full column rank) whose residuals
    are `resid`. `groups`: one cluster label per row (None: every row its own cluster, i.e. HC2).
    For WLS or a GLM's working model, pass √w·X and √w·(working residual)."""
    X = np.asarray(X, dtype=float)
    e = np.asarray(resid, dtype=float)
    n, p = X.shape
    Q, R = np.linalg.qr(X)
    if groups is None:
        codes = None
        G = n
        h = (Q * Q).sum(axis=1)
        one_minus = 1.0 - h
        scale = np.where(one_minus >= _TOL, 1.0 / np.sqrt(np.maximum(one_minus, _TOL)), 0.0)
        AQ = scale[:, None] * Q
        Ae = scale * e
        kind = "HC2"
    else:
        codes, G = cluster_codes(groups, n)
        AQ = np.empty_like(Q)
        Ae = np.empty_like(e)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(G + 1))
        for g in range(G):
            rows = order[bounds[g] : bounds[g + 1]]
            Qg = Q[rows]
            # I − Q_g Q_g' = I − U S² U' (thin SVD Q_g = U S V'); its inverse square root is
            # I + U diag(f) U' with f = (1 − s²)^(−1/2) − 1 (f = −1 where 1 − s² ≈ 0: pseudo-inverse)
            U, s, Vt = np.linalg.svd(Qg, full_matrices=False)
            one_minus = 1.0 - s * s
            f = np.where(one_minus >= _TOL, 1.0 / np.sqrt(np.maximum(one_minus, _TOL)), 0.0) - 1.0
            AQ[rows] = Qg + (U * (f * s)) @ Vt
            Ae[rows] = e[rows] + U @ (f * (U.T @ e[rows]))
        kind = "CR2"
    _, meat_q = cluster_sums(None, Ae[:, None] * Q, codes, G)  # Q_g' A_g e_g per cluster (A_g symmetric)
    Rinv = np.linalg.inv(R)
    vcov = Rinv @ (meat_q.T @ meat_q) @ Rinv.T
    return RobustCovariance(vcov=vcov, kind=kind, n=n, n_clusters=G, _R=R, _AQ=AQ, _Q=Q, _codes=codes)


def cluster_codes(groups, n: int) -> tuple[np.ndarray | None, int]:
    """The cluster of each of `n` rows as codes 0 … G−1 (clusters in sorted label order) and the
    number of clusters G; `groups` None (no clustering): (None, n), each row its own cluster."""
    if groups is None:
        return None, n
    codes, _ = factorized(groups)
    return codes.astype(np.int64), int(codes.max()) + 1


def factorized(values) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (−1: missing) and the sorted labels of one label per row (clusters, organisations).
    A pandas Series is factorized as it is (an Arrow string column stays one: no Python string per row,
    158 MB at 10⁶ projects), anything else as Python objects; the same codes and labels either way."""
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    codes, names = pd.factorize(series, sort=True)
    return np.asarray(codes), np.asarray(names, dtype=object)


def group_sums(codes: np.ndarray, rows: np.ndarray, G: int) -> np.ndarray:
    """The G × p sums of the rows of `rows` (n × p) per group `codes` (integers 0…G−1), added in row
    order — the values `np.add.at(zeros, codes, rows)` gives, one `np.bincount` per column: `np.add.at`
    is unbuffered, about 50 × slower (a minute at 10⁶ projects). Each column is read as floats on its
    own (`rows` may be boolean: no n × p float copy of it)."""
    rows = np.asarray(rows)
    if rows.shape[1] == 0:
        return np.zeros((G, 0))
    return np.column_stack([np.bincount(codes, weights=rows[:, k], minlength=G) for k in range(rows.shape[1])])


def cluster_sums(values, rows: np.ndarray, codes, G: int):
    """Per-cluster sums of a vector `values` (None: skipped) and of the rows of a matrix `rows`
    (`codes`, G from `cluster_codes`); without clusters (`codes` None) each row is its own cluster
    and they are returned as they are. The meat of a cluster-robust sandwich is S'S, S the sums of
    the rows of the estimating functions (or of X'e terms) per cluster."""
    if codes is None:
        return values, rows
    sums = group_sums(codes, rows, G)
    return (None if values is None else np.bincount(codes, weights=values, minlength=G)), sums


def fieller_interval(
    num: float, den: float, var_num: float, var_den: float, cov: float, crit: float
) -> tuple[float, float] | None:
    """Fieller's interval for ρ = num / den: every ρ for which num − ρ·den is not significantly
    different from 0, i.e. (num − ρ den)² ≤ crit² · (var_num − 2ρ cov + ρ² var_den).

    `crit` is the critical value (e.g. t(df) quantile). Returns (low, high) when the set is a bounded
    interval — exactly when den² > crit²·var_den, i.e. the denominator is itself significantly
    different from 0 — and None otherwise (the set is unbounded: the data do not pin the ratio down).
    """
    c2 = crit * crit
    a = den * den - c2 * var_den
    if not a > 0:
        return None
    b = -2.0 * (num * den - c2 * cov)
    c = num * num - c2 * var_num
    disc = b * b - 4 * a * c
    root = math.sqrt(max(disc, 0.0))
    return ((-b - root) / (2 * a), (-b + root) / (2 * a))
