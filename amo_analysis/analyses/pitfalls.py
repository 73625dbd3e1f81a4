"""The five pitfalls of notebook 03: how often they occur, together and with / without the practice,
how they go with drift, delay and adoption, the two pitfall claims, and the E-values of the risk ratios
of failure (framing then pitfalls).

Definitions are those of `framing` (failure, risk ratios, the note of a missing estimate): the pitfall
associations are quantile regressions (median, P80) of ln(cost_actual/budget_planned) and the median
of ln(duration ratio), reported as percent changes of the final-cost (duration) ratio (exp(b) − 1);
adoption by a fractional logit, as a difference in percentage points. All adjusted for the
pre-treatment covariates and the practice (`amo`). They are associations, not causes: a pitfall may
be a symptom of what also drives drift.

The E-values are here, not in `framing`, because they put the framing and the pitfall risk ratios in
one table (`pitfall_risk_table` is this module's); `claims_check` likewise gives the framing claim
(`framing.framing_claim`) with the pitfall claims. Notebook 03 shows them through `report.show_pitfalls`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from statsmodels.stats.weightstats import DescrStatsW

from amo_analysis.ingest.columns import PITFALL_COLUMNS
from amo_analysis.ingest.model_columns import default_covariates
from amo_analysis.stats.intervals import share_ci
from amo_analysis.analyses.framing import (
    _add_note,
    claim_words,
    _covariate_columns,
    failure_indicator,
    FAILURE_OUTCOMES,
    framing_claim,
    FramingError,
    _Label,
    _missing_rr,
    question_label,
    _reason,
    risk_ratio,
    size_type_covariates,
    _table,
    with_framing_columns,
)
from amo_analysis.errors import InputError
from amo_analysis.findings import Unavailable, passes_unavailable, unavailable_on
from amo_analysis.i18n import Message, translate
from amo_analysis.stats import claims as claims_mod
from amo_analysis.stats import scale
from amo_analysis.stats.effects import EffectError, estimate_effect
from amo_analysis.stats.sensitivity import evalue

# The pitfall claims of notebook 03, from the claims register (their keys are the claims' keys: the
# records pitfalls.<key> keep their names)
SCOPE_CREEP_CLAIM = replace(
    claims_mod.as_claim_of("scope_creep_drift.relative"), key="scope_creep_drift", outcome="budget_drift"
)
_SCOPE = claims_mod.registered_reading("scope_creep_drift.relative")
SCOPE_CREEP_RANGE = (_SCOPE.claimed_low, _SCOPE.claimed_high)
REQUIREMENTS_CLAIM = replace(
    claims_mod.as_claim_of("poor_requirements_adoption.level"), key="poor_requirements_adoption"
)

# Pitfall outcome measures: (key, outcome column, method, quantile, translation key of what the number means)
PITFALL_MEASURES: tuple[tuple[str, str, str, float | None, str], ...] = (
    ("drift_median", "log_cost_ratio", "quantile", 0.5, "framing_meaning_drift_median"),
    ("drift_p80", "log_cost_ratio", "quantile", 0.8, "framing_meaning_drift_p80"),
    ("slip_median", "log_duration_ratio", "quantile", 0.5, "framing_meaning_slip_median"),
    ("adoption_mean", "adoption_m3", "fractional_logit", None, "framing_meaning_adoption_mean"),
)


# ---------------------------------------------------------------------------------------------
# Pitfalls
# ---------------------------------------------------------------------------------------------


def _present_pitfalls(data: pd.DataFrame) -> list[str]:
    found = [p for p in PITFALL_COLUMNS if p in data]
    if not found:
        raise FramingError(Message("fe_no_pitfalls", columns=", ".join(PITFALL_COLUMNS)))
    return found


@passes_unavailable
def pitfall_prevalence(data: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Share of projects with each pitfall (Wilson 95 % CI), overall and with / without the practice."""
    rows = []
    amo = data["amo"].astype("boolean")
    for code in _present_pitfalls(data):
        seen = data[code].astype("boolean")
        row = {"pitfall": code, "label": question_label(code, lang)}
        for name, mask in (("all", seen.notna()), ("with", amo == True), ("without", amo == False)):  # noqa: E712
            part = seen[mask.fillna(False).astype(bool)].dropna()
            share, low, high = share_ci(int(part.sum()), len(part))
            row.update({f"share_{name}": share, f"ci_low_{name}": low, f"ci_high_{name}": high})
        row["n"] = int(seen.notna().sum())
        rows.append(row)
    return _table(rows)


@passes_unavailable
def pitfall_cooccurrence(data: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Share of projects with both pitfalls (row and column); the diagonal is each pitfall's prevalence."""
    found = _present_pitfalls(data)
    flags = data[found].astype("boolean").dropna().astype("float64")
    if len(flags) == 0:
        raise FramingError(Message("fe_no_complete_pitfalls"))
    matrix = flags.T.dot(flags) / len(flags)
    labels = [question_label(c, lang) for c in found]
    matrix.index, matrix.columns = labels, labels
    return matrix


MIN_ROWS_PER_PARAMETER = 5


def _check_quantile_rows(frame: pd.DataFrame, outcome: str, code: str, covariates: list[str]) -> None:
    """Regressions here need `MIN_ROWS_PER_PARAMETER` complete projects per parameter."""
    used = frame[[outcome, code] + covariates].dropna()
    k = 2 + len(_covariate_columns(used, covariates))
    need = MIN_ROWS_PER_PARAMETER * k
    if len(used) < need:
        raise FramingError(
            Message(
                "fe_too_few_rows",
                used=len(used),
                outcome=outcome,
                k=k,
                label=_Label(code),
                need=need,
                per=MIN_ROWS_PER_PARAMETER,
            )
        )


@passes_unavailable
def pitfall_effects(
    data: pd.DataFrame, covariates=None, seed: int = 0, lang: str = "en", only: frozenset | None = None
) -> pd.DataFrame:
    """Adjusted association of each pitfall with drift (median, P80), slip (median) and adoption
    (`only`: just these (pitfall, measure) pairs, e.g. {("scope_creep", "drift_median")}).

    Covariates default to `describe.default_covariates` plus the practice (`amo`). Drift and slip
    rows are percent changes of the final-cost / duration ratio (exp of the quantile-regression
    coefficient − 1); adoption rows are percentage-point differences (fractional logit AME).
    Above `scale.LARGE_N` projects the models are fitted on a subsample drawn with `seed` (noted).
    """
    data = with_framing_columns(data)
    data, note = scale.model_rows(data, seed, Message("note_subject_associations"))
    covariates = default_covariates(data) if covariates is None else list(covariates)
    covariates = [c for c in covariates if c != "amo"] + ["amo"]
    rows = []
    for code in _present_pitfalls(data):
        for key, outcome, method, q, meaning_key in PITFALL_MEASURES:
            if only is not None and (code, key) not in only:
                continue
            row = {
                "pitfall": code,
                "label": question_label(code, lang),
                "measure": key,
                "meaning": Message(meaning_key),
            }
            try:
                if outcome not in data or data[outcome].notna().sum() == 0:
                    raise FramingError(Message("fe_no_values", column=outcome))
                frame = data.assign(**{code: data[code].astype("boolean")})
                _check_quantile_rows(frame, outcome, code, covariates)
                opts = {"quantile": q} if method == "quantile" else {}
                res = estimate_effect(frame, outcome, code, covariates, method=method, seed=seed, **opts)
                if method == "quantile":
                    res = res.as_percent_change()
                row.update(
                    {
                        "estimate": res.estimate,
                        "ci_low": float(res.ci_low),
                        "ci_high": float(res.ci_high),
                        "p_value": res.p_value,
                        "n": res.n,
                        "n_with": res.n_treated,
                        "scale": res.scale,
                        "note": "",
                    }
                )
            except (InputError, EffectError) as exc:
                nan = float("nan")
                row.update(
                    {
                        "estimate": nan,
                        "ci_low": nan,
                        "ci_high": nan,
                        "p_value": nan,
                        "n": 0,
                        "n_with": 0,
                        "scale": "",
                        "note": _reason(exc),
                    }
                )
            rows.append(row)
    return _add_note(_table(rows), note)


def exposed_mean(data: pd.DataFrame, exposure: str, outcome: str) -> tuple[float, float, float, int]:
    """Mean of `outcome` (its unit; a fraction for adoption) over the projects with `exposure` (a yes/no
    column), with its t 95 % interval, and the projects it rests on. Raises `FramingError`."""
    if exposure not in data or outcome not in data:
        raise FramingError(Message("fe_no_columns", exposure=exposure, outcome=outcome))
    mask = data[exposure].astype("boolean").fillna(False).astype(bool)
    values = data.loc[mask, outcome].dropna().astype("float64")
    if len(values) < 2:
        raise FramingError(
            Message("fe_no_mean", count=len(values), label=_Label(exposure, lower=True), outcome=outcome)
        )
    low, high = DescrStatsW(values.to_numpy()).tconfint_mean()
    return float(values.mean()), float(low), float(high), len(values)


def any_pitfall(data: pd.DataFrame) -> pd.Series:
    """1.0 when the project had at least one of the pitfalls the portfolio records, 0.0 when it had
    none of them (all known), NaN when none is reported and some are unknown."""
    flags = data[_present_pitfalls(data)].astype("boolean")
    yes = flags.fillna(False).astype(bool).any(axis=1)
    none = flags.notna().all(axis=1) & ~yes
    return pd.Series(np.where(yes, 1.0, np.where(none, 0.0, np.nan)), index=data.index)


def pitfall_share(data: pd.DataFrame, outcome: str = "failed_or_challenged", among: str = "troubled"):
    """The "pitfalls sink N % of projects" readings, as (share, Wilson 95 % low, high, n, note):

    * `among="troubled"`: share of the projects that ended `outcome` (challenged or failed by default)
      that had at least one pitfall (`any_pitfall`);
    * `among="all"`: share of all projects with a known outcome class that had at least one pitfall
      AND ended `outcome`.
    `note` says when fewer than the five pitfalls are recorded. Raises `FramingError`."""
    found = _present_pitfalls(data)
    pitfall = any_pitfall(data)
    failure = failure_indicator(data, outcome)
    known = pitfall.notna() & failure.notna()
    if among == "troubled":
        base = known & (failure == 1)
        hits = int((pitfall[base] == 1).sum())
    else:
        base = known
        hits = int(((pitfall == 1) & (failure == 1))[base].sum())
    n = int(base.sum())
    if n == 0:
        raise FramingError(Message("fe_no_share_troubled" if among == "troubled" else "fe_no_share"))
    share, low, high = share_ci(hits, n)
    missing = [p for p in PITFALL_COLUMNS if p not in found]
    note = Message("fe_some_pitfalls", found=len(found), missing=", ".join(missing)) if missing else ""
    return share, low, high, n, note


def pitfall_column_effect(data: pd.DataFrame, exposure: str, column: str, covariates=None, seed: int = 0):
    """Adjusted association of a pitfall with any positive money column (e.g. run costs): median
    quantile regression of ln(`column`) on the pitfall, the covariates and the practice, as a percent
    change of the median (exp(b) − 1). Returns the `EffectResult`. Raises `FramingError`."""
    data = with_framing_columns(data)
    if column not in data or pd.to_numeric(data[column], errors="coerce").notna().sum() == 0:
        raise FramingError(Message("fe_no_values", column=column))
    values = pd.to_numeric(data[column], errors="coerce")
    frame = data.assign(
        **{exposure: data[exposure].astype("boolean"), f"log_{column}": np.log(values.where(values > 0))}
    )
    covariates = default_covariates(data) if covariates is None else list(covariates)
    covariates = [c for c in covariates if c != "amo"] + ["amo"]
    _check_quantile_rows(frame, f"log_{column}", exposure, covariates)
    try:
        result = estimate_effect(
            frame, f"log_{column}", exposure, covariates, method="quantile", seed=seed, quantile=0.5
        )
    except EffectError as exc:
        raise FramingError(_reason(exc)) from exc
    return result.as_percent_change()


def pitfall_claims(
    data: pd.DataFrame, effects: pd.DataFrame | None = None, seed: int = 0, lang: str = "en"
) -> pd.DataFrame:
    """The two pitfall claims with verdicts.

    * scope creep → 20–30 % drift: the adjusted percent change of the median final-cost ratio with
      scope creep (from `pitfall_effects`) against the range 20–30 % (`claims.range_verdict`);
    * poor requirements → adoption below 50 %: mean adoption at M+3 of the projects with poorly
      gathered requirements, with a t 95 % interval, against 50 % (`claims.below_verdict`).
    """
    effects = pitfall_effects(data, seed=seed) if effects is None else effects
    rows = []
    scope = effects[(effects["pitfall"] == "scope_creep") & (effects["measure"] == "drift_median")]
    if len(scope):
        r = scope.iloc[0]
        rows.append(
            {
                "claim": claim_words(SCOPE_CREEP_CLAIM, lang),
                "key": SCOPE_CREEP_CLAIM.key,
                "measure": Message("framing_measure_scope"),
                "claimed_low": SCOPE_CREEP_RANGE[0],
                "claimed_high": SCOPE_CREEP_RANGE[1],
                "estimate": r["estimate"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "n": r["n"],
                "unit": "percent change",
                "verdict": claims_mod.range_verdict(r["ci_low"], r["ci_high"], *SCOPE_CREEP_RANGE),
                "note": r["note"],
            }
        )
    else:
        rows.append(
            {
                "claim": claim_words(SCOPE_CREEP_CLAIM, lang),
                "key": SCOPE_CREEP_CLAIM.key,
                "estimate": float("nan"),
                "verdict": claims_mod.INCONCLUSIVE,
                "note": Message("fe_no_scope_creep"),
            }
        )
    row = {
        "claim": claim_words(REQUIREMENTS_CLAIM, lang),
        "key": REQUIREMENTS_CLAIM.key,
        "measure": Message("framing_req_label"),
        "claimed_low": float("nan"),
        "claimed_high": REQUIREMENTS_CLAIM.value,
        "unit": "fraction",
    }
    try:
        estimate, low, high, n = exposed_mean(data, "poor_requirements", "adoption_m3")
        row.update(
            {
                "estimate": estimate,
                "ci_low": low,
                "ci_high": high,
                "n": n,
                "verdict": claims_mod.below_verdict(low, high, REQUIREMENTS_CLAIM.value),
                "note": "",
            }
        )
    except InputError as exc:
        row.update(
            {
                "estimate": float("nan"),
                "ci_low": float("nan"),
                "ci_high": float("nan"),
                "n": 0,
                "verdict": claims_mod.INCONCLUSIVE,
                "note": _reason(exc),
            }
        )
    rows.append(row)
    return _table(rows)


# ---------------------------------------------------------------------------------------------
# Could something unmeasured explain it? E-values of the risk ratios of failure
# ---------------------------------------------------------------------------------------------

#: the risk ratios given E-values: adjusted for size and type with the practice as a covariate (the
#: model of the framing claim)
EVALUE_MODEL = "adjusted + amo"
EVALUE_COLUMNS = ["exposure", "label", "outcome", "estimate", "ci_low", "ci_high", "evalue", "evalue_ci", "n", "note"]


def pitfall_risk_table(
    data: pd.DataFrame, outcomes=tuple(FAILURE_OUTCOMES), covariates=None, lang: str = "en", seed: int = 0
) -> pd.DataFrame:
    """Risk ratios of failure (ratio scale; 1 = no association) for each pitfall present, per outcome,
    adjusted for size and type with the practice as a covariate (`EVALUE_MODEL`, modified Poisson
    as `risk_ratio`). Same columns as `framing_risk_table`; a row that cannot be estimated has NaN
    numbers and the reason in `note`. Above `scale.LARGE_N` projects: a subsample drawn with `seed`."""
    data = with_framing_columns(data)
    data, note = scale.model_rows(data, seed, Message("note_subject_risk_ratios"))
    covariates = size_type_covariates(data) if covariates is None else list(covariates)
    rows = []
    for outcome in outcomes:
        try:
            failure = failure_indicator(data, outcome)
        except InputError:
            failure = None  # each row then says why
        for code in _present_pitfalls(data):
            frame = data.assign(**{code: data[code].astype("boolean")})
            try:
                rr = replace(
                    risk_ratio(frame, code, outcome, covariates, adjust_amo=True, failure=failure), model=EVALUE_MODEL
                )
            except InputError as exc:
                rr = _missing_rr(code, outcome, EVALUE_MODEL, covariates, _reason(exc))
            rows.append(rr.as_row())
    table = _add_note(_table(rows), note)
    table.insert(1, "label", table["exposure"].map(lambda e: question_label(e, lang)))
    return table


def add_evalues(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of a risk-ratio table with `evalue` (E-value of the estimate) and `evalue_ci` (of the
    interval limit closer to 1; 1 when the interval includes 1), both on the risk-ratio scale (≥ 1;
    `stats.sensitivity.evalue` with the risk ratio used as it is, VanderWeele & Ding 2017). NaN
    where the risk ratio is not estimated."""
    point, limit = [], []
    for r in table[["estimate", "ci_low", "ci_high"]].itertuples(index=False):
        if all(np.isfinite(v) and v > 0 for v in r):
            e = evalue(r.estimate, r.ci_low, r.ci_high, measure="RR")
            point.append(e.point)
            limit.append(e.ci)
        else:
            point.append(float("nan"))
            limit.append(float("nan"))
    return table.assign(evalue=np.asarray(point, dtype=float), evalue_ci=np.asarray(limit, dtype=float))


def evalue_table(
    data: pd.DataFrame, risks: pd.DataFrame | Unavailable | None = None, lang: str = "en", seed: int = 0
) -> pd.DataFrame:
    """E-values of the risk ratios of failure, framing then pitfalls, outcome by outcome: the
    `EVALUE_MODEL` rows of `risks` (a `framing_risk_table`; None leaves framing out) and the pitfall
    risk ratios (`pitfall_risk_table`, when the portfolio records pitfalls). Columns `EVALUE_COLUMNS`:
    the risk ratio (estimate, ci_low, ci_high; per question for the framing score), `evalue`,
    `evalue_ci` (see `add_evalues`), n and the note of a missing estimate. Empty, with
    ``attrs["why"]`` in `lang`, when there is nothing to show."""
    parts = []
    if isinstance(risks, pd.DataFrame) and not risks.empty:  # None or Unavailable: no framing rows
        parts.append(risks[risks["model"] == EVALUE_MODEL])
    if any(p in data for p in PITFALL_COLUMNS):
        parts.append(pitfall_risk_table(data, lang=lang, seed=seed))
    if not parts:
        empty = pd.DataFrame(columns=EVALUE_COLUMNS)
        empty.attrs["why"] = translate("ev_none", lang)
        return empty
    table = pd.concat(parts, ignore_index=True)
    order = {o: i for i, o in enumerate(FAILURE_OUTCOMES)}
    table = table.sort_values("outcome", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    return add_evalues(table)[EVALUE_COLUMNS]


def require_pitfalls(data: pd.DataFrame) -> bool:
    """True when the portfolio records at least one of the five pitfalls; else a sentence saying so."""
    _present_pitfalls(data)  # raises with the sentence when none is there
    return True


@unavailable_on(FramingError)
def pitfall_data(data: pd.DataFrame) -> pd.DataFrame:
    """`data` when it records at least one pitfall (`require_pitfalls`), else `Unavailable`."""
    require_pitfalls(data)
    return data


def claims_check(
    data: pd.DataFrame,
    threshold: int,
    pitfall_table: pd.DataFrame | Unavailable | None,
    seed: int = 0,
    lang: str = "en",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The framing claim and the pitfall claims (their texts in `lang`, see `claim_words`); a table
    is empty when its data are absent (no framing score; `pitfall_table` None or `Unavailable`)."""
    has_framing = "framing_score" in data and data["framing_score"].notna().any()
    framing_table = framing_claim(data, threshold, seed=seed, lang=lang) if has_framing else pd.DataFrame()
    has_pitfalls = pitfall_table is not None and not isinstance(pitfall_table, Unavailable)
    pitfall_table_claims = pitfall_claims(data, pitfall_table, seed, lang) if has_pitfalls else pd.DataFrame()
    return framing_table, pitfall_table_claims
