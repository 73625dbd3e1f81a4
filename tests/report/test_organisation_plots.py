"""Notebook 07's figures: the forest plot (organisations, diamond, prediction interval, pooled projects)
and the peer dot-and-band figure; their words come from the locale files and name only who may be named."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402

from amo_analysis.analyses import organisations as org  # noqa: E402
from amo_analysis.i18n import translate  # noqa: E402
from amo_analysis.report import organisation_plots, show_organisations  # noqa: E402
from amo_analysis.report.run_context import svg_text  # noqa: E402

EFFECTS = pd.DataFrame(
    {
        "group": ["Acme", "Peer A", "Peer B"] * 3,
        "outcome": ["log_cost_ratio"] * 3 + ["log_duration_ratio"] * 3 + ["adoption_m3"] * 3,
        "estimate": [-0.3, -0.1, 0.05, -0.2, -0.1, 0.0, 0.2, 0.1, 0.15],
        "ci_low": [-0.5, -0.3, -0.1, -0.4, -0.3, -0.2, 0.05, -0.05, 0.0],
        "ci_high": [-0.1, 0.1, 0.2, 0.0, 0.1, 0.2, 0.35, 0.25, 0.3],
        "std_error": [0.1] * 9,
    }
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


@pytest.mark.parametrize(
    "lang, words",
    [
        ("en", ["random-effects pool", "prediction interval"]),
        ("fr", ["combinaison à effets aléatoires", "intervalle de prédiction"]),
    ],
)
def test_forest_plot_draws_organisations_diamond_and_prediction_interval(lang, words):
    meta = org.meta_analyses(EFFECTS)
    pooled = pd.DataFrame(
        {
            "outcome": list(org.META_OUTCOMES),
            "estimate": [-0.12, -0.08, 0.15],
            "ci_low": [-0.2, -0.15, 0.1],
            "ci_high": [-0.04, -0.01, 0.2],
        }
    )
    fig = organisation_plots.forest_plot(
        EFFECTS, meta, pooled, show_organisations.READINGS, show_organisations.OUTCOME_KEYS, lang, focus="Acme"
    )
    assert len(fig.axes) == 3
    shown = texts(fig)
    for word in ["Acme", "Peer A", "Peer B", *words]:
        assert word in shown, word
    assert sum(isinstance(p, Polygon) for ax in fig.axes for p in ax.patches) == 3  # one diamond per outcome
    svg = svg_text(fig)
    assert "Acme" in svg and "Peer B" in svg  # text kept as text: searchable for names


def test_peer_plot_marks_the_focus_and_each_percentile():
    table = pd.DataFrame(
        {
            "group": ["Acme", "Peer A", "Peer B"],
            "budget_drift_p50": [0.1, 0.2, -0.05],
            "budget_drift_p50_low": [0.0, 0.1, -0.1],
            "budget_drift_p50_high": [0.2, 0.3, 0.05],
            "schedule_slip_p50": [0.05, 0.1, 0.2],
            "schedule_slip_p50_low": [0.0, float("nan"), 0.1],
            "schedule_slip_p50_high": [0.1, 0.2, 0.3],
        }
    )
    peers = org.peer_positions(table)
    fig = organisation_plots.peer_plot(peers, "fr", focus="Acme", overall={"budget_drift": 0.1, "schedule_slip": 0.1})
    shown = texts(fig)
    assert "Acme (centile 50\u00a0%)" in shown and "Peer B (centile 17\u00a0%)" in shown  # budget drift
    assert "Acme (centile 17\u00a0%)" in shown  # schedule slip: the lowest median of three
    assert translate("budget_drift", "fr") in shown and translate("org_axis_median", "fr") in shown
