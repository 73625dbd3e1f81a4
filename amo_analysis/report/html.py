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
    return _configured(_page_exporter_class())


def _configured(exporter_class: type[HTMLExporter]) -> HTMLExporter:
    """An exporter of `exporter_class` set up for the report pages: the `amo` template, code
    hidden, images inline, the parameters cells removed."""
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = exporter_class(
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


@functools.cache
def _page_exporter_class() -> type[HTMLExporter]:
    """nbconvert's `HTMLExporter` without its last step, which parses the finished page with
    BeautifulSoup only to make input and output areas focusable and to give images without one a
    placeholder alt text (80 % of the export time of a page here): `_finish_page` makes both changes
    on the text. nbconvert (7.x) has no option for that step, so the subclass overrides
    `from_notebook_node` and does what `HTMLExporter.from_notebook_node` does before it (the code
    highlighter and the widget filter, then the template), and skips nbconvert's schema validation
    after each preprocessor; `tests/report/test_html.py` checks that
    its pages equal nbconvert's own, so an nbconvert upgrade that changes that method is caught."""
    from nbconvert import HTMLExporter, TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PageExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            language = nb.metadata.get("language_info", {})
            lexer = language.get("pygments_lexer", language.get("name", None))
            highlight = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            widgets = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources)
            self.register_filter("highlight_code", highlight)
            self.register_filter("filter_data_type", widgets)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _finish_page(html), resources

        def _validate_preprocessor(self, nbc, preprocessor):
            # nbconvert validates the whole notebook against its schema after each of its ~13
            # preprocessors (a third of a page's export time: 0.36 s of CPU for the 8 sample pages);
            # the notebook was validated when papermill wrote it, and nbconvert's own preprocessors
            # keep it valid
            pass

    return PageExporter


OUTPUT_AREA = re.compile(r'<div class="([^"]*\bjp-(?:OutputArea-output|Cell-inputWrapper)\b[^"]*)"(?![^>]*\btabindex=)')
IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)")


def _finish_page(body: str) -> str:
    """What nbconvert's parse would add: `tabindex="0"` on input and output areas (keyboard users
    can scroll a wide table) and an alt text on any image without one (figures have their own)."""
    body = OUTPUT_AREA.sub(r'<div class="\1" tabindex="0"', body)
    return IMG_WITHOUT_ALT.sub('<img alt="No description has been provided for this image"', body)


def short_title(title: str) -> str:
    """A page's title for the navigation bar: up to its first colon or question mark."""
    match = re.match(r"^(.+?)(?:\s*:|(?<=\?))\s", title + " ")
    return (match.group(1) if match else title).strip()


def notebook_navigation(notebooks: list[Path], lang: str) -> list[dict]:
    """The navigation bar's entries, one per notebook of the run in order: {"href", "title", "number"},
    the title being the first heading of the notebook's narrative in `lang` (as its page shows it)."""
    import json

    entries = []
    for nb in notebooks:
        cells = json.loads(Path(nb).read_text(encoding="utf-8")).get("cells", [])
        title = nb.stem
        for cell in cells:
            if cell.get("cell_type") == "markdown":
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                match = re.search(r"^#\s+(.+)$", narrative(source, lang), re.MULTILINE)
                if match:
                    title = match.group(1).strip()
                    break
        entries.append({"href": f"{nb.stem}.html", "title": short_title(title), "number": nb.stem.split("_", 1)[0]})
    return entries


def navigation_bar(nav: list[dict], current: str, lang: str) -> dict:
    """What the bar of page `current` ("index.html" or a notebook's page) shows: the summary, every
    notebook, the previous and next pages (None at either end) and the runs index."""
    pages = [{"href": "index.html", "title": translate("nav_summary", lang), "number": ""}] + list(nav)
    position = next((i for i, p in enumerate(pages) if p["href"] == current), 0)
    return {
        "summary": pages[0],
        "items": [dict(p, current=p["href"] == current) for p in pages[1:]],
        "summary_current": current == "index.html",
        "previous": pages[position - 1] if position > 0 else None,
        "next": pages[position + 1] if position + 1 < len(pages) else None,
        "label": translate("nav_label", lang),
        "previous_label": translate("nav_previous", lang),
        "next_label": translate("nav_next", lang),
        "runs": {"href": "../index.html", "title": translate("nav_all_runs", lang)},
    }


def export_notebook_html(
    ipynb: Path,
    html: Path,
    *,
    footer: str,
    back_label: str,
    lang: str = "en",
    nb: nbformat.NotebookNode | None = None,
    nav: list[dict] | None = None,
) -> str:
    """Write `html` from the executed notebook `ipynb` (or `nb`, that notebook already in memory;
    it is changed), code cells hidden, with the run's navigation bar when `nav` lists the run's
    notebooks (see `notebook_navigation`); returns the page title."""
    import nbformat

    nb = translate_narrative(nbformat.read(ipynb, as_version=4) if nb is None else nb, lang)
    title = notebook_title(nb, ipynb.stem)
    body, _ = _notebook_exporter().from_notebook_node(
        nb,
        resources={
            "metadata": {"name": title},
            "amo_footer": footer,
            "amo_back": back_label,
            "amo_nav": navigation_bar(nav, html.name, lang) if nav else None,
            "language_code": lang,
        },
    )
    problems = external_references(body)
    if problems:
        raise RuntimeError(f"{html.name} would load external resources: {problems[:3]}")
    html.write_text(body, encoding="utf-8")
    return title


def format_p_value(p: float | None, lang: str = "en") -> str:
    """A p-value as a reader sees it: three decimals, and "< 0.001" rather than "0.000"."""
    if p is None:
        return "–"
    if p < 0.001:
        return "<\u00a0" + format_number(0.001, lang, 3)
    return format_number(p, lang, 3)


def format_value(value: float | None, unit: str, lang: str, cost_unit: str = "EUR") -> str:
    """A recorded number as a reader sees it, by its unit."""
    if value is None:
        return "–"
    if unit in ("p-value", "p value"):
        return format_p_value(value, lang)
    if unit in ("fraction", "percent change", "share", "percent change of the mean"):
        return format_percent(value, lang, decimals=0 if abs(value) >= 0.1 else 1, signed=unit.startswith("percent"))
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
                "label": rec.get("label", ""),  # a record name is never shown
                "value": format_value(rec.get("value"), unit, lang, cost_unit),
                "interval": interval,
                "n": rec.get("n") if rec.get("n") is not None else "",
                "method": rec.get("method", ""),
                "verdict": translate(verdict, lang) if verdict else "",
                "verdict_class": (verdict or "").replace(" ", "-"),
            }
        )
    return rows


#: the copy of a user's claims file in the run folder (`suite.runner.CLAIMS_FILE_NAME`), read for the
#: claims' short titles
RUN_CLAIMS_FILE = "claims.toml"
#: the figures the summary shows (those the run has), chosen for the summary: the estimates with
#: their intervals, the forecast, the return on the practice
SUMMARY_FIGURES = (
    "figure.02_amo_effects.forest",
    "figure.04_new_project_forecast.forecast",
    "figure.05_roi_simulation.cost_distributions",
)
#: key-figure cards after the claims: (card key in the locale files, records it reads), shown when
#: the first record is in the run
KEY_FIGURE_CARDS = (
    ("card_budget_drift_p80", ("budget_drift.p80.all",)),
    ("card_schedule_slip_p80", ("schedule_slip.p80.all",)),
    ("card_contingency", ("forecast.contingency.with", "forecast.contingency.without")),
    ("card_roi", ("roi.prevented_per_euro", "roi.p_pays_for_itself", "roi.saving")),
)
VERDICT_KEYS = {
    "supported": "card_supported",
    "inconclusive": "card_inconclusive",
    "smaller than claimed": "card_smaller",
    "larger than claimed": "card_larger",
    "opposite direction": "card_opposite",
    "contradicted": "card_contradicted",
}


def _bracket(rec: dict, lang: str, cost_unit: str) -> str:
    """A record's 95 % interval as "low … high" ("" without one)."""
    low, high = rec.get("ci_low"), rec.get("ci_high")
    if low is None and high is None:
        return ""
    unit = rec.get("unit", "")
    return f"{format_value(low, unit, lang, cost_unit)} … {format_value(high, unit, lang, cost_unit)}"


def _interval(rec: dict, lang: str, cost_unit: str) -> str:
    low, high = rec.get("ci_low"), rec.get("ci_high")
    if low is None and high is None:
        return ""
    unit = rec.get("unit", "")
    return translate(
        "card_interval",
        lang,
        low=format_value(low, unit, lang, cost_unit),
        high=format_value(high, unit, lang, cost_unit),
    )


def key_figure_cards(records: list[dict], lang: str, cost_unit: str, practice: str) -> list[dict]:
    """The cards after the claims (`KEY_FIGURE_CARDS`): P80 drift and slip, the P80 contingency for
    a new project, the ROI answer; each with its value, interval and one plain sentence."""
    by_name = {r["name"]: r for r in records if "name" in r}
    cards = []
    for key, names in KEY_FIGURE_CARDS:
        if names[0] not in by_name:
            continue
        recs = [by_name.get(n) for n in names]

        def show(rec):
            return format_value(rec.get("value"), rec.get("unit", ""), lang, cost_unit) if rec else "–"

        first = recs[0]
        words = {f"v{i}": show(r) for i, r in enumerate(recs)}
        words["low"] = format_value(first.get("ci_low"), first.get("unit", ""), lang, cost_unit)
        words["high"] = format_value(first.get("ci_high"), first.get("unit", ""), lang, cost_unit)
        words["n"] = format_number(first.get("n"), lang) if first.get("n") is not None else "–"
        complete = all(r is not None and r.get("value") is not None for r in recs)
        cards.append(
            {
                "title": translate(f"{key}_title", lang, practice=practice),
                "value": words["v0"],
                "interval": _interval(first, lang, cost_unit),
                "bracket": _bracket(first, lang, cost_unit),
                "id": "figure-" + key.removeprefix("card_").replace("_", "-"),
                "sentence": translate(key if complete else f"{key}_partial", lang, practice=practice, **words),
                "href": f"{first['notebook']}.html" if first.get("notebook") else "",
            }
        )
    return cards


def summary_figures(run_dir: Path, records: list[dict], titles: dict[str, str] | None = None) -> list[dict]:
    """The summary's figures (`SUMMARY_FIGURES` the run has): inline image, link to the full-size
    SVG, caption (the title of the notebook's page, `titles` by notebook stem)."""
    titles = titles or {}
    by_name = {r["name"]: r for r in records if r.get("kind") == "figure"}
    figures = []
    for name in SUMMARY_FIGURES:
        rec = by_name.get(name)
        if rec and rec.get("path") and (run_dir / rec["path"]).exists():
            figures.append(
                {
                    "src": figure_data_uri(run_dir / rec["path"]),
                    "href": rec["path"],
                    "alt": rec.get("description") or titles.get(rec.get("notebook", ""), rec.get("label", "")),
                    "page": f"{rec['notebook']}.html" if rec.get("notebook") else "",
                }
            )
    return figures


def _note_text(note: object, lang: str) -> str:
    """A provenance note as written to JSON (a plain string or a message's dict) in `lang`."""
    if isinstance(note, dict) and "key" in note:
        try:
            return localise(Message.from_json(note), lang)
        except (KeyError, IndexError, ValueError):
            return str(note.get("text", ""))
    return localise(note, lang)


def quality_rows(prov: dict, lang: str) -> list[tuple[str, object]]:
    """The data-quality section: projects, exclusions, personal data, detection and loader notes,
    each note shown in `lang` (`i18n.localise`)."""
    quality = [
        (translate("projects_in_file", lang), prov.get("n_projects")),
        (translate("rows_excluded", lang), len(prov.get("excluded_rows", []))),
    ]
    dropped = ", ".join(p["column"] for p in prov.get("personal_columns_dropped", []))
    quality.append((translate("personal_dropped", lang), dropped or translate("none", lang)))
    detection = prov.get("detection_translatable", prov.get("detection", []))
    quality += [(translate("detection", lang), _note_text(line, lang)) for line in detection]
    notes = prov.get("notes_translatable", prov.get("notes", []))
    quality += [(translate("notes", lang), _note_text(note, lang)) for note in notes]
    return quality


def build_index(run_dir: Path, document: dict, reports: list[dict], lang: str, previous: dict | None = None) -> Path:
    """Write `run_dir/index.html`, the executive summary, from the merged `results.json` document:
    the answer first (the table of every claim reading checked with its verdict, the key planning
    figures, then a card per claim and per key figure with the sentence behind each row), "Since the previous run" when `previous`
    gives it (see `suite.diff.previous_run_summary`), the summary's figures, then the key figures
    table and data quality in collapsible sections."""
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
        "summary_answer",
        "summary_claims",
        "summary_key_figures",
        "summary_figures",
        "summary_open_full",
        "summary_claimed",
        "summary_other_readings",
        "summary_read_more",
        "since_title",
        "since_flips",
        "since_moves",
        "since_before",
        "since_now",
        "since_change",
        "since_nothing",
        "since_inputs",
        "verdict",
        "summary_verdicts",
        "summary_claim",
        "summary_reading",
        "summary_this_portfolio",
        "summary_one_project",
        "summary_planning",
        "summary_details",
    ]
    t = {k: translate(k, lang, practice=practice) for k in keys}
    warnings = []
    if prov.get("excluded_rows"):
        warnings.append(translate("excluded_rows_note", lang, n=len(prov["excluded_rows"])))
    if document.get("run", {}).get("sample"):
        warnings.append(translate("synthetic_note", lang))
    run = document.get("run", {})
    warnings += [skipped["reason"] for skipped in run.get("skipped", [])]  # notebooks the data cannot feed
    from amo_analysis.report.show_overview import exact_plan_warnings  # here: a worker process never needs it

    warnings += exact_plan_warnings(document["results"], lang)  # plans that look re-baselined
    from amo_analysis.report.running import summary_sentence

    # how the slip and drift levels count running projects: said under the planning figures that show them
    running_note = summary_sentence(prov, document["results"], lang)
    if previous:
        previous = dict(previous, link=translate("since_link", lang, generated=previous.get("generated", "")))
    from amo_analysis.report.summary_claims import claim_cards  # it reads this module's formatting

    claims_file = run_dir / RUN_CLAIMS_FILE
    claim_rows, claims = claim_cards(
        document["results"], lang, cost_unit, claims_file if claims_file.is_file() else None
    )
    nav = [{"href": r["href"], "title": short_title(r["title"]), "number": r["href"].split("_", 1)[0]} for r in reports]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(TEMPLATES_DIR), str(TEMPLATES_DIR / "nbconvert" / "amo")]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    page = env.get_template("index.html.j2").render(
        lang=lang,
        title=translate(
            "report_title" if prov.get("has_practice", True) else "report_title_no_practice", lang, practice=practice
        ),
        lead=" · ".join(
            [str(prov.get("source")), f"{prov.get('n_projects')} {translate('projects', lang)}"]
            + ([f"{translate('period', lang)} {prov['period'][0]} – {prov['period'][1]}"] if prov.get("period") else [])
            + ([f"{translate('as_of', lang)} {prov['as_of']}"] if prov.get("as_of") else [])
        ),
        warnings=warnings,
        running_note=running_note,
        t=t,
        nav=navigation_bar(nav, "index.html", lang),
        claim_rows=claim_rows,
        show_stability=any(row["stability"] for row in claim_rows),
        claims=claims,
        key_cards=key_figure_cards(document["results"], lang, cost_unit, practice),
        previous=previous,
        sections=key_figure_sections(document["results"], reports, lang, cost_unit),
        figures=summary_figures(
            run_dir, document["results"], {r["href"].removesuffix(".html"): r["title"] for r in reports}
        ),
        quality=quality_rows(prov, lang),
        reports=reports,
        generated_at=document.get("generated", {}).get("at", ""),
        source=prov.get("source", ""),
        checksum=prov.get("checksum", ""),
        parameters=run.get("parameters", {}),
        notebook_parameters=run.get("notebook_parameters", {}),
        version=document.get("package_version", ""),
    )
    path = run_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
