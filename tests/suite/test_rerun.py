"""Rerunning every quarter (#17), end to end through the command line: two runs of two exports of a
source with the same name, the second with `-f params.yaml`; `amo-analysis diff` shows the verdict
flips in text and JSON, the second summary shows "Since the previous run", `reports/index.html`
lists both runs, and the file set the ROI notebook's budget (and only its)."""

import json
import shutil

import nbformat

from amo_analysis.paths import SAMPLE_PORTFOLIO, SAMPLE_PORTFOLIO_24
from amo_analysis.report.html import external_references

FLIP = "Claim “with AMO: −18 % budget drift” (relative change): inconclusive → supported"


def _injected(notebook) -> str:
    nb = nbformat.read(notebook, as_version=4)
    return "".join(c.source for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))


def test_two_quarters_then_diff(tmp_path, run_cli):
    q1, q2, out = tmp_path / "q1", tmp_path / "q2", tmp_path / "reports"
    q1.mkdir(), q2.mkdir()
    shutil.copy(SAMPLE_PORTFOLIO_24, q1 / "portfolio.csv")  # 24 projects: the claims are inconclusive
    shutil.copy(SAMPLE_PORTFOLIO, q2 / "portfolio.csv")  # 120 projects: some become supported
    params = tmp_path / "params.yaml"
    params.write_text("# ROI of a bigger project\n05_roi_simulation:\n  budget: 120000\n", encoding="utf-8")
    only = ["--only", "02", "--only", "05"]
    first = run_cli("run", "--data", q1 / "portfolio.csv", "--out", out, *only)
    assert first.code == 0, first.err
    old_run = (out / "latest").resolve()
    second = run_cli("run", "--data", q2 / "portfolio.csv", "--out", out, "-f", params, *only)
    assert second.code == 0, second.err
    new_run = (out / "latest").resolve()
    assert old_run != new_run

    # the file set the ROI budget, for the ROI notebook only, and the run says so
    assert "budget = 120000" in _injected(new_run / "05_roi_simulation.ipynb")
    assert "budget" not in _injected(new_run / "02_amo_effects.ipynb")
    document = json.loads((new_run / "results.json").read_text(encoding="utf-8"))
    assert document["run"]["notebook_parameters"] == {"05_roi_simulation": {"budget": 120000}}
    summary = (new_run / "index.html").read_text(encoding="utf-8")
    assert "{&#39;budget&#39;: 120000}" in summary  # the footer names the values used

    # the diff, in text and JSON
    target = tmp_path / "diff.json"
    diff = run_cli("diff", old_run, new_run, "--json", target)
    assert diff.code == 0, diff.err
    assert FLIP in diff.out
    assert diff.out.index(FLIP) < diff.out.index("Other records that changed")
    assert "projects: 24 → 120" in diff.out
    entries = json.loads(target.read_text(encoding="utf-8"))
    flip = next(e for e in entries if e["name"] == "claim.amo_budget_drift.relative")
    assert (flip["old_verdict"], flip["new_verdict"]) == ("inconclusive", "supported")
    assert entries.index(flip) < next(i for i, e in enumerate(entries) if e["old_verdict"] == e["new_verdict"])

    # the second summary page: "Since the previous run", with the flip and a link to the old run
    assert "Since the previous run" in summary
    since = summary[summary.index("Since the previous run") :]
    assert f'href="../{old_run.name}/index.html"' in since
    assert "inconclusive → supported" in since
    first_summary = (old_run / "index.html").read_text(encoding="utf-8")
    assert "Since the previous run" not in first_summary

    # reports/index.html lists both runs, newest first, offline
    runs = (out / "index.html").read_text(encoding="utf-8")
    assert runs.index(f"{new_run.name}/index.html") < runs.index(f"{old_run.name}/index.html")
    assert external_references(runs) == []
