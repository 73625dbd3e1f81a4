"""The `amo-analysis` command (also `python -m amo_analysis`).

Exit codes: 0 success; 2 a problem with the user's input (one clear sentence, no traceback unless
`--debug`); 1 a notebook failed (its name, cell and error); 130 interrupted (no report written).
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

from amo_analysis import __version__
from amo_analysis.errors import EXIT_INPUT_ERROR, ContractError, InputError
from amo_analysis.paths import REPORTS_DIR


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
    parser.add_argument("--drop-invalid", action="store_true",
                        help="exclude rows that break the data contract instead of stopping (reported)")
    parser.add_argument("--pseudonymise", action="store_true",
                        help="replace project ids and project names by salted hashes (the salt is never written)")


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
    run.add_argument("--data", required=True, help="portfolio export (CSV, XLSX, Parquet, SQLite, DuckDB) or database URL")
    _source_options(run)
    run.add_argument("--out", default=str(REPORTS_DIR), help="reports folder (default: reports/)")
    run.add_argument("--lang", default="en", choices=["en", "fr"], help="report language")
    run.add_argument("--seed", type=int, default=0, help="seed of every random step (bootstrap, simulation)")
    run.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                     help="notebook parameter (repeatable)")
    run.add_argument("--only", action="append", default=[], metavar="NOTEBOOK",
                     help="run only this notebook (name or number; repeatable)")

    validate = sub.add_parser("validate", help="check a data source against the portfolio contract")
    validate.add_argument("source")
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
    fc.add_argument("--data", required=True, help="reference portfolio (same sources as run)")
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
    return parser


def cmd_forecast(args) -> int:
    import json

    from amo_analysis.analyses import forecast as fc_mod
    from amo_analysis.ingest.portfolio import load_portfolio

    portfolio = load_portfolio(args.data, args.mapping, drop_invalid=args.drop_invalid,
                               sheet=args.sheet, table=args.table, query=args.query)
    project = fc_mod.new_project(args.budget, args.duration, args.project_type, args.complexity,
                                 args.organisation, args.framing)
    table = fc_mod.forecast(portfolio.data, project, seed=args.seed, amo=args.amo, accepted_risk=args.risk)
    print(fc_mod.forecast_text(table))
    print()
    print(fc_mod.method_paragraph(table))
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
    outcome = run_suite(args.data, mapping=args.mapping, out=args.out, lang=args.lang,
                        parameters=parameters, only=args.only or None, drop_invalid=args.drop_invalid,
                        seed=args.seed, sheet=args.sheet, table=args.table, query=args.query,
                        pseudonymise=args.pseudonymise, progress=lambda msg: print(msg, flush=True))
    print(f"Report: {outcome.index}")
    latest = Path(args.out) / "latest" / "index.html"
    print(f"Latest: {latest}")
    return 0


def cmd_validate(args) -> int:
    from amo_analysis.ingest.portfolio import load_portfolio

    try:
        portfolio = load_portfolio(args.source, args.mapping, drop_invalid=args.drop_invalid,
                                   sheet=args.sheet, table=args.table, query=args.query,
                                   pseudonymise=args.pseudonymise)
    except ContractError as exc:
        print(f"{exc.file}: {len(exc.problems)} problem(s) break the portfolio contract:")
        print(exc.report())
        print("Fix these rows, or rerun with --drop-invalid to exclude them (the reports will say so).")
        return EXIT_INPUT_ERROR
    prov = portfolio.provenance()
    print(f"{prov['source']}: {prov['n_projects']} projects can be analysed ({prov['checksum']}).")
    for line in prov["detection"]:
        print(f"  detected: {line}")
    for source, canonical in prov["recognised_columns"].items():
        print(f"  column {source!r} → {canonical}")
    for name in prov["unrecognised_columns"]:
        print(f"  column {name!r} kept as an extra column")
    for p in prov["personal_columns_dropped"]:
        print(f"  personal data dropped: {p['column']!r} ({p['reason']})")
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
    sep = ";" if args.lang == "fr" else ","
    empty.to_csv(csv_path, index=False, sep=sep, encoding="utf-8-sig")
    import pandas as pd

    with pd.ExcelWriter(xlsx_path) as writer:
        empty.to_excel(writer, sheet_name="Projects" if args.lang == "en" else "Projets", index=False)
        dictionary.to_excel(writer, sheet_name="Dictionary" if args.lang == "en" else "Dictionnaire",
                            index=False)
    print(f"Wrote {csv_path} and {xlsx_path}")
    return 0


def cmd_sample(args) -> int:
    from amo_analysis.synth import make_portfolio, write_portfolio_csv

    if args.n < 1:
        raise InputError(f"--n must be at least 1 (got {args.n}).")
    write_portfolio_csv(make_portfolio(args.n, args.seed), args.out, style=args.style)
    print(f"Wrote {args.n} synthetic projects to {args.out}")
    return 0


COMMANDS = {"run": cmd_run, "validate": cmd_validate, "template": cmd_template, "sample": cmd_sample,
            "forecast": cmd_forecast}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ContractError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        print(exc.report(), file=sys.stderr)
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
        from amo_analysis.suite.runner import NotebookFailed

        if args.debug:
            raise
        if isinstance(exc, NotebookFailed):
            print(f"error: {exc} (no report was written; rerun with --debug for details)", file=sys.stderr)
            return 1
        print(f"internal error: {type(exc).__name__}: {exc} — please report it (rerun with --debug "
              "for the traceback).", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
