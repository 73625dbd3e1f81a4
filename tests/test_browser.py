"""The published reports in a real browser: headless Chromium (Debian's `chromium` package) driven by
Playwright opens `index.html` and every report page of one run on the bundled sample, from file://.

Each page must load with no console error and no uncaught script error, request nothing but local
files (or inline data: URIs) — any other request is blocked and fails the test — and decode every
image (`naturalWidth > 0`). A full-page screenshot of each page is saved in the run folder
(`screenshots/`) and must be a real, non-blank PNG.

The run is the session's full run on the bundled sample (`sample_run` in conftest.py), so every page
is checked; set AMO_BROWSER_RUN_DIR to an existing run folder (e.g. `reports/latest` after
`amo-analysis run`) to check that run's pages instead.

The summary page is then checked as a reader uses it, in English and in French (a French run made
after a copy of the English one, so its summary also shows "Since the previous run"): the navigation
bar of every page leads to the summary and every notebook page, and previous/next walk through them;
a figure of the summary opens full size (its SVG) on click; printed to A4 PDF by Chromium
(`page.pdf`), no card, figure or table row is cut across two pages; and the French summary holds no
English sentence of the package (the values of locales/en.toml that differ from fr.toml).

Skipped only when Chromium, Playwright or pypdf is missing on a developer machine; with CI=true a
missing browser is a failure (`.ci/run` installs `chromium`).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import tomllib
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from amo_analysis.paths import LOCALES_DIR, SAMPLE_PORTFOLIO
from amo_analysis.suite import runner

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_SCHEMES = ("file:", "data:")
EXISTING_RUN = os.environ.get("AMO_BROWSER_RUN_DIR")


def _pages() -> list[str]:
    if EXISTING_RUN:
        return ["index.html"] + sorted(p.name for p in Path(EXISTING_RUN).glob("[0-9][0-9]_*.html"))
    return ["index.html"] + [f"{nb.stem}.html" for nb in runner.list_notebooks()]


PAGES = _pages()


def _chromium() -> str | None:
    """The Chromium binary: $AMO_CHROMIUM, else `chromium` / `chromium-browser` on PATH."""
    candidates = [
        os.environ.get("AMO_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        "/usr/bin/chromium",
    ]
    return next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"browser test cannot run in CI: {reason} (install Debian's chromium package and the "
            f"'test' extra, which brings playwright)",
            pytrace=False,
        )
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    executable = _chromium()
    if executable is None:
        _unavailable("no chromium binary found (apt-get install chromium, or set AMO_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed (pip install -e '.[test]')")
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh user-data-dir
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
            offline=True,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def run_dir(request) -> Path:
    if EXISTING_RUN:
        return Path(EXISTING_RUN).resolve()
    return request.getfixturevalue("sample_run")[1].run_dir  # the session's full run (conftest)


def open_page(context, url: str) -> dict:
    """Load `url` in a new tab; return its console errors, script errors, blocked requests and images."""
    page = context.new_page()
    seen = {"console_errors": [], "page_errors": [], "blocked": [], "requests": []}
    page.on("console", lambda m: seen["console_errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: seen["page_errors"].append(str(exc)))

    def route(route_, request):
        if request.url.startswith(LOCAL_SCHEMES):
            route_.continue_()
        else:
            seen["blocked"].append(request.url)
            route_.abort()

    page.route("**/*", route)
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.goto(url, wait_until="load", timeout=30_000)
    page.wait_for_load_state("networkidle", timeout=30_000)
    seen["images"] = page.evaluate(
        "() => Array.from(document.images).map(i => ({src: i.currentSrc.slice(0, 60), complete: i.complete,"
        " width: i.naturalWidth, height: i.naturalHeight}))"
    )
    seen["links"] = page.evaluate(
        "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"
    )
    seen["page"] = page
    return seen


def _png_is_real(path: Path) -> None:
    import matplotlib.image as mpimg

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert path.stat().st_size > 5_000, f"{path.name} is suspiciously small ({path.stat().st_size} bytes)"
    pixels = mpimg.imread(path)
    assert pixels.shape[0] >= 300 and pixels.shape[1] >= 600
    assert float(np.asarray(pixels)[..., :3].std()) > 0.01, f"{path.name} is blank"


@pytest.mark.parametrize("page_name", PAGES)
def test_report_page_in_headless_chromium(browser_context, run_dir, page_name):
    html = run_dir / page_name
    assert html.is_file(), f"the run wrote no {page_name}"
    seen = open_page(browser_context, html.as_uri())
    try:
        assert seen["console_errors"] == [], f"{page_name}: console errors {seen['console_errors'][:3]}"
        assert seen["page_errors"] == [], f"{page_name}: script errors {seen['page_errors'][:3]}"
        assert seen["blocked"] == [], f"{page_name}: non-local requests {seen['blocked'][:3]}"
        assert all(u.startswith(LOCAL_SCHEMES) for u in seen["requests"])
        broken = [img for img in seen["images"] if not img["complete"] or img["width"] == 0]
        assert broken == [], f"{page_name}: images not decoded {broken[:3]}"
        shots = run_dir / "screenshots"
        shots.mkdir(exist_ok=True)
        shot = shots / f"{html.stem}.png"
        seen["page"].screenshot(path=str(shot), full_page=True)
        _png_is_real(shot)
    finally:
        seen["page"].close()
    if page_name == "index.html":
        assert len(seen["images"]) >= 1, "index.html shows no figure"
        linked = {href for href in seen["links"] if href.endswith(".html")}
        assert set(PAGES) - {"index.html"} <= linked, "index.html does not link every report page"
        for href in linked:
            assert (run_dir / href).is_file(), f"index.html links to a missing page {href}"


# --- the summary page as a reader uses it (#17) -------------------------------------------------


@pytest.fixture(scope="module")
def run_dirs(run_dir, tmp_path_factory) -> dict[str, Path]:
    """{"en": the English run, "fr": a French run made after a copy of it in a fresh reports folder}."""
    if EXISTING_RUN:
        return {"en": run_dir}
    out = tmp_path_factory.mktemp("french_reports")
    shutil.copytree(run_dir, out / run_dir.name)
    (out / runner.LATEST_NOTE).write_text(run_dir.name + "\n", encoding="utf-8")
    return {"en": run_dir, "fr": runner.run_suite(SAMPLE_PORTFOLIO, out=out, seed=0, lang="fr").run_dir}


def _run_of(run_dirs, lang) -> Path:
    if lang not in run_dirs:
        pytest.skip(f"no {lang} run to check (AMO_BROWSER_RUN_DIR names one run)")
    return run_dirs[lang]


NAV_LINKS = """() => {
  const nav = document.querySelector('nav.amo-nav');
  if (!nav) return null;
  const links = Array.from(nav.querySelectorAll('a[href]'));
  return {
    hrefs: links.map(a => a.getAttribute('href')),
    current: links.filter(a => a.getAttribute('aria-current') === 'page').map(a => a.getAttribute('href')),
    prev: (nav.querySelector('a[rel=prev]') || {}).href || null,
    next: (nav.querySelector('a[rel=next]') || {}).href || null,
  };
}"""


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_navigation_from_every_page(browser_context, run_dirs, lang):
    run = _run_of(run_dirs, lang)
    pages = ["index.html"] + sorted(p.name for p in run.glob("[0-9][0-9]_*.html"))
    page = browser_context.new_page()
    try:
        for name in pages:
            page.goto((run / name).as_uri(), wait_until="load")
            nav = page.evaluate(NAV_LINKS)
            assert nav is not None, f"{lang} {name}: no navigation bar"
            assert set(pages) <= set(nav["hrefs"]), f"{lang} {name}: the bar misses {set(pages) - set(nav['hrefs'])}"
            assert nav["current"] == [name], f"{lang} {name}: the bar marks {nav['current']} as the current page"
            for href in nav["hrefs"]:
                assert (run / href).resolve().is_file(), f"{lang} {name}: the bar links to a missing {href}"
        # previous / next walk through every page and back: no page is a dead end
        page.goto((run / pages[0]).as_uri(), wait_until="load")
        walked = [pages[0]]
        while page.locator("nav.amo-nav a[rel=next]").count():
            page.locator("nav.amo-nav a[rel=next]").click()
            page.wait_for_load_state("load")
            walked.append(Path(page.url).name)
        assert walked == pages, f"{lang}: next leads through {walked}"
        while page.locator("nav.amo-nav a[rel=prev]").count():
            page.locator("nav.amo-nav a[rel=prev]").click()
            page.wait_for_load_state("load")
            walked.append(Path(page.url).name)
        assert walked[len(pages) - 1 :] == pages[::-1], f"{lang}: previous leads back through {walked[len(pages) :]}"
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_summary_figure_opens_full_size(browser_context, run_dirs, lang):
    run = _run_of(run_dirs, lang)
    page = browser_context.new_page()
    try:
        page.goto((run / "index.html").as_uri(), wait_until="load")
        links = page.locator("figure.figure a.full-size")
        assert links.count() >= 1, "the summary shows no figure that opens full size"
        shown = page.evaluate(
            "() => Array.from(document.querySelectorAll('figure.figure img')).map(i => i.getBoundingClientRect().width)"
        )
        assert all(width >= 500 for width in shown), f"summary figures shown too small: {shown} px"
        scripts = page.evaluate("() => Array.from(document.scripts).map(s => s.src).filter(Boolean)")
        assert scripts == [], f"the summary loads script files {scripts}"
        href = links.first.get_attribute("href")
        links.first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith(".svg") and Path(page.url).name == Path(href).name, page.url
        size = page.evaluate(
            "() => { const r = document.documentElement.getBoundingClientRect(); return [r.width, r.height]; }"
        )
        assert page.evaluate("() => document.documentElement.localName") == "svg"
        assert size[0] >= shown[0] and size[1] > 100, f"full size {size} px against {shown[0]} px on the summary"
    finally:
        page.close()


#: what must never be split over two printed pages
UNBREAKABLE = "section.card, figure.figure figcaption, details table tbody tr, .since tbody tr, #verdicts tbody tr, .planning .tile"
ELEMENT_TEXTS = """(selector) => Array.from(document.querySelectorAll(selector)).map(e => e.innerText)"""


def _squeeze(text: str) -> str:
    """Text without any white space or quotes, ligatures undone (PDF text extraction spaces, breaks
    lines and joins "fi" its own way)."""
    return re.sub(r"[\s\"'“”«»]", "", unicodedata.normalize("NFKC", text))


def _svg_texts(svg: Path) -> list[str]:
    """The words of a saved figure (matplotlib keeps its text as text): what its printed copy shows."""
    texts = re.findall(r"<text\b[^>]*>([^<]+)", svg.read_text(encoding="utf-8"))
    return [t for t in (_squeeze(html.unescape(t)) for t in texts) if len(t) >= 4]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_summary_prints_to_a4_without_cutting_an_element(browser_context, run_dirs, lang, tmp_path):
    try:
        from pypdf import PdfReader
    except ImportError:
        _unavailable("the pypdf Python package is not installed (pip install -e '.[test]')")
    run = _run_of(run_dirs, lang)
    page = browser_context.new_page()
    try:
        page.goto((run / "index.html").as_uri(), wait_until="load")
        page.emulate_media(media="print")
        texts = [t for t in page.evaluate(ELEMENT_TEXTS, UNBREAKABLE) if len(_squeeze(t)) >= 24]
        figures = [
            run / href
            for href in page.evaluate(
                "() => Array.from(document.querySelectorAll('figure.figure a.full-size')).map(a => a.getAttribute('href'))"
            )
        ]
        pdf = tmp_path / f"summary_{lang}.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
    finally:
        page.close()
    reader = PdfReader(str(pdf))
    assert len(reader.pages) >= 2, "the summary printed on a single page: nothing to check"
    for number, pdf_page in enumerate(reader.pages, 1):
        width, height = float(pdf_page.mediabox.width), float(pdf_page.mediabox.height)
        assert abs(width - 595) < 3 and abs(height - 842) < 3, f"page {number} is not A4: {width} × {height} pt"
    pages = [_squeeze(p.extract_text() or "") for p in reader.pages]
    # the collapsed sections are printed too: the key figures' table and the data quality are there
    assert sum(len(p) for p in pages) > 0.8 * sum(len(_squeeze(t)) for t in texts)
    # an element is printed whole when one page holds each of its lines (or cells)
    cut = []
    for text in texts:
        parts = [_squeeze(part) for part in re.split(r"[\n\t]", text)]
        common = set(range(len(pages)))
        for part in (p for p in parts if len(p) >= 4):
            common &= {i for i, p in enumerate(pages) if part in p}
        if not common:
            cut.append(text[:60])
    assert cut == [], f"{lang}: elements cut across pages (or lost in print): {cut[:5]}"
    # a figure is printed whole when one page holds every word of it
    for svg in figures:
        words = _svg_texts(svg)
        assert words, f"{svg.name} has no text to find in print"
        common = set(range(len(pages)))
        for word in words:
            common &= {i for i, p in enumerate(pages) if word in p}
        assert common, f"{lang}: figure {svg.name} is cut across pages (no page holds all its words)"


def english_sentences() -> list[str]:
    """The package's English sentences that French pages must not show: each value of en.toml that
    differs from fr.toml, cut at its placeholders, keeping the pieces of three words or more."""
    en = tomllib.loads((LOCALES_DIR / "en.toml").read_text(encoding="utf-8"))
    fr = tomllib.loads((LOCALES_DIR / "fr.toml").read_text(encoding="utf-8"))
    pieces = set()
    for key, text in en.items():
        if isinstance(text, str) and text != fr.get(key):
            for piece in re.split(r"\{[^}]*\}", text):
                piece = piece.strip(" .,:;()")
                if len(piece.split()) >= 3:
                    pieces.add(piece)
    return sorted(pieces)


def test_the_english_sentence_list_is_long_and_catches_english():
    sentences = english_sentences()
    assert len(sentences) > 100
    assert "Since the previous run" in sentences and "Every run in this folder" in sentences


def test_the_french_summary_holds_no_english_sentence(browser_context, run_dirs):
    run = _run_of(run_dirs, "fr")
    page = browser_context.new_page()
    try:
        page.goto((run / "index.html").as_uri(), wait_until="load")
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        text = page.inner_text("body")
    finally:
        page.close()
    assert "Depuis l'exécution précédente" in text  # the French run came after the English one
    english = [s for s in english_sentences() if s in text]
    assert english == [], f"English on the French summary: {english[:5]}"


# --- the summary answers first; no record name, every claim once, figures fit (#25) --------------


#: a record name as results.json writes it (`claim.margin_10pct.portfolio_share`, `effect.…`)
def _record_name_pattern(run: Path) -> re.Pattern:
    import json

    doc = json.loads((run / "results.json").read_text(encoding="utf-8"))
    prefixes = sorted({r["name"].split(".")[0] for r in doc["results"] if "." in r["name"]})
    assert {"claim", "effect", "forecast"} <= set(prefixes), prefixes
    return re.compile(r"\b(?:%s)\.[A-Za-z0-9_]+" % "|".join(map(re.escape, prefixes)))


def _pages_of(run: Path) -> list[str]:
    return ["index.html"] + sorted(p.name for p in run.glob("[0-9][0-9]_*.html"))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_page_shows_a_record_name(browser_context, run_dirs, lang):
    run = _run_of(run_dirs, lang)
    pattern = _record_name_pattern(run)
    page = browser_context.new_page()
    try:
        shown = {}
        for name in _pages_of(run):
            page.goto((run / name).as_uri(), wait_until="load")
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
            shown[name] = sorted(set(pattern.findall(page.inner_text("body"))))
    finally:
        page.close()
    assert {name: names for name, names in shown.items() if names} == {}, f"{lang}: record names shown"


CLAIMS_ON_SUMMARY = """() => ({
  titles: Array.from(document.querySelectorAll('section.card.claim h4')).map(h => h.innerText.trim()),
  ids: Array.from(document.querySelectorAll('section.card.claim')).map(c => c.id),
  rows: Array.from(document.querySelectorAll('#verdicts tbody tr')).length,
  claims: Array.from(document.querySelectorAll('#verdicts tbody th a')).map(a => a.getAttribute('href')),
  longest: Math.max(...Array.from(document.querySelectorAll('section.card h4')).map(h => h.getBoundingClientRect().height)),
  line: parseFloat(getComputedStyle(document.querySelector('section.card h4')).lineHeight) ||
        1.2 * parseFloat(getComputedStyle(document.querySelector('section.card h4')).fontSize),
  table: (() => { const r = document.querySelector('#verdicts').getBoundingClientRect(); return [r.top, r.bottom]; })(),
  scrolled: window.scrollY,
})"""


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_summary_answers_on_its_first_screen_each_claim_once(browser_context, run_dirs, lang):
    import json

    run = _run_of(run_dirs, lang)
    doc = json.loads((run / "results.json").read_text(encoding="utf-8"))
    readings = [r for r in doc["results"] if r["name"].startswith("claim.") and r.get("verdict")]
    page = browser_context.new_page()
    try:
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto((run / "index.html").as_uri(), wait_until="load")
        seen = page.evaluate(CLAIMS_ON_SUMMARY)
    finally:
        page.close()
    # the verdict table, one row per claim reading checked, whole in the first 1280 × 800 screen
    assert seen["scrolled"] == 0 and 0 <= seen["table"][0] < seen["table"][1] <= 800, (
        f"{lang}: the verdict table spans {seen['table']} px of an 800 px screen"
    )
    assert seen["rows"] == len(readings) and len(readings) >= 15
    # each claim once: one card and one group of rows per claim, no two cards with the same title
    assert len(seen["titles"]) == len(set(seen["titles"])), f"{lang}: a claim shown twice: {seen['titles']}"
    assert len(seen["ids"]) == len(set(seen["ids"])) == len(seen["claims"]) == len(set(seen["claims"]))
    assert {"#" + i for i in seen["ids"]} == set(seen["claims"]), "a row leads to no card"
    assert len({r["name"].split(".")[1] for r in readings}) == len(seen["ids"])
    # short titles: no card title runs over two lines
    assert seen["longest"] <= 2.2 * seen["line"], f"{lang}: a card title is {seen['longest']} px tall"


FIGURES_CUT = """() => Array.from(document.images).filter(img => img.naturalWidth > 0).flatMap(img => {
  const r = img.getBoundingClientRect();
  const cut = [];
  if (r.right > document.documentElement.clientWidth + 1) cut.push('past the window');
  for (let el = img.parentElement; el && el !== document.body; el = el.parentElement) {
    const s = getComputedStyle(el);
    if (['auto', 'scroll', 'hidden'].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1) cut.push('in a scrolling box');
    if (el.clientWidth && r.width > el.clientWidth + 1) cut.push('wider than ' + el.className);
  }
  return cut.length ? [{src: (img.alt || '').slice(0, 60), width: Math.round(r.width), why: cut[0]}] : [];
})"""


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_figure_fits_its_column_and_opens_full_size(browser_context, run_dirs, lang):
    run = _run_of(run_dirs, lang)
    page = browser_context.new_page()
    try:
        page.set_viewport_size({"width": 1200, "height": 900})
        cut, figures = {}, 0
        for name in _pages_of(run):
            page.goto((run / name).as_uri(), wait_until="load")
            figures += page.evaluate("() => document.images.length")
            cut[name] = page.evaluate(FIGURES_CUT)
        assert figures >= 10
        assert {name: c for name, c in cut.items() if c} == {}, f"{lang}: figures cut at 1200 px"
        # a notebook page's figure opens full size (its saved SVG) on a click, as on the summary
        page.goto((run / "02_amo_effects.html").as_uri(), wait_until="load")
        link = page.locator(".jp-RenderedSVG a.full-size")
        assert link.count() >= 1, "no figure of notebook 02 opens full size"
        href = link.first.get_attribute("href")
        assert (run / href).is_file(), href
        link.first.click()
        page.wait_for_load_state("load")
        assert Path(page.url).name == Path(href).name
    finally:
        page.close()
