"""Leave-one-out for OLS: what each project (or organisation) does to a coefficient, cheaply, and which
deletions are worth an exact refit.

Definitions (X the n × p design with a constant, β̂ the OLS coefficients, e the residuals, H = X(X'X)⁻¹X'
the hat matrix with diagonal h, X = QR a thin QR):

* **project deletion** — exact, analytic (Cook & Weisberg 1982, statsmodels' `OLSInfluence.dfbeta`
  without its scaling): β̂₍₋ᵢ₎ = β̂ − R⁻¹Qᵢ' eᵢ / (1 − hᵢ). One O(n p²) pass for every project at once.
  A project with hᵢ = 1 alone identifies a parameter (the only project of a category): its deletion
  makes the model lose a column; it is flagged (`unidentified`) and always refitted.
* **organisation deletion** — exact, analytic: β̂₍₋g₎ solves (X'X − X_g'X_g) β = X'y − X_g'y_g, with a
  pseudo-inverse, so that a covariate the organisation alone carries (its own dummy) drops out, as the
  refit drops it. O(n p² + G p³).

The interval after a deletion is not analytic: HC2 / CR2 (`robust`) re-weights every residual by its
leverage, and the Bell–McCaffrey df changes with the design. `screen` therefore gives a first-order
interval per deletion — the leave-one-out estimate ± the full fit's critical value × the standard
error with the deleted unit's share of the sandwich's meat removed — and keeps for an exact refit the
deletions that move an end of the interval by at least half the distance from that end to the nearest
decision boundary (the null or the claimed value), at most `max_refits` of them, largest movement
first. The half is slack for what the first-order interval leaves out (the other residuals' leverage
weights, the df); tests compare the screen with brute-force refits. Nothing here reads files or
knows a language.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular

from amo_analysis.stats.robust import factorized, group_sums

__all__ = [
    "Deletions",
    "project_deletions",
    "organisation_deletions",
    "screen",
    "movers",
    "MAX_REFITS",
    "Fit",
    "ols_fit",
    "hc2_se",
    "SCREEN_SHARE",
    "aft_deletions",
]

#: exact refits per reading and kind of unit (projects, organisations), at most
MAX_REFITS = 8
#: a deletion is refitted when it moves an end of the interval by this share of the end's distance to
#: the nearest decision boundary (first order)
SCREEN_SHARE = 0.5
_TOL = 1e-9


@dataclass
class Deletions:
    """Leave-one-unit-out results of one OLS fit, one entry per unit (project row or organisation).

    `labels`: the unit (a row position into the fit's rows for projects; the organisation label).
    `coef`: the treatment coefficient after the deletion (outcome units). `ratio`: the adjusted mean
    with ÷ without − 1 after the deletion (`regression._ratio_of_means`; NaN when μ₀ = 0).
    `se`: first-order standard error of the coefficient after the deletion (see module docstring).
    `unidentified`: the deletion removes the only information on a parameter. `leverage`: the deleted
    rows' summed hat values (how far the first-order interval may be off: it is exact as they → 0).
    `one_step` (`aft_deletions` of organisations only): the coefficient one Newton step after the
    deletion on the parameters still identified — where the deletion takes a covariate's only
    non-zero entries (an organisation's own dummy), which `unidentified` flags and `coef` leaves NaN."""

    labels: np.ndarray
    coef: np.ndarray
    ratio: np.ndarray
    se: np.ndarray
    unidentified: np.ndarray
    leverage: np.ndarray
    one_step: np.ndarray | None = None


#: rows of the leave-one-out coefficients computed at a time (`project_deletions`): 65 536 rows × 12
#: columns is 6 MB per intermediate instead of 96 MB each at 10⁶ projects; a portfolio of fewer rows is
#: one block, computed exactly as before
DELETION_ROWS = 65_536


def _thin_qr(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Thin QR of X. CholeskyQR2 (two Cholesky passes on the Gram matrix: BLAS-3 matrix products,
    several times faster than Householder on 10⁵–10⁶ rows, and as accurate when cond(X) < 10⁷,
    Yamamoto et al. 2015); Householder (`numpy.linalg.qr`) otherwise or when the Cholesky fails."""
    try:
        gram = X.T @ X
        scale = np.sqrt(np.diag(gram))
        if np.any(scale <= 0) or np.linalg.cond(gram / np.outer(scale, scale)) > 1e14:
            raise np.linalg.LinAlgError("ill-conditioned")
        R1 = np.linalg.cholesky(gram).T
        Q1 = solve_triangular(R1, X.T, trans="T").T
        R2 = np.linalg.cholesky(Q1.T @ Q1).T
        # the same solve written over Q1 (column-major as LAPACK wants it): one n × p array at a time, not two
        Q = solve_triangular(R2, Q1.T, trans="T", overwrite_b=True).T
        return Q, R2 @ R1
    except np.linalg.LinAlgError:
        return np.linalg.qr(X)


def _ratio(beta: np.ndarray, c0: np.ndarray, j: int) -> np.ndarray:
    """β_j / (c0 · β) row-wise, c0 the covariate means with the treatment entry set to 0."""
    c0 = c0.copy()
    c0[..., j] = 0.0
    mu0 = (c0 * beta).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mu0 != 0, beta[..., j] / mu0, np.nan)


def _contributions(Q: np.ndarray, R: np.ndarray, e: np.ndarray, h: np.ndarray, j: int) -> np.ndarray:
    """Each row's term wᵢ in the HC2 variance of β̂_j, Σ wᵢ² (rows as their own clusters)."""
    ell = np.zeros(R.shape[0])
    ell[j] = 1.0
    u = Q @ np.linalg.solve(R.T, ell)
    one_minus = 1.0 - h
    scale = np.where(one_minus >= _TOL, 1.0 / np.sqrt(np.maximum(one_minus, _TOL)), 0.0)
    return u * e * scale


def _shrunk_se(se: float, total: float, removed: np.ndarray) -> np.ndarray:
    """se × √(1 − removed ÷ total): the standard error without a unit's share of the meat."""
    if not total > 0:
        return np.full(len(removed), se)
    return se * np.sqrt(np.clip(1.0 - removed / total, 0.0, None))


@dataclass
class Fit:
    """The OLS pieces every deletion formula uses, computed once: X (n × p), y, thin QR (Q, R),
    coefficients `beta`, residuals `e`, hat values `h`. `Q` (n × p) may be dropped (None) once the
    project deletions are computed: the organisation deletions do not read it."""

    X: np.ndarray
    y: np.ndarray
    Q: np.ndarray | None
    R: np.ndarray
    beta: np.ndarray
    e: np.ndarray
    h: np.ndarray


def ols_fit(X: np.ndarray, y: np.ndarray) -> Fit:
    """`Fit` of the OLS of `y` on `X` (full column rank)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    Q, R = _thin_qr(X)
    beta = np.linalg.solve(R, Q.T @ y)
    h = np.empty(len(Q))
    for start in range(0, len(Q), DELETION_ROWS):  # each row's sum as one pass gives it: no n × p square of Q
        block = Q[start : start + DELETION_ROWS]
        h[start : start + DELETION_ROWS] = (block * block).sum(axis=1)
    return Fit(X, y, Q, R, beta, y - X @ beta, h)


def hc2_se(fit: Fit, j: int, groups=None) -> float:
    """HC2 standard error of coefficient `j` (`robust.robust_covariance` without clusters); with
    `groups`, the cluster sums of the HC2-weighted scores (CR2 without its cluster-block adjustment):
    the scale `project_deletions` needs when no robust fit is at hand."""
    w = _contributions(fit.Q, fit.R, fit.e, fit.h, j)
    if groups is not None:
        codes, _ = factorized(groups)
        w = np.bincount(codes, weights=w)
    return float(math.sqrt((w * w).sum()))


def project_deletions(
    X: np.ndarray, y: np.ndarray, j: int, se: float, groups=None, fit: Fit | None = None
) -> Deletions:
    """Every leave-one-project-out fit of the OLS of `y` on `X` (see module docstring): the coefficient
    `j` and the ratio of adjusted means, exactly; the standard error to first order (`se` is the full
    fit's, HC2 or, with `groups`, CR2). `fit`: `ols_fit(X, y)` when already computed."""
    fit = fit or ols_fit(X, y)
    X, Q, R, beta, e, h = fit.X, fit.Q, fit.R, fit.beta, fit.e, fit.h
    n = len(fit.y)
    unidentified = (1.0 - h) < 1e-8
    step = np.where(unidentified, 0.0, e / np.where(unidentified, 1.0, 1.0 - h))
    # μ₀ after deleting row i: the remaining rows' mean covariates (treatment entry 0) times β̂₍₋ᵢ₎
    sums = X.sum(axis=0)
    sums[j] = 0.0
    coef, mu0 = np.empty(n), np.empty(n)
    for start in range(0, n, DELETION_ROWS):  # a block of rows at a time: no n × p intermediates
        rows = slice(start, start + DELETION_ROWS)
        delta = solve_triangular(R, (Q[rows] * step[rows, None]).T).T  # β̂ − β̂₍₋ᵢ₎ (R upper triangular)
        beta_loo = beta[None, :] - delta
        coef[rows] = beta_loo[:, j]
        Xr = X[rows]
        mu0[rows] = (beta_loo @ sums - np.einsum("ij,ij->i", Xr, beta_loo) + Xr[:, j] * beta_loo[:, j]) / max(n - 1, 1)
    w = _contributions(Q, R, e, h, j)
    if groups is None:
        total = float((w * w).sum())
        removed = w * w
    else:
        codes, _ = factorized(groups)
        W = np.bincount(codes, weights=w)
        total = float((W * W).sum())
        removed = W[codes] ** 2 - (W[codes] - w) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(mu0 != 0, coef / mu0, np.nan)
    coef[unidentified] = np.nan
    ratio[unidentified] = np.nan
    return Deletions(
        labels=np.arange(n),
        coef=coef,
        ratio=ratio,
        se=_shrunk_se(se, total, removed),
        unidentified=unidentified,
        leverage=h,
    )


def organisation_deletions(
    X: np.ndarray, y: np.ndarray, j: int, se: float, organisations, groups=None, fit: Fit | None = None
) -> Deletions:
    """Every leave-one-organisation-out fit (see module docstring): `organisations` one label per row
    (missing labels are no organisation: never deleted). The first-order standard error after deleting
    organisation g is the sandwich with g's bread removed and g's rows (or, with `groups`, clusters)
    taken out of the meat, old residuals kept (HC2 weights), scaled to the full fit's `se`."""
    fit = fit or ols_fit(X, y)
    X, y, e, h = fit.X, fit.y, fit.e, fit.h
    codes, names = factorized(organisations)
    XtX, Xty, total_x = X.T @ X, X.T @ y, X.sum(axis=0)
    one_minus = 1.0 - h
    ae = e * np.where(one_minus >= _TOL, 1.0 / np.sqrt(np.maximum(one_minus, _TOL)), 0.0)
    if groups is None:  # each row its own cluster
        scores = X * ae[:, None]
        meat = scores.T @ scores
        scores = None  # an organisation's rows of it are computed in the loop: no n × p array through it
    else:
        cluster_of, _ = factorized(groups)
        scores = group_sums(cluster_of, X * ae[:, None], int(cluster_of.max()) + 1)
        meat = scores.T @ scores
    ell = np.zeros(X.shape[1])
    ell[j] = 1.0
    inv = np.linalg.pinv(XtX)
    var_full = float(ell @ inv @ meat @ inv @ ell)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    G = len(names)
    coef, ratio, var, unidentified = np.empty(G), np.empty(G), np.empty(G), np.zeros(G, dtype=bool)
    leverage = np.empty(G)
    for g in range(G):
        rows = order[bounds[g] : bounds[g + 1]]
        Xg = X[rows]
        A = XtX - Xg.T @ Xg
        keep = np.abs(np.diag(A)) > 1e-10 * max(1.0, float(np.abs(np.diag(XtX)).max()))
        b = np.zeros(X.shape[1])
        sub = np.ix_(keep, keep)
        b[keep] = np.linalg.lstsq(A[sub], (Xty - Xg.T @ y[rows])[keep], rcond=None)[0]
        unidentified[g] = not keep[j]
        coef[g] = b[j] if keep[j] else np.nan
        left = len(y) - len(rows)
        ratio[g] = _ratio(b, (total_x - Xg.sum(axis=0)) / left, j) if keep[j] and left else np.nan
        if groups is None:
            part = X[rows] * ae[rows, None]
            meat_g = meat - part.T @ part
        else:  # the clusters g touches lose g's rows
            touched = np.unique(cluster_of[rows])
            left_scores = scores[touched] - _sums(cluster_of[rows], X[rows] * ae[rows, None], touched)
            meat_g = meat - scores[touched].T @ scores[touched] + left_scores.T @ left_scores
        inv_g = np.zeros_like(A)
        inv_g[sub] = np.linalg.pinv(A[sub])
        var[g] = float(ell @ inv_g @ meat_g @ inv_g @ ell)
        leverage[g] = float(h[rows].sum())
    scale = se / math.sqrt(var_full) if var_full > 0 else float("nan")
    return Deletions(
        labels=np.asarray(names, dtype=object),
        coef=coef,
        ratio=ratio,
        se=np.sqrt(np.clip(var, 0.0, None)) * scale,
        unidentified=unidentified,
        leverage=leverage,
    )


def _solved_rows(H: np.ndarray, S: np.ndarray) -> np.ndarray:
    """H⁻¹ sᵢ for every row sᵢ of S (n × p), `DELETION_ROWS` rows at a time: LAPACK solves each
    right-hand side on its own, so these are the rows of `np.linalg.solve(H, S.T).T` (tested to the
    bit) without its two n × p working copies (100 MB each at 10⁶ projects)."""
    out = np.empty_like(S)
    for start in range(0, len(S), DELETION_ROWS):
        rows = slice(start, start + DELETION_ROWS)
        out[rows] = np.linalg.solve(H, S[rows].T).T
    return out


def _sums(codes: np.ndarray, rows: np.ndarray, touched: np.ndarray) -> np.ndarray:
    """Per cluster of `touched` (sorted), the sum of `rows` whose cluster code is in `codes`."""
    return group_sums(np.searchsorted(touched, codes), rows, len(touched))


def screen(
    estimate: np.ndarray,
    se: np.ndarray,
    low: float,
    high: float,
    crit: float,
    boundaries,
    unidentified: np.ndarray | None = None,
    max_refits: int = MAX_REFITS,
) -> np.ndarray:
    """Positions of the deletions worth an exact refit, most moving first (see module docstring).

    `estimate`, `se`: each deletion's coefficient and first-order standard error (model scale); `low`,
    `high`: the full fit's interval on the same scale; `crit`: its critical value; `boundaries`: the
    values at which the verdict changes when an end crosses them (the null, the claimed value), on the
    same scale. A deletion with a NaN estimate or `unidentified` is always kept (ranked first)."""
    estimate = np.asarray(estimate, dtype=float)
    bounds = np.array([b for b in boundaries if b is not None and math.isfinite(b)], dtype=float)
    if not (math.isfinite(low) and math.isfinite(high)) or len(estimate) == 0:
        return np.array([], dtype=int)
    new_low = estimate - crit * se
    new_high = estimate + crit * se
    score = np.zeros(len(estimate))
    for end, new in ((low, new_low), (high, new_high)):
        gap = np.abs(bounds - end).min() if len(bounds) else np.inf
        move = np.abs(new - end)
        score = np.maximum(score, move / gap if gap > 0 else np.where(move > 0, np.inf, 0.0))
    return _most_moving(score, estimate, unidentified, max_refits)


def _most_moving(score: np.ndarray, estimate: np.ndarray, unidentified, max_refits: int) -> np.ndarray:
    """Positions whose `score` reaches `SCREEN_SHARE`, highest first, at most `max_refits`; a deletion
    with a NaN estimate or `unidentified` scores infinity (kept, ranked first)."""
    odd = ~np.isfinite(estimate)
    if unidentified is not None:
        odd |= np.asarray(unidentified, dtype=bool)
    score = np.where(odd, np.inf, score)
    keep = np.flatnonzero(score >= SCREEN_SHARE)
    return keep[np.argsort(-score[keep], kind="stable")][:max_refits]


def movers(
    estimate: np.ndarray,
    se: np.ndarray,
    low: float,
    high: float,
    crit: float,
    unidentified: np.ndarray | None = None,
    max_refits: int = MAX_REFITS,
) -> np.ndarray:
    """Positions of the deletions whose first-order interval (estimate ± crit·se) moves an end of the
    full interval [low, high] by at least `SCREEN_SHARE` of the full standard error, (high − low) /
    (2 crit), most moving first, at most `max_refits`: the screen when the reading itself has no
    interval to compare with decision boundaries (a ratio whose Fieller interval is unbounded)."""
    estimate = np.asarray(estimate, dtype=float)
    full_se = (high - low) / (2 * crit) if crit > 0 else float("nan")
    if not (math.isfinite(full_se) and full_se > 0) or len(estimate) == 0:
        return np.array([], dtype=int)
    move = np.maximum(np.abs(estimate - crit * se - low), np.abs(estimate + crit * se - high)) / full_se
    return _most_moving(move, estimate, unidentified, max_refits)


def _meat_removed(codes: np.ndarray, cluster_of: np.ndarray, w: np.ndarray, W: np.ndarray, G: int) -> np.ndarray:
    """For each unit g (rows with `codes` == g; −1: never deleted), how much of the meat Σ_c W_c² it
    removes: the clusters it touches lose its rows' terms, Σ_c W_c² − Σ_c (W_c − s_gc)² with s_gc the
    sum of `w` over the unit's rows in cluster c. One pass over the (unit, cluster) pairs, O(n log n):
    a loop over units that scans every row is O(n²), hours at 10⁶ projects."""
    removed = np.zeros(G)
    if G == len(codes) and np.array_equal(codes, np.arange(G)):
        # each unit is one row: its only (unit, cluster) pair is its own row (the same sums, no sort)
        before = W[cluster_of]
        removed += before**2
        removed -= (before - w) ** 2
        return removed
    valid = np.flatnonzero(codes >= 0)
    if len(valid) == 0:
        return removed
    pairs, inverse = np.unique(np.stack([codes[valid], cluster_of[valid]], axis=1), axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    s = np.bincount(inverse, weights=w[valid], minlength=len(pairs))
    before = W[pairs[:, 1]]
    left = before - s
    removed += np.bincount(pairs[:, 0], weights=before**2, minlength=G)
    removed -= np.bincount(pairs[:, 0], weights=left**2, minlength=G)
    return removed


def aft_deletions(model, params, j: int, se: float, units=None, groups=None) -> Deletions:
    """Every leave-one-unit-out fit of a maximum-likelihood model with per-row scores and a Hessian
    (`stats.survival.LogNormalAFT`), to first order: one Newton step from the full fit,
    θ̂₍₋u₎ ≈ θ̂ + H⁻¹ s_u, where H is the Hessian of the full log-likelihood at θ̂ (negative definite:
    θ̂ − I⁻¹ s_u with I = −H the observed information) and s_u the unit's summed score (the remaining
    rows' score at θ̂ is −s_u). Analytic, O(n p² + p³); exact as the unit's weight → 0, and the
    deletions that could change a verdict are refitted exactly by the caller. For `units` (many rows
    each) the step uses the Hessian of the remaining rows, H₍₋u₎ = H − H_u (H_u from a model of the
    same class built on the unit's rows: `type(model)(endog, exog, observed)`), which keeps a large organisation's step close to the
    refit (measured in tests/analyses/test_claims_aft.py).

    `units`: one label per row (organisations; missing labels are never deleted), None: each row;
    `units` and `groups` may be pandas Series (factorized as they are: `robust.factorized`).
    `se`: the full fit's standard error of parameter `j`; the first-order standard error after a
    deletion is `se` × √(1 − the unit's share of the sandwich's meat for θ_j), the meat Σ w² of the
    rows' (or, with `groups`, the clusters') terms w = (H⁻¹ s)_j — HC0 when each row is its own
    cluster. `coef` is θ_j after the deletion (model scale, e.g. the log ratio); `ratio` is NaN (no
    ratio of means here); `leverage` is the unit's share of that meat (how far one step may be
    off); `unidentified` marks a deletion that leaves no finished row (`model.observed`) on one side
    of column `j` (treated / untreated) or a covariate column with no non-zero entry left."""
    params = np.asarray(params, dtype=float)
    S = np.asarray(model.score_obs(params), dtype=float)
    H = np.asarray(model.hessian(params), dtype=float)
    step = _solved_rows(H, S)  # n × p: row i's term H⁻¹ s_i
    if units is None:
        S = None  # only the units' loop reads the scores again: one n × p array fewer from here
    X = np.asarray(model.exog, dtype=float)
    observed = np.asarray(model.observed, dtype=bool)
    n = len(step)
    if units is None:
        codes, labels = np.arange(n), np.arange(n)
    else:
        codes, labels = factorized(units)
    G = len(labels)
    valid = codes >= 0
    # each row its own unit: a unit's sum is its row (the same numbers without two n × p copies)
    delta = step if units is None else group_sums(codes, step, G, keep=valid)
    w = step[:, j].copy()
    step = None  # what is read of it from here on: `delta` and `w`
    one_step = None
    if units is not None:  # a unit of many rows: the Newton step on its own reduced likelihood
        one_step = np.full(G, np.nan)
        order = np.argsort(codes, kind="stable")
        starts = np.searchsorted(codes[order], np.arange(G + 1))
        for g in range(G):
            rows = order[starts[g] : starts[g + 1]]
            try:
                # the Hessian is a sum over rows: the remaining rows' is the full one less the unit's
                # (O(unit rows · p²) per unit, not a model of every other row each time)
                H_g = H - type(model)(model.endog[rows], X[rows], observed[rows]).hessian(params)
                s_g = S[rows].sum(axis=0)
            except ValueError:
                delta[g] = np.nan
                continue
            # on the parameters the remaining rows still identify (a column left all zero drops out)
            alive = np.abs(np.diag(H_g)) > 1e-12 * max(1.0, float(np.abs(np.diag(H_g)).max()))
            try:
                step_g = np.linalg.solve(H_g[np.ix_(alive, alive)], s_g[alive])
            except np.linalg.LinAlgError:
                delta[g] = np.nan
                continue
            delta[g] = step_g if alive.all() else np.nan
            if alive[j]:
                one_step[g] = params[j] + step_g[int(alive[:j].sum())]
    coef = params[j] + delta[:, j]
    if groups is None:
        cluster_of = np.arange(n)
    else:
        cluster_of, _ = factorized(groups)
    W = np.bincount(cluster_of, weights=w)
    total = float((W * W).sum())
    removed = _meat_removed(codes, cluster_of, w, W, G)
    # what each deletion leaves: finished treated / untreated rows, non-zero entries per column
    t = X[:, j] != 0
    nonzero = X != 0
    unit_nonzero = nonzero if units is None else group_sums(codes, nonzero, G, keep=valid)
    unit_ft = np.bincount(codes[valid], weights=(observed & t)[valid].astype(float), minlength=G)
    unit_fu = np.bincount(codes[valid], weights=(observed & ~t)[valid].astype(float), minlength=G)
    exhausted = (unit_ft >= (observed & t).sum()) | (unit_fu >= (observed & ~t).sum())
    # a column left without a non-zero entry: its count ≤ the unit's (compared as they are: no n × p count array)
    unidentified = exhausted | (nonzero.sum(axis=0)[None, :] <= unit_nonzero).any(axis=1)
    coef = np.where(unidentified, np.nan, coef)
    if one_step is not None:  # no finished project left on one side: the effect itself is gone
        one_step = np.where(exhausted, np.nan, one_step)
    return Deletions(
        labels=labels,
        coef=coef,
        ratio=np.full(G, np.nan),
        se=_shrunk_se(se, total, removed),
        unidentified=unidentified,
        leverage=removed / total if total > 0 else np.zeros(G),
        one_step=one_step,
    )
