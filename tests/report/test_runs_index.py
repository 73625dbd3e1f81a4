"""reports/index.html: every run of the folder, newest first, with its claims' verdicts; offline."""

import json

from amo_analysis.report.html import external_references
from amo_analysis.report.runs_index import build_runs_index, run_rows


def _run(out, run_id, at, verdict, source="portfolio.csv", n=24):
    folder = out / run_id
    folder.mkdir(parents=True)
    records = [
        {
            "name": "claim.amo_delay.relative",
            "label": "Claim “−16 % delay” (relative change)",
            "verdict": verdict,
            "headline": True,
        },
        {
            "name": "claim.amo_delay.pp",
            "label": "Claim “−16 % delay” (percentage points)",
            "verdict": "supported",
            "headline": True,
        },
        {
            "name": "pitfalls.scope_creep_drift",
            "label": "scope creep <b>",
            "claim": "not shown",
            "verdict": "inconclusive",
            "headline": True,
        },
    ]
    document = {
        "generated": {"at": at, "run_id": run_id},
        "run": {"lang": "en"},
        "provenance": {"source": source, "n_projects": n, "checksum": "sha256:" + run_id[-8:] * 8},
        "results": records,
    }
    (folder / "results.json").write_text(json.dumps(document), encoding="utf-8")
    (folder / "index.html").write_text("<p>run</p>", encoding="utf-8")
    return folder


def test_every_run_newest_first_with_its_verdicts(tmp_path):
    _run(tmp_path, "20260101-090000-aaaaaaaa", "2026-01-01T09:00:00+00:00", "inconclusive")
    _run(tmp_path, "20260401-090000-bbbbbbbb", "2026-04-01T09:00:00+00:00", "supported", n=120)
    (tmp_path / "20260201-090000-cccccccc").mkdir()  # a run folder without results.json
    (tmp_path / ".20260501-090000-dddddddd.partial").mkdir()  # an unfinished run: not listed
    (tmp_path / "latest").symlink_to("20260401-090000-bbbbbbbb")
    rows = run_rows(tmp_path, "en")
    assert [r["run_id"] for r in rows] == [
        "20260401-090000-bbbbbbbb",
        "20260101-090000-aaaaaaaa",
        "20260201-090000-cccccccc",
    ]
    assert rows[0]["projects"] == 120 and rows[0]["checksum"] == "bbbbbbbbbbbb"
    # each claim once, by the register's short title (a claim it does not know: its label)
    assert [c["label"] for c in rows[0]["claims"]] == ["AMO: −16 % delay", "scope creep <b>"]
    assert [c["verdict"] for c in rows[1]["claims"]] == ["inconclusive", "inconclusive"]
    page = build_runs_index(tmp_path, "fr")
    text = page.read_text(encoding="utf-8")
    assert page == tmp_path / "index.html"
    assert text.index("20260401-090000-bbbbbbbb/index.html") < text.index("20260101-090000-aaaaaaaa/index.html")
    assert "étayée" in text and "non concluante" in text and "scope creep &lt;b&gt;" in text
    assert external_references(text) == [] and "<script" not in text
    assert not list(tmp_path.glob(".index.html*"))
