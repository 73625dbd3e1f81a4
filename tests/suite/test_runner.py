"""The runner end to end on the bundled sample: run folder, results.json, HTML, atomicity."""

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from amo_analysis.ingest.portfolio import PORTFOLIO_FILE, PROVENANCE_FILE, SHARED_TABLE_FILE
from amo_analysis.paths import NOTEBOOKS_DIR, SAMPLE_PORTFOLIO
from amo_analysis.report.html import external_references
from amo_analysis.suite.runner import list_notebooks, run_suite, start_order
from amo_analysis.suite.workers import THREAD_VARIABLES, NotebookFailed, child_environment


def test_run_writes_a_complete_folder(sample_run):
    out, outcome = sample_run
    run = outcome.run_dir
    assert run.parent == out and (out / "latest").resolve() == run.resolve()
    assert not list(out.glob(".*.partial"))
    for nb in list_notebooks():
        assert (run / nb.name).exists(), nb.name
        html = (run / nb.with_suffix(".html").name).read_text(encoding="utf-8")
        assert external_references(html) == []
        assert "Traceback" not in html
    index = (run / "index.html").read_text(encoding="utf-8")
    assert external_references(index) == []
    for nb in list_notebooks():
        assert f'href="{nb.stem}.html"' in index
    figures = sorted((run / "figures").glob("*.svg"))
    assert figures and not list((run / "figures").glob("*.png"))
    for svg in figures:  # each page shows exactly the figure saved for print
        stem = next(nb.stem for nb in list_notebooks() if svg.stem.startswith(f"{nb.stem}_"))
        page = (run / f"{stem}.html").read_text(encoding="utf-8")
        assert base64.b64encode(svg.read_bytes()).decode("ascii") in page, svg.name
    assert list((run / "tables").glob("*.csv")) and list((run / "tables").glob("*.xlsx"))


def test_results_json_carries_estimates_and_provenance(sample_run):
    _, outcome = sample_run
    doc = json.loads(outcome.results.read_text(encoding="utf-8"))
    assert doc["provenance"]["n_projects"] == 120
    assert doc["provenance"]["checksum"].startswith("sha256:")
    assert doc["package_version"] and doc["run"]["seed"] == 0 and doc["run"]["sample"] is True
    estimates = [r for r in doc["results"] if r.get("kind") != "figure"]
    assert estimates, "no estimate recorded"
    for rec in estimates:
        assert {"value", "ci_low", "ci_high", "n", "method", "unit"} <= set(rec), rec["name"]
    median = next(r for r in estimates if r["name"] == "budget_drift.p50.all")
    assert median["ci_low"] <= median["value"] <= median["ci_high"]


def test_same_input_and_seed_give_identical_results(sample_run, tmp_path):
    # The notebooks with random steps (bootstraps, permutations, Monte Carlo) run again, in another
    # process and folder, with the same seed: their records must equal the full run's exactly.
    _, full = sample_run
    again = run_suite(SAMPLE_PORTFOLIO, out=tmp_path, seed=0, only=["02", "05"])
    first, second = (json.loads(o.results.read_text(encoding="utf-8")) for o in (full, again))
    assert first["generated"]["run_id"] != "" and set(first) == set(second)
    stems = set(second["run"]["notebooks"])
    assert stems == {"02_amo_effects", "05_roi_simulation"}
    assert [r for r in first["results"] if r["notebook"] in stems] == second["results"]
    assert first["provenance"] == second["provenance"]


def _failing_notebooks(tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    shutil.copy(NOTEBOOKS_DIR / "01_portfolio_overview.ipynb", folder)
    cells = [
        new_markdown_cell("# Broken"),
        new_code_cell(
            "portfolio_path = None\nrun_dir = None\nlang = 'en'\nseed = 0", metadata={"tags": ["parameters"]}
        ),
        new_code_cell("x = 1"),
        new_code_cell("1 / 0"),
    ]
    meta = {
        "kernelspec": {"name": "amo-analysis", "display_name": "Python (amo-analysis)", "language": "python"},
        "language_info": {"name": "python"},
    }
    nbformat.write(new_notebook(cells=cells, metadata=meta), folder / "02_broken.ipynb")
    return folder


def test_failed_notebook_is_named_and_leaves_nothing(tmp_path):
    out = tmp_path / "reports"
    with pytest.raises(NotebookFailed, match=r"02_broken\.ipynb failed at cell .*ZeroDivisionError"):
        run_suite(SAMPLE_PORTFOLIO, out=out, notebooks_dir=_failing_notebooks(tmp_path))
    assert [p.name for p in out.iterdir()] == []


def test_sigterm_halfway_keeps_latest_on_previous_run(sample_run, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(sample_run[0], out, symlinks=True)
    before = os.readlink(out / "latest")
    proc = subprocess.Popen(
        [sys.executable, "-m", "amo_analysis", "run", "--data", str(SAMPLE_PORTFOLIO), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.glob(f".*.partial/data/{SHARED_TABLE_FILE}")):
        time.sleep(0.2)
    assert list(out.glob(".*.partial/data/portfolio.parquet")), "the run never started writing"
    assert list(out.glob(f".*.partial/data/{SHARED_TABLE_FILE}")), "no copy of the table for the kernels to share"
    time.sleep(3)  # the notebooks are running
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert not list(out.glob(".*.partial"))
    assert os.readlink(out / "latest") == before
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in sample_run[0].iterdir())


def test_the_published_run_holds_the_parquet_file_not_the_kernels_shared_copy(sample_run):
    data = sample_run[0] / "latest" / "data"
    assert sorted(p.name for p in data.iterdir()) == sorted([PORTFOLIO_FILE, PROVENANCE_FILE])


def test_heaviest_notebooks_start_first_and_reports_keep_suite_order(sample_run):
    suite = list_notebooks()
    # a large portfolio: the weights measured end to end at 10⁵ plus at 10⁶ projects (seconds: 02 32.8,
    # 08 15.2, 04 10.9, 03 10.8, 01 9.9, 07 8.5, 05 4.2, 06 2.7)
    started = start_order(suite)
    assert sorted(started) == suite
    assert [p.stem for p in started] == [
        "02_amo_effects",
        "08_article_claims",
        "04_new_project_forecast",
        "03_framing_and_pitfalls",
        "01_portfolio_overview",
        "07_organisations",
        "05_roi_simulation",
        "06_benchmark_report",
    ]
    # a small one: the weights measured on the bundled sample plus at 2,000 projects (seconds: 02 12.9,
    # 08 11.1, 03 7.5, 06 5.3, 01 4.8, 04 4.0, 07 3.7, 05 3.5)
    small = start_order(suite, n_projects=120)
    assert sorted(small) == suite
    assert [p.stem for p in small] == [
        "02_amo_effects",
        "08_article_claims",
        "03_framing_and_pitfalls",
        "06_benchmark_report",
        "01_portfolio_overview",
        "04_new_project_forecast",
        "07_organisations",
        "05_roi_simulation",
    ]
    assert start_order(suite, n_projects=50_000) == started
    index = sample_run[1].index.read_text(encoding="utf-8")
    positions = [index.find(f"{p.stem}.html") for p in suite]
    assert -1 not in positions and positions == sorted(positions)


def test_progress_is_reported_as_each_notebook_finishes(tmp_path):
    from amo_analysis.suite.runner import _execute_all, ensure_kernel

    meta = {
        "kernelspec": {"name": "amo-analysis", "display_name": "Python (amo-analysis)", "language": "python"},
        "language_info": {"name": "python"},
    }
    folder, out = tmp_path / "nbs", tmp_path / "out"
    folder.mkdir(), out.mkdir()
    for name, code in (("01_fast", "x = 1"), ("02_slow", "import time\ntime.sleep(8)")):
        nbformat.write(new_notebook(cells=[new_code_cell(code)], metadata=meta), folder / f"{name}.ipynb")
    heard = []
    _execute_all(
        sorted(folder.glob("*.ipynb")),
        out,
        {},
        ensure_kernel(),
        2,
        lambda message: heard.append((time.monotonic(), message)),
    )
    done = time.monotonic()
    assert [m.split()[1] for _, m in heard] == ["01_fast", "02_slow"]
    assert done - heard[0][0] > 4  # the fast one was announced while the slow one still ran


def test_notebooks_running_at_once_share_the_cores(monkeypatch):
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert {child_environment(4)[name] for name in THREAD_VARIABLES} == {"2"}
    assert child_environment(16)["OMP_NUM_THREADS"] == "1"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")  # the user's own setting wins
    assert child_environment(4)["OPENBLAS_NUM_THREADS"] == "3"


def test_only_selects_notebooks_and_rejects_unknown():
    assert [p.stem for p in list_notebooks(["01"])] == ["01_portfolio_overview"]
    from amo_analysis.errors import InputError

    with pytest.raises(InputError, match="no notebook called 99_nothing"):
        list_notebooks(["99_nothing"])


def test_notebooks_that_need_a_practice_say_so_and_are_skipped_without_one():
    from amo_analysis.suite.runner import notebook_needs, notebooks_to_skip

    suite = list_notebooks()
    needing = {nb.stem for nb in suite if "practice" in notebook_needs(nb)}
    assert needing == {"02_amo_effects", "03_framing_and_pitfalls", "05_roi_simulation"}  # 08 runs the readings it can
    many = pd.DataFrame({"organisation": ["a", "b"]})
    assert notebooks_to_skip(suite, SimpleNamespace(has_practice=True, data=many), "en") == {}
    skipped = notebooks_to_skip(suite, SimpleNamespace(has_practice=False, data=many), "fr")
    assert {nb.stem for nb in skipped} == needing
    one = notebooks_to_skip(suite, SimpleNamespace(has_practice=True, data=many.iloc[:1]), "en")
    assert [nb.stem for nb in one] == ["07_organisations"]
    sentence = skipped[NOTEBOOKS_DIR / "05_roi_simulation.ipynb"]
    assert sentence.startswith("« Retour sur investissement") and "colonne de pratique" in sentence


def test_only_notebooks_that_need_a_practice_without_one_is_an_input_error(it_dashboard, tmp_path):
    from amo_analysis.errors import InputError

    data, mapping, _ = it_dashboard
    with pytest.raises(InputError, match="was not run: the portfolio has no practice column"):
        run_suite(data, mapping=mapping, drop_invalid=True, out=tmp_path / "reports", only=["02"])
    assert not (tmp_path / "reports").exists() or not list((tmp_path / "reports").iterdir())


def test_stale_partial_folders_of_dead_runs_are_removed(tmp_path):
    from amo_analysis.suite.runner import PARTIAL_OWNER, STALE_PARTIAL_SECONDS, remove_stale_partials

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folders = {}
    for name, owner in (
        ("dead", str(dead.pid)),
        ("alive", str(os.getpid())),
        ("anonymous_old", None),
        ("anonymous_new", None),
    ):
        folder = tmp_path / f".20260101-000000-{name}.partial"
        (folder / "data").mkdir(parents=True)
        if owner:
            (folder / PARTIAL_OWNER).write_text(owner + "\n", encoding="utf-8")
        folders[name] = folder
    old = time.time() - STALE_PARTIAL_SECONDS - 60
    os.utime(folders["anonymous_old"], (old, old))
    (tmp_path / "20260101-000000-done").mkdir()  # a finished run is never touched
    removed = remove_stale_partials(tmp_path)
    assert sorted(p.name for p in removed) == sorted(folders[n].name for n in ("dead", "anonymous_old"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [folders["alive"].name, folders["anonymous_new"].name, "20260101-000000-done"]
    )


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="processes are found through /proc")
def test_killing_a_worker_kills_the_kernels_it_started():
    from amo_analysis.suite.workers import _alive, _children, _Worker

    # a kernel runs in a session of its own (jupyter_client), which a signal to the worker's group misses
    kernel = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        assert kernel.pid in _children(os.getpid())  # how the runner finds a worker's kernels
        worker = _Worker(child_environment(1))
        worker.kernels.add(kernel.pid)
        worker.kill()
        worker.close()
        worker.wait_kernels(10)
        kernel.wait(timeout=10)
        assert not _alive(kernel.pid) and worker.proc.poll() is not None
    finally:
        if kernel.poll() is None:
            kernel.kill()


def test_a_kernel_that_dies_before_its_first_reply_is_started_again(tmp_path, monkeypatch):
    import papermill

    from amo_analysis.suite import workers

    calls = []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) < workers.KERNEL_START_ATTEMPTS:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return "executed"

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    assert workers.execute_one(Path("x.ipynb"), tmp_path / "x.ipynb", {}, "k") == "executed"
    assert len(calls) == workers.KERNEL_START_ATTEMPTS

    def always(*args, **kwargs):
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(papermill, "execute_notebook", always)
    with pytest.raises(RuntimeError, match="kernel_info"):
        workers.execute_one(Path("x.ipynb"), tmp_path / "x.ipynb", {}, "k")

    def other(*args, **kwargs):  # any other error is not retried
        calls.append(args)
        raise RuntimeError("something else")

    calls.clear()
    monkeypatch.setattr(papermill, "execute_notebook", other)
    with pytest.raises(RuntimeError, match="something else"):
        workers.execute_one(Path("x.ipynb"), tmp_path / "x.ipynb", {}, "k")
    assert len(calls) == 1


def test_each_notebook_gets_only_the_parameters_it_declares(tmp_path):
    from amo_analysis.suite.runner import parameters_for

    given = {"portfolio_path": "p", "lang": "fr", "seed": 1, "focus": "beta", "claims_file": "c.toml"}
    organisations = parameters_for(NOTEBOOKS_DIR / "07_organisations.ipynb", given)
    assert organisations["focus"] == "beta" and "claims_file" not in organisations
    effects = parameters_for(NOTEBOOKS_DIR / "02_amo_effects.ipynb", given)
    assert effects["claims_file"] == "c.toml" and "focus" not in effects and effects["lang"] == "fr"
    bare = tmp_path / "bare.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), bare)
    assert parameters_for(bare, given) == given  # no parameters cell: papermill injects them all


def test_the_exploring_notebook_is_not_part_of_the_report():
    """`notebooks/explore.ipynb` is for an analyst in JupyterLab: the runner (the published report)
    takes the `NN_*.ipynb` notebooks only, while `notebook_tools refresh` keeps it fresh (nbval)."""
    from amo_analysis.errors import InputError
    from amo_analysis.suite import notebook_tools

    explore = NOTEBOOKS_DIR / "explore.ipynb"
    assert explore.exists()
    assert explore not in list_notebooks()
    assert all(p.name[:2].isdigit() for p in list_notebooks())
    with pytest.raises(InputError, match="no notebook called explore"):
        list_notebooks(["explore"])
    assert explore in notebook_tools._to_refresh(None)
    assert notebook_tools._to_refresh(["explore.ipynb"]) == [explore]
    assert notebook_tools._to_refresh(["01", "explore"]) == [NOTEBOOKS_DIR / "01_portfolio_overview.ipynb", explore]


def test_the_summary_page_needs_no_import_beyond_those_made_while_the_notebooks_run(sample_run, tmp_path):
    """The runner imports `SUMMARY_MODULES` in a thread while the notebooks run, so the summary page is
    written as soon as the last one is done (0.9 s of imports otherwise paid after it). Writing the
    page of a finished run — the key figures, the comparison with the previous run, the runs index —
    then imports no module of the package nor of scipy or statsmodels."""
    out, outcome = sample_run
    run_dir = tmp_path / "copy"
    shutil.copytree(outcome.run_dir, run_dir)
    probe = f"""
import json, sys
from pathlib import Path
from amo_analysis.suite import runner
runner._import_summary_modules()
before = set(sys.modules)
from amo_analysis.report.html import build_index
from amo_analysis.suite.diff import since_previous
from amo_analysis.report.runs_index import build_runs_index
run_dir = Path({str(run_dir)!r})
document = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
reports = [{{"href": p.name, "title": p.stem}} for p in sorted(run_dir.glob("0*.html"))]
build_index(run_dir, document, reports, "en", previous=since_previous(run_dir, document, "en"))
build_runs_index(run_dir.parent, "en")
new = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in ("amo_analysis", "scipy", "statsmodels"))
print(json.dumps(new))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_validating_a_source_loads_no_plotting_or_modelling_library(tmp_path):
    """While the runner validates the source its workers import the scientific stack on the same CPUs:
    what the runner has imported when it hands out the first notebook (reading, the contract, the
    parameters' columns) includes neither matplotlib nor statsmodels (it took 1.5 s of CPU more when
    it did; the summary page's modules load afterwards, in a thread, and are left out here)."""
    probe = f"""
import sys, json
from amo_analysis.paths import SAMPLE_PORTFOLIO
from amo_analysis.suite import runner
seen = []
def stop(*args, **kwargs):
    seen.extend(m for m in ("matplotlib", "statsmodels", "seaborn", "scipy.stats") if m in sys.modules)
    raise KeyboardInterrupt
runner._execute_all = stop
runner._import_summary_modules = lambda: None
try:
    runner.run_suite(SAMPLE_PORTFOLIO, out={str(tmp_path / "out")!r})
except KeyboardInterrupt:
    print(json.dumps(seen))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_writing_the_summary_page_imports_neither_scipy_nor_statsmodels():
    """The runner imports the summary page's modules while the notebooks run, on the cores their
    kernels use, then writes the page after the last one: importing scipy and statsmodels there
    (through `analyses.overview` and `analyses.stability`) cost 1.0 s of CPU, and 0.9 s after the
    last notebook when a claim's verdict rested on one project."""
    code = (
        "import importlib, sys\n"
        "from amo_analysis.suite import runner\n"
        "for name in runner.SUMMARY_MODULES: importlib.import_module(name)\n"
        "from amo_analysis.report.show_stability import stability_sentence\n"
        "record = {'stability': 'rests on one project', 'decisive': ['P-7'], 'decisive_verdict': 'supported'}\n"
        "assert 'P-7' in stability_sentence(record, 'en')\n"
        "print(sorted(m for m in ('scipy', 'statsmodels', 'matplotlib') if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
