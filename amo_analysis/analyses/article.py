"""The article, claim by claim (`08_article_claims`): every claim of the claims register, in the order of
its source, each reading beside this portfolio's estimate, its interval and a verdict.

The register (`stats/claims_register.toml`, plus a user's `--claims FILE`) says for each reading which
analysis computes it; this module only dispatches:

* ``effects`` — the claims check of notebook 02 (`practice_effects.claims_for`: adjusted OLS, HC2 / CR2),
  its note saying when the verdict rests on one project or organisation (`stability`);
* ``framing_rr`` — the risk ratio of failure, well framed vs the others (`framing.framing_claim`);
* ``pitfall_effect`` — the adjusted association of a pitfall with drift, slip or adoption
  (`pitfalls.pitfall_effects`), or with any money column of the portfolio such as run costs
  (`pitfalls.pitfall_column_effect`); when the portfolio is too small to adjust for every covariate
  (5 projects per parameter), adjusted for size and the practice only (`FEW_COVARIATES`, said in the note);
* ``pitfall_level`` — the mean outcome of the projects with a pitfall (`pitfalls.exposed_mean`);
* ``pitfall_share`` — the share of troubled projects with a pitfall, or of all projects with a pitfall
  that ended in trouble (`pitfalls.pitfall_share`, Wilson intervals);
* ``forecast_margin`` — the forecast's chance that budget + 10 % covers the final cost of a typical
  new project, with / without the practice (`forecast.forecast`), with a Wilson interval over the
  n_spread values it is counted over (the median model's own uncertainty is left out, so the
  interval is if anything too narrow);
* ``margin_share`` — the share of finished projects whose final cost stayed within budget + 10 %;
* ``roi`` — drift prevented per unit of fee (`roi.simulate_roi`).

Verdicts are those of `stats.claims` (supported, smaller than claimed, larger than claimed, opposite
direction, inconclusive); a reading whose data the portfolio lacks is "not testable on this portfolio:
no column X". Projects needed, for an inconclusive reading: from the effects check's power calculation
for ``effects`` readings, otherwise `claims.projects_needed_from_interval` (today's interval scaled as
1/√n). All numbers are fractions unless the scale says otherwise.

Above `scale.LARGE_N` projects the page works on a seeded subsample of `scale.SUBSAMPLE_ROWS` projects
(its intervals are then wider than the whole portfolio would give; ``attrs["subsample"]`` says so and
notebooks 02–05 use every project): a summary of the claims must not double the run's cost.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd

from amo_analysis.analyses import (
    article_stability,
    claims_check,
    forecast,
    framing,
    pitfalls,
    practice_effects,
    roi,
    stability,
)
from amo_analysis.ingest.model_columns import with_model_columns
from amo_analysis.stats.intervals import share_ci
from amo_analysis.errors import InputError
from amo_analysis.i18n import Message, join_sentences
from amo_analysis.stats import claims as claims_mod
from amo_analysis.stats import scale

__all__ = [
    "COLUMNS",
    "claims_by_article",
    "missing_column",
    "not_testable_reason",
    "OUTCOME_WORD",
]

COLUMNS = [
    "order",
    "claim",
    "reading",
    *claims_mod.READING_FIELDS,
    *claims_check.NOT_ESTIMATED,
    "testable",
    "fewer_covariates",
    "missing_column",
    "note",
    *stability.STABILITY_COLUMNS,
]
#: the column a derived outcome is computed from (named when it is missing)
_SOURCE_COLUMN = {
    "budget_drift": "cost_actual",
    "schedule_slip": "duration_actual_days",
    "drift_median": "cost_actual",
    "drift_p80": "cost_actual",
    "slip_median": "duration_actual_days",
    "adoption_mean": "adoption_m3",
    "failed": "outcome_class",
    "failed_or_challenged": "outcome_class",
    "budget_plus_10pct": "cost_actual",
    "prevented_per_euro": "cost_actual",
}
#: the word of a pitfall measure's outcome (a locale key)
OUTCOME_WORD = {
    "drift_median": "budget_drift",
    "drift_p80": "budget_drift",
    "slip_median": "schedule_slip",
    "adoption_mean": "adoption_m3",
}
_PITFALL_MEASURE = {key: key for key, *_ in pitfalls.PITFALL_MEASURES}
#: the covariates (with the practice) of a pitfall reading when the portfolio is too small to adjust for
#: every pre-treatment covariate (5 projects per parameter: 20 projects)
FEW_COVARIATES = ["log_budget"]
#: the analyses that compare projects with and without the practice, or adjust for it (pitfall effects,
#: the framing risk ratio): not testable on a portfolio without a practice column (`amo` blank on every
#: row); the other readings (pitfall shares and levels, the share within budget + 10 %) still are
NEEDS_PRACTICE = ("effects", "forecast_margin", "roi", "pitfall_effect", "framing_rr")
#: the practice's column in the data contract (blank on every row when the source has none)
PRACTICE_COLUMN = "amo"
#: scales read as a relative change (1 + value > 0): their projects needed are computed on the log scale
_RELATIVE = {"relative", "relative_mean"}


def _has(data: pd.DataFrame, column: str) -> bool:
    return column in data and data[column].notna().any()


def missing_column(data: pd.DataFrame, reading: claims_mod.Reading) -> str | None:
    """The first column this reading needs that the portfolio lacks (or holds no value in), else None."""
    needs = [PRACTICE_COLUMN] if reading.analysis in NEEDS_PRACTICE else []  # first: the reason named
    needs.append(_SOURCE_COLUMN.get(reading.outcome, reading.outcome))
    if reading.analysis == "framing_rr":
        needs.append("framing_score")
    if reading.analysis.startswith("pitfall") and reading.exposure != "any_pitfall":
        needs.append(reading.exposure)
    if reading.analysis == "pitfall_share":
        present = [p for p in pitfalls.PITFALL_COLUMNS if _has(data, p)]
        if not present:
            needs.append(pitfalls.PITFALL_COLUMNS[0])
    if reading.analysis in ("forecast_margin", "margin_share", "roi"):
        needs.append("budget_planned")
    for column in needs:
        if not _has(data, column):
            return column
    return None


def not_testable_reason(column: str) -> Message:
    """Why a reading is not testable: no practice column, or no column `column`."""
    if column == PRACTICE_COLUMN:
        return Message("ac_not_testable_practice")
    return Message("ac_not_testable", column=column)


def _row(claim: claims_mod.RegisteredClaim, reading: claims_mod.Reading) -> dict:
    return {
        "order": claim.order,
        "claim": claim.key,
        "reading": reading.name,
        **{field: getattr(reading, field) for field in claims_mod.READING_FIELDS},
        **claims_check.NOT_ESTIMATED,
        "testable": True,
        "fewer_covariates": False,
        "missing_column": "",
        "note": "",
        **stability._empty(),
    }


def _target(reading: claims_mod.Reading, estimate: float) -> float | None:
    """The value projects needed aims at: the claim (its range's middle), or for a direction the
    estimate itself when it points the claimed way."""
    if reading.test == "range":
        return (reading.claimed_low + reading.claimed_high) / 2
    if reading.test == "direction":
        sign = 1 if reading.direction == "increase" else -1
        null = claims_mod.NULL_OF_SCALE.get(reading.scale, 0.0)
        return estimate if math.isfinite(estimate) and (estimate - null) * sign > 0 else None
    return reading.claimed


def _needed(reading: claims_mod.Reading, row: dict) -> int | None:
    """Projects needed for an inconclusive reading computed from its interval (`projects_needed_from_interval`):
    to tell the claim from "no effect" (effects, ranges, directions), or for a level from today's estimate."""
    target = _target(reading, row["estimate"])
    if target is None:
        return None
    null = claims_mod.NULL_OF_SCALE.get(reading.scale)
    reference = row["estimate"] if reading.test in ("level", "below", "at_least") or null is None else null
    low, high = row["ci_low"], row["ci_high"]
    log_scale = reading.scale == "ratio"
    if reading.scale in _RELATIVE:  # relative changes: ratios 1 + value on the log scale
        low, high, target, reference, log_scale = 1 + low, 1 + high, 1 + target, 1 + reference, True
    return claims_mod.projects_needed_from_interval(int(row["n"]), low, high, target, reference, log_scale)


class _Cache:
    """Each analysis computed once per page, whatever the number of readings that use it."""

    def __init__(self, data: pd.DataFrame, claims_file, threshold, covariates, seed, budget, cost_unit, pairs, cluster):
        self.data, self.claims_file, self.threshold, self.pairs = data, claims_file, threshold, pairs
        self.cluster = cluster
        self.covariates, self.seed, self.budget, self.cost_unit = covariates, seed, budget, cost_unit
        #: what a cache of the same page on other data takes, before `pairs` and `cluster`
        self.settings = (claims_file, threshold, covariates, seed, budget, cost_unit)
        self._store: dict = {}

    def get(self, key, compute):
        if key not in self._store:
            try:
                self._store[key] = compute()
            except InputError as exc:
                self._store[key] = exc
        value = self._store[key]
        if isinstance(value, InputError):
            raise value
        return value

    def effects_claims(self) -> pd.DataFrame:
        return self.get(
            "effects",
            lambda: practice_effects.claims_for(
                self.data,
                self.covariates,
                self.cluster,
                claims=practice_effects.effect_claims(self.claims_file),
                stability=True,
            ).summary_frame(),
        )

    def pitfall_effects(self, covariates=None) -> pd.DataFrame:
        return self.get(
            ("pitfall_effects", None if covariates is None else tuple(covariates)),
            lambda: pitfalls.pitfall_effects(self.data, covariates, seed=self.seed, only=self.pairs),
        )

    def forecast(self) -> pd.DataFrame:
        return self.get(
            "forecast",
            lambda: forecast.forecast(
                self.data, forecast.typical_project(self.data, self.budget), seed=self.seed, amo="both"
            ).summary_frame(),
        )

    def roi(self) -> roi.RoiResult:
        return self.get(
            "roi",
            lambda: roi.simulate_roi(
                self.data, budget=self.budget, cost_unit=self.cost_unit, n_draws=1000, seed=self.seed
            ),
        )


def _pitfall_row(table: pd.DataFrame, reading: claims_mod.Reading) -> pd.Series:
    match = table[(table["pitfall"] == reading.exposure) & (table["measure"] == reading.outcome)]
    if match.empty:
        raise framing.FramingError(f"The portfolio has no {reading.exposure} column.")
    return match.iloc[0]


def _fill(row: dict, estimate, low, high, n, note="") -> None:
    row.update({"estimate": float(estimate), "ci_low": float(low), "ci_high": float(high), "n": int(n)})
    if note:
        row["note"] = note


def _compute(cache: _Cache, claim: claims_mod.RegisteredClaim, reading: claims_mod.Reading, row: dict) -> None:
    data = cache.data
    if reading.analysis == "effects":
        table = cache.effects_claims()
        match = table[table["claim"] == reading.key]
        if match.empty:
            row["note"] = "No estimate on this reading."
            return
        r = match.iloc[0]
        loo = claims_mod.stability_message(r)  # a verdict resting on one project or organisation
        _fill(
            row,
            r["estimate"],
            r["ci_low"],
            r["ci_high"],
            r["n"],
            join_sentences([r["note"], loo]) if loo else r["note"],
        )
        row["verdict"] = r["verdict"]
        row.update({k: r[k] for k in stability.STABILITY_COLUMNS if k in r})
        needed = r["organisations_needed"] if not pd.isna(r["organisations_needed"]) else r["projects_needed"]
        row["projects_needed"] = needed
        return
    if reading.analysis == "framing_rr":
        claim_obj = claims_mod.as_claim(claim, reading)
        table = framing.framing_claim(data, cache.threshold, claim=claim_obj, seed=cache.seed)
        r = table.iloc[0]
        _fill(row, r["estimate"], r["ci_low"], r["ci_high"], r["n"], r["note"])
    elif reading.analysis == "pitfall_effect":
        if reading.outcome in _PITFALL_MEASURE:
            r = _pitfall_row(cache.pitfall_effects(), reading)
            if not math.isfinite(r["estimate"]):  # too few projects for every covariate: size and practice only
                fewer = _pitfall_row(cache.pitfall_effects(FEW_COVARIATES), reading)
                if math.isfinite(fewer["estimate"]):
                    why = f"({r['note']})" if r["note"] else ""
                    r = fewer.copy()
                    r["note"] = " ".join(part for part in (fewer["note"], why) if part)
                    row["fewer_covariates"] = True
            _fill(row, r["estimate"], r["ci_low"], r["ci_high"], r["n"], r["note"])
        else:
            try:
                result = pitfalls.pitfall_column_effect(data, reading.exposure, reading.outcome, seed=cache.seed)
            except framing.FramingError as exc:
                try:
                    result = pitfalls.pitfall_column_effect(
                        data, reading.exposure, reading.outcome, FEW_COVARIATES, seed=cache.seed
                    )
                except framing.FramingError:
                    raise exc from None
                row.update({"fewer_covariates": True, "note": f"({exc})"})
            _fill(row, result.estimate, result.ci_low, result.ci_high, result.n)
    elif reading.analysis == "pitfall_level":
        _fill(row, *pitfalls.exposed_mean(data, reading.exposure, reading.outcome))
    elif reading.analysis == "pitfall_share":
        among = "troubled" if reading.scale == "share_of_troubled" else "all"
        share, low, high, n, note = pitfalls.pitfall_share(data, reading.outcome, among)
        _fill(row, share, low, high, n, note)
    elif reading.analysis == "forecast_margin":
        table = cache.forecast()
        part = table[table["amo"] == (reading.exposure == "practice")]
        r = part.iloc[0]
        n_ref = int(r["n_spread"])
        if not math.isfinite(r["chance_10pct_enough"]) or n_ref == 0:
            raise forecast.ForecastError(r["note"] or "No forecast for this scenario.")
        _, low, high = share_ci(int(round(r["chance_10pct_enough"] * n_ref)), n_ref)
        _fill(row, r["chance_10pct_enough"], low, high, n_ref, r["note"])
    elif reading.analysis == "margin_share":
        frame = data.dropna(subset=["cost_actual", "budget_planned"])
        if frame.empty:
            raise InputError("No project has both a planned budget and a final cost.")
        within = int((frame["cost_actual"] <= 1.10 * frame["budget_planned"]).sum())
        share, low, high = share_ci(within, len(frame))
        _fill(row, share, low, high, len(frame))
    elif reading.analysis == "roi":
        result = cache.roi()
        summary = result.summary_frame().set_index("name").loc[reading.outcome]
        _fill(row, summary["value"], summary["ci_low"], summary["ci_high"], summary["n"], roi.run_note(result))
    row["verdict"] = claims_mod.reading_verdict(reading, row["ci_low"], row["ci_high"])
    if row["verdict"] == claims_mod.INCONCLUSIVE:
        needed = _needed(reading, row)
        row["projects_needed"] = pd.NA if needed is None else needed


def _leave_one_out(cache: _Cache, claim, reading, row: dict, public: set | None) -> None:
    """The leave-one-out fields of a reading other than the effects check (`article_stability`), each
    deletion recomputed by `_compute` itself (the same estimate and verdict); a verdict resting on one
    project or organisation, or a reading not assessed, is said in the note."""

    def refit(part: pd.DataFrame) -> tuple[float, str]:
        again = _Cache(part, *cache.settings, frozenset({(reading.exposure, reading.outcome)}), cache.cluster)
        fresh = _row(claim, reading)
        try:
            _compute(again, claim, reading, fresh)
        except InputError:
            return float("nan"), claims_mod.INCONCLUSIVE
        return float(fresh["estimate"]), fresh["verdict"]

    row.update(article_stability.reading_stability(cache.data, reading, row, public, refit))
    said = article_stability.stability_note(row, reading.analysis)
    if said:
        row["note"] = join_sentences(part for part in (row["note"], said) if part)


def claims_by_article(
    data: pd.DataFrame,
    claims_file: str | None = None,
    threshold: int = framing.DEFAULT_THRESHOLD,
    covariates=None,
    seed: int = 0,
    budget: float | None = None,
    cost_unit: str = "EUR",
    keys=None,
    cluster: str | None = None,
    public: set | None = None,
) -> pd.DataFrame:
    """Every reading of every claim of the register (with a user's `claims_file` added), in the order of
    its source: `COLUMNS` — the claimed value (or range, or direction), this portfolio's estimate with
    its 95 % interval and n, the verdict, projects needed when inconclusive, `testable` (False when
    the portfolio lacks a column the reading needs: the note then says which) and the note.
    `threshold` = framing questions for "well framed"; `covariates` for the effects check (None = the
    pre-treatment covariates present) and `cluster` (as notebook 02's parameter); `budget` (cost unit) of the
    new project the forecast and the ROI simulation are about (None: the portfolio median for the
    forecast, as notebook 04; 75 000 for a portfolio in EUR for the ROI, as notebook 05) and `cost_unit`; `keys`:
    only these readings ("<claim>.<reading>"; None = all); `public`: organisations the leave-one-out
    columns (`article_stability`) may name (`stability.public_organisations(portfolio)`)."""
    register = [
        replace(c, readings=tuple(r for r in c.readings if keys is None or r.key in keys))
        for c in claims_mod.load_register(claims_file)
    ]
    data = framing.with_framing_columns(with_model_columns(data), threshold)
    n_projects = len(data)
    data, subsample = scale.model_rows(data, seed, "This page's every estimate")
    pairs = frozenset(
        (r.exposure, r.outcome)
        for c in register
        for r in c.readings
        if r.analysis == "pitfall_effect" and r.outcome in _PITFALL_MEASURE
    )
    cache = _Cache(data, claims_file, threshold, covariates, seed, budget, cost_unit, pairs, cluster)
    rows = []
    for claim in register:
        for reading in claim.readings:
            row = _row(claim, reading)
            column = missing_column(data, reading)
            if column is not None:
                row.update(
                    {
                        "testable": False,
                        "missing_column": column,
                        "note": str(not_testable_reason(column)),
                    }
                )
            else:
                try:
                    _compute(cache, claim, reading, row)
                except InputError as exc:
                    row.update({"verdict": claims_mod.INCONCLUSIVE, "note": str(exc)})
                if reading.analysis != "effects":
                    _leave_one_out(cache, claim, reading, row, public)
                if subsample and subsample not in row["note"]:
                    row["note"] = join_sentences(part for part in (row["note"], subsample) if part)
            rows.append(row)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["note"] = pd.Series([row["note"] for row in rows], index=table.index, dtype=object)  # keeps i18n.Message
    table["decisive"] = pd.Series([list(row["decisive"]) for row in rows], index=table.index, dtype=object)
    table["projects_needed"] = table["projects_needed"].astype("Int64")
    table["n"] = table["n"].astype(int)
    table.attrs.update({"n_projects": n_projects, "subsample": subsample or ""})
    return table
