"""The predictive spreads of the reference-class forecast (`analyses.forecast`): from the usable
reference rows of one target (cost or duration), the distribution of y = ln(actual ÷ plan) that a new
project's quantiles and overrun chances are read from.

* `RegressionModel`: a median quantile regression (statsmodels QuantReg) of y on the practice and the
  features, with cross-fitted residuals (seeded folds; above `scale.LARGE_N` rows, split-conformal
  residuals of the rows a seeded subsample did not see), kept per practice group. A group with fewer
  than `MIN_GROUP_RESIDUALS` residuals uses both groups' residuals pooled.
* `NearestProjects`: the outcomes of the k most similar reference projects with the same practice
  value (distance: standardised |Δ| on numeric features, 1 for a different category); every project
  tied with the k-th nearest is kept, so a tie is never cut by row position.
* `Spread`: such values (ln ratios or residuals, no unit), of which a running project's are
  right-censored lower bounds. Without a running project a quantile q is the ⌈(m+1)·q⌉-th smallest
  of the m values (`conformal_quantile`, NaN when that rank exceeds m) and the chance of exceeding a
  point is the share above it; with some, both come from the Kaplan–Meier estimate.

The rows arrive in the canonical order `analyses.forecast` gives them, so every seeded or
order-dependent step here sees the same rows in the same order whatever the order of the export.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from statsmodels.regression.quantile_regression import QuantReg

from amo_analysis.defaults import DEFAULTS
from amo_analysis.i18n import Message
from amo_analysis.stats import scale

# Fewest cross-fitted residuals of one practice group for that group to get its own spread: with
# m = 20 residuals the conformal ranks ⌈(m+1)·q⌉ of P80, P90 and P95 (17, 19, 20) are all ≤ m, so
# those quantiles stay defined (P90 needs m ≥ 9, P95 m ≥ 19). Below it the group's forecasts use the
# residuals of both groups pooled and their note says so.
MIN_GROUP_RESIDUALS = DEFAULTS.forecast_min_group_residuals
# A nearest-neighbour distance (sum of standardised |Δ|, no unit) at most TIE_TOLERANCE × max(d, 1)
# above the k-th distance d ties with it: rounding in the last bits is not a difference of similarity.
TIE_TOLERANCE = 1e-9
#: the features that are categories (dummies in the regression, 0 / 1 apart in the distance)
CATEGORICAL = ("project_type", "organisation")


def _text_codes(values: pd.Series) -> tuple[np.ndarray, dict]:
    """(a code per row, {text: its code}) of a category column read as text; a missing value has code
    −1, equal to no text. The rows equal to a text are those with its code: the same comparisons as
    the texts', without a Python string per row (two columns of 10⁶ projects: ≈ 250 MB)."""
    codes, uniques = pd.factorize(values.astype(str))
    return codes, {text: code for code, text in enumerate(uniques)}


def _design(frame: pd.DataFrame, features: list[str], levels: dict, practice: bool = True) -> np.ndarray:
    """Design matrix: intercept, the practice (unless `practice` is False: a portfolio without one),
    then the features (categories as dummies against their first level)."""
    cols = [np.ones(len(frame))] + ([frame["amo"].astype(float).to_numpy()] if practice else [])
    for f in features:
        if f in CATEGORICAL:
            codes, code_of = _text_codes(frame[f])
            cols.extend((codes == code_of.get(level, -2)).astype(float) for level in levels[f][1:])
        else:
            cols.append(frame[f].astype(float).to_numpy())
    return np.column_stack(cols)


def _quantreg(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return QuantReg(y, X).fit(q=0.5, max_iter=5000).params


class RegressionModel:
    """Median quantile regression + out-of-fit residuals per practice group (see module docstring).

    Up to `scale.LARGE_N` projects: fitted on all of them, residuals cross-fitted over `folds`
    folds (assigned by a seeded permutation of the canonically ordered rows). Above: fitted on a
    seeded subsample of `scale.SUBSAMPLE_ROWS` projects, residuals of all the others (split
    conformal: none of them was seen by the fit); `note` says so. Residuals (ln ratio units) are kept
    pooled (`values`) and per practice group (`by_group[amo]`), each sorted ascending.
    """

    def __init__(self, ref: pd.DataFrame, features: list[str], seed: int, folds: int):
        self.features = features
        self.levels = {f: sorted(ref[f].astype(str).unique()) for f in features if f in CATEGORICAL}
        self.practice = bool(ref["amo"].nunique() == 2)
        X = _design(ref, features, self.levels, self.practice)
        y = ref["_y"].to_numpy()
        amo = ref["amo"].to_numpy(dtype=bool)
        seen = _observed(ref)  # the median is fitted on finished projects; running ones give censored residuals
        self.n, self.k = X.shape
        self.note = None
        if self.n > scale.LARGE_N:
            fit = np.zeros(self.n, dtype=bool)
            fit[scale.subsample_positions(self.n, seed)] = True
            self.params = _quantreg(y[fit & seen], X[fit & seen])
            resid = y[~fit] - X[~fit] @ self.params
            resid_amo, resid_seen = amo[~fit], seen[~fit]
            self.note = Message(
                "fc_note_subsample", rows=int(fit.sum()), n=int(self.n), seed=seed, rest=int((~fit).sum())
            )
        else:
            self.params = _quantreg(y[seen], X[seen])
            fold = np.random.default_rng(seed).permutation(self.n) % folds
            resid = np.empty(self.n)
            for f in range(folds):
                test = fold == f
                resid[test] = y[test] - X[test] @ _quantreg(y[~test & seen], X[~test & seen])
            resid_amo, resid_seen = amo, seen
        self.values = Spread(resid, resid_seen)
        self.by_group = {
            group: Spread(resid[resid_amo == group], resid_seen[resid_amo == group]) for group in (False, True)
        }

    def spread(self, amo: bool) -> tuple["Spread", bool]:
        """(residuals, own) for a scenario with practice value `amo`: the residuals of that
        practice group when it has at least `MIN_GROUP_RESIDUALS` of them (own = True), else the
        pooled residuals of both groups (own = False)."""
        values = self.by_group[bool(amo)]
        if len(values) >= MIN_GROUP_RESIDUALS:
            return values, True
        return self.values, False

    def medians(self, projects: pd.DataFrame) -> np.ndarray:
        """The fitted median m(x) of ln(actual ÷ plan) for each project (rows of `projects`)."""
        return _design(projects, self.features, self.levels, self.practice) @ self.params


class NearestProjects:
    """The `k` most similar reference projects with the same practice value (one usable set of
    reference rows and features): distance = number of differing categories + Σ |difference| ÷
    standard deviation (over these rows) of each numeric feature; all projects tied at the k-th
    distance are kept. The arrays are built once, not once per project."""

    def __init__(self, ref: pd.DataFrame, features: list[str]):
        self.amo = ref["amo"].to_numpy(dtype=bool)
        self.y = ref["_y"].to_numpy()
        self.seen = _observed(ref)
        self.columns = []  # (feature, values or a category's codes, standard deviation; None for a category)
        for f in features:
            if f in CATEGORICAL:
                self.columns.append((f, _text_codes(ref[f]), None))
            else:
                values = ref[f].astype(float)
                self.columns.append((f, values.to_numpy(), float(values.std()) or 1.0))

    def values(self, project: pd.Series, k: int) -> "Spread":
        """The outcomes (ln ratios; a running project's right-censored) of the `k` projects nearest to
        `project`, plus every project tied on distance with the k-th nearest (so possibly more than k)."""
        group = self.amo == bool(project["amo"])
        if not group.any():
            return Spread(np.array([]), np.array([], dtype=bool))
        dist = np.zeros(int(group.sum()))
        for f, values, sd in self.columns:
            if sd is None:  # `values`: the codes of the texts (`_text_codes`); −2 is no text's code
                codes, code_of = values
                dist += (codes[group] != code_of.get(str(project[f]), -2)).astype(float)
            else:
                dist += np.abs(values[group] - float(project[f])) / sd
        y, seen = self.y[group], self.seen[group]
        if len(dist) > k:  # keep every project tied with the k-th nearest: never cut a tie by position
            cut = np.partition(dist, k - 1)[k - 1]
            near = dist <= cut + TIE_TOLERANCE * max(cut, 1.0)
            y, seen = y[near], seen[near]
        return Spread(y, seen)


def _observed(ref: pd.DataFrame) -> np.ndarray:
    """Which reference rows are finished (`_observed`; all of them in a frame without the column)."""
    if "_observed" in ref:
        return ref["_observed"].to_numpy(dtype=bool)
    return np.ones(len(ref), dtype=bool)


class Spread:
    """A predictive spread: ln ratios or residuals (`values`, sorted) of which those of running
    projects (`observed` False) are right-censored lower bounds. Without a running project its
    quantile is the conformal rank (`conformal_quantile`) and its tail the share above a point; with
    some, both come from the Kaplan–Meier estimate (`stats.survival.censored_quantiles` on
    exp(value), a ratio, and the Kaplan–Meier survival at exp(point)), so a long late project still
    running is not left out."""

    def __init__(self, values: np.ndarray, observed: np.ndarray):
        order = np.lexsort((~np.asarray(observed, dtype=bool), np.asarray(values, dtype="float64")))
        self.values = np.asarray(values, dtype="float64")[order]
        self.observed = np.asarray(observed, dtype=bool)[order]
        self.n_running = int((~self.observed).sum())
        self._survival = None

    def __len__(self) -> int:
        return len(self.values)

    def quantile(self, q: float) -> float:
        if self.n_running == 0:
            return conformal_quantile(self.values, q)
        from amo_analysis.stats.survival import censored_quantiles

        value = censored_quantiles(np.exp(self.values), self.observed, probs=(q,))["value"].iloc[0]
        return float(np.log(value)) if np.isfinite(value) else float("nan")

    def share_above(self, point):
        """P(value > point) for a point or an array of points: the share of values above it, or the
        Kaplan–Meier survival there (NaN without values, or without a finished project)."""
        m = len(self.values)
        point = np.asarray(point, dtype="float64")
        if m == 0 or not self.observed.any():
            return np.full(point.shape, np.nan) if point.ndim else float("nan")
        if self.n_running == 0:
            return (m - np.searchsorted(self.values, point, side="right")) / m
        if self._survival is None:
            from statsmodels.duration.survfunc import SurvfuncRight

            fit = SurvfuncRight(self.values, self.observed.astype("int64"))
            self._survival = (np.asarray(fit.surv_times), np.asarray(fit.surv_prob))
        times, prob = self._survival
        at = np.searchsorted(times, point, side="right") - 1
        return np.where(at >= 0, prob[np.maximum(at, 0)], 1.0)


def conformal_quantile(values: np.ndarray, q: float) -> float:
    """The ⌈(m+1)·q⌉-th smallest of m sorted values; NaN when that rank exceeds m (too few values)."""
    m = len(values)
    rank = math.ceil((m + 1) * q - 1e-9)
    return float(values[rank - 1]) if 1 <= rank <= m else float("nan")
