"""The reading surface of `EffectResult` (summary, HTML, summary_frame, conf_int, repr, the kept model) and
the method registry of amo_analysis.stats.effects."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

from amo_analysis.i18n import localise
from amo_analysis.stats import weighting
from amo_analysis.stats.effects import (
    METHODS,
    REGISTRY,
    SUBSAMPLED_METHODS,
    EffectError,
    EffectResult,
    estimate_effect,
)


@pytest.fixture(scope="module")
def data():
    """x1 confounds treatment and outcome; y = 1 + 0.5·t + x1 + N(0, 1); `share` in (0, 1), `cost` > 0;
    `org` 25 clusters; a covariate whose name is HTML."""
    rng = np.random.default_rng(11)
    n = 240
    x1 = rng.normal(size=n)
    t = rng.random(n) < expit(0.6 * x1)
    y = 1 + 0.5 * t + x1 + rng.normal(size=n)
    return pd.DataFrame(
        {
            "y": y,
            "t": t,
            "x1": x1,
            "<b>x</b>": rng.normal(size=n),
            "share": expit(0.4 * t + 0.5 * x1 + 0.3 * rng.normal(size=n)),
            "cost": np.exp(0.2 * t + 0.3 * x1 + 0.4 * rng.normal(size=n)),
            "org": np.arange(n) % 25,
        }
    )


@pytest.fixture(scope="module")
def ols(data):
    return estimate_effect(data, "y", "t", ["x1"], method="ols")


#: one call per method and interval construction: (method, outcome, options)
ANALYTIC = [
    ("ols", "y", {}),
    ("ols", "y", {"cov_type": "HC3", "cluster": "org"}),
    ("difference", "y", {"cluster": "org"}),
    ("difference", "y", {"large_n": 100}),
    ("ipw", "y", {}),
    ("ipw", "y", {"small_sample": False}),
    ("aipw", "y", {"cluster": "org"}),
    ("quantile", "y", {}),
    ("fractional_logit", "share", {}),
    ("log_linear", "cost", {}),
    ("log_linear", "cost", {"small_sample": False}),
    ("log_linear", "cost", {"cluster": "org"}),
]
RESAMPLED = [
    ("difference", "y", {"n_resamples": 199, "permutation_resamples": 199}),
    ("ipw", "y", {"ci": "bootstrap", "n_resamples": 49}),
    ("quantile", "y", {"ci": "bootstrap", "n_resamples": 49}),
]


def fit(data, method, outcome, options, **more):
    options = dict(options)
    cluster = options.pop("cluster", None)
    return estimate_effect(
        data,
        outcome,
        "t",
        [] if method == "difference" else ["x1"],
        method=method,
        cluster=cluster,
        seed=4,
        **options,
        **more,
    )


# --------------------------------------------------------------------------------------------
# summary, HTML, summary_frame, repr
# --------------------------------------------------------------------------------------------


def test_summary_contains_the_numbers_and_the_labels(ols):
    text = ols.summary()
    assert len(text.splitlines()) >= 10
    for number in (ols.estimate, ols.std_error, ols.ci_low, ols.ci_high, ols.p_value):
        assert f"{number:.4g}" in text
    assert f"{ols.n} ({ols.n_treated} treated, {ols.n_control} untreated)" in text
    assert "Effect of t on y" in text and "ols — ATE" in text and "95% interval" in text
    assert ols.details["se_type"] in text and f"t({ols.details['df']:g}) reference" in text
    assert re.search(r"^Covariates +x1$", text, re.M)


def test_summary_lists_the_notes(data):
    res = estimate_effect(data, "y", "t", ["x1"], method="difference", n_resamples=99, permutation_resamples=99)
    text = res.summary()
    assert res.notes and "Notes:" in text
    assert all(f"  - {note}" in text for note in res.notes)
    assert re.search(r"^Covariates +none$", text, re.M)
    french = res.summary("fr")  # the notes in the report's language (issue 13)
    assert all(f"  - {localise(note, 'fr')}" in french for note in res.notes)
    assert "ignores covariates" in text and "ignores covariates" not in french


def test_html_is_a_table_that_escapes_every_text(data):
    res = estimate_effect(data, "y", "t", ["x1", "<b>x</b>"], method="ols")
    page = res._repr_html_()
    assert page.startswith("<table>") and page.endswith("</table>")
    assert page.count("<tr>") >= 10 and f"{res.estimate:.4g}" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>" not in page
    noted = replace(res, notes=["a < b & c"])
    assert "a &lt; b &amp; c" in noted._repr_html_()


def test_summary_frame_is_one_row_with_the_result_values(ols):
    frame = ols.summary_frame()
    assert frame.shape[0] == 1
    row = frame.iloc[0]
    for key in ("estimate", "std_error", "ci_low", "ci_high", "p_value", "conf_level"):
        assert row[key] == getattr(ols, key), key
    assert (row["n"], row["n_treated"], row["n_control"]) == (ols.n, ols.n_treated, ols.n_control)
    assert (row["method"], row["outcome"], row["treatment"]) == ("ols", "y", "t")
    assert row["df"] == ols.details["df"] and row["se_type"] == ols.details["se_type"]


def test_summary_frame_of_a_hand_made_result_has_nan_for_what_is_missing():
    res = EffectResult("y", "t", "ols", "ATE", 1.0, 0.5, 1.5, 0.01, None, 10, 5, 5, "difference", ())
    row = res.summary_frame().iloc[0]
    assert math.isnan(row["std_error"]) and math.isnan(row["df"]) and row["estimate"] == 1.0


def test_repr_is_one_short_line(data, ols):
    text = repr(ols)
    assert text == (f"<EffectResult ols ATE y: {ols.estimate:.3f} [{ols.ci_low:.3f}, {ols.ci_high:.3f}] n={ols.n}>")
    long = estimate_effect(data.rename(columns={"y": "y" * 120}), "y" * 120, "t", ["x1"], method="ipw", trim=(0.1, 0.9))
    assert "\n" not in repr(long) and len(repr(long)) < 150
    assert len(long.estimand) > 40  # the estimand of a trimmed estimate is long: shortened in the repr


def test_summary_states_the_model(data, ols):
    text = ols.summary()
    assert re.search(r"^Model +y ~ t \+ x1$", text, re.M)
    assert re.search(r"^Estimator +OLS regression adjustment", text, re.M)
    assert re.search(r"^Clusters +none", text, re.M) and re.search(r"^Covariance +HC2", text, re.M)
    clustered = estimate_effect(data.assign(g=np.arange(len(data)) % 12), "y", "t", ["x1"], cluster="g")
    assert re.search(r"^Clusters +12$", clustered.summary(), re.M) and "CR2" in clustered.summary()


def test_a_log_outcome_shows_its_percent_change_beside_the_log_difference(data):
    logged = estimate_effect(data.assign(log_y=data["y"]), "log_y", "t", ["x1"])
    assert logged.log_outcome and not estimate_effect(data, "y", "t", ["x1"]).log_outcome
    pct = f"{math.expm1(logged.estimate):+.1%} [{math.expm1(logged.ci_low):+.1%}, {math.expm1(logged.ci_high):+.1%}]"
    assert f"Percent change  {pct}" in logged.summary() and "natural log" in logged.summary()
    assert f"= {pct} as exp(d) − 1" in repr(logged) and len(repr(logged)) < 200
    converted = logged.as_percent_change()
    assert f"{converted.estimate:.4g}" in converted.summary() and "Log difference" in converted.summary()
    assert f"{logged.estimate:.4g} [{logged.ci_low:.4g}, {logged.ci_high:.4g}]" in converted.summary()
    assert "Percent change  " not in converted.summary()  # already a percent change
    assert logged.to_dict() == estimate_effect(data.assign(log_y=data["y"]), "log_y", "t", ["x1"]).to_dict()


def test_summary_is_text_that_shows_as_html(ols):
    summary = ols.summary()
    assert isinstance(summary, str) and summary._repr_html_() == ols._repr_html_()


# --------------------------------------------------------------------------------------------
# conf_int
# --------------------------------------------------------------------------------------------


def test_conf_int_of_ols_at_90_percent_is_t_based_and_narrower(ols):
    low, high = ols.conf_int(0.10)
    crit = stats.t.ppf(0.95, ols.details["df"])
    assert low == pytest.approx(ols.estimate - crit * ols.std_error, rel=1e-12)
    assert high == pytest.approx(ols.estimate + crit * ols.std_error, rel=1e-12)
    assert ols.conf_int() == (ols.ci_low, ols.ci_high) == ols.conf_int(0.05)
    assert ols.ci_low < low < ols.estimate < high < ols.ci_high


@pytest.mark.parametrize("method, outcome, options", ANALYTIC)
def test_conf_int_rebuilds_the_stored_interval_of_every_analytic_method(data, method, outcome, options):
    # asked at 95 % the stored interval comes back as is, so ask a hair away from it: the rebuilt
    # interval (t or normal reference, log scale for a percent change) must be the stored one
    res = fit(data, method, outcome, options)
    low, high = res.conf_int(0.05 + 1e-10)
    assert (low, high) == (pytest.approx(res.ci_low, rel=1e-6), pytest.approx(res.ci_high, rel=1e-6))
    assert res.conf_int(0.2)[1] - res.conf_int(0.2)[0] < res.ci_high - res.ci_low


def test_conf_int_of_a_percent_change_is_rebuilt_on_the_log_scale(data):
    res = estimate_effect(data, "cost", "t", ["x1"], method="log_linear", small_sample=False)
    log = res.details["log_scale"]
    z = stats.norm.ppf(0.95)
    assert res.conf_int(0.10) == (
        pytest.approx(math.expm1(log["estimate"] - z * log["std_error"])),
        pytest.approx(math.expm1(log["estimate"] + z * log["std_error"])),
    )
    relative = estimate_effect(data.assign(log_cost=np.log(data["cost"])), "log_cost", "t", ["x1"]).as_percent_change()
    low, high = relative.conf_int(0.05 + 1e-10)
    assert (low, high) == (pytest.approx(relative.ci_low, rel=1e-6), pytest.approx(relative.ci_high, rel=1e-6))


@pytest.mark.parametrize("method, outcome, options", RESAMPLED)
def test_conf_int_of_a_bootstrap_interval_exists_at_its_level_only(data, method, outcome, options):
    res = fit(data, method, outcome, options)
    assert "bootstrap" in res.reference.kind
    assert res.conf_int(0.05) == (res.ci_low, res.ci_high)
    with pytest.raises(EffectError, match=r"comes from a .*bootstrap construction .* conf_level=0.9"):
        res.conf_int(0.10)
    at_90 = fit(data, method, outcome, options, conf_level=0.9)
    assert at_90.conf_int(0.10) == (at_90.ci_low, at_90.ci_high)


def test_conf_int_refuses_a_bad_alpha_and_an_unknown_construction(ols):
    with pytest.raises(EffectError, match="alpha must be between 0 and 1"):
        ols.conf_int(1.5)
    hand_made = EffectResult("y", "t", "ols", "ATE", 1.0, 0.5, 1.5, 0.01, 0.25, 10, 5, 5, "difference", ())
    assert hand_made.conf_int(0.05) == (0.5, 1.5)
    with pytest.raises(EffectError, match="unrecorded construction"):
        hand_made.conf_int(0.10)


# --------------------------------------------------------------------------------------------
# details shape, the kept model
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method, outcome, options", ANALYTIC + RESAMPLED)
def test_every_method_says_how_its_standard_error_was_computed(data, method, outcome, options):
    res = fit(data, method, outcome, options)
    assert res.se_type and res.se_type != "not recorded"
    resampled_difference = method == "difference" and "bootstrap_method" in res.details
    # the resampling difference keeps its historical details (to_dict() is a contract); the rest record it
    assert ("se_type" in res.details) != resampled_difference
    if res.reference.kind == "t" and "welch_df" not in res.details and method != "quantile":
        assert res.details["df"] == res.reference.df
    if options.get("cluster"):
        assert res.details["n_clusters"] == 25


def test_the_fitted_model_is_kept_but_not_serialised_compared_or_shown(data, ols):
    assert ols.model is not None and "model" not in ols.to_dict() and "reference" not in ols.to_dict()
    assert float(ols.model.params[1]) == ols.estimate
    assert replace(ols, model=None, reference=None) == ols
    assert "model" not in repr(ols)
    ipw = estimate_effect(data, "y", "t", ["x1"], method="ipw")
    assert isinstance(ipw.model, weighting.MEstimate) and ipw.model.effect == ipw.estimate
    glm = estimate_effect(data, "cost", "t", ["x1"], method="log_linear")
    assert math.expm1(float(glm.model.params[1])) == pytest.approx(glm.estimate)


def test_to_dict_keys_are_unchanged_by_the_reading_surface(ols):
    assert list(ols.to_dict()) == [
        "outcome",
        "treatment",
        "method",
        "estimand",
        "estimate",
        "ci_low",
        "ci_high",
        "p_value",
        "std_error",
        "n",
        "n_treated",
        "n_control",
        "scale",
        "covariates",
        "conf_level",
        "notes",
        "details",
    ]


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------


def test_every_method_has_exactly_one_registry_entry():
    assert tuple(REGISTRY) == METHODS and len(set(METHODS)) == len(METHODS)
    for name, method in REGISTRY.items():
        assert method.name == name and callable(method.fit) and method.doc
    assert SUBSAMPLED_METHODS == tuple(name for name, m in REGISTRY.items() if m.subsample_words)
    assert set(SUBSAMPLED_METHODS) == {"ipw", "aipw", "quantile", "fractional_logit", "log_linear"}
    assert [name for name, m in REGISTRY.items() if not m.uses_covariates] == ["difference"]


def test_registry_defaults_are_read_only():
    with pytest.raises(TypeError):
        REGISTRY["ols"].options["cov_type"] = "HC0"
    with pytest.raises(TypeError):
        REGISTRY["magic"] = REGISTRY["ols"]
    assert REGISTRY["ols"].options["cov_type"] == "HC2"


def test_unknown_option_and_method_keep_their_messages(data):
    with pytest.raises(EffectError) as caught:
        estimate_effect(data, "y", "t", ["x1"], method="ols", trim=1)
    assert str(caught.value) == (
        "Option 'trim' is not used by method 'ols'; its options are: cov_type, min_clusters, few_clusters."
    )
    with pytest.raises(EffectError) as caught:
        estimate_effect(data, "y", "t", method="magic")
    assert str(caught.value) == (
        "Unknown method 'magic'; choose one of: difference, ols, ipw, aipw, quantile, fractional_logit, log_linear."
    )


def test_the_help_of_estimate_effect_lists_every_method_with_its_defaults():
    doc = " ".join(estimate_effect.__doc__.split())
    for name, method in REGISTRY.items():
        assert f"{name} (" in doc
        for key, value in method.options.items():
            assert f"{key}={value!r}" in doc, (name, key)
