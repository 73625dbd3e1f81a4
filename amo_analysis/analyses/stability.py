"""Verdicts that rest on one project or one organisation: leave-one-out for every claim reading.

For each reading of the claims check (`claims_check.claims_check`: adjusted OLS, HC2 / CR2, Bell–McCaffrey
df) this module asks what the verdict would be without each project, and without each organisation:

* the leave-one-out estimates are exact and analytic for every project and every organisation
  (`stats.influence`): `loo_low` / `loo_high` are their range over every project deletion, on the
  reading's scale (percent change: exp(Δ ln ratio) − 1; percentage points: a difference of
  fractions; relative change of the mean: adjusted mean with ÷ without − 1);
* the verdict after a deletion needs the deletion's interval, which HC2 / CR2 does not give
  analytically: the deletions that could change it (`influence.screen`: a first-order interval moving
  an end at least half-way to a decision boundary, at most `influence.MAX_REFITS` per reading and
  kind of unit) are refitted exactly, with the full portfolio's covariates and clustering;
* `stability` is "rests on one project" when deleting some project alone changes the verdict,
  else "rests on one organisation" when deleting some organisation does, else "stable";
  `decisive` the projects (or organisations) whose deletion alone changes it, at most 5, the one
  moving the estimate most first; `decisive_verdict` the verdict without the first of them.

Privacy: projects are named by `project_id` as the run holds it (pseudonymised under
`--pseudonymise`); an organisation outside `public` (below `--min-org-size` projects, or withheld by
the run) is never named: it is counted in `decisive_hidden` instead.

The relative delay reading drawn from the log-normal AFT (running projects censored,
`effects.AFT_METHOD`) has no exact deletion formula: its deletions are taken one Newton step from the
full fit with the model's analytic score and Hessian, screened the same way and refitted exactly
(`_aft_stability`).

No verdict (too few organisations, no interval) means nothing to test: `stability` is then "stable"
with no deletion tested (`n_refits` = 0) — the verdict "inconclusive" cannot rest on one project.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from amo_analysis.analyses import practice_effects as effects
from amo_analysis.analyses.organisations import OTHERS, organisation_groups
from amo_analysis.defaults import DEFAULTS
from amo_analysis.errors import InputError
from amo_analysis.stats import claims as claims_mod
from amo_analysis.stats.claims import ONE_ORGANISATION, ONE_PROJECT, STABLE
from amo_analysis.stats import effects as estimators
from amo_analysis.stats import influence

__all__ = [
    "public_organisations",
    "STABLE",
    "ONE_PROJECT",
    "ONE_ORGANISATION",
    "STABILITY_COLUMNS",
    "claims_stability",
    "MAX_DECISIVE",
]

STABILITY_COLUMNS = [
    "stability",
    "decisive",
    "decisive_kind",
    "decisive_hidden",
    "decisive_verdict",
    "loo_low",
    "loo_high",
    "n_refits",
]
#: decisive units named, at most
MAX_DECISIVE = 5
#: every organisation is refitted exactly (no screen) when there are at most this many and the fit has
#: at most ALL_ORGANISATIONS_ROWS projects: deleting an organisation can widen the interval (it takes
#: leverage away), which the first-order screen, built on the meat it removes, cannot see
ALL_ORGANISATIONS, ALL_ORGANISATIONS_ROWS = 2 * influence.MAX_REFITS, 20_000
#: above this many projects, a screened deletion of rows whose summed leverage is below SMALL_LEVERAGE
#: is judged on its first-order interval (exact estimate; the interval's error is of the order of that
#: leverage) instead of an exact refit, which costs a whole fit each; so is a screened organisation
#: (exact estimate; standard error with its bread and meat removed, `influence.organisation_deletions`).
#: The log-normal AFT reading likewise, on its one-step estimate and interval (`_aft_stability`)
EXACT_ROWS, SMALL_LEVERAGE = 50_000, 0.01
ORGANISATION = "organisation"


def organisation_fields(units, verdicts, public) -> dict:
    """The record fields of a verdict that rests on one organisation: the decisive organisations that may be
    named (`public`, at most MAX_DECISIVE), how many others are hidden (`--min-org-size`), and the verdict
    without the first organisation the record names (its sentence's)."""
    named = [i for i, u in enumerate(units) if str(u) in public]
    return dict(
        stability=ONE_ORGANISATION,
        decisive=[str(units[i]) for i in named][:MAX_DECISIVE],
        decisive_kind="organisation",
        decisive_hidden=len(units) - len(named),
        decisive_verdict=verdicts[named[0] if named else 0],
    )


def _spec(measure: str, scale: str) -> effects.Spec | None:
    return next((s for s in effects.SPECS if s.measure == measure and s.scale == scale), None)


def _fit(data, spec, design, treatment, fits):
    key = (spec.outcome, "ols", None)
    if fits is not None and key in fits and not isinstance(fits[key], str):
        return fits[key]
    try:
        return estimators.estimate_effect(
            data, spec.outcome, treatment, design.covariates, method="ols", cluster=design.cluster
        )
    except (InputError, np.linalg.LinAlgError):
        return None


def _refit(data, spec, design, treatment, refits: dict, key, method: str = "ols"):
    """The fit of `spec.outcome` by `method` ("ols", or `effects.AFT_METHOD`: the duration ratio with
    running projects censored) on `data` (a portfolio less one unit), once per (outcome, method, unit)."""
    slot = (spec.outcome, method, key)
    if slot not in refits:
        try:
            if method == effects.AFT_METHOD:
                refits[slot] = effects.aft_fit(data, design.covariates, design.cluster, treatment)
            else:
                refits[slot] = estimators.estimate_effect(
                    data, spec.outcome, treatment, design.covariates, method="ols", cluster=design.cluster
                )
        except (InputError, np.linalg.LinAlgError, ValueError):
            refits[slot] = None
        if design.clustered and not design.user_cluster and refits[slot] is not None:
            if not effects.design_for(data, design.covariates, None, treatment).enough:
                refits[slot] = None  # too few organisations left on a side: no verdict
    return refits[slot]


def _reading(res, spec, claim_value) -> tuple[float, str]:
    """(estimate on the reading's scale, verdict) of one reading from a refit (None: no verdict)."""
    if res is None:
        return float("nan"), claims_mod.INCONCLUSIVE
    row = effects._row(spec, "ols", None, float("nan"))
    effects._fill(row, res, spec)
    low, high = row["ci_low"], row["ci_high"]
    ok = math.isfinite(low) and math.isfinite(high)
    return row["estimate"], claims_mod.verdict(low if ok else None, high if ok else None, claim_value, 0.0)


def _on_scale(spec, coef: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    if spec.ratio_of_means:
        return ratio
    return np.expm1(coef) if spec.log_outcome else coef


def _screened(spec, res, row, deletions) -> np.ndarray:
    """The deletions of `deletions` worth an exact refit for this reading (`influence.screen`), on the
    coefficient's scale — the verdict's boundaries mapped there (ln(1 + claimed) for a log outcome) —
    or, for a ratio of adjusted means, on the ratio's: each deletion's exact ratio, its first-order
    standard error divided by |μ₀|, against the full fit's Fieller interval."""
    crit = (res.ci_high - res.estimate) / res.std_error if res.std_error else float("nan")
    if not math.isfinite(crit):
        return np.array([], dtype=int)
    claimed = float(row["claimed"])
    if not (math.isfinite(row["ci_low"]) and math.isfinite(row["ci_high"])):
        # no interval (Fieller's is unbounded when μ₀ is not clearly away from 0): the deletions whose
        # first-order interval of the coefficient moves an end by at least SCREEN_SHARE of its SE
        return influence.movers(deletions.coef, deletions.se, res.ci_low, res.ci_high, crit, deletions.unidentified)
    if spec.ratio_of_means:
        mu0 = abs(res.details.get("ratio_of_means", {}).get("control_mean") or float("nan"))
        return influence.screen(
            deletions.ratio,
            deletions.se / mu0,
            row["ci_low"],
            row["ci_high"],
            crit,
            [0.0, claimed],
            deletions.unidentified,
        )
    bound = math.log1p(claimed) if spec.log_outcome and claimed > -1 else claimed
    return influence.screen(
        deletions.coef, deletions.se, res.ci_low, res.ci_high, crit, [0.0, bound], deletions.unidentified
    )


def _decisive(data, res, spec, design, treatment, row, deletions, rows_of, refits, kind):
    """The units of `deletions` whose exact refit changes the verdict: (units, verdicts, refits done),
    the unit moving the reading's estimate most first."""
    few = len(deletions.labels) <= ALL_ORGANISATIONS and res.n <= ALL_ORGANISATIONS_ROWS
    picked = (
        np.arange(len(deletions.labels)) if kind == "organisation" and few else _screened(spec, res, row, deletions)
    )
    found, exact = [], 0
    for pos in picked:
        small = kind == "organisation" or deletions.leverage[pos] < SMALL_LEVERAGE
        if res.n > EXACT_ROWS and small and not deletions.unidentified[pos]:
            estimate, new_verdict = _first_order(spec, res, row, deletions, pos)
        else:
            fit = _refit(data.drop(index=rows_of(pos)), spec, design, treatment, refits, (kind, pos))
            estimate, new_verdict = _reading(fit, spec, float(row["claimed"]))
            exact += 1
        if new_verdict != row["verdict"]:
            move = abs(estimate - float(row["estimate"])) if math.isfinite(estimate) else math.inf
            found.append((move, deletions.labels[pos], new_verdict))
    found.sort(key=lambda f: -f[0])
    return [f[1] for f in found], [f[2] for f in found], exact


def _first_order(spec, res, row, deletions, pos) -> tuple[float, str]:
    """(estimate, verdict) after deletion `pos` from its exact estimate and first-order interval
    (estimate ± the full fit's critical value × the first-order standard error), on the reading's
    scale: what a refit would give, up to terms of the order of the deleted rows' leverage."""
    crit = (res.ci_high - res.estimate) / res.std_error
    coef, se = float(deletions.coef[pos]), float(deletions.se[pos])
    if spec.ratio_of_means:
        mu0 = abs(res.details.get("ratio_of_means", {}).get("control_mean") or float("nan"))
        estimate = float(deletions.ratio[pos])
        low, high = estimate - crit * se / mu0, estimate + crit * se / mu0
    elif spec.log_outcome:
        return _log_first_order(coef, se, crit, float(row["claimed"]))
    else:
        estimate, low, high = coef, coef - crit * se, coef + crit * se
    ok = math.isfinite(low) and math.isfinite(high)
    return estimate, claims_mod.verdict(low if ok else None, high if ok else None, float(row["claimed"]), 0.0)


def _log_first_order(coef: float, se: float, crit: float, claimed: float) -> tuple[float, str]:
    """(percent change, verdict) of a log-scale coefficient `coef` ± `crit` × `se`, read as exp(·) − 1."""
    estimate, low, high = math.expm1(coef), math.expm1(coef - crit * se), math.expm1(coef + crit * se)
    ok = math.isfinite(low) and math.isfinite(high)
    return estimate, claims_mod.verdict(low if ok else None, high if ok else None, claimed, 0.0)


def _empty(n_refits: int = 0) -> dict:
    return {
        "stability": STABLE,
        "decisive": [],
        "decisive_kind": "",
        "decisive_hidden": 0,
        "decisive_verdict": "",
        "loo_low": float("nan"),
        "loo_high": float("nan"),
        "n_refits": n_refits,
    }


def _aft_stability(data, row, spec, design, treatment, fits, public, refits) -> dict:
    """The leave-one-out fields of a reading drawn from the log-normal AFT (`effects.AFT_METHOD`).

    No exact deletion formula exists for a censored likelihood: every project and organisation
    deletion is first taken one Newton step from the full fit (`influence.aft_deletions`,
    θ̂ + H⁻¹ s_u with the model's analytic score and Hessian); `influence.screen` keeps, per kind of
    unit, at most `influence.MAX_REFITS` deletions whose first-order interval moves an end at least
    half-way to a decision boundary (0 or ln(1 + claimed), log scale), and those are refitted exactly
    (`effects.aft_fit`, the full fit's covariates and clustering). `loo_low` / `loo_high`: the range
    of the project deletions on the percent-change scale, one-step values with the refitted ones
    replaced by their exact estimates (the deletions with the lowest and highest one-step estimate
    are refitted too, so the ends are exact unless the one-step order is wrong there). Organisations are screened too (not all refitted as for OLS:
    with clusters each AFT refit is itself a leave-one-cluster-out jackknife). Above `EXACT_ROWS`
    projects, deletions of leverage below `SMALL_LEVERAGE` (and organisations) are judged on their
    one-step estimate and interval instead, as for OLS."""
    key = (spec.outcome, effects.AFT_METHOD, None)
    res = fits.get(key) if fits is not None else None
    if res is None or isinstance(res, str):
        res = _refit(data, spec, design, treatment, refits, "full", effects.AFT_METHOD)
    if res is None or res.model is None or res.rows is None:
        return _empty()
    model, params = res.model.model, np.asarray(res.model.params, dtype=float)
    log = res.details["log_scale"]
    se, claimed = float(log["std_error"]), float(row["claimed"])
    crit = (log["ci_high"] - log["estimate"]) / se if se > 0 else float("nan")
    if not math.isfinite(crit):
        return _empty()
    groups = data.loc[res.rows, design.cluster] if design.cluster else None  # a Series: factorized as it is
    bounds = [0.0, math.log1p(claimed) if claimed > -1 else float("nan")]
    out = _empty()

    def decisive(deletions, rows_of, kind, extremes=False):
        picked = list(
            influence.screen(
                deletions.coef, deletions.se, log["ci_low"], log["ci_high"], crit, bounds, deletions.unidentified
            )
        )
        finite = np.flatnonzero(np.isfinite(deletions.coef))
        if extremes and len(finite):  # the ends of loo_low / loo_high, exact
            ends = finite[[np.argmin(deletions.coef[finite]), np.argmax(deletions.coef[finite])]]
            picked += [int(pos) for pos in ends if pos not in picked]
        found, exact = [], {}
        for pos in picked:
            small = kind == "organisation" or deletions.leverage[pos] < SMALL_LEVERAGE
            coef = float(deletions.coef[pos])
            if kind == "organisation" and deletions.one_step is not None and not math.isfinite(coef):
                coef = float(deletions.one_step[pos])  # its own dummy leaves the model with it
            if len(res.rows) > EXACT_ROWS and small and math.isfinite(coef):
                # as for OLS (`_decisive`): at this size a refit costs a whole censored fit (8 s at 10⁶
                # projects) and the one-step interval is off by terms of the order of the leverage
                estimate, new_verdict = _log_first_order(coef, float(deletions.se[pos]), crit, claimed)
            else:
                fit = _refit(
                    data.drop(index=rows_of(pos)), spec, design, treatment, refits, (kind, pos), effects.AFT_METHOD
                )
                estimate, new_verdict = _reading(fit, spec, claimed)
                exact[pos] = estimate
            if new_verdict != row["verdict"]:
                move = abs(estimate - float(row["estimate"])) if math.isfinite(estimate) else math.inf
                found.append((move, deletions.labels[pos], new_verdict))
        found.sort(key=lambda f: -f[0])
        return [f[1] for f in found], [f[2] for f in found], exact

    with estimators.expanded_design(res.model):  # a kept fit's compact design, read three times per pass: expanded once
        projects = influence.aft_deletions(model, params, 1, se, None, groups)
    units, verdicts, exact = decisive(projects, lambda pos: [res.rows[pos]], "project", extremes=True)
    on_scale = np.expm1(projects.coef)
    for pos, estimate in exact.items():
        on_scale[pos] = estimate
    finite = on_scale[np.isfinite(on_scale)]
    if len(finite):
        out.update(loo_low=float(finite.min()), loo_high=float(finite.max()))
    out["n_refits"] = len(exact)
    if units:
        labels = res.rows[list(units)]
        names = [str(v) for v in (data.loc[labels, "project_id"] if "project_id" in data else labels)]
        out.update(
            stability=ONE_PROJECT, decisive=names[:MAX_DECISIVE], decisive_kind="project", decisive_verdict=verdicts[0]
        )
        return out
    if ORGANISATION not in data:
        return out
    org_rows = data.loc[res.rows, ORGANISATION]
    if org_rows.nunique(dropna=True) < 2:
        return out
    with estimators.expanded_design(res.model):
        organisations = influence.aft_deletions(model, params, 1, se, org_rows, groups)

    def rows_of(pos, labels=organisations.labels):
        return res.rows[(org_rows == labels[pos]).to_numpy()]

    units, verdicts, exact = decisive(organisations, rows_of, "organisation")
    out["n_refits"] += len(exact)
    if units:
        out.update(organisation_fields(units, verdicts, public))
    return out


def _ols_deletions(data, res, design) -> tuple:
    """(project deletions, organisation deletions or None) of the OLS fit `res` (an `EffectResult`
    on `data`; (None, None) without a fit): the full fit's QR (n × p) lives only while they are
    computed."""
    if res is None or res.rows is None or res.model is None:
        return None, None
    X, y = res.model.model.exog, res.model.model.endog
    groups = data.loc[res.rows, design.cluster] if design.cluster else None  # a Series: factorized as it is
    fit = influence.ols_fit(X, y)
    projects = influence.project_deletions(X, y, 1, res.std_error, groups, fit=fit)
    fit = dataclasses.replace(fit, Q=None)  # n × p that the organisation deletions do not read
    organisations = None
    if ORGANISATION in data:
        orgs = data.loc[res.rows, ORGANISATION]  # factorized as it is: no Python string per project
        if orgs.nunique(dropna=True) >= 2:
            organisations = influence.organisation_deletions(X, y, 1, res.std_error, orgs, groups, fit=fit)
    return projects, organisations


def public_organisations(portfolio) -> set:
    """The organisations of `portfolio` a report may name: those with at least the run's
    `--min-org-size` projects that the run did not withhold (`organisations.organisation_groups`)."""
    size = portfolio.disclosure.get("min_org_size", DEFAULTS.min_org_size) if portfolio.disclosure else None
    groups = organisation_groups(portfolio, DEFAULTS.min_org_size if size is None else int(size))
    return {str(g) for g in groups.dropna().unique() if g != OTHERS}


def claims_stability(
    data: pd.DataFrame,
    claims: pd.DataFrame,
    design,
    fits: dict | None = None,
    treatment: str = "amo",
    public: set | None = None,
) -> pd.DataFrame:
    """`claims` (a `claims_check` table) with `STABILITY_COLUMNS` added (module docstring).

    `data`: the portfolio the check ran on (with `with_model_columns`); `design`: its
    `AssignmentDesign`; `fits`: the OLS `EffectResult`s of `effects.estimate_all(..., keep=fits)`
    (refitted when absent); `public`: the organisations that may be named (None: every organisation
    with at least `DEFAULTS.min_org_size` projects)."""
    if public is None and ORGANISATION in data:
        counts = data[ORGANISATION].dropna().astype(str).value_counts()
        public = {name for name, n in counts.items() if n >= DEFAULTS.min_org_size}
    public = public or set()
    results, cache, refit_cache = [], {}, {}
    specs = [_spec(measure, scale) for measure, scale in zip(claims["measure"], claims["scale"])]
    # the last claim reading each outcome: its deletions (n values each) are dropped after it
    last_of = {spec.outcome: i for i, spec in enumerate(specs) if spec is not None}
    for i, (spec, (_, row)) in enumerate(zip(specs, claims.iterrows())):
        too_few = design is not None and not design.enough
        if spec is not None and not too_few and row["method"] == effects.AFT_METHOD:
            if math.isfinite(row["estimate"]):
                results.append(_aft_stability(data, row, spec, design, treatment, fits, public, refit_cache))
            else:
                results.append(_empty())
            continue
        if spec is None or too_few or row["method"] != "ols" or not math.isfinite(row["estimate"]):
            results.append(_empty())
            continue
        if spec.outcome not in cache:
            res = _fit(data, spec, design, treatment, fits)
            cache[spec.outcome] = (res, *_ols_deletions(data, res, design))
        res, projects, organisations = cache[spec.outcome]
        if last_of[spec.outcome] == i:
            del cache[spec.outcome]
        if projects is None:
            results.append(_empty())
            continue
        on_scale = _on_scale(spec, projects.coef, projects.ratio)
        out = _empty()
        finite = on_scale[np.isfinite(on_scale)]
        if len(finite):
            out.update(loo_low=float(finite.min()), loo_high=float(finite.max()))
        units, verdicts, refits = _decisive(
            data, res, spec, design, treatment, row, projects, lambda pos: [res.rows[pos]], refit_cache, "project"
        )
        out["n_refits"] = refits
        if units:
            labels = res.rows[list(units)]
            names = [str(v) for v in (data.loc[labels, "project_id"] if "project_id" in data else labels)]
            out.update(
                stability=ONE_PROJECT,
                decisive=names[:MAX_DECISIVE],
                decisive_kind="project",
                decisive_verdict=verdicts[0],
            )
        elif organisations is not None:
            org_rows = data.loc[res.rows, ORGANISATION]

            def rows_of(pos, labels=organisations.labels):
                return res.rows[(org_rows == labels[pos]).to_numpy()]

            units, verdicts, refits = _decisive(
                data, res, spec, design, treatment, row, organisations, rows_of, refit_cache, "organisation"
            )
            out["n_refits"] += refits
            if units:
                out.update(organisation_fields(units, verdicts, public))
        results.append(out)
    extra = pd.DataFrame(results, index=claims.index, columns=STABILITY_COLUMNS)
    extra["decisive"] = pd.Series([r["decisive"] for r in results], index=claims.index, dtype=object)
    table = pd.concat([claims, extra], axis=1)
    table.attrs = dict(claims.attrs)
    return table
