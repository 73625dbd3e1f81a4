"""Tests of amo_analysis.analyses.forecast: calibration on synthetic data (overall and per practice group), small
references, order-free results on heaped (tied) portfolios, inputs, CLI."""

import json

import numpy as np
import pandas as pd
import pytest

from amo_analysis.analyses import forecast as fc
from amo_analysis import synth
from amo_analysis.ingest import metrics
from amo_analysis.i18n import Message, localise
from amo_analysis.suite.cli import main
from amo_analysis.report.plots import forecast_figure


@pytest.fixture(scope="module")
def synthetic():
    return metrics.derive_metrics(synth.make_portfolio(4_000, 11))


def test_p80_is_calibrated_on_held_out_synthetic_projects(synthetic):
    reference, held = synthetic.iloc[:2_000], synthetic.iloc[2_000:]
    held = held[held["status"] == "completed"].reset_index(drop=True)
    result = fc.forecast(reference, held.drop(columns=["cost_actual", "duration_actual_days"]), seed=1).summary_frame()
    assert set(result["method"]) == {"quantile regression"}
    assert (result["n_reference"] > 1_500).all()
    table = fc.calibration(result, held, 0.8)
    for group in ("with", "without"):
        for target in ("cost", "duration"):
            share = table[(table.group == group) & (table.target == target)]["share_exceeded"].iloc[0]
            assert 0.15 <= share <= 0.25, (group, target, share)


def test_forecast_columns_and_scenarios(synthetic):
    new = fc.new_project(100_000, 200, "ERP", 3, framing_score=6)
    table = fc.forecast(synthetic.iloc[:1_000], new, amo="both").summary_frame()
    assert list(table["amo"]) == [False, True]
    for q in ("p50", "p80", "p90"):
        assert table[f"cost_{q}"].notna().all()
    assert (table["cost_p50"] <= table["cost_p80"]).all() and (table["cost_p80"] <= table["cost_p90"]).all()
    assert table["contingency"].iloc[0] == pytest.approx(table["cost_p80"].iloc[0] / 100_000 - 1)
    assert table["chance_10pct_enough"].iloc[0] == pytest.approx(1 - table["chance_cost_overrun_10"].iloc[0])
    assert (table["chance_cost_overrun_10"] >= table["chance_cost_overrun_50"]).all()
    # the practice lowers the planted cost ratio: its forecast median is lower
    assert table["cost_p50"].iloc[1] < table["cost_p50"].iloc[0]
    assert set(table["method"]) | set(table["method_duration"]) == {"quantile regression"}


def test_small_reference_uses_nearest_projects_and_says_so():
    small = metrics.derive_metrics(synth.make_portfolio(16, 7))
    table = fc.forecast(small, fc.new_project(250_000, 300, "CRM", 2), amo="both").summary_frame()
    assert set(table["method"]) == {"nearest projects"}
    few = table["n_reference"] < fc.MIN_COMPARABLE
    assert few.any() and (table["few_comparables"] == few).all()
    assert table["note"].str.contains("fewer than 10").any()


def test_unknown_type_is_dropped_with_a_note(synthetic):
    table = fc.forecast(synthetic.iloc[:500], fc.new_project(80_000, 150, "Quantum", 2, amo=True)).summary_frame()
    assert "'Quantum' does not occur" in table.loc[0, "note"]
    assert np.isfinite(table.loc[0, "cost_p80"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"budget": -5}, "budget_planned = -5"),
        ({"budget": 1000, "complexity": 9}, "complexity = 9"),
    ],
)
def test_bad_new_project_gives_a_sentence(synthetic, kwargs, message):
    with pytest.raises(fc.ForecastError, match=message):
        fc.forecast(synthetic.iloc[:200], fc.new_project(**kwargs), amo="yes").summary_frame()


def test_missing_practice_value_needs_a_choice(synthetic):
    with pytest.raises(fc.ForecastError, match="amo='both'"):
        fc.forecast(synthetic.iloc[:200], fc.new_project(1000)).summary_frame()


def test_backtest_splits_by_start_date(synthetic):
    table, text = fc.backtest(synthetic.iloc[:600], folds=5)
    assert "Split by start date" in text
    assert table.loc[table.group == "all", "n"].min() > 100
    all_cost = table[(table.group == "all") & (table.target == "cost")]["share_exceeded"].iloc[0]
    assert 0.08 < all_cost < 0.35
    tiny, why = fc.backtest(synthetic.iloc[:15])
    assert "not run" in why and (tiny["n"] == 0).all()


def test_the_forecast_reads_only_its_columns_and_the_backtest_copies_no_other(synthetic):
    """`forecast` reads `REFERENCE_COLUMNS` of the reference and `NEW_PROJECT_COLUMNS` of a new project,
    so the backtest copies only those (a million projects' other columns would be copied three times):
    its table is the one the forecast of every column gives, running projects and scrambled columns
    of no use included."""
    data = synthetic.iloc[:800].copy()
    data["running"] = False
    noise = np.random.default_rng(5).permutation(len(data))
    unused = [
        c
        for c in data
        if c
        not in {*fc.REFERENCE_COLUMNS, *fc.NEW_PROJECT_COLUMNS, "cost_actual", "duration_actual_days", "start_date"}
    ]
    assert len(unused) > 10
    scrambled = data.assign(**{c: data[c].to_numpy()[noise] for c in unused})  # the columns of no use, shuffled
    table, _ = fc.backtest(scrambled, folds=5)
    pd.testing.assert_frame_equal(table, fc.backtest(data, folds=5)[0])
    # the long way: every column of the earlier and the later projects
    order = data["start_date"]
    done = data["log_cost_ratio"].notna() & (data["status"] == "completed")
    completed = order[done].sort_values(kind="stable")
    split = completed.iloc[round(len(completed) * 0.5)]
    later = data.loc[completed.index[completed >= split]]
    full = fc.forecast(
        data[order < split].drop(columns=["running"]),
        later.drop(columns=["cost_actual", "duration_actual_days"]),
        quantiles=(0.8,),
        accepted_risk=0.8,
        folds=5,
    ).table
    pd.testing.assert_frame_equal(table, fc.calibration(full, later.reset_index(drop=True), 0.8))
    reference = fc.forecast(data, fc.new_project(100_000, 200, "ERP", 3), amo="both", folds=5).table
    others = data.assign(**{c: data[c].to_numpy()[noise] for c in unused if c != "running"})
    pd.testing.assert_frame_equal(
        reference, fc.forecast(others, fc.new_project(100_000, 200, "ERP", 3), amo="both", folds=5).table
    )


def test_cli_forecast_prints_and_writes_json(tmp_path, capsys):
    data = tmp_path / "portfolio.csv"
    synth.write_portfolio_csv(synth.make_portfolio(120, 3), data, style="en")
    out = tmp_path / "forecast.json"
    code = main(
        [
            "forecast",
            "--data",
            str(data),
            "--budget",
            "75000",
            "--duration",
            "180",
            "--type",
            "ERP",
            "--complexity",
            "3",
            "--framing",
            "7",
            "--amo",
            "both",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "cost_p80" in printed and "Reference-class forecast" in printed
    records = json.loads(out.read_text())
    assert [r["amo"] for r in records] == [False, True] and records[0]["cost_p80"] > 0
    assert main(["forecast", "--data", str(data), "--budget", "0"]) == 2
    assert "budget_planned" in capsys.readouterr().err


def test_typical_project_fills_only_what_is_missing():
    import pandas as pd

    from amo_analysis.analyses.forecast import typical_project

    reference = pd.DataFrame(
        {
            "budget_planned": [100.0, 200.0, 900.0],
            "duration_planned_days": [10.0, 30.0, 50.0],
            "project_type": ["ERP", "CRM", "CRM"],
            "complexity": [1, 2, 4],
        }
    )
    row = typical_project(reference).iloc[0]
    assert (row["budget_planned"], row["duration_planned_days"], row["project_type"], row["complexity"]) == (
        200.0,
        30.0,
        "CRM",
        2,
    )
    given = typical_project(reference, budget=5.0, project_type="ERP").iloc[0]
    assert given["budget_planned"] == 5.0 and given["project_type"] == "ERP" and given["complexity"] == 2


def test_large_reference_uses_split_conformal_and_stays_calibrated():
    # Above scale.LARGE_N usable projects the median regression is fitted on a seeded subsample and the
    # spread comes from the residuals of all the others (split conformal): P80 is still exceeded by
    # about 20 % of held-out projects, and the notes say how it was computed.
    from amo_analysis.stats import scale

    data = metrics.derive_metrics(synth.make_portfolio(32_000, 21))
    reference, held = data.iloc[:28_000], data.iloc[28_000:]
    held = held[held["status"] == "completed"].reset_index(drop=True)
    result = fc.forecast(reference, held.drop(columns=["cost_actual", "duration_actual_days"]), seed=1).summary_frame()
    assert set(result["method"]) == {"quantile regression"}
    assert (result["n_reference"] > scale.LARGE_N).all()
    assert result["note"].str.contains(f"random {scale.SUBSAMPLE_ROWS:,} of the").all()
    table = fc.calibration(result, held, 0.8)
    for target in ("cost", "duration"):
        share = table[(table.group == "all") & (table.target == target)]["share_exceeded"].iloc[0]
        assert 0.17 <= share <= 0.23, (target, share)


@pytest.mark.parametrize("size", [300, 16])  # quantile regression, nearest projects
def test_a_batch_of_projects_gets_the_forecasts_each_would_get_alone(size):
    reference = metrics.derive_metrics(synth.make_portfolio(size, 5))
    projects = metrics.derive_metrics(synth.make_portfolio(7, 6)).drop(columns=["cost_actual", "duration_actual_days"])
    projects["project_type"] = projects["project_type"].astype(str)
    projects.loc[3, "project_type"] = "Quantum"  # a level the reference lacks: noted, not used
    projects.loc[5, "complexity"] = np.nan  # a feature the project does not give
    batch = fc.forecast(reference, projects, amo="both", seed=2, folds=3).summary_frame()
    alone = pd.concat(
        [
            fc.forecast(reference, projects.iloc[[i]], amo="both", seed=2, folds=3).summary_frame()
            for i in range(len(projects))
        ],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(batch, alone, check_exact=False, rtol=1e-12)
    assert "'Quantum' does not occur" in batch["note"].iloc[6]


# ---------------------------------------------------------------------------------------------
# Order-free forecasts and a spread per practice group
# ---------------------------------------------------------------------------------------------


def _heaped_portfolio(size: int, seed: int) -> pd.DataFrame:
    """A synthetic portfolio whose budgets are heaped on 50 000 / 100 000, planned durations on whole
    hundreds of days and actual costs (durations) on thousands (tens of days), as real exports are
    round: many projects tie on distance and on outcome."""
    data = synth.make_portfolio(size, seed)
    heaped = np.where(data["budget_planned"] < 75_000, 50_000.0, 100_000.0)
    data["cost_actual"] = np.round(data["cost_actual"] * heaped / data["budget_planned"], -3)
    data["budget_planned"] = heaped
    data["duration_planned_days"] = np.round(data["duration_planned_days"], -2)
    data["duration_actual_days"] = np.round(data["duration_actual_days"], -1)
    return metrics.derive_metrics(data)


@pytest.mark.parametrize("size, method", [(38, "nearest projects"), (150, "quantile regression")])
def test_forecast_does_not_depend_on_the_order_of_the_rows(size, method):
    reference = _heaped_portfolio(size, 4)
    new = pd.concat(
        [fc.new_project(100_000, 300), fc.new_project(50_000, 200), fc.new_project(100_000, 400, "ERP", 3)],
        ignore_index=True,
    )
    table = fc.forecast(reference, new, amo="both", seed=3).summary_frame()
    assert set(table["method"]) == {method}
    if method == "nearest projects":  # neighbours tied at the cut-off are all kept, not cut by position
        assert (table["n_reference"] > fc.N_NEIGHBOURS).any()
    shuffled = reference.iloc[np.random.default_rng(8).permutation(len(reference))]
    for copy in (shuffled, reference.iloc[::-1], shuffled.reset_index(drop=True)):
        pd.testing.assert_frame_equal(
            fc.forecast(copy, new, amo="both", seed=3).summary_frame(), table, check_exact=True
        )
    # the backtest splits by start date: the same split and calibration whatever the row order
    calib, text = fc.backtest(reference, seed=3)
    assert "Split by start date" in text and calib["n"].max() > 0
    for copy in (shuffled, reference.iloc[::-1]):
        calib_copy, text_copy = fc.backtest(copy, seed=3)
        pd.testing.assert_frame_equal(calib_copy, calib, check_exact=True)
        assert text_copy == text


def _two_spread_portfolio(
    n: int, seed: int, n_with: int | None = None, sd_with: float = 0.15, sd_without: float = 0.45
) -> pd.DataFrame:
    """Completed projects whose ln(actual ÷ plan) of cost and duration have a standard deviation of
    `sd_with` with the practice and `sd_without` without it (normal noise, seeded), around a median
    that depends on the practice and complexity. Budgets (EUR) and planned durations (days) are
    round. `n_with` projects have the practice (half of them by default)."""
    rng = np.random.default_rng(seed)
    amo = np.zeros(n, dtype=bool)
    amo[rng.permutation(n)[: n // 2 if n_with is None else n_with]] = True
    budget = rng.choice([50_000.0, 100_000.0, 200_000.0, 500_000.0], n)
    duration = rng.choice([100.0, 200.0, 300.0], n)
    complexity = rng.integers(1, 6, n).astype(float)
    sd = np.where(amo, sd_with, sd_without)
    log_cost = 0.25 - 0.10 * amo + 0.05 * (complexity - 3) + 0.03 * np.log(budget / 1e5) + sd * rng.normal(0, 1, n)
    log_duration = 0.20 - 0.08 * amo + 0.04 * (complexity - 3) + sd * rng.normal(0, 1, n)
    return pd.DataFrame(
        {
            "project_id": [f"S{seed}-{i:04d}" for i in range(n)],
            "amo": amo,
            "budget_planned": budget,
            "duration_planned_days": duration,
            "cost_actual": budget * np.exp(log_cost),
            "duration_actual_days": duration * np.exp(log_duration),
            "project_type": rng.choice(["ERP", "CRM", "Data/BI"], n),
            "complexity": complexity,
            "status": "completed",
            "log_cost_ratio": log_cost,
            "log_duration_ratio": log_duration,
        }
    )


def test_each_practice_group_gets_its_own_spread():
    # With-practice outcomes spread 3 times less: so must the forecast (P90 ÷ P50), not only its median.
    table = fc.forecast(
        _two_spread_portfolio(400, 1), fc.new_project(100_000, 200, "ERP", 3), amo="both"
    ).summary_frame()
    assert set(table["method"]) == {"quantile regression"}
    for target in ("cost", "duration"):
        spread = np.log(table[f"{target}_p90"] / table[f"{target}_p50"])
        assert spread.iloc[1] < 0.5 * spread.iloc[0], (target, spread.tolist())
    assert not table["note"].str.contains("pooled").any()


def test_a_practice_group_too_small_for_its_own_spread_uses_the_pooled_residuals_and_says_so():
    reference = _two_spread_portfolio(70, 2, n_with=12)
    table = fc.forecast(reference, fc.new_project(100_000, 200), amo="both").summary_frame()
    assert set(table["method"]) == {"quantile regression"}
    without, with_ = table["note"]
    assert "pooled" not in without
    for target in ("cost", "duration"):
        assert (
            f"the {target} spread uses the residuals of both practice groups pooled: only 12 reference "
            f"projects with the practice, fewer than {fc.MIN_GROUP_RESIDUALS}"
        ) in with_
    assert np.isfinite(table[["cost_p80", "cost_p90", "duration_p90"]].to_numpy()).all()


@pytest.mark.slow
@pytest.mark.parametrize("size, method", [(200, "quantile regression"), (38, "nearest projects")])
def test_p80_is_exceeded_about_20_percent_of_the_time_in_each_practice_group(size, method):
    # Log-ratio SD 0.15 with the practice, 0.45 without. One pooled set of residuals would put the
    # with-practice P80 far too high (exceeded ~8 %) and the without one too low (~31 %).
    exceeded = {}
    for rep in range(20):
        reference, held = _two_spread_portfolio(size, 100 + rep), _two_spread_portfolio(400, 1_000 + rep)
        inputs = held.drop(columns=["cost_actual", "duration_actual_days", "log_cost_ratio", "log_duration_ratio"])
        result = fc.forecast(reference, inputs, seed=rep).summary_frame()
        assert set(result["method"]) == {method}
        for r in fc.calibration(result, held, 0.8).to_dict("records"):
            counts = exceeded.setdefault((r["target"], r["group"]), [0, 0])
            counts[0] += r["exceeded"]
            counts[1] += r["n"]
    for (target, group), (above, n) in exceeded.items():
        assert n == 20 * (400 if group == "all" else 200)
        assert 0.13 <= above / n <= 0.27, (target, group, above / n)


# --------------------------------------------------------------------------- messages and figure (issue 13)


def test_backtest_sentences_are_messages_with_the_english_text(synthetic):
    _, text = fc.backtest(synthetic.iloc[:600], folds=5)
    assert isinstance(text, Message) and text.startswith("Split by start date: ")
    assert text.endswith(" completed projects started from then on were forecast (quantile regression).")
    assert localise(text, "fr").startswith("Découpage selon la date de début")
    _, why = fc.backtest(synthetic.iloc[:15])
    assert (
        why == "Only 12 completed projects: a backtest needs at least 10 earlier and 10 later ones, so it was not run."
    )
    assert localise(why, "fr").startswith("Seulement 12 projets terminés")


def test_forecast_figure_legend_in_the_report_language(synthetic):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = fc.forecast(synthetic.iloc[:300], fc.new_project(100_000, 200, "ERP", 3), amo="both").summary_frame()
    for lang, words in (("en", ["budget", "budget + 10 %"]), ("fr", ["budget", "budget + 10 %"])):
        fig = forecast_figure(table, lang)
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        plt.close(fig)
        assert legend[-2:] == words


def test_a_portfolio_without_practice_is_forecast_as_one_group():
    data = metrics.derive_metrics(synth.make_portfolio(120, 0))
    data["amo"] = pd.array([pd.NA] * len(data), dtype="boolean")
    project = fc.new_project(budget=75_000, duration=180, project_type="ERP", complexity=3)
    table = fc.forecast(data, project, amo="both").summary_frame()
    assert len(table) == 1 and table["amo"].isna().all()  # one scenario: the practice is unknown
    assert table.at[0, "method"] == "quantile regression" and table.at[0, "cost_p80"] > 75_000
    calib, _ = fc.backtest(data, quantile=0.8, seed=0)
    assert set(calib.loc[calib["n"] > 0, "group"]) == {"all"}


def test_the_forecast_reads_like_a_statsmodels_result(synthetic):
    from amo_analysis.results_display import REPR_LIMIT, Summary

    result = fc.forecast(synthetic.iloc[:300], fc.new_project(100_000, 200, "ERP", 3), amo="both", seed=2)
    table = result.summary_frame()
    assert isinstance(result, fc.ForecastResult) and list(table["amo"]) == [False, True]
    pd.testing.assert_frame_equal(table, result.table)
    assert table is not result.table  # a copy: the result stays as computed
    assert (result.quantiles, result.accepted_risk, result.seed) == ((0.5, 0.8, 0.9), 0.8, 2)
    text = repr(result)
    assert "\n" not in text and len(text) <= REPR_LIMIT and text.startswith("<ForecastResult: new project (without) ")
    summary = result.summary()
    assert isinstance(summary, Summary) and summary.startswith("Reference-class forecast\n")
    without = table.iloc[0]
    assert f"cost P80 {without['cost_p80']:,.0f}, contingency {without['contingency']:+.1%}, chance" in summary
    assert f"duration P80 {without['duration_p80']:,.0f} days" in summary
    assert f"(without) cost P80 {without['cost_p80']:,.0f}, contingency {without['contingency']:+.1%}, new" in text
    assert f"quantile regression, {without['n_reference']} projects" in summary
    rows = dict(line.split(None, 1) for line in summary.splitlines()[-3:] if not line.startswith("Accepted"))
    assert rows == {"Quantiles": "P50, P80, P90", "Seed": "2"}
    assert "Accepted risk          P80 (the contingency's level" in summary
    assert result._repr_html_().startswith("<table><caption>Reference-class forecast</caption>")
    many = fc.forecast(
        synthetic.iloc[:300], pd.concat([fc.new_project(90_000 + i, 200) for i in range(30)]), amo="both"
    )
    assert len(repr(many)) <= REPR_LIMIT and "Scenarios 60" in repr(many) and many.summary().count(" projects") >= 60


def test_the_forecasts_notes_show_in_the_summarys_language():
    small = metrics.derive_metrics(synth.make_portfolio(16, 7))
    result = fc.forecast(small, fc.new_project(250_000, 300, "Quantum", 2), amo="both")
    assert "'Quantum' does not occur" in result.summary() and "Notes:" in result.summary()
    assert "Quantum" in result.summary("fr") and "does not occur" not in result.summary("fr")
