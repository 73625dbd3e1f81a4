"""Reading cells: what one cell, or one column of cells, says: missing, yes/no, a number, a date, a
status word or text. The one place where cell values are interpreted.

Where it sits: sources → **cells** → mapping → privacy → contract → metrics → portfolio. `sources`
hands over raw cells (strings from CSV, native types from XLSX/Parquet/SQL) and reads none of them;
`mapping` compares yes/no vocabularies with `normalise_value`; `privacy` asks whether a column
holds only yes/no values or numbers (`parse_bool_value`, `looks_numeric`, `is_unfilled`);
`contract` types every column with these readers and reports what they cannot read. This module
imports nothing else of the package, and none of those three imports another to read a cell.

A reader of one cell returns its value (None when the cell is missing) or raises ValueError; it
never writes messages about rows and columns (`contract` does). The column readers (`by_value`,
`plain_numbers`, `text_cells`, `numbers_if_all_read`) give each cell what the one-cell readers give
it, faster: a column is read once per distinct value, plain numbers and plain text vectorised with
pyarrow.

Numbers: text is read with the file's decimal mark and thousands separator (spaces, non-breaking
spaces and currency symbols ignored; a thousands separator must group digits by three). Yes/no:
`YES_VALUES`/`NO_VALUES` in English and French, plus a mapping file's extra values. Dates: ISO,
dd/mm/yyyy, dd.mm.yyyy or typed datetimes, each optionally followed by a time (SQL "2020-05-25
00:00:00", ISO 8601 "2009-01-01T00:00:00Z" or "…T09:30:00.123+01:00"): the date is the calendar date
as written (the time and its offset are dropped, not converted to UTC); the day/month order is
decided per column by the caller (`date_order_evidence`). Missing: `MISSING_MARKERS`, one list for
every column, Excel's error values included.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import math
import numbers
import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc


# ---------------------------------------------------------------------------------------------
# Missing cells
#
# One list of missing-value markers, read the same way in every column (numbers, dates, text and
# yes/no): a blank cell, the usual "NA" spellings, dashes, and the error values Excel writes into
# a cell whose formula failed (`EXCEL_ERRORS`: "#N/A", "#DIV/0!"...). `contract` counts the Excel
# errors per column and says so in the data-quality notes. `is_unfilled` (what `privacy` counts as
# an empty cell when it asks what a column holds) stays narrower: there a "NA" is a filled cell.
# ---------------------------------------------------------------------------------------------

EXCEL_ERRORS: frozenset[str] = frozenset(
    {"#n/a", "#value!", "#div/0!", "#ref!", "#name?", "#num!", "#null!", "#getting_data", "#spill!", "#calc!"}
)
"""Excel's error values (lower case): a formula that failed, read as a missing value."""

MISSING_MARKERS: frozenset[str] = frozenset(
    {"", "na", "n/a", "nan", "nat", "<na>", "null", "none", "-", "–", "—", *EXCEL_ERRORS}
)
"""Cell texts read as a missing value in every column (compared lowercased, after stripping)."""

MISSING_VALUES: frozenset[str] = MISSING_MARKERS
"""The same list under its former name (yes/no cells used to have their own)."""


def is_excel_error(value: object) -> bool:
    """True for a text cell holding one of Excel's error values ("#N/A", "#DIV/0!", any case)."""
    return isinstance(value, str) and value.strip().lower() in EXCEL_ERRORS


def excel_error_values(s: pd.Series) -> list[str]:
    """The distinct cells of `s` that are Excel error values (`is_excel_error`), sorted. In a text
    column only the cells holding a "#" are read one by one (every error value has one): a column of
    10⁶ distinct project codes is not read cell by cell."""
    if is_text_column(s):
        cells = pyarrow.array(s.array)
        s = pd.Series(pc.filter(cells, _mask(pc.match_substring(cells, "#"))).to_pylist(), dtype=object)
    elif s.dtype != object:
        return []
    return sorted(v for v in s.dropna().unique() if is_excel_error(v))


def is_missing(value: object) -> bool:
    """True for None, pd.NA, pd.NaT and a NaN: a missing cell that is not text (`parse_bool_value`
    then reads text against `MISSING_MARKERS`)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return False


def is_blank(value: object) -> bool:
    """True for a missing cell: None, pd.NA, NaT, NaN, or text in `MISSING_MARKERS` (any case)."""
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


def is_unfilled(value: object) -> bool:
    """True for None, pd.NA, a float NaN or whitespace-only text: the cells `privacy` does not count
    when it asks whether a column holds only yes/no values or numbers (NaT and the text markers
    count as filled there; see the note above)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return True
    return isinstance(value, str) and not value.strip()


# ---------------------------------------------------------------------------------------------
# Yes/no
# ---------------------------------------------------------------------------------------------

YES_VALUES: frozenset[str] = frozenset(
    {
        "oui",
        "o",
        "yes",
        "y",
        "vrai",
        "true",
        "t",
        "1",
        "x",
        "avec",
        "with",
        "ok",
        "✓",
        "✔",
        "☑",
    }
)
"""Normalised cell values read as True (see `normalise_value`)."""

NO_VALUES: frozenset[str] = frozenset(
    {
        "non",
        "n",
        "no",
        "faux",
        "false",
        "f",
        "0",
        "sans",
        "without",
        "✗",
        "✘",
        "☐",
    }
)
"""Normalised cell values read as False. A blank cell is not here: it is missing, and each
column decides whether missing means "no" (see `mapping.Mapping.blank_means_no`)."""


def strip_accents(text: str) -> str:
    """`text` with its accents removed ("é" -> "e")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_value(value: str) -> str:
    """Cell text as compared with the yes/no vocabularies: trimmed, lower case, accents removed,
    inner whitespace collapsed ("  Oui " -> "oui", "VRAI" -> "vrai")."""
    text = strip_accents(str(value)).casefold().strip()
    return re.sub(r"\s+", " ", text)


def parse_bool_value(value: object, yes=(), no=()) -> bool | None:
    """Read one cell as yes/no.

    Returns None for a missing cell (None, NaN, blank text, "NA", "#N/A": `MISSING_MARKERS`), True for `YES_VALUES` or
    the extra `yes` values, False for `NO_VALUES` or the extra `no` values (all compared after
    `normalise_value`; the extra values are checked first), True/False for booleans and the
    numbers 1/0. Raises ValueError for anything else.
    """
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Number):
        if value == 1:
            return True
        if value == 0:
            return False
        raise ValueError(f"{value!r} is not a yes/no value (only 1 and 0 are, among numbers)")
    text = normalise_value(value)
    extra_yes = {normalise_value(v) for v in yes}
    extra_no = {normalise_value(v) for v in no}
    if text in extra_yes:
        return True
    if text in extra_no:
        return False
    if text in MISSING_MARKERS or str(value).strip().lower() in MISSING_MARKERS:
        return None
    if text in YES_VALUES:
        return True
    if text in NO_VALUES:
        return False
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        number = None
    if number == 1.0:
        return True
    if number == 0.0:
        return False
    known_yes = ", ".join(sorted({*YES_VALUES, *extra_yes} - {"✓", "✔", "☑"}))
    known_no = ", ".join(sorted({*NO_VALUES, *extra_no} - {"✗", "✘", "☐"}))
    raise ValueError(
        f"{str(value)!r} is not a recognised yes/no value (yes: {known_yes}; no: {known_no}; blank: missing)"
    )


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------

_SPACES = (" ", "\u00a0", "\u202f", "\u2009", "\t")
_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def _strip_currency(text: str) -> str:
    while text and unicodedata.category(text[0]) == "Sc":
        text = text[1:]
    while text and unicodedata.category(text[-1]) == "Sc":
        text = text[:-1]
    return text


def _parse_number_text(
    text: str, decimal: str | None, thousands: str | None, allow_percent: bool
) -> tuple[float, bool]:
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


def to_float(
    value: object, decimal: str | None, thousands: str | None, allow_percent: bool = False
) -> tuple[float | None, bool]:
    """One cell as a float (None when blank) and whether it carried a % sign. Raises ValueError."""
    if is_blank(value):
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


def looks_numeric(value: object) -> bool:
    """True for a number, or for text `float` reads once its spaces are removed and a comma taken
    for the decimal point ("1 234,5", "12", "1e3"). A loose test of what a column holds (`privacy`),
    not a way to read an amount (`to_float` is)."""
    if isinstance(value, numbers.Number):
        return True
    try:
        float(re.sub(r"[\s\u00a0\u202f]", "", str(value)).replace(",", "."))
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Text and status words
# ---------------------------------------------------------------------------------------------

# Status words accepted (compared lowercased, without accents) -> canonical status.
STATUS_WORDS: dict[str, str] = {
    **{
        w: "completed"
        for w in (
            "completed",
            "complete",
            "done",
            "finished",
            "closed",
            "delivered",
            "termine",
            "terminee",
            "clos",
            "cloture",
            "cloturee",
            "livre",
            "livree",
            "acheve",
            "fini",
            "finie",
        )
    },
    **{
        w: "cancelled"
        for w in (
            "cancelled",
            "canceled",
            "abandoned",
            "stopped",
            "annule",
            "annulee",
            "abandonne",
            "abandonnee",
            "arrete",
            "arretee",
        )
    },
    **{w: "ongoing" for w in ("ongoing", "in progress", "open", "active", "running", "en cours", "ouvert", "actif")},
}


def to_text(value: object) -> str | None:
    """One cell as text, stripped (None when blank); integral floats without ".0" (12.0 -> "12")."""
    if is_blank(value):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def norm_word(text: str) -> str:
    """A word as `STATUS_WORDS` holds it: lower case, accents removed, "_" and "-" read as spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[_\-]+", " ", text.lower()).split())


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

# a time after the date (SQL "2020-05-25 00:00:00", ISO 8601 "2009-01-01T00:00:00Z", with a
# fraction of a second and a time-zone offset as APIs, OData, Jira or Power BI write them)
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s?(?:Z|[+-]\d{2}(?::?\d{2})?))?)?"
_ISO_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + "$")
_DMY_DATE_RE = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})" + _TIME + "$")


def _to_timestamp(value: object) -> pd.Timestamp:
    """A typed date cell (datetime, date, Timestamp, numpy datetime64) at midnight. Raises ValueError."""
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date, np.datetime64)):
        ts = pd.Timestamp(value)
        if ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        return ts.normalize()
    raise ValueError(value)


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
    if is_text_column(s):
        return set(s.dropna().unique())
    return {v for v in s.tolist() if isinstance(v, str)}


def date_order_evidence(s: pd.Series) -> str | None:
    """'day' when a first field > 12 proves day/month order, 'month' when a second field does, else None."""
    firsts, seconds = [], []
    for value in _distinct_texts(s):
        if not is_blank(value):
            parts = _split_date(value)
            if parts and parts[0] == "dmy":
                firsts.append(parts[1])
                seconds.append(parts[2])
    if any(a > 12 for a in firsts):
        return "day"
    if any(b > 12 for b in seconds):
        return "month"
    return None


def has_dmy(s: pd.Series) -> bool:
    """True when some text cell of `s` is a dd/mm/yyyy (or dd.mm.yyyy, dd-mm-yyyy) date."""
    return any(not is_blank(v) and (_split_date(v) or ("",))[0] == "dmy" for v in _distinct_texts(s))


def first_timestamp(s: pd.Series) -> str | None:
    """The first (sorted) text cell of `s` that is a date followed by a time, or None."""
    timed = sorted(
        v for v in _distinct_texts(s) if not is_blank(v) and _split_date(v) and re.search(r"\d[ T]\d{1,2}:", v.strip())
    )
    return timed[0].strip() if timed else None


def read_date(value: object, order: str, date_format: str | None) -> pd.Timestamp:
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


# ---------------------------------------------------------------------------------------------
# Columns of cells: the same answers, read once per distinct value or vectorised
# ---------------------------------------------------------------------------------------------

_MARKER_LENGTH = max(map(len, MISSING_MARKERS))


def is_text_column(s: pd.Series) -> bool:
    """True for a column of text cells (as read from a CSV file): its cells are read per distinct value."""
    return isinstance(s.dtype, pd.StringDtype)


def by_value(s: pd.Series, read, errors: tuple = ()) -> tuple[np.ndarray, list[tuple[bool, object]]]:
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

    if is_text_column(s) or s.dtype != object:
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


def per_cell(codes: np.ndarray, per_outcome: list, dtype) -> np.ndarray:
    """One value per cell from one value per outcome (see `by_value`)."""
    return np.asarray(per_outcome, dtype=dtype)[codes]


def plain_numbers(s: pd.Series, decimal, thousands, whole: bool) -> tuple[np.ndarray, np.ndarray]:
    """Mask and values of the cells of a text column written as plain numbers ("-1234", or "12,5"
    with a decimal comma; integers only when `whole`), converted vectorised to what `to_float`
    reads. Cells in any other form, and other columns, are left to `to_float` (mask False)."""
    mask = np.zeros(len(s), dtype=bool)
    values = np.full(len(s), np.nan)
    dec = decimal or "."
    if not is_text_column(s) or dec not in ",." or (thousands and (thousands.isdigit() or thousands in "+-")):
        return mask, values
    pattern = "^-?[0-9]+$" if whole else "^-?[0-9]+(?:" + re.escape(dec) + "[0-9]+)?$"
    cells = pyarrow.array(s.array)
    found = pc.match_substring_regex(cells, pattern)
    plain = pc.replace_substring(pc.filter(cells, found), dec, ".")
    mask = _mask(found)
    values[mask] = pc.cast(plain, pyarrow.float64()).to_numpy(zero_copy_only=False)
    return mask, values


#: a cell of printable ASCII that starts and ends with a visible character: `str.strip` leaves it as
#: it is, and `str.lower` is ASCII's lower case on it
_PLAIN_ASCII = r"^[!-~](?:[ -~]*[!-~])?$"


def text_cells(s: pd.Series) -> pd.Series:
    """`to_text` over a text column, vectorised where it keeps a cell as it is: a cell longer than any
    missing marker with no whitespace at either end, or a cell of printable ASCII with no space at
    either end that is no missing marker in any case (project codes: a column of 10⁶ distinct codes
    is not read cell by cell); the other cells are read per distinct value."""
    cells = pyarrow.array(s.array)
    long_plain = pc.and_(
        pc.greater(pc.utf8_length(cells), _MARKER_LENGTH), pc.equal(pc.utf8_trim_whitespace(cells), cells)
    )
    short_plain = pc.and_(
        pc.match_substring_regex(cells, _PLAIN_ASCII),
        pc.invert(pc.is_in(pc.ascii_lower(cells), value_set=pyarrow.array(sorted(MISSING_MARKERS)))),
    )
    kept = _mask(pc.or_(long_plain, short_plain))
    codes, outcomes = by_value(s[~kept], to_text)
    slots = np.full(len(s), len(outcomes))  # kept cells point past the outcomes, at a null
    slots[~kept] = codes
    read = pyarrow.array([text for _, text in outcomes] + [None], type=cells.type).take(slots)
    return pd.Series(pd.array(pc.if_else(kept, cells, read), dtype="str"), index=s.index)


def numbers_if_all_read(s: pd.Series, decimal, thousands) -> pd.Series:
    """A column the catalogue does not know: float64 when every non-blank cell reads as a number
    (`to_float`), else unchanged."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s
    plain, values = plain_numbers(s, decimal, thousands, whole=False)
    codes, outcomes = by_value(s[~plain], lambda v: to_float(v, decimal, thousands)[0], (ValueError,))
    if not all(good for good, _ in outcomes):
        return s
    if not plain.any() and all(number is None for _, number in outcomes):  # every cell blank
        return s
    values[~plain] = per_cell(codes, [np.nan if number is None else number for _, number in outcomes], float)
    return pd.Series(values, index=s.index, dtype="float64")
