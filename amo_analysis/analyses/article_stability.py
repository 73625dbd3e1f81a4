"""Verdicts that rest on one project or one organisation, for the readings of notebook 08 that are not
the effects check (those carry it from `analyses.stability`): leave-one-out with the verdict function
each reading uses (`claims.reading_verdict` on the reading's own interval).

* shares (``pitfall_share``, ``margin_share``): exact and closed-form — the share without project i is
  (k − y_i)/(n − 1), without organisation g (k − k_g)/(n − n_g), each with its Wilson interval
  recomputed (statsmodels' `proportion_confint`, as `intervals.share_ci`); a project outside the
  share's base changes nothing;
* the level (``pitfall_level``, a mean with its t interval): exact and closed-form — the mean and
  standard deviation without a project (or organisation) from the sums of the others, the t
  interval on n − 1 − m_g degrees of freedom;
* regressions (``pitfall_effect``: quantile regression or fractional logit; ``framing_rr``: a
  risk-ratio GLM): each deletion needs a refit, so only `MAX_REFITS` projects are refitted, picked
  by a rule (`_candidates`): in each group of the exposure (with / without the pitfall, well framed
  or not), the projects with the highest and the lowest outcome (for the binary failure outcome: two
  failures and two others, those of largest and smallest budget). For a median regression a deleted
  point moves the fit only through the side of the fit it lies on, so the extremes of each group
  stand for every deletion of that group; for a mean (fractional logit) or a risk ratio the extremes
  are the deletions that move it most. Every organisation is refitted when there are at most
  `ALL_ORGANISATIONS` of them; with more, organisations are not tested (`n_refits` says what was).
  `loo_low` / `loo_high` are then the range over the refitted projects only;
* readings built on the forecast (``forecast_margin``) or on the ROI bootstrap (``roi``): each
  deletion would rerun the forecast's quantile models or the 1 000-draw simulation; they are
  `NOT_ASSESSED`, with a note saying so in the report's language.

Fields: those of `stability.STABILITY_COLUMNS` (`stability`, `decisive` — at most
`stability.MAX_DECISIVE`, the unit moving the estimate most first, then by name —, `decisive_kind`,
`decisive_hidden`, `decisive_verdict`, `loo_low`, `loo_high` on the reading's scale, `n_refits`).
Projects are named by `project_id` as the run holds it (pseudonymised under `--pseudonymise`); an
organisation outside `public` is never named, only counted in `decisive_hidden`. A reading with no
estimate is "stable" with nothing tested, as in `stability`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from amo_analysis.analyses import framing, pitfalls
from amo_analysis.analyses.stability import MAX_DECISIVE, _empty
from amo_analysis.defaults import DEFAULTS
from amo_analysis.i18n import Message
from amo_analysis.stats import claims as claims_mod
from amo_analysis.stats.claims import ONE_ORGANISATION, ONE_PROJECT, stability_message

__all__ = [
    "NOT_ASSESSED",
    "MAX_REFITS",
    "ALL_ORGANISATIONS",
    "reading_stability",
    "not_assessed_note",
    "stability_note",
]

NOT_ASSESSED = "not assessed"
#: projects refitted exactly, at most, per regression reading
MAX_REFITS = 8
#: every organisation is refitted for a regression reading when there are at most this many
ALL_ORGANISATIONS = 16
ORGANISATION = "organisation"
#: the analyses whose leave-one-out is not made (each deletion reruns the forecast or the ROI bootstrap)
NOT_ASSESSED_ANALYSES = ("forecast_margin", "roi")


def not_assessed_note(analysis: str) -> Message:
    """Why a reading's leave-one-out is not made (`NOT_ASSESSED_ANALYSES`)."""
    return Message(f"loo_not_assessed_{analysis}")


def stability_note(row: dict, analysis: str) -> Message | None:
    """What the note adds: why the leave-one-out is not assessed, or the sentence of a verdict resting
    on one project or organisation (`stats.claims.stability_message`); None when stable."""
    if row["stability"] == NOT_ASSESSED:
        return not_assessed_note(analysis)
    return stability_message(row)


def _names(data: pd.DataFrame) -> pd.Series:
    return (data["project_id"] if "project_id" in data else pd.Series(data.index, index=data.index)).astype(str)


def _verdicts(reading, low: np.ndarray, high: np.ndarray) -> list[str]:
    return [
        claims_mod.reading_verdict(
            reading, float(lo) if math.isfinite(lo) else math.nan, float(hi) if math.isfinite(hi) else math.nan
        )
        for lo, hi in zip(low, high)
    ]


def _decide(labels, estimates, verdicts, row) -> list[tuple[str, str]]:
    """(label, verdict) of the deletions that change the row's verdict, the one moving the estimate most
    first (then by label: ties are common for a share, every deletion of a 1 moving it the same)."""
    full = float(row["estimate"])
    found = []
    for label, est, verdict in zip(labels, estimates, verdicts):
        if verdict != row["verdict"]:
            move = abs(float(est) - full) if math.isfinite(est) else math.inf
            found.append((-move, str(label), verdict))
    found.sort()
    return [(label, verdict) for _, label, verdict in found]


def _assemble(row, public, projects, organisations, loo, n_refits) -> dict:
    """The fields from the project and organisation deletions (`_decide` lists) and the estimates `loo`."""
    out = _empty(n_refits)
    finite = np.asarray([v for v in loo if math.isfinite(v)], dtype=float)
    if len(finite):
        out.update(loo_low=float(finite.min()), loo_high=float(finite.max()))
    if projects:
        out.update(
            stability=ONE_PROJECT,
            decisive=[label for label, _ in projects[:MAX_DECISIVE]],
            decisive_kind="project",
            decisive_verdict=projects[0][1],
        )
    elif organisations:
        named = [(label, verdict) for label, verdict in organisations if label in public]
        out.update(
            stability=ONE_ORGANISATION,
            decisive=[label for label, _ in named[:MAX_DECISIVE]],
            decisive_kind="organisation",
            decisive_hidden=len(organisations) - len(named),
            decisive_verdict=(named[0] if named else organisations[0])[1],
        )
    return out


def _organisations(data: pd.DataFrame, base: pd.Series) -> pd.Series | None:
    """The organisation of each row of `base` (None when the portfolio has fewer than two)."""
    if ORGANISATION not in data:
        return None
    orgs = data.loc[base, ORGANISATION].dropna().astype(str)
    return orgs if orgs.nunique() >= 2 else None


# ---------------------------------------------------------------------------------------------
# Closed form: shares and levels
# ---------------------------------------------------------------------------------------------


def _share_base(data: pd.DataFrame, reading) -> tuple[pd.Series, pd.Series]:
    """(base: the rows the share is counted over, hit: 1.0 where the row counts in the numerator) — as
    `pitfalls.pitfall_share` and article's ``margin_share`` count them."""
    if reading.analysis == "margin_share":
        base = data["cost_actual"].notna() & data["budget_planned"].notna()
        hit = (data["cost_actual"] <= 1.10 * data["budget_planned"]).astype(float)
        return base, hit
    pitfall = pitfalls.any_pitfall(data)
    failure = framing.failure_indicator(data, reading.outcome)
    known = pitfall.notna() & failure.notna()
    if reading.scale == "share_of_troubled":
        return known & (failure == 1), (pitfall == 1).astype(float)
    return known, ((pitfall == 1) & (failure == 1)).astype(float)


def _share_loo(k: float, n: float, k_out: np.ndarray, n_out: np.ndarray):
    """(share, Wilson low, high) without each deletion (k_out hits of n_out rows); NaN when none left."""
    count, nobs = k - k_out, n - n_out
    ok = nobs > 0
    share = np.full(len(count), np.nan)
    low, high = share.copy(), share.copy()
    if ok.any():
        lo, hi = proportion_confint(count[ok], nobs[ok], alpha=0.05, method="wilson")
        share[ok], low[ok], high[ok] = count[ok] / nobs[ok], lo, hi
    return share, low, high


def _level_loo(x: np.ndarray, groups: list[np.ndarray]):
    """(mean, t 95 % low, high) of `x` without each group of positions (closed form: the sums of the
    rest, centred on the full mean for accuracy); NaN when fewer than 2 values are left."""
    centre = x.mean()
    d = x - centre
    total, squares, m = d.sum(), (d**2).sum(), len(x)
    s = np.array([d[g].sum() for g in groups])
    q = np.array([(d[g] ** 2).sum() for g in groups])
    k = np.array([len(g) for g in groups], dtype=float)
    rest = m - k
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_d = (total - s) / rest
        var = (squares - q - rest * mean_d**2) / (rest - 1)
        half = sps.t.ppf(0.975, rest - 1) * np.sqrt(np.maximum(var, 0.0) / rest)
    mean = centre + mean_d
    bad = rest < 2
    mean[bad] = np.nan
    return mean, np.where(bad, np.nan, mean - half), np.where(bad, np.nan, mean + half)


def _closed_form(data, reading, row, public) -> dict:
    names = _names(data)
    if reading.analysis == "pitfall_level":
        mask = data[reading.exposure].astype("boolean").fillna(False).astype(bool)
        base = mask & data[reading.outcome].notna()
        x = data.loc[base, reading.outcome].astype("float64").to_numpy()
        positions = [np.array([i]) for i in range(len(x))]
        est, low, high = _level_loo(x, positions)
        labels = names[base].tolist()
        orgs = _organisations(data, base)
        org_result = None
        if orgs is not None:
            where = data.loc[base, ORGANISATION].astype(object).to_numpy()
            units = sorted(orgs.unique())
            org_result = (units, *_level_loo(x, [np.flatnonzero(where == u) for u in units]))
        outside = bool((~base).any())
    else:
        base, hit = _share_base(data, reading)
        y = hit[base].to_numpy()
        k, n = float(y.sum()), float(len(y))
        est, low, high = _share_loo(k, n, y, np.ones(len(y)))
        labels = names[base].tolist()
        orgs = _organisations(data, base)
        org_result = None
        if orgs is not None:
            units = sorted(orgs.unique())
            where = data.loc[base, ORGANISATION].astype(object).to_numpy()
            k_g = np.array([y[where == u].sum() for u in units])
            n_g = np.array([(where == u).sum() for u in units], dtype=float)
            org_result = (units, *_share_loo(k, n, k_g, n_g))
        outside = bool((~base).any())
    projects = _decide(labels, est, _verdicts(reading, low, high), row)
    organisations = []
    if org_result is not None:
        units, o_est, o_low, o_high = org_result
        organisations = _decide(units, o_est, _verdicts(reading, o_low, o_high), row)
    loo = list(est) + ([float(row["estimate"])] if outside else [])
    return _assemble(row, public, projects, organisations, loo, 0)


# ---------------------------------------------------------------------------------------------
# Regressions: a screened set of exact refits
# ---------------------------------------------------------------------------------------------


def _outcome_column(data: pd.DataFrame, reading) -> str:
    if reading.analysis == "framing_rr":
        return reading.outcome
    for key, outcome, *_ in pitfalls.PITFALL_MEASURES:
        if key == reading.outcome:
            return outcome
    return reading.outcome  # a money column (run costs): its logarithm orders the same way


def _candidates(data: pd.DataFrame, reading, cap: int = MAX_REFITS) -> list:
    """The index labels of the projects refitted (module docstring): in each group of the exposure, the
    highest and the lowest outcomes (failure: two failures and two others, largest and smallest budget),
    at most `cap` in all, in a deterministic order (ties broken by project name)."""
    exposure = framing.WELL_FRAMED if reading.analysis == "framing_rr" else reading.exposure
    if exposure not in data:
        return []
    flag = data[exposure].astype("boolean")
    names = _names(data)
    picked: list = []
    per_side = max(1, cap // 4)
    for group in (True, False):
        rows = data.index[(flag == group).fillna(False).to_numpy()]
        if reading.analysis == "framing_rr":
            failure = framing.failure_indicator(data.loc[rows], reading.outcome)
            budget = (
                pd.to_numeric(data.loc[rows, "budget_planned"], errors="coerce") if "budget_planned" in data else None
            )
            for value in (1.0, 0.0):
                part = rows[(failure == value).to_numpy()]
                if budget is not None:
                    order = pd.DataFrame({"b": budget.loc[part], "n": names.loc[part]}).sort_values(["b", "n"])
                else:
                    order = pd.DataFrame({"n": names.loc[part]}).sort_values("n")
                ends = list(order.index[-(per_side // 2 or 1) :]) + list(order.index[: per_side // 2])
                picked += [i for i in dict.fromkeys(ends) if i not in picked]
        else:
            column = _outcome_column(data, reading)
            values = (
                pd.to_numeric(data.loc[rows, column], errors="coerce") if column in data else pd.Series(dtype=float)
            )
            order = pd.DataFrame({"v": values, "n": names.loc[values.index]}).dropna().sort_values(["v", "n"])
            ends = list(order.index[::-1][:per_side]) + list(order.index[:per_side])
            picked += [i for i in dict.fromkeys(ends) if i not in picked]
    return picked[:cap]


def _refitted(data, reading, row, public, refit: Callable) -> dict:
    names = _names(data)
    candidates = _candidates(data, reading)
    n_refits, estimates, project_verdicts = 0, [], []
    for label in candidates:
        estimate, verdict = refit(data.drop(index=[label]))
        n_refits += 1
        estimates.append(estimate)
        project_verdicts.append(verdict)
    projects = _decide([names.loc[i] for i in candidates], estimates, project_verdicts, row)
    organisations = []
    if not projects and ORGANISATION in data:
        orgs = data[ORGANISATION].dropna().astype(str)
        units = sorted(orgs.unique())
        if 2 <= len(units) <= ALL_ORGANISATIONS:
            o_est, o_verdicts = [], []
            for unit in units:
                estimate, verdict = refit(data.drop(index=orgs.index[orgs == unit]))
                n_refits += 1
                o_est.append(estimate)
                o_verdicts.append(verdict)
            organisations = _decide(units, o_est, o_verdicts, row)
    return _assemble(row, public, projects, organisations, estimates + [float(row["estimate"])], n_refits)


def reading_stability(data: pd.DataFrame, reading, row: dict, public: set | None, refit: Callable) -> dict:
    """The leave-one-out fields of one reading (module docstring) with the row's verdict computed on
    `data`; `refit(portfolio)` → (estimate, verdict) recomputes the reading on a portfolio less some
    projects, exactly as the page does; `public`: the organisations that may be named (None: those
    with at least `DEFAULTS.min_org_size` projects)."""
    if public is None and ORGANISATION in data:
        counts = data[ORGANISATION].dropna().astype(str).value_counts()
        public = {name for name, n in counts.items() if n >= DEFAULTS.min_org_size}
    public = public or set()
    if reading.analysis in NOT_ASSESSED_ANALYSES:
        out = _empty()
        out["stability"] = NOT_ASSESSED
        return out
    if not row["testable"] or not math.isfinite(row["estimate"]):
        return _empty()
    if reading.analysis in ("pitfall_share", "margin_share", "pitfall_level"):
        return _closed_form(data, reading, row, public)
    if reading.analysis in ("pitfall_effect", "framing_rr"):
        return _refitted(data, reading, row, public, refit)
    return _empty()
