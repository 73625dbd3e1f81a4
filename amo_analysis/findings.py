"""What an analysis hands a notebook: a result to show (and the records to keep), or why there is none.

The notebook contract (every notebook cell is one call and one `ctx.show`):

- an analysis function returns a plain object — a table (`pandas.DataFrame`), a figure, a sentence,
  a `Finding` bundling a table with the records it produces — or `Unavailable(reason)` when the
  portfolio cannot support it (no framing columns, too few projects, a fit that failed);
- `RunContext.show(result)` displays it, saves it when named and keeps its records for
  `results.json`; an `Unavailable` is shown as its one-sentence reason;
- a function given an `Unavailable` returns it unchanged (`passes_unavailable`), so a chain such as
  `ctx.show(plots.forest(framing.risk_table(data)))` needs no `if` in the notebook: the reason of the
  first step that could not be made is what the reader sees.

Records are plain dicts (`name`, `value` and the fields of `report.results.make_record`); they are
produced by the analyses and stamped with their notebook by the run context.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Unavailable:
    """A result that could not be computed, and the one sentence saying why (a `str` or an
    `i18n.Message`, shown in the report's language). It is falsy, so code may test it like `None`."""

    reason: str

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return str(self.reason)

    def _repr_html_(self) -> str:  # JupyterLab outside a run shows the reason, not a dataclass repr
        from html import escape

        return f"<p class='amo-missing'>{escape(str(self.reason))}</p>"


@dataclass
class Finding:
    """A table to show with the records it produces (and, optionally, a sentence under it).

    `name` is the file stem when the table is saved (`tables/<notebook>_<name>.csv/.xlsx`);
    `labels` maps column names to translation keys for the headers; `records` are dicts for
    `results.json` (see the module docstring); `saved`, when given, is the table saved under
    `name` instead of `table` (e.g. with its names kept where `table` shows them translated)."""

    table: Any = None
    name: str | None = None
    labels: Mapping[str, str] | None = None
    decimals: int = 3
    records: Sequence[dict] = field(default_factory=list)
    text: str | None = None
    saved: Any = None


def number_or_none(value) -> float | None:
    """A record's number: `float(value)`, or None (null in `results.json`) when it is missing (None,
    NaN, pandas' NA)."""
    import pandas as pd

    return None if value is None or pd.isna(value) else float(value)


def interval_record(name: str, row, *, value: str = "estimate", **fields) -> dict:
    """A record of an estimate with its interval, read from a result row (a mapping or a Series with
    `ci_low`, `ci_high`, the `value` column and `n`): `name`, `value`, `ci_low`, `ci_high` (numbers or
    None, see `number_or_none`), `n` (a whole number or None; `n=` among `fields` overrides the row's),
    then `fields` (unit, method, label, verdict…) as given."""
    import pandas as pd

    n = fields.pop("n") if "n" in fields else row["n"]
    return dict(
        name=name,
        value=number_or_none(row[value]),
        ci_low=number_or_none(row["ci_low"]),
        ci_high=number_or_none(row["ci_high"]),
        n=None if n is None or pd.isna(n) else int(n),
        **fields,
    )


def first_unavailable(*values: object) -> Unavailable | None:
    """The first `Unavailable` among `values` (positional and keyword values alike), else None."""
    return next((v for v in values if isinstance(v, Unavailable)), None)


def passes_unavailable(function: Callable) -> Callable:
    """Decorate `function` so that, given an `Unavailable` argument, it returns that argument
    instead of running (the reason travels down a chain of calls to the notebook)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        missing = first_unavailable(*args, *kwargs.values())
        return missing if missing is not None else function(*args, **kwargs)

    return wrapper


def unavailable_on(error: type[BaseException] | tuple[type[BaseException], ...]) -> Callable:
    """Decorate `function` so that `error` raised by it becomes `Unavailable(str(error))` (and an
    `Unavailable` argument passes through): for analyses whose checks raise a sentence for the user."""

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            missing = first_unavailable(*args, *kwargs.values())
            if missing is not None:
                return missing
            try:
                return function(*args, **kwargs)
            except error as exc:
                return Unavailable(exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc))

        return wrapper

    return decorate
