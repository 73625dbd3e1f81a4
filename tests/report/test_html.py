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
                    new_output(
                        "display_data",
                        data={"image/svg+xml": svg},
                        metadata={"image/svg+xml": {"alt": "Slip", "href": "figures/01_f_slip.svg"}},
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
    assert len(images) == 3 and all(" alt=" in img for img in images)
    assert 'alt="Budget drift · &lt;with&gt; &amp; without"' in images[0]
    assert base64.b64encode(svg.encode()).decode() in images[0]
    areas = re.findall(r'<div class="[^"]*\bjp-OutputArea-output\b[^"]*"[^>]*>', text)
    assert len(areas) == 4 and all('tabindex="0"' in a for a in areas)
    # a figure the run saved opens full size on a click; one it did not save is shown alone
    assert re.findall(r'<a class="full-size" href="([^"]+)"><img', text) == ["figures/01_f_slip.svg"]
    # figures scale to the column (no scrolling box hides their right part)
    assert re.search(r"\.jp-RenderedSVG img, body\.jp-Notebook \.jp-RenderedImage img \{\s*max-width: 100%", text)


def test_pages_equal_what_nbconvert_itself_makes(tmp_path):
    """The page exporter skips nbconvert's BeautifulSoup pass and makes its two changes on the text
    (`report.html._page_exporter_class`): the page must be the one nbconvert's own HTMLExporter makes,
    attribute order aside, so that an nbconvert upgrade changing that pass fails here."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    from amo_analysis.report.html import _configured, _notebook_exporter

    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5"/></svg>'
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Figures\n\nSome *text* & <b>markup</b>."),
            new_code_cell(
                "show()",
                outputs=[
                    new_output("display_data", data={"image/svg+xml": svg}, metadata={"image/svg+xml": {"alt": "A"}}),
                    new_output("display_data", data={"image/png": "iVBORw0KGgo="}),
                    new_output("display_data", data={"text/html": "<table><tr><td>1</td></tr></table>"}),
                    new_output("stream", name="stdout", text="text\n"),
                ],
            ),
        ],
        metadata={"language_info": {"name": "python"}},
    )
    ours, stock = _notebook_exporter(), _configured(HTMLExporter)
    resources = {"metadata": {"name": "Figures"}, "amo_footer": "f", "amo_back": "b", "amo_nav": None}

    def canonical(html: str) -> str:
        soup = BeautifulSoup(html, features="html.parser")
        for tag in soup.find_all(True):
            tag.attrs = dict(sorted(tag.attrs.items()))
        return str(soup)

    page, _ = ours.from_notebook_node(nbformat.from_dict(nb), resources=dict(resources))
    reference, _ = stock.from_notebook_node(nbformat.from_dict(nb), resources=dict(resources))
    assert canonical(page) == canonical(reference)
    assert page.count('tabindex="0"') == reference.count('tabindex="0"') >= 4  # the 4 output areas
    assert type(ours).from_notebook_node is not HTMLExporter.from_notebook_node


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


def test_p_values_read_below_one_thousandth():
    from amo_analysis.report.html import format_p_value

    assert format_p_value(0.0004) == "<\u00a00.001" and format_p_value(0.0004, "fr") == "<\u00a00,001"
    assert format_p_value(0.0123) == "0.012" and format_value(0.0, "p-value", "en") == "<\u00a00.001"
    assert format_p_value(None) == "–"


def _summary_document():
    claim = {
        "name": "claim.amo_delay.relative",
        "label": "Claim “with AMO: −16 % delay” (relative change)",
        "value": -0.12,
        "ci_low": -0.41,
        "ci_high": 0.30,
        "n": 24,
        "unit": "percent change",
        "headline": True,
        "notebook": "02_x",
        "verdict": "inconclusive",
        "claimed": -0.16,
        "projects_needed": 162,
    }
    pp = dict(claim, name="claim.amo_delay.pp", label="Claim “with AMO: −16 % delay” (percentage points)")
    pp.update(unit="percentage points", verdict="supported")
    p80 = {
        "name": "budget_drift.p80.all",
        "label": "budget drift, P80",
        "value": 0.355,
        "ci_low": 0.27,
        "ci_high": 0.52,
        "n": 115,
        "unit": "fraction",
        "headline": True,
        "notebook": "01_x",
    }
    note = {"key": "note_framing_score_computed", "text": "framing_score computed as …", "values": {}}
    return {
        "generated": {"at": "2026-04-01T00:00:00+00:00", "run_id": "r2"},
        "package_version": "0.1.0",
        "run": {"parameters": {}, "notebook_parameters": {"05_roi_simulation": {"budget": 120000}}},
        "provenance": {
            "source": "p.csv",
            "checksum": "sha256:ab",
            "n_projects": 24,
            "practice_name": "AMO",
            "cost_unit": "EUR",
            "detection": ["delimiter ';'"],
            "notes_translatable": [note],
        },
        "results": [claim, pp, p80],
    }


def test_summary_gives_the_answer_first_with_words_not_colour_alone(tmp_path):
    reports = [{"href": "01_x.html", "title": "Overview"}, {"href": "02_x.html", "title": "Effects: the details"}]
    previous = {
        "href": "../r1/index.html",
        "run_id": "r1",
        "generated": "2026-01-01",
        "inputs": ["projects"],
        "flips": [{"label": "Claim delay", "old": "supported", "new": "inconclusive"}],
        "moves": [{"label": "P80", "old": "30%", "new": "36%", "change": "+6.0 pp"}],
        "n_changed": 2,
    }
    text = build_index(tmp_path, _summary_document(), reports, "en", previous=previous).read_text(encoding="utf-8")
    answer, since, table = (text.index(s) for s in ('id="answer"', 'id="since-previous"', 'id="key-figures"'))
    assert answer < since < table  # the answer, then what changed, then the details
    card = text[answer:since]
    assert ">AMO: −16 % delay</a>" in card and ">inconclusive<" in card  # short title, the verdict as a word
    assert "Projects run with AMO are said to finish" in card or "AMO" in card  # the paraphrase on its card
    assert 'id="verdicts"' in card and card.index('id="verdicts"') < card.index('class="card claim"')
    assert "−12%" in card and "(95% interval: −41% to +30%)" in card and "Claimed: −16%" in card
    assert "About 162 projects would be needed" in card and "supported" in card  # the other reading
    assert "Eight projects in ten finished with a budget drift below 36%" in card
    assert '<details id="key-figures">' in text and '<details id="data-quality">' in text
    assert 'href="../r1/index.html"' in text[since:table] and "supported → inconclusive" in text[since:table]
    assert '<nav class="amo-nav"' in text and 'aria-current="page">Summary' in text
    assert 'rel="next" href="01_x.html"' in text and "Effects</a>" in text  # short titles in the bar
    assert "05_roi_simulation: <code>{&#39;budget&#39;: 120000}</code>" in text
    assert "@media print" in text and external_references(text) == []
    french = build_index(tmp_path, _summary_document(), reports, "fr").read_text(encoding="utf-8")
    assert "framing_score calculé comme le nombre de oui" in french
    assert "framing_score computed" not in french  # the loader's note in the report's language
    assert "non concluante" in french and "Synthèse" in french and "since-previous" not in french


def test_notebook_pages_carry_the_navigation_bar(tmp_path):
    path = _notebook(tmp_path)
    html = tmp_path / "01_x.html"
    nav = [
        {"href": "01_x.html", "title": "My title", "number": "01"},
        {"href": "02_y.html", "title": "Next one", "number": "02"},
    ]
    export_notebook_html(path, html, footer="", back_label="Summary", nav=nav, lang="fr")
    text = html.read_text(encoding="utf-8")
    assert 'rel="prev" href="index.html"' in text and 'rel="next" href="02_y.html"' in text
    assert 'href="01_x.html" aria-current="page"' in text and 'href="../index.html"' in text
    assert "Synthèse" in text and "Suivant" in text


def test_a_label_splits_into_claim_and_reading_brackets_inside_included():
    from amo_analysis.report.summary_claims import split_label

    assert split_label("Claim “x” (relative change)") == ("Claim “x”", "relative change")
    label = "Claim “y.” (Dependence on one integrator: percent change of the median (run_cost), adjusted)"
    assert split_label(label) == (
        "Claim “y.”",
        "Dependence on one integrator: percent change of the median (run_cost), adjusted",
    )
    assert split_label("Risk ratio of failure, framing score ≥ 7 vs below") == (
        "Risk ratio of failure, framing score ≥ 7 vs below",
        "",
    )
    assert split_label("unbalanced)") == ("unbalanced)", "")


def test_each_claim_once_short_titles_no_record_name_and_the_stability_when_recorded():
    from amo_analysis.report.summary_claims import claim_cards

    def rec(name, label, verdict="supported", notebook="08_x", **extra):
        base = dict(name=name, label=label, value=0.2, ci_low=0.1, ci_high=0.3, n=40, unit="fraction")
        return dict(base, headline=True, verdict=verdict, notebook=notebook, **extra)

    records = [
        rec(
            "pitfalls.scope_creep_drift",
            "adjusted percent change with scope creep",
            notebook="03_x",
            claim_key="scope_creep_drift",
        ),
        rec("framing.failure_rr.well_framed", "Risk ratio of failure", notebook="03_x", claim_key="framing_failure_rr"),
        rec(
            "claim.scope_creep_drift.relative",
            "Claim “A scope …” (Scope creep: change of the median (drift), adjusted)",
            stability="stable",
            decisive=[],
        ),
        rec("claim.integrator_lockin_cost.relative", "Claim “Relying …” (Dependence: change (budget drift), adjusted)"),
        rec(
            "claim.integrator_lockin_cost.run_cost",
            "Claim “Relying …” (Dependence: change (run_cost), adjusted)",
            verdict="inconclusive",
            testable=False,
            value=None,
            ci_low=None,
            ci_high=None,
            note="not testable on this portfolio: no column run_cost",
            decisive=["PRJ-0041"],
        ),
    ]
    rows, cards = claim_cards(records, "en", "EUR")
    # scope creep once (notebook 08's reading, not 03's), the framing claim from 03 (08 did not record it)
    assert [c["title"] for c in cards] == [
        "Scope creep: budget 20–30 % over",
        "One integrator: hidden costs",
        "Ten framing questions: half the failures",
    ]
    assert cards[0]["paraphrase"].startswith("A scope that keeps growing")
    assert [r["claim"] for r in rows] == [cards[0]["title"], cards[1]["title"], "", cards[2]["title"]]
    assert [r["rowspan"] for r in rows] == [1, 2, 0, 1]
    assert (
        rows[0]["reading"] == "" and rows[2]["reading"] == "change (run_cost), adjusted"
    )  # the pitfall is in the title
    assert rows[2]["verdict"] == "not testable" and rows[2]["value"] == "–" and rows[2]["interval"] == ""
    assert rows[0]["stability"] == "no single project"  # the leave-one-out check's short word, through the locale
    assert rows[2]["stability"] == "one project" and rows[3]["stability"] == ""  # from `decisive`
    assert cards[1]["others"][0]["reading"] == "Dependence: change (run_cost), adjusted"
    assert not re.search(r"\b(claim|pitfalls|framing)\.[a-z_]+", repr(rows) + repr(cards))  # no record name
    rows_fr, cards_fr = claim_cards(records, "fr", "EUR")
    assert cards_fr[0]["title"] == "Périmètre qui dérive : budget +20 à 30 %"
    assert cards_fr[0]["paraphrase"] != cards[0]["paraphrase"] and rows_fr[2]["verdict"] == "non testable"


def test_the_verdict_table_says_notebook_08_readings_in_a_few_words():
    from amo_analysis.i18n import translate
    from amo_analysis.report.summary_claims import _short_readings

    for lang in ("en", "fr"):
        page = [translate(k, lang) for k in ("ac_forecast_margin_chance_with", "ac_margin_share_share_of_all")]
        short = _short_readings(page, lang)
        assert short == [
            translate("summary_reading_forecast_margin_chance_with", lang),
            translate("summary_reading_margin_share_share_of_all", lang),
        ]
        assert all(len(s) < 0.6 * len(p) for s, p in zip(short, page, strict=True))
    assert _short_readings(["Scope creep: a", "Scope creep: b"], "en") == ["a", "b"]
    assert _short_readings(["Scope creep : a", "Scope creep : b"], "fr") == ["a", "b"]
    assert _short_readings(["A: a", "B: b"], "en") == ["A: a", "B: b"]  # nothing common: kept whole
