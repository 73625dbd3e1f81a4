"""Refutation tests of the effects notebook (`02_amo_effects`, section "Could something unmeasured
explain this?"): each refuter of `stats.refuters` run on the log cost and duration ratios and on adoption at
M+3 with the claims check's covariates and assignment design, `REFUTER_DRAWS` draws each: placebo practice
(shuffled across organisations when the design clusters by organisation), random common cause, data subsets
(`SUBSET_FRACTION` of the projects or organisations) and dummy outcome; above `scale.LARGE_N` projects on a
seeded subsample. What each row means, in one sentence in the report's language, its table and records
are in `report.show_refutations`. Every random step takes the run's `seed`.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from amo_analysis.errors import InputError
from amo_analysis.i18n import (
    Message,
    join_sentences,
)
from amo_analysis.stats import refuters, scale
from amo_analysis.stats.design import AssignmentDesign

#: draws per refuter: enough for the verdicts, small enough to add well under a second (vectorised OLS)
REFUTER_DRAWS = {"placebo_practice": 200, "random_common_cause": 50, "data_subsets": 100, "dummy_outcome": 100}
#: outcomes the refuters run on (model scale: log ratios, and adoption as a fraction)
REFUTED_OUTCOMES = ("log_cost_ratio", "log_duration_ratio", "adoption_m3")
#: level of the placebo and dummy-outcome tests (as the claims check)
ALPHA = 0.05
#: share of the projects (or organisations) kept by each data-subsets draw
SUBSET_FRACTION = 0.8

# --------------------------------------------------------------------------------------------
# Refuters
# --------------------------------------------------------------------------------------------

REFUTATION_COLUMNS = [
    "outcome",
    "key",
    "estimate",
    "se",
    "refuted_estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "passed",
    "n",
    "draws",
    "stands_out",
    "model_p",
    "shuffled",
    "mean_abs_change_se",
    "same_sign",
    "sd_ratio",
    "unit",
    "share_significant",
    "note",
]


def refute_outcomes(
    data: pd.DataFrame,
    design: AssignmentDesign,
    seed: int = 0,
    *,
    treatment: str = "amo",
    outcomes=REFUTED_OUTCOMES,
    draws=None,
) -> pd.DataFrame:
    """The four refuters (`stats.refuters`) on each outcome of `outcomes`, OLS with `design`'s
    covariates, placebo practices and subsets by organisation when `design` clusters. Seeds: `seed`
    (placebo), `seed` + 1 (common cause), + 2 (subsets), + 3 (dummy outcome), the same for each outcome.
    One row per outcome × refuter (`REFUTATION_COLUMNS`): estimates in outcome units (log ratio or
    fraction), `p_value` (NaN where the refuter has none), `passed`; a refuter that cannot run keeps
    `passed` NA and says why in `note`. Above `scale.LARGE_N` projects, a seeded subsample is used."""
    draws = {**REFUTER_DRAWS, **(draws or {})}
    data, subsample_note = scale.model_rows(data, seed, Message("note_subject_refuters"))
    rows = []
    for outcome in outcomes:
        base = dict.fromkeys(REFUTATION_COLUMNS, np.nan)
        if outcome not in data:
            continue
        frame = data
        clusters = None
        if design.cluster is not None and design.cluster in data:
            clusters = design.cluster
        calls = {
            "placebo_practice": lambda: refuters.placebo_practice(
                frame,
                outcome,
                treatment,
                design.covariates,
                clusters=clusters,
                draws=draws["placebo_practice"],
                seed=seed,
                alpha=ALPHA,
            ),
            "random_common_cause": lambda: refuters.random_common_cause(
                frame, outcome, treatment, design.covariates, draws=draws["random_common_cause"], seed=seed + 1
            ),
            "data_subsets": lambda: refuters.data_subsets(
                frame,
                outcome,
                treatment,
                design.covariates,
                clusters=clusters,
                fraction=SUBSET_FRACTION,
                draws=draws["data_subsets"],
                seed=seed + 2,
            ),
            "dummy_outcome": lambda: refuters.dummy_outcome(
                frame, outcome, treatment, design.covariates, draws=draws["dummy_outcome"], seed=seed + 3, alpha=ALPHA
            ),
        }
        for key, call in calls.items():
            row = {
                **base,
                "outcome": outcome,
                "key": key,
                "passed": pd.NA,
                "draws": draws[key],
                "shuffled": "",
                "unit": "",
                "note": subsample_note or "",
            }
            try:
                r = call()
            except (InputError, np.linalg.LinAlgError) as exc:
                row["note"] = join_sentences([part for part in (row["note"], str(exc)) if part])
                rows.append(row)
                continue
            d = r.details
            row.update(
                estimate=r.estimate,
                se=r.se,
                refuted_estimate=r.refuted_estimate,
                ci_low=r.ci_low,
                ci_high=r.ci_high,
                p_value=r.p_value,
                passed=bool(r.passed),
                n=int(frame[[outcome, treatment, *design.covariates]].dropna().shape[0]),
                draws=int(d.get("draws", draws[key])),
                stands_out=d.get("stands_out", np.nan),
                model_p=d.get("model_p", np.nan),
                shuffled=d.get("shuffled", ""),
                mean_abs_change_se=d.get("mean_abs_change_se", np.nan),
                same_sign=d.get("same_sign", np.nan),
                sd_ratio=d.get("sd_ratio", np.nan),
                unit=("organisations" if clusters is not None else "projects") if key == "data_subsets" else "",
                share_significant=d.get("share_significant", np.nan),
            )
            if key == "data_subsets":
                row["draws"] = int(d.get("usable", draws[key]))
            rows.append(row)
    table = pd.DataFrame(rows, columns=REFUTATION_COLUMNS)
    table["note"] = pd.Series([row["note"] for row in rows], index=table.index, dtype=object)  # keeps i18n.Message
    table["passed"] = table["passed"].astype("boolean")
    return table
