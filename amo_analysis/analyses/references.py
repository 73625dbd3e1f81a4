"""Published reference figures (`data/benchmarks.csv`) and the same figures computed on a portfolio.

Each benchmark row is one comparable figure: its value (a fraction: 0.27 = 27 % mean overrun; a share
0.19 = 19 % of projects), an optional upper end for published ranges (`value_high`), its definition,
population, source and kind of evidence, a quality note, and `portfolio_metric`: the key of the
function in `METRICS` that computes the same figure on a portfolio (empty = not comparable).
Our own words may be given in another language in optional columns `<column>_<lang>` (e.g. `figure_fr`,
`quality_note_fr`; see `TRANSLATED_COLUMNS`): a report in that language shows them, and falls back to
the English column where one is absent or empty (a user's benchmark file needs none of them). The
citation and the source are quoted as published.

Portfolio means come with a seeded bootstrap interval (`scipy.stats.bootstrap`, BCa; cost overruns
are fat-tailed, so a t interval would be too optimistic), shares with a Wilson interval
(`describe.share_ci`). A comparison says "lower" or "higher" only when the 95 % interval excludes the
benchmark (its whole range, for ranges); otherwise "similar". Definitions and populations differ
between sources and this portfolio: the quality notes say how.

This module computes; `report.show_references` shows the comparison and the sources in the report's
language and writes the `benchmark.<key>` records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from amo_analysis import paths
from amo_analysis.stats import scale
from amo_analysis.stats.intervals import mean_t_ci, seeded_bootstrap, share_ci
from amo_analysis.errors import ContractError, InputError, Problem
from amo_analysis.i18n import LANGUAGES, Message, localise, translate

EVIDENCE_KINDS = ("peer-reviewed", "practitioner study", "vendor survey", "self-reported survey", "consultancy claim")
UNITS = ("fraction", "percent change", "ratio", "qualitative")
BENCHMARK_COLUMNS = (
    "key",
    "figure",
    "citation",
    "value",
    "value_high",
    "unit",
    "definition",
    "population",
    "n_projects",
    "year",
    "source",
    "evidence",
    "quality_note",
    "portfolio_metric",
)
# Our own words, which may also be given per language in optional columns `<column>_<lang>` (figure_fr...).
TRANSLATED_COLUMNS = ("figure", "definition", "population", "quality_note")
N_RESAMPLES = 9999
# Above this many projects the bootstrap intervals are replaced by the analytic intervals they converge
# to (t interval of a mean; influence-function normal interval of a worst-share mean): the BCa
# jackknife alone costs n refits (quadratic), and at such n both give the same interval.
LARGE_N = scale.ANALYTIC_N  # see `scale`
TAIL_FRACTION = 1 / 6  # Flyvbjerg & Budzier's "one in six" black swans


class PortfolioFigure(NamedTuple):
    """A figure computed on the portfolio: estimate with its 95 % interval and the projects it rests on."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int


@dataclass(frozen=True)
class Metric:
    """How to compute one benchmark figure on a portfolio.

    `compute(data, seed)` returns a `PortfolioFigure` (NaN where it cannot); `needs` names the columns
    it reads; below `min_n` usable projects the estimate is not computed.
    """

    description: str
    method: str
    needs: tuple[str, ...]
    compute: Callable[[pd.DataFrame, int], PortfolioFigure]
    min_n: int = 2


NAN_FIGURE = PortfolioFigure(np.nan, np.nan, np.nan, 0)


def _bootstrap_ci(
    samples: tuple, statistic, seed: int, vectorized: bool, paired: bool = False, n_resamples: int = N_RESAMPLES
) -> tuple[float, float]:
    """95 % BCa bootstrap interval (percentile when BCa is undefined, e.g. a constant sample; NaN when
    neither is finite)."""
    res, _ = seeded_bootstrap(
        samples, statistic, seed=seed, n_resamples=n_resamples, vectorized=vectorized, paired=paired
    )
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return (low, high) if math.isfinite(low) and math.isfinite(high) else (np.nan, np.nan)


def mean_with_ci(values, seed: int = 0) -> PortfolioFigure:
    """Mean of `values` (NaN dropped) with its seeded 95 % bootstrap interval (BCa)."""
    x = pd.Series(values, dtype="float64").dropna().to_numpy()
    n = len(x)
    if n == 0:
        return NAN_FIGURE
    estimate = float(x.mean())
    if n < 2 or np.ptp(x) == 0:
        return PortfolioFigure(estimate, np.nan, np.nan, n)
    if n > LARGE_N:
        return PortfolioFigure(estimate, *mean_t_ci(x), n)
    low, high = _bootstrap_ci((x,), np.mean, seed, vectorized=True)
    return PortfolioFigure(estimate, low, high, n)


def _tail_mean_normal_ci(r: np.ndarray, v: np.ndarray, fraction: float) -> tuple[float, float]:
    """95 % normal interval of the worst-share mean from its influence function (large n).

    With p the share kept, q the cut-off of `r`, T the mean of `v` above it and m = E[v | r = q]
    (mean of `v` over the ~sqrt(n) projects ranked nearest the cut-off):
    Var(T) ≈ [Var(v | r > q) + (1 − p)(T − m)²] / (p n) — the asymptotic variance the bootstrap
    estimates (for v = r it is the classical expected-shortfall variance, m = q).
    """
    n = len(r)
    k = max(1, math.ceil(fraction * n))
    order = np.argsort(-r, kind="stable")
    top = v[order[:k]]
    estimate = float(top.mean())
    h = max(5, int(math.sqrt(n)))
    m = float(v[order[max(0, k - h) : min(n, k + h)]].mean())
    p = k / n
    variance = (top.var(ddof=1) + (1 - p) * (estimate - m) ** 2) / (p * n)
    half = stats.norm.ppf(0.975) * math.sqrt(variance)
    return estimate - half, estimate + half


def _tail_mean(ranking, values, fraction: float = TAIL_FRACTION, axis: int = -1):
    """Mean of `values` over the ceil(fraction × n) projects with the largest `ranking` (ties: the
    first in order), n the length along `axis`: a float for one portfolio, an array of means for
    stacked resamples (scipy's vectorised bootstrap), each row's mean computed exactly as the
    portfolio's own (the same stable order, the same contiguous sum)."""
    ranking, values = np.moveaxis(np.asarray(ranking), axis, -1), np.moveaxis(np.asarray(values), axis, -1)
    k = max(1, math.ceil(fraction * ranking.shape[-1]))
    top = np.argsort(-ranking, axis=-1, kind="stable")[..., :k]
    means = np.take_along_axis(values, top, axis=-1).mean(axis=-1)
    return float(means) if means.ndim == 0 else means


def worst_share_mean(ranking, values, seed: int = 0, fraction: float = TAIL_FRACTION) -> PortfolioFigure:
    """Mean of `values` over the worst `fraction` of projects ranked by `ranking` (ties: file order).

    With the default 1/6 this stands for Flyvbjerg & Budzier's "1 in 6" black swans. The interval is a
    seeded paired bootstrap (BCa) of the whole statistic: which projects are "worst" varies too.
    """
    frame = pd.DataFrame(
        {"r": pd.Series(ranking, dtype="float64").to_numpy(), "v": pd.Series(values, dtype="float64").to_numpy()}
    ).dropna()
    n = len(frame)
    if n == 0:
        return NAN_FIGURE
    r, v = frame["r"].to_numpy(), frame["v"].to_numpy()
    estimate = _tail_mean(r, v, fraction)
    if n > LARGE_N:
        low, high = _tail_mean_normal_ci(r, v, fraction)
        return PortfolioFigure(estimate, low, high, n)
    low, high = _bootstrap_ci(
        (r, v),
        lambda a, b, axis=-1: _tail_mean(a, b, fraction, axis),
        seed,
        vectorized=True,
        paired=True,
        n_resamples=1999,
    )
    return PortfolioFigure(estimate, low, high, n)


def share_where(condition: pd.Series, base: pd.Series | None = None) -> PortfolioFigure:
    """Share of projects where `condition` holds, among those where it is known (and `base` is True)."""
    known = condition.notna()
    if base is not None:
        known &= base.fillna(False).astype(bool)
    n = int(known.sum())
    count = int(condition[known].astype(bool).sum())
    estimate, low, high = share_ci(count, n)
    return PortfolioFigure(estimate, low, high, n)


def _threshold(column: str, op: str, limit: float) -> Callable[[pd.DataFrame, int], PortfolioFigure]:
    compare = {">": np.greater, "<=": np.less_equal}[op]

    def compute(data: pd.DataFrame, _seed: int) -> PortfolioFigure:
        values = data[column].astype("float64")
        return share_where(compare(values, limit).where(values.notna()))

    return compute


def _share_class(cls: str) -> Callable[[pd.DataFrame, int], PortfolioFigure]:
    def compute(data: pd.DataFrame, _seed: int) -> PortfolioFigure:
        classes = data["outcome_class"]
        return share_where((classes == cls).where(classes.notna()))

    return compute


def _share_flag(column: str) -> Callable[[pd.DataFrame, int], PortfolioFigure]:
    def compute(data: pd.DataFrame, _seed: int) -> PortfolioFigure:
        return share_where(data[column].astype("boolean"))

    return compute


def _flag_among_unsuccessful(data: pd.DataFrame, _seed: int) -> PortfolioFigure:
    unsuccessful = data["outcome_class"].isin(["challenged", "failed"])
    return share_where(data["poor_requirements"].astype("boolean"), base=unsuccessful)


def _mean(column: str) -> Callable[[pd.DataFrame, int], PortfolioFigure]:
    return lambda data, seed: mean_with_ci(data[column], seed)


def _worst_sixth(column: str) -> Callable[[pd.DataFrame, int], PortfolioFigure]:
    return lambda data, seed: worst_share_mean(data["budget_drift"], data[column], seed)


# how each figure is computed (i18n.Message: English text, shown in the report's language)
_BOOT = Message("ref_method_bootstrap", n_resamples=N_RESAMPLES)
_WILSON = Message("ref_method_wilson")
_TAIL = Message("ref_method_tail")
_LARGE_N_METHOD = {  # the method actually used above LARGE_N projects
    _BOOT: Message("ref_method_mean_large", large_n=LARGE_N),
    _TAIL: Message("ref_method_tail_large", large_n=LARGE_N),
}


def metric_method(metric_key: str, n: int) -> str:
    """How metric `metric_key` was computed on n projects (bootstrap at most LARGE_N, analytic above)."""
    method = METRICS[metric_key].method
    return _LARGE_N_METHOD.get(method, method) if n > LARGE_N else method


# The portfolio metrics a benchmark row may name in `portfolio_metric` (key → how to compute it).
METRICS: dict[str, Metric] = {
    "mean budget_drift": Metric(
        "mean budget drift (cost_actual / budget_planned − 1)", _BOOT, ("budget_drift",), _mean("budget_drift")
    ),
    "mean schedule_slip": Metric(
        "mean schedule slip (actual / planned duration − 1)", _BOOT, ("schedule_slip",), _mean("schedule_slip")
    ),
    "worst sixth mean budget_drift": Metric(
        "mean budget drift of the worst sixth of projects",
        _TAIL,
        ("budget_drift",),
        _worst_sixth("budget_drift"),
        min_n=12,
    ),
    "worst sixth mean schedule_slip": Metric(
        "mean schedule slip of the worst sixth of projects by budget drift",
        _TAIL,
        ("budget_drift", "schedule_slip"),
        _worst_sixth("schedule_slip"),
        min_n=12,
    ),
    "share budget_drift > 0": Metric(
        "share of projects over budget", _WILSON, ("budget_drift",), _threshold("budget_drift", ">", 0.0)
    ),
    "share budget_drift > 2": Metric(
        "share of projects more than 200 % over budget",
        _WILSON,
        ("budget_drift",),
        _threshold("budget_drift", ">", 2.0),
    ),
    "share budget_drift <= 0.1": Metric(
        "share of projects at most 10 % over budget", _WILSON, ("budget_drift",), _threshold("budget_drift", "<=", 0.1)
    ),
    "share schedule_slip <= 0.1": Metric(
        "share of projects at most 10 % late", _WILSON, ("schedule_slip",), _threshold("schedule_slip", "<=", 0.1)
    ),
    **{
        f"share outcome_class == {cls}": Metric(
            f"share of {cls} projects", _WILSON, ("outcome_class",), _share_class(cls)
        )
        for cls in ("successful", "challenged", "failed")
    },
    "share scope_creep": Metric(
        "share of projects with scope creep recorded", _WILSON, ("scope_creep",), _share_flag("scope_creep")
    ),
    "share poor_requirements among unsuccessful": Metric(
        "share of challenged or failed projects with poorly gathered requirements recorded",
        _WILSON,
        ("poor_requirements", "outcome_class"),
        _flag_among_unsuccessful,
    ),
}


def portfolio_metric(data: pd.DataFrame, metric_key: str, seed: int = 0) -> PortfolioFigure:
    """Compute benchmark metric `metric_key` (a key of `METRICS`) on the portfolio `data`.

    Returns (estimate, ci_low, ci_high, n) as fractions; NaN estimate when a needed column is
    absent or fewer than the metric's minimum number of projects have it.
    """
    if metric_key not in METRICS:
        raise InputError(f"portfolio metric {metric_key!r} is unknown; known metrics: {', '.join(METRICS)}.")
    metric = METRICS[metric_key]
    if any(col not in data for col in metric.needs):
        return NAN_FIGURE
    figure = metric.compute(data, seed)
    if figure.n < metric.min_n:
        return PortfolioFigure(np.nan, np.nan, np.nan, figure.n)
    return figure


def _why_missing(data: pd.DataFrame, metric_key: str, n: int, lang: str = "en") -> str:
    metric = METRICS[metric_key]
    absent = [col for col in metric.needs if col not in data]
    if absent:
        return translate("bench_why_no_column", lang, columns=", ".join(absent))
    return translate("bench_why_too_few", lang, n=n, min_n=metric.min_n)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _check_row(file: str, line: int, row: dict, seen: set) -> list[Problem]:
    """Every problem of one benchmark row (line = its line number in the CSV)."""
    problems = []

    def bad(column: str, value: object, rule: str) -> None:
        problems.append(Problem(file, rule, line, column, value))

    key = row["key"].strip()
    if not key:
        bad("key", None, "every benchmark needs a key.")
    elif key in seen:
        bad("key", key, "this key is used by an earlier row; keys must be unique.")
    seen.add(key)
    for column in ("figure", "citation", "source"):
        if not row[column].strip():
            bad(column, None, f"'{column}' must not be empty.")
    unit = row["unit"].strip()
    if unit not in UNITS:
        bad("unit", unit, f"unit must be one of {', '.join(UNITS)}.")
    value = _number(row["value"]) if row["value"].strip() else None
    if row["value"].strip() and value is None:
        bad("value", row["value"], "value must be a number (fractions: 0.27 for 27 %).")
    elif value is None and unit != "qualitative":
        bad("value", None, "value is required unless the unit is 'qualitative'.")
    if row["value_high"].strip():
        high = _number(row["value_high"])
        if high is None:
            bad("value_high", row["value_high"], "value_high must be a number (upper end of a range).")
        elif value is not None and high < value:
            bad("value_high", row["value_high"], f"value_high must not be below value ({value}).")
    for column in ("n_projects", "year"):
        text = row[column].strip()
        if text and (not text.isdigit()):
            bad(column, text, f"{column} must be a whole number (or empty when unknown).")
    if row["evidence"].strip() not in EVIDENCE_KINDS:
        bad("evidence", row["evidence"], f"evidence must be one of {', '.join(EVIDENCE_KINDS)}.")
    metric = row["portfolio_metric"].strip()
    if metric and metric not in METRICS:
        bad(
            "portfolio_metric",
            metric,
            f"unknown portfolio metric; use one of {', '.join(METRICS)} "
            "or leave it empty when the figure is not comparable.",
        )
    if metric and unit != "fraction":
        bad("portfolio_metric", metric, "only figures in the 'fraction' unit can be compared with a portfolio metric.")
    return problems


def load_benchmarks(path: str | Path | None = paths.BENCHMARKS_CSV) -> pd.DataFrame:
    """Read and validate the benchmark table (UTF-8 CSV, one row per figure; None = the bundled one).

    Raises `InputError` when the file is missing or lacks a column, `ContractError` listing every
    bad cell (line numbers as in the file, header = line 1). Numbers come back as floats (NaN = empty).
    The optional columns `<column>_<lang>` of `TRANSLATED_COLUMNS` (figure_fr...) are kept when present.
    """
    path = Path(paths.BENCHMARKS_CSV if path is None else path)
    if not path.is_file():
        raise InputError(f"{path}: the benchmark file does not exist.")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: cannot be read as a UTF-8 CSV table ({exc}).") from exc
    missing = [c for c in BENCHMARK_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(
            f"{path}: column(s) {', '.join(repr(c) for c in missing)} are missing; a benchmark "
            f"table has the columns {', '.join(BENCHMARK_COLUMNS)}."
        )
    problems: list[Problem] = []
    seen: set = set()
    for i, row in enumerate(raw.to_dict("records")):
        problems += _check_row(path.name, i + 2, row, seen)
    if problems:
        raise ContractError(path.name, problems)
    optional = [f"{column}_{lang}" for column in TRANSLATED_COLUMNS for lang in LANGUAGES]
    translated = [c for c in optional if c in raw.columns]
    table = raw[list(BENCHMARK_COLUMNS) + translated].apply(lambda s: s.str.strip())
    for column in ("value", "value_high", "n_projects", "year"):
        table[column] = pd.to_numeric(table[column].replace("", np.nan), errors="raise").astype("float64")
    return table


def in_language(bench, column: str, lang: str = "en") -> str:
    """Benchmark `bench`'s (a row: mapping or named tuple) `column` in `lang`: its `<column>_<lang>`
    when the table has it and it is not empty, else the English `column`."""
    get = bench.get if isinstance(bench, dict) else lambda name, default=None: getattr(bench, name, default)
    text = get(f"{column}_{lang}", None)
    return text if isinstance(text, str) and text.strip() else get(column)


def _comparison(estimate: float, low: float, high: float, value: float, value_high: float, lang: str) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return translate("bench_no_interval", lang)
    top = value_high if math.isfinite(value_high) else value
    if high < value:
        return translate("bench_lower", lang)
    if low > top:
        return translate("bench_higher", lang)
    return translate("bench_similar_range" if top != value else "bench_similar", lang)


def compare_with_benchmarks(
    data: pd.DataFrame, benchmarks: pd.DataFrame, seed: int = 0, lang: str = "en"
) -> pd.DataFrame:
    """Each benchmark side by side with the same figure on the portfolio.

    Columns: key, figure (its name in `lang`), citation, evidence, unit, benchmark, benchmark_high, portfolio_metric,
    estimate, ci_low, ci_high, n, method, comparison (plain words), quality_note (in `lang`). Rows without a
    portfolio metric say "not comparable"; rows the data cannot support say why.
    """
    rows = []
    for bench in benchmarks.to_dict("records"):
        key = bench["portfolio_metric"]
        row = {
            "key": bench["key"],
            "figure": in_language(bench, "figure", lang),
            "citation": bench["citation"],
            "evidence": bench["evidence"],
            "unit": bench["unit"],
            "benchmark": bench["value"],
            "benchmark_high": bench["value_high"],
            "portfolio_metric": key,
            "estimate": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "n": 0,
            "method": "",
            "comparison": translate("bench_not_comparable", lang),
            "quality_note": in_language(bench, "quality_note", lang),
        }
        if key:
            fig = portfolio_metric(data, key, seed)
            row.update(
                estimate=fig.estimate,
                ci_low=fig.ci_low,
                ci_high=fig.ci_high,
                n=fig.n,
                method=localise(metric_method(key, fig.n), lang),
            )
            if math.isfinite(fig.estimate):
                row["comparison"] = _comparison(
                    fig.estimate, fig.ci_low, fig.ci_high, bench["value"], bench["value_high"], lang
                )
            else:
                row["comparison"] = translate("bench_not_computed", lang, why=_why_missing(data, key, fig.n, lang))
        rows.append(row)
    table = pd.DataFrame(rows)
    table["n"] = table["n"].astype("int64")
    return table
