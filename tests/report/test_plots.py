"""Figures: point layers stay vector on small portfolios and become one image on large ones."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from amo_analysis.analyses import overview
from amo_analysis.report import plots
from amo_analysis.report.run_context import svg_text
from amo_analysis.ingest.metrics import derive_metrics
from amo_analysis.synth import make_portfolio
from amo_analysis.ingest.model_columns import with_model_columns


@pytest.mark.parametrize("n", [120, 3000])
def test_point_layers_are_vector_up_to_vector_points_then_an_image(n):
    data = with_model_columns(derive_metrics(make_portfolio(n, 3)))
    fig = plots.outcome_distributions(data, overview.OUTCOMES, overview.group_labels(data, "AMO"), "en", 0)
    svg = svg_text(fig)
    plt.close(fig)
    points = min(n, plots.MAX_POINTS)
    assert ("<image" in svg) is (points > plots.VECTOR_POINTS)
    # a vector point is one <use> element per marker; an image layer keeps the file small
    assert svg.count("<use ") >= (points if points <= plots.VECTOR_POINTS else 0)
    assert len(svg) < 250_000


def test_long_group_names_are_wrapped_so_they_do_not_overlap():
    from amo_analysis.report.plots import LABEL_WIDTH, wrap_label

    label = wrap_label("with Even agency code (placebo)")
    assert label == "with Even agency\ncode (placebo)" and all(len(line) <= LABEL_WIDTH for line in label.splitlines())
    assert wrap_label("with AMO") == "with AMO" and wrap_label("Supercalifragilisticexpialidocious") == (
        "Supercalifragilisticexpialidocious"
    )
    data = pd.DataFrame({"budget_drift": [0.1, 0.2, 0.3, 0.4]})
    groups = pd.Series(["with Even agency code (placebo)", "without Even agency code (placebo)"] * 2)
    fig = plots.outcome_distributions(data, ["budget_drift"], groups)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["with Even agency\ncode (placebo)", "without Even\nagency code\n(placebo)"]
