"""Does the practice pay for itself? A Monte Carlo ROI for one project.

Model (all money in the run's cost unit, "drift" in money = final cost − budget, the fee excluded;
shares and drifts as fractions, 0.10 = 10 %; "pp" = percentage points, a difference of two fractions):
- fit, on the finished projects of the portfolio, OLS of ln(cost_actual / budget_planned) on the
  practice and the covariates (statsmodels); refit it on `n_bootstrap` resamples of the projects
  (seeded) so the uncertainty of the practice's effect and of the level travels into the result;
- under refit b (level μ_b for the new project, effect β_b, residuals e_b,1…e_b,n) the project costs
      cost_without = budget · exp(μ_b + e),   cost_with = budget · exp(μ_b + β_b + e)
  with e one of that refit's residuals, each equally likely (the same residual on both sides, so the
  difference reflects the effect β_b, not two independent strokes of luck); total_with = cost_with + fee.

Two different uncertainties, kept apart:
- *estimation* (which projects happen to be in the portfolio): every reported expectation is computed
  EXACTLY under each refit, as the mean over all n residuals of that refit (Duan's smearing:
  E_b[cost_without] = budget · exp(μ_b) · mean(exp(e_b,i))), never from a handful of random draws.
  Its 95 % interval is the 2.5–97.5 % percentile interval of these n_bootstrap exact values: it holds
  no Monte Carlo noise and does not depend on `n_draws` (the old per-draw averages, ≈ 50 draws per
  refit at 10 000 draws, widened the interval of the cost without the practice by up to ~40 %);
- *outcome spread* (how one project's cost varies around its expectation): the `n_draws` Monte Carlo
  draws (a refit and one of its residuals each, seeded) that the figures show.
Reported: expected total cost with and without, expected saving (total_without − total_with),
drift prevented per unit of fee ((cost_without − cost_with) / fee), the break-even fee (expected drift
prevented), each with its interval; and the probability that the practice pays for itself, P(saving > 0)
over the refits and their residuals (it already integrates the effect's uncertainty, so it has no
interval of its own). With 200 refits the interval's end points carry a resampling error of their own
(a few percent of its width, the same at any `n_draws`); raise `n_bootstrap` to shrink it.

The value of a higher adoption, an assumption the user gives, can be added (`with_adoption_value`).
The published example ("75 000 € project: 95 000 € without AMO, 82 500 € with; 12 500 € saved;
1 € of AMO prevents 1.7 € of drift") is decoded and checked against the portfolio in
`analyses.roi_example`; the tables, texts and records notebook 05 shows are in `report.show_roi`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS

from amo_analysis.analyses import practice_effects
from amo_analysis.stats import scale
from amo_analysis.ingest.model_columns import with_model_columns
from amo_analysis.errors import InputError
from amo_analysis.findings import unavailable_on
from amo_analysis.i18n import Message, format_number, join_sentences, localise, translate
from amo_analysis.defaults import DEFAULTS
from amo_analysis.results_display import ResultDisplay, number, short

DEFAULT_BUDGET = DEFAULTS.roi_budget_eur
DEFAULT_FEE_SHARE = DEFAULTS.roi_fee_share
MIN_PROJECTS = DEFAULTS.roi_min_projects


@dataclass(repr=False)
class RoiResult(ResultDisplay):
    """Exact expectations per bootstrap refit, Monte Carlo draws for the distributions, and summaries.

    Reads like a statsmodels result: a short repr, an HTML table in JupyterLab, `summary()` (text) and
    `summary_frame(lang)` (the table of the reported quantities, see there).

    Money in the cost unit, shares as fractions. `expected_without`, `expected_with` (fee excluded)
    and `p_pays` have one value per refit, computed exactly over that refit's residuals: they carry
    the estimation uncertainty and no Monte Carlo noise. `cost_without`, `cost_with` and `replicate`
    have one value per draw (`replicate` = the refit the draw used): they show one project's spread.
    """

    budget: float
    fee: float
    fee_source: str
    expected_without: np.ndarray
    expected_with: np.ndarray
    p_pays: np.ndarray
    cost_without: np.ndarray
    cost_with: np.ndarray
    replicate: np.ndarray
    n_projects: int
    covariates: list[str]
    n_bootstrap: int
    seed: int
    notes: list[str] = field(default_factory=list)

    @property
    def total_with(self) -> np.ndarray:
        """Final cost with the practice, fee included, each draw."""
        return self.cost_with + self.fee

    @property
    def saving(self) -> np.ndarray:
        """total_without − total_with (fee included), each draw."""
        return self.cost_without - self.total_with

    @property
    def prevented(self) -> np.ndarray:
        """Drift prevented, cost_without − cost_with (fee excluded), each draw."""
        return self.cost_without - self.cost_with

    @property
    def prevented_per_euro(self) -> np.ndarray:
        """Drift prevented per unit of fee, (cost_without − cost_with) / fee, each draw."""
        return self.prevented / self.fee

    def expectations(self) -> pd.DataFrame:
        """One row per refit: the project's exact expected quantities under that refit (money in the
        cost unit; `prevented_per_euro` and `p_pays_for_itself` as ratios / fractions)."""
        prevented = self.expected_without - self.expected_with
        return pd.DataFrame(
            {
                "total_without": self.expected_without,
                "total_with": self.expected_with + self.fee,
                "saving": prevented - self.fee,
                "prevented_per_euro": prevented / self.fee,
                "p_pays_for_itself": self.p_pays,
                "break_even_fee": prevented,
            }
        )

    def _display_title(self) -> str:
        return "ROI simulation of one project"

    def _display_rows(self) -> list[tuple[str, str]]:
        table = self.summary_frame().set_index("name")

        def cell(name: str) -> str:
            row = table.loc[name]
            fmt = (lambda v: f"{v:,.0f}") if row["unit"] == "cost" else number
            interval = (
                ""
                if row["ci_low"] is None or pd.isna(row["ci_low"])
                else (f" [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]")
            )
            return f"{fmt(row['value'])}{interval}"

        return [
            ("Budget", f"{self.budget:,.0f} (cost unit)"),
            ("Fee", f"{self.fee:,.0f} ({self.fee_source})"),
            ("Saving", cell("saving") + " (cost unit, fee included; 95 % interval over refits)"),
            ("P(pays for itself)", number(table.loc["p_pays_for_itself", "value"], 3)),
            ("Prevented per unit of fee", cell("prevented_per_euro")),
            ("Total without", cell("total_without")),
            ("Total with", cell("total_with") + " (fee included)"),
            ("Break-even fee", cell("break_even_fee")),
            (
                "Model",
                "log_cost_ratio ~ amo" + "".join(f" + {c}" for c in self.covariates) + " (OLS; pairs-bootstrap refits)",
            ),
            ("Projects", str(self.n_projects)),
            ("Refits", f"{self.n_bootstrap} bootstrap refits, {len(self.cost_without)} draws, seed {self.seed}"),
        ]

    def _repr_rows(self) -> list[tuple[str, str]]:
        rows = dict(self._display_rows())
        return [(k, short(rows[k], 80)) for k in ("Budget", "Saving", "P(pays for itself)", "Projects")]

    def _display_notes(self, lang: str = "en") -> list[str]:
        return [localise(note, lang) for note in self.notes]

    def summary_frame(self, lang: str = "en") -> pd.DataFrame:
        """One row per reported quantity: value = mean over the refits of the exact expectation,
        ci_low/ci_high = its 95 % percentile interval over the refits (estimation uncertainty only:
        independent of `n_draws`; none for the probability, which already integrates it)."""
        per_fit = self.expectations()
        units = {
            "total_without": "cost",
            "total_with": "cost",
            "saving": "cost",
            "prevented_per_euro": "ratio",
            "p_pays_for_itself": "share",
            "break_even_fee": "cost",
        }
        rows = []
        for name, unit in units.items():
            values = per_fit[name].to_numpy()
            low = high = None
            if name != "p_pays_for_itself":  # an interval over fits of a probability would be 0…1
                low, high = (float(v) for v in np.quantile(values, [0.025, 0.975]))
            rows.append(
                {
                    "name": name,
                    "value": float(values.mean()),
                    "ci_low": low,
                    "ci_high": high,
                    "unit": unit,
                    "label": translate(f"roi_{name}", lang),
                }
            )
        table = pd.DataFrame(rows)
        table["n"] = self.n_projects
        return table


def portfolio_fee_share(data: pd.DataFrame) -> tuple[float, str]:
    """The median fee share amo_cost / budget_planned of projects with the practice, else 10 %."""
    if "amo_cost" in data:
        shares = (data["amo_cost"] / data["budget_planned"])[data["amo"].astype(bool)].dropna()
        shares = shares[shares > 0]
        if len(shares):
            return float(shares.median()), Message("roi_fee_source_median", n=len(shares))
    return DEFAULT_FEE_SHARE, Message("roi_fee_source_default")


def _design(frame: pd.DataFrame, covariates: list[str], columns: pd.Index | None = None) -> pd.DataFrame:
    x = (
        pd.get_dummies(frame[covariates], drop_first=False, dtype=float)
        if covariates
        else pd.DataFrame(index=frame.index)
    )
    if columns is not None:
        x = x.reindex(columns=columns, fill_value=0.0)
    return x


#: the covariates of the ROI model by default (notebook 05); notebook 02 adjusts for more (`default_covariates`)
ROI_COVARIATES: tuple[str, ...] = ("log_budget", "complexity")


def roi_covariates(data: pd.DataFrame, covariates: list[str] | None = None, project: dict | None = None) -> list[str]:
    """The covariates `simulate_roi` adjusts for: `covariates`, by default `ROI_COVARIATES` (log budget
    and complexity) and every covariate the new `project` is given a value for (`project_profile`: a
    project type asked for is modelled, never silently ignored), keeping those present in `data` (after
    `with_model_columns`) with a value.

    Not those of notebook 02 (`default_covariates`: also project type and organisation). Every refit of
    the bootstrap predicts the new project's cost from its own resample; a categorical covariate's
    level (a project type, an organisation) is estimated there only when the resample holds projects
    of it, whereas size and complexity are numbers estimated in every resample. A covariate that is not
    in the list does not enter the prediction: `project` values for it are not used."""
    frame = with_model_columns(data)
    wanted = list(covariates) if covariates is not None else list(dict.fromkeys([*ROI_COVARIATES, *(project or {})]))
    return [c for c in wanted if c in frame and frame[c].notna().any()]


def effects_covariates(data: pd.DataFrame) -> list[str]:
    """The covariates notebook 02 adjusts for with its default parameters (`default_covariates`, as
    `practice_effects.design_for` keeps them), which notebook 05 names beside its own."""
    modelled = with_model_columns(data)
    return list(practice_effects.design_for(modelled, practice_effects.resolve_covariates(modelled)).covariates)


@dataclass(repr=False)
class RoiModel(ResultDisplay):
    """The model `simulate_roi` fits, before it is fitted: what notebook 05 shows above its estimate
    (`roi_model`); pass `covariates` and `n_bootstrap` on to `roi_simulation`."""

    covariates: list[str]
    n_bootstrap: int = DEFAULTS.roi_bootstrap
    treatment: str = "amo"

    def _display_title(self) -> str:
        return "ROI model (cost of one project)"

    def _display_rows(self) -> list[tuple[str, str]]:
        return [
            ("Model", "log_cost_ratio ~ " + " + ".join([self.treatment, *self.covariates])),
            ("Outcome", "log_cost_ratio = ln(cost_actual / budget_planned), finished projects"),
            ("Covariates", ", ".join(self.covariates) or "none"),
            ("Estimator", f"OLS, refitted on {self.n_bootstrap} pairs-bootstrap resamples of the projects"),
            ("Covariance", "none used: intervals are percentiles over the refits"),
            ("Prediction", "new project: budget given, other covariates from `project` or the typical value"),
        ]


def roi_model(
    data: pd.DataFrame,
    covariates: list[str] | None = None,
    project: dict | None = None,
    n_bootstrap: int = DEFAULTS.roi_bootstrap,
) -> RoiModel:
    """The ROI model on `data` for the new `project` (`roi_covariates`), shown before the simulation runs."""
    return RoiModel(covariates=roi_covariates(data, covariates, project), n_bootstrap=n_bootstrap)


def default_budget(data: pd.DataFrame, cost_unit: str = "EUR") -> float:
    """75 000 € (the published example's project) for a portfolio in euros; otherwise, where that
    figure means nothing (hours, person-days, another currency), the portfolio's median budget."""
    if cost_unit.upper() == "EUR" or "budget_planned" not in data:
        return DEFAULT_BUDGET
    return float(data["budget_planned"].median())


def simulate_roi(
    data: pd.DataFrame,
    *,
    budget: float | None = None,
    cost_unit: str = "EUR",
    fee: float | None = None,
    fee_share: float | None = None,
    project: dict | None = None,
    covariates: list[str] | None = None,
    n_draws: int = DEFAULTS.roi_draws,
    n_bootstrap: int = DEFAULTS.roi_bootstrap,
    seed: int = 0,
) -> RoiResult:
    """Expected costs with and without the practice for one project, and draws of its cost (see the
    module docstring).

    `data` is a portfolio with `log_cost_ratio`, `amo`, `budget_planned` and the covariates;
    `project` gives the new project's covariate values (defaults: the portfolio's median complexity,
    most common type and organisation); `fee` (money, cost unit) or `fee_share` (fraction of the
    budget) sets the fee, by default `portfolio_fee_share(data)`; `budget` (cost unit) defaults to
    `default_budget(data, cost_unit)`. Covariates default to log budget, complexity and those `project`
    gives a value for (`roi_covariates`).
    The summary (values and 95 % intervals) depends on `seed` and `n_bootstrap` only: it is exact
    over each refit's residuals. `n_draws` sets only the Monte Carlo draws the figures show.
    """
    if budget is None:
        budget = default_budget(data, cost_unit)
    if budget <= 0:
        raise InputError(f"the ROI budget must be positive (got {budget}).")
    frame = with_model_columns(data)
    covariates = roi_covariates(frame, covariates, project)
    used = frame.dropna(subset=["log_cost_ratio", "amo", *covariates])
    n_with = int(used["amo"].astype(bool).sum())
    if len(used) < MIN_PROJECTS or n_with < 3 or len(used) - n_with < 3:
        raise InputError(
            f"the ROI simulation needs at least {MIN_PROJECTS} finished projects with at least 3 "
            f"with and 3 without the practice (this portfolio has {len(used)}: {n_with} with)."
        )
    if fee is None:
        share, fee_source = (
            (fee_share, Message("roi_fee_source_share_given")) if fee_share is not None else portfolio_fee_share(data)
        )
        fee = share * budget
    else:
        fee_source = Message("roi_fee_source_given")
    if fee <= 0:
        raise InputError(f"the ROI fee must be positive (got {fee}).")

    n_finished = len(used)
    used, subsample_note = scale.model_rows(used, seed, Message("note_subject_roi"))
    x = _design(used, covariates)
    numeric_cols = [c for c in covariates if pd.api.types.is_numeric_dtype(used[c])]
    new = {"log_budget": np.log(budget)}
    for c in covariates:
        if c == "log_budget":
            continue
        value = (project or {}).get(c)
        if value is None:
            value = float(used[c].median()) if c in numeric_cols else used[c].mode().iloc[0]
        new[c] = value
    x_new = _design(pd.DataFrame([new]), covariates, columns=x.columns)
    treat = used["amo"].astype(float).to_numpy()
    y = used["log_cost_ratio"].to_numpy(dtype=float)
    design = np.column_stack([np.ones(len(used)), treat, x.to_numpy(dtype=float)])
    point = np.concatenate([[1.0, 0.0], x_new.to_numpy(dtype=float)[0]])

    # The bootstrap refits come first from the seeded stream, so they are the same at any n_draws.
    rng = np.random.default_rng(seed)
    mus, betas, residual_sets = [], [], []
    for _ in range(n_bootstrap):
        idx = rng.integers(0, len(used), len(used))
        fit = OLS(y[idx], design[idx]).fit(method="pinv")
        mus.append(float(point @ fit.params))
        betas.append(float(fit.params[1]))
        residual_sets.append(fit.resid)
    mus, betas = np.asarray(mus), np.asarray(betas)
    residuals_all = np.vstack(residual_sets)  # refit × project
    # Exact expectations under each refit: the mean over all of its residuals (each equally likely).
    base = budget * np.exp(mus[:, None] + residuals_all)  # cost without, per refit and residual
    expected_without = base.mean(axis=1)
    expected_with = expected_without * np.exp(betas)
    p_pays = (base * (1 - np.exp(betas))[:, None] > fee).mean(axis=1)
    # Draws for the distributions of one project's cost (figures).
    replicate = rng.integers(0, n_bootstrap, n_draws)
    picks = (rng.random(n_draws) * len(used)).astype(int)
    cost_without = base[replicate, picks]
    notes = [
        Message(
            "roi_run_note",
            n=n_finished,
            n_with=n_with,
            covariates=", ".join(covariates) or Message("none"),
            n_bootstrap=n_bootstrap,
            n_draws=n_draws,
            seed=seed,
        )
    ]
    if subsample_note:
        notes.append(subsample_note)
    return RoiResult(
        budget=float(budget),
        fee=float(fee),
        fee_source=fee_source,
        expected_without=expected_without,
        expected_with=expected_with,
        p_pays=p_pays,
        cost_without=cost_without,
        cost_with=cost_without * np.exp(betas[replicate]),
        replicate=replicate,
        n_projects=len(used),
        covariates=covariates,
        n_bootstrap=n_bootstrap,
        seed=seed,
        notes=notes,
    )


ADOPTION_VALUE_COLUMNS = ["name", "value", "ci_low", "ci_high", "unit", "n", "label"]


def with_adoption_value(
    data: pd.DataFrame,
    result: RoiResult | None,
    value_per_adoption_point: float | None,
    covariates: list[str] | None = None,
    seed: int = 0,
    lang: str = "en",
) -> pd.DataFrame:
    """The return per unit of fee WITH the value of a higher adoption, an ASSUMPTION the user gives:
    `value_per_adoption_point` (money in the cost unit, for one percentage point of adoption at M+3
    on this project). The article's 1.7 leaves adoption out; this adds it.

    The adoption effect (percentage points) is the OLS coefficient of `amo` on adoption_m3 with the
    covariates of the simulation (log budget and complexity by default), refitted on as many seeded
    bootstrap resamples as `result` has refits; refit b's value, effect_b × 100 × value per point, is
    added to refit b's drift prevented: (prevented_b + value_b) ÷ fee. The two resamplings are
    independent, so the interval treats the two uncertainties as independent. Rows (`name`):
    prevented_per_euro (without adoption, as `RoiResult.summary_frame`), adoption_effect_pp (fraction,
    0.05 = 5 pp), adoption_value (cost unit) and value_per_euro_with_adoption (ratio), each with its
    95 % percentile interval over the refits. Empty, with ``attrs["why"]``, when no value is given,
    there is no simulation, or the portfolio has too few projects with a known adoption."""

    def empty(key: str, **values) -> pd.DataFrame:
        table = pd.DataFrame(columns=ADOPTION_VALUE_COLUMNS)
        table.attrs["why"] = translate(key, lang, **values)
        return table

    if value_per_adoption_point is None:
        return empty("roi_adoption_not_given")
    if result is None:
        return empty("roi_adoption_no_simulation")
    frame = with_model_columns(data)
    covariates = roi_covariates(frame, covariates)
    if "adoption_m3" not in frame:
        return empty("roi_adoption_too_few", n=0)
    used = frame.dropna(subset=["adoption_m3", "amo", *covariates])
    n_with = int(used["amo"].astype(bool).sum())
    if len(used) < MIN_PROJECTS or n_with < 3 or len(used) - n_with < 3:
        return empty("roi_adoption_too_few", n=len(used))
    x = _design(used, covariates)
    design = np.column_stack([np.ones(len(used)), used["amo"].astype(float).to_numpy(), x.to_numpy(dtype=float)])
    y = used["adoption_m3"].to_numpy(dtype=float)
    rng = np.random.default_rng([seed, 7])  # a stream of its own: the ROI's refits stay as they are
    effects = np.array(
        [
            OLS(y[idx], design[idx]).fit(method="pinv").params[1]
            for idx in (rng.integers(0, len(used), len(used)) for _ in range(result.n_bootstrap))
        ]
    )
    value = effects * 100 * float(value_per_adoption_point)
    prevented = result.expected_without - result.expected_with
    per_fit = {
        "prevented_per_euro": (prevented / result.fee, "ratio", result.n_projects),
        "adoption_effect_pp": (effects, "percentage points", len(used)),
        "adoption_value": (value, "cost", len(used)),
        "value_per_euro_with_adoption": ((prevented + value) / result.fee, "ratio", min(result.n_projects, len(used))),
    }
    rows = []
    for name, (values, unit, n) in per_fit.items():
        low, high = (float(v) for v in np.quantile(values, [0.025, 0.975]))
        rows.append(
            {
                "name": name,
                "value": float(np.mean(values)),
                "ci_low": low,
                "ci_high": high,
                "unit": unit,
                "n": n,
                "label": translate(f"roi_{name}", lang),
            }
        )
    table = pd.DataFrame(rows, columns=ADOPTION_VALUE_COLUMNS)
    table.attrs["assumption"] = translate(
        "roi_adoption_assumption", lang, value=format_number(float(value_per_adoption_point), lang)
    )
    return table


def interval_stability(
    data: pd.DataFrame, n_draws: int = 10_000, quantity: str = "total_without", **kwargs
) -> pd.DataFrame:
    """The 95 % interval of one summary quantity at `n_draws` and at 2 × `n_draws` (same seed and
    refits), and the relative change of its width (a fraction): ≈ 0 when the interval reflects
    estimation uncertainty only, not Monte Carlo noise. Other keyword arguments go to `simulate_roi`."""
    rows = []
    for n in (n_draws, 2 * n_draws):
        s = simulate_roi(data, n_draws=n, **kwargs).summary_frame().set_index("name").loc[quantity]
        rows.append(
            {
                "n_draws": n,
                "value": s["value"],
                "ci_low": s["ci_low"],
                "ci_high": s["ci_high"],
                "width": s["ci_high"] - s["ci_low"],
            }
        )
    table = pd.DataFrame(rows)
    table["width_change"] = table["width"] / table["width"].iloc[0] - 1
    return table


def project_profile(
    project_type: str | None = None, complexity: int | None = None, organisation: str | None = None
) -> dict:
    """The new project's covariates as `simulate_roi` takes them (None = the portfolio's typical value)."""
    return {
        k: v
        for k, v in {"project_type": project_type, "complexity": complexity, "organisation": organisation}.items()
        if v is not None
    }


def run_note(result: RoiResult) -> Message:
    """One sentence, the fee used and what the simulation rests on, as a `Message`: its English text,
    shown in the report's language where `localise` shows it (`report.show_roi.describe_run`, or a note
    kept in a language-neutral table, as notebook 08's)."""
    fee = Message("roi_fee_used_amount", fee=float(result.fee), source=result.fee_source)
    return join_sentences([fee, *result.notes])


@unavailable_on(InputError)
def roi_simulation(data: pd.DataFrame, **options) -> RoiResult:
    """`simulate_roi(data, **options)`, or `Unavailable` with the sentence saying why when the
    portfolio cannot support it (too few finished projects in a group, a fee that is not positive)."""
    return simulate_roi(data, **options)
