"""Errors a user can cause and fix: each says, in one sentence, which file, row, column and value.

The command line turns an `InputError` into that sentence on stderr and exit code 2 (no traceback
unless `--debug`). Anything else that escapes is a bug in amo-analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_INPUT_ERROR = 2


def _short(value: object, limit: int = 60) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Problem:
    """One cell (or row, or column) of a source that breaks the portfolio contract.

    `row` is the row number as the user sees it in their file: the CSV line number (header = line 1)
    or the Excel row number; None for problems about a whole column or the whole file.
    """

    file: str
    rule: str
    row: int | None = None
    column: str | None = None
    value: object = None
    row_label: str = "line"

    def sentence(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"{self.row_label} {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = ", ".join(where)
        if self.value is not None:
            text += f", value {_short(self.value)}"
        return f"{text}: {self.rule}"


class InputError(Exception):
    """A problem with the user's input (file, mapping, parameters) that they can fix."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])

    def __str__(self) -> str:
        return self.message

    def _render_traceback_(self) -> list[str]:
        """What IPython shows (in a notebook, and papermill in its error) instead of a traceback:
        the one sentence, as the command line prints it."""
        return [f"{type(self).__name__}: {self.message}"]


class ContractError(InputError):
    """The source was read but rows or columns break the portfolio contract.

    `problems` lists every offending cell so the analyst can fix the export in one pass.
    """

    def __init__(self, file: str, problems: list[Problem]):
        n = len(problems)
        first = problems[0].sentence() if problems else ""
        more = f" (and {n - 1} more problem{'s' if n > 2 else ''}, listed below)" if n > 1 else ""
        super().__init__(f"{first}{more}", problems)
        self.file = file

    def report(self, limit: int = 200) -> str:
        lines = [p.sentence() for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"… {len(self.problems) - limit} more not shown")
        return "\n".join(lines)


def read_toml_file(path, what: str, error: type[InputError] = InputError) -> dict:
    """The table of a TOML file a user wrote (a mapping file, a claims file), or `error` in one
    sentence naming `what` and the file: missing, unreadable, neither UTF-8 nor Windows-1252 text
    (Notepad's "ANSI" on a French Windows is cp1252: a header such as "Coût réel" typed there is meant
    as it reads; a UTF-8 BOM is dropped), or a TOML syntax error with its line."""
    import re
    import tomllib
    from pathlib import Path

    try:
        raw_bytes = Path(path).read_bytes()
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise error(f"{what} {path} cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw_bytes.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise error(
                f"{what} {path}: is neither UTF-8 nor Windows-1252 text (byte {exc.start}); save it as UTF-8"
            ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(getattr(exc, "msg", None) or exc)
        line = getattr(exc, "lineno", None)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if line is None and found:
            line = int(found.group(1))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        at = f", line {line}" if line is not None else ""
        raise error(f"{what} {path}{at}: TOML syntax error: {message}") from None
