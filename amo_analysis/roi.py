"""Does the practice pay for itself? A Monte Carlo ROI for one project, and the published example decoded.

Model (all money in the run's cost unit, "drift" in money = final cost − budget, the fee excluded):
- fit, on the finished projects of the portfolio, OLS of ln(cost_actual / budget_planned) on the
  practice and the covariates (statsmodels); refit it on `n_bootstrap` resamples of the projects
  (seeded) so the uncertainty of the practice's effect and of the level travels into every draw;
- for the new project (budget, covariates), each of `n_draws` draws picks one bootstrap fit b and one
  residual e of that fit, and sets
      cost_without = budget · exp(μ_b + e),   cost_with = budget · exp(μ_b + β_b + e)
  (the same residual on both sides: common random numbers, so the difference reflects the effect
  β_b, not two independent strokes of luck); total_with = cost_with + fee.
Reported, each with a 95 % interval over the bootstrap fits: expected total cost with and without,
expected saving (total_without − total_with), drift prevented per euro of fee
((cost_without − cost_with) / fee) and the break-even fee (expected drift prevented); and the
probability that the practice pays for itself, P(saving > 0) over all draws (it already integrates
the effect's uncertainty, so it has no interval of its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS

from . import scale
from .describe import mean_t_ci, with_model_columns
from .errors import InputError
from .i18n import translate

DEFAULT_BUDGET = 75_000.0
DEFAULT_FEE_SHARE = 0.10
MIN_PROJECTS = 12


@dataclass
class RoiResult:
    """Monte Carlo draws and their summaries; money in the cost unit, shares as fractions."""

    budget: float
    fee: float
    fee_source: str
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
        return self.cost_with + self.fee

    @property
    def saving(self) -> np.ndarray:
        return self.cost_without - self.total_with

    @property
    def prevented(self) -> np.ndarray:
        return self.cost_without - self.cost_with

    @property
    def prevented_per_euro(self) -> np.ndarray:
        """Drift prevented per unit of fee, (cost_without − cost_with) / fee, each draw."""
        return self.prevented / self.fee

    def _by_replicate(self, values: np.ndarray) -> np.ndarray:
        sums = np.bincount(self.replicate, weights=values, minlength=self.n_bootstrap)
        counts = np.bincount(self.replicate, minlength=self.n_bootstrap)
        return sums[counts > 0] / counts[counts > 0]

    def _summary(self, values: np.ndarray, name: str, unit: str, interval: bool = True) -> dict:
        low = high = None
        if interval:
            low, high = (float(v) for v in np.quantile(self._by_replicate(values), [0.025, 0.975]))
        return {"name": name, "value": float(values.mean()), "ci_low": low,
                "ci_high": high, "unit": unit}

    def summary(self, lang: str = "en") -> pd.DataFrame:
        """One row per reported quantity: value (mean over draws), 95 % interval over bootstrap fits."""
        rows = [
            self._summary(self.cost_without, "total_without", "cost"),
            self._summary(self.total_with, "total_with", "cost"),
            self._summary(self.saving, "saving", "cost"),
            self._summary(self.prevented_per_euro, "prevented_per_euro", "ratio"),
            # Already integrated over the effect's uncertainty: an interval over fits would be 0…1.
            self._summary((self.saving > 0).astype(float), "p_pays_for_itself", "share", interval=False),
            self._summary(self.prevented, "break_even_fee", "cost"),
        ]
        for row in rows:
            row["label"] = translate(f"roi_{row['name']}", lang)
        table = pd.DataFrame(rows)
        table["n"] = self.n_projects
        return table


def portfolio_fee_share(data: pd.DataFrame) -> tuple[float, str]:
    """The median fee share amo_cost / budget_planned of projects with the practice, else 10 %."""
    if "amo_cost" in data:
        shares = (data["amo_cost"] / data["budget_planned"])[data["amo"].astype(bool)].dropna()
        shares = shares[shares > 0]
        if len(shares):
            return float(shares.median()), f"median fee share of the portfolio ({len(shares)} projects)"
    return DEFAULT_FEE_SHARE, "default 10 % of the budget (no fee recorded in the portfolio)"


def _design(frame: pd.DataFrame, covariates: list[str], columns: pd.Index | None = None) -> pd.DataFrame:
    x = pd.get_dummies(frame[covariates], drop_first=False, dtype=float) if covariates else \
        pd.DataFrame(index=frame.index)
    if columns is not None:
        x = x.reindex(columns=columns, fill_value=0.0)
    return x


def default_budget(data: pd.DataFrame, cost_unit: str = "EUR") -> float:
    """75 000 € (the published example's project) for a portfolio in euros; otherwise, where that
    figure means nothing (hours, person-days, another currency), the portfolio's median budget."""
    if cost_unit.upper() == "EUR" or "budget_planned" not in data:
        return DEFAULT_BUDGET
    return float(data["budget_planned"].median())


def simulate_roi(data: pd.DataFrame, *, budget: float | None = None, cost_unit: str = "EUR", fee: float | None = None,
                 fee_share: float | None = None, project: dict | None = None,
                 covariates: list[str] | None = None, n_draws: int = 10_000, n_bootstrap: int = 200,
                 seed: int = 0) -> RoiResult:
    """Simulate final costs with and without the practice for one project (see module docstring).

    `data` is a portfolio with `log_cost_ratio`, `amo`, `budget_planned` and the covariates;
    `project` gives the new project's covariate values (defaults: the portfolio's median complexity,
    most common type and organisation); `fee` (money) or `fee_share` (of the budget) sets the fee,
    by default `portfolio_fee_share(data)`; `budget` defaults to `default_budget(data, cost_unit)`.
    Covariates default to log budget and complexity.
    """
    if budget is None:
        budget = default_budget(data, cost_unit)
    if budget <= 0:
        raise InputError(f"the ROI budget must be positive (got {budget}).")
    frame = with_model_columns(data)
    covariates = [c for c in (covariates if covariates is not None else ["log_budget", "complexity"])
                  if c in frame and frame[c].notna().any()]
    used = frame.dropna(subset=["log_cost_ratio", "amo", *covariates])
    n_with = int(used["amo"].astype(bool).sum())
    if len(used) < MIN_PROJECTS or n_with < 3 or len(used) - n_with < 3:
        raise InputError(f"the ROI simulation needs at least {MIN_PROJECTS} finished projects with at least 3 "
                         f"with and 3 without the practice (this portfolio has {len(used)}: {n_with} with).")
    if fee is None:
        share, fee_source = (fee_share, "fee share given") if fee_share is not None else portfolio_fee_share(data)
        fee = share * budget
    else:
        fee_source = "fee given"
    if fee <= 0:
        raise InputError(f"the ROI fee must be positive (got {fee}).")

    n_finished = len(used)
    used, subsample_note = scale.model_rows(used, seed, "The ROI model (OLS and its bootstrap refits)")
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

    rng = np.random.default_rng(seed)
    mus, betas, residual_sets = [], [], []
    for _ in range(n_bootstrap):
        idx = rng.integers(0, len(used), len(used))
        fit = OLS(y[idx], design[idx]).fit(method="pinv")
        mus.append(float(point @ fit.params))
        betas.append(float(fit.params[1]))
        residual_sets.append(fit.resid)
    replicate = rng.integers(0, n_bootstrap, n_draws)
    picks = rng.random(n_draws)
    residuals = np.vstack(residual_sets)[replicate, (picks * len(used)).astype(int)]
    mu = np.asarray(mus)[replicate]
    beta = np.asarray(betas)[replicate]
    notes = [f"{n_finished} finished projects ({n_with} with the practice); covariates: "
             f"{', '.join(covariates) or 'none'}; {n_bootstrap} bootstrap fits, {n_draws} draws, seed {seed}."]
    if subsample_note:
        notes.append(subsample_note)
    return RoiResult(budget=float(budget), fee=float(fee), fee_source=fee_source,
                     cost_without=budget * np.exp(mu + residuals),
                     cost_with=budget * np.exp(mu + beta + residuals), replicate=replicate,
                     n_projects=len(used), covariates=covariates, n_bootstrap=n_bootstrap, seed=seed,
                     notes=notes)


@dataclass(frozen=True)
class PublishedExample:
    """The consultancy's example, in its own numbers (EUR)."""

    budget: float = 75_000.0
    total_without: float = 95_000.0
    total_with: float = 82_500.0
    saving: float = 12_500.0
    per_euro: float = 1.7


def decode_published_example(example: PublishedExample = PublishedExample(),
                             fee_share: float = DEFAULT_FEE_SHARE) -> pd.DataFrame:
    """The assumptions the published ROI example implies, made explicit.

    With the fee at `fee_share` of the budget (10 % reproduces it): baseline drift =
    total_without / budget − 1; residual drift with the practice = (total_with − fee) / budget − 1;
    drift prevented = total_without − (total_with − fee); "1 € prevents X €" matches the NET saving
    per euro of fee (saving / fee), while the gross drift prevented per euro is (saving + fee) / fee.
    """
    fee = fee_share * example.budget
    baseline = example.total_without / example.budget - 1
    residual = (example.total_with - fee) / example.budget - 1
    prevented = example.total_without - (example.total_with - fee)
    saving = example.total_without - example.total_with
    rows = [
        ("budget", example.budget, "cost", "stated"),
        ("total cost without the practice", example.total_without, "cost", "stated"),
        ("total cost with the practice", example.total_with, "cost", "stated"),
        ("saving", saving, "cost", f"stated {example.saving:,.0f}; recomputed"),
        ("fee", fee, "cost", f"assumed {fee_share:.0%} of the budget"),
        ("baseline drift without the practice", baseline, "fraction", "implied"),
        ("residual drift with the practice", residual, "fraction", "implied"),
        ("relative drift reduction", 1 - residual / baseline if baseline else float("nan"), "fraction", "implied"),
        ("net saving per unit of fee", saving / fee, "ratio", f"stated {example.per_euro}"),
        ("gross drift prevented per unit of fee", prevented / fee, "ratio", "implied"),
    ]
    return pd.DataFrame(rows, columns=["quantity", "value", "unit", "status"])


def project_profile(project_type: str | None = None, complexity: int | None = None,
                    organisation: str | None = None) -> dict:
    """The new project's covariates as `simulate_roi` takes them (None = the portfolio's typical value)."""
    return {k: v for k, v in {"project_type": project_type, "complexity": complexity,
                              "organisation": organisation}.items() if v is not None}


def _mean_ci(values: pd.Series, seed: int) -> tuple[float, float, float]:
    from scipy import stats

    x = values.dropna().to_numpy(dtype=float)
    if len(x) < 3:
        return float(np.mean(x)) if len(x) else float("nan"), float("nan"), float("nan")
    if len(x) > scale.ANALYTIC_N:  # the percentile interval converges to the t interval
        return (float(x.mean()), *mean_t_ci(x))
    ci = stats.bootstrap((x,), np.mean, n_resamples=4999, method="percentile",
                         random_state=np.random.default_rng(seed)).confidence_interval
    return float(x.mean()), float(ci.low), float(ci.high)


def example_vs_portfolio(data: pd.DataFrame, result: RoiResult | None, seed: int = 0,
                         example: PublishedExample = PublishedExample()) -> pd.DataFrame:
    """Each assumption the published example implies, beside what this portfolio says, with a verdict.

    Baseline drift ↔ mean budget drift of projects without the practice; residual drift ↔ mean
    drift of projects with it (both raw means, bootstrap 95 % CI: unadjusted, so only indicative);
    fee share ↔ the portfolio's median fee share; net saving per unit of fee ↔ the simulation's
    drift prevented per unit of fee minus 1.
    """
    from .claims import consistency
    from .describe import quantile_ci

    decoded = decode_published_example(example).set_index("quantity")["value"]
    amo = data["amo"].astype(bool)
    rows = []
    est, low, high = _mean_ci(data.loc[~amo, "budget_drift"], seed)
    rows.append(("baseline drift without the practice", decoded["baseline drift without the practice"],
                 est, low, high, "fraction", int(data.loc[~amo, "budget_drift"].notna().sum())))
    est, low, high = _mean_ci(data.loc[amo, "budget_drift"], seed + 1)
    rows.append(("residual drift with the practice", decoded["residual drift with the practice"],
                 est, low, high, "fraction", int(data.loc[amo, "budget_drift"].notna().sum())))
    if "amo_cost" in data:
        shares = (data["amo_cost"] / data["budget_planned"])[amo].dropna()
        if len(shares):
            est, low, high = quantile_ci(shares, 0.5)
            rows.append(("fee share of the budget", decoded["fee"] / example.budget, est, low, high,
                         "fraction", int(len(shares))))
    if result is not None:  # None when the portfolio could not support the simulation
        per_euro = result.summary().set_index("name").loc["prevented_per_euro"]
        rows.append(("net saving per unit of fee", decoded["net saving per unit of fee"],
                     per_euro["value"] - 1, per_euro["ci_low"] - 1, per_euro["ci_high"] - 1, "ratio",
                     result.n_projects))
    table = pd.DataFrame(rows, columns=["assumption", "implied", "estimate", "ci_low", "ci_high", "unit", "n"])
    table["verdict"] = [consistency(r.ci_low, r.ci_high, r.implied) for r in table.itertuples()]
    return table


def describe_run(result: RoiResult) -> str:
    """One sentence: the fee used and what the simulation rests on."""
    return f"Fee: {result.fee:,.0f} ({result.fee_source}). " + " ".join(result.notes)


def summary_text(result: RoiResult | None) -> str:
    """The ROI summary as fixed-width text (3 decimals), or why there is none."""
    if result is None:
        return "not estimated"
    table = result.summary()[["name", "value", "ci_low", "ci_high"]]
    return table.to_string(index=False, float_format=lambda v: f"{v:.3f}")


def assumptions_text(table: pd.DataFrame) -> str:
    """`example_vs_portfolio` as fixed-width text (3 decimals)."""
    return table[["assumption", "implied", "estimate", "verdict"]].to_string(
        index=False, float_format=lambda v: f"{v:.3f}")
