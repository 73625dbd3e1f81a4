"""What a notebook needs from a run: the portfolio, and where its figures, tables and results go.

A notebook opens its run with `open_run(name, globals())` right after its parameters cell (which checks
its parameters). Run by `amo-analysis run`, it reads the Parquet portfolio the runner validated once and saves everything into the run folder;
opened by hand in JupyterLab with the default parameters, it loads the bundled sample and saves
nothing (figures are shown inline only).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from amo_analysis.report import results as results_mod
from amo_analysis.defaults import DEFAULTS
from amo_analysis.errors import InputError
from amo_analysis.findings import Finding, Unavailable, unavailable_on
from amo_analysis.i18n import TRANSLATIONS, Message, localise, number_style, translate
from amo_analysis.paths import SAMPLE_PORTFOLIO
from amo_analysis.report.plots import apply_theme
from amo_analysis.ingest.metrics import CENSORING_BOUNDS
from amo_analysis.ingest.model_columns import available_columns, column_values
from amo_analysis.ingest.portfolio import Portfolio
from amo_analysis.memory import release_after_each_cell

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: The column names that mean the same thing in every table of the analyses, each a key of the locale
#: files: `RunContext.show_table` translates these wherever they appear. Any other column is shown as
#: named unless the caller maps it to a key with `labels=` (a module keeps the mapping of its own
#: tables' columns, e.g. `report.show_framing.HEADERS`); tables whose headers an analysis
#: already wrote in the run's language pass none.
CANONICAL_COLUMNS: frozenset[str] = frozenset(
    {
        # an estimate, its interval and what it is
        "estimate",
        "ci_low",
        "ci_high",
        "n",
        "p",
        "p_value",
        "unit",
        "value",
        "quantity",
        "label",
        "note",
        # groups, outcomes and shares
        "group",
        "outcome",
        "outcome_class",
        "quantile",
        "share",
        "count",
        # covariate balance (analyses.overview and analyses.practice_effects)
        "covariate",
        "mean_treated",
        "mean_control",
        "mean_treated_weighted",
        "mean_control_weighted",
        "smd_unweighted",
        "smd_weighted",
        # claims checked against the data
        "claim",
        "claimed",
        "verdict",
    }
)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting with = + - @ get a leading apostrophe (no spreadsheet formula injection)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_PREFIXES) else v)
    return out


def svg_text(fig) -> str:
    """The figure as SVG (tight bounding box; text kept as text, so it stays sharp, searchable and
    editable; no date and fixed clip-path ids, so the same figure gives the same file)."""
    buffer = io.StringIO()
    with plt.rc_context({"svg.hashsalt": "amo-analysis"}):  # else matplotlib draws random ids
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def figure_description(fig, name: str) -> str:
    """A short text alternative for `fig`: its panel titles (else its axis labels), else `name`."""
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    if not titles:
        titles = [label for ax in fig.axes for label in (ax.get_ylabel(), ax.get_xlabel()) if label]
    return " · ".join(dict.fromkeys(titles)) or name.replace("_", " ")


@dataclass
class RunContext:
    portfolio: Portfolio
    notebook: str
    run_dir: Path | None = None
    lang: str = "en"
    seed: int = 0
    records: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        # the run folder is made once, here, when the notebook starts; figures, tables and records
        # then make their sub-folders without parents, so a kernel that outlives an interrupted run
        # cannot re-create the folder the runner removed
        if self.run_dir is not None:
            self.run_dir = Path(self.run_dir)
            self.run_dir.mkdir(parents=True, exist_ok=True)

    @property
    def data(self) -> pd.DataFrame:
        return self.portfolio.data

    @property
    def practice(self) -> str:
        return self.portfolio.practice_name

    def t(self, key: str, **values) -> str:
        """Translate `key` into the run's language (the practice name is filled in)."""
        return translate(key, self.lang, practice=self.practice, **values)

    def save_figure(self, fig, name: str, svg: str | None = None):
        """Save `fig` as SVG (`svg` when already rendered) in `figures/` of the run (when there is a
        run); return it."""
        if self.run_dir is not None:
            folder = self.run_dir / "figures"
            folder.mkdir(exist_ok=True)  # never re-creates a run folder the runner has removed
            (folder / f"{self.notebook}_{name}.svg").write_text(
                svg if svg is not None else svg_text(fig), encoding="utf-8"
            )
        return fig

    def show_figure(self, fig, name: str, summary: bool = False) -> None:
        """Save and display a figure, rendered once as SVG for both (vector: sharp on screen and in
        print, and smaller than a PNG of these charts), and free its memory; `summary` puts it on
        index.html."""
        from IPython.display import display

        svg = svg_text(fig)
        self.save_figure(fig, name, svg)
        if summary and self.run_dir is not None:
            self.record(
                f"figure.{self.notebook}.{name}",
                None,
                kind="figure",
                path=f"figures/{self.notebook}_{name}.svg",
                label=name,
            )
        # raw: IPython's SVG class would parse it again; the alt text names what the figure shows, and
        # `href` the saved file the page opens on a click (full size)
        meta = {"alt": figure_description(fig, name)}
        if self.run_dir is not None:
            meta["href"] = f"figures/{self.notebook}_{name}.svg"
        display({"image/svg+xml": svg}, metadata={"image/svg+xml": meta}, raw=True)
        plt.close(fig)

    def save_table(self, table: pd.DataFrame, name: str) -> pd.DataFrame:
        """Save a key table as CSV and XLSX in `tables/` of the run (when there is a run); return it."""
        if self.run_dir is not None:
            folder = self.run_dir / "tables"
            folder.mkdir(exist_ok=True)  # never re-creates a run folder the runner has removed
            safe = neutralise_formulas(table)
            stem = f"{self.notebook}_{name}"
            # CRLF rows (as Excel writes them): a cell holding a bare carriage return is then quoted
            # instead of starting a new row where a formula could open a cell
            safe.to_csv(folder / f"{stem}.csv", index=False, lineterminator="\r\n")
            safe.to_excel(folder / f"{stem}.xlsx", index=False)
        return table

    def show_table(
        self, table: pd.DataFrame, name: str | None = None, decimals: int = 3, labels: Mapping[str, str] | None = None
    ) -> None:
        """Display a table without its index, numbers rounded, text left-aligned (saved when named,
        with its own column names).

        Headers: a column is shown translated when `labels` maps it to a translation key, or when it
        is one of `CANONICAL_COLUMNS`; any other column is shown as named. `labels` may name columns
        the table does not have (one mapping can serve all the tables of a module).
        """
        from IPython.display import display

        unknown = sorted(key for key in (labels or {}).values() if key not in TRANSLATIONS)
        if unknown:
            raise KeyError(f"labels= names no translation key: {', '.join(unknown)}")
        if name:
            self.save_table(table, name)
        if table.empty and table.attrs.get("why"):  # nothing to show: say why (as text, escaped)
            from html import escape

            from IPython.display import HTML

            display(HTML(f"<p>{escape(localise(table.attrs['why'], self.lang))}</p>"))
            return
        # escape="html": cell text from the user's file (project or organisation names) is shown
        # as text, never interpreted as markup (Styler does not escape by default).
        keys = {c: c for c in table.columns if c in CANONICAL_COLUMNS} | dict(labels or {})
        shown = table.rename(columns=lambda c: self.t(keys[c]) if c in keys else c)
        if not shown.columns.is_unique:  # a translated header would clash with another: keep the names
            shown = table
        numbers = number_style(self.lang)
        styled = (
            shown.style.hide(axis="index")
            .format(
                precision=decimals,
                na_rep="–",
                escape="html",
                decimal=numbers["decimal"],
                thousands=numbers["table_thousands"] or None,
            )
            .format_index(escape="html", axis=1)
            .set_properties(**{"text-align": "left"})
            .set_table_styles([{"selector": "th", "props": [("text-align", "left")]}])
        )
        display(styled)

    def show(
        self,
        result,
        name: str | None = None,
        *,
        summary: bool = False,
        labels: Mapping[str, str] | None = None,
        decimals: int = 3,
        markdown: bool = False,
    ) -> None:
        """Display an analysis result and keep what it records — the one call of a notebook cell.

        `result` is what an analysis returned: a `Finding` (its table, sentence and records), a
        table, a matplotlib figure, a sentence (`str` or `i18n.Message`, shown in the run's
        language), a list of records, `Unavailable` (its reason is shown, nothing is saved) or a
        result object with a rich view (`_repr_html_`: an `EffectResult`, a design, a forecast…), shown
        as JupyterLab would show it.
        `name` saves a table or figure under that name; `summary` puts a figure on the summary page;
        `labels` maps table columns to translation keys (a `Finding` carries its own); `markdown`
        renders a sentence as Markdown (the package's own formatted text) instead of escaped text.
        """
        import matplotlib.figure

        if result is None:
            return
        if isinstance(result, Unavailable):
            self.not_available(result.reason)
        elif isinstance(result, Finding):
            if result.saved is not None and (result.name or name):
                self.save_table(result.saved, result.name or name)
            if result.table is not None:
                shown_name = None if result.saved is not None else result.name or name
                self.show_table(result.table, shown_name, result.decimals, result.labels or labels)
            if result.text:
                self.say(localise(result.text, self.lang))
            self.keep(result.records)
        elif isinstance(result, pd.DataFrame):
            self.show_table(result, name, decimals, labels)
        elif isinstance(result, matplotlib.figure.Figure):
            self.show_figure(result, name or "figure", summary=summary)
        elif isinstance(result, str) and markdown:
            from IPython.display import Markdown, display

            if result:
                display(Markdown(localise(result, self.lang)))
        elif isinstance(result, str):
            if result:
                self.say(localise(result, self.lang))
        elif isinstance(result, list) and all(isinstance(r, dict) for r in result):
            self.keep(result)
        elif hasattr(result, "_repr_html_"):  # a result object (an effect, a design, a forecast…): its own view
            from IPython.display import display

            display(result)
        else:
            raise TypeError(f"ctx.show cannot show a {type(result).__name__}")

    def keep(self, records) -> None:
        """Keep records (dicts with `name`, `value` and the fields of `results.make_record`) for
        `results.json`, stamped with this notebook; written once for the whole list."""
        records = list(records)
        for rec in records:
            fields = {k: v for k, v in rec.items() if k not in ("name", "value")}
            self.record(rec["name"], rec.get("value"), write=False, **fields)
        if records:
            self.save_records()

    def not_available(self, reason: str | Message) -> None:
        """Show why a result is not there ("Not estimated: …"), in the run's language."""
        from html import escape

        from IPython.display import HTML, display

        display(
            HTML(
                f"<p class='amo-missing'><strong>{escape(self.t('not_estimated'))}</strong> "
                f"{escape(localise(reason, self.lang))}</p>"
            )
        )

    def say(self, text: str) -> None:
        """Display a paragraph of plain text (escaped: it may quote the user's data)."""
        from html import escape

        from IPython.display import HTML, display

        display(HTML("<p>" + escape(text).replace("\n\n", "</p><p>") + "</p>"))

    def attempt(self, function, *args, **kwargs):
        """Call `function`; when the data cannot support it (an `InputError`), show the sentence
        saying why and return None, so the rest of the report still renders (for exploring by hand;
        notebooks use `findings.unavailable_on` and `show`)."""
        result = unavailable_on(InputError)(function)(*args, **kwargs)
        if isinstance(result, Unavailable):
            self.show(result)
            return None
        return result

    def record_quantiles(self, table: pd.DataFrame, headline_quantiles=(0.5, 0.8)) -> pd.DataFrame:
        """Record every row of a `describe.tail_table` (outcome, group, quantile) and return it.

        Rows for all projects at `headline_quantiles` go on the summary page. The slip and drift
        records carry `n_running` (running projects counted, right-censored) and, when a value, an
        end or some running projects are missing, `note` (in the run's language).
        """
        for row in table.itertuples(index=False):
            group = {True: "with", False: "without"}.get(row.group, str(row.group))
            pct = f"P{round(row.quantile * 100)}"
            label = f"{self.t(row.outcome)}, {pct}" + ("" if group == "all" else f" ({self.t(group)})")
            self.record(
                f"{row.outcome}.{pct.lower()}.{group}",
                row.estimate,
                ci_low=row.ci_low,
                ci_high=row.ci_high,
                n=row.n,
                unit="fraction",
                label=label,
                method=self.t("m_quantile_km" if getattr(row, "method", "exact") != "exact" else "m_quantile_exact"),
                headline=group == "all" and row.quantile in headline_quantiles,
                write=False,
                **quantile_running_fields(row, self.lang),
            )
        self.save_records()
        notes = {"note": table["note"].map(lambda v: localise(v, self.lang))} if "note" in table else {}
        self.save_table(table.assign(**notes), "tails")
        return table

    def record(self, name: str, value, *, write: bool = True, **fields) -> dict:
        """Record a headline number (with interval, n, method, unit) for `results.json`; the
        notebook's records file is rewritten at once unless `write` is False (a caller recording
        many then calls `save_records` once)."""
        rec = results_mod.make_record(name, value, notebook=self.notebook, **fields)
        self.records = [r for r in self.records if r["name"] != name] + [rec]
        if write:
            self.save_records()
        return rec

    def save_records(self) -> None:
        if self.run_dir is not None:
            results_mod.write_records(self.run_dir, self.notebook, self.records)


def quantile_running_fields(row, lang: str) -> dict:
    """The running-project fields of a quantile record: `n_running` for slip and drift (running
    projects counted), `note` when the row has one (in `lang`)."""
    fields: dict = {}
    if row.outcome in CENSORING_BOUNDS:
        fields["n_running"] = int(getattr(row, "n_running", 0) or 0)
    note = getattr(row, "note", "")
    if isinstance(note, str) and note:
        fields["note"] = localise(note, lang)
    return fields


def open_run(
    notebook: str,
    parameters: MutableMapping | None = None,
    *,
    portfolio_path: str | None = None,
    data_source: str | None = None,
    mapping: str | None = None,
    run_dir: str | None = None,
    lang: str = "en",
    seed: int = 0,
    as_of: str | None = None,
) -> RunContext:
    """The notebook's view of the run (see module docstring for the two modes).

    A notebook passes its namespace, `open_run("02_amo_effects", globals())`: every parameter its
    parameters cell annotates is checked first (`report.parameters`: type, allowed values, then,
    once the portfolio is loaded, the columns it names) and put back into the namespace as read (a
    list given as its text becomes the list); a value that does not fit stops the notebook with one
    sentence (`InputError`) naming the parameter and what it expects. The run's own parameters
    (`portfolio_path`, `data_source`, `mapping`, `run_dir`, `lang`, `seed`, `as_of`) are read from the
    namespace then; the keywords serve a caller without one (tests, exploring by hand). `as_of` is the
    date the export was taken (`Portfolio.at`): None keeps the runner's (or, opened by hand, the latest
    start or actual go-live of the export). From `DEFAULTS.release_memory_n` projects the kernel gives
    the memory its allocators keep after each cell back to the system (`memory.release_after_each_cell`:
    a large portfolio's kernels run side by side)."""
    from amo_analysis.report.parameters import check_columns, language_of, read_parameters, specs_of

    run = dict(
        portfolio_path=portfolio_path,
        data_source=data_source,
        mapping=mapping,
        run_dir=run_dir,
        lang=lang,
        seed=seed,
        as_of=as_of,
    )
    read: dict = {}
    specs: dict = {}
    if parameters is not None:
        specs = specs_of(parameters.get("__annotations__", {}))
        read = read_parameters(parameters, specs, language_of(parameters))
        run.update({name: read.get(name, parameters[name]) for name in run if name in parameters})
    apply_theme()
    if run["portfolio_path"]:
        portfolio = Portfolio.load(run["portfolio_path"])
    else:
        from amo_analysis.ingest.collection import load_any  # a folder or a glob of client exports too

        portfolio = load_any(run["data_source"] or SAMPLE_PORTFOLIO, run["mapping"])
    if run["as_of"] is not None and str(run["as_of"]) != portfolio.as_of:
        portfolio = portfolio.at(run["as_of"])
    if portfolio.n_projects >= DEFAULTS.release_memory_n:
        release_after_each_cell()
    if parameters is not None:
        check_columns(read, specs, available_columns(portfolio.data), run["lang"], column_values(portfolio.data))
        parameters.update(read)
    folder = Path(run["run_dir"]) if run["run_dir"] else None
    return RunContext(portfolio=portfolio, notebook=notebook, run_dir=folder, lang=run["lang"], seed=int(run["seed"]))
