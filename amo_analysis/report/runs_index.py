"""`reports/index.html`: every run of a reports folder, newest first, rebuilt after each run.

One row per run folder that holds a `results.json`: its date, source, projects, input checksum, the
verdict of each claim (first reading of each claim, as on the run's summary page) and a link to the
run's summary. A folder whose `results.json` cannot be read is listed by name with a link. Offline
like the rest: one static page, no script, nothing loaded.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import jinja2

from amo_analysis.i18n import translate
from amo_analysis.paths import TEMPLATES_DIR

RUNS_PAGE = "index.html"
RUN_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{1,16}$")


def _claim_verdicts(records: list, lang: str) -> list[dict]:
    """The verdict of each claim, each claim once (`summary_claims.claim_groups`): its first reading's,
    titled by the claims register's short title in `lang` (else the record's label without its
    reading), as {"label", "verdict", "verdict_class"}; never a record name."""
    from amo_analysis.report.summary_claims import claim_groups, registered_claims, split_label

    register = registered_claims(None)
    out = []
    for key, recs in claim_groups([r for r in records if isinstance(r, dict) and "name" in r]).items():
        first = recs[0]
        label = register[key].short(lang) if key in register else split_label(str(first.get("label") or ""))[0]
        out.append(
            {
                "label": label,
                "verdict": translate(first["verdict"], lang),
                "verdict_class": str(first["verdict"]).replace(" ", "-"),
            }
        )
    return out


def run_rows(out: Path, lang: str) -> list[dict]:
    """One row per run folder of `out`, newest first (by the run's date, then its folder name)."""
    rows = []
    for folder in out.iterdir():
        if not folder.is_dir() or folder.is_symlink() or not RUN_ID.match(folder.name):
            continue
        row = {"href": f"{folder.name}/index.html", "run_id": folder.name, "claims": []}
        try:
            document = json.loads((folder / "results.json").read_text(encoding="utf-8"))
            prov, run = document.get("provenance", {}), document.get("run", {})
            row.update(
                generated=document.get("generated", {}).get("at", ""),
                source=prov.get("source", ""),
                projects=prov.get("n_projects", ""),
                checksum=str(prov.get("checksum", "")).split(":")[-1][:12],
                lang=run.get("lang", ""),
                claims=_claim_verdicts(document.get("results", []), lang),
                readable=True,
            )
        except (OSError, UnicodeDecodeError, ValueError, AttributeError):
            row.update(generated="", source="", projects="", checksum="", lang="", readable=False)
        rows.append(row)
    return sorted(rows, key=lambda r: (r["generated"] or "", r["run_id"]), reverse=True)


def build_runs_index(out: str | os.PathLike, lang: str = "en") -> Path:
    """Write `out/index.html`, the list of every run in `out` (see module docstring), in `lang`."""
    out = Path(out)
    keys = ["runs_title", "runs_lead", "runs_date", "source", "projects", "checksum", "runs_claims", "runs_open"]
    t = {k: translate(k, lang) for k in keys}
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    rows = run_rows(out, lang)
    page = env.get_template("runs.html.j2").render(lang=lang, t=t, rows=rows, latest=rows[0] if rows else None)
    path = out / RUNS_PAGE
    tmp = out / f".{RUNS_PAGE}.{os.getpid()}.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path
