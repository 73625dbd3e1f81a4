"""The published reports in a real browser: headless Chromium (Debian's `chromium` package) driven by
Playwright opens `index.html` and every report page of one run on the bundled sample, from file://.

Each page must load with no console error and no uncaught script error, request nothing but local
files (or inline data: URIs) — any other request is blocked and fails the test — and decode every
image (`naturalWidth > 0`). A full-page screenshot of each page is saved in the run folder
(`screenshots/`) and must be a real, non-blank PNG.

The run is the session's full run on the bundled sample (`sample_run` in conftest.py), so every page
is checked; set AMO_BROWSER_RUN_DIR to an existing run folder (e.g. `reports/latest` after
`amo-analysis run`) to check that run's pages instead.

Skipped only when Chromium or Playwright is missing on a developer machine; with CI=true a missing
browser is a failure (`.ci/run` installs `chromium`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

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
