import base64
import json
import re

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from amo_analysis.report.html import build_index, export_notebook_html, external_references, format_value


def test_external_references_found():
    assert external_references('<script src="https://cdn.example/x.js"></script>')
    assert external_references("<link rel='stylesheet' href='//cdn.example/a.css'>")
    assert external_references("<style>@import url(https://fonts.example/css);</style>")
    assert external_references('<img src="http://x/y.png">')
    assert not external_references('<a href="https://example.org">a link is not a load</a>')
    assert not external_references('<img src="data:image/png;base64,AAAA">')


def _notebook(tmp_path):
    nb = new_notebook(
        cells=[
            new_markdown_cell("# My title\n\ntext"),
            new_code_cell(
                "secret_code_marker = 1\nprint('shown output')",
                outputs=[new_output("stream", name="stdout", text="shown output\n")],
            ),
        ]
    )
    path = tmp_path / "01_x.ipynb"
    nbformat.write(nb, path)
    return path


def test_export_hides_code_and_is_offline(tmp_path):
    path = _notebook(tmp_path)
    html = tmp_path / "01_x.html"
    title = export_notebook_html(path, html, footer="footer <b>text</b>", back_label="Summary")
    text = html.read_text(encoding="utf-8")
    assert title == "My title"
    assert "shown output" in text and "secret_code_marker" not in text
    assert external_references(text) == []
    assert "footer &lt;b&gt;text&lt;/b&gt;" in text
    assert "require.js" not in text and "mathjax" not in text.lower()


def test_index_escapes_user_text_and_formats_values(tmp_path):
    document = {
        "generated": {"at": "2026-01-01T00:00:00+00:00", "run_id": "x"},
        "package_version": "0.1.0",
        "run": {"parameters": {}, "sample": True},
        "provenance": {
            "source": "<script>alert(1)</script>.csv",
            "checksum": "sha256:ab",
            "n_projects": 3,
            "excluded_rows": [5],
            "personal_columns_dropped": [{"column": "Chef", "reason": "r"}],
            "detection": ["delimiter ';'"],
            "practice_name": "AMO",
            "cost_unit": "EUR",
        },
        "results": [
            {
                "name": "a",
                "label": "Drift <img src=x onerror=alert(1)>",
                "value": -0.18,
                "ci_low": -0.3,
                "ci_high": -0.05,
                "n": 24,
                "unit": "percent change",
                "method": "ols",
                "headline": True,
                "notebook": "01_x",
                "verdict": "supported",
            },
            {"name": "b", "label": "not shown", "value": 1.0, "unit": "count"},
        ],
    }
    path = build_index(tmp_path, document, [{"href": "01_x.html", "title": "Overview"}], "fr")
    text = path.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "&lt;script&gt;" in text
    assert "<img src=x" not in text
    assert "−18\u00a0%" in text and "not shown" not in text
    assert "synthétique" in text and "1 ligne(s)" in text
    assert external_references(text) == []
    assert json.dumps(document)  # the document is plain JSON


def test_format_value_by_unit():
    assert format_value(0.265, "percent change", "en") == "+26%"
    assert format_value(0.052, "percentage points", "en") == "+5.2 pp"
    assert format_value(75000, "cost", "en") == "€75,000"
    assert format_value(None, "fraction", "en") == "–"


def test_pages_keep_what_nbconvert_adds_figures_get_their_description(tmp_path):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5"/></svg>'
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Figures"),
            new_code_cell(
                "show()",
                outputs=[
                    new_output(
                        "display_data",
                        data={"image/svg+xml": svg},
                        metadata={"image/svg+xml": {"alt": "Budget drift · <with> & without"}},
                    ),
                    new_output("display_data", data={"image/png": "iVBORw0KGgo="}),
                    new_output("stream", name="stdout", text="text\n"),
                ],
            ),
        ]
    )
    path = tmp_path / "01_f.ipynb"
    nbformat.write(nb, path)
    html = tmp_path / "01_f.html"
    export_notebook_html(path, html, footer="", back_label="Summary")
    text = html.read_text(encoding="utf-8")
    images = re.findall(r"<img\b[^>]*>", text)
    assert len(images) == 2 and all(" alt=" in img for img in images)
    assert 'alt="Budget drift · &lt;with&gt; &amp; without"' in images[0]
    assert base64.b64encode(svg.encode()).decode() in images[0]
    areas = re.findall(r'<div class="[^"]*\bjp-OutputArea-output\b[^"]*"[^>]*>', text)
    assert len(areas) == 3 and all('tabindex="0"' in a for a in areas)


def test_a_figure_is_described_by_its_titles_else_its_labels_else_its_name():
    import matplotlib.pyplot as plt

    from amo_analysis.report.run_context import figure_description

    fig, axes = plt.subplots(1, 2)
    axes[0].set_title("Budget drift")
    axes[1].set_title("Schedule slip")
    assert figure_description(fig, "distributions") == "Budget drift · Schedule slip"
    fig2, ax = plt.subplots()
    ax.set_ylabel("Share")
    assert figure_description(fig2, "x") == "Share"
    fig3, _ = plt.subplots()
    assert figure_description(fig3, "love_plot") == "love plot"
    plt.close("all")
