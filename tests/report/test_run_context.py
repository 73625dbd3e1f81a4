"""Tests for amo_analysis.report.run_context: `open_run` in its two modes, what a `RunContext`
writes into the run folder (records, tables, figures) and what it displays."""

from __future__ import annotations

import csv
import json
import re
import shutil

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from amo_analysis.errors import ContractError, InputError, Problem  # noqa: E402
from amo_analysis.ingest.portfolio import load_portfolio  # noqa: E402
from amo_analysis.paths import SAMPLE_PORTFOLIO  # noqa: E402
from amo_analysis.report.run_context import (
    RunContext,
    figure_description,
    open_run,  # noqa: E402
    svg_text,
)

NB = "07_test"


@pytest.fixture(scope="module")
def sample():
    return load_portfolio(SAMPLE_PORTFOLIO)


@pytest.fixture
def ctx(sample, tmp_path):
    return RunContext(portfolio=sample, notebook=NB, run_dir=tmp_path / "run")


@pytest.fixture
def shown(monkeypatch):
    """Everything passed to IPython's `display` (as the notebook would show it)."""
    import IPython.display

    calls = []
    monkeypatch.setattr(IPython.display, "display", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def figure(title="Budget drift"):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [0.1, 0.3, 0.2])
    ax.set_title(title)
    return fig


def files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- open_run


def test_open_run_by_hand_reads_the_sample_and_saves_nothing(tmp_path, monkeypatch, shown):
    monkeypatch.chdir(tmp_path)
    ctx = open_run("01_by_hand")
    assert ctx.run_dir is None and ctx.notebook == "01_by_hand"
    assert ctx.portfolio.source_name == SAMPLE_PORTFOLIO.name and ctx.portfolio.n_projects == 120
    assert ctx.data is ctx.portfolio.data and ctx.practice == "AMO"
    assert (ctx.lang, ctx.seed) == ("en", 0)
    ctx.save_table(pd.DataFrame({"a": ["=1+1"]}), "t")
    ctx.save_figure(figure(), "f")
    ctx.show_figure(figure(), "g", summary=True)
    ctx.record("x", 1.0)
    assert [r["name"] for r in ctx.records] == ["x"]  # kept in memory only
    assert list(tmp_path.iterdir()) == []
    assert len(shown) == 1  # the figure is still shown inline


def test_open_run_makes_the_run_folder_with_its_parents(tmp_path):
    run = tmp_path / "reports" / "run-1"
    ctx = open_run("01_x", data_source=str(SAMPLE_PORTFOLIO), run_dir=str(run), lang="fr", seed="7")
    assert run.is_dir() and ctx.run_dir == run
    assert (ctx.lang, ctx.seed) == ("fr", 7)
    assert list(run.iterdir()) == []  # nothing written before the notebook saves something


def test_open_run_reads_the_portfolio_the_runner_saved(sample, tmp_path):
    path = sample.save(tmp_path / "validated")
    # the validated Parquet wins over any data source
    ctx = open_run("02_x", portfolio_path=str(path), data_source=str(tmp_path / "absent.csv"))
    pd.testing.assert_frame_equal(ctx.data, sample.data)
    assert ctx.portfolio.checksum == sample.checksum


@pytest.mark.parametrize("threshold, registered", [(121, False), (120, True)])
def test_a_large_portfolio_frees_its_allocators_memory_after_each_cell(
    sample, tmp_path, monkeypatch, threshold, registered
):
    """From `DEFAULTS.release_memory_n` projects, `open_run` has the kernel give freed memory back after
    every cell (`memory.release_after_each_cell`); the sample has 120 projects."""
    import dataclasses

    from amo_analysis.defaults import DEFAULTS
    from amo_analysis.report import run_context

    calls = []
    monkeypatch.setattr(run_context, "DEFAULTS", dataclasses.replace(DEFAULTS, release_memory_n=threshold))
    monkeypatch.setattr(run_context, "release_after_each_cell", lambda: calls.append(1))
    open_run("02_x", portfolio_path=str(sample.save(tmp_path / "validated")))
    assert calls == ([1] if registered else [])


def test_open_run_with_a_mapping_names_the_practice(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('practice = { name = "PMO" }\ncost_unit = "hours"\n', encoding="utf-8")
    ctx = open_run("01_x", data_source=str(SAMPLE_PORTFOLIO), mapping=str(mapping))
    assert ctx.practice == "PMO" and ctx.portfolio.cost_unit == "hours"
    assert ctx.t("with") == "with PMO"
    ctx.lang = "fr"
    assert ctx.t("projects_with") == "projets avec PMO"
    assert ctx.t("no_such_key") == "no_such_key"


def test_open_run_raises_a_sentence_for_a_missing_source(tmp_path):
    with pytest.raises(InputError):
        open_run("01_x", data_source=str(tmp_path / "absent.csv"))


# --------------------------------------------------------------------------- records


def test_record_writes_the_notebook_records_file(ctx):
    rec = ctx.record(
        "drift.median",
        np.float64(0.25),
        ci_low=0.1,
        ci_high=float("nan"),
        n=np.int64(42),
        unit="fraction",
        label="median drift",
        method="exact",
    )
    path = ctx.run_dir / "results" / f"{NB}.json"
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk == [rec]
    assert rec["name"] == "drift.median" and rec["notebook"] == NB
    assert (rec["value"], rec["ci_low"], rec["ci_high"], rec["n"]) == (0.25, 0.1, None, 42)
    assert (rec["unit"], rec["label"], rec["method"]) == ("fraction", "median drift", "exact")
    assert type(rec["n"]) is int


def test_record_nan_value_is_null_and_same_name_replaces(ctx):
    ctx.record("a", 1.0)
    ctx.record("b", float("nan"))
    ctx.record("a", 2.0)  # replaces, moves last
    on_disk = json.loads((ctx.run_dir / "results" / f"{NB}.json").read_text(encoding="utf-8"))
    assert [(r["name"], r["value"]) for r in on_disk] == [("b", None), ("a", 2.0)]
    assert "NaN" not in (ctx.run_dir / "results" / f"{NB}.json").read_text(encoding="utf-8")


def test_record_without_write_waits_for_save_records(ctx):
    ctx.record("a", 1.0, write=False)
    assert not (ctx.run_dir / "results").exists()
    ctx.save_records()
    on_disk = json.loads((ctx.run_dir / "results" / f"{NB}.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in on_disk] == ["a"]


# --------------------------------------------------------------------------- tables

HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "plain", "a=b", "1-2"]


def test_save_table_writes_csv_and_xlsx_with_formulas_neutralised(ctx):
    table = pd.DataFrame({"text": HOSTILE, "number": [-1.5, 2, 3, 4, 5, 6, 7, -8]})
    before = table.copy()
    returned = ctx.save_table(table, "hostile")
    assert returned is table
    pd.testing.assert_frame_equal(table, before)  # the caller's frame is not changed
    assert files(ctx.run_dir) == [f"tables/{NB}_hostile.csv", f"tables/{NB}_hostile.xlsx"]
    expected = ["'" + v for v in HOSTILE[:5]] + HOSTILE[5:]

    with open(ctx.run_dir / "tables" / f"{NB}_hostile.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["text", "number"]
    assert [r[0] for r in rows[1:]] == expected
    assert [float(r[1]) for r in rows[1:]] == list(before["number"])  # numbers are not text: untouched

    wb = openpyxl.load_workbook(ctx.run_dir / "tables" / f"{NB}_hostile.xlsx")
    cells = [row for row in wb.active.iter_rows(min_row=2)]
    assert [c[0].value for c in cells] == expected
    assert all(c.data_type != "f" for row in cells for c in row)  # no formula anywhere
    assert [c[1].value for c in cells] == list(before["number"])


def test_save_table_neutralises_a_leading_carriage_return_in_xlsx(ctx):
    ctx.save_table(pd.DataFrame({"text": ["\r=1+1"]}), "cr")
    wb = openpyxl.load_workbook(ctx.run_dir / "tables" / f"{NB}_cr.xlsx")
    # (XML reads the carriage return back as a line feed)
    assert wb.active["A2"].value in ("'\r=1+1", "'\n=1+1") and wb.active["A2"].data_type == "s"


def test_save_table_csv_keeps_one_row_per_row_with_carriage_returns(ctx):
    ctx.save_table(pd.DataFrame({"text": ["\r=1+1", "note\r=1+1"], "n": [1, 2]}), "cr")
    with open(ctx.run_dir / "tables" / f"{NB}_cr.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 3
    assert not any(cell.startswith("=") for row in rows for cell in row)


def test_show_table_saves_when_named_and_escapes_user_text(ctx, shown):
    table = pd.DataFrame({"project": ["<script>alert(1)</script>"], "value": [0.123456]})
    ctx.show_table(table, "escaped")
    assert (ctx.run_dir / "tables" / f"{NB}_escaped.csv").exists()
    html = shown[0][0][0].to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    ctx.show_table(table)  # unnamed: shown only
    assert len(list((ctx.run_dir / "tables").iterdir())) == 2


# --------------------------------------------------------------------------- figures


def test_save_figure_writes_one_svg(ctx):
    fig = figure()
    assert ctx.save_figure(fig, "drift") is fig
    assert files(ctx.run_dir) == [f"figures/{NB}_drift.svg"]
    text = (ctx.run_dir / "figures" / f"{NB}_drift.svg").read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "</svg>" in text
    ctx.save_figure(fig, "given", svg="<svg>already rendered</svg>")
    assert (ctx.run_dir / "figures" / f"{NB}_given.svg").read_text(encoding="utf-8") == "<svg>already rendered</svg>"


def test_show_figure_saves_displays_with_alt_text_and_closes(ctx, shown):
    fig = figure("Budget drift")
    ctx.show_figure(fig, "drift")
    assert files(ctx.run_dir) == [f"figures/{NB}_drift.svg"]  # no summary: no record
    assert ctx.records == []
    assert not plt.fignum_exists(fig.number)
    ((args, kwargs),) = shown
    saved = (ctx.run_dir / "figures" / f"{NB}_drift.svg").read_text(encoding="utf-8")
    assert args[0] == {"image/svg+xml": saved}  # rendered once, the same SVG shown and saved
    assert kwargs["raw"] is True
    # the alt text, and the saved file the page opens full size on a click
    assert kwargs["metadata"] == {"image/svg+xml": {"alt": "Budget drift", "href": f"figures/{NB}_drift.svg"}}


def test_show_figure_summary_records_the_figure(ctx, shown):
    ctx.show_figure(figure(), "drift", summary=True)
    assert files(ctx.run_dir) == [f"figures/{NB}_drift.svg", f"results/{NB}.json"]
    (rec,) = json.loads((ctx.run_dir / "results" / f"{NB}.json").read_text(encoding="utf-8"))
    assert rec["name"] == f"figure.{NB}.drift" and rec["kind"] == "figure"
    assert rec["path"] == f"figures/{NB}_drift.svg" and rec["label"] == "drift"
    assert rec["value"] is None and rec["notebook"] == NB


def test_figure_description_titles_else_labels_else_name():
    fig, axes = plt.subplots(1, 3)
    axes[0].set_title("Drift")
    axes[1].set_title("Drift")  # repeated titles once
    axes[2].set_title("Slip")
    axes[2].set_xlabel("ignored when there are titles")
    assert figure_description(fig, "x") == "Drift · Slip"
    fig2, ax = plt.subplots()
    ax.set_xlabel("Projects")
    ax.set_ylabel("Share")
    assert figure_description(fig2, "x") == "Share · Projects"
    fig3, _ = plt.subplots()
    assert figure_description(fig3, "love_plot_by_group") == "love plot by group"


def test_svg_text_has_no_date_and_keeps_text_as_text():
    from amo_analysis.report.plots import apply_theme

    apply_theme()
    text = svg_text(figure("Cost ratio ∑"))
    assert "<dc:date>" not in text and not re.search(r"\b20\d\d-\d\d-\d\d", text)
    assert ">Cost ratio ∑</text>" in text


def test_svg_text_same_figure_same_text():
    fig = figure()
    assert svg_text(fig) == svg_text(fig)


# --------------------------------------------------------------------------- attempt


def test_attempt_returns_the_result(ctx, shown):
    assert ctx.attempt(lambda a, b=0: a + b, 2, b=3) == 5
    assert shown == []


@pytest.mark.parametrize(
    "error",
    [
        lambda text: InputError(text),
        lambda text: ContractError("data.csv", [Problem("data.csv", text)]),
    ],
    ids=["InputError", "ContractError"],
)
def test_attempt_shows_why_and_returns_none_on_input_error(ctx, shown, error):
    def needs_data():
        raise error("fewer than 10 projects <with> the practice")

    assert ctx.attempt(needs_data) is None
    ((args, _),) = shown
    html = args[0].data
    assert "Not estimated:" in html
    assert "fewer than 10 projects &lt;with&gt; the practice" in html


def test_attempt_does_not_swallow_other_errors(ctx, shown):
    def broken():
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        ctx.attempt(broken)
    assert shown == []


# --------------------------------------------------------------------------- removed run folder


@pytest.mark.parametrize(
    "save",
    [
        lambda c: c.save_table(pd.DataFrame({"a": [1]}), "t"),
        lambda c: c.save_figure(figure(), "f"),
        lambda c: c.record("x", 1.0),
    ],
    ids=["save_table", "save_figure", "record"],
)
def test_a_removed_run_folder_is_not_recreated(ctx, save):
    run = ctx.run_dir
    assert run.is_dir()
    shutil.rmtree(run)  # the runner removed an interrupted run; the kernel lives on
    with pytest.raises(FileNotFoundError):
        save(ctx)
    assert not run.exists()


def test_sub_folders_are_made_in_an_existing_run_folder(ctx):
    ctx.save_table(pd.DataFrame({"a": [1]}), "t")
    ctx.save_table(pd.DataFrame({"a": [2]}), "t")  # again: the sub-folder may exist
    ctx.save_figure(figure(), "f")
    ctx.record("x", 1.0)
    assert sorted(p.name for p in ctx.run_dir.iterdir()) == ["figures", "results", "tables"]
    assert pd.read_csv(ctx.run_dir / "tables" / f"{NB}_t.csv")["a"].tolist() == [2]


# --------------------------------------------------------------------------- show: the notebook contract


def test_show_a_finding_displays_saves_and_records_in_one_call(ctx, shown):
    from amo_analysis.findings import Finding

    table = pd.DataFrame({"estimate": [0.25], "n": [12]})
    records = [dict(name="demo.share", value=0.25, n=12, unit="fraction", label="share")]
    ctx.show(Finding(table, name="demo", records=records, text="One sentence under the table."))
    assert (ctx.run_dir / "tables" / f"{NB}_demo.csv").exists()
    saved = json.loads((ctx.run_dir / "results" / f"{NB}.json").read_text(encoding="utf-8"))
    assert [(r["name"], r["value"], r["notebook"]) for r in saved] == [("demo.share", 0.25, NB)]
    assert "One sentence under the table." in shown[-1][0][0].data


def test_show_a_finding_with_a_saved_table_saves_it_and_shows_the_other(ctx, shown):
    from amo_analysis.findings import Finding

    saved = pd.DataFrame({"model": ["with amo"], "estimate": [0.5]})
    table = pd.DataFrame({"model": ["avec la pratique"], "estimate": [0.5]})
    ctx.show(Finding(table, name="demo", saved=saved))
    assert pd.read_csv(ctx.run_dir / "tables" / f"{NB}_demo.csv")["model"].tolist() == ["with amo"]
    html = shown[-1][0][0].to_html()
    assert "avec la pratique" in html and "with amo" not in html
    ctx.show(Finding(table, saved=saved))  # no name: nothing saved
    assert files(ctx.run_dir / "tables") == [f"{NB}_demo.csv", f"{NB}_demo.xlsx"]


def test_show_unavailable_says_why_in_the_run_language_and_saves_nothing(sample, tmp_path, shown):
    from amo_analysis.findings import Unavailable
    from amo_analysis.i18n import Message

    french = RunContext(portfolio=sample, notebook=NB, run_dir=tmp_path / "run", lang="fr")
    french.show(Unavailable(Message("note_framing_score_computed")), "never_saved")
    html = shown[-1][0][0].data
    assert "Non estimé" in html or "non estimé" in html.lower()
    assert "calculé comme le nombre de oui" in html
    assert files(tmp_path / "run") == []


def test_show_dispatches_figures_tables_sentences_and_records(ctx, shown):
    ctx.show(figure(), "drift", summary=True)
    assert (ctx.run_dir / "figures" / f"{NB}_drift.svg").exists()
    ctx.show(pd.DataFrame({"value": [1.0]}), "plain")
    assert (ctx.run_dir / "tables" / f"{NB}_plain.csv").exists()
    ctx.show("A <b>sentence</b>.")
    assert "&lt;b&gt;" in shown[-1][0][0].data
    ctx.show([dict(name="x.y", value=1.0)])
    assert {r["name"] for r in ctx.records} >= {"figure.07_test.drift", "x.y"}
    ctx.show("")  # nothing to say: nothing shown
    ctx.show(None)
    with pytest.raises(TypeError, match="cannot show a set"):
        ctx.show({1, 2})


def test_show_markdown_renders_the_package_text_in_the_run_language(sample, tmp_path, shown):
    from amo_analysis.i18n import Message

    french = RunContext(portfolio=sample, notebook=NB, run_dir=tmp_path / "run", lang="fr")
    french.show(Message("note_framing_score_computed"), markdown=True)
    assert shown[-1][0][0].data.startswith("framing_score calculé")


def test_show_a_result_object_displays_it_as_jupyterlab_would(ctx, shown):
    class Rich:
        def _repr_html_(self):
            return "<table></table>"

    rich = Rich()
    ctx.show(rich)
    assert shown[-1][0][0] is rich
    assert not ctx.records  # a result object shown is not recorded


def test_a_glance_shows_the_first_rows_by_project_id_and_names_what_is_missing(ctx, shown):
    from amo_analysis.report.glance import rows_glance

    data = pd.DataFrame({"project_id": ["P3", "P1", "P2"], "budget_drift": [0.3, 0.1, 0.2], "amo": [True, False, True]})
    glance = rows_glance(data, ["amo", "budget_drift", "schedule_slip"], n=2)
    assert list(glance.table.columns) == ["project_id", "amo", "budget_drift"]
    assert list(glance.table["project_id"]) == ["P1", "P2"]
    assert "3 projects, 2 columns" in glance.text and "schedule_slip" in glance.text
    shuffled = rows_glance(data.iloc[::-1], ["amo", "budget_drift"], n=2)
    assert shuffled.table.equals(rows_glance(data, ["amo", "budget_drift"], n=2).table)  # row order does not matter
    ctx.show(glance)
    assert not ctx.records
