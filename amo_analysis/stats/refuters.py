"""Refutation tests: does the practice's estimated effect survive checks it should survive?

Each refuter re-estimates the effect after a change that should (or should not) matter and returns a
`Refutation`: the original estimate, the refuted estimates' centre and 2.5–97.5 % range, a p-value
where there is one, `passed` and one sentence saying what passing or failing means.

* **placebo practice** (`"placebo_practice"`): the practice is shuffled across projects — or, with
  `clusters`, the organisation-level practice across organisations (when the practice varies inside
  organisations it is shuffled within each one instead: the shuffle follows how the practice was
  assigned). The permutation p-value is the share of placebo practices whose t-statistic is at least
  as far from 0 as the real one, (1 + #{|t_b| ≥ |t|}) / (1 + B) — studentised, so that a practice
  that goes with the covariates is compared with placebos at their own precision — or #{…} / B by
  exact enumeration when there are at most `draws` distinct assignments of organisations.
  `stands_out` is p ≤ alpha. The refuter raises an alarm (`passed` False) when the regression calls
  the estimate significant but placebo practices produce t-statistics as large: the model's own
  interval is then too narrow (e.g. organisation-level shocks ignored).
* **random common cause** (`"random_common_cause"`): an added N(0, 1) covariate must not move the
  estimate; passes when the mean absolute change is at most `tolerance` (0.25) standard errors.
* **data subsets** (`"data_subsets"`): the effect re-estimated on random 80 % subsets of projects (of
  organisations, with `clusters`); passes when the sign holds in ≥ 90 % of subsets and the spread of
  the subset estimates is at most one standard error (subsampling 80 % alone gives ≈ 0.5 SE).
* **dummy outcome** (`"dummy_outcome"`): the outcome replaced by one unrelated by construction (a
  shuffle of the outcome, or N(0, 1) noise); passes when the share of draws significant at alpha is
  no larger than chance (one-sided binomial p ≥ 0.01).

Two ways to estimate. Without `estimator`, OLS of the outcome on a constant, the covariates and the
practice (classical standard errors) is computed for all draws at once: by Frisch–Waugh–Lovell the
practice's coefficient is (M t_b)'(M y) / (M t_b)'(M t_b), M the residual maker of [1, X], so every
permuted practice, noise covariate or dummy outcome is one matrix product; subsets solve stacked
normal equations. With `estimator(frame, covariates) -> (estimate, se)` any estimator is refitted
draw by draw on a copy of the data (outcome and practice keep their column names; the random common
cause is an extra column whose name is appended to `covariates`). Both use the same random draws, so
for OLS they agree to rounding. Every random step takes `seed`.

Size: over 600 lines because the four refuters share one vectorised OLS path (all draws in one
least-squares solve) and one generic refit path for the other estimators; apart they would repeat it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.stats as st
from statsmodels.regression.linear_model import OLS  # not statsmodels.api: 0.2 s less to import

from amo_analysis.errors import InputError
from amo_analysis.results_display import ResultDisplay, number

__all__ = [
    "Refutation",
    "Estimator",
    "ols_estimator",
    "placebo_practice",
    "random_common_cause",
    "data_subsets",
    "dummy_outcome",
    "refute",
    "refutation_table",
]

#: estimator(frame, covariates) -> (estimate, standard error), both in outcome units
Estimator = Callable[[pd.DataFrame, list], tuple]
RANDOM_CAUSE = "__random_common_cause__"


@dataclass(frozen=True, repr=False)
class Refutation(ResultDisplay):
    """Result of one refuter. `estimate`, `se`: the original estimate and its standard error (outcome
    units); `refuted_estimate`: mean of the refuted estimates; `ci_low`, `ci_high`: their 2.5 % and
    97.5 % quantiles; `p_value`: see the refuter (NaN when it has none); `passed` and `sentence`: the
    verdict and what it means; `draws`: the refuted estimates; `details`: the numbers behind the
    verdict."""

    key: str
    estimate: float
    se: float
    refuted_estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    passed: bool
    sentence: str
    draws: np.ndarray = field(repr=False, compare=False)
    details: dict = field(default_factory=dict, compare=False)

    def _display_title(self) -> str:
        return f"Refutation: {self.key}"

    def _display_rows(self) -> list[tuple[str, str]]:
        return [
            ("Verdict", "passed" if self.passed else "failed"),
            ("Original estimate", f"{number(self.estimate)} (SE {number(self.se)})"),
            ("Refuted estimate", f"{number(self.refuted_estimate)} [{number(self.ci_low)}, {number(self.ci_high)}]"),
            ("p-value", number(self.p_value)),
            ("Draws", str(len(self.draws))),
            ("Meaning", self.sentence),
        ]

    def summary_frame(self) -> pd.DataFrame:
        """One row, indexed by `key` (as `refutation_table`)."""
        return refutation_table([self])

    def as_row(self) -> dict:
        """The result as one flat row (for `refutation_table`)."""
        return {
            "key": self.key,
            "estimate": self.estimate,
            "se": self.se,
            "refuted_estimate": self.refuted_estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "passed": self.passed,
            "sentence": self.sentence,
        }


def refutation_table(results: Iterable[Refutation]) -> pd.DataFrame:
    """One row per refutation, indexed by its key."""
    return pd.DataFrame([r.as_row() for r in results]).set_index("key")


# --------------------------------------------------------------------------------------------
# data preparation
# --------------------------------------------------------------------------------------------


@dataclass
class _Data:
    frame: pd.DataFrame  # complete rows, original columns (for a caller's estimator)
    y: np.ndarray
    t: np.ndarray  # 0/1 floats
    Q: np.ndarray  # orthonormal basis of [1, X] (n × r)
    covariates: list
    outcome: str
    treatment: str
    codes: np.ndarray | None  # organisation of each row, 0..G-1


def _prepare(data: pd.DataFrame, outcome: str, treatment: str, covariates: Iterable[str], clusters=None) -> _Data:
    covariates = list(covariates)
    if not isinstance(data, pd.DataFrame):
        raise InputError("The data must be a table (pandas DataFrame).")
    missing = [c for c in [outcome, treatment, *covariates] if c not in data.columns]
    if missing:
        raise InputError(f"Column '{missing[0]}' is not in the data.")
    frame = data[[outcome, treatment, *covariates]].copy()
    if clusters is not None:
        if isinstance(clusters, str):
            if clusters not in data.columns:
                raise InputError(f"Cluster column '{clusters}' is not in the data.")
            frame["__cluster__"] = data[clusters]
        else:
            arr = np.asarray(clusters)
            if arr.shape != (len(data),):
                raise InputError(f"clusters has {arr.size} values but the data has {len(data)} rows.")
            frame["__cluster__"] = arr
    frame = frame.dropna()
    y = pd.to_numeric(frame[outcome], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(y)):
        raise InputError(f"Outcome '{outcome}' must be numeric.")
    raw = frame[treatment]
    raw = raw.astype(float) if pd.api.types.is_bool_dtype(raw) else pd.to_numeric(raw, errors="coerce")
    t = raw.to_numpy(dtype=float)
    if not np.all(np.isin(t, (0.0, 1.0))):
        raise InputError(f"Practice '{treatment}' must be yes/no (true/false or 1/0).")
    if t.all() or not t.any():
        raise InputError(f"Practice '{treatment}' has only one value in the complete rows.")
    parts = [np.ones((len(frame), 1))]
    for col in covariates:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            parts.append(s.astype(float).to_numpy()[:, None])
        else:
            parts.append(pd.get_dummies(s.astype("category"), drop_first=True, dtype=float).to_numpy())
    Z = np.hstack(parts)
    U, sv, _ = np.linalg.svd(Z, full_matrices=False)
    Q = U[:, sv > sv[0] * max(Z.shape) * np.finfo(float).eps * 10]
    resid_t = t - Q @ (Q.T @ t)
    if resid_t @ resid_t <= 1e-10 * (t @ t):
        raise InputError(
            f"Practice '{treatment}' is fully determined by the covariates; its effect cannot be estimated."
        )
    if len(frame) - Q.shape[1] - 1 < 2:
        raise InputError(f"{len(frame)} complete rows are too few for {Q.shape[1] + 1} coefficients.")
    codes = None
    if clusters is not None:
        codes = pd.factorize(frame.pop("__cluster__"))[0]
    return _Data(frame, y, t, Q, covariates, outcome, treatment, codes)


def _residualise(Q: np.ndarray, A: np.ndarray) -> np.ndarray:
    return A - Q @ (Q.T @ A)


def _ols_columns(Q, y_res, T):
    """Coefficient and classical SE of each column of T (n × B) in OLS of y on [Z, T_b], by FWL."""
    R = _residualise(Q, T)
    rr = np.einsum("ij,ij->j", R, R)
    b = (R.T @ y_res) / rr
    dof = len(y_res) - Q.shape[1] - 1
    ssr = np.maximum(y_res @ y_res - b * b * rr, 0.0)
    return b, np.sqrt(ssr / dof / rr)


def _ols_outcomes(Q, t_res, Y):
    """Coefficient and classical SE of the practice for each outcome column of Y (n × B)."""
    R = _residualise(Q, Y)
    a = t_res @ t_res
    b = (t_res @ R) / a
    dof = len(t_res) - Q.shape[1] - 1
    ssr = np.maximum(np.einsum("ij,ij->j", R, R) - b * b * a, 0.0)
    return b, np.sqrt(ssr / dof / a)


def _original(d: _Data, estimator: Estimator | None) -> tuple[float, float, float]:
    """(estimate, se, dof) of the original data; dof = inf for a caller's estimator (normal p)."""
    if estimator is None:
        b, se = _ols_columns(d.Q, _residualise(d.Q, d.y), d.t[:, None])
        return float(b[0]), float(se[0]), float(len(d.y) - d.Q.shape[1] - 1)
    est, se = _call(estimator, d.frame, d.covariates)
    return est, se, math.inf


def _call(estimator: Estimator, frame: pd.DataFrame, covariates: list) -> tuple[float, float]:
    out = estimator(frame, list(covariates))
    try:
        est, se = (float(v) for v in out)
    except (TypeError, ValueError):
        raise InputError("The estimator must return (estimate, standard error).") from None
    return est, se


def _check_draws(draws: int, minimum: int, name: str) -> int:
    if int(draws) != draws or draws < minimum:
        raise InputError(f"{name} needs at least {minimum} draws; got {draws}.")
    return int(draws)


def _two_sided_p(est: float, se: float, dof: float) -> float:
    if not se > 0:
        return float("nan")
    z = abs(est / se)
    return float(2 * (st.norm.sf(z) if math.isinf(dof) else st.t.sf(z, dof)))


def _quantiles(values: np.ndarray) -> tuple[float, float, float]:
    v = values[np.isfinite(values)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    return float(v.mean()), float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975))


def _refutation(
    key: str,
    est: float,
    se: float,
    refuted: np.ndarray,
    p_value: float,
    passed,
    sentence: str,
    details: dict,
    *,
    kept=None,
) -> Refutation:
    """The `Refutation` of refuted estimates `refuted`; their centre and range are taken over `kept`
    (the usable ones) when given."""
    mean, lo, hi = _quantiles(refuted if kept is None else kept)
    return Refutation(key, est, se, mean, lo, hi, float(p_value), bool(passed), sentence, refuted, details)


# --------------------------------------------------------------------------------------------
# placebo practice
# --------------------------------------------------------------------------------------------


def _placebo_assignments(d: _Data, draws: int, rng: np.random.Generator) -> tuple[np.ndarray, str, bool]:
    """(n × B matrix of placebo practices, how they were shuffled, exact enumeration?)."""
    t, n = d.t, len(d.t)
    if d.codes is None:
        return rng.permuted(np.tile(t, (draws, 1)), axis=1).T, "across projects", False
    G = int(d.codes.max()) + 1
    per_cluster = np.bincount(d.codes, weights=t, minlength=G) / np.bincount(d.codes, minlength=G)
    if np.all((per_cluster == 0) | (per_cluster == 1)):  # decided per organisation
        g1 = int(per_cluster.sum())
        if math.comb(G, g1) <= draws:
            combos = list(itertools.combinations(range(G), g1))
            V = np.zeros((len(combos), G))
            for i, c in enumerate(combos):
                V[i, list(c)] = 1.0
            return V[:, d.codes].T, "across organisations (all assignments)", True
        V = rng.permuted(np.tile(per_cluster, (draws, 1)), axis=1)
        return V[:, d.codes].T, "across organisations", False
    base = np.argsort(d.codes, kind="stable")
    keys = d.codes[base][None, :] + rng.random((draws, n))
    order = base[np.argsort(keys, axis=1, kind="stable")]
    T = np.empty((draws, n))
    T[:, base] = t[order]
    return T.T, "within organisations", False


def placebo_practice(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Iterable[str] = (),
    *,
    clusters=None,
    draws: int = 500,
    seed: int = 0,
    alpha: float = 0.05,
    estimator: Estimator | None = None,
) -> Refutation:
    """Placebo-practice refuter: the practice shuffled at random (see the module docstring) ≥ 200
    times; where the real t-statistic falls among the placebo ones gives the permutation p-value
    (two-sided). `draws` holds the placebo estimates. `details`: stands_out, model_p (the
    regression's own p), shuffled (how), exact, draws."""
    draws = _check_draws(draws, 200, "The placebo-practice refuter")
    d = _prepare(data, outcome, treatment, covariates, clusters)
    est, se, dof = _original(d, estimator)
    T, how, exact = _placebo_assignments(d, draws, np.random.default_rng(seed))
    if estimator is None:
        placebo, placebo_se = _ols_columns(d.Q, _residualise(d.Q, d.y), T)
    else:
        as_bool = pd.api.types.is_bool_dtype(d.frame[treatment])
        pairs = [
            _call(estimator, d.frame.assign(**{treatment: T[:, b] > 0 if as_bool else T[:, b]}), d.covariates)
            for b in range(T.shape[1])
        ]
        placebo, placebo_se = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    # studentised: each placebo's |t| against the real |t|, so that a practice correlated with the
    # covariates (whose shuffles are not) is judged against its own precision
    with np.errstate(divide="ignore", invalid="ignore"):
        t_placebo = np.abs(placebo / placebo_se)
    t_real = abs(est / se)
    tol = 1e-10 * max(t_real, 1e-300)
    hits = int(np.sum(t_placebo >= t_real - tol))
    p = hits / placebo.size if exact else (1 + hits) / (1 + placebo.size)
    model_p = _two_sided_p(est, se, dof)
    stands_out = p <= alpha
    model_sig = model_p <= alpha
    passed = stands_out or not model_sig
    B = placebo.size
    if stands_out and model_sig:
        sentence = (
            f"The real practice stands out: {hits} of {B} placebo practices (shuffled {how}) gave an "
            f"estimate as clearly away from zero (p = {p:.3f}), so the effect is not an artefact of how the "
            f"practice happens to be spread."
        )
    elif model_sig:
        sentence = (
            f"Alarm: {p:.0%} of {B} placebo practices (shuffled {how}) gave an estimate as clearly "
            f"away from zero as the real one, so the regression's significance (p = {model_p:.3f}) is not "
            f"borne out."
        )
    elif stands_out:
        sentence = (
            f"The real practice stands out from {B} placebo practices (shuffled {how}, p = {p:.3f}) "
            f"although the regression's own interval includes zero."
        )
    else:
        sentence = (
            f"The real practice does not stand out from {B} placebo practices (shuffled {how}, "
            f"p = {p:.2f}), consistent with the regression finding no clear effect."
        )
    details = {"stands_out": bool(stands_out), "model_p": model_p, "shuffled": how, "exact": exact, "draws": int(B)}
    return _refutation("placebo_practice", est, se, placebo, p, passed, sentence, details)


# --------------------------------------------------------------------------------------------
# random common cause
# --------------------------------------------------------------------------------------------


def random_common_cause(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Iterable[str] = (),
    *,
    draws: int = 50,
    seed: int = 0,
    tolerance: float = 0.25,
    estimator: Estimator | None = None,
) -> Refutation:
    """Random-common-cause refuter: an independent N(0, 1) covariate added `draws` times; the change
    of the estimate is reported in standard errors of the original estimate. `details`:
    mean_abs_change_se, max_abs_change_se, draws. p_value: NaN."""
    draws = _check_draws(draws, 10, "The random-common-cause refuter")
    d = _prepare(data, outcome, treatment, covariates)
    est, se, _ = _original(d, estimator)
    rng = np.random.default_rng(seed)
    Znoise = rng.standard_normal((len(d.y), draws))
    if estimator is None:
        y_r, t_r, z_r = _residualise(d.Q, d.y), _residualise(d.Q, d.t), _residualise(d.Q, Znoise)
        a, b = t_r @ t_r, t_r @ z_r
        c = np.einsum("ij,ij->j", z_r, z_r)
        d1, d2 = t_r @ y_r, z_r.T @ y_r
        refuted = (c * d1 - b * d2) / (a * c - b * b)
    else:
        refuted = np.array(
            [
                _call(estimator, d.frame.assign(**{RANDOM_CAUSE: Znoise[:, j]}), [*d.covariates, RANDOM_CAUSE])[0]
                for j in range(draws)
            ]
        )
    change = np.abs(refuted - est) / se
    mean_change, max_change = float(change.mean()), float(change.max())
    passed = mean_change <= tolerance
    if passed:
        sentence = (
            f"Adding a random covariate moved the estimate by {mean_change:.2f} standard errors on "
            f"average ({draws} draws): the estimate does not react to a cause that cannot matter."
        )
    else:
        sentence = (
            f"Adding a random covariate moved the estimate by {mean_change:.2f} standard errors on "
            f"average ({draws} draws), more than {tolerance:g}: the estimate is fragile to irrelevant "
            f"adjustments."
        )
    details = {"mean_abs_change_se": mean_change, "max_abs_change_se": max_change, "draws": draws}
    return _refutation("random_common_cause", est, se, refuted, float("nan"), passed, sentence, details)


# --------------------------------------------------------------------------------------------
# data subsets
# --------------------------------------------------------------------------------------------


def _subset_masks(d: _Data, draws: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    n = len(d.y)
    if d.codes is None:
        m = int(round(fraction * n))
        keys = rng.random((draws, n))
        cut = np.sort(keys, axis=1)[:, m - 1 : m]
        return (keys <= cut).T.astype(float)
    G = int(d.codes.max()) + 1
    m = int(round(fraction * G))
    keys = rng.random((draws, G))
    cut = np.sort(keys, axis=1)[:, m - 1 : m]
    return (keys <= cut)[:, d.codes].T.astype(float)


def _batched_ols(X: np.ndarray, y: np.ndarray, W: np.ndarray, j: int) -> np.ndarray:
    """Coefficient j of OLS of y on X for each 0/1 row mask in W (n × B); NaN where X restricted to the
    mask does not identify it."""
    XtWX = np.einsum("ni,nb,nj->bij", X, W, X)
    XtWy = np.einsum("ni,nb,n->bi", X, W, y)
    rank_full = np.linalg.matrix_rank(XtWX, hermitian=True)
    others = [i for i in range(X.shape[1]) if i != j]
    rank_rest = np.linalg.matrix_rank(XtWX[:, others][:, :, others], hermitian=True)
    coef = np.einsum("bij,bj->bi", np.linalg.pinv(XtWX, hermitian=True), XtWy)[:, j]
    return np.where(rank_full > rank_rest, coef, np.nan)


def data_subsets(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Iterable[str] = (),
    *,
    clusters=None,
    fraction: float = 0.8,
    draws: int = 200,
    seed: int = 0,
    estimator: Estimator | None = None,
) -> Refutation:
    """Data-subsets refuter: the effect on `draws` (≥ 100) random subsets holding `fraction` of the
    projects (of the organisations, with `clusters`). `details`: same_sign (share of subsets whose
    estimate has the original's sign), sd_ratio (SD of the subset estimates ÷ original SE), usable
    (subsets where the effect could be estimated). p_value: NaN."""
    draws = _check_draws(draws, 100, "The data-subsets refuter")
    if not 0 < fraction < 1:
        raise InputError(f"fraction must be between 0 and 1; got {fraction}.")
    d = _prepare(data, outcome, treatment, covariates, clusters)
    est, se, _ = _original(d, estimator)
    W = _subset_masks(d, draws, fraction, np.random.default_rng(seed))
    if estimator is None:
        X = np.hstack([d.Q, d.t[:, None]])
        refuted = _batched_ols(X, d.y, W, X.shape[1] - 1)
    else:
        refuted = np.empty(draws)
        for b in range(draws):
            sub = d.frame[W[:, b] > 0]
            tt = sub[treatment].astype(float)
            refuted[b] = _call(estimator, sub, d.covariates)[0] if 0 < tt.sum() < len(tt) else np.nan
    ok = refuted[np.isfinite(refuted)]
    if ok.size < draws / 2:
        raise InputError(
            f"The effect could be estimated on only {ok.size} of {draws} subsets; the data are too thin for this check."
        )
    same_sign = float(np.mean(np.sign(ok) == np.sign(est)))
    sd_ratio = float(ok.std(ddof=1) / se)
    passed = same_sign >= 0.9 and sd_ratio <= 1.0
    unit = "organisations" if d.codes is not None else "projects"
    if passed:
        sentence = (
            f"On {ok.size} random {fraction:.0%} subsets of {unit} the estimate kept its sign in "
            f"{same_sign:.0%} of them and varied by {sd_ratio:.2f} standard errors: no small group "
            f"of {unit} drives it."
        )
    elif same_sign < 0.9:
        sentence = (
            f"On {ok.size} random {fraction:.0%} subsets of {unit} the estimate kept its sign in only "
            f"{same_sign:.0%} of them: its direction depends on which {unit} are included."
        )
    else:
        sentence = (
            f"On {ok.size} random {fraction:.0%} subsets of {unit} the estimate varied by "
            f"{sd_ratio:.2f} standard errors (≈ 0.5 expected): a few {unit} drive it."
        )
    details = {
        "same_sign": same_sign,
        "sd_ratio": sd_ratio,
        "usable": int(ok.size),
        "draws": draws,
        "fraction": fraction,
    }
    return _refutation("data_subsets", est, se, refuted, float("nan"), passed, sentence, details, kept=ok)


# --------------------------------------------------------------------------------------------
# dummy outcome
# --------------------------------------------------------------------------------------------


def dummy_outcome(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Iterable[str] = (),
    *,
    kind: str = "permute",
    draws: int = 100,
    seed: int = 0,
    alpha: float = 0.05,
    estimator: Estimator | None = None,
) -> Refutation:
    """Dummy-outcome refuter: the outcome replaced `draws` times by a shuffle of itself (`kind =
    "permute"`) or by N(0, 1) noise (`"noise"`), unrelated to the practice by construction. p_value:
    one-sided binomial p of seeing that many draws significant at alpha if each had chance alpha.
    `details`: share_significant, draws."""
    draws = _check_draws(draws, 20, "The dummy-outcome refuter")
    if kind not in {"permute", "noise"}:
        raise InputError(f"kind must be 'permute' or 'noise'; got {kind!r}.")
    d = _prepare(data, outcome, treatment, covariates)
    est, se, dof = _original(d, estimator)
    rng = np.random.default_rng(seed)
    n = len(d.y)
    Y = rng.permuted(np.tile(d.y, (draws, 1)), axis=1).T if kind == "permute" else rng.standard_normal((n, draws))
    if estimator is None:
        b, s = _ols_outcomes(d.Q, _residualise(d.Q, d.t), Y)
        pvals = 2 * st.t.sf(np.abs(b / s), dof)
    else:
        pairs = [_call(estimator, d.frame.assign(**{outcome: Y[:, j]}), d.covariates) for j in range(draws)]
        b = np.array([p[0] for p in pairs])
        pvals = np.array([_two_sided_p(e, s, dof) for e, s in pairs])
    k = int(np.sum(pvals <= alpha))
    share = k / draws
    p_binom = float(st.binomtest(k, draws, alpha, alternative="greater").pvalue)
    passed = p_binom >= 0.01
    what = "shuffled outcome" if kind == "permute" else "pure-noise outcome"
    if passed:
        sentence = (
            f"On a {what} unrelated to the practice by construction, {share:.0%} of {draws} draws "
            f"were significant at {alpha:g} (chance level): the method does not find effects that "
            f"are not there."
        )
    else:
        sentence = (
            f"Alarm: on a {what} unrelated to the practice by construction, {share:.0%} of {draws} "
            f"draws were significant at {alpha:g}, more than chance: the method finds effects that are "
            f"not there."
        )
    details = {"share_significant": share, "draws": draws, "kind": kind}
    return _refutation("dummy_outcome", est, se, b, p_binom, passed, sentence, details)


# --------------------------------------------------------------------------------------------
# all at once, and an OLS estimator for the callable path
# --------------------------------------------------------------------------------------------


def refute(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Iterable[str] = (),
    *,
    clusters=None,
    seed: int = 0,
    estimator: Estimator | None = None,
) -> list[Refutation]:
    """The four refuters with their default numbers of draws, in the order placebo practice, random
    common cause, data subsets, dummy outcome (seeds seed, seed + 1, …)."""
    covariates = list(covariates)
    return [
        placebo_practice(data, outcome, treatment, covariates, clusters=clusters, seed=seed, estimator=estimator),
        random_common_cause(data, outcome, treatment, covariates, seed=seed + 1, estimator=estimator),
        data_subsets(data, outcome, treatment, covariates, clusters=clusters, seed=seed + 2, estimator=estimator),
        dummy_outcome(data, outcome, treatment, covariates, seed=seed + 3, estimator=estimator),
    ]


def ols_estimator(outcome: str, treatment: str) -> Estimator:
    """An `Estimator` for the callable path: statsmodels OLS of `outcome` on a constant, the given
    covariates (categorical ones one-hot, first level dropped) and `treatment`, classical SE."""

    def estimate(frame: pd.DataFrame, covariates: Sequence[str]) -> tuple[float, float]:
        parts = [pd.Series(1.0, index=frame.index, name="const")]
        for col in covariates:
            s = frame[col]
            if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
                parts.append(s.astype(float).rename(col))
            else:
                parts.append(pd.get_dummies(s.astype("category"), prefix=col, drop_first=True, dtype=float))
        X = pd.concat([*parts, frame[treatment].astype(float).rename("__practice__")], axis=1)
        fit = OLS(frame[outcome].astype(float), X).fit()
        return float(fit.params["__practice__"]), float(fit.bse["__practice__"])

    return estimate
