"""How the practice is assigned across organisations, and what that means for adjustment and inference.

A consultancy's clients engage it per organisation, so in pooled portfolios the practice is often
constant within each organisation. Organisation dummies then absorb it (nothing is left to estimate),
and projects of one organisation share shocks, so intervals that treat them as independent are far too
narrow. The rule, decided from the data and stated in the report (Abadie, Athey, Imbens & Wooldridge
2023, "When should you adjust standard errors for clustering?"):

* s = share of projects that sit in an organisation where the practice varies (both values present);
* **project-level** assignment (s ≥ `WITHIN_SHARE_FE`, 0.8): the practice varies within organisations,
  so organisation fixed effects stay among the covariates and keep the comparison within
  organisations; assignment is not clustered, so errors are not clustered (HC2, Bell–McCaffrey df);
  inference is about these organisations;
* **mixed** (`WITHIN_SHARE_CLUSTER` ≤ s < `WITHIN_SHARE_FE`, 0.5–0.8): fixed effects stay (the
  comparison is made within the organisations where the practice varies) and, since part of the
  assignment is per organisation, errors are clustered by organisation (CR2, Bell–McCaffrey df);
* **organisation-level** (s < 0.5, s = 0 when the practice is decided per organisation): organisation
  dummies cannot stay (they would absorb the practice) and are dropped, and errors are clustered by
  organisation (CR2, Bell–McCaffrey df: about as many degrees of freedom as organisations);
* with clustering, at least `MIN_ORGANISATIONS_PER_GROUP` (2) organisations must have projects with,
  and 2 without, the practice; otherwise no interval can be computed and the claims check says how
  many organisations would be needed (`organisations_needed`).

Without an `organisation` column, or with a single organisation, projects are treated as independent.
A `cluster` column chosen by the user is always honoured. Nothing here reads files or knows a language:
the reason is structured (`level`, counts) and worded by the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from amo_analysis.stats import power
from amo_analysis.errors import InputError
from amo_analysis.defaults import DEFAULTS

__all__ = [
    "AssignmentDesign",
    "assignment_design",
    "WITHIN_SHARE_FE",
    "WITHIN_SHARE_CLUSTER",
    "MIN_ORGANISATIONS_PER_GROUP",
    "NONE",
    "PROJECT",
    "MIXED",
    "ORGANISATION",
]

ORGANISATION_COLUMN = "organisation"
WITHIN_SHARE_FE = DEFAULTS.within_share_fe
WITHIN_SHARE_CLUSTER = DEFAULTS.within_share_cluster
MIN_ORGANISATIONS_PER_GROUP = DEFAULTS.min_organisations_per_group
NONE, PROJECT, MIXED, ORGANISATION = "none", "project", "mixed", "organisation"


@dataclass
class AssignmentDesign:
    """The adjustment and inference the effects use, and why.

    `level`: "none" (no organisations to consider), "project", "mixed" or "organisation" (module
    docstring). `covariates`: the covariates to adjust for (organisation dropped when it would absorb
    the practice). `cluster`: the column to cluster on, or None. `share_within`: share of projects
    (fraction) in organisations where the practice varies. `n_organisations`; `n_with` / `n_without`:
    organisations with at least one project with / without the practice. `enough`: whether the
    clustered comparison has at least `MIN_ORGANISATIONS_PER_GROUP` organisations on each side.
    `between_sd`: per outcome, the SD across organisations of the organisation-mean residual of the
    outcome on the covariates (its own units), used for `organisations_needed`.
    """

    level: str
    covariates: list[str]
    cluster: str | None
    share_within: float = float("nan")
    n_organisations: int = 0
    n_with: int = 0
    n_without: int = 0
    dropped_organisation: bool = False
    user_cluster: bool = False
    between_sd: dict = field(default_factory=dict)

    @property
    def clustered(self) -> bool:
        return self.cluster is not None

    @property
    def enough(self) -> bool:
        if not self.clustered or self.user_cluster:
            return True
        return min(self.n_with, self.n_without) >= MIN_ORGANISATIONS_PER_GROUP

    def organisations_needed(
        self, outcome: str, effect: float, alpha: float = 0.05, power_level: float = 0.8
    ) -> int | None:
        """Organisations (with + without, in today's proportion) for a two-sided test at `alpha` to
        detect `effect` (outcome units) with probability `power_level`, treating each organisation's
        mean as one observation whose spread is `between_sd[outcome]` (organisations of today's
        size). None when that spread is unknown."""
        sd = self.between_sd.get(outcome)
        if not sd or not math.isfinite(sd) or sd <= 0 or not effect:
            return None
        ratio = self.n_without / self.n_with if self.n_with else 1.0
        try:
            return power.projects_needed(effect, sd, ratio=ratio, alpha=alpha, power=power_level)
        except InputError:
            return None


OUTCOMES_FOR_SD = ("log_cost_ratio", "budget_drift", "log_duration_ratio", "schedule_slip", "adoption_m3")


def _between_sd(data: pd.DataFrame, outcome: str, covariates: list[str]) -> float:
    """SD across organisations of the mean residual of `outcome` on the numeric `covariates`."""
    numeric = [
        c for c in covariates if c in data and c != ORGANISATION_COLUMN and pd.api.types.is_numeric_dtype(data[c])
    ]
    frame = data[[outcome, ORGANISATION_COLUMN] + numeric].dropna()
    if frame[ORGANISATION_COLUMN].nunique() < 3:
        return float("nan")
    y = frame[outcome].to_numpy(dtype=float)
    X = np.column_stack([np.ones(len(frame))] + [frame[c].to_numpy(dtype=float) for c in numeric])
    resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    means = pd.Series(resid, index=frame.index).groupby(frame[ORGANISATION_COLUMN].to_numpy()).mean()
    return float(means.std(ddof=1))


def assignment_design(
    data: pd.DataFrame, covariates: list[str], cluster: str | None = None, treatment: str = "amo"
) -> AssignmentDesign:
    """Decide, from how `treatment` is spread over organisations, the covariates and clustering the
    effects should use (module docstring). `cluster` given by the user is kept as it is."""
    covariates = list(covariates)
    if ORGANISATION_COLUMN not in data or treatment not in data:
        return AssignmentDesign(NONE, covariates, cluster, user_cluster=cluster is not None)
    frame = data[[ORGANISATION_COLUMN, treatment]].dropna()
    practice = frame[treatment].astype(bool)
    per_org = practice.groupby(frame[ORGANISATION_COLUMN].to_numpy())
    n_orgs = int(per_org.ngroups)
    if n_orgs < 2:
        return AssignmentDesign(NONE, covariates, cluster, n_organisations=n_orgs, user_cluster=cluster is not None)
    any_with, all_with = per_org.any(), per_org.all()
    varies = any_with & ~all_with
    sizes = per_org.size()
    share_within = float(sizes[varies].sum() / sizes.sum())
    n_with, n_without = int(any_with.sum()), int((~all_with).sum())
    if share_within >= WITHIN_SHARE_FE:
        level, keep_fe, auto_cluster = PROJECT, True, None
    elif share_within >= WITHIN_SHARE_CLUSTER:
        level, keep_fe, auto_cluster = MIXED, True, ORGANISATION_COLUMN
    else:
        level, keep_fe, auto_cluster = ORGANISATION, False, ORGANISATION_COLUMN
    dropped = not keep_fe and ORGANISATION_COLUMN in covariates
    used = [c for c in covariates if keep_fe or c != ORGANISATION_COLUMN]
    between = {o: _between_sd(data, o, used) for o in OUTCOMES_FOR_SD if o in data}
    return AssignmentDesign(
        level,
        used,
        cluster if cluster is not None else auto_cluster,
        share_within=share_within,
        n_organisations=n_orgs,
        n_with=n_with,
        n_without=n_without,
        dropped_organisation=dropped,
        user_cluster=cluster is not None,
        between_sd=between,
    )
