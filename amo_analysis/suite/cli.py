"""The `amo-analysis` command (also `python -m amo_analysis`).

Exit codes: 0 success; 2 a problem with the user's input (one clear sentence, no traceback unless
`--debug`); 1 a notebook failed (its name, cell and error); 130 interrupted (no report written).
"""

from __future__ import annotations

import argparse
import ast
import codecs
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

from amo_analysis import __version__
from amo_analysis.defaults import DEFAULTS
from amo_analysis.errors import EXIT_INPUT_ERROR, ContractError, InputError
from amo_analysis.paths import REPORTS_DIR
from amo_analysis.suite.problems import SCREENFUL, from_provenance


#: what a console that cannot show a character prints instead (Windows consoles and redirected
#: output use the system code page, cp1252 in France; some CI logs are ASCII)
CONSOLE_FALLBACKS = {
    "\u2192": "->",
    "\u2190": "<-",
    "\u2014": "-",
    "\u2013": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u00ab": '"',
    "\u00bb": '"',
    "\u201c": '"',
    "\u201d": '"',
    "\u2018": "'",
    "\u2019": "'",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u00d7": "x",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u00b7": "-",
    "\u2022": "-",
    "\u20ac": "EUR",
    "\u00b2": "2",
    "\u00b3": "3",
    "\u2074": "4",
}


def _console_fallback(error: UnicodeEncodeError) -> tuple[str, int]:
    """Codec error handler: an ASCII look-alike for each character the console's encoding lacks
    (accents dropped when they must be: é → e), "?" when there is none."""
    chars = error.object[error.start : error.end]
    out = []
    for ch in chars:
        text = CONSOLE_FALLBACKS.get(ch)
        if text is None:
            text = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            try:
                text.encode(error.encoding)
            except (UnicodeEncodeError, LookupError):
                text = "?"
        out.append(text or "?")
    return "".join(out), error.end


codecs.register_error("amo_analysis.console", _console_fallback)


def make_console_safe(*streams) -> None:
    """Let every message reach any console: characters the stream's encoding cannot show are
    written as look-alikes (→ as ->, « » as quotes) instead of ending the run with a
    UnicodeEncodeError. A display problem never fails a command."""
    for stream in streams or (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="amo_analysis.console")
            except (ValueError, OSError):  # a closed or unusual stream: leave it as it is
                pass


def print_problems(problems, folder, stream=None, indent: str = "") -> None:
    """Print `problems` (one per line up to a screenful, else grouped by column and rule) and, past a
    screenful, write them all to `folder/problems.csv` and print its path."""
    from amo_analysis.suite.problems import SCREENFUL, problem_lines, write_problems_csv

    stream = stream or sys.stdout
    for line in problem_lines(problems):
        print(indent + line, file=stream)
    if len(problems) > SCREENFUL:
        try:
            path = write_problems_csv(problems, folder)
        except OSError as exc:
            print(f"{indent}(the full list could not be written to {folder}: {exc.strerror or exc})", file=stream)
        else:
            print(f"{indent}Every problem, one per line: {path}", file=stream)


def parse_parameter(text: str) -> tuple[str, object]:
    """`NAME=VALUE` from `-p`; VALUE read as a Python literal when it is one, else as text."""
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise InputError(f"-p {text!r} is not of the form NAME=VALUE (NAME a Python identifier).")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


def _source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mapping", help="TOML mapping file (column names, practice column and its yes/no values)")
    parser.add_argument("--sheet", help="Excel sheet name (default: the first sheet with data)")
    parser.add_argument("--table", help="table to read from a SQLite/DuckDB file or a database URL")
    parser.add_argument("--query", help="SQL query to run on a SQLite/DuckDB file or a database URL")
    parser.add_argument(
        "--drop-invalid",
        action="store_true",
        help="exclude rows that break the data contract instead of stopping (reported)",
    )
    parser.add_argument(
        "--as-of",
        dest="as_of",
        metavar="DATE",
        help="date the export was taken, YYYY-MM-DD (default: the latest start or actual go-live in it); "
        "projects still running count with their elapsed time up to it",
    )
    parser.add_argument(
        "--pseudonymise",
        action="store_true",
        help="replace project ids and project names by salted hashes (the salt is never written)",
    )


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one sentence on stderr (exit code 2), like every
    other input error, instead of argparse's usage block."""

    def error(self, message: str):
        self.exit(EXIT_INPUT_ERROR, f"error: {message} (see '{self.prog} --help').\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="amo-analysis", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"amo-analysis {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run the notebook suite and write the HTML reports")
    run.add_argument(
        "--data",
        required=True,
        action="append",
        help="portfolio export (CSV, XLSX, Parquet, SQLite, DuckDB) or database URL; a folder or a glob of "
        "client exports, or --data repeated, pools them into one benchmark",
    )
    _source_options(run)
    run.add_argument(
        "--min-org-size",
        type=int,
        default=DEFAULTS.min_org_size,
        metavar="N",
        help=f"organisations with fewer projects are never named in a report (default {DEFAULTS.min_org_size})",
    )
    run.add_argument(
        "--focus",
        metavar="ORG",
        help="client-facing edition: ORG named and highlighted, every other organisation 'Peer A', 'Peer B', …",
    )
    run.add_argument("--out", default=str(REPORTS_DIR), help="reports folder (default: reports/)")
    run.add_argument("--lang", default="en", choices=["en", "fr"], help="report language")
    run.add_argument("--seed", type=int, default=0, help="seed of every random step (bootstrap, simulation)")
    run.add_argument(
        "-p", "--parameter", action="append", default=[], metavar="NAME=VALUE", help="notebook parameter (repeatable)"
    )
    run.add_argument(
        "-f",
        "--parameters_file",
        "--parameters-file",
        dest="parameters_file",
        metavar="FILE",
        help="YAML file of notebook parameters, for all notebooks or under a notebook's name (-p wins over it)",
    )
    run.add_argument(
        "--claims",
        metavar="FILE",
        help="TOML file of claims to check (the claims register's format): adds claims or replaces those of the same key",
    )
    run.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NOTEBOOK",
        help="run only this notebook (name or number; repeatable)",
    )

    validate = sub.add_parser("validate", help="check a data source against the portfolio contract")
    validate.add_argument("source", nargs="+", help="a file, a folder or a glob of client exports, or several")
    _source_options(validate)

    template = sub.add_parser("template", help="write an empty CSV and XLSX template with the data dictionary")
    template.add_argument("--out", default=".", help="folder to write into")
    template.add_argument("--lang", default="en", choices=["en", "fr"], help="header language")

    sample = sub.add_parser("sample", help="write a synthetic portfolio (French-style CSV)")
    sample.add_argument("--n", type=int, default=120)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--style", default="fr", choices=["fr", "en"])
    sample.add_argument("--out", default="sample_portfolio.csv")
    fc = sub.add_parser("forecast", help="reference-class forecast of a new project's final cost and duration")
    fc.add_argument("--data", required=True, action="append", help="reference portfolio (same sources as run)")
    _source_options(fc)
    fc.add_argument("--budget", type=float, required=True, help="planned budget (cost unit of the portfolio)")
    fc.add_argument("--duration", type=float, help="planned duration in days")
    fc.add_argument("--type", dest="project_type", help="project type (e.g. ERP)")
    fc.add_argument("--complexity", type=int, help="complexity 1-5")
    fc.add_argument("--organisation", help="organisation running the project")
    fc.add_argument("--framing", type=int, help="number of the ten framing questions answered (0-10)")
    fc.add_argument("--amo", default="both", choices=["yes", "no", "both"], help="with or without the practice")
    fc.add_argument("--risk", type=float, default=0.8, help="accepted risk for the contingency (default P80)")
    fc.add_argument("--seed", type=int, default=0)
    fc.add_argument("--json", help="also write the forecast table to this JSON file")

    diff = sub.add_parser("diff", help="what changed between two runs: verdict flips, then the other records")
    diff.add_argument("old", metavar="OLD", help="the earlier run folder (or its results.json)")
    diff.add_argument("new", metavar="NEW", help="the later run folder (or its results.json)")
    diff.add_argument("--json", metavar="FILE", help="also write the changes to this JSON file (a list of records)")
    diff.add_argument("--all", action="store_true", help="list every record, changed or not")

    lab = sub.add_parser("lab", help="open JupyterLab on the notebooks with the suite's kernel (as `make lab`)")
    lab.add_argument("--notebooks", default=None, help="folder to open (default: the suite's notebooks/)")
    lab.add_argument("--port", type=int, help="port for JupyterLab (default: its own choice)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.add_argument("--print-command", action="store_true", help="print the command instead of running it")
    return parser


def lab_command(
    notebooks: str | os.PathLike | None = None, port: int | None = None, no_browser: bool = False
) -> list[str]:
    """The JupyterLab command `amo-analysis lab` runs: this Python's jupyter, the notebooks folder,
    `--allow-root` when running as root (containers), the options given."""
    from amo_analysis.paths import NOTEBOOKS_DIR

    folder = Path(notebooks) if notebooks else NOTEBOOKS_DIR
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder of notebooks.")
    command = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={folder}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    if port is not None:
        command.append(f"--port={port}")
    if no_browser:
        command.append("--no-browser")
    return command


def cmd_lab(args) -> int:
    from amo_analysis.suite.runner import ensure_kernel

    command = lab_command(args.notebooks, args.port, args.no_browser)
    if args.print_command:
        print(subprocess.list2cmdline(command) if os.name == "nt" else " ".join(command))
        return 0
    print(f"Kernel: {ensure_kernel()} · JupyterLab on {command[4].split('=', 1)[1]} (Ctrl+C to stop)", flush=True)
    return subprocess.call(command)


def cmd_forecast(args) -> int:
    import json

    from amo_analysis.analyses import forecast as fc_mod
    from amo_analysis.ingest.collection import load_any
    from amo_analysis.report import show_forecast

    portfolio = load_any(_data(args.data), args.mapping, **_reading_options(args))
    project = fc_mod.new_project(
        args.budget, args.duration, args.project_type, args.complexity, args.organisation, args.framing
    )
    table = fc_mod.forecast(
        portfolio.data, project, seed=args.seed, amo=args.amo, accepted_risk=args.risk
    ).summary_frame()
    print(show_forecast.forecast_text(table))
    print()
    print(show_forecast.method_paragraph(table))
    for note in dict.fromkeys(n for n in table["note"] if n):
        print(f"note: {note}")
    if args.json:
        records = json.loads(table.to_json(orient="records"))
        Path(args.json).write_text(json.dumps(records, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"Wrote {args.json}")
    return 0


def cmd_run(args) -> int:
    from amo_analysis.suite.runner import run_suite

    parameters = dict(parse_parameter(p) for p in args.parameter)
    notebook_parameters = None
    if args.parameters_file:
        from amo_analysis.suite.parameters import read_parameters_file

        from_file, sections = read_parameters_file(args.parameters_file)
        # -p wins over the file, also over a notebook's own section
        notebook_parameters = {
            nb: {k: v for k, v in values.items() if k not in parameters} for nb, values in sections.items()
        }
        parameters = {**from_file, **parameters}
    outcome = run_suite(
        _data(args.data),
        mapping=args.mapping,
        out=args.out,
        lang=args.lang,
        parameters=parameters,
        only=args.only or None,
        seed=args.seed,
        pseudonymise=args.pseudonymise,
        min_org_size=args.min_org_size,
        focus=args.focus,
        notebook_parameters=notebook_parameters,
        claims=args.claims,
        progress=lambda msg: print(msg, flush=True),
        **_reading_options(args),
    )
    print(f"Report: {outcome.index}")
    latest = Path(args.out) / "latest" / "index.html"
    print(f"Latest: {latest}")
    return 0


def _data(given: list[str]):
    """One `--data` as given, several as a list (a collection)."""
    return given[0] if len(given) == 1 else list(given)


def _reading_options(args) -> dict:
    """How a command reads its source: --drop-invalid, --sheet, --table, --query and --as-of."""
    return {name: getattr(args, name) for name in ("drop_invalid", "sheet", "table", "query", "as_of")}


def cmd_diff(args) -> int:
    import json

    from amo_analysis.suite.diff import describe, diff_documents, read_results

    old, new = read_results(args.old), read_results(args.new)
    diff = diff_documents(old, new, all_records=args.all, old_run=args.old, new_run=args.new)
    from amo_analysis.i18n import LANGUAGES

    lang = new.get("run", {}).get("lang")
    lang = lang if lang in LANGUAGES else LANGUAGES[0]
    print(describe(diff, lang, new.get("provenance", {}).get("cost_unit", "EUR")))
    if args.json:
        try:
            Path(args.json).write_text(json.dumps(diff.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"--json {args.json} cannot be written: {exc.strerror or exc}.") from None
    return 0


def cmd_validate(args) -> int:
    from amo_analysis.ingest.collection import load_any
    from amo_analysis.report.running import running_sentence

    try:
        portfolio = load_any(_data(args.source), args.mapping, pseudonymise=args.pseudonymise, **_reading_options(args))
    except ContractError as exc:
        print(f"{exc.file}: {len(exc.problems)} problem(s) break the portfolio contract:")
        print_problems(exc.problems, REPORTS_DIR)
        print("Fix these rows, or rerun with --drop-invalid to exclude them (the reports will say so).")
        return EXIT_INPUT_ERROR
    prov = portfolio.provenance()
    print(f"{prov['source']}: {prov['n_projects']} projects can be analysed ({prov['checksum']}).")
    for line in prov["detection"]:
        print(f"  detected: {line}")
    print(f"  as of: {running_sentence(portfolio)}")
    for source, canonical in prov["recognised_columns"].items():
        print(f"  column {source!r} → {canonical}")
    for name in prov["unrecognised_columns"]:
        print(f"  column {name!r} kept as an extra column")
    for p in prov["personal_columns_dropped"]:
        print(f"  personal data dropped: {p['column']!r} ({p['reason']})")
    if len(prov["problems"]) > SCREENFUL:
        print(f"  excluded: {len(prov['excluded_rows'])} {prov['row_label']}s with problems:")
        print_problems(from_provenance(prov), REPORTS_DIR, indent="  ")
    else:
        for p in prov["problems"]:
            print(f"  excluded: {p['sentence']}")
    for note in prov["notes"]:
        print(f"  note: {note}")
    missing = {k: v for k, v in prov["missing_values"].items() if v}
    if missing:
        print("  missing values: " + ", ".join(f"{k} {v}" for k, v in missing.items()))
    return 0


def cmd_template(args) -> int:
    from amo_analysis.ingest.columns import template_frames

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    empty, dictionary = template_frames(args.lang)
    csv_path, xlsx_path = out / "portfolio_template.csv", out / "portfolio_template.xlsx"
    from amo_analysis.i18n import NUMBER_STYLES, translate

    sep = NUMBER_STYLES[args.lang]["list_separator"]  # ";" where the decimal mark is a comma
    empty.to_csv(csv_path, index=False, sep=sep, encoding="utf-8-sig")
    import pandas as pd

    with pd.ExcelWriter(xlsx_path) as writer:
        empty.to_excel(writer, sheet_name=translate("template_sheet_projects", args.lang), index=False)
        dictionary.to_excel(writer, sheet_name=translate("template_sheet_dictionary", args.lang), index=False)
    print(f"Wrote {csv_path} and {xlsx_path}")
    return 0


def cmd_sample(args) -> int:
    from amo_analysis.synth import make_portfolio, write_portfolio_csv

    if args.n < 1:
        raise InputError(f"--n must be at least 1 (got {args.n}).")
    write_portfolio_csv(make_portfolio(args.n, args.seed), args.out, style=args.style)
    print(f"Wrote {args.n} synthetic projects to {args.out}")
    return 0


COMMANDS = {
    "run": cmd_run,
    "validate": cmd_validate,
    "template": cmd_template,
    "sample": cmd_sample,
    "forecast": cmd_forecast,
    "lab": cmd_lab,
    "diff": cmd_diff,
}


def main(argv: list[str] | None = None) -> int:
    make_console_safe()
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ContractError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        print_problems(exc.problems, getattr(args, "out", None) or REPORTS_DIR, stream=sys.stderr)
        print("Fix these rows, or rerun with --drop-invalid to exclude them.", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except InputError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        print("interrupted: no report was written.", file=sys.stderr)
        return 130
    except Exception as exc:  # a failed notebook, or a bug: say what, keep the traceback for --debug
        from amo_analysis.suite.workers import NotebookFailed

        if args.debug:
            raise
        if isinstance(exc, NotebookFailed):
            print(f"error: {exc} (no report was written; rerun with --debug for details)", file=sys.stderr)
            return 1
        print(
            f"internal error: {type(exc).__name__}: {exc} — please report it (rerun with --debug for the traceback).",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
