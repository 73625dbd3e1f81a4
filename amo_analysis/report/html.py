"""HTML reports: each executed notebook without its code, and the run's `index.html` summary.

Everything is self-contained and offline: images are inline (base64), the notebook template is
nbconvert's lab template with its CDN scripts (require.js, MathJax, Mermaid, widgets) removed,
and `external_references` checks that no page loads anything from the network.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

import jinja2

from amo_analysis.i18n import (
    Message,
    format_money,
    format_number,
    format_percent,
    format_points,
    localise,
    narrative,
    translate,
)
from amo_analysis.paths import TEMPLATES_DIR

if TYPE_CHECKING:  # nbconvert and nbformat are imported where pages are written, not for the summary
    import nbformat
    from nbconvert import HTMLExporter

EXTERNAL_REF = re.compile(
    r"""<(?:script|link|img|iframe|source|embed|object)\b[^>]*?\b(?:src|href|data)\s*=\s*["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)
CSS_IMPORT = re.compile(
    r"""@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//""", re.IGNORECASE
)


def external_references(html: str) -> list[str]:
    """Snippets of `html` that would load a resource from the network (empty list = offline)."""
    hits = [m.group(0) for m in EXTERNAL_REF.finditer(html)]
    hits += [m.group(0) for m in CSS_IMPORT.finditer(html)]
    return hits


def notebook_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The first Markdown heading of the notebook, else `fallback`."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
            if match:
                return match.group(1).strip()
    return fallback


def translate_narrative(nb: nbformat.NotebookNode, lang: str) -> nbformat.NotebookNode:
    """Replace each Markdown cell's English text by its translation in `lang` (see i18n.NARRATIVE)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = narrative(cell.source, lang)
    return nb


@functools.cache
def _notebook_exporter() -> HTMLExporter:
    """The page exporter, built once per process: building it compiles its Jinja templates
    (about 0.25 s per page when rebuilt for every notebook)."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="amo",
        extra_template_basedirs=[str(TEMPLATES_DIR / "nbconvert")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    remover = TagRemovePreprocessor(remove_cell_tags={"remove_cell", "injected-parameters", "parameters"}, enabled=True)
    exporter.register_preprocessor(remover, enabled=True)
    return exporter


class _Unparsed:
    """Stands in for BeautifulSoup in nbconvert's HTMLExporter, whose last step parses the finished
    page only to make output areas focusable and give images without one a placeholder alt text
    (80 % of the export time of a page here). `_finish_page` makes both changes on the text."""

    def __init__(self, html: str, features: str | None = None):
        self.html = html

    def select(self, _selector: str) -> list:
        return []

    def __str__(self) -> str:
        return self.html


OUTPUT_AREA = re.compile(r'<div class="([^"]*\bjp-(?:OutputArea-output|Cell-inputWrapper)\b[^"]*)"(?![^>]*\btabindex=)')
IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)")


def _finish_page(body: str) -> str:
    """What nbconvert's parse would add: `tabindex="0"` on input and output areas (keyboard users
    can scroll a wide table) and an alt text on any image without one (figures have their own)."""
    body = OUTPUT_AREA.sub(r'<div class="\1" tabindex="0"', body)
    return IMG_WITHOUT_ALT.sub('<img alt="No description has been provided for this image"', body)


def export_notebook_html(
    ipynb: Path, html: Path, *, footer: str, back_label: str, lang: str = "en", nb: nbformat.NotebookNode | None = None
) -> str:
    """Write `html` from the executed notebook `ipynb` (or `nb`, that notebook already in memory;
    it is changed), code cells hidden; returns the page title."""
    import nbconvert.exporters.html as nbconvert_html
    import nbformat

    nb = translate_narrative(nbformat.read(ipynb, as_version=4) if nb is None else nb, lang)
    title = notebook_title(nb, ipynb.stem)
    with mock.patch.object(nbconvert_html, "BeautifulSoup", _Unparsed):
        body, _ = _notebook_exporter().from_notebook_node(
            nb,
            resources={
                "metadata": {"name": title},
                "amo_footer": footer,
                "amo_back": back_label,
                "language_code": lang,
            },
        )
    body = _finish_page(body)
    problems = external_references(body)
    if problems:
        raise RuntimeError(f"{html.name} would load external resources: {problems[:3]}")
    html.write_text(body, encoding="utf-8")
    return title


def format_value(value: float | None, unit: str, lang: str, cost_unit: str = "EUR") -> str:
    """A recorded number as a reader sees it, by its unit."""
    if value is None:
        return "–"
    if unit in ("fraction", "percent change", "share"):
        return format_percent(value, lang, decimals=0 if abs(value) >= 0.1 else 1, signed=unit == "percent change")
    if unit == "percentage points":
        return format_points(value, lang)
    if unit == "cost" or unit == cost_unit:
        return format_money(value, cost_unit, lang)
    if unit == "count":
        return format_number(value, lang)
    if unit == "ratio":
        return format_number(value, lang, 2)
    return format_number(value, lang, 2)


FIGURE_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}


def figure_data_uri(path: Path) -> str:
    """The saved figure at `path` (SVG or PNG) as a data: URI, for a page that loads nothing."""
    return f"data:{FIGURE_TYPES[path.suffix.lower()]};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def key_figure_sections(records: list[dict], reports: list[dict], lang: str, cost_unit: str) -> list[dict]:
    """The summary's key figures grouped by notebook: [{"title", "href", "rows"}], in run order."""
    sections = []
    for report in reports:
        stem = report["href"].removesuffix(".html")
        rows = key_figure_rows([r for r in records if r.get("notebook") == stem], lang, cost_unit)
        if rows:
            sections.append({"title": report["title"], "href": report["href"], "rows": rows})
    return sections


def key_figure_rows(records: list[dict], lang: str, cost_unit: str) -> list[dict]:
    """Rows of the summary table: the records flagged `headline`."""
    rows = []
    for rec in records:
        if not rec.get("headline"):
            continue
        unit = rec.get("unit", "")
        low, high = rec.get("ci_low"), rec.get("ci_high")
        interval = (
            "–"
            if low is None and high is None
            else f"{format_value(low, unit, lang, cost_unit)} … {format_value(high, unit, lang, cost_unit)}"
        )
        verdict = rec.get("verdict")
        rows.append(
            {
                "label": rec.get("label", rec["name"]),
                "value": format_value(rec.get("value"), unit, lang, cost_unit),
                "interval": interval,
                "n": rec.get("n") if rec.get("n") is not None else "",
                "method": rec.get("method", ""),
                "verdict": translate(verdict, lang) if verdict else "",
                "verdict_class": (verdict or "").replace(" ", "-"),
            }
        )
    return rows


def build_index(run_dir: Path, document: dict, reports: list[dict], lang: str) -> Path:
    """Write `run_dir/index.html`, the executive summary, from the merged `results.json` document."""
    prov = document["provenance"]
    practice = prov.get("practice_name", "AMO")
    cost_unit = prov.get("cost_unit", "EUR")
    keys = [
        "key_figures",
        "finding",
        "estimate",
        "interval",
        "n",
        "method",
        "data_quality",
        "full_reports",
        "generated",
        "source",
        "checksum",
        "parameters",
        "version",
    ]
    t = {k: translate(k, lang, practice=practice) for k in keys}
    figures = []
    for rec in document["results"]:
        if rec.get("kind") == "figure" and rec.get("path") and (run_dir / rec["path"]).exists():
            figures.append({"src": figure_data_uri(run_dir / rec["path"]), "alt": rec.get("label", "")})
    quality = [
        (translate("projects_in_file", lang), prov.get("n_projects")),
        (translate("rows_excluded", lang), len(prov.get("excluded_rows", []))),
    ]
    dropped = ", ".join(p["column"] for p in prov.get("personal_columns_dropped", []))
    quality.append((translate("personal_dropped", lang), dropped or translate("none", lang)))
    detection = prov.get("detection_translatable", prov.get("detection", []))
    quality += [(translate("detection", lang), localise(Message.from_json(line), lang)) for line in detection]
    warnings = []
    if prov.get("excluded_rows"):
        warnings.append(translate("excluded_rows_note", lang, n=len(prov["excluded_rows"])))
    if document.get("run", {}).get("sample"):
        warnings.append(translate("synthetic_note", lang))
    run = document.get("run", {})
    warnings += [skipped["reason"] for skipped in run.get("skipped", [])]  # notebooks the data cannot feed
    from amo_analysis.analyses.overview import exact_plan_warnings  # here: a worker process never needs it

    warnings += exact_plan_warnings(document["results"], lang)  # plans that look re-baselined
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    page = env.get_template("index.html.j2").render(
        lang=lang,
        title=translate(
            "report_title" if prov.get("has_practice", True) else "report_title_no_practice", lang, practice=practice
        ),
        lead=" · ".join(
            [str(prov.get("source")), f"{prov.get('n_projects')} {translate('projects', lang)}"]
            + ([f"{translate('period', lang)} {prov['period'][0]} – {prov['period'][1]}"] if prov.get("period") else [])
        ),
        warnings=warnings,
        t=t,
        sections=key_figure_sections(document["results"], reports, lang, cost_unit),
        figures=figures,
        quality=quality,
        reports=reports,
        generated_at=document.get("generated", {}).get("at", ""),
        source=prov.get("source", ""),
        checksum=prov.get("checksum", ""),
        parameters=run.get("parameters", {}),
        version=document.get("package_version", ""),
    )
    path = run_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
