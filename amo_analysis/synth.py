"""Synthetic IT-project portfolios with documented, planted effects (never real projects).

`make_portfolio` draws a portfolio whose true effects are known, for the bundled sample, for tests
of the statistics and for scale benchmarks (fully vectorised: 10^6 projects in a few seconds).
`write_portfolio_csv` writes it the way a French (or English) Excel export looks, and
`write_bundled_samples` regenerates `data/sample_portfolio.csv` and `data/sample_portfolio_24.csv`.

Data-generating process (one row = one project; all draws from `numpy.random.default_rng(seed)`)
-------------------------------------------------------------------------------------------------
Notation: ``lb = ln(budget_planned / 250 000)`` (log budget, centred), ``cx = complexity − 3``,
``a`` = 1 with AMO, 0 without, ``org`` / ``type`` = organisation / project-type categories.

Covariates (pre-treatment)
  * organisations (clusters): ``n_organisations``, unequal sizes, each with one sector, a maturity
    ``m`` in [−1.5, 1.5] and its own random intercepts on cost drift, slip and adoption;
  * project_type: ERP, CRM, Custom development, Infrastructure, Data/BI, Web portal;
  * budget_planned: log-normal, median about 250 000 EUR (ERP larger, web portals smaller), clipped
    to 20 000–10 000 000 EUR and rounded to 1 000 EUR;
  * complexity 1–5 = round(3 + 0.9·lb + N(0, 0.7)), so it increases with budget;
  * duration_planned_days: about 300 days at the median budget, increasing with budget, 90–900 days;
  * team_size: about 6 people at the median budget, increasing with budget;
  * start_date: uniform over four years from 1 January ``start_year`` for finished projects, over the
    18 months after that for ongoing ones; golive_planned = start_date + duration_planned_days.

Treatment (confounded when ``effects.confounding`` > 0)
  ``logit P(amo) = −0.35 + k·[(lb + 0.5·cx) + type_shift + org_shift]`` with ``k = effects.confounding``
  (0 = AMO assigned at random with P = 0.41). ERP/CRM and low-maturity organisations get AMO more often.

Mediators (post-treatment, so potential versions under a = 0 and a = 1 share the same uniforms)
  * framing_qNN answered with probability ``base_q + 0.10·m + δ·a`` (δ = amo_framing_answer_prob);
  * pitfall k observed with probability ``base_k·(1 + 0.12·cx − 0.10·m − r·a)``
    (r = amo_pitfall_reduction; base rates: scope_creep 0.55, poor_requirements 0.30, no_sponsor 0.25,
    integrator_lockin 0.30, late_change_mgmt 0.35).
  Both probabilities are linear in (cx, org, a) on the probability scale, so the AMO-induced change
  in their expectation is the same for every project.

Outcomes (potential outcomes under a = 0 and a = 1 with the SAME noise draws)
  ``ln(cost/budget) = μ + org + type + 0.10·lb + 0.05·cx + β·a + φ·F + Σ π_k·P_k + ε + J``
  ``ln(duration_actual/duration_planned)`` likewise (its ε correlated 0.6 with the cost ε, plus 0.5·J)
  ``logit(adoption_m3)`` likewise (minus 0.15·lb and 0.15·cx, minus 0.3 when J > 0)
  with F = number of framing questions answered, P_k = pitfall indicators, ε ~ N(0, 0.15) on cost
  (0.12 on duration, 0.6 on the adoption logit), and J a rare overrun jump (fat tail): with probability
  ``0.06 + 0.01·cx`` a jump of 0.55 + Exponential(0.35) (capped at 2.3) on the log cost ratio, i.e.
  +100 % to +400 % drift; J does not depend on AMO. The direct coefficient β is set so that the
  TOTAL effect of AMO (direct + through framing and pitfalls) equals the planted value:
  ``β = amo_log_cost − φ·10·δ − Σ π_k·(−r·base_k)`` (see `PlantedEffects.direct` and `.mediated`).

Status: ongoing with probability ``share_unfinished`` (nothing observed after the start), else
cancelled with probability ``share_cancelled·(1 + 0.2·cx)/(1 − share_unfinished)`` (only a cost is
known: the spent share 30–95 % of what the project would have cost; no go-live, no adoption), else
completed. Status depends on complexity only, never on AMO, the mediators or the outcome noise.

What an estimator targets
  Every covariate enters LINEARLY — ``ln(budget_planned)``, ``complexity`` as a number,
  ``project_type`` and ``organisation`` as categories — in the propensity logit and in the expected
  outcomes, and the AMO effect on ln cost ratio, ln duration ratio and adoption logit is the same
  for every project in expectation. Hence a correctly specified OLS of those outcomes on amo plus
  (log budget_planned, complexity, project_type, organisation), a logistic-propensity IPW and AIPW
  with those covariates are unbiased for the planted TOTAL effects. Adjusting also for framing
  answers or pitfalls (mediators) removes the part of the AMO effect that flows through them and
  targets the direct effect instead. On the fraction scales (budget_drift, schedule_slip,
  adoption_m3) effects vary with the covariates, so only IPW/AIPW are unbiased there.

``df.attrs["true_effects"]`` holds the exact sample averages of ``Y(1) − Y(0)`` over the projects
whose outcome is observed (cost-based outcomes: completed and cancelled; duration and adoption:
completed), as ``ate`` (all those projects) and ``att`` (those with AMO); the cost-based outcomes also
give ``ate_completed``/``att_completed``. ``df.attrs["planted_effects"]`` is ``asdict(effects)`` and
``df.attrs["direct_effects"]`` the direct (unmediated) coefficients. cost_actual excludes the AMO fee
(amo_cost, 5–15 % of the budget).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from amo_analysis import paths
from amo_analysis.ingest import columns
from amo_analysis.errors import InputError

# ---- fixed shape of the data-generating process (documented in the module docstring) ----------
MEDIAN_BUDGET = 250_000.0
_LOG_BUDGET_SD = 0.9
_MIN_BUDGET, _MAX_BUDGET = 20_000.0, 10_000_000.0

PROJECT_TYPES = ("ERP", "CRM", "Custom development", "Infrastructure", "Data/BI", "Web portal")
_TYPE_PROB = np.array([0.15, 0.15, 0.25, 0.15, 0.15, 0.15])
_TYPE_LOG_BUDGET = np.array([0.7, 0.1, 0.0, 0.2, -0.2, -0.4])
_TYPE_PROPENSITY = np.array([0.6, 0.3, 0.0, -0.6, 0.0, -0.3])
_TYPE_LOG_COST = np.array([0.10, 0.04, 0.06, -0.04, 0.02, 0.0])
_TYPE_LOG_DURATION = np.array([0.08, 0.03, 0.06, -0.02, 0.02, 0.0])
_TYPE_ADOPTION = np.array([-0.4, -0.2, 0.0, 0.3, -0.1, 0.1])

ORGANISATIONS = (  # fictitious organisations and their sector
    ("Ville de Bellerive", "Public administration"),
    ("Hôpital Saint-Aurèle", "Healthcare"),
    ("Mutuelle Horizon", "Banking & insurance"),
    ("Groupe Valmont", "Manufacturing"),
    ("Enseigne Kerlan", "Retail"),
    ("Énergies du Causse", "Energy"),
    ("Université de Lorvel", "Education"),
    ("Transports Morvane", "Transport"),
)

FRAMING_BASE = (0.60, 0.50, 0.55, 0.45, 0.40, 0.50, 0.35, 0.45, 0.30, 0.25)
_FRAMING_MATURITY = 0.10
PITFALL_BASE = (0.55, 0.30, 0.25, 0.30, 0.35)  # order of columns.PITFALL_COLUMNS
_PITFALL_COMPLEXITY = 0.12
_PITFALL_MATURITY = 0.10
_MATURITY_BOUND = 1.5

_SD_LOG_COST, _SD_LOG_DURATION, _SD_ADOPTION = 0.15, 0.12, 0.6
_JUMP_SHARE, _JUMP_PER_COMPLEXITY = 0.06, 0.01
_JUMP_MIN, _JUMP_SCALE, _JUMP_MAX = 0.55, 0.35, 2.3

# French labels written by write_portfolio_csv(style="fr") (the schema reads the French statuses).
FRENCH_LABELS: dict[str, dict[str, str]] = {
    "status": {"completed": "terminé", "cancelled": "annulé", "ongoing": "en cours"},
    "project_type": {
        "ERP": "ERP",
        "CRM": "CRM",
        "Custom development": "Développement spécifique",
        "Infrastructure": "Infrastructure",
        "Data/BI": "Data/BI",
        "Web portal": "Portail web",
    },
    "sector": {
        "Public administration": "Administration publique",
        "Healthcare": "Santé",
        "Banking & insurance": "Banque-assurance",
        "Manufacturing": "Industrie",
        "Retail": "Distribution",
        "Energy": "Énergie",
        "Education": "Enseignement",
        "Transport": "Transport",
    },
}

# Seeds of the bundled samples (chosen so the 120-project sample shows the typical picture: AMO
# projects bigger, naive difference unfavourable, covariate-adjusted effect favourable).
SAMPLE_SEED = 37
SAMPLE_24_SEED = 7


@dataclass(frozen=True)
class PlantedEffects:
    """Effects built into the generator, on the scale where they are additive.

    The three ``amo_*`` values are TOTAL effects of AMO in expectation (direct + through framing and
    pitfalls): ln(cost_actual/budget_planned), ln(duration_actual/duration_planned) and
    logit(adoption_m3). ``exp(−0.15) − 1`` ≈ −14 % final cost.
    Framing effects are per question answered; pitfall effects are tuples in the order of
    ``columns.PITFALL_COLUMNS`` (scope_creep, poor_requirements, no_sponsor, integrator_lockin,
    late_change_mgmt). ``amo_framing_answer_prob``: absolute rise of each question's probability of
    being answered with AMO; ``amo_pitfall_reduction``: AMO lowers each pitfall's probability by this
    fraction of its base rate. Set both to 0 for no mediation (then direct = total).
    ``confounding``: 0 = AMO assigned at random; 1 = bigger/more complex projects (and ERP/CRM,
    low-maturity organisations) much more likely to get AMO, and they drift more anyway.
    """

    amo_log_cost: float = -0.15
    amo_log_duration: float = -0.12
    amo_adoption_logit: float = 0.8
    framing_log_cost_per_question: float = -0.03
    framing_log_duration_per_question: float = -0.02
    framing_adoption_logit_per_question: float = 0.08
    pitfall_log_cost: tuple[float, ...] = (0.22, 0.10, 0.05, 0.12, 0.0)
    pitfall_log_duration: tuple[float, ...] = (0.12, 0.06, 0.08, 0.04, 0.05)
    pitfall_adoption_logit: tuple[float, ...] = (0.0, -1.0, -0.5, 0.0, -0.7)
    amo_framing_answer_prob: float = 0.12
    amo_pitfall_reduction: float = 0.25
    confounding: float = 1.0

    def __post_init__(self) -> None:
        for name in ("pitfall_log_cost", "pitfall_log_duration", "pitfall_adoption_logit"):
            value = tuple(float(v) for v in getattr(self, name))
            if len(value) != len(columns.PITFALL_COLUMNS):
                raise ValueError(
                    f"PlantedEffects.{name} needs {len(columns.PITFALL_COLUMNS)} values "
                    f"(one per pitfall: {', '.join(columns.PITFALL_COLUMNS)})."
                )
            object.__setattr__(self, name, value)
        spread = _FRAMING_MATURITY * _MATURITY_BOUND
        d = self.amo_framing_answer_prob
        if min(FRAMING_BASE) - spread + min(d, 0) < 0 or max(FRAMING_BASE) + spread + max(d, 0) > 1:
            raise ValueError(f"amo_framing_answer_prob={d} would push an answer probability outside [0, 1].")
        r = self.amo_pitfall_reduction
        lo = 1 - 2 * _PITFALL_COMPLEXITY - _PITFALL_MATURITY * _MATURITY_BOUND - max(r, 0)
        hi = 1 + 2 * _PITFALL_COMPLEXITY + _PITFALL_MATURITY * _MATURITY_BOUND - min(r, 0)
        if lo < 0 or max(PITFALL_BASE) * hi > 1:
            raise ValueError(f"amo_pitfall_reduction={r} would push a pitfall probability outside [0, 1].")
        if self.confounding < 0:
            raise ValueError("confounding must be >= 0.")

    def _parts(self, outcome: str) -> tuple[float, float, tuple[float, ...]]:
        table = {
            "log_cost": (self.amo_log_cost, self.framing_log_cost_per_question, self.pitfall_log_cost),
            "log_duration": (self.amo_log_duration, self.framing_log_duration_per_question, self.pitfall_log_duration),
            "adoption_logit": (
                self.amo_adoption_logit,
                self.framing_adoption_logit_per_question,
                self.pitfall_adoption_logit,
            ),
        }
        if outcome not in table:
            raise ValueError(f"outcome must be one of {sorted(table)}, not {outcome!r}.")
        return table[outcome]

    def mediated(self, outcome: str) -> float:
        """Expected part of the AMO total effect that flows through framing and pitfalls."""
        _, phi, pis = self._parts(outcome)
        through_framing = phi * len(FRAMING_BASE) * self.amo_framing_answer_prob
        through_pitfalls = sum(p * (-self.amo_pitfall_reduction * b) for p, b in zip(pis, PITFALL_BASE))
        return float(through_framing + through_pitfalls)

    def direct(self, outcome: str) -> float:
        """Direct AMO coefficient (holding framing answers and pitfalls fixed) = total − mediated."""
        return float(self._parts(outcome)[0] - self.mediated(outcome))


def _check_parameters(n, n_organisations, share_unfinished, share_cancelled) -> None:
    if int(n) != n or n < 1:
        raise InputError(f"The number of projects must be a whole number of at least 1, not {n!r}.")
    if int(n_organisations) != n_organisations or n_organisations < 1:
        raise InputError(f"The number of organisations must be at least 1, not {n_organisations!r}.")
    for name, value in (("share_unfinished", share_unfinished), ("share_cancelled", share_cancelled)):
        if not 0 <= value < 1:
            raise InputError(f"{name} must be a fraction in [0, 1), not {value!r}.")
    if share_unfinished + 1.4 * share_cancelled >= 1:
        raise InputError(
            "share_unfinished + 1.4 × share_cancelled must stay below 1 "
            f"(got {share_unfinished} and {share_cancelled})."
        )


def _organisation_names(k: int) -> tuple[np.ndarray, np.ndarray]:
    names, sectors = [], []
    for i in range(k):
        if i < len(ORGANISATIONS):
            name, sector = ORGANISATIONS[i]
        else:
            name, sector = f"Organisation {i + 1:02d}", ORGANISATIONS[i % len(ORGANISATIONS)][1]
        names.append(name)
        sectors.append(sector)
    return np.array(names, dtype=object), np.array(sectors, dtype=object)


def _project_ids(n: int) -> pd.Series:
    width = max(4, len(str(n)))
    return "PRJ-" + pd.Series(np.arange(1, n + 1)).astype("str").str.zfill(width)


def _mean_over(values: np.ndarray, mask: np.ndarray) -> float:
    return float(values[mask].mean()) if mask.any() else float("nan")


def make_portfolio(
    n: int = 120,
    seed: int = 0,
    *,
    effects: PlantedEffects = PlantedEffects(),
    start_year: int = 2018,
    n_organisations: int = 5,
    share_unfinished: float = 0.05,
    share_cancelled: float = 0.04,
) -> pd.DataFrame:
    """Draw a synthetic portfolio of `n` projects (see the module docstring for the process).

    Columns are the canonical input columns of `columns.py` (no derived column); money in EUR,
    durations in days, adoption as a fraction. Same (n, seed, options) → identical frame.
    `df.attrs` holds "true_effects", "planted_effects", "direct_effects" and "generator".
    """
    _check_parameters(n, n_organisations, share_unfinished, share_cancelled)
    n = int(n)
    k_org = int(n_organisations)
    rng = np.random.default_rng(seed)
    conf = float(effects.confounding)

    # ---- organisations (clusters) ---------------------------------------------------------------
    org_names, org_sectors = _organisation_names(k_org)
    maturity = np.clip(rng.normal(0, 1, k_org), -_MATURITY_BOUND, _MATURITY_BOUND)
    org_cost = -0.04 * maturity + rng.normal(0, 0.05, k_org)
    org_duration = -0.03 * maturity + rng.normal(0, 0.04, k_org)
    org_adoption = 0.2 * maturity + rng.normal(0, 0.2, k_org)
    org_propensity = -0.4 * maturity + rng.normal(0, 0.3, k_org)
    org_weights = rng.dirichlet(np.full(k_org, 4.0))

    # ---- projects: covariates -------------------------------------------------------------------
    org = rng.choice(k_org, size=n, p=org_weights)
    ptype = rng.choice(len(PROJECT_TYPES), size=n, p=_TYPE_PROB)
    log_budget = np.log(MEDIAN_BUDGET) + _TYPE_LOG_BUDGET[ptype] - 0.1 + rng.normal(0, _LOG_BUDGET_SD, n)
    budget = np.round(np.exp(np.clip(log_budget, np.log(_MIN_BUDGET), np.log(_MAX_BUDGET))), -3)
    lb = np.log(budget / MEDIAN_BUDGET)
    complexity = np.clip(np.round(3 + 0.9 * lb + rng.normal(0, 0.7, n)), 1, 5).astype(np.int64)
    cx = complexity - 3.0
    duration_planned = np.round(np.clip(np.exp(np.log(300) + 0.35 * lb + 0.08 * cx + rng.normal(0, 0.2, n)), 90, 900))
    team_size = np.maximum(2.0, np.round(np.exp(np.log(6) + 0.55 * lb + rng.normal(0, 0.3, n))))
    m = maturity[org]

    # ---- treatment --------------------------------------------------------------------------------
    index = (lb + 0.5 * cx) + _TYPE_PROPENSITY[ptype] + org_propensity[org]
    amo = rng.random(n) < expit(-0.35 + conf * index)
    amo_cost = np.where(amo, np.round(budget * rng.uniform(0.05, 0.15, n), -2), np.nan)

    # ---- mediators: one set of uniforms, revealed under a = 0 and a = 1 ----------------------------
    u_framing = rng.random((n, len(FRAMING_BASE)))
    u_pitfall = rng.random((n, len(PITFALL_BASE)))
    p_frame0 = np.asarray(FRAMING_BASE)[None, :] + _FRAMING_MATURITY * m[:, None]
    pit_factor0 = 1 + _PITFALL_COMPLEXITY * cx - _PITFALL_MATURITY * m
    framing = {a: u_framing < p_frame0 + effects.amo_framing_answer_prob * a for a in (0, 1)}
    pitfalls = {
        a: u_pitfall < np.asarray(PITFALL_BASE)[None, :] * (pit_factor0 - effects.amo_pitfall_reduction * a)[:, None]
        for a in (0, 1)
    }

    # ---- shared outcome noise (identical under both potential outcomes) ----------------------------
    e_cost = rng.normal(0, _SD_LOG_COST, n)
    e_duration = _SD_LOG_DURATION * (0.6 * e_cost / _SD_LOG_COST + 0.8 * rng.normal(0, 1, n))
    e_adoption = rng.normal(0, _SD_ADOPTION, n)
    jumped = rng.random(n) < _JUMP_SHARE + _JUMP_PER_COMPLEXITY * cx
    jump = np.where(jumped, np.minimum(_JUMP_MIN + rng.exponential(_JUMP_SCALE, n), _JUMP_MAX), 0.0)
    spent_share = rng.uniform(0.30, 0.95, n)
    u_status = rng.random(n)
    start_offset = rng.random(n)

    n_answered = {a: framing[a].sum(axis=1, dtype=np.float64) for a in (0, 1)}
    pitfall_float = {a: pitfalls[a].astype(np.float64) for a in (0, 1)}

    def linear(outcome: str, mu: float, org_eff, type_eff, b_lb: float, b_cx: float):
        _, phi, pis = effects._parts(outcome)
        base = mu + org_eff[org] + type_eff[ptype] + b_lb * lb + b_cx * cx
        direct = effects.direct(outcome)
        return {a: base + direct * a + phi * n_answered[a] + pitfall_float[a] @ np.asarray(pis) for a in (0, 1)}

    y_cost = linear("log_cost", 0.09, org_cost, _TYPE_LOG_COST, 0.10, 0.05)
    y_duration = linear("log_duration", 0.08, org_duration, _TYPE_LOG_DURATION, 0.06, 0.04)
    y_adopt = linear("adoption_logit", 0.5, org_adoption, _TYPE_ADOPTION, -0.15, -0.15)

    # ---- status (depends on complexity only) ------------------------------------------------------
    ongoing = u_status < share_unfinished
    cancelled = ~ongoing & (u_status < share_unfinished + share_cancelled * (1 + 0.2 * cx))
    completed = ~ongoing & ~cancelled
    status_code = np.where(
        ongoing,
        columns.STATUSES.index("ongoing"),
        np.where(cancelled, columns.STATUSES.index("cancelled"), columns.STATUSES.index("completed")),
    )

    # ---- potential observed-scale outcomes, rounded as in an export --------------------------------
    cost_pot, dur_pot, adopt_pot = {}, {}, {}
    for a in (0, 1):
        full_cost = budget * np.exp(y_cost[a] + e_cost + jump)
        cost_pot[a] = np.round(np.where(cancelled, full_cost * spent_share, full_cost))
        dur_pot[a] = np.maximum(1.0, np.round(duration_planned * np.exp(y_duration[a] + e_duration + 0.5 * jump)))
        adopt_pot[a] = np.clip(np.round(expit(y_adopt[a] + e_adoption - 0.3 * jumped), 3), 0.001, 0.999)

    cost_actual = np.where(ongoing, np.nan, np.where(amo, cost_pot[1], cost_pot[0]))
    duration_actual = np.where(completed, np.where(amo, dur_pot[1], dur_pot[0]), np.nan)
    adoption = np.where(completed, np.where(amo, adopt_pot[1], adopt_pot[0]), np.nan)
    framing_obs = np.where(amo[:, None], framing[1], framing[0])
    pitfall_obs = np.where(amo[:, None], pitfalls[1], pitfalls[0])

    # ---- dates --------------------------------------------------------------------------------------
    origin = np.datetime64(f"{int(start_year):04d}-01-01", "D")
    offset_days = np.where(ongoing, 4 * 365 + np.floor(start_offset * 548), np.floor(start_offset * 4 * 365))
    start = origin + offset_days.astype("timedelta64[D]")
    golive_planned = start + duration_planned.astype(np.int64).astype("timedelta64[D]")
    golive_actual = np.where(
        completed,
        start + np.nan_to_num(duration_actual).astype(np.int64).astype("timedelta64[D]"),
        np.datetime64("NaT"),
    )

    # ---- frame --------------------------------------------------------------------------------------
    data = {
        "project_id": _project_ids(n),
        "amo": amo,
        "budget_planned": budget,
        "cost_actual": cost_actual,
        "duration_planned_days": duration_planned,
        "duration_actual_days": duration_actual,
        "start_date": start.astype("datetime64[us]"),
        "golive_planned": golive_planned.astype("datetime64[us]"),
        "golive_actual": golive_actual.astype("datetime64[us]"),
        "adoption_m3": adoption,
        "amo_cost": amo_cost,
        "organisation": pd.Categorical.from_codes(org, categories=list(org_names)),
        "sector": pd.Categorical.from_codes(org, categories=list(org_sectors))
        if len(set(org_sectors)) == len(org_sectors)
        else pd.Categorical(org_sectors[org], categories=list(dict.fromkeys(org_sectors))),
        "project_type": pd.Categorical.from_codes(ptype, categories=list(PROJECT_TYPES)),
        "complexity": complexity,
        "team_size": team_size,
        "status": pd.Categorical.from_codes(status_code, categories=list(columns.STATUSES)),
    }
    for j, name in enumerate(columns.FRAMING_COLUMNS):
        data[name] = framing_obs[:, j]
    for j, name in enumerate(columns.PITFALL_COLUMNS):
        data[name] = pitfall_obs[:, j]
    df = pd.DataFrame(data)

    # ---- true sample effects over the projects whose outcome is observed ---------------------------
    cost_rows = ~ongoing
    treated = amo

    def summary(diff, rows, label, planted=None, completed_too=False):
        out = {
            "ate": _mean_over(diff, rows),
            "att": _mean_over(diff, rows & treated),
            "n": int(rows.sum()),
            "n_treated": int((rows & treated).sum()),
            "rows": label,
        }
        if planted is not None:
            out["planted"] = float(planted)
        if completed_too:
            out["ate_completed"] = _mean_over(diff, completed)
            out["att_completed"] = _mean_over(diff, completed & treated)
        return out

    d_log_cost = np.log(cost_pot[1] / budget) - np.log(cost_pot[0] / budget)
    d_drift = (cost_pot[1] - cost_pot[0]) / budget
    d_log_dur = np.log(dur_pot[1] / duration_planned) - np.log(dur_pot[0] / duration_planned)
    d_slip = (dur_pot[1] - dur_pot[0]) / duration_planned
    d_adopt = adopt_pot[1] - adopt_pot[0]
    d_adopt_logit = logit(adopt_pot[1]) - logit(adopt_pot[0])
    cost_label = "completed and cancelled projects (cost_actual known)"
    done_label = "completed projects"
    true = {
        "log_cost_ratio": summary(d_log_cost, cost_rows, cost_label, effects.amo_log_cost, True),
        "budget_drift": summary(d_drift, cost_rows, cost_label, None, True),
        "log_duration_ratio": summary(d_log_dur, completed, done_label, effects.amo_log_duration),
        "schedule_slip": summary(d_slip, completed, done_label),
        "adoption_m3": summary(d_adopt, completed, done_label),
        "adoption_logit": summary(d_adopt_logit, completed, done_label, effects.amo_adoption_logit),
    }
    lc = true["log_cost_ratio"]
    true["cost_ratio_pct_change"] = {
        "ate": float(np.expm1(lc["ate"])),
        "att": float(np.expm1(lc["att"])),
        "planted": float(np.expm1(effects.amo_log_cost)),
        "rows": cost_label,
    }
    df.attrs["true_effects"] = true
    df.attrs["planted_effects"] = dataclasses.asdict(effects)
    df.attrs["direct_effects"] = {o: effects.direct(o) for o in ("log_cost", "log_duration", "adoption_logit")}
    df.attrs["generator"] = {
        "n": n,
        "seed": seed,
        "start_year": int(start_year),
        "n_organisations": k_org,
        "share_unfinished": float(share_unfinished),
        "share_cancelled": float(share_cancelled),
    }
    return df


# ---- CSV writing ---------------------------------------------------------------------------------
_STYLES = {
    "fr": {
        "header": "header_fr",
        "sep": ";",
        "decimal": ",",
        "date": "%d/%m/%Y",
        "yes": "oui",
        "no": "non",
        "encoding": "cp1252",
        "translate_values": True,
        "lineterminator": "\r\n",
    },
    "en": {
        "header": "header_en",
        "sep": ",",
        "decimal": ".",
        "date": "%Y-%m-%d",
        "yes": "yes",
        "no": "no",
        "encoding": "utf-8",
        "translate_values": False,
        "lineterminator": "\n",
    },
}


def _format_number(value, decimal: str) -> str:
    if value is None or pd.isna(value):
        return ""
    value = float(value)
    text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return text.replace(".", decimal)


def _format_column(s: pd.Series, name: str, style: dict, translate: bool) -> pd.Series:
    if pd.api.types.is_bool_dtype(s) or (s.dtype == object and s.dropna().map(type).eq(bool).all() and s.notna().any()):
        return s.map(lambda v: "" if v is None or pd.isna(v) else (style["yes"] if v else style["no"]))
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime(style["date"]).fillna("")
    if pd.api.types.is_numeric_dtype(s):
        return s.map(lambda v: _format_number(v, style["decimal"])).astype(object)
    labels = FRENCH_LABELS.get(name, {}) if translate else {}
    return s.astype(object).map(lambda v: "" if v is None or pd.isna(v) else labels.get(str(v), str(v)))


def write_portfolio_csv(df: pd.DataFrame, path: str | os.PathLike, *, style: str = "fr") -> None:
    """Write a portfolio as a spreadsheet export would.

    style "fr" (Excel, French locale): French headers (columns.py header_fr), ';' delimiter, decimal
    comma, no thousands separator, dates dd/mm/yyyy, booleans oui/non, statuses terminé/annulé/en
    cours and French sector/type labels (`FRENCH_LABELS`), cp1252 encoding, CRLF line endings.
    style "en": English headers, ',', '.', ISO dates, yes/no, canonical labels, UTF-8, LF.
    Empty cells for missing values; columns not in the catalogue keep their name.
    """
    if style not in _STYLES:
        raise InputError(f"CSV style must be one of {', '.join(_STYLES)}, not {style!r}.")
    st = _STYLES[style]
    out = pd.DataFrame(index=range(len(df)))
    headers = []
    for name in df.columns:
        col = columns.BY_NAME.get(name)
        headers.append(getattr(col, st["header"]) if col is not None else str(name))
        out[len(headers) - 1] = _format_column(
            df[name].reset_index(drop=True), name, st, translate=st["translate_values"]
        ).to_numpy()
    out.columns = headers
    text = out.to_csv(sep=st["sep"], index=False, lineterminator=st["lineterminator"])
    Path(path).write_bytes(text.encode(st["encoding"]))


def write_bundled_samples(data_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """Regenerate data/sample_portfolio.csv (120 projects) and data/sample_portfolio_24.csv (24), style fr."""
    folder = Path(data_dir) if data_dir is not None else paths.DATA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    targets = {
        "sample_portfolio": (folder / paths.SAMPLE_PORTFOLIO.name, 120, SAMPLE_SEED),
        "sample_portfolio_24": (folder / paths.SAMPLE_PORTFOLIO_24.name, 24, SAMPLE_24_SEED),
    }
    for path, n, seed in targets.values():
        write_portfolio_csv(make_portfolio(n, seed), path, style="fr")
    return {key: value[0] for key, value in targets.items()}
