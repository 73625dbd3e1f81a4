"""The Hill plot of notebook 01 (report.tail_plots): what it draws, its words in both languages."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from amo_analysis.findings import Unavailable  # noqa: E402
from amo_analysis.analyses import overruns  # noqa: E402
from amo_analysis.report import tail_plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def tail(n: int, alpha: float = 1.5, seed: int = 0, **kwargs) -> overruns.CostTail:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({"budget_planned": np.full(n, 100.0), "cost_actual": 100 * (1 + rng.pareto(alpha, n))})
    return overruns.cost_tail(data, bootstrap=50, **kwargs)


@pytest.mark.parametrize(
    "lang, title, x_label, chosen",
    [
        ("en", "Hill plot: tail of actual ÷ planned cost", "k: number of largest overruns used", "chosen k = {k}"),
        (
            "fr",
            "Graphique de Hill : queue du coût réel ÷ prévu",
            "k : nombre de plus grands dépassements utilisés",
            "k retenu = {k}",
        ),
    ],
)
def test_hill_plot_words_and_chosen_k(lang, title, x_label, chosen):
    fit = tail(300)
    fig = tail_plots.hill_figure(fit, lang)
    ax = fig.axes[0]
    assert ax.get_title() == title and ax.get_xlabel() == x_label
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith(chosen.format(k=fit.hill.k)) for t in legend)
    marker = [line for line in ax.get_lines() if line.get_marker() == "D"][0]
    assert marker.get_xdata()[0] == fit.hill.k and marker.get_ydata()[0] == pytest.approx(fit.hill.alpha)
    assert {1.0, 2.0} <= {line.get_ydata()[0] for line in ax.get_lines() if len(set(line.get_ydata())) == 1}


def test_long_hill_paths_are_thinned_and_drawn_on_a_log_axis():
    fit = tail(6000, max_tail=5000)
    ax = tail_plots.hill_figure(fit).axes[0]
    curve = [line for line in ax.get_lines() if len(line.get_xdata()) > 2][0]
    assert len(curve.get_xdata()) <= tail_plots.MAX_DRAWN and ax.get_xscale() == "log"
    assert curve.get_xdata()[-1] == fit.path["k"].iloc[-1]  # the whole range of k is still shown


def test_hill_plot_of_a_tail_not_estimated_is_its_reason():
    short = tail(5)
    drawn = tail_plots.hill_figure(short)
    assert isinstance(drawn, Unavailable) and not drawn and drawn.reason == short.why
