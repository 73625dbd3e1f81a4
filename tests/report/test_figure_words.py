"""The words drawn in figures come from the locale files (no language test in the plotting code)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from amo_analysis.analyses import framing  # noqa: E402
from amo_analysis.report import framing_plots, plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


BALANCE = pd.DataFrame(
    {"covariate": ["complexity", "log_budget"], "smd_unweighted": [0.3, -0.1], "smd_weighted": [0.05, 0.02]}
)


@pytest.mark.parametrize("lang, words", [("en", ["unweighted", "weighted"]), ("fr", ["non pondéré", "pondéré"])])
def test_love_plot_legend(lang, words):
    fig = plots.love_plot(BALANCE, lang)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == words


def risk_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "outcome": ["failed", "failed"],
            "model": ["adjusted + amo"] * 2,
            "label": ["Scope creep", "No business sponsor"],
            "estimate": [1.8, np.nan],
            "ci_low": [1.1, np.nan],
            "ci_high": [2.9, np.nan],
        }
    )


@pytest.mark.parametrize(
    "lang, axis, missing",
    [
        ("en", "risk ratio of failed (log scale)", "not estimable"),
        ("fr", "rapport de risques : échec (échelle log)", "non estimable"),
    ],
)
def test_forest_plot_words(lang, axis, missing):
    fig = framing_plots.risk_ratio_forest(risk_table(), lang=lang)
    assert fig.axes[0].get_xlabel() == axis
    assert missing in texts(fig)


def test_cooccurrence_heatmap_words():
    matrix = pd.DataFrame([[0.4, 0.1], [0.1, 0.3]], index=["a", "b"], columns=["a", "b"])
    fig = framing_plots.cooccurrence_heatmap(matrix, "fr")
    assert fig.axes[0].get_title() == "Écueils observés ensemble"
    assert fig.axes[1].get_ylabel() == "part des projets"  # the colour bar


def test_question_labels():
    assert framing.question_label("framing_score", "fr") == "Score de cadrage (par question)"
    assert framing.question_label(framing.WELL_FRAMED, "en") == "Well framed (score ≥ threshold)"
    assert framing.question_label("scope_creep", "fr") == "Dérive du périmètre"
    assert framing.question_label("scope_creep", "en") == "Scope creep"
    assert framing.question_label("unknown_code", "fr") == "unknown_code"


@pytest.mark.parametrize(
    "lang, ticks, axis",
    [
        ("en", ["P-1 – with PMO", "P-1 – without PMO"], "forecast final cost"),
        ("fr", ["P-1 – avec PMO", "P-1 – sans PMO"], "coût final prévu"),
    ],
)
def test_forecast_figure_words(lang, ticks, axis):
    table = pd.DataFrame(
        {
            "project_id": ["P-1", "P-1"],
            "amo": [True, False],
            "budget_planned": [100.0, 100.0],
            "cost_p50": [105.0, 112.0],
            "cost_p80": [118.0, 130.0],
        }
    )
    fig = plots.forecast_figure(table, lang, practice="PMO")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ticks
    assert fig.axes[0].get_xlabel() == axis
