"""Tests for amo_analysis.synth: determinism, contract, planted effects, tails, CSV format, bundled files."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from amo_analysis import paths
from amo_analysis.ingest import columns
from amo_analysis.errors import InputError
from amo_analysis.synth import FRENCH_LABELS, PlantedEffects, make_portfolio, write_bundled_samples, write_portfolio_csv

# synth writes every input column but the computed score and the spend to date of running projects
EXPECTED_COLUMNS = [
    c.name for c in columns.COLUMNS if c.role != "derived" and c.name not in ("framing_score", "cost_to_date")
]
NO_MEDIATION = PlantedEffects(amo_framing_answer_prob=0.0, amo_pitfall_reduction=0.0)


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return make_portfolio(20_000, seed=11)


@pytest.fixture(scope="module")
def big_random() -> pd.DataFrame:
    return make_portfolio(20_000, seed=12, effects=PlantedEffects(confounding=0.0))


def _with_outcomes(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(
        lcr=np.log(df.cost_actual / df.budget_planned),
        lb=np.log(df.budget_planned),
        ldr=np.log(df.duration_actual_days / df.duration_planned_days),
        drift=df.cost_actual / df.budget_planned - 1,
        framing=df[list(columns.FRAMING_COLUMNS)].sum(axis=1),
    )


# ---- determinism ------------------------------------------------------------------------------------
def test_same_seed_gives_identical_frame_and_attrs():
    a, b = make_portfolio(300, seed=5), make_portfolio(300, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs == b.attrs


def test_different_seeds_differ():
    a, b = make_portfolio(300, seed=5), make_portfolio(300, seed=6)
    assert not a["budget_planned"].equals(b["budget_planned"])
    assert not a["amo"].equals(b["amo"])


# ---- contract ------------------------------------------------------------------------------------------
def test_columns_and_types_follow_the_catalogue():
    df = make_portfolio(500, seed=1)
    assert list(df.columns) == EXPECTED_COLUMNS
    for name in df.columns:
        kind = columns.BY_NAME[name].kind
        s = df[name]
        if kind == "bool":
            assert s.dtype == bool, name
        elif kind == "date":
            assert pd.api.types.is_datetime64_any_dtype(s), name
        elif kind == "float":
            assert s.dtype == np.float64, name
        elif kind == "int":
            assert pd.api.types.is_integer_dtype(s), name
        elif kind == "category":
            assert isinstance(s.dtype, pd.CategoricalDtype), name
        elif kind == "id":
            assert pd.api.types.is_string_dtype(s), name
    assert df["project_id"].is_unique and df["project_id"].iloc[0] == "PRJ-0001"
    assert set(df["status"].unique()) <= set(columns.STATUSES)


def test_values_respect_catalogue_bounds_and_ranges(big):
    for col in columns.COLUMNS:
        if col.name not in big.columns or col.kind not in ("float", "int"):
            continue
        s = big[col.name].dropna()
        if col.min_value is not None:
            assert (s > col.min_value).all() if not col.min_inclusive else (s >= col.min_value).all(), col.name
        if col.max_value is not None:
            assert (s <= col.max_value).all(), col.name
    assert big.budget_planned.between(20_000, 10_000_000).all()
    assert 200_000 <= big.budget_planned.median() <= 300_000
    assert big.duration_planned_days.between(90, 900).all()
    # complexity and planned duration increase with budget
    lb = np.log(big.budget_planned)
    assert np.corrcoef(lb, big.complexity)[0, 1] > 0.5
    assert np.corrcoef(lb, np.log(big.duration_planned_days))[0, 1] > 0.5
    assert set(big.project_type.unique()) == {
        "ERP",
        "CRM",
        "Custom development",
        "Infrastructure",
        "Data/BI",
        "Web portal",
    }


def test_missing_values_follow_status_and_dates_are_consistent(big):
    ongoing, cancelled, completed = (big.status == s for s in ("ongoing", "cancelled", "completed"))
    for name in ("cost_actual", "duration_actual_days", "golive_actual", "adoption_m3"):
        assert big.loc[ongoing, name].isna().all(), name
        assert big.loc[completed, name].notna().all(), name
    assert big.loc[cancelled, "cost_actual"].notna().all()
    for name in ("duration_actual_days", "golive_actual", "adoption_m3"):
        assert big.loc[cancelled, name].isna().all(), name
    assert big.amo_cost.notna().eq(big.amo).all()
    share = big.amo_cost / big.budget_planned
    assert share.dropna().between(0.045, 0.155).all()
    days = (big.golive_planned - big.start_date).dt.days
    assert (days == big.duration_planned_days).all()
    done = big[completed]
    assert ((done.golive_actual - done.start_date).dt.days == done.duration_actual_days).all()


def test_status_shares(big):
    shares = big.status.value_counts(normalize=True)
    # sampling SE of a 5 % share with n = 20 000 is 0.0015; tolerances are about 4 SE
    assert abs(shares["ongoing"] - 0.05) < 0.007
    assert abs(shares["cancelled"] - 0.04) < 0.007
    other = make_portfolio(20_000, seed=2, share_unfinished=0.20, share_cancelled=0.10).status
    shares = other.value_counts(normalize=True)
    assert abs(shares["ongoing"] - 0.20) < 0.012 and abs(shares["cancelled"] - 0.10) < 0.012


def test_bad_parameters_raise_clear_errors(tmp_path):
    with pytest.raises(InputError, match="at least 1"):
        make_portfolio(0)
    with pytest.raises(InputError, match="share_unfinished"):
        make_portfolio(10, share_unfinished=1.5)
    with pytest.raises(InputError, match="style"):
        write_portfolio_csv(make_portfolio(5), tmp_path / "x.csv", style="de")
    with pytest.raises(ValueError, match="pitfall"):
        PlantedEffects(pitfall_log_cost=(0.1, 0.2))
    with pytest.raises(ValueError, match="outside"):
        PlantedEffects(amo_framing_answer_prob=0.5)


# ---- confounding -------------------------------------------------------------------------------------
def test_confounding_present_only_when_asked(big, big_random):
    def gap(df):
        lb = np.log(df.budget_planned)
        return lb[df.amo].mean() - lb[~df.amo].mean()

    # SE of the gap is about 0.9 * sqrt(1/8000 + 1/12000) = 0.013
    assert gap(big) > 0.5
    assert abs(gap(big_random)) < 0.05
    assert abs(big_random.amo.mean() - 0.4134) < 0.015  # expit(-0.35)

    # confounded: the naive difference in log cost ratio is biased upwards (unfavourable to AMO) by a lot
    d = _with_outcomes(big).dropna(subset=["lcr"])
    naive = d.lcr[d.amo].mean() - d.lcr[~d.amo].mean()
    assert naive > big.attrs["true_effects"]["log_cost_ratio"]["ate"] + 0.1
    # at random: the naive difference recovers the truth (SE about 0.006 with this heavy tail; 4 SE)
    r = _with_outcomes(big_random).dropna(subset=["lcr"])
    naive_r = r.lcr[r.amo].mean() - r.lcr[~r.amo].mean()
    assert abs(naive_r - big_random.attrs["true_effects"]["log_cost_ratio"]["ate"]) < 0.025


# ---- planted effects -------------------------------------------------------------------------------
def test_true_effects_equal_planted_without_mediation():
    df = make_portfolio(5_000, seed=3, effects=NO_MEDIATION)
    te = df.attrs["true_effects"]
    # without mediation every project's effect is the planted one, up to rounding cost to the euro,
    # durations to the day and adoption to 3 decimals
    assert te["log_cost_ratio"]["ate"] == pytest.approx(-0.15, abs=1e-4)
    assert te["log_cost_ratio"]["att"] == pytest.approx(-0.15, abs=1e-4)
    assert te["log_duration_ratio"]["ate"] == pytest.approx(-0.12, abs=2e-3)
    assert te["adoption_logit"]["ate"] == pytest.approx(0.8, abs=0.01)
    assert te["cost_ratio_pct_change"]["ate"] == pytest.approx(np.expm1(te["log_cost_ratio"]["ate"]))
    assert df.attrs["direct_effects"]["log_cost"] == pytest.approx(-0.15)
    assert df.attrs["planted_effects"] == dataclasses.asdict(NO_MEDIATION)


def test_true_effects_match_documented_total_with_mediation(big):
    te = big.attrs["true_effects"]
    eff = PlantedEffects()
    # individual effects vary through the mediators (sd about 0.05): SE of the mean about 0.0004
    assert te["log_cost_ratio"]["ate"] == pytest.approx(eff.amo_log_cost, abs=0.003)
    assert te["log_duration_ratio"]["ate"] == pytest.approx(eff.amo_log_duration, abs=0.003)
    assert te["adoption_logit"]["ate"] == pytest.approx(eff.amo_adoption_logit, abs=0.02)
    assert te["adoption_m3"]["ate"] > 0.05 and te["budget_drift"]["ate"] < -0.05
    assert te["log_cost_ratio"]["n"] == int((big.status != "ongoing").sum())
    assert te["adoption_m3"]["n_treated"] == int((big.amo & (big.status == "completed")).sum())
    direct = big.attrs["direct_effects"]["log_cost"]
    assert direct == pytest.approx(eff.amo_log_cost - eff.mediated("log_cost"))
    assert eff.mediated("log_cost") < 0  # AMO helps also through framing and fewer pitfalls


def test_correct_adjustment_recovers_total_and_direct_effects():
    df = _with_outcomes(make_portfolio(40_000, seed=21)).dropna(subset=["lcr"])
    eff = PlantedEffects()
    x = "lb + complexity + C(project_type) + C(organisation)"
    total = smf.ols(f"lcr ~ amo + {x}", df).fit()
    # 4 standard errors: a correctly specified OLS is unbiased by construction
    assert (
        abs(total.params["amo[T.True]"] - df.attrs["true_effects"]["log_cost_ratio"]["ate"])
        < 4 * total.bse["amo[T.True]"]
    )
    pit = " + ".join(columns.PITFALL_COLUMNS)
    med = smf.ols(f"lcr ~ amo + framing + {pit} + {x}", df).fit()
    for term, planted in (
        ("amo[T.True]", eff.direct("log_cost")),
        ("framing", eff.framing_log_cost_per_question),
        ("scope_creep[T.True]", eff.pitfall_log_cost[0]),
        ("integrator_lockin[T.True]", eff.pitfall_log_cost[3]),
    ):
        assert abs(med.params[term] - planted) < 4 * med.bse[term], term
    # the naive comparison is far off
    naive = smf.ols("lcr ~ amo", df).fit()
    assert naive.params["amo[T.True]"] - eff.amo_log_cost > 10 * naive.bse["amo[T.True]"]


def test_amo_raises_framing_and_lowers_pitfalls(big_random):
    g = _with_outcomes(big_random).groupby("amo")
    framing = g.framing.mean()
    assert framing[True] - framing[False] == pytest.approx(10 * 0.12, abs=0.1)
    scope = g.scope_creep.mean()
    assert scope[True] < scope[False] - 0.08
    assert 0.4 < big_random.scope_creep.mean() < 0.6


# ---- fat tails --------------------------------------------------------------------------------------
def test_drift_has_a_fat_right_tail(big_random):
    drift = _with_outcomes(big_random).query("status == 'completed'").drift
    q = drift.quantile([0.10, 0.25, 0.50, 0.75, 0.90, 0.99])
    iqr = q[0.75] - q[0.25]
    normal_p90, normal_p99 = 1.2816 / 1.349 * iqr, 2.3263 / 1.349 * iqr  # normal with the same IQR
    assert q[0.90] - q[0.50] > 1.2 * normal_p90
    assert q[0.99] - q[0.50] > 2.5 * normal_p99
    assert q[0.90] - q[0.50] > q[0.50] - q[0.10]  # skewed to overruns
    # a normal with this median and IQR puts about 0.4 % above +100 %; the planted jump about 5 %
    assert 0.03 < (drift > 1.0).mean() < 0.09


def test_slip_correlated_with_drift(big_random):
    d = _with_outcomes(big_random).dropna(subset=["ldr"])
    assert np.corrcoef(d.lcr, d.ldr)[0, 1] > 0.4


# ---- CSV ----------------------------------------------------------------------------------------------
def _read_back(path, style):
    if style == "fr":
        raw = pd.read_csv(path, sep=";", decimal=",", encoding="cp1252", keep_default_na=True)
        yes, no, fmt = "oui", "non", "%d/%m/%Y"
    else:
        raw = pd.read_csv(path, sep=",", decimal=".", encoding="utf-8")
        yes, no, fmt = "yes", "no", "%Y-%m-%d"
    header = "header_fr" if style == "fr" else "header_en"
    raw.columns = [next(c.name for c in columns.COLUMNS if getattr(c, header) == h) for h in raw.columns]
    for name in raw.columns:
        kind = columns.BY_NAME[name].kind
        if kind == "bool":
            assert set(raw[name].unique()) <= {yes, no}, name
            raw[name] = raw[name].eq(yes)
        elif kind == "date":
            raw[name] = pd.to_datetime(raw[name], format=fmt).astype("datetime64[us]")
        elif name in FRENCH_LABELS and style == "fr":
            back = {v: k for k, v in FRENCH_LABELS[name].items()}
            raw[name] = raw[name].map(back)
    return raw


@pytest.mark.parametrize("style", ["fr", "en"])
def test_csv_round_trip(tmp_path, style):
    df = make_portfolio(150, seed=4, share_unfinished=0.1, share_cancelled=0.1)
    path = tmp_path / f"p_{style}.csv"
    write_portfolio_csv(df, path, style=style)
    data = path.read_bytes()
    if style == "fr":
        assert data.count(b"\r\n") == len(df) + 1 and data.count(b"\n") == len(df) + 1
        assert "Budget prévu".encode("cp1252") in data
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        first = data.decode("cp1252").splitlines()[1].split(";")
        assert first[1] in ("oui", "non") and "/" in first[6]
    else:
        assert b"\r\n" not in data and b"Planned budget" in data
    back = _read_back(path, style)
    expected = df.copy()
    for name in ("organisation", "sector", "project_type", "status", "project_id"):
        expected[name] = expected[name].astype(str)
        back[name] = back[name].astype(str)
    expected["complexity"] = expected["complexity"].astype("int64")
    for name in (
        "budget_planned",
        "cost_actual",
        "duration_planned_days",
        "duration_actual_days",
        "adoption_m3",
        "amo_cost",
        "team_size",
    ):
        back[name] = back[name].astype(float)
    pd.testing.assert_frame_equal(back, expected.reset_index(drop=True), check_categorical=False)


def test_fr_csv_decimal_comma_and_blank_missing(tmp_path):
    df = make_portfolio(80, seed=9, share_unfinished=0.3)
    path = tmp_path / "p.csv"
    write_portfolio_csv(df, path, style="fr")
    lines = path.read_bytes().decode("cp1252").split("\r\n")
    header = lines[0].split(";")
    adoption = header.index(columns.BY_NAME["adoption_m3"].header_fr)
    values = [line.split(";")[adoption] for line in lines[1:] if line]
    assert any("," in v for v in values) and not any("." in v for v in values)
    assert "" in values  # ongoing projects have no adoption
    statuses = {line.split(";")[header.index("Statut")] for line in lines[1:] if line}
    assert statuses <= {"terminé", "annulé", "en cours"} and "en cours" in statuses


# ---- bundled files ------------------------------------------------------------------------------------
def test_bundled_samples_are_in_sync(tmp_path):
    written = write_bundled_samples(tmp_path)
    for key, committed in (
        ("sample_portfolio", paths.SAMPLE_PORTFOLIO),
        ("sample_portfolio_24", paths.SAMPLE_PORTFOLIO_24),
    ):
        assert committed.exists(), f"{committed} missing: run write_bundled_samples()"
        assert written[key].read_bytes() == committed.read_bytes(), (
            f"{committed.name} differs from a regeneration: run write_bundled_samples() and commit"
        )


def test_bundled_sample_shows_the_intended_picture():
    df = _read_back(paths.SAMPLE_PORTFOLIO, "fr")
    assert len(df) == 120 and len(_read_back(paths.SAMPLE_PORTFOLIO_24, "fr")) == 24
    d = _with_outcomes(df)
    assert d.lb[d.amo].mean() - d.lb[~d.amo].mean() > 0.5  # AMO projects are bigger
    c = d.dropna(subset=["lcr"])
    assert c.lcr[c.amo].mean() - c.lcr[~c.amo].mean() > 0  # naive comparison unfavourable
    fit = smf.ols("lcr ~ amo + lb + complexity + C(project_type) + C(organisation)", c).fit(cov_type="HC3")
    assert fit.params["amo[T.True]"] < -0.1 and fit.pvalues["amo[T.True]"] < 0.05


# ---- scale --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_one_million_projects_under_ten_seconds():
    start = time.perf_counter()
    df = make_portfolio(1_000_000, seed=0)
    elapsed = time.perf_counter() - start
    assert len(df) == 1_000_000 and df["project_id"].is_unique
    assert df["project_id"].iloc[-1] == "PRJ-1000000"
    assert elapsed < 10, f"1e6 projects took {elapsed:.1f} s"


def test_data_readme_states_the_true_effects_of_the_bundled_files():
    from amo_analysis.synth import SAMPLE_24_SEED, SAMPLE_SEED

    text = (paths.DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in text.lower()
    assert f"--seed {SAMPLE_SEED} " in text and f"--seed {SAMPLE_24_SEED} " in text
    rows = {line.split("|")[1].strip(" `"): line for line in text.splitlines() if line.startswith("| `")}
    for n, seed, cells in ((120, SAMPLE_SEED, slice(2, 4)), (24, SAMPLE_24_SEED, slice(4, 6))):
        for outcome, values in make_portfolio(n, seed).attrs["true_effects"].items():
            got = [c.strip() for c in rows[outcome].split("|")[cells]]
            assert got == [f"{values['ate']:+.3f}", f"{values['att']:+.3f}"], (n, outcome)
