"""Notebook parameters from the command line: papermill's `-f/--parameters_file` YAML file, the
check that every parameter given (`-p` or file) is one a notebook declares in its `parameters` cell,
and the check of its value against the annotation it carries there (`report.parameters`), so that a
bad value stops the run (exit 2) before any notebook starts."""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path

from amo_analysis.errors import InputError
from amo_analysis.report.parameters import check_columns, notebook_specs, read_parameters


def declared_parameters(notebook: Path) -> list[str]:
    """The names a notebook's `parameters` cell assigns (what papermill can set), in order."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    names: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for node in ast.parse(source).body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                names += [t.id for t in targets if isinstance(t, ast.Name) and t.id not in names]
    return names


NOTEBOOK_SECTION = re.compile(r"^\d\d(?:_\w+)?$")


def read_parameters_file(path: str | os.PathLike) -> tuple[dict, dict[str, dict]]:
    """Notebook parameters from a YAML file (papermill's `-f/--parameters_file`): top-level
    `NAME: VALUE` pairs for every notebook that declares NAME, and sections named after a notebook
    (`05_roi_simulation:` or `05:`) holding that notebook's own pairs. Returns (for all, {section:
    pairs}); an unreadable file or a malformed entry is one sentence naming the file (and line)."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"parameters file {path} cannot be read: {getattr(exc, 'strerror', None) or exc}.") from None
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(f"parameters file {path}{where}: {problem}.") from None
    if content is None:
        return {}, {}
    if not isinstance(content, dict):
        raise InputError(f"parameters file {path} must hold NAME: VALUE pairs, not a {type(content).__name__}.")
    common: dict = {}
    sections: dict[str, dict] = {}
    for key, value in content.items():
        key = str(key)
        if NOTEBOOK_SECTION.match(key):
            if not isinstance(value, dict):
                raise InputError(f"parameters file {path}: section {key!r} must hold NAME: VALUE pairs.")
            sections[key] = {str(k): v for k, v in value.items()}
            bad = [k for k in sections[key] if not k.isidentifier()]
        else:
            common[key] = value
            bad = [] if key.isidentifier() else [key]
        if bad:
            raise InputError(f"parameters file {path}: {bad[0]!r} is not a parameter name (a Python identifier).")
    return common, sections


def check_parameters(
    parameters: dict,
    notebook_parameters: dict[str, dict],
    notebooks: list[Path],
    reserved: tuple[str, ...] = (),
    lang: str = "en",
) -> dict:
    """Check that every parameter is declared by one of `notebooks` (each section's by its notebook),
    that none is a name the runner sets (`reserved`) and that each value fits the annotation of every
    notebook declaring it (`check_values`, columns not yet); returns the sections keyed by notebook
    stem. An unknown name or a bad value is one sentence naming it (in `lang`)."""
    declared = {nb.stem: declared_parameters(nb) for nb in notebooks}

    def offered(stems) -> str:
        names = {n for s in stems for n in declared[s] if n not in reserved}
        return ", ".join(sorted(names)) or "none"

    every = {n for names in declared.values() for n in names}
    for name in parameters:
        if name in reserved:
            raise InputError(f"-p {name}=… is set by the runner itself; use the matching option instead.")
        if name not in every:
            raise InputError(
                f"parameter {name!r} is declared by no notebook; the notebooks' parameters are: {offered(declared)}."
            )
    by_stem: dict[str, dict] = {}
    for section, values in (notebook_parameters or {}).items():
        stem = next((s for s in declared if s == section or s.split("_", 1)[0] == section), None)
        if stem is None:
            raise InputError(
                f"parameters for {section!r}: no notebook of that name; the notebooks are: {', '.join(declared)}."
            )
        for name in values:
            if name in reserved:
                raise InputError(f"parameter {name!r} of {stem} is set by the runner itself; use the matching option.")
            if name not in declared[stem]:
                raise InputError(
                    f"parameter {name!r} is not declared by notebook {stem}; its parameters are: {offered([stem])}."
                )
        by_stem[stem] = {**by_stem.get(stem, {}), **values}
    check_values(parameters, by_stem, notebooks, lang)
    return by_stem


def check_values(
    parameters: dict,
    by_stem: dict[str, dict],
    notebooks: list[Path],
    lang: str = "en",
    columns: list[str] | None = None,
    column_values=None,
) -> None:
    """Each parameter a notebook will get (`parameters` it declares, then its own section `by_stem`)
    read by the annotation of its parameters cell, as the notebook itself will read it, and, when
    `columns` (of the portfolio) are given, every column it names found there (and every value of a
    column it names among `column_values(column)`); the first value that does not fit is an
    `InputError` (one sentence naming the parameter and what it expects)."""
    for nb in notebooks:
        specs = notebook_specs(nb)
        given = {**{k: v for k, v in parameters.items() if k in specs}, **by_stem.get(nb.stem, {})}
        read = read_parameters(given, specs, lang)
        if columns is not None:
            check_columns(read, specs, columns, lang, column_values)
