import pytest

from amo_analysis.i18n import (MINUS, NBSP, NNBSP, TRANSLATIONS, format_money, format_number,
                               format_percent, format_points, translate)


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
    assert missing == [], "add these paragraphs to amo_analysis/narrative.toml:\n" + "\n".join(missing)


def test_french_export_swaps_the_narrative():
    from nbformat.v4 import new_markdown_cell, new_notebook

    from amo_analysis.report.html import translate_narrative

    nb = new_notebook(cells=[new_markdown_cell("## What the portfolio holds"), new_markdown_cell("untranslated")])
    out = translate_narrative(nb, "fr")
    assert [c.source for c in out.cells] == ["## Ce que contient le portefeuille", "untranslated"]
