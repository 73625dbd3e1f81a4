"""The words of the reports and how numbers are written, per language; the words themselves are data.

Where things are (all under `amo_analysis/locales/`, loaded once, when this module is imported):

- `en.toml`, `fr.toml`: every translation key and its text, one key = one string (`{name}`
  placeholders are filled by `translate`), then a `[numbers]` table: decimal and thousands
  separators and the patterns of percentages, percentage points and amounts. Both files have the
  same keys and the same placeholders per key (tests/test_i18n.py checks).
- `narrative.toml`: the French text of every Markdown cell of the notebooks (see `narrative`).

`translate("median", "fr")` → "médiane" (an unknown key is returned as it is). Numbers: English
writes "1,234.5", "−18%" and "€1,235"; French writes a narrow no-break space for thousands, a
decimal comma and a no-break space before "%" and "€" ("1 234,5", "−18 %", "1 235 €").
Percentages are given as fractions (−0.18 → "−18 %"). No code compares language names: what differs
between languages is in the locale files.
"""

from __future__ import annotations

import math
import numbers
import string
import tomllib

from amo_analysis.paths import LOCALES_DIR

LANGUAGES = ("en", "fr")
NBSP = "\u00a0"
NNBSP = "\u202f"
MINUS = "\u2212"
NUMBERS_TABLE = "numbers"  # the table of each locale file that says how numbers are written


def _load_locale(lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """The words (key → text) and the number settings of `locales/<lang>.toml`."""
    path = LOCALES_DIR / f"{lang}.toml"
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    numbers = data.pop(NUMBERS_TABLE)
    not_text = sorted(key for key, text in data.items() if not isinstance(text, str))
    if not_text:
        raise ValueError(f"{path}: every key must be one string; not so for {', '.join(not_text)}")
    return data, numbers


_LOCALES = {lang: _load_locale(lang) for lang in LANGUAGES}

#: lang → how numbers are written (the `[numbers]` table of the locale file)
NUMBER_STYLES: dict[str, dict[str, str]] = {lang: numbers for lang, (_, numbers) in _LOCALES.items()}

#: key → {lang: text}, every key of the locale files in their order (English file first)
TRANSLATIONS: dict[str, dict[str, str]] = {}
for _lang, (_words, _) in _LOCALES.items():
    for _key, _text in _words.items():
        TRANSLATIONS.setdefault(_key, {})[_lang] = _text
del _lang, _words, _key, _text

#: the translation key of each effect scale's name
SCALE_KEYS = {
    "percent change": "pe_scale_pct",
    "percent change of the mean": "pe_scale_mean_pct",
    "percentage points": "pe_scale_pp",
}


def _check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not supported; use one of {', '.join(LANGUAGES)}")


class _LocaleFormatter(string.Formatter):
    """`str.format` that writes numbers with the language's separators: a number placeholder
    (`{n}`, `{n:,}`, `{x:.3f}`) is formatted as Python would, then its "," and "." become the
    thousands and decimal marks of `[numbers]` ("10,000" → "10 000" and "0.005" → "0,005" in French;
    English, whose marks are Python's, is unchanged)."""

    def __init__(self, lang: str):
        style = NUMBER_STYLES[lang]
        self.marks = str.maketrans({",": style["thousands"], ".": style["decimal"]})

    def format_field(self, value: object, format_spec: str) -> str:
        text = format(value, format_spec)
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return text.translate(self.marks)
        return text


_FORMATTERS = {lang: _LocaleFormatter(lang) for lang in LANGUAGES}


def translate(key: str, lang: str = "en", **values: object) -> str:
    """The text for `key` in `lang` (English when a French text is missing), with `{names}` filled
    (numbers written with the language's decimal and thousands marks, see `_LocaleFormatter`)."""
    _check_language(lang)
    entry = TRANSLATIONS.get(key)
    text = key if entry is None else entry.get(lang) or entry["en"]
    return _FORMATTERS[lang].format(text, **values) if values else text


class Message(str):
    """A sentence of the package that is translated where it is shown, not where it is written.

    It *is* its English text (a `str`: joined, compared, logged and tested as before) and it also
    keeps its translation key and values, so a report in another language shows it in that language:
    `Message("note_dates_read", column="start_date", order="day first")` reads in English as the
    key's English text filled with the values; `localise(message, "fr")` gives the French text.
    A value that is itself a `Message` is translated with it. Values must be numbers, strings or
    messages (what `to_json` can write).
    """

    key: str
    values: dict[str, object]

    def __new__(cls, key: str, **values: object) -> "Message":
        text = translate(key, "en", **values)
        self = super().__new__(cls, text)
        self.key = key
        self.values = values
        return self

    def in_language(self, lang: str) -> str:
        """The sentence in `lang` (values that are messages translated too, numbers written the
        language's way)."""
        values = {k: v.in_language(lang) if isinstance(v, Message) else v for k, v in self.values.items()}
        return translate(self.key, lang, **values)

    def to_json(self) -> dict:
        """{"key", "values", "text"}: what `from_json` reads back (nested messages as dicts)."""
        values = {k: (v.to_json() if isinstance(v, Message) else v) for k, v in self.values.items()}
        return {"key": self.key, "values": values, "text": str(self)}

    @classmethod
    def from_json(cls, obj: dict | str) -> "Message | str":
        """A message written by `to_json` (a plain string stays a string)."""
        if not isinstance(obj, dict):
            return obj
        values = {k: cls.from_json(v) if isinstance(v, dict) else v for k, v in obj["values"].items()}
        return cls(obj["key"], **values)

    def __reduce__(self):  # pickling keeps the key (multiprocessing, caches)
        return (_message_from_parts, (self.key, self.values))


def _message_from_parts(key: str, values: dict) -> Message:
    return Message(key, **values)


def localise(text: object, lang: str = "en") -> str:
    """`text` in `lang`: a `Message` translated, anything else as it is (`str(text)`)."""
    if isinstance(text, Message):
        return text.in_language(lang)
    return text if isinstance(text, str) else str(text)


#: the key that joins two sentences for each separator `join_sentences` accepts
JOIN_KEYS = {" ": "join_sentences", "; ": "join_clauses", ", ": "join_list"}


def join_sentences(parts, sep: str = " ") -> str:
    """`sep.join(parts)` — the same text — but, when a part is a `Message`, a `Message` that
    `localise` translates part by part (`sep.join` of messages would be a plain English `str`).
    `sep` is one of `JOIN_KEYS` (" " between sentences, "; " between clauses, ", " in a list)."""
    parts = list(parts)
    if not any(isinstance(part, Message) for part in parts):
        return sep.join(parts)
    joined = parts[-1]
    for part in reversed(parts[:-1]):
        joined = Message(JOIN_KEYS[sep], first=part, rest=joined)
    return joined


def to_json_text(text: object) -> object:
    """What to write to JSON for a note: a message's `to_json()`, a plain string as it is."""
    return text.to_json() if isinstance(text, Message) else text


def number_style(lang: str) -> dict[str, str]:
    """How numbers are written in `lang`: the `[numbers]` table of `locales/<lang>.toml`."""
    _check_language(lang)
    return NUMBER_STYLES[lang]


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _split_sign(text: str) -> tuple[str, str]:
    """ "−1,234" → ("−", "1,234"); "1,234" → ("", "1,234")."""
    return (MINUS, text[1:]) if text.startswith(MINUS) else ("", text)


def format_number(value: float | None, lang: str = "en", decimals: int = 0) -> str:
    """1234.5 → "1,234.5" (en) or "1 234,5" (fr, narrow no-break space); None/NaN → "–"."""
    if _missing(value):
        return "–"
    style = number_style(lang)
    text = f"{abs(value):,.{decimals}f}".replace(",", "\0").replace(".", style["decimal"])
    text = text.replace("\0", style["thousands"])
    sign = MINUS if value < 0 and float(f"{abs(value):.{decimals}f}") != 0 else ""
    return sign + text


def format_percent(fraction: float | None, lang: str = "en", decimals: int = 0, signed: bool = False) -> str:
    """A fraction as a percentage: −0.18 → "−18%" (en) / "−18 %" (fr); `signed` adds "+"."""
    if _missing(fraction):
        return "–"
    sign, number = _split_sign(format_number(fraction * 100, lang, decimals))
    if signed and not sign and fraction * 100 >= 0.5 * 10**-decimals:
        sign = "+"
    return number_style(lang)["percent"].format(sign=sign, number=number)


def format_points(fraction: float | None, lang: str = "en", decimals: int = 1) -> str:
    """A difference of shares in percentage points: 0.052 → "+5.2 pp" / "+5,2 pts"."""
    if _missing(fraction):
        return "–"
    sign, number = _split_sign(format_number(fraction * 100, lang, decimals))
    if not sign and fraction > 0:
        sign = "+"
    return number_style(lang)["points"].format(sign=sign, number=number)


#: significant digits an amount keeps when it is small for its unit (2.34 USD millions, 0.0457 k€)
MONEY_SIGNIFICANT_DIGITS = 3


def money_decimals(value: float | None, significant: int = MONEY_SIGNIFICANT_DIGITS) -> int:
    """Decimals that show `value` with at least `significant` significant digits: 0 from 10^(significant
    − 1) up (75 000 → 0, 123.4 → 0), more below (2.345 → 2, 0.04567 → 4); at most 6."""
    if _missing(value) or value == 0:
        return 0
    return int(min(6, max(0, significant - 1 - math.floor(math.log10(abs(value))))))


def format_amount(value: float | None, lang: str = "en") -> str:
    """An amount without its unit, with enough digits for its size (`money_decimals`): 2.345 → "2.35"."""
    return format_number(value, lang, money_decimals(value))


def format_money(value: float | None, unit: str = "EUR", lang: str = "en", decimals: int | None = None) -> str:
    """An amount with its unit: 1234.5 EUR → "€1,235" (en) / "1 235 €" (fr); other units as words.
    Without `decimals`, as many as the amount needs (`money_decimals`): 2.3 USD millions → "2.30 USD
    millions", not "2 USD millions"."""
    if _missing(value):
        return "–"
    if decimals is None:
        decimals = money_decimals(value)
    sign, number = _split_sign(format_number(value, lang, decimals))
    style = number_style(lang)
    pattern = style["euro"] if unit.upper() == "EUR" else style["money"]
    return pattern.format(sign=sign, number=number, unit=unit)


# Narrative of the notebooks (`locales/narrative.toml`): each Markdown cell's English text, exactly as
# in the notebook, and its French text. The HTML export of a `--lang fr` run swaps them; a test checks
# that every Markdown cell of every notebook is there, so a changed English paragraph cannot leave a
# stale French one behind.
NARRATIVE_FILE = LOCALES_DIR / "narrative.toml"


def _load_narrative() -> dict[str, dict[str, str]]:
    """English text of a cell (stripped) → {lang: its text} for the other languages."""
    with NARRATIVE_FILE.open("rb") as fh:
        paragraphs = tomllib.load(fh).get("paragraph", [])
    out = {}
    for paragraph in paragraphs:
        texts = {lang: text.strip() for lang, text in paragraph.items()}
        out[texts.pop("en")] = texts
    return out


NARRATIVE: dict[str, dict[str, str]] = _load_narrative()


def narrative(english: str, lang: str = "en") -> str:
    """The text of a notebook Markdown cell in `lang` (the English text itself when not translated)."""
    return NARRATIVE.get(english.strip(), {}).get(lang, english)
