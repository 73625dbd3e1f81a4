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
df without forming an n × n matrix), so it scales to 10⁶ rows. Above `FACTORED_ROWS` rows, CR2 and its
df are computed from each cluster's small triangular factor (`r_factor` of its rows, in cache-sized
blocks; `ClusterFactors`) and HC2 and its df a block of rows at a time (`RowBlocks`): the same
quantities to rounding, without the n × p Q, A·Q and products the row-by-row computation reads
several times each (at 10⁶ projects those arrays no longer fit in the processor's cache: the
row-by-row computation took 2.4 × longer per project than at 10⁵). Below it nothing changes, to the
last digit. Weighted models (WLS, a GLM's working
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

__all__ = ["RobustCovariance", "robust_covariance", "fieller_interval", "r_factor"]

#: eigenvalues of I − H_gg below this are treated as 0 (pseudo-inverse square root, as `dfadjust`).
_TOL = 1e-9
#: rows above which CR2 is computed from each cluster's triangular factor and HC2 in blocks of rows.
FACTORED_ROWS = 65_536
#: rows per block of a blocked QR factorisation (`r_factor`): 65,536 × 13 doubles = 6.8 MB, in cache.
BLOCK_ROWS = 65_536


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
    _AQ: np.ndarray | None  # A·Q, n × p (None when the clusters' factors stand for it)
    _Q: np.ndarray | None  # Q of X = QR, n × p (idem)
    _codes: np.ndarray | None  # cluster of each row (None: each row its own cluster)
    _factors: ClusterFactors | RowBlocks | None = None  # what stands for Q and A·Q above `FACTORED_ROWS` rows

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
        w = np.linalg.solve(self._R.T, ell)
        if self._factors is not None:
            a2_sum, b2_sum, a2_sq, a2_b2, BtB = self._factors.moments(w)
            trace = a2_sum - b2_sum
            trace_sq = a2_sq - 2 * a2_b2 + (BtB * BtB).sum()
        else:
            a = self._AQ @ w  # n
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
    codes, G = cluster_codes(groups, n)
    if n > FACTORED_ROWS and groups is None:
        return _blocked_hc2(X, e)
    if n > FACTORED_ROWS and G * (p + 1) <= n:  # clusters of p + 1 rows or more on average
        return _factored_cr2(X, e, codes, G)
    Q, R = np.linalg.qr(X)
    if groups is None:
        codes = None
        G = n
        h = (Q * Q).sum(axis=1)
        scale = _inverse_sqrt(1.0 - h)
        AQ = scale[:, None] * Q
        Ae = scale * e
        kind = "HC2"
    else:
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
            f = _inverse_sqrt(1.0 - s * s) - 1.0
            AQ[rows] = Qg + (U * (f * s)) @ Vt
            Ae[rows] = e[rows] + U @ (f * (U.T @ e[rows]))
        kind = "CR2"
    _, meat_q = cluster_sums(None, Ae[:, None] * Q, codes, G)  # Q_g' A_g e_g per cluster (A_g symmetric)
    Rinv = np.linalg.inv(R)
    vcov = Rinv @ (meat_q.T @ meat_q) @ Rinv.T
    return RobustCovariance(vcov=vcov, kind=kind, n=n, n_clusters=G, _R=R, _AQ=AQ, _Q=Q, _codes=codes)


def _inverse_sqrt(one_minus: np.ndarray) -> np.ndarray:
    """x^(−1/2) of the eigenvalues x of I − H_gg (1 − leverage without clusters), 0 where x < `_TOL`:
    the pseudo-inverse square root."""
    return np.where(one_minus >= _TOL, 1.0 / np.sqrt(np.maximum(one_minus, _TOL)), 0.0)


def _f_of(s: np.ndarray) -> np.ndarray:
    """f = (1 − s²)^(−1/2) − 1 for the singular values s of Q_g (−1 where 1 − s² ≈ 0: pseudo-inverse),
    so that A_g = (I − Q_g Q_g')^(−1/2) = I + U diag(f) U' (thin SVD Q_g = U S V')."""
    return _inverse_sqrt(1.0 - s * s) - 1.0


@dataclass
class ClusterFactors:
    """What CR2 and its Bell–McCaffrey df need of each cluster g, in k = p + 1 dimensions instead of n_g.

    With [X_g e_g] = P_g T (P_g n_g × k orthonormal, T from `r_factor`, zero rows below n_g) and
    X = Q R: Q_g = P_g M_g, M_g = T[:, :p] R⁻¹, and e_g = P_g c_g, c_g = T[:, p]. The thin SVD
    M_g = W S V' gives Q_g's (U = P_g W, the same S and V), so every product of A_g, Q_g and e_g the
    estimator needs is a product of these k × p matrices: stacked G × k × p (`M`), G × k × m (`W`),
    G × m (`fs` = f·s, see `_f_of`), G × m × p (`Vt`)."""

    M: np.ndarray
    W: np.ndarray
    fs: np.ndarray
    Vt: np.ndarray

    def sums(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per cluster, Σ a_i² and Σ a_i Q_i for a = A·Q·w (what `cluster_sums` gives row by row):
        A_g Q_g w = P_g d_g with d_g = M_g w + W (fs ⊙ V'w), so Σ a² = |d_g|² and Q_g'a_g = M_g'd_g."""
        d = self.M @ w + np.einsum("gkm,gm->gk", self.W, self.fs * (self.Vt @ w))
        return (d * d).sum(axis=1), np.einsum("gkp,gk->gp", self.M, d)

    def moments(self, w: np.ndarray):
        """Σ_g a2_g, Σ_g |B_g|², Σ_g a2_g², Σ_g a2_g |B_g|² and B'B, from `sums` (what `df` needs)."""
        a2, B = self.sums(w)
        b2 = (B * B).sum(axis=1)
        return a2.sum(), b2.sum(), (a2 * a2).sum(), (a2 * b2).sum(), B.T @ B


@dataclass
class RowBlocks:
    """HC2 above `FACTORED_ROWS` rows (each row its own cluster) without an n × p Q or A·Q: Q's rows
    are recomputed `BLOCK_ROWS` at a time as X R⁻¹ from the design `X` (a reference, not a copy);
    `scale` = (1 − h)^(−1/2) (0 where 1 − h ≈ 0) and `h` the leverages, one per row."""

    X: np.ndarray
    Rinv: np.ndarray
    scale: np.ndarray
    h: np.ndarray

    def moments(self, w: np.ndarray):
        """As `ClusterFactors.moments`, each row a cluster: a_i = scale_i·Q_i w, B_i = a_i Q_i, so
        |B_i|² = a_i² h_i; accumulated block by block."""
        p = self.Rinv.shape[0]
        a2_sum = b2_sum = a2_sq = a2_b2 = 0.0
        BtB = np.zeros((p, p))
        for start in range(0, len(self.X), BLOCK_ROWS):
            rows = slice(start, start + BLOCK_ROWS)
            Q = self.X[rows] @ self.Rinv
            a = self.scale[rows] * (Q @ w)
            a2 = a * a
            b2 = a2 * self.h[rows]
            a2_sum, b2_sum = a2_sum + a2.sum(), b2_sum + b2.sum()
            a2_sq, a2_b2 = a2_sq + (a2 * a2).sum(), a2_b2 + (a2 * b2).sum()
            B = a[:, None] * Q
            BtB += B.T @ B
        return a2_sum, b2_sum, a2_sq, a2_b2, BtB


def r_factor(
    A: np.ndarray, last: np.ndarray | None = None, block_rows: int | None = None, constant: bool = False
) -> np.ndarray:
    """R of the QR factorisation of `A` (n × q), or of [A last] when a column `last` is given, or of
    [1 A …] with `constant` (a column of ones first): k × q' with k = min(n, q'), A = P R, P
    orthonormal. Computed `block_rows` rows at a time (default `BLOCK_ROWS`: each block's R, then the R
    of the blocks' Rs stacked), so only one block is factorised at once, in the processor's cache, and
    [1 A last] is never formed whole (the same blocks, so the same R, as the stacked matrix gives). R is
    unique up to the signs of its rows; its singular values are A's."""
    block_rows = block_rows or BLOCK_ROWS
    n, q = A.shape
    lead = int(constant)
    width = lead + q + (last is not None)
    if n <= block_rows and last is None and not constant:
        return np.linalg.qr(A, mode="r")
    buffer = np.empty((min(n, block_rows), width))
    parts = []
    for start in range(0, n, block_rows):
        rows = slice(start, min(start + block_rows, n))
        block = buffer[: rows.stop - rows.start]
        if constant:
            block[:, 0] = 1.0
        block[:, lead : lead + q] = A[rows]
        if last is not None:
            block[:, lead + q] = last[rows]
        parts.append(np.linalg.qr(block, mode="r"))
    return parts[0] if len(parts) == 1 else np.linalg.qr(np.vstack(parts), mode="r")


def _blocked_hc2(X: np.ndarray, e: np.ndarray) -> RobustCovariance:
    """HC2 with Bell–McCaffrey df a block of rows at a time (see `RowBlocks`)."""
    n, p = X.shape
    R = r_factor(X)
    Rinv = np.linalg.inv(R)
    scale = np.empty(n)
    h = np.empty(n)
    meat = np.zeros((p, p))
    for start in range(0, n, BLOCK_ROWS):
        rows = slice(start, start + BLOCK_ROWS)
        Q = X[rows] @ Rinv
        h[rows] = (Q * Q).sum(axis=1)
        scale[rows] = _inverse_sqrt(1.0 - h[rows])
        terms = (scale[rows] * e[rows])[:, None] * Q  # Q_i' A_i e_i, one row each
        meat += terms.T @ terms
    vcov = Rinv @ meat @ Rinv.T
    factors = RowBlocks(X=X, Rinv=Rinv, scale=scale, h=h)
    return RobustCovariance(
        vcov=vcov, kind="HC2", n=n, n_clusters=n, _R=R, _AQ=None, _Q=None, _codes=None, _factors=factors
    )


def _factored_cr2(X: np.ndarray, e: np.ndarray, codes: np.ndarray, G: int) -> RobustCovariance:
    """CR2 with Bell–McCaffrey df from each cluster's triangular factor (see `ClusterFactors`; `codes`
    and G from `cluster_codes`). Its G (p + 1)² factors are no larger than the design when clusters
    hold p + 1 rows or more on average, which `robust_covariance` checks before calling it."""
    n, p = X.shape
    k = p + 1
    pieces: list[list[np.ndarray]] = [[] for _ in range(G)]
    for start in range(0, n, BLOCK_ROWS):  # X read once, in order, a block of rows at a time
        stop = min(start + BLOCK_ROWS, n)
        block_codes = codes[start:stop]
        order = np.argsort(block_codes, kind="stable")
        bounds = np.searchsorted(block_codes[order], np.arange(G + 1))
        Xe = np.empty((stop - start, k))
        Xe[:, :p] = X[start:stop][order]
        Xe[:, p] = e[start:stop][order]
        for g in np.flatnonzero(np.diff(bounds)):
            pieces[g].append(np.linalg.qr(Xe[bounds[g] : bounds[g + 1]], mode="r"))
    T = np.zeros((G, k, k))
    for g, parts in enumerate(pieces):
        Tg = parts[0] if len(parts) == 1 else np.linalg.qr(np.vstack(parts), mode="r")
        T[g, : Tg.shape[0]] = Tg
    R = np.linalg.qr(T[:, :, :p].reshape(G * k, p), mode="r")  # Σ X_g'X_g = X'X = R'R
    Rinv = np.linalg.inv(R)
    M = T[:, :, :p] @ Rinv
    c = T[:, :, p]
    W, s, Vt = np.linalg.svd(M, full_matrices=False)
    fs = _f_of(s) * s
    # Q_g'A_g e_g = Q_g'e_g + Q_g'U diag(f) U'e_g = M_g'c_g + V diag(f·s) W'c_g
    meat_q = np.einsum("gkp,gk->gp", M, c) + np.einsum("gmp,gm->gp", Vt, fs * np.einsum("gkm,gk->gm", W, c))
    vcov = Rinv @ (meat_q.T @ meat_q) @ Rinv.T
    factors = ClusterFactors(M=M, W=W, fs=fs, Vt=Vt)
    return RobustCovariance(
        vcov=vcov, kind="CR2", n=n, n_clusters=G, _R=R, _AQ=None, _Q=None, _codes=codes, _factors=factors
    )


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


def group_sums(codes: np.ndarray, rows: np.ndarray, G: int, keep: np.ndarray | None = None) -> np.ndarray:
    """The G × p sums of the rows of `rows` (n × p) per group `codes` (integers 0…G−1), added in row
    order — the values `np.add.at(zeros, codes, rows)` gives, one `np.bincount` per column: `np.add.at`
    is unbuffered, about 50 × slower (a minute at 10⁶ projects). Each column is read as floats on its
    own (`rows` may be boolean: no n × p float copy of it). `keep` (booleans, one per row of `rows`
    and `codes`): only those rows, taken a column at a time — the sums of `rows[keep]` per
    `codes[keep]` without that n × p copy (100 MB at 10⁶ projects)."""
    rows = np.asarray(rows)
    if rows.shape[1] == 0:
        return np.zeros((G, 0))
    if keep is not None:
        codes = codes[keep]
    columns = (rows[:, k] if keep is None else rows[keep, k] for k in range(rows.shape[1]))
    return np.column_stack([np.bincount(codes, weights=column, minlength=G) for column in columns])


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
