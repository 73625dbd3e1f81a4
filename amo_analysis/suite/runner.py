"""Run the notebook suite on one portfolio, atomically, into `reports/<run-id>/`.

1. validate the source once (a user error stops here: nothing is written);
2. write the validated portfolio as Parquet into a hidden temporary folder `reports/.<run-id>.partial`;
3. execute each notebook of `notebooks/` with papermill (kernel named explicitly), passing the
   Parquet path, the run folder, the language, the seed and the user's parameters;
4. export each executed notebook to HTML (code hidden, offline) in the process that executed it,
   merge the records of every notebook into `results.json` and write the `index.html` summary;
5. rename the temporary folder to `reports/<run-id>` and point `reports/latest` at it.
A failure or an interrupt (SIGINT/SIGTERM) at any step removes the temporary folder, so
`reports/latest` keeps pointing at the previous good run.

The notebooks run on worker processes, in parallel: the processes and their protocol are in
`workers`. Size: about 600 lines because a run is one transaction — validation, parameters, signals,
the temporary folder and its cleanup must be read together to see that an interrupt at any moment
leaves `reports/latest` on the previous good run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from amo_analysis import __version__
from amo_analysis.report import results as results_mod
from amo_analysis.errors import InputError
from amo_analysis.i18n import LANGUAGES, translate
from amo_analysis.memory import release_freed_memory
from amo_analysis.paths import KERNEL_NAME, NOTEBOOKS_DIR, REPORTS_DIR, SAMPLE_PORTFOLIO, SAMPLE_PORTFOLIO_24
from amo_analysis.suite.workers import (
    KERNEL_GRACE_SECONDS,
    _alive,
    _end_workers,
    _execute_on_worker,
    _Worker,
    child_environment,
    default_jobs,
    start_workers,
)

RESERVED_PARAMETERS = (
    "portfolio_path",
    "run_dir",
    "lang",
    "seed",
    "data_source",
    "mapping",
    "min_org_size",
    "focus",
    "claims_file",
    "as_of",
)
#: what a notebook may say it needs of the portfolio (its metadata, `notebook_needs`) → (whether the
#: portfolio has it, the translation key of the sentence saying the notebook is skipped without it)
NEEDS = {
    "practice": (lambda portfolio: portfolio.has_practice, "notebook_skipped_no_practice"),
    "organisations": (lambda portfolio: _organisations(portfolio) >= 2, "org_skipped"),
}


def _organisations(portfolio) -> int:
    data = portfolio.data
    return int(data["organisation"].nunique(dropna=True)) if "organisation" in data else 0


#: where a user's claims file (`--claims FILE`) is copied in the run folder, for the notebooks to read
CLAIMS_FILE_NAME = "claims.toml"


@dataclass
class RunOutcome:
    run_dir: Path
    index: Path
    results: Path
    notebooks: list[str]
    skipped: dict[str, str] = field(default_factory=dict)
    """{notebook: why it was not run, in the report's language}."""


def list_notebooks(only: list[str] | None = None, folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The suite's notebooks in order (`NN_name.ipynb`), optionally only those named in `only`."""
    notebooks = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        wanted = {name.removesuffix(".ipynb") for name in only}
        unknown = wanted - {p.stem for p in notebooks} - {p.stem.split("_", 1)[0] for p in notebooks}
        if unknown:
            raise InputError(
                f"--only names no notebook called {', '.join(sorted(unknown))}; "
                f"the notebooks are: {', '.join(p.stem for p in notebooks)}."
            )
        notebooks = [p for p in notebooks if p.stem in wanted or p.stem.split("_", 1)[0] in wanted]
    return notebooks


def notebook_needs(nb: Path) -> set[str]:
    """What a notebook needs of the portfolio beyond the required columns, from its metadata
    (``"amo_analysis": {"needs": ["practice"]}``): "practice" for the notebooks that compare projects
    with and without the practice, "organisations" for the one that compares organisations. A notebook
    says so itself, so the runner names none."""
    return set(_notebook_metadata(nb).get("needs", []))


def _notebook_metadata(nb: Path) -> dict:
    """The suite's part of a notebook's metadata (``"amo_analysis": {...}``; empty when unreadable)."""
    try:
        meta = json.loads(nb.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError):
        return {}
    own = meta.get("amo_analysis", {})
    return own if isinstance(own, dict) else {}


def notebook_title(nb: Path, lang: str) -> str:
    """The first heading of a notebook (in `lang`), or its file name."""
    import json

    from amo_analysis.i18n import narrative

    try:
        cells = json.loads(nb.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return nb.stem
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            text = narrative("".join(cell.get("source", [])), lang)
            heading = next((line for line in text.splitlines() if line.startswith("#")), "")
            return heading.lstrip("#").strip() or nb.stem
    return nb.stem


def notebooks_to_skip(notebooks: list[Path], portfolio, lang: str) -> dict[Path, str]:
    """{notebook: one sentence in `lang` saying why it is not run and what would enable it} for the
    notebooks the portfolio cannot feed: those whose metadata name a need (`NEEDS`: a practice column,
    at least 2 organisations) the portfolio does not meet."""
    skipped = {}
    for nb in notebooks:
        unmet = [need for need in sorted(notebook_needs(nb)) if need in NEEDS and not NEEDS[need][0](portfolio)]
        if unmet:
            skipped[nb] = translate(NEEDS[unmet[0]][1], lang, notebook=notebook_title(nb, lang))
    return skipped


def remove_stale_partials(out: Path) -> list[Path]:
    """Remove the `.<run-id>.partial` folders of runs that died without cleaning up (killed with
    SIGKILL, the machine stopped): those whose process (`PARTIAL_OWNER`) no longer runs, or that name
    none and are older than `STALE_PARTIAL_SECONDS`. Returns the folders removed."""
    removed = []
    for folder in out.glob(".*.partial"):
        if not folder.is_dir() or folder.is_symlink():
            continue
        owner = folder / PARTIAL_OWNER
        try:
            pid = int(owner.read_text(encoding="utf-8").split()[0])
        except (OSError, ValueError, IndexError):
            pid = None
        if pid is not None and _alive(pid):
            continue
        if pid is None:
            try:
                age = time.time() - folder.stat().st_mtime
            except OSError:
                continue
            if age < STALE_PARTIAL_SECONDS:
                continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


#: the file in a run's temporary folder naming the process that writes it (see `remove_stale_partials`)
PARTIAL_OWNER = ".owner"
#: a temporary run folder naming no process is stale after this long (seconds)
STALE_PARTIAL_SECONDS = 24 * 3600


def previous_run(out: Path) -> Path | None:
    """The run `out/latest` points to (read from `latest.txt`, which every run writes), if it is a
    complete run folder."""
    try:
        name = (out / LATEST_NOTE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    run = out / name
    return run if name and "/" not in name and "\\" not in name and (run / "results.json").is_file() else None


def ensure_kernel() -> str:
    """Make sure the suite's Jupyter kernel points at this Python; returns its name."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        if Path(spec.argv[0]).resolve() == Path(sys.executable).resolve():
            return KERNEL_NAME
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    install(kernel_name=KERNEL_NAME, display_name="Python (amo-analysis)", prefix=sys.prefix)
    return KERNEL_NAME


def _run_id(checksum: str, now: dt.datetime) -> str:
    digest = checksum.split(":")[-1][:8]
    return f"{now:%Y%m%d-%H%M%S}-{digest}"


LATEST_NOTE = "latest.txt"


def _point_latest(out: Path, run_dir: Path) -> None:
    """Make `out/latest` lead to `run_dir`, and write its name in `out/latest.txt` (for scripts).

    Where symbolic links work, `latest` is a relative link replaced atomically. Where they do not (a
    Windows account without developer mode), `latest/` becomes a folder of small pages that redirect
    to the same pages of the newest run (`index.html` and each notebook's page): opening
    `latest/index.html` still shows the newest report, and no run ever fails because a link could
    not be made."""
    latest = out / "latest"
    (out / LATEST_NOTE).write_text(run_dir.name + "\n", encoding="utf-8")
    tmp_link = out / f".latest-{os.getpid()}"
    try:
        if tmp_link.exists() or tmp_link.is_symlink():
            tmp_link.unlink()
        tmp_link.symlink_to(run_dir.name, target_is_directory=True)
        if latest.exists() and not latest.is_symlink():
            shutil.rmtree(latest)
        os.replace(tmp_link, latest)
    except OSError:
        if tmp_link.is_symlink():
            tmp_link.unlink()
        _write_redirects(latest, run_dir)


def _write_redirects(latest: Path, run_dir: Path) -> None:
    """`latest/` as redirect pages to the HTML pages of `run_dir` (replacing a link or an older one)."""
    if latest.is_symlink() or latest.is_file():
        latest.unlink()
    elif latest.exists():
        shutil.rmtree(latest)
    latest.mkdir()
    for page in sorted(run_dir.glob("*.html")):
        target = f"../{run_dir.name}/{page.name}"
        latest.joinpath(page.name).write_text(
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            f'<meta http-equiv="refresh" content="0; url={target}"><title>{run_dir.name}</title></head>'
            f'<body><p><a href="{target}">{run_dir.name}/{page.name}</a></p></body></html>\n',
            encoding="utf-8",
        )


class _Interrupted(KeyboardInterrupt):
    """SIGTERM turned into an exception so the partial run folder is removed on the way out."""


def _raise_interrupted(signum, _frame):
    raise _Interrupted(signal.Signals(signum).name)


#: below this many projects a portfolio is "small": a notebook's `weight` then reads its "small" cost
#: (on a small portfolio framing's 72 risk-ratio models and the effect models dominate; on a large one
#: the effect models, the article's claims and the forecast do). The notebooks' "small" weights are
#: their seconds on the bundled sample plus their seconds at 2,000 projects, their "large" weights
#: their seconds at 10⁵ plus at 10⁶ projects, each measured end to end on 2 cores (benchmarks/RESULTS.md)
SMALL_PORTFOLIO = 5_000


def notebook_weight(nb: Path, n_projects: int | None = None) -> float:
    """A notebook's relative compute, from its metadata (``"amo_analysis": {"weight": {"small": 5,
    "large": 2}}``, measured: benchmarks/RESULTS.md) for a portfolio of `n_projects` (None: a large
    one); 0 for a notebook that states none. A notebook says so itself: adding one needs no table of
    names here."""
    weight = _notebook_metadata(nb).get("weight", {})
    size = "small" if n_projects is not None and n_projects < SMALL_PORTFOLIO else "large"
    try:
        return float(weight.get(size, 0) if isinstance(weight, dict) else weight)
    except (TypeError, ValueError):
        return 0.0


def start_order(notebooks: list[Path], n_projects: int | None = None) -> list[Path]:
    """The notebooks in the order they are started: heaviest first for a portfolio of `n_projects`
    (None: a large one; `notebook_weight`), then in suite order — so that the last notebook to finish
    is a light one (longest-processing-time first)."""
    return sorted(notebooks, key=lambda nb: -notebook_weight(nb, n_projects))


#: what writing the summary page imports (`build_index` and the sentences of its key figures, the
#: comparison with the previous run, the runs index): words only, no scipy, statsmodels or matplotlib
#: (tests/suite/test_runner.py), since the kernels need every core while these load
SUMMARY_MODULES = (
    "amo_analysis.report.html",
    "amo_analysis.report.show_overview",
    "amo_analysis.report.running",
    "amo_analysis.report.summary_claims",
    "amo_analysis.suite.diff",
    "amo_analysis.report.runs_index",
)


def _import_summary_modules() -> None:
    """Import `SUMMARY_MODULES` (a thread of the runner, while the notebooks run: the runner only
    waits then), so that the summary page is written as soon as the last notebook is done."""
    import importlib

    for name in SUMMARY_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 (the summary page imports it again and reports any error itself)
            pass


def parameters_for(nb: Path, parameters: dict) -> dict:
    """The `parameters` notebook `nb` declares in its parameters cell (all of them when it has none,
    as papermill would inject them): a notebook is never handed a name it does not use, such as
    another notebook's `focus` or `claims_file`."""
    from amo_analysis.suite.parameters import declared_parameters

    declared = declared_parameters(nb)
    return {k: v for k, v in parameters.items() if k in declared} if declared else dict(parameters)


def _execute_all(
    notebooks: list[Path],
    folder: Path,
    parameters: dict,
    kernel: str,
    jobs: int,
    progress: Callable[[str], None],
    workers: list[_Worker] | None = None,
    page: dict | None = None,
    n_projects: int | None = None,
    notebook_parameters: dict[str, dict] | None = None,
) -> dict[Path, str | None]:
    """Execute the notebooks on `jobs` worker processes (each notebook its own kernel) into `folder`;
    returns {executed notebook: its page's title}, in the order given.

    `workers`: processes already started (more are started as needed); `page`: the options of the
    HTML pages (see `_Worker.run`), each written by its notebook's worker as soon as the notebook
    has finished, while the others still run; `n_projects`: the portfolio's size (see
    `start_order`); `notebook_parameters`: {notebook stem: parameters of that notebook only}, over
    `parameters`. The first failure, or an interrupt, ends every other notebook still running;
    every worker is ended on return."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    workers = list(workers or [])
    idle: queue.Queue = queue.Queue()
    for worker in workers:
        idle.put(worker)
    lock = threading.Lock()
    pool = ThreadPoolExecutor(max_workers=jobs)
    env = child_environment(jobs)
    own = notebook_parameters or {}
    futures = {
        pool.submit(
            _execute_on_worker,
            nb,
            folder / nb.name,
            parameters_for(nb, {**parameters, **own.get(nb.stem, {})}),
            kernel,
            page,
            idle,
            workers,
            lock,
            env,
        ): nb
        for nb in start_order(notebooks, n_projects)
    }
    titles: dict[Path, str | None] = {}
    try:
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                if future.exception() is not None:
                    raise future.exception()
                seconds, titles[futures[future]] = future.result()
                progress(f"[{len(titles)}/{len(notebooks)}] {futures[future].stem} ({seconds:.1f} s)")
    except BaseException:
        for future in futures:
            future.cancel()
        with lock:
            for worker in workers:
                worker.kill()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for worker in workers:
            worker.close()
    return {folder / nb.name: titles[nb] for nb in notebooks}


def run_suite(
    data: str | os.PathLike,
    *,
    mapping: str | os.PathLike | None = None,
    out: str | os.PathLike = REPORTS_DIR,
    lang: str = "en",
    parameters: dict | None = None,
    only: list[str] | None = None,
    drop_invalid: bool = False,
    seed: int = 0,
    sheet: str | None = None,
    table: str | None = None,
    query: str | None = None,
    pseudonymise: bool = False,
    as_of: str | None = None,
    min_org_size: int | None = None,
    focus: str | None = None,
    claims: str | os.PathLike | None = None,
    notebooks_dir: Path = NOTEBOOKS_DIR,
    jobs: int | None = None,
    notebook_parameters: dict[str, dict] | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
) -> RunOutcome:
    """Run the suite on `data` (see module docstring). User errors raise `InputError`.

    `pseudonymise` replaces project ids and names by salted hashes before anything is written
    (a fresh random salt per run, stored nowhere). `data` may name several sources (a folder, a
    glob, a list: `ingest.collection`); organisations with fewer than `min_org_size` projects are
    never named, and `focus` makes the client-facing edition of one organisation (`publishable`).
    `parameters` go to every notebook that declares them, `notebook_parameters` ({notebook name or
    number: parameters}) to that notebook only, over `parameters`; a name no notebook declares is an
    `InputError`. `claims` is a user's claims file (the claims
    register's TOML format): validated before anything runs, copied into the run folder and read by
    the notebooks (parameter `claims_file`), its claims added to the register or replacing those of
    the same key. `as_of` is the date the export was taken (YYYY-MM-DD; None: the latest start or
    actual go-live it records): running projects count with their elapsed time up to it, and the
    notebooks that declare `as_of` get it."""
    if lang not in LANGUAGES:
        raise InputError(f"--lang {lang!r} is not supported; use one of {', '.join(LANGUAGES)}.")
    parameters = dict(parameters or {})
    clash = sorted(set(parameters) & set(RESERVED_PARAMETERS))
    if clash:
        raise InputError(f"-p {clash[0]}=… is set by the runner itself; use the matching option instead.")
    from amo_analysis.suite.parameters import check_parameters

    notebook_parameters = check_parameters(
        parameters, notebook_parameters or {}, list_notebooks(folder=notebooks_dir), RESERVED_PARAMETERS, lang
    )
    notebooks = list_notebooks(only, notebooks_dir)
    if not notebooks:
        raise InputError(f"no notebook found in {notebooks_dir}.")
    if claims is not None:
        from amo_analysis.stats.claims import load_register

        load_register(claims)  # every error of the file, one sentence each, before anything is written
    jobs = jobs or default_jobs(len(notebooks))
    # the workers start (and import papermill and nbconvert) while the source is validated
    workers = start_workers(child_environment(jobs), jobs, pages=True)
    try:
        # imported here, not at the top: pandas and pandera load while the workers (`workers`) start,
        # and importing the runner stays light
        from amo_analysis.defaults import DEFAULTS
        from amo_analysis.ingest.collection import load_any, publishable

        min_org_size = DEFAULTS.min_org_size if min_org_size is None else min_org_size
        portfolio = load_any(
            data,
            mapping,
            drop_invalid=drop_invalid,
            sheet=sheet,
            table=table,
            query=query,
            pseudonymise=pseudonymise,
            as_of=as_of,
        )
        portfolio = publishable(portfolio, min_org_size, focus, lang, seed)
        skipped = notebooks_to_skip(notebooks, portfolio, lang)
        if skipped and len(skipped) == len(notebooks):
            raise InputError(" ".join(skipped.values()))
        notebooks = [nb for nb in notebooks if nb not in skipped]
        from amo_analysis.ingest.model_columns import available_columns, column_values
        from amo_analysis.suite.parameters import check_values

        # the columns and values the parameters name, before any notebook runs (the notebooks check them again)
        columns = available_columns(portfolio.data)
        check_values(parameters, notebook_parameters, notebooks, lang, columns, column_values(portfolio.data))
        kernel = ensure_kernel()
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(out)
    except BaseException:
        _end_workers(workers)
        raise
    for sentence in skipped.values():
        progress(sentence)
    is_sample = (
        not isinstance(data, (list, tuple))
        and "://" not in str(data)
        and Path(data).resolve() in {SAMPLE_PORTFOLIO.resolve(), SAMPLE_PORTFOLIO_24.resolve()}
    )
    now = clock()
    run_id = _run_id(portfolio.checksum, now)
    partial = out / f".{run_id}.partial"
    final = out / run_id
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM,)}
    signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir()
        (partial / PARTIAL_OWNER).write_text(f"{os.getpid()}\n", encoding="utf-8")
        portfolio_path = portfolio.save(partial / "data")
        shared_table = portfolio.save_shared(portfolio_path)  # the kernels map it instead of each reading a copy
        claims_parameter = {}
        if claims is not None:  # a copy: the notebooks read the file as it was when the run started
            shutil.copyfile(claims, partial / CLAIMS_FILE_NAME)
            claims_parameter = {"claims_file": str((partial / CLAIMS_FILE_NAME).resolve())}
        source_name, checksum, provenance = portfolio.source_name, portfolio.checksum, portfolio.provenance()
        as_of = portfolio.as_of
        n_projects = portfolio.n_projects
        portfolio = None  # every notebook reads the saved table (its shared copy): free this one while they run
        release_freed_memory()  # what validating took goes back to the system before the kernels need it
        from amo_analysis.report.html import build_index, notebook_navigation

        # started after the imports above; only a run shorter than its imports (≈ 1 s) has the summary
        # page import beside it, which Python's per-module import locks make safe
        threading.Thread(target=_import_summary_modules, name="summary-imports", daemon=True).start()

        footer = f"{source_name} · {checksum} · amo-analysis {__version__} · {now:%Y-%m-%d %H:%M} UTC"
        page = {
            "footer": footer,
            "back_label": translate("key_figures", lang),
            "lang": lang,
            "nav": notebook_navigation(notebooks, lang),
        }
        titles = _execute_all(
            notebooks,
            partial,
            {
                "portfolio_path": str(portfolio_path.resolve()),
                "run_dir": str(partial.resolve()),
                "lang": lang,
                "seed": seed,
                "min_org_size": min_org_size,
                "focus": focus,
                "as_of": as_of,
                **claims_parameter,
                **parameters,
            },
            kernel,
            jobs,
            progress,
            workers,
            page,
            n_projects,
            notebook_parameters,
        )
        executed = list(titles)
        progress("writing the summary page")

        reports = [{"href": target.with_suffix(".html").name, "title": title} for target, title in titles.items()]
        document = {
            "generated": {"at": now.isoformat(timespec="seconds"), "run_id": run_id},
            "package_version": __version__,
            "run": {
                "lang": lang,
                "seed": seed,
                "parameters": parameters,
                **({"notebook_parameters": notebook_parameters} if notebook_parameters else {}),
                "notebooks": [p.stem for p in executed],
                "skipped": [{"notebook": nb.stem, "reason": why} for nb, why in skipped.items()],
                "drop_invalid": drop_invalid,
                "pseudonymise": pseudonymise,
                "sample": is_sample,
                **({"min_org_size": min_org_size} if min_org_size != DEFAULTS.min_org_size else {}),
                **({"focus": focus} if focus else {}),
                **({"claims": Path(claims).name} if claims is not None else {}),
            },
            "provenance": provenance,
            "results": results_mod.merge_records(partial),
        }
        (partial / "results.json").write_text(results_mod.dumps(document), encoding="utf-8")
        from amo_analysis.suite.diff import since_previous

        build_index(partial, document, reports, lang, previous=since_previous(previous_run(out), document, lang))
        if final.exists():
            shutil.rmtree(final)
        (partial / PARTIAL_OWNER).unlink()
        if shared_table is not None:  # every kernel has ended: nothing maps it any more
            try:
                shared_table.unlink()
            except OSError as exc:  # a copy left in the run (a scanner holding it on Windows): said, not fatal
                progress(f"the kernels' copy of the table was not removed: {exc}")
        os.replace(partial, final)
        _point_latest(out, final)
        from amo_analysis.report.runs_index import build_runs_index

        try:
            build_runs_index(out, lang)
        except OSError as exc:  # the run itself is complete: say so, do not fail it
            progress(f"reports index not written: {exc}")
    except BaseException:
        # a second SIGTERM or Ctrl+C must not stop the cleanup half-way
        ignored = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            _end_workers(workers)
            _remove_partial(partial)
        finally:
            for sig, handler in ignored.items():
                signal.signal(sig, handler)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return RunOutcome(
        run_dir=final,
        index=final / "index.html",
        results=final / "results.json",
        notebooks=[p.stem for p in notebooks],
        skipped={nb.stem: why for nb, why in skipped.items()},
    )


def _remove_partial(partial: Path) -> None:
    """Remove a failed or interrupted run's folder. Its kernels are dead by now where their processes
    can be found (`_Worker.kill`); elsewhere a kernel that outlived its worker may write into the folder
    while it is being removed, so it is removed again while one might (watched for
    `KERNEL_GRACE_SECONDS` after it last reappeared, at least once more than that in all)."""
    deadline = time.monotonic() + KERNEL_GRACE_SECONDS
    while True:
        shutil.rmtree(partial, ignore_errors=True)
        while not partial.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if not partial.exists():
            return
        deadline = time.monotonic() + KERNEL_GRACE_SECONDS  # it reappeared: a kernel still writes
