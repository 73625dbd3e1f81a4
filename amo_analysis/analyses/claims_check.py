"""The claims check of the effects notebook (`02_amo_effects`): each claim beside this portfolio's primary
adjusted estimate (`primary_rows`: OLS with HC2 / CR2 and Bell–McCaffrey degrees of freedom, the
log-normal AFT for the duration ratio when running projects are counted) with a verdict
(`claims_check`), the projects or organisations an inconclusive claim would need, and the minimum
detectable effects of the portfolio (`detectable_effects`).

The estimates it reads are `practice_effects.estimate_all`'s table; `practice_effects.claims_for` draws
the whole check from a portfolio and returns it as a `ClaimsCheck` (a result object read like a
statsmodels result: a short repr, an HTML table, `summary()`, and `summary_frame()`, the table). All numbers are fractions (percent change or percentage points, as
the `scale` column says)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from amo_analysis.analyses.practice_effects import AFT_METHOD, MEAN_PCT, PCT, PRIMARY_METHODS, READING_SCALE, SPECS
from amo_analysis.errors import InputError
from amo_analysis.i18n import Message, join_sentences, localise
from amo_analysis.results_display import ResultDisplay, number
from amo_analysis.stats import claims as claims_mod
from amo_analysis.stats import power
from amo_analysis.stats.design import MIN_ORGANISATIONS_PER_GROUP, AssignmentDesign

__all__ = ["ClaimsCheck", "primary_rows", "claims_check", "detectable_effects", "NOT_ESTIMATED"]

#: the numbers of a claim's row before (or without) an estimate: no value, no interval, no projects,
#: and so the verdict *inconclusive*
NOT_ESTIMATED = {
    "estimate": np.nan,
    "ci_low": np.nan,
    "ci_high": np.nan,
    "n": 0,
    "verdict": claims_mod.INCONCLUSIVE,
    "projects_needed": pd.NA,
}


def primary_rows(estimates: pd.DataFrame) -> pd.DataFrame:
    """Per (measure, scale): the primary adjusted estimate — OLS (`PRIMARY_METHODS`); for the relative
    reading of the duration ratio the log-normal AFT (`AFT_METHOD`) instead when its fit counts running
    projects (`n_running` > 0) and is estimable; for relative adoption the log-linear ratio of means
    (the only relative estimator). Adds `why_not` (why a preferred method was skipped)."""
    picked = []
    for (measure, scale), part in estimates.groupby(["measure", "scale"], sort=False):
        order = [m for m in PRIMARY_METHODS if m in set(part["method"])] or list(part["method"])
        skipped = []
        chosen = None
        aft = part[part["method"] == AFT_METHOD]
        running = pd.to_numeric(aft.get("n_running", pd.Series(dtype=float)), errors="coerce").fillna(0)
        if len(aft) and running.iloc[0] > 0:  # running projects: the censoring-aware fit
            if math.isfinite(aft["estimate"].iloc[0]):
                order = [AFT_METHOD]
            else:
                skipped.append(f"{AFT_METHOD.upper()} not estimable: {aft['note'].iloc[0]}")
        for method in order:
            row = part[part["method"] == method].iloc[0]
            if math.isfinite(row["estimate"]):
                chosen = row
                break
            skipped.append(f"{method.upper()} not estimable: {row['note']}")
        if chosen is None:
            chosen = part[part["method"] == order[0]].iloc[0]
        chosen = chosen.copy()
        chosen["why_not"] = " ".join(skipped)
        picked.append(chosen)
    return pd.DataFrame(picked).reset_index(drop=True)


def _ols_row(estimates: pd.DataFrame, outcome: str) -> pd.Series | None:
    part = estimates[(estimates["outcome"] == outcome) & (estimates["method"] == "ols")]
    return None if part.empty else part.iloc[0]


def _power_inputs(estimates: pd.DataFrame, measure: str, scale: str, claimed: float):
    """(effect, sd, ratio, assumption, problem) for `power.projects_needed` on the model scale."""
    spec = next(s for s in SPECS if s.measure == measure and s.scale == scale)
    outcome = spec.outcome
    ols = _ols_row(estimates, outcome)
    if ols is None or not math.isfinite(ols["residual_sd"]) or ols["residual_sd"] <= 0:
        if ols is None:
            return None, None, None, "", Message("pe_no_residual_sd", outcome=outcome)
        return None, None, None, "", Message("pe_no_residual_sd_why", outcome=outcome, why=ols["note"])
    sd = float(ols["residual_sd"])
    n_t, n_c = int(ols["n_treated"]), int(ols["n"] - ols["n_treated"])
    ratio = n_c / n_t if n_t else 1.0
    if spec.log_outcome:
        effect = math.log1p(claimed)
        assumption = Message("pe_assume_log", claimed=claimed, effect=effect, sd=sd)
    elif scale in (PCT, MEAN_PCT):  # relative change of a mean: claimed share of the mean without
        ratio_row = estimates[
            (estimates["outcome"] == outcome) & (estimates["method"] == "ols") & (estimates["scale"] == scale)
        ]
        base = float(ratio_row["control_mean"].iloc[0] if len(ratio_row) else ols["control_mean"])
        effect = claimed * base
        assumption = Message("pe_assume_mean", base=base, effect=effect, outcome=outcome, sd=sd)
    else:
        effect = claimed
        assumption = Message("pe_assume_difference", claimed=claimed, sd=sd)
    assumption = Message("pe_assume_power", reading=assumption, ratio=ratio)
    return effect, sd, ratio, assumption, None


def claims_check(
    estimates: pd.DataFrame,
    n_projects: int | None = None,
    claims=claims_mod.AMO_CLAIMS,
    alpha: float = 0.05,
    power_level: float = 0.8,
    design: AssignmentDesign | None = None,
) -> pd.DataFrame:
    """Each claim beside this portfolio's primary adjusted estimate (OLS, `PRIMARY_METHODS`; the
    log-normal AFT for the relative reading of the duration ratio when running projects are counted,
    `primary_rows`, with a note saying so), with a
    verdict (`claims.verdict`: supported, smaller / larger than claimed, opposite direction,
    inconclusive).

    For inconclusive claims, `projects_needed` = total projects for a two-sided t-test
    (`power.projects_needed`) to detect the claimed effect with the residual SD of this portfolio's
    OLS fit on the model scale (the `assumption` column states it). When `design` clusters by
    organisation, `organisations_needed` counts organisations instead (each organisation's mean one
    observation, `AssignmentDesign.organisations_needed`), and when it has fewer than
    `design.MIN_ORGANISATIONS_PER_GROUP` organisations on a side no verdict is drawn at all: the note
    says so. `n_projects` = projects in the portfolio (for comparison).
    """
    primary = primary_rows(estimates)
    clustered = design is not None and design.clustered and not design.user_cluster
    too_few = design is not None and not design.enough
    rows = []
    for claim in claims:
        scale = READING_SCALE.get(claim.reading)
        match = primary[(primary["measure"] == claim.outcome) & (primary["scale"] == scale)]
        base = {
            "claim": claim.key,
            "text": claim.text,
            "measure": claim.outcome,
            "reading": claim.reading,
            "scale": scale,
            "claimed": claim.value,
            "claim_n_projects": claim.n_projects,
            "organisations_needed": pd.NA,
        }
        if match.empty:
            rows.append(
                {
                    **base,
                    "method": "",
                    **NOT_ESTIMATED,
                    "assumption": "",
                    "note": Message("pe_no_estimate_reading"),
                }
            )
            continue
        row = match.iloc[0]
        low, high = row["ci_low"], row["ci_high"]
        notes = [row["why_not"]] if row["why_not"] else []
        if row["method"] == AFT_METHOD:
            notes.append(Message("pe_claim_aft", n_running=int(row["n_running"]), n=int(row["n"])))
        if not math.isfinite(row["estimate"]) or not (math.isfinite(low) and math.isfinite(high)):
            notes.append(Message("pe_no_interval", why=row["note"]))
        if too_few:
            low = high = np.nan
            notes.append(
                Message(
                    "design_too_few",
                    n_with=design.n_with,
                    n_without=design.n_without,
                    minimum=MIN_ORGANISATIONS_PER_GROUP,
                )
            )
        verdict = claims_mod.verdict(
            low if math.isfinite(low) else None, high if math.isfinite(high) else None, claim.value, claim.null_value
        )
        needed, organisations, assumption = pd.NA, pd.NA, ""
        if verdict == claims_mod.INCONCLUSIVE:
            effect, sd, ratio, assumption, problem = _power_inputs(estimates, claim.outcome, scale, claim.value)
            if clustered and effect is not None:
                outcome = next(s.outcome for s in SPECS if s.measure == claim.outcome and s.scale == scale)
                organisations = design.organisations_needed(outcome, effect, alpha, power_level)
                organisations = pd.NA if organisations is None else organisations
                assumption = Message(
                    "pe_assume_organisations",
                    effect=effect,
                    outcome=outcome,
                    between_sd=design.between_sd.get(outcome, float("nan")),
                    n_with=design.n_with,
                    n_without=design.n_without,
                )
            elif problem:
                notes.append(Message("pe_needed_not_computed", problem=problem))
            else:
                needed = power.projects_needed(effect, sd, ratio=ratio, alpha=alpha, power=power_level)
        rows.append(
            {
                **base,
                "method": row["method"],
                "estimate": row["estimate"],
                "ci_low": low,
                "ci_high": high,
                "n": int(row["n"]),
                "verdict": verdict,
                "projects_needed": needed,
                "organisations_needed": organisations,
                "assumption": assumption,
                "note": join_sentences([n for n in notes if n]),
            }
        )
    table = pd.DataFrame(rows)
    for column in ("text", "assumption", "note"):  # object: a string column would drop the i18n.Message
        table[column] = pd.Series([r[column] for r in rows], index=table.index, dtype=object)
    table["projects_needed"] = table["projects_needed"].astype("Int64")
    table["organisations_needed"] = table["organisations_needed"].astype("Int64")
    table["n_projects"] = n_projects if n_projects is not None else int(estimates["n"].max() or 0)
    table.attrs["paraphrases"] = {c.key: dict(c.paraphrases) for c in claims}  # labels of a user's claims
    return table


def detectable_effects(estimates: pd.DataFrame, alpha: float = 0.05, power_level: float = 0.8) -> pd.DataFrame:
    """Minimum detectable effect (two-sided t-test, `power.minimum_detectable_effect`) for this
    portfolio's group sizes and each outcome's OLS residual SD, per (measure, scale).

    `mde_decrease` / `mde_increase`: smallest detectable fall / rise on the reported scale
    (percent change: exp(∓mde) − 1 on log outcomes, ±mde / untreated mean for adoption;
    percentage points: ±mde)."""
    rows = []
    for spec in SPECS:
        ols = _ols_row(estimates, spec.outcome)
        row = {
            "measure": spec.measure,
            "outcome": spec.outcome,
            "scale": spec.scale,
            "n_treated": 0,
            "n_control": 0,
            "residual_sd": np.nan,
            "mde_decrease": np.nan,
            "mde_increase": np.nan,
            "note": "",
        }
        if ols is None:
            continue
        n_t, n_c, sd = int(ols["n_treated"]), int(ols["n"] - ols["n_treated"]), ols["residual_sd"]
        row.update({"n_treated": n_t, "n_control": n_c, "residual_sd": sd})
        try:
            mde = power.minimum_detectable_effect(n_t, n_c, float(sd), alpha=alpha, power=power_level)
        except InputError as exc:
            row["note"] = f"Not computed: {ols['note'] or exc}"
            rows.append(row)
            continue
        if spec.log_outcome:
            row.update(mde_decrease=math.expm1(-mde), mde_increase=math.expm1(mde))
        elif spec.scale == PCT:
            base = float(ols["control_mean"])
            if base > 0:
                row.update(mde_decrease=-mde / base, mde_increase=mde / base)
            else:
                row["note"] = "Not computed: untreated mean is not positive."
        else:
            row.update(mde_decrease=-mde, mde_increase=mde)
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True, repr=False, eq=False)
class ClaimsCheck(ResultDisplay):
    """The claims check of one portfolio (`practice_effects.claims_for`), read like a statsmodels result:
    a one-line repr (claims, verdicts, projects, design), an HTML table and `summary()` (one row per claim
    reading: verdict, estimate and interval beside the claimed value, fractions on the reading's
    scale; notes under it), and `summary_frame()`: the `claims_check` table (with the leave-one-out
    columns of `stability.claims_stability` when the check was asked for them). `design` is the
    assignment design the check used."""

    table: pd.DataFrame
    design: AssignmentDesign

    def _display_title(self) -> str:
        return "Claims check"

    def _projects(self) -> str:
        return str(int(self.table["n_projects"].iloc[0])) if len(self.table) else "0"

    def _design_words(self) -> str:
        cluster = f", clustered by {self.design.cluster}" if self.design.cluster else ""
        return f"{self.design.level}{cluster}"

    def _display_rows(self) -> list[tuple[str, str]]:
        rows = [
            ("Projects", self._projects()),
            ("Design", self._design_words()),
            ("Covariates", ", ".join(self.design.covariates) or "none"),
        ]
        for _, row in self.table.iterrows():
            method = str(row["method"]).upper() or "–"
            interval = f"[{number(row['ci_low'], 3)}, {number(row['ci_high'], 3)}]"
            rows.append(
                (
                    row["claim"],
                    f"{row['verdict']}: {number(row['estimate'], 3)} {interval} vs claimed "
                    f"{number(row['claimed'], 3)} ({method}, {row['scale']})",
                )
            )
        return rows

    def _repr_rows(self) -> list[tuple[str, str]]:
        verdicts = self.table["verdict"].value_counts(sort=False) if len(self.table) else {}
        return [
            ("Claims", str(len(self.table))),
            ("Verdicts", ", ".join(f"{verdict} {count}" for verdict, count in verdicts.items()) or "none"),
            ("Projects", self._projects()),
            ("Design", self._design_words()),
        ]

    def _display_notes(self, lang: str = "en") -> list[str]:
        return [f"{row['claim']}: {localise(row['note'], lang)}" for _, row in self.table.iterrows() if row["note"]]

    def summary_frame(self) -> pd.DataFrame:
        """The claims check table (a copy): one row per claim reading, `claims_check`'s columns."""
        return self.table.copy()
