"""The portfolio data contract: typed columns, a pandera schema, and the derived metrics.

Input: a mapped table (`mapping.apply_mapping`): canonical column names, raw cell values (strings from
CSV, native types from XLSX/Parquet/SQL), index = the row number as the user sees it in the file.
`coerce_types` turns the cells into typed columns (reporting every unreadable cell), `portfolio_schema`
is the contract (bounds, uniqueness, allowed values, nullability) built from `columns.COLUMNS`,
`derive_metrics` adds budget drift, schedule slip, log ratios and the outcome class, and
`validate_portfolio` runs the whole chain. `data_dictionary_markdown` writes `data/DATA_DICTIONARY.md`
from the same catalogue, so the documentation cannot drift from the code.

Units: money in the run's cost unit, durations in calendar days, shares and drifts as fractions
(0.27 = 27 %), log ratios as natural logarithms.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import math
import numbers
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc

from amo_analysis.ingest import columns
from amo_analysis.errors import ContractError, InputError, Problem

if TYPE_CHECKING:  # pandera is imported where the contract is checked (notebooks reading Parquet skip it)
    import pandera.pandas as pa

# A cost drift above this (as a fraction: 10.0 = +1000 %) is kept but flagged in `extreme_outlier`.
EXTREME_DRIFT = 10.0
# Comparisons against the outcome tolerances allow this much floating-point slack (1.1 / 1 − 1 is
# 0.10000000000000009, which must count as "on target" at a 10 % tolerance).
_TOLERANCE_SLACK = 1e-9

# Canonical columns that may never be blank (every other canonical column may be missing).
NOT_NULLABLE: tuple[str, ...] = ("project_id", "amo")

# Cell texts read as a missing value in any column (compared lowercased, after stripping).
MISSING_MARKERS: frozenset[str] = frozenset({"", "na", "n/a", "#n/a", "nan", "nat", "<na>", "null", "none",
                                             "-", "–", "—"})

_SPACES = (" ", "\u00a0", "\u202f", "\u2009", "\t")
_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_ISO_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DMY_DATE_RE = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")

# Status words accepted (compared lowercased, without accents) -> canonical status.
STATUS_WORDS: dict[str, str] = {
    **{w: "completed" for w in ("completed", "complete", "done", "finished", "closed", "delivered",
                                "termine", "terminee", "clos", "cloture", "cloturee", "livre", "livree",
                                "acheve", "fini", "finie")},
    **{w: "cancelled" for w in ("cancelled", "canceled", "abandoned", "stopped", "annule", "annulee",
                                "abandonne", "abandonnee", "arrete", "arretee")},
    **{w: "ongoing" for w in ("ongoing", "in progress", "open", "active", "running", "en cours",
                              "ouvert", "actif")},
}

_PANDERA_DTYPES = {"id": "str", "text": "str", "category": "str", "float": "float64",
                   "int": "Int64", "bool": "boolean", "date": "datetime64[us]"}
_KIND_WORDS = {"id": "text", "text": "text", "category": "text", "float": "number",
               "int": "whole number", "bool": "yes/no", "date": "date"}


@dataclass(frozen=True)
class OutcomeTolerances:
    """Standish-style resolution thresholds, as fractions (0.10 = 10 %)."""

    on_target: float = 0.10   # drift and slip both <= on_target (and not cancelled) -> "successful"
    failure: float = 0.50     # cancelled, or drift > failure, or slip > failure -> "failed"; otherwise "challenged"


@dataclass
class ValidationResult:
    """What `validate_portfolio` returns (see its docstring)."""

    data: pd.DataFrame          # typed canonical columns (+ extra columns kept, numeric where they parse) + derived columns
    problems: list[Problem]     # every contract violation found (empty when clean)
    excluded_rows: list[int] = field(default_factory=list)   # user row numbers excluded (drop_invalid=True only)
    notes: list[str] = field(default_factory=list)           # conversions and derivations in plain words
    missing: dict[str, int] = field(default_factory=dict)    # missing values per canonical column present


# ---------------------------------------------------------------------------------------------
# Rules in words (shared by the pandera checks and the data dictionary, so they cannot differ)
# ---------------------------------------------------------------------------------------------

def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def bound_rule(col: columns.Column) -> str | None:
    """The value rule of a column in words ("must be greater than 0"), or None when it has none."""
    if col.allowed:
        return "must be one of " + ", ".join(col.allowed)
    lo, hi = col.min_value, col.max_value
    if lo is not None and hi is not None:
        if col.min_inclusive:
            return f"must be between {_fmt(lo)} and {_fmt(hi)}"
        return f"must be greater than {_fmt(lo)} and at most {_fmt(hi)}"
    if lo is not None:
        return f"must be at least {_fmt(lo)}" if col.min_inclusive else f"must be greater than {_fmt(lo)}"
    if hi is not None:
        return f"must be at most {_fmt(hi)}"
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


def portfolio_schema() -> pa.DataFrameSchema:
    """The portfolio contract as a pandera schema, built from `columns.COLUMNS` at call time.

    Applies to typed data (after `coerce_types`): dtypes per kind, bounds and allowed values from the
    catalogue, `project_id` unique, `project_id` and `amo` never blank, required columns present
    (the two durations count as present once derived from the dates). Extra columns are allowed.
    """
    import pandera.pandas as pa

    spec = {}
    for col in columns.COLUMNS:
        spec[col.name] = pa.Column(
            _PANDERA_DTYPES[col.kind],
            checks=_checks(col),
            nullable=col.name not in NOT_NULLABLE,
            unique=col.kind == "id",
            required=col.role == "required",
            coerce=False,
            description=col.description,
        )
    return pa.DataFrameSchema(spec, strict=False, name="portfolio")


# ---------------------------------------------------------------------------------------------
# Cell readers
# ---------------------------------------------------------------------------------------------

def _is_blank(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, np.floating) and np.isnan(value):
        return True
    if isinstance(value, np.datetime64) and np.isnat(value):
        return True
    if isinstance(value, str):
        return value.strip().lower() in MISSING_MARKERS
    return False


def _strip_currency(text: str) -> str:
    while text and unicodedata.category(text[0]) == "Sc":
        text = text[1:]
    while text and unicodedata.category(text[-1]) == "Sc":
        text = text[:-1]
    return text


def _parse_number_text(text: str, decimal: str | None, thousands: str | None,
                       allow_percent: bool) -> tuple[float, bool]:
    """Read one number written as text; returns (value, had_percent_sign). Raises ValueError."""
    s = text.strip()
    for space in _SPACES:
        s = s.replace(space, "")
    s = s.replace("\u2212", "-")
    percent = False
    if allow_percent and (s.startswith("%") or s.endswith("%")):
        s = s[1:] if s.startswith("%") else s[:-1]
        percent = True
    s = _strip_currency(s)
    # a sign may sit before a currency symbol ("-€12")
    if s[:1] in "+-" and len(s) > 1 and unicodedata.category(s[1]) == "Sc":
        s = s[0] + _strip_currency(s[1:])
    dec = decimal or "."
    if thousands and thousands not in _SPACES and thousands != dec and thousands in s:
        int_part = s.split(dec, 1)[0].lstrip("+-")
        if not re.fullmatch(r"\d{1,3}(?:" + re.escape(thousands) + r"\d{3})+", int_part):
            raise ValueError(text)
        s = s.replace(thousands, "")
    if dec != ".":
        if "." in s:
            raise ValueError(text)
        s = s.replace(dec, ".")
    if not _NUMBER_RE.match(s):
        raise ValueError(text)
    return float(s), percent


def _to_float(value: object, decimal: str | None, thousands: str | None,
              allow_percent: bool = False) -> tuple[float | None, bool]:
    """One cell as a float (None when blank) and whether it carried a % sign. Raises ValueError."""
    if _is_blank(value):
        return None, False
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(value)
    if isinstance(value, (numbers.Real, _decimal.Decimal)) and not isinstance(value, (np.datetime64, np.timedelta64)):
        out = float(value)
        if math.isinf(out):
            raise ValueError(value)
        return out, False
    if isinstance(value, str):
        return _parse_number_text(value, decimal, thousands, allow_percent)
    raise ValueError(value)


def _to_text(value: object) -> str | None:
    if _is_blank(value):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _norm_word(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[_\-]+", " ", text.lower()).split())


def _to_timestamp(value: object) -> pd.Timestamp:
    """A typed date cell (datetime, date, Timestamp, numpy datetime64) at midnight. Raises ValueError."""
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date, np.datetime64)):
        ts = pd.Timestamp(value)
        if ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        return ts.normalize()
    raise ValueError(value)


# ---------------------------------------------------------------------------------------------
# Column converters: each returns (typed series, problems, notes)
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


def _rows_text(rows, limit: int = 8) -> str:
    rows = list(rows)
    text = ", ".join(str(r) for r in rows[:limit])
    return text + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _rows_phrase(rows, row_label: str) -> str:
    """'line 3' or 'lines 3, 4 and 2 more'."""
    rows = list(rows)
    return f"{row_label}{'s' if len(rows) > 1 else ''} {_rows_text(rows)}"


_MARKER_LENGTH = max(map(len, MISSING_MARKERS))


def _text_column(s: pd.Series) -> bool:
    """True for a column of text cells (as read from a CSV file): its cells are read per distinct value."""
    return isinstance(s.dtype, pd.StringDtype)


def _by_value(s: pd.Series, read, errors: tuple = ()) -> tuple[np.ndarray, list[tuple[bool, object]]]:
    """`read` applied once per distinct cell: cell i's outcome is `outcomes[codes[i]]`, either
    (True, what `read` returned) or (False, the exception of a class in `errors` it raised).

    A text column is factorised (its missing cells are read as the column's missing value), and so
    is a column of one type (numbers, booleans, dates: a Parquet or SQL source), its missing cells
    read as the first missing cell. Mixed (object) columns are read cell by cell (text cells once
    per distinct text): equal values of different types (1, 1.0, True) may read differently.
    """
    def attempt(value):
        try:
            return True, read(value)
        except errors as exc:
            return False, exc

    if _text_column(s) or s.dtype != object:
        codes, uniques = pd.factorize(s)
        missing = codes < 0
        # Python scalars, as the cell-by-cell reading gets them (np.int64 is no int); the first
        # missing cell stands for all of them
        values = uniques.tolist() + s[missing].tolist()[:1]
        return np.where(missing, len(uniques), codes), [attempt(v) for v in values]
    cache: dict[str, tuple[bool, object]] = {}
    outcomes = []
    for value in s.tolist():
        if not isinstance(value, str):
            outcomes.append(attempt(value))
            continue
        if value not in cache:
            cache[value] = attempt(value)
        outcomes.append(cache[value])
    return np.arange(len(s)), outcomes


def _mask(found) -> np.ndarray:
    """A pyarrow boolean array as a numpy mask, missing as False."""
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def _per_cell(codes: np.ndarray, per_outcome: list, dtype) -> np.ndarray:
    """One value per cell from one value per outcome (see `_by_value`)."""
    return np.asarray(per_outcome, dtype=dtype)[codes]


def _plain_numbers(s: pd.Series, decimal, thousands, whole: bool) -> tuple[np.ndarray, np.ndarray]:
    """Mask and values of the cells of a text column written as plain numbers ("-1234", or "12,5"
    with a decimal comma; integers only when `whole`), converted vectorised to what `_to_float`
    reads. Cells in any other form, and other columns, are left to `_to_float` (mask False)."""
    mask = np.zeros(len(s), dtype=bool)
    values = np.full(len(s), np.nan)
    dec = decimal or "."
    if not _text_column(s) or dec not in ",." or (thousands and (thousands.isdigit() or thousands in "+-")):
        return mask, values
    pattern = "^-?[0-9]+$" if whole else "^-?[0-9]+(?:" + re.escape(dec) + "[0-9]+)?$"
    cells = pyarrow.array(s.array)
    found = pc.match_substring_regex(cells, pattern)
    plain = pc.replace_substring(pc.filter(cells, found), dec, ".")
    mask = _mask(found)
    values[mask] = pc.cast(plain, pyarrow.float64()).to_numpy(zero_copy_only=False)
    return mask, values


_LARGEST_WHOLE = 2**53  # the largest integer a float64 holds exactly


def _convert_number(s: pd.Series, col: columns.Column, ctx: _Ctx, decimal, thousands) -> pd.Series:
    is_share = col.name == "adoption_m3"
    plain, out = _plain_numbers(s, decimal, thousands, whole=col.kind == "int")
    rest = s[~plain]
    codes, outcomes = _by_value(rest, lambda v: _to_float(v, decimal, thousands, allow_percent=is_share),
                                (ValueError,))
    read = _per_cell(codes, [good for good, _ in outcomes], bool)
    given = _per_cell(codes, [good and r[0] is not None for good, r in outcomes], bool)
    number = _per_cell(codes, [r[0] if good and r[0] is not None else np.nan for good, r in outcomes], float)
    percent_signs = int(_per_cell(codes, [good and r[1] for good, r in outcomes], bool).sum())
    fraction = np.zeros(len(rest), dtype=bool)
    if col.kind == "int":
        fraction = given & ~_per_cell(codes, [good and r[0] is not None and float(r[0]).is_integer()
                                              for good, r in outcomes], bool)
    report = ~read | fraction
    for idx, value, unread in zip(rest.index[report], rest[report].tolist(), ~read[report]):
        if unread:
            hint = f" (decimal mark is '{decimal or '.'}')" if isinstance(value, str) else ""
            ctx.problem(idx, col.name, value, f"text in a numeric column{hint}")
        else:
            ctx.problem(idx, col.name, value, "must be a whole number")
    out[~plain] = np.where(report, np.nan, number)
    series = pd.Series(out, index=s.index, dtype="float64")
    if is_share:
        valid = series.dropna()
        # Percent scale when most values are above 1 (all within [0, 100]): one 1.5 among fractions
        # is an error to report, not a reason to divide the whole column by 100.
        as_percent = percent_signs > 0 or (
            len(valid) > 0 and valid.between(0, 100).all() and 2 * int((valid > 1).sum()) > len(valid))
        if as_percent:
            why = "given with % signs" if percent_signs else "read as percentages"
            ctx.notes.append(f"{col.name} {why} (max {_fmt(round(valid.max(), 6))}): divided by 100")
            series = series / 100
    if col.kind == "int":
        too_large = series.abs() > _LARGEST_WHOLE  # beyond it a float is no longer a whole number
        for idx in series.index[too_large.to_numpy()]:
            ctx.problem(idx, col.name, s[idx], f"too large for a whole number (at most {_LARGEST_WHOLE:,})")
        return series.mask(too_large).astype("Int64")
    return series


def _convert_bool(s: pd.Series, col: columns.Column, ctx: _Ctx, vocabulary: dict,
                  blank_means_no: set[str]) -> pd.Series:
    from amo_analysis.ingest.mapping import parse_bool_value

    yes, no = vocabulary.get(col.name, ((), ()))
    codes, outcomes = _by_value(s, lambda v: parse_bool_value(v, yes=tuple(yes), no=tuple(no)),
                                (ValueError, TypeError))
    # per cell: 1 yes, 0 no, -1 blank, -2 not a yes/no value
    state = _per_cell(codes, [(-1 if r is None else int(bool(r))) if good else -2 for good, r in outcomes],
                      np.int8)
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
            ctx.problem(idx, col.name, value, "not a yes/no value (expected e.g. oui/non, yes/no, 1/0, x/blank)")
        else:
            ctx.problem(idx, col.name, None, "blank practice value: every project must say yes or no")
    return pd.Series(pd.arrays.BooleanArray(state == 1, missing), index=s.index)


def _convert_text(s: pd.Series, col: columns.Column, ctx: _Ctx) -> pd.Series:
    if _text_column(s) and col.name != "status":
        return _text_cells(s)
    codes, outcomes = _by_value(s, _to_text)
    values = [text for _, text in outcomes]
    if col.name == "status":
        renamed: dict[str, str] = {}
        for i, v in enumerate(values):
            if v is None:
                continue
            canonical = STATUS_WORDS.get(_norm_word(v))
            if canonical is not None:
                if v != canonical:
                    renamed[v] = canonical
                values[i] = canonical
            # unknown words stay as they are: the schema's allowed-values check reports them
        if renamed:
            ctx.notes.append("status: " + ", ".join(f"'{k}' read as {v}" for k, v in renamed.items()))
    return pd.Series(_per_cell(codes, values, object), index=s.index, dtype="str")


def _text_cells(s: pd.Series) -> pd.Series:
    """`_to_text` over a text column: a cell longer than any missing marker, with no whitespace at
    either end, is kept as it is (vectorised); the other cells are read per distinct value."""
    cells = pyarrow.array(s.array)
    kept = _mask(pc.and_(pc.greater(pc.utf8_length(cells), _MARKER_LENGTH),
                         pc.equal(pc.utf8_trim_whitespace(cells), cells)))
    codes, outcomes = _by_value(s[~kept], _to_text)
    slots = np.full(len(s), len(outcomes))  # kept cells point past the outcomes, at a null
    slots[~kept] = codes
    read = pyarrow.array([text for _, text in outcomes] + [None], type=cells.type).take(slots)
    return pd.Series(pd.array(pc.if_else(kept, cells, read), dtype="str"), index=s.index)


def _split_date(value: object) -> tuple | None:
    """('iso', y, m, d) or ('dmy', a, b, y) for a date string, or None when it matches neither form."""
    text = value.strip()
    m = _ISO_DATE_RE.match(text)
    if m:
        return ("iso", int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _DMY_DATE_RE.match(text)
    if m:
        return ("dmy", int(m.group(1)), int(m.group(3)), int(m.group(4)))
    return None


def _distinct_texts(s: pd.Series) -> set[str]:
    """The distinct text cells of `s`."""
    if _text_column(s):
        return set(s.dropna().unique())
    return {v for v in s.tolist() if isinstance(v, str)}


def _date_order_evidence(s: pd.Series) -> str | None:
    """'day' when a first field > 12 proves day/month order, 'month' when a second field does, else None."""
    firsts, seconds = [], []
    for value in _distinct_texts(s):
        if not _is_blank(value):
            parts = _split_date(value)
            if parts and parts[0] == "dmy":
                firsts.append(parts[1])
                seconds.append(parts[2])
    if any(a > 12 for a in firsts):
        return "day"
    if any(b > 12 for b in seconds):
        return "month"
    return None


def _has_dmy(s: pd.Series) -> bool:
    return any(not _is_blank(v) and (_split_date(v) or ("",))[0] == "dmy" for v in _distinct_texts(s))


def _read_date(value: object, order: str, date_format: str | None) -> pd.Timestamp:
    """One non-blank date cell at midnight; `order` is "day" or "month" for dd/mm forms. Raises ValueError."""
    if not isinstance(value, str):
        return _to_timestamp(value)
    text = value.strip()
    if date_format:
        return pd.Timestamp(_dt.datetime.strptime(text, date_format)).normalize()
    parts = _split_date(text)
    if parts is None:
        raise ValueError(value)
    if parts[0] == "iso":
        _, y, m, d = parts
    else:
        _, a, b, y = parts
        d, m = (a, b) if order == "day" else (b, a)
    return pd.Timestamp(_dt.date(y, m, d))


def _convert_date(s: pd.Series, col: columns.Column, ctx: _Ctx, order: str, date_format: str | None) -> pd.Series:
    codes, outcomes = _by_value(s, lambda v: None if _is_blank(v) else _read_date(v, order, date_format),
                                (ValueError, TypeError, OverflowError))
    unread = ~_per_cell(codes, [good for good, _ in outcomes], bool)
    expected = f"format {date_format}" if date_format else "e.g. 2024-03-31 or 31/03/2024"
    for idx, value in zip(s.index[unread], s[unread].tolist()):
        ctx.problem(idx, col.name, value, f"not a date ({expected})")
    stamps = pd.Series([ts if good and ts is not None else pd.NaT for good, ts in outcomes], dtype="object")
    return pd.Series(pd.to_datetime(stamps).astype("datetime64[us]").to_numpy()[codes], index=s.index)


def _convert_extra(s: pd.Series, decimal, thousands) -> pd.Series:
    """An unrecognised column: numeric when every non-blank cell reads as a number, else unchanged."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s
    plain, values = _plain_numbers(s, decimal, thousands, whole=False)
    codes, outcomes = _by_value(s[~plain], lambda v: _to_float(v, decimal, thousands)[0], (ValueError,))
    if not all(good for good, _ in outcomes):
        return s
    if not plain.any() and all(number is None for _, number in outcomes):  # every cell blank
        return s
    values[~plain] = _per_cell(codes, [np.nan if number is None else number for _, number in outcomes], float)
    return pd.Series(values, index=s.index, dtype="float64")


def coerce_types(df: pd.DataFrame, *, file: str, row_label: str = "line", decimal: str | None = None,
                 thousands: str | None = None, date_format: str | None = None
                 ) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Convert raw cells into typed canonical columns; return (typed frame, problems, notes).

    Numbers: text is read with `decimal` ("." when None) and `thousands`; spaces, non-breaking and
    narrow non-breaking spaces and currency symbols are ignored; anything else ("12 k€") is a
    problem. `adoption_m3` accepts % signs and is turned into a fraction (see `DATA_DICTIONARY.md`).
    Booleans: `mapping.parse_bool_value` with `df.attrs["bool_vocabulary"]`; a blank `amo` is a
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
    evidence = {c: _date_order_evidence(df[c]) for c in date_cols} if not date_format else {}
    file_evidence = {e for e in evidence.values() if e}

    out = {}
    for name in df.columns:
        s = df[name]
        col = by_name.get(name)
        if col is None:
            out[name] = _convert_extra(s, decimal, thousands)
        elif col.kind in ("float", "int"):
            out[name] = _convert_number(s, col, ctx, decimal, thousands)
        elif col.kind == "bool":
            out[name] = _convert_bool(s, col, ctx, vocabulary, blank_means_no)
        elif col.kind == "date":
            order = evidence.get(name)
            if order is None and len(file_evidence) == 1:
                order = next(iter(file_evidence))
                why = "as the file's other date columns prove"
            elif order is None:
                order = "day"
                why = "no field above 12 proves the order; day first assumed"
            else:
                why = f"a {'first' if order == 'day' else 'second'} field above 12 proves it"
            if not date_format and _has_dmy(s):
                words = "day/month/year" if order == "day" else "month/day/year"
                ctx.notes.append(f"{name}: dates read as {words} ({why})")
            out[name] = _convert_date(s, col, ctx, order, date_format)
        else:
            out[name] = _convert_text(s, col, ctx)
    if ctx.blank_no:
        n = sum(ctx.blank_no.values())
        ctx.notes.append(f"{n} blank cell{'s' if n > 1 else ''} read as no in "
                         + ", ".join(f"{c} ({k})" for c, k in ctx.blank_no.items()))
    typed = pd.DataFrame(out, index=df.index)
    typed.attrs = attrs
    return typed, ctx.problems, ctx.notes


# ---------------------------------------------------------------------------------------------
# Completion from dates and framing answers
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
            ctx.problem(idx, end_col, raw_value,
                        f"{end_col} is before start_date ({start[idx].date().isoformat()})")
        days = (end - start).dt.days.astype("float64").where(~before)
        if name not in df:
            df[name] = days
            n = int(days.notna().sum())
            ctx.notes.append(f"{name} derived from {start_col} and {end_col} ({n} project{'s' if n != 1 else ''})")
        else:
            fill = df[name].isna() & days.notna()
            if fill.any():
                df.loc[fill, name] = days[fill]
                ctx.notes.append(f"{name}: {int(fill.sum())} blank cell{'s' if fill.sum() > 1 else ''} "
                                 f"filled from {start_col} and {end_col}")
    return df


def _complete_framing_score(df: pd.DataFrame, ctx: _Ctx) -> pd.DataFrame:
    """framing_score = count of yes among framing_q01…q10 when all ten columns exist (a row with an
    unanswered question keeps its given score, or none)."""
    qs = list(columns.FRAMING_COLUMNS)
    if not all(q in df for q in qs):
        return df
    answers = df[qs]
    complete = answers.notna().all(axis=1)
    computed = answers.fillna(False).astype(int).sum(axis=1).where(complete).astype("Int64")
    if "framing_score" in df:
        given = df["framing_score"].astype("Int64")
        differs = complete & given.notna() & (given != computed)
        differs = differs.fillna(False).astype(bool)
        score = computed.where(complete, given)
        if differs.any():
            rows = [_row(i) for i in df.index[differs]]
            ctx.notes.append(f"framing_score recomputed from framing_q01…q10; the given score differed on "
                             f"{len(rows)} project{'s' if len(rows) > 1 else ''} "
                             f"({_rows_phrase(rows, ctx.row_label)}) and was replaced")
    else:
        score = computed
        ctx.notes.append("framing_score computed as the number of yes among framing_q01…q10")
    df["framing_score"] = score.astype("Int64")
    return df


# ---------------------------------------------------------------------------------------------
# Derived metrics
# ---------------------------------------------------------------------------------------------

def _num(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df:
        return pd.to_numeric(df[name], errors="coerce").astype("float64")
    return pd.Series(np.nan, index=df.index, dtype="float64")


def derive_metrics(df: pd.DataFrame, tolerances: OutcomeTolerances = OutcomeTolerances()) -> pd.DataFrame:
    """Add the derived columns to a typed portfolio (returns a copy; attrs kept).

    - `budget_drift` = cost_actual / budget_planned − 1 (fraction; 0.27 = 27 % over budget);
    - `schedule_slip` = duration_actual_days / duration_planned_days − 1 (fraction);
    - `log_cost_ratio` = ln(cost_actual / budget_planned), missing when cost_actual is 0 or missing;
    - `log_duration_ratio` = ln(duration_actual_days / duration_planned_days), missing when the
      actual duration is 0 or missing;
    - `outcome_class`: "failed" when cancelled, or drift or slip > `tolerances.failure`;
      "successful" when drift and slip are both ≤ `tolerances.on_target`; "challenged" otherwise;
      missing when the project is ongoing, or not cancelled and a needed drift/slip is unknown
      (comparisons allow 1e-9 of floating-point slack);
    - `extreme_outlier`: True when budget_drift > +1000 % (the row is kept).
    """
    out = df.copy()
    budget, cost = _num(df, "budget_planned"), _num(df, "cost_actual")
    planned, actual = _num(df, "duration_planned_days"), _num(df, "duration_actual_days")
    cost_ratio, duration_ratio = cost / budget, actual / planned
    out["budget_drift"] = cost_ratio - 1
    out["schedule_slip"] = duration_ratio - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        out["log_cost_ratio"] = np.log(cost_ratio.where(cost_ratio > 0))
        out["log_duration_ratio"] = np.log(duration_ratio.where(duration_ratio > 0))

    drift, slip = out["budget_drift"], out["schedule_slip"]
    fail_limit = tolerances.failure + _TOLERANCE_SLACK
    ok_limit = tolerances.on_target + _TOLERANCE_SLACK
    status = df["status"] if "status" in df else pd.Series(pd.NA, index=df.index, dtype="object")
    cancelled = (status == "cancelled").fillna(False).astype(bool)
    ongoing = (status == "ongoing").fillna(False).astype(bool)
    failed = cancelled | (drift > fail_limit) | (slip > fail_limit)
    both_known = drift.notna() & slip.notna()
    successful = both_known & (drift <= ok_limit) & (slip <= ok_limit)
    outcome = pd.Series(np.where(successful, "successful", "challenged"), index=df.index, dtype="object")
    outcome = outcome.where(both_known, None)
    outcome[failed] = "failed"
    outcome[ongoing & ~cancelled] = None
    out["outcome_class"] = pd.Series(outcome, index=df.index, dtype="str")
    out["extreme_outlier"] = (drift > EXTREME_DRIFT).astype(bool)
    out.attrs = dict(df.attrs)
    return out


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


def _pandera_problems(data: pd.DataFrame, raw: pd.DataFrame, ctx: _Ctx, known: set) -> list[Problem]:
    import pandera.pandas as pa

    try:
        portfolio_schema().validate(data, lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    problems = []
    by_value: dict[tuple[str, str], list[int]] = {}  # rows of each repeated id
    if "project_id" in data:
        ids = data["project_id"]
        for idx, v in ids[ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy()].items():
            if not _is_blank(v):
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
            rule, value = "must not be empty", None
        elif check == "field_uniqueness":
            others = [r for r in by_value.get((column, data.at[idx, column]), []) if r != row]
            rule = f"duplicate {column} (also on {_rows_phrase(others, ctx.row_label)})"
        elif check.startswith("dtype(") or "dtype" in check:
            rule = f"has the wrong type ({value}; expected {check})"
            value = None
        elif check == "column_in_dataframe":
            rule, value = "required column is missing", None
        else:
            rule = check
        problems.append(Problem(ctx.file, rule, row, ctx.label(column), _plain(value), ctx.row_label))
    return problems


def _plain(value):
    if _is_blank(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _sort_problems(problems: list[Problem], ctx: _Ctx) -> list[Problem]:
    order = {ctx.label(c.name): i for i, c in enumerate(columns.COLUMNS)}
    return sorted(problems, key=lambda p: (p.row is not None, p.row or 0, order.get(p.column or "", len(order))))


def validate_portfolio(df: pd.DataFrame, *, file: str, row_label: str = "line", decimal: str | None = None,
                       thousands: str | None = None, drop_invalid: bool = False,
                       tolerances: OutcomeTolerances = OutcomeTolerances()) -> ValidationResult:
    """Type, check and enrich a mapped portfolio table.

    Steps: required columns present (durations may come from the dates), `coerce_types`, durations
    filled from the dates, `framing_score` computed from the ten answers, the pandera contract
    (`portfolio_schema`), then `derive_metrics`. Strict by default: any problem raises
    `ContractError(file, problems)` listing every offending cell. With `drop_invalid=True` the rows
    with problems are excluded (`excluded_rows`) and the problems kept for the report. Raises
    `InputError` when a required column is absent or no row is left. A practice column with a
    single value is not an error here (the analysis reports it). `df.attrs` are kept.
    """
    found = list(df.columns)
    missing_cols = []
    for name in columns.REQUIRED:
        if name in df:
            continue
        dates = columns.DERIVABLE_FROM_DATES.get(name)
        if dates and all(d in df for d in dates):
            continue
        missing_cols.append(name)
    if missing_cols:
        message = _missing_columns_message(file, missing_cols, found)
        raise InputError(message, [Problem(file, "required column is missing", None, c, None, row_label)
                                   for c in missing_cols])
    if len(df) == 0:
        raise InputError(f"{file} has no data rows")

    ctx = _Ctx(file, row_label, df.attrs.get("source_headers"))
    computed = [c for c in columns.DERIVED + ("extreme_outlier",) if c in df]
    if computed:
        attrs = dict(df.attrs)
        df = df.drop(columns=computed)
        df.attrs = attrs
        ctx.notes.append(f"column{'s' if len(computed) > 1 else ''} {', '.join(computed)} in the file "
                         f"ignored: amo-analysis computes {'them' if len(computed) > 1 else 'it'}")
    typed, problems, notes = coerce_types(df, file=file, row_label=row_label, decimal=decimal,
                                          thousands=thousands, date_format=df.attrs.get("date_format"))
    ctx.problems.extend(problems)
    ctx.notes.extend(notes)
    typed = _complete_durations(typed, ctx, df)
    typed = _complete_framing_score(typed, ctx)
    known = {(p.row, p.column) for p in ctx.problems}
    problems = _sort_problems(ctx.problems + _pandera_problems(typed, df, ctx, known), ctx)

    excluded: list[int] = []
    if problems:
        if not drop_invalid or any(p.row is None for p in problems):
            raise ContractError(file, problems)
        bad = {p.row for p in problems}
        rows = typed.index if pd.api.types.is_integer_dtype(typed.index) else typed.index.map(_row)
        keep = typed.index[~rows.isin(list(bad))]
        excluded = sorted(bad)
        if len(keep) == 0:
            raise InputError(f"{file}: no row left after excluding the {len(excluded)} "
                             f"{row_label}{'s' if len(excluded) > 1 else ''} with problems "
                             f"(first: {problems[0].sentence()})", problems)
        typed = typed.loc[keep]
        ctx.notes.append(f"{len(excluded)} {row_label}{'s' if len(excluded) > 1 else ''} with problems "
                         f"excluded ({_rows_phrase(excluded, row_label)})")

    canonical = [c.name for c in columns.COLUMNS if c.role != "derived" and c.name in typed]
    typed = typed[canonical + [c for c in typed.columns if c not in canonical]]
    data = derive_metrics(typed, tolerances)
    extreme = data.index[data["extreme_outlier"]]
    if len(extreme):
        detail = ", ".join(f"{row_label} {_row(i)}: {data.at[i, 'budget_drift']:+.0%}" for i in extreme[:8])
        ctx.notes.append(f"{len(extreme)} project{'s' if len(extreme) > 1 else ''} with a cost drift above "
                         f"+{EXTREME_DRIFT:.0%} kept and flagged in extreme_outlier ({detail})")
    missing = {c.name: int(data[c.name].isna().sum()) for c in columns.COLUMNS if c.name in data}
    data.attrs = dict(df.attrs)
    return ValidationResult(data=data, problems=problems, excluded_rows=excluded, notes=ctx.notes,
                            missing=missing)


# ---------------------------------------------------------------------------------------------
# The data dictionary
# ---------------------------------------------------------------------------------------------

def column_rule(col: columns.Column) -> str:
    """The contract of one column in a few words, as the data dictionary shows it."""
    if col.role == "derived":
        return "computed (never read from the file)"
    kind = _KIND_WORDS[col.kind]
    parts = [kind]
    if col.kind == "id":
        parts += ["non-empty", "unique"]
    elif col.name == "amo":
        parts.append("blank is an error")
    elif col.kind == "bool":
        parts.append("blank = no")
    elif col.kind == "date":
        parts.append("ISO, dd/mm/yyyy, dd.mm.yyyy or spreadsheet date")
    rule = bound_rule(col)
    if rule:
        parts.append(rule)
    if col.name == "status":
        parts.append("French words accepted")
    if col.name not in NOT_NULLABLE and col.kind != "bool":
        parts.append("may be empty")
    if col.name in columns.DERIVABLE_FROM_DATES:
        a, b = columns.DERIVABLE_FROM_DATES[col.name]
        parts.append(f"derived from {a} and {b} when absent")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def data_dictionary_markdown() -> str:
    """The text of `data/DATA_DICTIONARY.md`, generated from `columns.COLUMNS` (kept in sync by a test)."""
    t = OutcomeTolerances()
    groups = (("required", "Required columns"), ("optional", "Optional columns"),
              ("derived", "Derived columns (computed by amo-analysis)"))
    lines = [
        "# Portfolio data dictionary",
        "",
        "<!-- Generated by amo_analysis.ingest.schema.data_dictionary_markdown(); do not edit by hand. -->",
        "",
        "One row per project. Headers may be given in English, in French or with a listed synonym "
        "(accents, case, punctuation and unit suffixes such as `(€)` or `(jours)` are ignored); a mapping "
        "file can name any other header. Money is in the run's cost unit (EUR by default; hours or "
        "person-days work the same way), durations in calendar days, shares as fractions in [0, 1]. "
        "Columns not listed here are kept (numeric when every cell reads as a number) and may be used "
        "as covariates; columns that look like personal data are dropped before any analysis.",
        "",
    ]
    for role, title in groups:
        lines += [f"## {title}", "",
                  "| Column | English header | French header | Type | Unit | Rule | Description |",
                  "|---|---|---|---|---|---|---|"]
        for col in columns.COLUMNS:
            if col.role != role:
                continue
            kind = _KIND_WORDS[col.kind] if col.kind != "category" else "category"
            lines.append("| " + " | ".join(_cell(x) for x in (
                f"`{col.name}`", col.header_en or "—", col.header_fr or "—", kind, col.unit or "—",
                column_rule(col), col.description)) + " |")
        if role == "derived":
            lines.append("| `extreme_outlier` | — | — | yes/no | — | computed (never read from the file) | "
                         f"True when budget_drift is above +{EXTREME_DRIFT:.0%}; the project is kept and "
                         "reported. |")
        lines.append("")
    markers = ", ".join(f"`{m}`" for m in sorted(MISSING_MARKERS) if m)
    lines += [
        "## Missing values",
        "",
        f"An empty cell, or one reading {markers} (any case), is missing. Missing values are not "
        "errors: each analysis uses the projects where its inputs are known and the report counts the "
        "missing values per column. An empty `cost_actual` or `duration_actual_days` means the project "
        "is not finished. Only `project_id` and `amo` may never be empty.",
        "",
        "## Numbers",
        "",
        "Text cells are read with the decimal mark and thousands separator detected for the file "
        "(`1 234,56` in a French export, `1,234.56` in an English one). Spaces, non-breaking spaces "
        "and currency symbols (`€`, `$`, `£`) are ignored; anything else (`12 k€`, `about 300`) is "
        "reported as text in a numeric column rather than guessed. A thousands separator must group "
        "digits by three, so `1,5` is never read as 15.",
        "",
        "## Booleans",
        "",
        "Yes/no columns accept oui/non, yes/no, vrai/faux, true/false, 1/0, O/N and x/blank (case and "
        "accents ignored), plus any extra values the mapping file gives for the practice column. "
        "A blank `amo` (practice) cell is an error: every project must say whether it had the practice. "
        "In the framing questions and pitfalls a blank cell means no (checklists are ticked with x); "
        "a mapping file's `blank_means_no` can change that list. Any other text is an error. When all "
        "ten framing questions are present, `framing_score` is their number of yes (a given score that "
        "disagrees is replaced, and the replacement reported).",
        "",
        "## Dates",
        "",
        "Dates may be ISO (`2024-03-31`), French (`31/03/2024`, `31.03.2024`) or spreadsheet dates; a "
        "time of day is ignored. The day/month order of a column is decided once: a first field above "
        "12 proves day first, a second field above 12 proves month first; a column with no such field "
        "follows the file's other date columns, and day first is assumed when nothing proves the "
        "order. The decision is reported. A mapping file's `date_format` forces one format. A go-live "
        "date (planned or actual) before the start date is an error. When a duration column is absent (or a cell is "
        "blank) it is computed from the dates, in calendar days.",
        "",
        "## Percentages",
        "",
        "`adoption_m3` is a fraction in [0, 1]. A column written with `%` signs, or whose values all "
        "lie in [0, 100] with most of them above 1, is read as percentages and divided by 100 (the "
        "conversion is reported). A value still above 1 after that (e.g. 130 %, or 1.5 among "
        "fractions) is an error.",
        "",
        "## Outcome class",
        "",
        "`outcome_class` is a Standish-style resolution with two run parameters (defaults in "
        "brackets): **failed** when the project was cancelled, or its budget drift or schedule slip is "
        f"above the failure tolerance [{t.failure:.0%}]; **successful** when drift and slip are both at "
        f"most the on-target tolerance [{t.on_target:.0%}]; **challenged** otherwise. It is missing for "
        "ongoing projects and for projects whose drift or slip is unknown (unless that is enough to "
        "call them failed). An under-run (negative drift or slip) counts as on target.",
        "",
        "## Strict mode and `--drop-invalid`",
        "",
        "By default validation is strict: if any cell breaks a rule, nothing is analysed and every "
        "offending cell is listed with its file, line (CSV) or row (Excel), column (named as in the "
        "file) and value, so the "
        "export can be fixed in one pass. With `--drop-invalid` the rows with a problem are excluded "
        "instead, and the report lists them and why. Problems no row-dropping can fix (a required "
        "column absent, no row left) always stop the run. A single value in the practice column is "
        "not a validation error; the analysis reports that no comparison is possible.",
        "",
    ]
    return "\n".join(lines)
