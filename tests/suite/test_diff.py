"""`amo-analysis diff OLD NEW`: verdict flips first, then the other changes; float noise ignored;
`--all`, `--json`; inputs that differ; unreadable or mismatched runs are one sentence and exit 2."""

import json

import pytest

from amo_analysis.errors import InputError
from amo_analysis.suite.diff import diff_documents, describe, previous_run_summary, read_results
from tests.conftest import assert_one_sentence_error


def record(name, value, low=None, high=None, verdict=None, unit="percent change", **extra):
    rec = {"name": name, "label": name.replace(".", " "), "value": value, "ci_low": low, "ci_high": high}
    rec.update(unit=unit, method="m", n=24, notebook="02_amo_effects", headline=True, **extra)
    if verdict:
        rec["verdict"] = verdict
    return rec


def document(records, checksum="sha256:aa", n=24, parameters=None, version="0.1.0", run_id="r1"):
    return {
        "generated": {"at": "2026-01-01T00:00:00+00:00", "run_id": run_id},
        "package_version": version,
        "run": {"lang": "en", "seed": 0, "parameters": parameters or {}},
        "provenance": {"source": "p.csv", "checksum": checksum, "n_projects": n, "practice_name": "AMO"},
        "results": records,
    }


OLD = document(
    [
        record("claim.amo_budget_drift.relative", -0.15, -0.25, -0.04, "supported"),
        record("effect.log_cost_ratio.ols.pct", -0.15, -0.25, -0.04),
        record("budget_drift.p80.all", 0.355, 0.275, 0.52, unit="fraction"),
        record("roi.saving", 3000.0, -4000.0, 11000.0, unit="cost"),
        record("only.old", 1.0, unit="count"),
        {"name": "figure.02_amo_effects.forest", "kind": "figure", "value": None, "path": "figures/a.svg"},
    ]
)
NEW = document(
    [
        record("claim.amo_budget_drift.relative", -0.12, -0.41, 0.32, "inconclusive"),
        record("effect.log_cost_ratio.ols.pct", -0.15 + 1e-12, -0.25, -0.04),  # float noise only
        record("budget_drift.p80.all", 0.40, 0.30, 0.60, unit="fraction"),
        record("roi.saving", 3000.0, -4000.0, 12000.0, unit="cost"),  # only the interval moved
        record("only.new", 2.0, unit="count"),
        {"name": "figure.02_amo_effects.forest", "kind": "figure", "value": None, "path": "figures/b.svg"},
    ],
    checksum="sha256:bb",
    n=120,
    parameters={"budget": 120000},
    run_id="r2",
)


def test_flips_come_first_then_the_largest_moves_and_noise_is_ignored():
    diff = diff_documents(OLD, NEW)
    names = [c.name for c in diff.changes]
    assert names[0] == "claim.amo_budget_drift.relative" and diff.changes[0].flipped
    assert "effect.log_cost_ratio.ols.pct" not in names  # 1e-12 is float noise
    assert "roi.saving" in names  # the interval moved
    assert not any(n.startswith("figure.") for n in names)
    assert {"only.new", "only.old"} <= set(names)
    assert names.index("budget_drift.p80.all") < names.index("only.new")  # numbers that moved before the rest
    drift = next(c for c in diff.changes if c.name == "budget_drift.p80.all")
    assert drift.change == pytest.approx(0.045) and drift.old_ci == [0.275, 0.52] and drift.new_ci == [0.30, 0.60]
    assert [c.name for c in diff.flips] == ["claim.amo_budget_drift.relative"]


def test_all_lists_unchanged_records_too():
    assert "effect.log_cost_ratio.ols.pct" in [c.name for c in diff_documents(OLD, NEW, all_records=True).changes]
    same = diff_documents(OLD, OLD)
    assert same.changes == [] and same.inputs == []
    assert "Nothing changed" in describe(same)


def test_a_tolerance_can_be_loosened():
    loose = diff_documents(OLD, NEW, rel_tol=0.5)
    assert "budget_drift.p80.all" not in [c.name for c in loose.changes]


def test_text_reads_like_a_metrics_diff_and_names_the_inputs():
    text = describe(diff_documents(OLD, NEW))
    lines = text.splitlines()
    flip = next(i for i, line in enumerate(lines) if "supported → inconclusive" in line)
    moved = next(i for i, line in enumerate(lines) if "budget_drift.p80.all" in line)
    assert flip < moved
    assert "36% [28% … 52%] → 40% [30% … 60%] (+4.5 pp)" in lines[moved]
    for needle in (
        "input checksum: sha256:aa → sha256:bb",
        "projects: 24 → 120",
        "parameters: {} → {'budget': 120000}",
    ):
        assert needle in text
    assert "Only in the new run (1)" in text and "Only in the old run (1)" in text
    french = describe(diff_documents(OLD, NEW), "fr")
    assert "étayée → non concluante" in french and "Verdicts qui ont changé" in french


def test_summary_section_keeps_flips_and_the_largest_headline_moves():
    summary = previous_run_summary(diff_documents(OLD, NEW), "../r1/index.html", "2026-01-01", "en", moves=1)
    assert summary["flips"] == [{"label": "claim amo_budget_drift relative", "old": "supported", "new": "inconclusive"}]
    assert [m["label"] for m in summary["moves"]] == ["budget_drift p80 all"]
    assert summary["href"] == "../r1/index.html" and "input checksum" in summary["inputs"]


def test_cli_text_and_json(tmp_path, run_cli):
    for name, doc in (("old", OLD), ("new", NEW)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "diff.json"
    result = run_cli("diff", tmp_path / "old", tmp_path / "new" / "results.json", "--json", out)
    assert result.code == 0, result.err
    assert "supported → inconclusive" in result.out
    entries = json.loads(out.read_text(encoding="utf-8"))
    assert entries[0]["name"] == "claim.amo_budget_drift.relative"
    expected = {"name", "label", "old", "new", "change", "old_ci", "new_ci", "old_verdict", "new_verdict"}
    assert expected <= set(entries[0])
    assert (entries[0]["old_verdict"], entries[0]["new_verdict"]) == ("supported", "inconclusive")
    everything = run_cli("diff", tmp_path / "old", tmp_path / "new", "--all")
    assert "effect.log_cost_ratio.ols.pct" in everything.out and "effect.log_cost_ratio.ols.pct" not in result.out


def test_unreadable_or_mismatched_runs_are_one_sentence(tmp_path, run_cli):
    good = tmp_path / "good"
    good.mkdir()
    (good / "results.json").write_text(json.dumps(OLD), encoding="utf-8")
    assert_one_sentence_error(run_cli("diff", tmp_path / "missing", good), "missing")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert_one_sentence_error(run_cli("diff", broken, good), "broken.json")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"results": "nope"}), encoding="utf-8")
    assert_one_sentence_error(run_cli("diff", good, other), "other.json", "no list of results")
    pmo = dict(NEW, provenance=dict(NEW["provenance"], practice_name="PMO"))
    mismatched = tmp_path / "pmo.json"
    mismatched.write_text(json.dumps(pmo), encoding="utf-8")
    assert_one_sentence_error(run_cli("diff", good, mismatched), "cannot be compared", "PMO")


def test_read_results_accepts_a_folder_or_its_file(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps(OLD), encoding="utf-8")
    assert read_results(tmp_path) == read_results(tmp_path / "results.json") == OLD
    with pytest.raises(InputError):
        read_results(tmp_path / "nowhere")
