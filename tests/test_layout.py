"""The package's layout follows the data: ingest → stats → analyses → report → suite, imports pointing one
way only (`docs/architecture.md`). `errors`, `paths` and `i18n` (words) are foundations any layer may
use; `ingest` and `stats` use nothing else of ours, not even each other."""

import ast
from pathlib import Path

import amo_analysis

PACKAGE = Path(amo_analysis.__file__).parent
FOUNDATIONS = {"errors", "paths", "i18n", "defaults", "memory", "results_display"}  # results_display: how results show
LEVEL = {"ingest": 1, "stats": 1, "synth": 1.5, "analyses": 2, "report": 3, "suite": 4, "__main__": 5}


def layer_of(dotted: str) -> str | None:
    """The layer of `amo_analysis.x.y` (None for the foundations and the package itself)."""
    parts = dotted.split(".")
    if parts[0] != "amo_analysis" or len(parts) == 1 or parts[1] in FOUNDATIONS or parts[1] not in LEVEL:
        return None
    return parts[1]


def imports_of(path: Path) -> set[str]:
    """Every `amo_analysis…` module imported anywhere in `path` (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            base = node.module
            found.update(f"{base}.{alias.name}" if base == "amo_analysis" else base for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("amo_analysis")}


def test_imports_point_one_way_only():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).with_suffix("")
        own = relative.parts[0] if relative.parts[0] != "__init__" else None
        if own in FOUNDATIONS or own is None:
            assert not {layer_of(m) for m in imports_of(path)} - {None} or own is None, path
            continue
        for module in imports_of(path):
            target = layer_of(module)
            if target is None or target == own:
                continue
            if LEVEL[target] >= LEVEL[own] or {own, target} == {"ingest", "stats"}:
                wrong.append(f"{relative} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_relative_imports_are_not_used():
    # absolute imports say where a module sits in the layout; a relative one hides it
    relative = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(ast.parse(p.read_text("utf-8"))))
    ]
    assert not relative


def test_the_listing_shows_the_pipeline():
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert folders == ["analyses", "ingest", "report", "stats", "suite"]
    for folder in folders:  # light: a kernel imports a subpackage without loading its modules
        tree = ast.parse((PACKAGE / folder / "__init__.py").read_text("utf-8"))
        assert not [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], folder


def test_notebooks_narrate_and_show_without_logic():
    """The notebook contract (`amo_analysis.findings`): a code cell calls the package and shows the
    result with `ctx.show`; a result that cannot be computed carries its reason, so no cell needs an
    `if`, a loop or a `try`, nor the older display calls."""
    import json

    offenders = []
    for path in sorted((PACKAGE.parent / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for number, cell in enumerate(cells):
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            tree = ast.parse(source)
            logic = [type(n).__name__ for n in ast.walk(tree) if isinstance(n, (ast.If, ast.For, ast.While, ast.Try))]
            logic += [
                old for old in ("ctx.attempt(", "ctx.show_table(", "ctx.show_figure(", "ctx.say(") if old in source
            ]
            if logic:
                offenders.append(f"{path.name} cell {number}: {', '.join(logic)}")
    assert not offenders, "\n".join(offenders)


def test_long_modules_say_why_they_are_long():
    """No module over ~600 lines without a reason stated in its docstring (the reason names the
    600-line mark)."""
    silent = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 620:
            docstring = ast.get_docstring(ast.parse(text)) or ""
            if "600 lines" not in docstring:
                silent.append(f"{path.relative_to(PACKAGE)} ({text.count(chr(10))} lines)")
    assert not silent, "modules over 600 lines without a stated reason: " + ", ".join(silent)
    too_long = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p.read_text("utf-8").count("\n") > 700]
    assert not too_long, "modules over 700 lines (issue #24): " + ", ".join(too_long)


def test_analyses_compute_and_report_shows():
    """Computing apart from showing (issue #24): no function of `analyses/` turns a result into a
    display, a text, records or a finding; those live in `report/show_<topic>.py`."""
    import re

    showing = re.compile(r"_(display|text|records|finding)$")
    found = [
        f"{path.relative_to(PACKAGE)}: {node.name}"
        for path in sorted((PACKAGE / "analyses").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and showing.search(node.name)
    ]
    assert not found, "\n".join(found)


#: analyses functions a notebook calls to prepare its rows or state its model, before any estimate
PREPARING = {
    "with_framing_columns",
    "framing_data",
    "pitfall_data",
    "size_type_covariates",
    "typical_project",
    "load_benchmarks",
    "resolve_covariates",
    "design_for",
    "roi_covariates",
    "roi_model",
    "project_profile",
}


def first_estimate_cell(cells: list[dict]) -> int | None:
    """The index of the first code cell that estimates: one calling a function of a module imported
    from `amo_analysis.analyses` (other than those in `PREPARING`), or printing checked key numbers."""
    analyses: set[str] = set()
    for number, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "amo_analysis.analyses":
                analyses.update(alias.asname or alias.name for alias in node.names)
        calls = [
            n.func.attr
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name)
            and n.func.value.id in analyses
        ]
        if "# NBVAL_CHECK_OUTPUT" in source or any(name not in PREPARING for name in calls):
            return number
    return None


def test_numbered_notebooks_glance_at_their_rows_before_any_estimate():
    """Issue #24: each numbered notebook shows `rows_glance(data, columns)` before its first estimate."""
    import json

    notebooks = sorted((PACKAGE.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert notebooks
    late = []
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        estimate = first_estimate_cell(cells)
        assert estimate is not None, f"{path.name}: no estimate cell found (the test would not check it)"
        glances = [
            number
            for number, cell in enumerate(cells)
            if cell["cell_type"] == "code" and "rows_glance(" in "".join(cell["source"])
        ]
        if not glances or glances[0] >= estimate:
            late.append(f"{path.name}: first estimate in cell {estimate}, glance in cells {glances or 'none'}")
    assert not late, "\n".join(late)
