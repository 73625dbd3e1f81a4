"""What a notebook parameter accepts, read from the type annotation it carries in the notebook's
`parameters` cell, and the check every notebook makes of its parameters before anything else.

A notebook author declares a parameter in one place, its parameters cell::

    covariates: "Optional[list[Column]]" = None  # list of covariate columns - None means ...

The annotation is quoted (Python then stores it unevaluated, so the cell needs no import) and is
written so that papermill's `--help-notebook` shows it (papermill reads annotations made of words,
brackets and commas only: `Optional[X]`, not `X | None`; both are understood here). The words:

- `str`, `int`, `float`, `bool`: the Python types (a whole-numbered float is read as an int);
- `Column`: the name of a column of the portfolio (or of a column the analyses derive from it,
  such as `log_budget`), checked once the portfolio is loaded;
- `Language`: a language of the reports (`i18n.LANGUAGES`);
- `Share`: a number strictly between 0 and 1 (a fraction, e.g. a quantile or a fee share);
- `Positive`: a number greater than 0 (an amount of money or a number of days);
- `Count`: a whole number of at least 1;
- `Complexity`: a whole number from 1 to 5 (the portfolio's complexity scale);
- `Questions`: a whole number of framing questions, 0 to 10;
- `ValueOf[column]`: one of the values the portfolio's `column` holds (a project type, an
  organisation), checked once the portfolio is loaded;
- `list[X]`: a list of X, also given as its text (`"['a', 'b']"`, as papermill's `-p` passes a
  list) or as `a,b`; `Optional[X]` (or `X | None`): X or None.

A value that does not fit is an `InputError` whose one sentence names the parameter, what it
expects and the value given, in the run's language; the suite's command line checks the same
annotations (read from the notebook file) before any notebook runs.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from amo_analysis.errors import InputError
from amo_analysis.i18n import LANGUAGES, translate

#: framing questions in a portfolio (framing_q01 … framing_q10)
FRAMING_QUESTIONS = 10


@dataclass(frozen=True)
class Kind:
    """One word of the annotations: the Python type a value is read as, the condition it must meet,
    and the translation key of the words saying what it expects."""

    base: type
    expects: str
    allowed: Callable[[object], bool] = lambda _value: True


KINDS: dict[str, Kind] = {
    "str": Kind(str, "param_text"),
    "int": Kind(int, "param_int"),
    "float": Kind(float, "param_number"),
    "bool": Kind(bool, "param_bool"),
    "Column": Kind(str, "param_column"),
    "Language": Kind(str, "param_language", lambda v: v in LANGUAGES),
    "Share": Kind(float, "param_share", lambda v: 0 < v < 1),
    "Positive": Kind(float, "param_positive", lambda v: v > 0),
    "Count": Kind(int, "param_count", lambda v: v >= 1),
    "Complexity": Kind(int, "param_complexity", lambda v: 1 <= v <= 5),
    "Questions": Kind(int, "param_questions", lambda v: 0 <= v <= FRAMING_QUESTIONS),
    "ValueOf": Kind(str, "param_value_of"),
}


@dataclass(frozen=True)
class Spec:
    """What parameter `name` accepts: one `kind` (a key of `KINDS`), or a list of them, or None too;
    `column`: the portfolio column whose values a `ValueOf` parameter names."""

    name: str
    kind: str
    is_list: bool = False
    optional: bool = False
    column: str | None = None

    def expects(self, lang: str = "en") -> str:
        """The words saying what the parameter expects ("a list, … each item a column …")."""
        words = translate(KINDS[self.kind].expects, lang, languages=", ".join(LANGUAGES), column=self.column)
        if self.is_list:
            words = translate("param_list", lang, item=words)
        return translate("param_or_none", lang, expected=words) if self.optional else words


def spec_of(name: str, annotation: object) -> Spec:
    """The `Spec` of an annotation: its text (quoted in the cell) or the object Python made of it.
    An annotation of other words is a mistake of the notebook's author (`ValueError`)."""
    if isinstance(annotation, str):
        text = annotation
    elif isinstance(annotation, type):  # int, float, str: unquoted builtins are evaluated
        text = annotation.__name__
    else:  # list[int], int | None, typing.Optional[int]
        text = re.sub(r"\btyping\.", "", str(annotation))
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        node = None

    def read(node, optional=False, in_list=False) -> Spec:
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            if node.value.id == "ValueOf" and isinstance(node.slice, ast.Name):
                return Spec(name, "ValueOf", False, optional, node.slice.id)
            if node.value.id == "Optional" and not optional:
                return read(node.slice, True, in_list)
            if node.value.id == "list" and not in_list:
                inner = read(node.slice, False, True)
                if not inner.optional:
                    return Spec(name, inner.kind, True, optional)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr) and not optional:
            sides = [node.left, node.right]
            nones = [s for s in sides if isinstance(s, ast.Constant) and s.value is None]
            if len(nones) == 1:
                return read(next(s for s in sides if s not in nones), True, in_list)
        if isinstance(node, ast.Name) and node.id in KINDS:
            return Spec(name, node.id, False, optional)
        raise ValueError(
            f"parameter {name}: the annotation {text!r} is not one notebook parameters understand "
            f"(words: {', '.join(KINDS)}[column], list[X], Optional[X]); see amo_analysis.report.parameters."
        )

    return read(node)


def specs_of(annotations: Mapping[str, object]) -> dict[str, Spec]:
    """{name: Spec} for every annotated parameter (a notebook namespace's `__annotations__`)."""
    return {name: spec_of(name, annotation) for name, annotation in annotations.items()}


def notebook_specs(notebook: Path) -> dict[str, Spec]:
    """The specs of a notebook file's parameters cell (its annotated assignments), in order."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    annotations: dict[str, str] = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for node in ast.parse(source).body:
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    note = node.annotation
                    text = note.value if isinstance(note, ast.Constant) else ast.unparse(note)
                    annotations[node.target.id] = text
    return specs_of(annotations)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _scalar(spec: Spec, value: object, lang: str, given: object) -> object:
    """`value` read as one item of `spec`'s kind (its text read too), or the sentence saying why not."""
    kind = KINDS[spec.kind]

    def wrong() -> InputError:
        return InputError(
            translate("param_wrong", lang, name=spec.name, expected=spec.expects(lang), value=_shown(given))
        )

    if isinstance(value, str) and kind.base is not str:
        text = value.strip()
        if kind.base is bool:
            value = {"true": True, "false": False}.get(text.lower(), value)
        else:
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                raise wrong() from None
    if kind.base is bool:
        read = value if isinstance(value, bool) else None
    elif isinstance(value, bool):
        read = None  # True is no number and no name
    elif kind.base is str:
        read = value if isinstance(value, str) else str(value) if isinstance(value, (int, float)) else None
    elif kind.base is int:
        whole = isinstance(value, float) and math.isfinite(value) and value.is_integer()
        read = int(value) if isinstance(value, int) or whole else None
    else:
        read = float(value) if isinstance(value, (int, float)) else None
    if read is None or (isinstance(read, str) and not read.strip()) or not kind.allowed(read):
        raise wrong()
    return read


def read_value(spec: Spec, value: object, lang: str = "en") -> object:
    """`value` as `spec` reads it: a list from its text (`"['a', 'b']"` or `a,b`), numbers from
    theirs; an `InputError` (one sentence naming the parameter and what it expects) when it does not
    fit. Values are checked, never guessed: "0.5" is a number, "abc" is no number."""
    if value is None or (spec.optional and isinstance(value, str) and value.strip() == "None"):
        if spec.optional:
            return None
        raise InputError(translate("param_wrong", lang, name=spec.name, expected=spec.expects(lang), value="None"))
    if not spec.is_list:
        return _scalar(spec, value, lang, value)
    items = value
    if isinstance(value, str):
        try:
            items = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            items = [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(items, (list, tuple)):
        return [_scalar(spec, item, lang, value) for item in items]
    return [_scalar(spec, items, lang, value)]  # one item given alone: a list of one


def read_parameters(values: Mapping[str, object], specs: Mapping[str, Spec], lang: str = "en") -> dict:
    """The values of `specs`' parameters found in `values`, each read by `read_value`."""
    return {name: read_value(spec, values[name], lang) for name, spec in specs.items() if name in values}


def check_columns(
    values: Mapping[str, object],
    specs: Mapping[str, Spec],
    columns: Iterable[str],
    lang: str = "en",
    column_values: Callable[[str], Iterable[object]] | None = None,
) -> None:
    """Every `Column` parameter in `values` (already read) names one of `columns`, and every
    `ValueOf[column]` one of the values `column_values(column)` gives (the portfolio's column; not
    checked without it); otherwise an `InputError` naming the parameter, the value and what there is."""
    columns = list(columns)
    for name, spec in specs.items():
        if values.get(name) is None:
            continue
        given = values[name] if spec.is_list else [values[name]]
        if spec.kind == "Column":
            unknown = [c for c in given if c not in columns]
            if unknown:
                shown = ", ".join(repr(c) for c in unknown)
                raise InputError(translate("param_no_column", lang, name=name, value=shown, columns=", ".join(columns)))
        elif spec.kind == "ValueOf" and column_values is not None:
            held = sorted({str(v) for v in column_values(spec.column)})
            unknown = [v for v in given if v not in held]
            if unknown:
                shown = ", ".join(repr(v) for v in unknown)
                listed = ", ".join(held[:MAX_VALUES_LISTED]) + (", …" if len(held) > MAX_VALUES_LISTED else "")
                raise InputError(
                    translate("param_no_value", lang, name=name, value=shown, column=spec.column, values=listed or "–")
                )


#: values of a column a sentence lists at most
MAX_VALUES_LISTED = 30


def language_of(values: Mapping[str, object]) -> str:
    """The language to speak in while the parameters are checked: `lang` when it is one, else English."""
    lang = values.get("lang")
    return lang if isinstance(lang, str) and lang in LANGUAGES else "en"
