"""Effects within subgroups and whether they differ: `estimate_by` (one estimate per level of a column,
what `estimate_effect(..., by=...)` returns) and `interaction_test` (a Wald test that the practice's
effect is the same at every level).

Definitions: a subgroup is the rows whose `by` column equals one level (missing `by` values belong to
none). Each level's estimate is `estimate_effect` on its rows alone, with the same outcome, treatment,
covariates (minus `by`, constant within a level), method, clusters and options; a level the data cannot
support (too few rows, everyone treated, no variance) keeps its stated reason instead of an estimate.

The interaction test fits one OLS on all rows with a level-specific practice effect:
outcome ~ const + treatment + covariates + level dummies + treatment × level dummies (first level the
reference), and tests the treatment × level coefficients jointly = 0: the Wald statistic W/q of
statsmodels' `wald_test` under the covariance of the main OLS estimate (HC2, or CR2 by cluster), referred
to F(q, ν) with ν the mean of the terms' Bell–McCaffrey degrees of freedom. q counts the interaction
terms that the data identify (a level whose projects all have, or all lack, the practice has none);
with clusters, q must be below the number of clusters (the CR2 covariance has rank ≤ G − 1).
Why ν: with small cells (2 treated projects in a level) HC2 with F(q, n − k) rejected a true "no
difference" 13.7 % of the time at 5 % (sample's project-type layout, 120 projects, t(3) errors, 300
draws); the smallest term's df gave 0.0 %, the mean 7.0 % (tests/stats/test_subgroups.py measures it).
Subgroup estimates of 10–40 projects are noisy: read the interaction test before any single level.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import math

import numpy as np
import pandas as pd
import scipy.stats as st

from amo_analysis.results_display import ResultDisplay, number, short
from amo_analysis.stats.effects.prepare import _as_list, _check_columns, _prepare
from amo_analysis.stats.effects.result import EffectError, EffectResult

__all__ = ["SubgroupEffects", "InteractionTest", "estimate_by", "interaction_test"]


@dataclass(repr=False)
class SubgroupEffects(ResultDisplay):
    """One `EffectResult` per level of `by` (`results`, None for a level that could not be estimated,
    whose one-sentence reason is in `reasons`). `summary_frame()` is the table (one row per level);
    `result[level]` is that level's `EffectResult`."""

    by: str
    outcome: str
    treatment: str
    method: str
    covariates: tuple[str, ...]
    results: dict[Any, EffectResult | None]
    reasons: dict[Any, str] = field(default_factory=dict)

    def __getitem__(self, level) -> EffectResult:
        result = self.results[level]
        if result is None:
            raise EffectError(f"No estimate for {self.by} = {level!r}: {self.reasons[level]}")
        return result

    @property
    def levels(self) -> list:
        return list(self.results)

    def summary_frame(self) -> pd.DataFrame:
        """One row per level: `by` (the level), n, n_treated, n_control, estimate, std_error, ci_low,
        ci_high, p_value (on each result's scale; NaN when not estimated), scale, percent_change (exp(·)
        − 1 of a log outcome's estimate, else NaN) and reason (empty when estimated)."""
        nan = float("nan")
        rows = []
        for level, result in self.results.items():
            row = {self.by: level}
            if result is None:
                row.update(dict.fromkeys(("n", "n_treated", "n_control"), 0))
                row.update(dict.fromkeys(("estimate", "std_error", "ci_low", "ci_high", "p_value"), nan))
                row.update(scale="", percent_change=nan, reason=self.reasons.get(level, ""))
            else:
                row.update(
                    n=result.n,
                    n_treated=result.n_treated,
                    n_control=result.n_control,
                    estimate=result.estimate,
                    std_error=nan if result.std_error is None else result.std_error,
                    ci_low=result.ci_low,
                    ci_high=result.ci_high,
                    p_value=result.p_value,
                    scale=result.scale,
                    percent_change=float(np.expm1(result.estimate)) if result.log_outcome else nan,
                    reason="",
                )
            rows.append(row)
        return pd.DataFrame(rows)

    def _display_title(self) -> str:
        return f"Effect of {self.treatment} on {self.outcome} by {self.by} ({self.method})"

    def _display_rows(self) -> list[tuple[str, str]]:
        rows = []
        for level, result in self.results.items():
            if result is None:
                rows.append((str(level), f"not estimated: {self.reasons.get(level, '')}"))
            else:
                pct = result._percent_words()
                pct = "" if pct is None else f" = {pct}"
                rows.append(
                    (
                        str(level),
                        f"{number(result.estimate)} [{number(result.ci_low)}, {number(result.ci_high)}]{pct}, "
                        f"p = {number(result.p_value, 3)}, n = {result.n} ({result.n_treated} treated)",
                    )
                )
        return rows + [("Covariates", ", ".join(self.covariates) or "none")]

    def _repr_rows(self) -> list[tuple[str, str]]:
        done = sum(r is not None for r in self.results.values())
        return [("levels", f"{len(self.results)} ({done} estimated)")] + [
            (short(label, 30), short(value, 60)) for label, value in self._display_rows()[:3]
        ]


def estimate_by(data: pd.DataFrame, outcome: str, treatment: str, by: str, **arguments) -> SubgroupEffects:
    """`estimate_effect` on the rows of each level of `by` (levels sorted; missing `by` left out).
    `arguments` are `estimate_effect`'s (covariates, method, cluster, seed, conf_level, options);
    `by` is removed from the covariates. A level the data cannot support gets its EffectError sentence
    as its reason (no exception); EffectError when `by` is not a column or has no level."""
    from amo_analysis.stats.effects.estimate import estimate_effect

    _check_columns(data, [by])
    covariates = [c for c in _as_list(arguments.pop("covariates", ())) if c != by]
    levels = sorted(pd.unique(data[by].dropna()), key=str)
    if not levels:
        raise EffectError(f"Column '{by}' has no value to split the rows by.")
    results: dict[Any, EffectResult | None] = {}
    reasons: dict[Any, str] = {}
    for level in levels:
        rows = data.loc[data[by] == level]
        try:
            results[level] = estimate_effect(rows, outcome, treatment, covariates, **arguments)
        except EffectError as exc:
            results[level] = None
            reasons[level] = f"{len(rows)} rows: {exc}"
    return SubgroupEffects(
        by=by,
        outcome=outcome,
        treatment=treatment,
        method=str(arguments.get("method", "ols")),
        covariates=tuple(covariates),
        results=results,
        reasons=reasons,
    )


@dataclass(repr=False)
class InteractionTest(ResultDisplay):
    """Wald test that the effect of `treatment` on `outcome` is the same at every level of `by`:
    `statistic` F on (`df_num`, `df_denom`) degrees of freedom, `p_value`; `terms` the treatment × level
    coefficients tested (outcome units: each level's effect minus the reference level's), `coefficients`
    and `std_errors` of those terms, `se_type` the covariance, `n` rows, `n_clusters` (None without
    clusters), `model` the statsmodels OLS results (its own `bse` are plain; the test used `se_type`)."""

    outcome: str
    treatment: str
    by: str
    reference_level: str
    terms: tuple[str, ...]
    coefficients: tuple[float, ...]
    std_errors: tuple[float, ...]
    statistic: float
    df_num: int
    df_denom: float
    p_value: float
    n: int
    n_clusters: int | None
    se_type: str
    covariates: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    model: Any = field(default=None, compare=False)

    def _display_title(self) -> str:
        return f"Does the effect of {self.treatment} on {self.outcome} differ by {self.by}?"

    def _display_rows(self) -> list[tuple[str, str]]:
        model = f"{self.outcome} ~ {self.treatment} * C({self.by})" + "".join(f" + {c}" for c in self.covariates)
        return [
            ("Wald F", f"{number(self.statistic)} on ({self.df_num}, {number(self.df_denom)}) df"),
            ("p-value", number(self.p_value)),
            ("Model", f"{model} (OLS; reference level {self.reference_level})"),
            ("Covariance", self.se_type),
            ("Rows", str(self.n)),
            ("Clusters", "none (independent rows)" if self.n_clusters is None else str(self.n_clusters)),
            ("Terms tested", short(", ".join(self.terms), 200)),
        ]

    def _display_notes(self, lang: str = "en") -> list[str]:
        from amo_analysis.i18n import localise

        return [localise(note, lang) for note in self.notes]

    def summary_frame(self) -> pd.DataFrame:
        """One row per tested term: term, coefficient (outcome units: the level's effect minus the
        reference level's), std_error (under `se_type`)."""
        return pd.DataFrame({"term": self.terms, "coefficient": self.coefficients, "std_error": self.std_errors})


def interaction_test(
    data: pd.DataFrame,
    outcome: str,
    treatment: str = "amo",
    by: str = "project_type",
    covariates: Iterable[str] = (),
    cluster: str | None = None,
) -> InteractionTest:
    """Does the effect of `treatment` on `outcome` differ across the levels of `by`? A joint Wald F test
    of the treatment × level terms of one OLS fit, under the main estimate's covariance (HC2, or CR2 by
    `cluster`); see the module docstring. EffectError (one sentence) when no interaction is identified."""
    from statsmodels.regression.linear_model import OLS

    from amo_analysis.stats import robust

    _check_columns(data, [by])
    covariates = [c for c in _as_list(covariates) if c != by]
    frame = data.copy(deep=False)
    levels = frame[by].where(frame[by].isna(), frame[by].astype(str))
    frame[by] = levels
    prep = _prepare(frame, outcome, treatment, covariates + [by], cluster)
    level_columns = [c for c in prep.X.columns if str(c).startswith(f"{by}=")]
    present = sorted(pd.unique(levels.loc[prep.index].dropna()), key=str)
    reference = next((lv for lv in present if f"{by}={lv}" not in level_columns), str(present[0]))
    base = np.column_stack([np.ones(len(prep.y)), prep.t, prep.X.to_numpy(dtype=float)])
    names = ["const", treatment] + [str(c) for c in prep.X.columns]
    terms, columns = [], []
    rank = np.linalg.matrix_rank(base)
    for column in level_columns:
        candidate = prep.t * prep.X[column].to_numpy(dtype=float)
        trial = np.column_stack([base] + columns + [candidate])
        if np.linalg.matrix_rank(trial) > rank:
            rank += 1
            columns.append(candidate)
            terms.append(f"{treatment}:{column}")
    if not terms:
        raise EffectError(
            f"No level of '{by}' beside the reference has both projects with and without '{treatment}'; "
            "the effect cannot differ measurably between levels."
        )
    X = np.column_stack([base] + columns)
    names += terms
    if X.shape[0] < X.shape[1] + 2:
        raise EffectError(
            f"Only {X.shape[0]} complete rows for {X.shape[1]} parameters; the interaction test needs more."
        )
    model = OLS(prep.y, X)
    fit = model.fit()
    rc = robust.robust_covariance(X, fit.resid, prep.groups)
    if prep.groups is not None and len(terms) > rc.n_clusters - 1:
        raise EffectError(
            f"Only {rc.n_clusters} clusters in '{cluster}': a cluster-robust test of {len(terms)} treatment × "
            f"{by} terms needs at least {len(terms) + 1} (the covariance has rank at most {rc.n_clusters - 1})."
        )
    se_type = ("CR2 cluster-robust" if prep.groups is not None else "HC2") + ", mean Bell–McCaffrey df"
    k = len(names)
    R = np.zeros((len(terms), k))
    for i in range(len(terms)):
        R[i, k - len(terms) + i] = 1.0
    positions = range(k - len(terms), k)
    wald = fit.wald_test(R, cov_p=rc.vcov, use_f=True, scalar=True)
    statistic = float(np.squeeze(wald.statistic))
    df_denom = float(np.mean([rc.df(j) for j in positions]))  # mean Bell–McCaffrey df of the terms
    if not (math.isfinite(df_denom) and df_denom > 0):
        raise EffectError(f"The treatment × {by} terms carry no information in the residuals; no test is possible.")
    p_value = float(st.f.sf(statistic, len(terms), df_denom))
    return InteractionTest(
        outcome=outcome,
        treatment=treatment,
        by=by,
        reference_level=str(reference),
        terms=tuple(terms),
        coefficients=tuple(float(fit.params[j]) for j in positions),
        std_errors=tuple(float(np.sqrt(max(rc.vcov[j, j], 0.0))) for j in positions),
        statistic=statistic,
        df_num=len(terms),
        df_denom=float(df_denom),
        p_value=p_value,
        n=len(prep.y),
        n_clusters=None if prep.groups is None else rc.n_clusters,
        se_type=se_type,
        covariates=tuple(covariates),
        notes=list(prep.notes),
        model=fit,
    )
