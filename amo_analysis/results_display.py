"""How a result object shows itself in a console and in JupyterLab, the statsmodels way.

Every result object of the package (a `Portfolio`, an `EffectResult`, a random-effects pooling, a tail
fit, a refutation, an E-value, an ROI simulation, the effects of subgroups) mixes in `ResultDisplay`
and states two things: a title (`_display_title`) and its (label, value) rows (`_display_rows`), the
same rows for the text and the HTML form. It then gets:

* `__repr__` — one line, at most `REPR_LIMIT` characters: `<Title: row, row, …>`;
* `_repr_html_` — a compact HTML table (every text escaped), what JupyterLab shows;
* `summary()` — a `Summary`: a `str` (the aligned text table, so it prints and compares as text) that
  also has `_repr_html_` (statsmodels' `Summary` has `as_text()` and `as_html()`; this one too).

Tabular results add `summary_frame()` (a pandas DataFrame). This module imports nothing of the package,
so every layer (ingest, stats, analyses) may use it; words for the reader of a report stay in `report/`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["REPR_LIMIT", "ResultDisplay", "Summary", "short", "number"]

#: longest one-line repr, in characters
REPR_LIMIT = 400


def number(value, digits: int = 4) -> str:
    """`value` with `digits` significant digits; '—' for None or NaN; text as it is."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "—" if value != value else f"{value:.{digits}g}"


def short(text: str, limit: int) -> str:
    """`text` cut to `limit` characters (an ellipsis marks the cut)."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _html_table(title: str, rows: Sequence[tuple[str, str]], notes: Sequence[str] = ()) -> str:
    cells = [
        f"<tr><th style='text-align:left'>{html.escape(str(label))}</th>"
        f"<td style='text-align:left'>{html.escape(str(value))}</td></tr>"
        for label, value in rows
    ]
    if notes:
        text = "<br>".join(html.escape(str(note)) for note in notes)
        cells.append(f"<tr><th style='text-align:left'>Notes</th><td style='text-align:left'>{text}</td></tr>")
    return f"<table><caption>{html.escape(title)}</caption>{''.join(cells)}</table>"


class Summary(str):
    """A result's summary: the text table (this string itself) and its HTML form (`_repr_html_`).

    `title`, `rows` ((label, value) pairs) and `notes` are kept so the HTML is built from the same
    cells as the text; `as_text()` and `as_html()` name the two forms as statsmodels' `Summary` does.
    """

    title: str
    rows: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]

    def __new__(cls, title: str, rows: Sequence[tuple[str, str]], notes: Sequence[str] = ()) -> "Summary":
        rows = tuple((str(label), str(value)) for label, value in rows)
        notes = tuple(str(note) for note in notes)
        width = max((len(label) for label, _ in rows), default=0)
        lines = [title, "=" * len(title)] + [f"{label:<{width}}  {value}" for label, value in rows]
        if notes:
            lines += ["Notes:"] + [f"  - {note}" for note in notes]
        self = super().__new__(cls, "\n".join(lines))
        self.title, self.rows, self.notes = title, rows, notes
        return self

    def as_text(self) -> str:
        return str.__str__(self)

    def as_html(self) -> str:
        return _html_table(self.title, self.rows, self.notes)

    def _repr_html_(self) -> str:
        return self.as_html()

    def __repr__(self) -> str:  # printed in a console: the table, not a quoted string
        return self.as_text()


class ResultDisplay:
    """Mixin: a short repr, an HTML table and a `summary()` from `_display_title()` and
    `_display_rows()` (see the module docstring). A dataclass using it is declared with `repr=False`
    so that the generated dataclass repr does not replace this one. `_repr_rows` (default: the first
    four rows) are the rows the one-line repr shows; `_display_notes` the notes under the summary."""

    def _display_title(self) -> str:
        return type(self).__name__

    def _display_rows(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def _display_notes(self, lang: str = "en") -> list[str]:
        return []

    def _repr_rows(self) -> list[tuple[str, str]]:
        return self._display_rows()[:4]

    def summary(self, lang: str = "en") -> Summary:
        """The result as a text table that also shows as HTML in JupyterLab (`Summary`)."""
        return Summary(self._display_title(), self._display_rows(), self._display_notes(lang))

    def _repr_html_(self) -> str:
        return _html_table(self._display_title(), self._display_rows(), self._display_notes())

    def __repr__(self) -> str:
        inner = ", ".join(f"{label} {value}" for label, value in self._repr_rows())
        text = f"<{type(self).__name__}: {inner}>"
        return text if len(text) <= REPR_LIMIT else text[: REPR_LIMIT - 2] + "…>"
