"""The portfolio data contract: typed columns, the pandera schema, and `validate_portfolio`.

Where it sits: sources → cells → mapping → privacy → **contract** → metrics → portfolio. Input: a
mapped table (`mapping.apply_mapping`, personal columns dropped by `privacy`): canonical column
names, raw cell values (strings from CSV, native types from XLSX/Parquet/SQL), index = the row
number as the user sees it in the file. `coerce_types` reads every column with `cells` and turns
each cell it cannot read into a problem naming the cell as the user's file does; the durations are
completed from the dates and `framing_score` from the ten answers (formulas in `metrics`);
`portfolio_schema` is the contract (bounds, uniqueness, allowed values, nullability) built from
`columns.COLUMNS`; `validate_portfolio` runs the whole chain and ends with
`metrics.derive_metrics`. The rules in words (`bound_rule`) are shared with the data dictionary
(`dictionary`), so the two cannot differ. It runs past 600 lines because the converters, the
completion from dates and the pandera problems all name cells the same way (`_Ctx`) and belong together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from amo_analysis.ingest import cells
from amo_analysis.ingest import columns
from amo_analysis.ingest import metrics
from amo_analysis.errors import ContractError, InputError, Problem
from amo_analysis.i18n import Message

if TYPE_CHECKING:  # pandera is imported where the contract is checked (notebooks reading Parquet skip it)
    import pandera.pandas as pa

# Canonical columns that may never be blank (every other canonical column may be missing).
NOT_NULLABLE: tuple[str, ...] = ("project_id", "amo")

_PANDERA_DTYPES = {
    "id": "str",
    "text": "str",
    "category": "str",
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
    "date": "datetime64[us]",
}


@dataclass
class ValidationResult:
    """What `validate_portfolio` returns (see its docstring)."""

    data: pd.DataFrame  # typed canonical columns (+ extra columns kept, numeric where they parse) + derived columns
    problems: list[Problem]  # every contract violation found (empty when clean)
    excluded_rows: list[int] = field(default_factory=list)  # user row numbers excluded (drop_invalid=True only)
    notes: list[str] = field(default_factory=list)  # conversions and derivations in plain words
    missing: dict[str, int] = field(default_factory=dict)  # missing values per canonical column present
    has_practice: bool = True  # False: the source has no practice column (`amo` is blank on every row)


# ---------------------------------------------------------------------------------------------
# Rules in words (shared by the pandera checks and the data dictionary, so they cannot differ)
# ---------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def bound_rule(col: columns.Column) -> Message | None:
    """The value rule of a column in words ("must be greater than 0"), or None when it has none."""
    if col.allowed:
        return Message("rule_one_of", values=", ".join(col.allowed))
    lo, hi = col.min_value, col.max_value
    if lo is not None and hi is not None:
        if col.min_inclusive:
            return Message("rule_between", low=_fmt(lo), high=_fmt(hi))
        return Message("rule_above_and_at_most", low=_fmt(lo), high=_fmt(hi))
    if lo is not None:
        return Message("rule_at_least" if col.min_inclusive else "rule_above", low=_fmt(lo))
    if hi is not None:
        return Message("rule_at_most", high=_fmt(hi))
    return None


def _checks(col: columns.Column) -> list[pa.Check]:
    import pandera.pandas as pa

    rule = bound_rule(col)
    if col.allowed:
        return [pa.Check.isin(list(col.allowed), error=rule)]
    lo, hi = col.min_value, col.max_value
    if lo is not None and hi is not None:
        return [pa.Check.in_range(lo, hi, include_min=col.min_inclusive, include_max=True, error=rule)]
    if lo is not None:
        return [pa.Check.ge(lo, error=rule) if col.min_inclusive else pa.Check.gt(lo, error=rule)]
    if hi is not None:
        return [pa.Check.le(hi, error=rule)]
    return []


def portfolio_schema(has_practice: bool = True) -> pa.DataFrameSchema:
    """The portfolio contract as a pandera schema, built from `columns.COLUMNS` at call time.

    Applies to typed data (after `coerce_types`): dtypes per kind, bounds and allowed values from the
    catalogue, `project_id` unique, `project_id` and `amo` never blank, required columns present
    (the two durations count as present once derived from the dates). Extra columns are allowed.
    Without a practice column (`has_practice` False) `amo` is present but blank on every row.
    """
    import pandera.pandas as pa

    not_nullable = NOT_NULLABLE if has_practice else tuple(c for c in NOT_NULLABLE if c != "amo")
    spec = {}
    for col in columns.COLUMNS:
        spec[col.name] = pa.Column(
            _PANDERA_DTYPES[col.kind],
            checks=_checks(col),
            nullable=col.name not in not_nullable,
            unique=col.kind == "id",
            required=col.role == "required",
            coerce=False,
            description=col.description,
        )
    return pa.DataFrameSchema(spec, strict=False, name="portfolio")


# ---------------------------------------------------------------------------------------------
# Problems, named as in the user's file
# ---------------------------------------------------------------------------------------------


class _Ctx:
    """Collects problems and notes; names columns as the user's file does (`attrs["source_headers"]`)."""

    def __init__(self, file: str, row_label: str, headers: dict | None = None):
        self.file, self.row_label = file, row_label
        self.headers = dict(headers or {})
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.blank_no: dict[str, int] = {}

    def label(self, column: str) -> str:
        return str(self.headers.get(column, column))

    def problem(self, row, column, value, rule):
        self.problems.append(Problem(self.file, rule, _row(row), self.label(column), _plain(value), self.row_label))


def _row(index_value) -> int | None:
    try:
        return int(index_value)
    except (TypeError, ValueError):
        return None


def _rows_text(rows, limit: int = 8) -> str | Message:
    rows = list(rows)
    text = ", ".join(str(r) for r in rows[:limit])
    return Message("rows_and_more", rows=text, more=len(rows) - limit) if len(rows) > limit else text


def _joined(parts: list) -> str | Message:
    """`parts` (messages) joined with ", " as one message, each part still translated where it is shown."""
    if len(parts) <= 1:
        return parts[0] if parts else ""
    return Message("list_pair", first=_joined(parts[:-1]), last=parts[-1])


def row_label_word(row_label: str, n: int = 1) -> Message:
    """ "line" / "lines" (or "row", "record") as a message: `row_label` is a `SourceInfo.row_label`."""
    return Message(f"row_label_{row_label}" + ("" if n == 1 else "_many"))


def _rows_phrase(rows, row_label: str) -> Message:
    """'line 3' or 'lines 3, 4 and 2 more'."""
    rows = list(rows)
    return Message("rows_phrase", label=row_label_word(row_label, len(rows)), rows=_rows_text(rows))


# ---------------------------------------------------------------------------------------------
# Column converters: each reads its cells with `cells` and reports what it cannot read
# ---------------------------------------------------------------------------------------------

_LARGEST_WHOLE = 2**53  # the largest integer a float64 holds exactly


def _convert_number(s: pd.Series, col: columns.Column, ctx: _Ctx, decimal, thousands) -> pd.Series:
    is_share = col.name == "adoption_m3"
    plain, out = cells.plain_numbers(s, decimal, thousands, whole=col.kind == "int")
    rest = s[~plain]
    codes, outcomes = cells.by_value(
        rest, lambda v: cells.to_float(v, decimal, thousands, allow_percent=is_share), (ValueError,)
    )
    read = cells.per_cell(codes, [good for good, _ in outcomes], bool)
    given = cells.per_cell(codes, [good and r[0] is not None for good, r in outcomes], bool)
    number = cells.per_cell(codes, [r[0] if good and r[0] is not None else np.nan for good, r in outcomes], float)
    percent_signs = int(cells.per_cell(codes, [good and r[1] for good, r in outcomes], bool).sum())
    fraction = np.zeros(len(rest), dtype=bool)
    if col.kind == "int":
        fraction = given & ~cells.per_cell(
            codes, [good and r[0] is not None and float(r[0]).is_integer() for good, r in outcomes], bool
        )
    report = ~read | fraction
    for idx, value, unread in zip(rest.index[report], rest[report].tolist(), ~read[report]):
        if unread:
            if isinstance(value, str):
                ctx.problem(idx, col.name, value, Message("rule_text_in_number", mark=decimal or "."))
            else:
                ctx.problem(idx, col.name, value, Message("rule_text_in_number_plain"))
        else:
            ctx.problem(idx, col.name, value, Message("rule_whole_number"))
    out[~plain] = np.where(report, np.nan, number)
    series = pd.Series(out, index=s.index, dtype="float64")
    if is_share:
        valid = series.dropna()
        # Percent scale when most values are above 1 (all within [0, 100]): one 1.5 among fractions
        # is an error to report, not a reason to divide the whole column by 100.
        as_percent = percent_signs > 0 or (
            len(valid) > 0 and valid.between(0, 100).all() and 2 * int((valid > 1).sum()) > len(valid)
        )
        if as_percent:
            key = "note_percent_signs" if percent_signs else "note_read_as_percentages"
            ctx.notes.append(Message(key, column=col.name, max=_fmt(round(valid.max(), 6))))
            series = series / 100
    if col.kind == "int":
        too_large = series.abs() > _LARGEST_WHOLE  # beyond it a float is no longer a whole number
        for idx in series.index[too_large.to_numpy()]:
            ctx.problem(idx, col.name, s[idx], Message("rule_too_large", limit=f"{_LARGEST_WHOLE:,}"))
        return series.mask(too_large).astype("Int64")
    return series


def _convert_bool(
    s: pd.Series, col: columns.Column, ctx: _Ctx, vocabulary: dict, blank_means_no: set[str]
) -> pd.Series:
    yes, no = vocabulary.get(col.name, ((), ()))
    codes, outcomes = cells.by_value(
        s, lambda v: cells.parse_bool_value(v, yes=tuple(yes), no=tuple(no)), (ValueError, TypeError)
    )
    # per cell: 1 yes, 0 no, -1 blank, -2 not a yes/no value
    state = cells.per_cell(
        codes, [(-1 if r is None else int(bool(r))) if good else -2 for good, r in outcomes], np.int8
    )
    blank, unreadable = state == -1, state == -2
    missing = state < 0
    if col.name == "amo":
        report = unreadable | blank
    else:
        report = unreadable
        if col.name in blank_means_no:
            missing = unreadable
            if blank.any():
                ctx.blank_no[col.name] = int(blank.sum())
    for idx, value, bad in zip(s.index[report], s[report].tolist(), unreadable[report]):
        if bad:
            ctx.problem(idx, col.name, value, Message("rule_not_yes_no"))
        else:
            ctx.problem(idx, col.name, None, Message("rule_blank_practice"))
    return pd.Series(pd.arrays.BooleanArray(state == 1, missing), index=s.index)


def _convert_text(s: pd.Series, col: columns.Column, ctx: _Ctx) -> pd.Series:
    if cells.is_text_column(s) and col.name != "status":
        return cells.text_cells(s)
    codes, outcomes = cells.by_value(s, cells.to_text)
    values = [text for _, text in outcomes]
    if col.name == "status":
        renamed: dict[str, str] = {}
        for i, v in enumerate(values):
            if v is None:
                continue
            canonical = cells.STATUS_WORDS.get(cells.norm_word(v))
            if canonical is not None:
                if v != canonical:
                    renamed[v] = canonical
                values[i] = canonical
            # unknown words stay as they are: the schema's allowed-values check reports them
        if renamed:
            pairs = [Message("status_read_as", word=k, status=v) for k, v in renamed.items()]
            ctx.notes.append(Message("note_status", pairs=_joined(pairs)))
    return pd.Series(cells.per_cell(codes, values, object), index=s.index, dtype="str")


def _convert_date(s: pd.Series, col: columns.Column, ctx: _Ctx, order: str, date_format: str | None) -> pd.Series:
    codes, outcomes = cells.by_value(
        s,
        lambda v: None if cells.is_blank(v) else cells.read_date(v, order, date_format),
        (ValueError, TypeError, OverflowError),
    )
    unread = ~cells.per_cell(codes, [good for good, _ in outcomes], bool)
    expected = Message("date_expected_format", format=date_format) if date_format else Message("date_expected")
    for idx, value in zip(s.index[unread], s[unread].tolist()):
        ctx.problem(idx, col.name, value, Message("rule_not_a_date", expected=expected))
    stamps = pd.Series([ts if good and ts is not None else pd.NaT for good, ts in outcomes], dtype="object")
    return pd.Series(pd.to_datetime(stamps).astype("datetime64[us]").to_numpy()[codes], index=s.index)


def coerce_types(
    df: pd.DataFrame,
    *,
    file: str,
    row_label: str = "line",
    decimal: str | None = None,
    thousands: str | None = None,
    date_format: str | None = None,
) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Convert raw cells into typed canonical columns; return (typed frame, problems, notes).

    Numbers: text is read with `decimal` ("." when None) and `thousands`; spaces, non-breaking and
    narrow non-breaking spaces and currency symbols are ignored; anything else ("12 k€") is a
    problem. `adoption_m3` accepts % signs and is turned into a fraction (see `DATA_DICTIONARY.md`).
    Booleans: `cells.parse_bool_value` with `df.attrs["bool_vocabulary"]`; a blank `amo` is a
    problem; blanks in `df.attrs["blank_means_no"]` columns (default: framing questions and pitfalls)
    are False, elsewhere missing. Dates: ISO, dd/mm/yyyy, dd.mm.yyyy or typed datetimes; the
    day/month order of a column is proven by a field above 12 (in the column, else in the file's
    other date columns), day first otherwise; `date_format` forces a strptime format for text.
    `status` is normalised to completed/cancelled/ongoing (French words accepted); unknown words are
    left for the schema to report. Unrecognised columns are kept, numeric when every cell parses.
    The index (user row numbers) and `df.attrs` are kept. Problem cells become missing. Text
    columns (as read from CSV) are converted vectorised and per distinct value, typed columns
    (Parquet, SQL) per distinct value, mixed columns cell by cell; the result is the same.
    """
    attrs = dict(df.attrs)
    ctx = _Ctx(file, row_label, attrs.get("source_headers"))
    vocabulary = attrs.get("bool_vocabulary") or {}
    listed = attrs.get("blank_means_no")
    blank_means_no = set(columns.FRAMING_COLUMNS + columns.PITFALL_COLUMNS if listed is None else listed)
    by_name = {c.name: c for c in columns.COLUMNS}

    date_cols = [c for c in df.columns if c in by_name and by_name[c].kind == "date"]
    evidence = {c: cells.date_order_evidence(df[c]) for c in date_cols} if not date_format else {}
    file_evidence = {e for e in evidence.values() if e}

    out = {}
    excel_errors: dict[str, int] = {}
    error_examples: list[str] = []
    for name in df.columns:
        s = df[name]
        errors = cells.excel_error_values(s)
        if errors:
            excel_errors[ctx.label(name)] = int(s.isin(errors).sum())
            error_examples.extend(e.strip() for e in errors if e.strip() not in error_examples)
        col = by_name.get(name)
        if col is None:
            out[name] = cells.numbers_if_all_read(s, decimal, thousands)
        elif col.kind in ("float", "int"):
            out[name] = _convert_number(s, col, ctx, decimal, thousands)
        elif col.kind == "bool":
            out[name] = _convert_bool(s, col, ctx, vocabulary, blank_means_no)
        elif col.kind == "date":
            order = evidence.get(name)
            if order is None and len(file_evidence) == 1:
                order = next(iter(file_evidence))
                why = Message("why_dates_file")
            elif order is None:
                order = "day"
                why = Message("why_dates_assumed")
            else:
                why = Message("why_dates_first" if order == "day" else "why_dates_second")
            timed = cells.first_timestamp(s)
            if timed is not None and not date_format:
                ctx.notes.append(Message("note_timestamps", column=ctx.label(name), example=timed))
            if not date_format and cells.has_dmy(s):
                words = Message("date_order_day" if order == "day" else "date_order_month")
                ctx.notes.append(Message("note_dates_read", column=name, order=words, why=why))
            out[name] = _convert_date(s, col, ctx, order, date_format)
        else:
            out[name] = _convert_text(s, col, ctx)
    if excel_errors:
        ctx.notes.append(
            Message(
                "note_excel_errors",
                count=sum(excel_errors.values()),
                examples=", ".join(error_examples[:4]),
                columns=", ".join(f"'{c}' ({k})" for c, k in excel_errors.items()),
            )
        )
    if ctx.blank_no:
        n = sum(ctx.blank_no.values())
        ctx.notes.append(
            Message(
                "note_blank_no" + ("_many" if n > 1 else ""),
                n=n,
                columns=", ".join(f"{c} ({k})" for c, k in ctx.blank_no.items()),
            )
        )
    typed = pd.DataFrame(out, index=df.index)
    typed.attrs = attrs
    return typed, ctx.problems, ctx.notes


# ---------------------------------------------------------------------------------------------
# Completion from dates and framing answers (formulas in `metrics`)
# ---------------------------------------------------------------------------------------------


def _complete_durations(df: pd.DataFrame, ctx: _Ctx, raw: pd.DataFrame) -> pd.DataFrame:
    """Fill the two durations from the dates (whole column when absent, blank cells otherwise)."""
    start = df["start_date"] if "start_date" in df else None
    for name, (start_col, end_col) in columns.DERIVABLE_FROM_DATES.items():
        if start is None or end_col not in df:
            continue
        end = df[end_col]
        before = end.notna() & start.notna() & (end < start)
        for idx in df.index[before]:
            raw_value = raw.at[idx, end_col] if end_col in raw else end[idx]
            ctx.problem(
                idx,
                end_col,
                raw_value,
                Message("rule_before_start", column=end_col, date=start[idx].date().isoformat()),
            )
        days = metrics.duration_days(start, end)
        if name not in df:
            df[name] = days
            n = int(days.notna().sum())
            ctx.notes.append(
                Message(
                    "note_duration_derived" + ("" if n == 1 else "_many"),
                    column=name,
                    start=start_col,
                    end=end_col,
                    n=n,
                )
            )
        else:
            fill = df[name].isna() & days.notna()
            if fill.any():
                df.loc[fill, name] = days[fill]
                n = int(fill.sum())
                ctx.notes.append(
                    Message(
                        "note_duration_filled" + ("_many" if n > 1 else ""),
                        column=name,
                        n=n,
                        start=start_col,
                        end=end_col,
                    )
                )
    return df


def _complete_framing_score(df: pd.DataFrame, ctx: _Ctx) -> pd.DataFrame:
    """framing_score = count of yes among framing_q01…q10 when all ten columns exist (a row with an
    unanswered question keeps its given score, or none)."""
    qs = list(columns.FRAMING_COLUMNS)
    if not all(q in df for q in qs):
        return df
    computed = metrics.framing_score(df[qs])
    complete = computed.notna()
    if "framing_score" in df:
        given = df["framing_score"].astype("Int64")
        differs = complete & given.notna() & (given != computed)
        differs = differs.fillna(False).astype(bool)
        score = computed.where(complete, given)
        if differs.any():
            rows = [_row(i) for i in df.index[differs]]
            ctx.notes.append(
                Message(
                    "note_framing_recomputed" + ("_many" if len(rows) > 1 else ""),
                    n=len(rows),
                    rows=_rows_phrase(rows, ctx.row_label),
                )
            )
    else:
        score = computed
        ctx.notes.append(Message("note_framing_score_computed"))
    df["framing_score"] = score.astype("Int64")
    return df


# ---------------------------------------------------------------------------------------------
# The whole chain
# ---------------------------------------------------------------------------------------------


def _missing_columns_message(file: str, missing: list[str], found) -> str:
    by_name = {c.name: c for c in columns.COLUMNS}
    parts = []
    for name in missing:
        col = by_name[name]
        text = f"'{name}' ({col.header_en} / {col.header_fr}"
        if name in columns.DERIVABLE_FROM_DATES:
            a, b = columns.DERIVABLE_FROM_DATES[name]
            text += f", or {a} and {b} to derive it"
        parts.append(text + ")")
    found_text = ", ".join(str(c) for c in found) or "none"
    return f"{file} has no column for {' nor '.join(parts)}; columns found: {found_text}"


def _bound_rules() -> dict[str, Message]:
    """{English text of each catalogue rule: the rule as a message} (pandera gives back the text)."""
    rules = (bound_rule(col) for col in columns.COLUMNS)
    return {str(rule): rule for rule in rules if rule is not None}


_BOUND_RULES = _bound_rules()


def _pandera_problems(
    data: pd.DataFrame, raw: pd.DataFrame, ctx: _Ctx, known: set, has_practice: bool = True
) -> list[Problem]:
    import pandera.pandas as pa

    try:
        portfolio_schema(has_practice).validate(data, lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    problems = []
    by_value: dict[tuple[str, str], list[int]] = {}  # rows of each repeated id
    if "project_id" in data:
        ids = data["project_id"]
        for idx, v in ids[ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy()].items():
            if not cells.is_blank(v):
                by_value.setdefault(("project_id", v), []).append(_row(idx))
    for case in cases.itertuples(index=False):
        column, check, idx = case.column, str(case.check), case.index
        row = None if idx is None or (isinstance(idx, float) and math.isnan(idx)) else _row(idx)
        if row is not None and (row, ctx.label(column)) in known:
            continue
        value = case.failure_case
        if row is not None and column in raw and idx in raw.index:
            value = raw.at[idx, column]
        if check == "not_nullable":
            rule, value = Message("rule_not_empty"), None
        elif check == "field_uniqueness":
            others = [r for r in by_value.get((column, data.at[idx, column]), []) if r != row]
            rule = Message("rule_duplicate", column=column, rows=_rows_phrase(others, ctx.row_label))
        elif check.startswith("dtype(") or "dtype" in check:
            rule = f"has the wrong type ({value}; expected {check})"
            value = None
        elif check == "column_in_dataframe":
            rule, value = Message("rule_required_missing"), None
        else:
            rule = _BOUND_RULES.get(check, check)
        problems.append(Problem(ctx.file, rule, row, ctx.label(column), _plain(value), ctx.row_label))
    return problems


def _plain(value):
    if cells.is_blank(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _sort_problems(problems: list[Problem], ctx: _Ctx) -> list[Problem]:
    order = {ctx.label(c.name): i for i, c in enumerate(columns.COLUMNS)}
    return sorted(problems, key=lambda p: (p.row is not None, p.row or 0, order.get(p.column or "", len(order))))


def validate_portfolio(
    df: pd.DataFrame,
    *,
    file: str,
    row_label: str = "line",
    decimal: str | None = None,
    thousands: str | None = None,
    drop_invalid: bool = False,
    tolerances: metrics.OutcomeTolerances = metrics.OutcomeTolerances(),
) -> ValidationResult:
    """Type, check and enrich a mapped portfolio table.

    Steps: required columns present (durations may come from the dates), `coerce_types`, durations
    filled from the dates, `framing_score` computed from the ten answers, the pandera contract
    (`portfolio_schema`), then `metrics.derive_metrics`. Strict by default: any problem raises
    `ContractError(file, problems)` listing every offending cell. With `drop_invalid=True` the rows
    with problems are excluded (`excluded_rows`) and the problems kept for the report. Raises
    `InputError` when a required column is absent or no row is left. A practice column with a
    single value is not an error here (the analysis reports it); a portfolio without a practice column
    is not either: `amo` is then blank on every row, `has_practice` False, and a note says which
    analyses need one. `df.attrs` are kept.
    """
    found = list(df.columns)
    missing_cols = []
    has_practice = "amo" in df
    for name in columns.REQUIRED:
        if name in df or name == "amo":  # without a practice, the analyses that need none still run
            continue
        dates = columns.DERIVABLE_FROM_DATES.get(name)
        if dates and all(d in df for d in dates):
            continue
        missing_cols.append(name)
    if missing_cols:
        message = _missing_columns_message(file, missing_cols, found)
        raise InputError(
            message, [Problem(file, "required column is missing", None, c, None, row_label) for c in missing_cols]
        )
    if len(df) == 0:
        raise InputError(f"{file} has no data rows")

    ctx = _Ctx(file, row_label, df.attrs.get("source_headers"))
    computed = [c for c in columns.DERIVED + ("extreme_outlier",) if c in df]
    if computed:
        attrs = dict(df.attrs)
        df = df.drop(columns=computed)
        df.attrs = attrs
        ctx.notes.append(
            Message("note_derived_ignored" + ("_many" if len(computed) > 1 else ""), columns=", ".join(computed))
        )
    typed, problems, notes = coerce_types(
        df,
        file=file,
        row_label=row_label,
        decimal=decimal,
        thousands=thousands,
        date_format=df.attrs.get("date_format"),
    )
    ctx.problems.extend(problems)
    ctx.notes.extend(notes)
    if not has_practice:
        typed["amo"] = pd.array([pd.NA] * len(typed), dtype="boolean")
        ctx.notes.append(Message("note_no_practice"))
    typed = _complete_durations(typed, ctx, df)
    typed = _complete_framing_score(typed, ctx)
    known = {(p.row, p.column) for p in ctx.problems}
    problems = _sort_problems(ctx.problems + _pandera_problems(typed, df, ctx, known, has_practice), ctx)

    excluded: list[int] = []
    if problems:
        if not drop_invalid or any(p.row is None for p in problems):
            raise ContractError(file, problems)
        bad = {p.row for p in problems}
        rows = typed.index if pd.api.types.is_integer_dtype(typed.index) else typed.index.map(_row)
        keep = typed.index[~rows.isin(list(bad))]
        excluded = sorted(bad)
        if len(keep) == 0:
            raise InputError(
                f"{file}: no row left after excluding the {len(excluded)} "
                f"{row_label}{'s' if len(excluded) > 1 else ''} with problems "
                f"(first: {problems[0].sentence()})",
                problems,
            )
        typed = typed.loc[keep]
        ctx.notes.append(
            Message(
                "note_rows_excluded",
                n=len(excluded),
                label=row_label_word(row_label, len(excluded)),
                rows=_rows_phrase(excluded, row_label),
            )
        )

    canonical = [c.name for c in columns.COLUMNS if c.role != "derived" and c.name in typed]
    typed = typed[canonical + [c for c in typed.columns if c not in canonical]]
    data = metrics.derive_metrics(typed, tolerances)
    extreme = data.index[data["extreme_outlier"]]
    if len(extreme):
        detail = _joined(
            [
                Message(
                    "row_drift",
                    label=row_label_word(row_label),
                    row=_row(i),
                    drift=f"{data.at[i, 'budget_drift']:+.0%}",
                )
                for i in extreme[:8]
            ]
        )
        ctx.notes.append(
            Message(
                "note_extreme" + ("_many" if len(extreme) > 1 else ""),
                n=len(extreme),
                limit=f"+{metrics.EXTREME_DRIFT:.0%}",
                detail=detail,
            )
        )
    missing = {
        c.name: int(data[c.name].isna().sum())
        for c in columns.COLUMNS
        if c.name in data and (has_practice or c.name != "amo")
    }
    data.attrs = dict(df.attrs)
    return ValidationResult(
        data=data,
        problems=problems,
        excluded_rows=excluded,
        notes=ctx.notes,
        missing=missing,
        has_practice=has_practice,
    )
