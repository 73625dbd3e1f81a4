"""Words of the reports: the locale files (amo_analysis/locales/), translate, the number formats, the
narrative, and that no code of the package branches on a language name."""

import ast
import fnmatch
import json
import re
import tomllib
from pathlib import Path

import pytest

import amo_analysis
from amo_analysis import i18n
from amo_analysis.i18n import (
    LANGUAGES,
    MINUS,
    NBSP,
    NNBSP,
    NUMBERS_TABLE,
    SCALE_KEYS,
    TRANSLATIONS,
    format_money,
    format_number,
    format_percent,
    format_points,
    translate,
)
from amo_analysis.paths import LOCALES_DIR, NOTEBOOKS_DIR, REPO_ROOT

PACKAGE = Path(amo_analysis.__file__).parent
PLACEHOLDER = re.compile(r"{(\w*)(?::[^{}]*)?}")  # a name, with or without a format spec ({n:,})


def test_every_entry_has_both_languages():
    missing = [k for k, v in TRANSLATIONS.items() if not v.get("en") or not v.get("fr")]
    assert missing == []


def test_translate_fills_practice_and_rejects_unknown_language():
    assert translate("with", "fr", practice="AMO") == "avec AMO"
    assert translate("with", "en", practice="PMO") == "with PMO"
    with pytest.raises(ValueError, match="not supported"):
        translate("with", "de", practice="AMO")


def test_french_number_formatting():
    assert format_number(1234.5, "fr", 1) == f"1{NNBSP}234,5"
    assert format_money(1234.5, "EUR", "fr", 1) == f"1{NNBSP}234,5{NBSP}€"
    assert format_percent(-0.18, "fr") == f"{MINUS}18{NBSP}%"


def test_english_number_formatting():
    assert format_number(1234.5, "en", 1) == "1,234.5"
    assert format_money(-1500, "EUR", "en") == f"{MINUS}€1,500"
    assert format_percent(0.265, "en", 1, signed=True) == "+26.5%"
    assert format_points(0.052, "en") == "+5.2 pp"
    assert format_points(-0.052, "fr") == f"{MINUS}5,2{NBSP}pts"


def test_missing_values_render_as_dash():
    assert format_percent(None) == "–"
    assert format_number(float("nan")) == "–"


def test_rounding_to_zero_has_no_minus_sign():
    assert format_number(-0.004, "en", 2) == "0.00"


def test_every_notebook_paragraph_has_a_french_text():
    import nbformat

    from amo_analysis.i18n import NARRATIVE
    from amo_analysis.paths import NOTEBOOKS_DIR

    missing = []
    for path in sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown" and not NARRATIVE.get(cell.source.strip(), {}).get("fr"):
                missing.append(f"{path.name}: {cell.source.strip()[:60]!r}")
    assert missing == [], "add these paragraphs to amo_analysis/locales/narrative.toml:\n" + "\n".join(missing)


def test_french_export_swaps_the_narrative():
    from nbformat.v4 import new_markdown_cell, new_notebook

    from amo_analysis.report.html import translate_narrative

    nb = new_notebook(cells=[new_markdown_cell("## What the portfolio holds"), new_markdown_cell("untranslated")])
    out = translate_narrative(nb, "fr")
    assert [c.source for c in out.cells] == ["## Ce que contient le portefeuille", "untranslated"]


# --------------------------------------------------------------------------- the locale files


def locale(lang: str) -> dict:
    with (LOCALES_DIR / f"{lang}.toml").open("rb") as fh:
        return tomllib.load(fh)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_there_is_one_locale_file_per_language():
    assert sorted(p.stem for p in LOCALES_DIR.glob("*.toml") if p.stem != "narrative") == sorted(LANGUAGES)


def test_locale_files_have_the_same_keys_and_placeholders():
    english = locale("en")
    for lang in LANGUAGES:
        other = locale(lang)
        assert list(other) == list(english), f"{lang}.toml: keys differ from en.toml (or their order)"
        for table in (other, other[NUMBERS_TABLE]):
            reference = english if table is other else english[NUMBERS_TABLE]
            assert set(table) == set(reference), lang
            differ = [k for k in table if k != NUMBERS_TABLE and placeholders(table[k]) != placeholders(reference[k])]
            assert differ == [], f"{lang}.toml: other {{placeholders}} than en.toml in {differ}"
        words = {k: v for k, v in other.items() if k != NUMBERS_TABLE}
        assert all(isinstance(v, str) and v for v in words.values()), lang


def test_translations_are_the_locale_files():
    for lang in LANGUAGES:
        words = {k: v for k, v in locale(lang).items() if k != NUMBERS_TABLE}
        assert {k: v[lang] for k, v in TRANSLATIONS.items()} == words
    assert len(TRANSLATIONS) >= 200


def literal_keys(tree: ast.AST) -> set[str]:
    """The string literals given as first argument to `translate(...)` or `<something>.t(...)`
    (both branches of `"a" if x else "b"` included)."""

    def strings(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return strings(node.body) | strings(node.orelse)
        return set()

    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            name = (
                node.func.id
                if isinstance(node.func, ast.Name)
                else node.func.attr
                if isinstance(node.func, ast.Attribute)
                else None
            )
            if name in ("translate", "t"):
                found |= strings(node.args[0])
    return found


def test_literal_keys_scan_sees_calls_and_both_branches():
    tree = ast.parse('translate("a", lang)\nctx.t("b" if x else "c")\nself.t(key)\nprint("d")')
    assert literal_keys(tree) == {"a", "b", "c"}


def test_every_key_used_in_the_package_and_notebooks_exists():
    used = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for key in literal_keys(ast.parse(path.read_text(encoding="utf-8"))):
            used.setdefault(key, str(path.relative_to(PACKAGE)))
    for path in sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
                for key in literal_keys(ast.parse(code)):
                    used.setdefault(key, path.name)
    for key in SCALE_KEYS.values():
        used.setdefault(key, "i18n.SCALE_KEYS")
    assert len(used) > 50  # the scan does see the package's calls
    missing = sorted(f"{key!r} ({where})" for key, where in used.items() if key not in TRANSLATIONS)
    assert missing == [], "add these keys to amo_analysis/locales/en.toml and fr.toml: " + ", ".join(missing)


def test_locale_files_are_package_data():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["amo_analysis"]
    files = [p.relative_to(PACKAGE).as_posix() for p in LOCALES_DIR.iterdir() if p.is_file()]
    assert "locales/narrative.toml" in files
    assert [f for f in files if not any(fnmatch.fnmatch(f, pattern) for pattern in patterns)] == []


def test_number_formats_come_from_the_locale_files(monkeypatch):
    style = dict(
        i18n.NUMBER_STYLES["fr"],
        decimal="·",
        thousands="'",
        percent="{sign}{number} pc",
        points="{sign}{number} pt",
        euro="EUR {sign}{number}",
        money="{unit} {sign}{number}",
    )
    monkeypatch.setitem(i18n.NUMBER_STYLES, "fr", style)
    assert format_number(-1234.5, "fr", 1) == f"{MINUS}1'234·5"
    assert format_percent(0.125, "fr", 1, signed=True) == "+12·5 pc"
    assert format_points(-0.05, "fr") == f"{MINUS}5·0 pt"
    assert format_money(-1500, "EUR", "fr") == f"EUR {MINUS}1'500"
    assert format_money(2, "kEUR", "fr", 0) == "kEUR 2"


def test_number_formats_reject_an_unknown_language():
    with pytest.raises(ValueError, match="not supported"):
        format_number(1.0, "de")
    with pytest.raises(ValueError, match="not supported"):
        format_percent(0.1, "de")


def test_english_narrative_is_the_text_itself():
    from amo_analysis.i18n import NARRATIVE, narrative

    english = next(iter(NARRATIVE))
    assert narrative(english, "en") == english
    assert narrative(english, "fr") == NARRATIVE[english]["fr"] != english


# --------------------------------------------------------------------------- no language branches

# Sites outside this work's files that still compare language names (their owners remove them, then
# their entry here): file → how many comparisons it may still hold.
PENDING: dict[str, int] = {}
LANGUAGE_NAMES = set(LANGUAGES)


def language_comparisons(source: str) -> list[int]:
    """Lines comparing a language: `lang ==`/`!=` (any `lang` name or attribute), or `== "fr"` /
    `!= "en"` and the like (either side), or `in ("fr", ...)` against a literal of language names."""

    def is_lang(node):
        return (isinstance(node, ast.Name) and node.id in ("lang", "language")) or (
            isinstance(node, ast.Attribute) and node.attr in ("lang", "language")
        )

    def is_name(node):
        return isinstance(node, ast.Constant) and node.value in LANGUAGE_NAMES

    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:]):
            equality = isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot))
            membership = (
                isinstance(op, (ast.In, ast.NotIn))
                and isinstance(right, (ast.Tuple, ast.List, ast.Set))
                and any(is_name(e) for e in right.elts)
            )
            if (equality and (is_lang(left) or is_lang(right) or is_name(left) or is_name(right))) or membership:
                lines.append(node.lineno)
    return sorted(lines)


def test_language_comparison_scan_finds_the_usual_forms():
    found = language_comparisons(
        'a = x if lang == "en" else y\nif self.lang != "fr": pass\n'
        'b = "fr" == style\nc = lang in ("fr",)\n'
        '# lang == "fr" in a comment\nd = "lang == \'fr\'"\ne = lang in LANGUAGES\n'
    )
    assert found == [1, 2, 3, 4]


def test_no_code_compares_language_names():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = language_comparisons(path.read_text(encoding="utf-8"))
        if lines:
            found[path.relative_to(PACKAGE).as_posix()] = lines
    over = {f: lines for f, lines in found.items() if len(lines) > PENDING.get(f, 0)}
    assert over == {}, (
        "put what differs between languages in amo_analysis/locales/*.toml (a key, or a "
        f"[numbers] setting) instead of comparing language names: {over}"
    )


def test_message_is_its_english_text_and_translates_where_shown():
    from amo_analysis.i18n import Message, localise

    note = Message("note_framing_score_computed")
    assert note == "framing_score computed as the number of yes among framing_q01…q10"
    assert isinstance(note, str)
    assert localise(note, "fr").startswith("framing_score calculé")
    assert localise("plain words", "fr") == "plain words"


def test_message_values_that_are_messages_are_translated_too_and_survive_json_and_pickle():
    import json
    import pickle

    from amo_analysis.i18n import Message, localise

    outer = Message(
        "refute_subsets_pass",
        draws=50,
        fraction="80%",
        unit=Message("refute_unit_projects"),
        same_sign="100%",
        sd_ratio="0.4",
    )
    assert "projects" in outer and "projets" in localise(outer, "fr")
    back = Message.from_json(json.loads(json.dumps(outer.to_json())))
    assert back == outer and localise(back, "fr") == localise(outer, "fr")
    unpickled = pickle.loads(pickle.dumps(outer))
    assert unpickled.key == outer.key and localise(unpickled, "fr") == localise(outer, "fr")


def test_notes_keep_their_language_through_the_saved_portfolio(tmp_path):
    from amo_analysis.i18n import Message, localise
    from amo_analysis.ingest.portfolio import Portfolio, load_portfolio
    from amo_analysis.paths import SAMPLE_PORTFOLIO

    loaded = load_portfolio(SAMPLE_PORTFOLIO)
    loaded.notes.append(Message("note_framing_score_computed"))
    back = Portfolio.load(loaded.save(tmp_path))
    assert localise(back.notes[-1], "fr").startswith("framing_score calculé")


# --------------------------------------------------------------------------- numbers in sentences, joined sentences


def test_numbers_in_a_sentence_take_the_language_marks():
    from amo_analysis.i18n import Message, localise

    english = Message("note_subsample", what=Message("note_subject_quantile"), rows=10_000, n=1_234_567, seed=3)
    assert str(english).startswith(
        "The quantile regression was fitted on a random subsample of 10,000 of the 1,234,567"
    )
    french = localise(english, "fr")
    assert french.startswith(f"Régression quantile : ajustement sur un sous-échantillon aléatoire de 10{NNBSP}000 des")
    assert f"1{NNBSP}234{NNBSP}567 projets (graine 3)" in french
    extreme = Message("note_propensity_extreme", n_extreme=3, n=40, low=0.05, high=0.95, min=0.0123, max=0.9871)
    assert "outside [0.05, 0.95] (range 0.012–0.987)" in extreme
    assert "hors de [0,05 ; 0,95] (étendue 0,012–0,987)" in localise(extreme, "fr")
    assert "trim=(0.05, 0.95)" in localise(extreme, "fr")  # code stays code


def test_join_sentences_reads_as_join_and_translates_each_part():
    import pickle

    from amo_analysis.i18n import Message, join_sentences, localise

    parts = [
        Message("note_rows_dropped", n_dropped=2, n=9, detail="x: 2"),
        "A plain sentence.",
        Message("note_log_linear"),
    ]
    joined = join_sentences(parts)
    assert joined == " ".join(parts) and isinstance(joined, Message)
    french = localise(joined, "fr")
    assert french == " ".join([localise(parts[0], "fr"), "A plain sentence.", localise(parts[2], "fr")])
    assert french.startswith("2 lignes sur 9 écartées")
    assert localise(join_sentences(parts[:2], "; "), "fr") == localise(parts[0], "fr") + " ; A plain sentence."
    assert join_sentences(["a", "b"], ", ") == "a, b" and not isinstance(join_sentences(["a", "b"]), Message)
    assert join_sentences([]) == "" and join_sentences([parts[2]]) is parts[2]
    for copy in (Message.from_json(json.loads(json.dumps(joined.to_json()))), pickle.loads(pickle.dumps(joined))):
        assert copy == joined and localise(copy, "fr") == french


def test_money_keeps_enough_significant_digits_for_its_unit():
    from amo_analysis.i18n import format_amount, money_decimals

    assert format_money(2.3, "USD millions", "en") == "2.30 USD millions"
    assert format_money(0.04567, "USD millions", "en") == "0.0457 USD millions"
    assert format_money(-0.31, "USD millions", "fr") == f"{MINUS}0,310{NBSP}USD millions"
    assert format_money(75_000, "EUR", "en") == "€75,000" and format_money(123.4, "EUR", "en") == "€123"
    assert format_money(1234.5, "EUR", "en", 1) == "€1,234.5"  # decimals given: as asked
    assert [money_decimals(v) for v in (0, 1e-9, 0.5, 9.99, 10, 99.5, 100, 1e6)] == [0, 6, 3, 2, 1, 1, 0, 0]
    assert format_amount(2.345, "fr") == "2,35" and format_amount(None) == "–"
