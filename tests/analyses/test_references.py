"""Benchmark table: the shipped file is valid, bad files fail with one clear sentence, and every
portfolio metric gives the hand-computed answer on small frames (how the comparison is shown and
recorded: tests/report/test_show_references.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from amo_analysis.analyses import references as bm
from amo_analysis import paths
from amo_analysis.errors import ContractError, InputError
from amo_analysis.ingest.portfolio import load_portfolio


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return bm.load_benchmarks()


def frame(drift, slip=None, classes=None, **flags) -> pd.DataFrame:
    n = len(drift)
    out = pd.DataFrame(
        {
            "budget_drift": pd.Series(drift, dtype="float64"),
            "schedule_slip": pd.Series(slip if slip is not None else [0.0] * n, dtype="float64"),
            "outcome_class": pd.Series(classes if classes is not None else ["successful"] * n, dtype="object"),
        }
    )
    for name, values in flags.items():
        out[name] = pd.Series(values, dtype="boolean")
    return out


# --- the shipped table -------------------------------------------------------------------------


def test_shipped_table_is_valid_and_keeps_the_issue_figures(shipped):
    values = shipped.set_index("key")["value"]
    assert values["hbr2011_mean_cost_overrun"] == 0.27
    assert values["hbr2011_black_swan_mean_overrun"] == 2.0
    assert values["hbr2011_black_swan_share"] == pytest.approx(1 / 6, abs=1e-4)
    assert values["mck2012_large_mean_cost_overrun"] == 0.45
    assert (values["standish2015_successful"], values["standish2015_challenged"], values["standish2015_failed"]) == (
        0.29,
        0.52,
        0.19,
    )
    assert (values["standish2020_successful"], values["standish2020_challenged"], values["standish2020_failed"]) == (
        0.31,
        0.50,
        0.19,
    )
    assert values["pmi2018_scope_creep"] == 0.52 and values["pmi2014_poor_requirements"] == 0.47
    moloekken = shipped.set_index("key").loc["molokken2003_mean_overrun"]
    assert (moloekken["value"], moloekken["value_high"]) == (0.30, 0.40)
    assert values["amo_claim_budget_drift"] == -0.18 and values["amo_claim_roi"] == 1.7


def test_every_row_says_its_evidence_and_caveat(shipped):
    assert set(shipped["evidence"]) <= set(bm.EVIDENCE_KINDS)
    assert {"peer-reviewed", "vendor survey", "self-reported survey", "consultancy claim"} <= set(shipped["evidence"])
    assert (shipped["quality_note"].str.len() > 20).all()
    standish = shipped[shipped["key"].str.startswith("standish")]
    assert standish["quality_note"].str.contains("never mix|Do not combine", regex=True).all()
    pmi = shipped[shipped["key"].str.startswith("pmi")]
    assert (pmi["evidence"] == "self-reported survey").all()
    # the consultancy's effect claims are not compared with a portfolio-wide figure
    assert (shipped.loc[shipped["evidence"] == "consultancy claim", "portfolio_metric"] == "").all()


def test_every_metric_named_in_the_table_exists(shipped):
    named = set(shipped["portfolio_metric"]) - {""}
    assert named <= set(bm.METRICS)
    assert len(named) >= 8


def test_every_shipped_figure_has_its_french_words(shipped):
    for column in bm.TRANSLATED_COLUMNS:
        assert (shipped[f"{column}_fr"].str.len() > 0).all(), column
    assert (shipped["figure_fr"] != shipped["figure"]).all()
    assert (shipped["quality_note_fr"] != shipped["quality_note"]).all()


def test_a_french_report_names_the_figures_in_french_and_english_stays_english(shipped):
    data = frame([0.5] * 10 + [-0.1] * 10)
    english = bm.compare_with_benchmarks(data, shipped, seed=0).set_index("key")
    french = bm.compare_with_benchmarks(data, shipped, seed=0, lang="fr").set_index("key")
    assert english.loc["hbr2011_mean_cost_overrun", "figure"] == "Mean cost overrun of IT projects"
    assert french.loc["hbr2011_mean_cost_overrun", "figure"] == "Dépassement de coût moyen des projets informatiques"
    assert french.loc["amo_claim_budget_drift", "figure"].startswith("Affirmation AMO")
    assert list(french["quality_note"]) == list(shipped["quality_note_fr"])


def test_a_benchmark_file_without_french_names_falls_back_to_english(tmp_path):
    raw = _raw().drop(columns=["figure_fr"])
    loaded = bm.load_benchmarks(_write(tmp_path, raw))
    assert "figure_fr" not in loaded
    data = frame([0.5] * 10 + [-0.1] * 10)
    french = bm.compare_with_benchmarks(data, loaded, seed=0, lang="fr").set_index("key")
    assert french.loc["hbr2011_mean_cost_overrun", "figure"] == "Mean cost overrun of IT projects"
    raw = _raw()
    raw.loc[0, "figure_fr"] = "  "
    french = bm.compare_with_benchmarks(data, bm.load_benchmarks(_write(tmp_path, raw)), seed=0, lang="fr")
    assert french.iloc[0]["figure"] == "Mean cost overrun of IT projects"


# --- bad files ---------------------------------------------------------------------------------


def _write(tmp_path, table: pd.DataFrame):
    path = tmp_path / "bench.csv"
    table.to_csv(path, index=False)
    return path


def _raw(shipped_path=paths.BENCHMARKS_CSV) -> pd.DataFrame:
    return pd.read_csv(shipped_path, dtype=str, keep_default_na=False)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        bm.load_benchmarks(tmp_path / "nope.csv")


def test_missing_column_names_it(tmp_path):
    path = _write(tmp_path, _raw().drop(columns=["evidence"]))
    with pytest.raises(InputError, match="'evidence'"):
        bm.load_benchmarks(path)


def test_bad_evidence_names_line_column_and_value(tmp_path):
    raw = _raw()
    raw.loc[2, "evidence"] = "blog post"
    with pytest.raises(ContractError) as err:
        bm.load_benchmarks(_write(tmp_path, raw))
    message = str(err.value)
    assert "bench.csv, line 4, column 'evidence', value 'blog post'" in message
    assert "peer-reviewed" in message


def test_every_bad_cell_is_listed(tmp_path):
    raw = _raw()
    raw.loc[0, "value"] = "27%"
    raw.loc[1, "key"] = raw.loc[0, "key"]
    raw.loc[3, "portfolio_metric"] = "median budget_drift"
    raw.loc[5, "value_high"] = "0.01"
    with pytest.raises(ContractError) as err:
        bm.load_benchmarks(_write(tmp_path, raw))
    columns = {(p.row, p.column) for p in err.value.problems}
    assert {(2, "value"), (3, "key"), (5, "portfolio_metric"), (7, "value_high")} <= columns


# --- metrics with known answers ----------------------------------------------------------------


def test_mean_with_bootstrap_interval_is_seeded_and_brackets_the_mean():
    data = frame([0.0, 0.1, 0.2, 0.3, 0.4, 2.0])
    a = bm.portfolio_metric(data, "mean budget_drift", seed=3)
    b = bm.portfolio_metric(data, "mean budget_drift", seed=3)
    assert a.estimate == pytest.approx(0.5) and a.n == 6
    assert a == b
    assert a.ci_low < 0.5 < a.ci_high
    assert a.ci_low >= 0.0 and a.ci_high <= 2.0


def test_share_uses_the_wilson_interval_on_known_values():
    data = frame([-0.1, 0.0, 0.05, 0.3, 2.5, np.nan])
    est, low, high, n = bm.portfolio_metric(data, "share budget_drift > 0")
    w_low, w_high = proportion_confint(3, 5, method="wilson")
    assert (est, n) == (pytest.approx(0.6), 5)
    assert (low, high) == (pytest.approx(w_low), pytest.approx(w_high))
    assert bm.portfolio_metric(data, "share budget_drift > 2").estimate == pytest.approx(0.2)
    assert bm.portfolio_metric(data, "share budget_drift <= 0.1").estimate == pytest.approx(0.6)


def test_outcome_class_and_flag_shares():
    data = frame(
        [0.0] * 5,
        classes=["successful", "failed", "challenged", "failed", None],
        scope_creep=[True, False, None, True, True],
        poor_requirements=[True, True, False, False, True],
    )
    assert bm.portfolio_metric(data, "share outcome_class == failed").estimate == pytest.approx(0.5)
    assert bm.portfolio_metric(data, "share scope_creep").estimate == pytest.approx(0.75)
    among = bm.portfolio_metric(data, "share poor_requirements among unsuccessful")
    assert (among.estimate, among.n) == (pytest.approx(1 / 3), 3)


def test_worst_sixth_mean_takes_the_top_sixth_by_drift():
    drift = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 3.0, 5.0]
    slip = [0.0] * 10 + [1.0, 0.5]
    data = frame(drift, slip)
    cost = bm.portfolio_metric(data, "worst sixth mean budget_drift", seed=1)
    assert cost.estimate == pytest.approx(4.0) and cost.n == 12
    assert cost.ci_low <= 4.0 <= cost.ci_high
    assert bm.portfolio_metric(data, "worst sixth mean schedule_slip", seed=1).estimate == pytest.approx(0.75)


def _fat_tailed(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    drift = np.exp(rng.normal(0, 0.5, n)) - 1 + (rng.random(n) < 0.07) * rng.exponential(1, n)
    return drift, 0.5 * drift + rng.normal(0, 0.2, n)


def _percentile_bootstrap(statistic, arrays, seed: int = 0, resamples: int = 400) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    n = len(arrays[0])
    values = [statistic(*(a[idx] for a in arrays)) for idx in rng.integers(0, n, (resamples, n))]
    return tuple(np.percentile(values, [2.5, 97.5]))


def test_worst_share_interval_vectorised_equals_one_resample_at_a_time():
    """The worst-share bootstrap evaluates its 1,999 resamples and its jackknife as stacked arrays:
    the interval is the one of scipy calling the statistic once per resample (ties in the ranking
    included: the same stable order), to the bit."""
    from amo_analysis.stats.intervals import seeded_bootstrap

    def one_at_a_time(r, v):
        k = max(1, math.ceil(bm.TAIL_FRACTION * len(r)))
        return float(np.asarray(v)[np.argsort(-np.asarray(r), kind="stable")[:k]].mean())

    for n, seed in ((7, 0), (100, 1), (333, 2)):
        rng = np.random.default_rng(seed)
        ranking = np.round(rng.lognormal(size=n), 1)  # heaped: ties decided by order
        values = 0.5 * ranking + rng.normal(size=n)
        slow, _ = seeded_bootstrap(
            (ranking, values), one_at_a_time, seed=0, n_resamples=1999, vectorized=False, paired=True
        )
        fig = bm.worst_share_mean(ranking, values, seed=0)
        assert (fig.ci_low, fig.ci_high) == (slow.confidence_interval.low, slow.confidence_interval.high)
        assert fig.estimate == one_at_a_time(ranking, values)


def test_large_portfolios_use_the_analytic_intervals_the_bootstrap_converges_to():
    n = bm.LARGE_N + 1000
    drift, slip = _fat_tailed(n)
    data = frame(drift, slip)
    tail = lambda r, v: bm._tail_mean(r, v)  # noqa: E731
    for key, arrays, stat in (
        ("mean budget_drift", (drift,), np.mean),
        ("worst sixth mean budget_drift", (drift, drift), tail),
        ("worst sixth mean schedule_slip", (drift, slip), tail),
    ):
        fig = bm.portfolio_metric(data, key, seed=0)
        low, high = _percentile_bootstrap(stat, arrays)
        width = high - low
        assert fig.ci_low == pytest.approx(low, abs=0.12 * width), key
        assert fig.ci_high == pytest.approx(high, abs=0.12 * width), key
        assert "converges" in bm.metric_method(key, n) and "converges" not in bm.metric_method(key, 120)
    table = bm.compare_with_benchmarks(data, bm.load_benchmarks())
    assert table.loc[table["portfolio_metric"] == "mean budget_drift", "method"].str.contains("t 95%").all()


def test_too_few_projects_or_missing_column_gives_no_estimate_and_a_reason(shipped):
    tiny = frame([0.1, 0.4, 0.2])
    assert math.isnan(bm.portfolio_metric(tiny, "worst sixth mean budget_drift").estimate)
    table = bm.compare_with_benchmarks(tiny, shipped, seed=0)
    row = table.set_index("key").loc["hbr2011_black_swan_mean_overrun"]
    assert row["comparison"] == "not computed: 3 project(s) have the data, at least 12 are needed"
    scope = table.set_index("key").loc["pmi2018_scope_creep"]
    assert scope["comparison"] == "not computed: the portfolio has no scope_creep column"
    french = bm.compare_with_benchmarks(tiny, shipped, seed=0, lang="fr").set_index("key")
    assert (
        french.loc["pmi2018_scope_creep", "comparison"]
        == "non calculé : le portefeuille n'a pas de colonne scope_creep"
    )


def test_unknown_metric_is_an_input_error():
    with pytest.raises(InputError, match="unknown"):
        bm.portfolio_metric(frame([0.1, 0.2]), "median budget_drift")


# --- comparison --------------------------------------------------------------------------------


def _bench(value, high=np.nan, metric="share budget_drift > 0") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "key": "k",
                "figure": "f",
                "citation": "c",
                "value": value,
                "value_high": high,
                "unit": "fraction",
                "definition": "",
                "population": "",
                "n_projects": np.nan,
                "year": np.nan,
                "source": "s",
                "evidence": "vendor survey",
                "quality_note": "q",
                "portfolio_metric": metric,
            }
        ]
    )


@pytest.mark.parametrize(
    "value,high,expected",
    [
        (0.05, np.nan, "portfolio higher"),
        (0.95, np.nan, "portfolio lower"),
        (0.50, np.nan, "similar (interval contains the benchmark)"),
        (0.60, 0.80, "similar (interval overlaps the benchmark range)"),
        (0.01, 0.10, "portfolio higher"),
    ],
)
def test_comparison_words_follow_the_interval(value, high, expected):
    # 10 of 20 projects over budget: Wilson interval ≈ [0.30, 0.70]
    data = frame([0.5] * 10 + [-0.1] * 10)
    row = bm.compare_with_benchmarks(data, _bench(value, high)).iloc[0]
    assert row["comparison"] == expected
    assert row["n"] == 20 and row["method"].startswith("share, Wilson")


def test_not_comparable_rows_are_kept_and_french_words(shipped):
    data = frame([0.5] * 10 + [-0.1] * 10)
    table = bm.compare_with_benchmarks(data, shipped, seed=0, lang="fr")
    assert len(table) == len(shipped)
    assert table.set_index("key").loc["amo_claim_roi", "comparison"] == "non comparable"


def test_sample_portfolio_mean_drift_against_flyvbjerg(shipped):
    data = load_portfolio(paths.SAMPLE_PORTFOLIO).data
    table = bm.compare_with_benchmarks(data, shipped, seed=0).set_index("key")
    row = table.loc["hbr2011_mean_cost_overrun"]
    assert row["estimate"] == pytest.approx(data["budget_drift"].mean())
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
