"""French exports as Excel writes them (#25): each is derived from a clean 30-project twin and must be
read with the same 30 projects and the same total budget.

* a CSV (cp1252, ';', decimal comma) ending, as Excel totals do, with an empty line, a 'Total;;…' line
  and another empty line;
* a workbook below a title row whose numbers and dates are text cells ("nombre stocké sous forme de
  texte": '75 000,00', '0,62', '14/03/2022'), and one written from a French CSV read as text;
* a workbook below a title row whose header is split over two rows: group cells 'Budget' and
  'Délai (jours)' above 'Prévu' | 'Réel', merged (openpyxl merged cells) or not (the group name only
  in the first cell of its group).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from amo_analysis.errors import ContractError, InputError
from amo_analysis.ingest import columns
from amo_analysis.ingest.portfolio import load_portfolio
from amo_analysis.ingest.source_info import total_row_label
from amo_analysis.ingest.sources import read_source
from amo_analysis.synth import make_portfolio, write_portfolio_csv

N, SEED = 30, 25
TITLE = "Portefeuille des projets SI — export du 06/12/2026"
NBSP, NNBSP = "\u00a0", "\u202f"


def twin() -> pd.DataFrame:
    """The clean 30-project portfolio every export below is derived from."""
    return make_portfolio(N, SEED)


def clean_csv(tmp: Path) -> Path:
    path = tmp / "portefeuille_propre.csv"
    write_portfolio_csv(twin(), path, style="fr")
    return path


def french_amount(value: float, space: str = NBSP) -> str:
    """'75 000,00' as Excel (French locale) shows an amount: thousands by `space`, two decimals."""
    whole, cents = f"{value:,.2f}".split(".")
    return whole.replace(",", space) + "," + cents


def csv_with_total(tmp: Path) -> Path:
    """The clean CSV, then an empty line, a 'Total;;…' line (sums under the money columns) and an
    empty line, as Excel writes a sheet with a totals row below a blank one."""
    df = twin()
    text = clean_csv(tmp).read_bytes().decode("cp1252")
    header = text.split("\r\n", 1)[0].split(";")
    total = [""] * len(header)
    total[0] = "Total"
    for name in ("budget_planned", "cost_actual", "amo_cost"):
        total[header.index(columns.BY_NAME[name].header_fr)] = f"{df[name].sum():.0f}"
    path = tmp / "portefeuille_total.csv"
    path.write_bytes((text + "\r\n" + ";".join(total) + "\r\n\r\n").encode("cp1252"))
    return path


def _as_french_text(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the text Excel (French locale) shows: amounts '75 000,00', shares '0,62',
    dates '14/03/2022', booleans 'oui'/'non'."""
    out = pd.DataFrame(index=df.index)
    for name in df.columns:
        s = df[name]
        col = columns.BY_NAME[name]
        if pd.api.types.is_bool_dtype(s):
            cells = s.map({True: "oui", False: "non"})
        elif pd.api.types.is_datetime64_any_dtype(s):
            cells = s.dt.strftime("%d/%m/%Y")
        elif name in ("budget_planned", "amo_cost"):
            cells = s.map(lambda v: None if pd.isna(v) else french_amount(v, NBSP))
        elif name == "cost_actual":
            cells = s.map(lambda v: None if pd.isna(v) else french_amount(v, NNBSP))
        elif name == "adoption_m3":
            cells = s.map(lambda v: None if pd.isna(v) else f"{v:.3f}".replace(".", ","))
        elif pd.api.types.is_numeric_dtype(s):
            cells = s.map(lambda v: None if pd.isna(v) else f"{v:.0f}")
        else:
            cells = s.astype(object)
        out[col.header_fr] = cells.astype(object).where(cells.notna(), None)
    return out


def _workbook(path: Path, rows: list[list], merges: list[str] = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Projets"
    for row in rows:
        ws.append(row)
    for ref in merges:
        ws.merge_cells(ref)
    wb.save(path)
    return path


def workbook_numbers_as_text(tmp: Path) -> Path:
    """A title row, the French header, and every cell a text cell ('75 000,00', '0,62', '14/03/2022')."""
    text = _as_french_text(twin())
    rows = [[TITLE], list(text.columns)] + [list(r) for r in text.itertuples(index=False)]
    return _workbook(tmp / "portefeuille_texte.xlsx", rows)


def workbook_from_csv_read_as_text(tmp: Path) -> Path:
    """The clean French CSV read with every column as text, written to a workbook (what a script
    or Power Query does with dtype=str)."""
    frame = pd.read_csv(clean_csv(tmp), sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    path = tmp / "portefeuille_csv_en_texte.xlsx"
    frame.replace("", None).to_excel(path, index=False, sheet_name="Projets")
    return path


GROUPS = {
    "Budget": ("budget_planned", "cost_actual"),
    "Délai (jours)": ("duration_planned_days", "duration_actual_days"),
}


def workbook_two_row_header(tmp: Path, merged: bool) -> Path:
    """A title row, then a header over two rows: 'Budget' above 'Prévu' | 'Réel' and 'Délai (jours)'
    above 'Prévu' | 'Réel' (merged group cells, or the group name in the first cell only); every
    other header cell in the upper row (merged down over both rows when `merged`)."""
    from openpyxl.utils import get_column_letter

    df = twin()
    grouped = {name: group for group, names in GROUPS.items() for name in names}
    upper, lower, merges = [], [], []
    for j, name in enumerate(df.columns, start=1):
        letter = get_column_letter(j)
        group = grouped.get(name)
        if group is None:
            upper.append(columns.BY_NAME[name].header_fr)
            lower.append(None)
            if merged:
                merges.append(f"{letter}2:{letter}3")
        elif GROUPS[group][0] == name:
            upper.append(group)
            lower.append("Prévu")
            if merged:
                merges.append(f"{letter}2:{get_column_letter(j + 1)}2")
        else:
            upper.append(None)
            lower.append("Réel")
    body = []
    for row in df.itertuples(index=False):
        body.append(
            [
                None if (v is None or v is pd.NaT or (isinstance(v, float) and pd.isna(v))) else v
                for v in (x.to_pydatetime() if isinstance(x, pd.Timestamp) else x for x in row)
            ]
        )
    name = "portefeuille_entete_fusionnee.xlsx" if merged else "portefeuille_entete_deux_lignes.xlsx"
    return _workbook(tmp / name, [[TITLE], upper, lower, *body], merges)


EXPORTS = {
    "csv-total-lines": csv_with_total,
    "xlsx-numbers-as-text": workbook_numbers_as_text,
    "xlsx-from-csv-as-text": workbook_from_csv_read_as_text,
    "xlsx-two-row-header-merged": lambda tmp: workbook_two_row_header(tmp, merged=True),
    "xlsx-two-row-header-unmerged": lambda tmp: workbook_two_row_header(tmp, merged=False),
}


@pytest.mark.parametrize("build", EXPORTS.values(), ids=EXPORTS.keys())
def test_a_french_export_reads_as_its_clean_twin(tmp_path, build):
    clean = load_portfolio(clean_csv(tmp_path))
    export = load_portfolio(build(tmp_path))
    assert len(clean.data) == len(export.data) == N
    assert export.data["budget_planned"].sum() == pytest.approx(clean.data["budget_planned"].sum(), rel=1e-12)
    assert export.data["budget_planned"].sum() == pytest.approx(twin()["budget_planned"].sum(), rel=1e-12)
    pd.testing.assert_series_equal(
        export.data["cost_actual"].reset_index(drop=True), clean.data["cost_actual"].reset_index(drop=True)
    )
    pd.testing.assert_series_equal(
        export.data["duration_actual_days"].reset_index(drop=True),
        clean.data["duration_actual_days"].reset_index(drop=True),
    )


# ---------------------------------------------------------------------------------------------
# what is said, in both languages


def _notes(path: Path) -> list:
    return read_source(path)[1].notes


def _note(notes: list, key: str):
    found = [n for n in notes if getattr(n, "key", None) == key or getattr(n, "key", "") == key + "_many"]
    assert len(found) == 1, [str(n) for n in notes]
    return found[0]


def test_the_total_line_is_dropped_and_said(tmp_path):
    note = _note(_notes(csv_with_total(tmp_path)), "note_total_line")
    assert str(note).startswith("line 33 ('Total') dropped: it looks like a total line")
    assert note.in_language("fr").startswith("ligne 33 ('Total') retirée : elle ressemble à une ligne de total")


def test_numbers_stored_as_text_are_read_with_the_detected_format_and_said(tmp_path):
    raw, info = read_source(workbook_numbers_as_text(tmp_path))
    assert (info.decimal, info.thousands) == (",", NBSP)
    note = _note(info.notes, "note_numbers_as_text")
    assert str(note).startswith("214 numbers stored as text read as numbers")
    assert "'Budget prévu' (30)" in str(note) and "'Adoption à M+3' (28)" in str(note)
    assert "214 nombres stockés sous forme de texte lus comme des nombres" in note.in_language("fr")
    # the narrow no-break spaces of the other amount column are read too, and not said to fail
    assert not any("will not convert" in str(n) for n in info.notes)
    assert isinstance(raw.iloc[0, 2], str)  # the reader keeps the cell; contract reads it


def test_a_workbook_without_numbers_as_text_detects_nothing(tmp_path):
    _, info = read_source(workbook_two_row_header(tmp_path, merged=True))
    assert (info.decimal, info.thousands) == (None, None)
    assert not any("stored as text" in str(n) for n in info.notes)


@pytest.mark.parametrize("merged", [True, False], ids=["merged", "unmerged"])
def test_a_two_row_header_is_read_as_combined_names_and_said(tmp_path, merged):
    raw, info = read_source(workbook_two_row_header(tmp_path, merged))
    assert list(raw.columns[2:6]) == ["Budget prévu", "Budget réel", "Délai (jours) prévu", "Délai (jours) réel"]
    assert raw.columns[0] == "Identifiant projet" and raw.index[0] == 4  # data start below both header rows
    note = _note(info.notes, "note_two_row_header")
    assert str(note) == (
        "header over rows 2 and 3 read as one (group cells above the names of their columns): "
        "'Budget' + 'Prévu' → 'Budget prévu'; 'Budget' + 'Réel' → 'Budget réel'; "
        "'Délai (jours)' + 'Prévu' → 'Délai (jours) prévu'; 'Délai (jours)' + 'Réel' → 'Délai (jours) réel'"
    )
    assert note.in_language("fr").startswith("en-tête sur les lignes 2 et 3 lu comme un seul")


def test_the_export_validates_on_the_command_line(tmp_path, run_cli):
    result = run_cli("validate", workbook_two_row_header(tmp_path, merged=True))
    assert result.code == 0, result.err
    assert "30 projects can be analysed" in result.out
    assert "'Délai (jours) prévu' → duration_planned_days" in result.out


# ---------------------------------------------------------------------------------------------
# what stays an error: one sentence naming file, row, column and value, exit 2


def test_a_total_line_that_is_not_the_last_is_data_and_an_error(tmp_path, run_cli):
    path = csv_with_total(tmp_path)
    lines = path.read_bytes().decode("cp1252").split("\r\n")
    total = next(line for line in lines if line.startswith("Total;"))
    lines.remove(total)
    lines.insert(10, total)  # line 11, among the projects
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    result = run_cli("validate", path)
    assert result.code == 2 and "Traceback" not in result.out + result.err
    assert "portefeuille_total.csv, line 11, column 'AMO (oui/non)': blank practice value" in result.out
    assert "dropped: it looks like a total line" not in result.out


def test_a_file_with_only_a_total_line_has_no_data(tmp_path):
    path = tmp_path / "vide.csv"
    path.write_bytes("Identifiant projet;AMO (oui/non);Budget prévu\r\n\r\nTotal;;0\r\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"vide\.csv: the file has a header \(line 1\) and a total line \(line 3\)"):
        read_source(path)


def test_a_group_column_without_its_name_is_an_error_naming_the_cell(tmp_path):
    path = workbook_two_row_header(tmp_path, merged=True)
    wb = openpyxl.load_workbook(path)
    wb.active["D3"] = None  # 'Réel' under 'Budget'
    wb.save(path)
    with pytest.raises(InputError, match=r"sheet 'Projets', cell D3 is empty under the group 'Budget' of the header"):
        read_source(path)


def test_an_empty_header_cell_above_a_data_row_is_still_refused(tmp_path):
    """A one-row header with a hole: the row below is data (numbers), not names; refused as before."""
    df = twin()
    header = [columns.BY_NAME[c].header_fr for c in df.columns]
    header[3] = None
    rows = [[TITLE], header, *([None if pd.isna(v) else v for v in r[:4]] + ["x"] for r in df.itertuples(index=False))]
    path = _workbook(tmp_path / "trou.xlsx", rows)
    with pytest.raises(InputError, match=r"cell D2 of the header is empty \(merged header cells\?\)"):
        read_source(path)


def test_a_text_row_under_a_one_row_header_with_a_hole_is_not_taken_for_names(tmp_path):
    """The first data row all text (a workbook of text cells) under a header with a hole: a name
    under a column that is no group means a data row; refused as before, not merged into names."""
    text = _as_french_text(twin())
    header = list(text.columns)
    header[3] = None
    rows = [header] + [list(r) for r in text.itertuples(index=False)]
    path = _workbook(tmp_path / "trou_texte.xlsx", rows)
    with pytest.raises(InputError, match=r"cell D1 of the header is empty \(merged header cells\?\)"):
        read_source(path)


def test_two_decimal_marks_in_one_workbook_stay_errors_naming_the_cell(tmp_path):
    """'0,62' in one column and '1,234.50' in another: the majority mark (comma) is used, and each
    cell written with the other one is reported with its row, column and value."""
    text = _as_french_text(twin())
    text["Coût réel"] = twin()["cost_actual"].map(lambda v: None if pd.isna(v) else f"{v:,.2f}")
    rows = [[TITLE], list(text.columns)] + [list(r) for r in text.itertuples(index=False)]
    path = _workbook(tmp_path / "deux_marques.xlsx", rows)
    with pytest.raises(ContractError) as caught:
        load_portfolio(path)
    first = str(caught.value).splitlines()[0]
    assert first.startswith("deux_marques.xlsx, row 3, column 'Coût réel', value '")
    assert "text in a numeric column (decimal mark is ',')" in first


@pytest.mark.parametrize(
    ("label", "total"),
    [("Total", True), ("  TOTAUX", True), ("Total général", True), ("Grand total :", True), ("Somme", True)]
    + [("TOTAL-2024", False), ("Total_ERP", False), ("Totalisation", False), ("PRJ-0030", False)],
)
def test_the_total_row_rule_of_both_readers(label, total):
    assert (total_row_label([None, " ", label, "9704000"]) is not None) is total
    assert total_row_label([None, 12.5, label]) is None  # the first filled cell is a number: a data row


def test_merged_ranges_decide_where_a_group_ends(tmp_path):
    """'Statut' written in the lower row only, right of the merged group 'Budget' (C2:D2): the merged
    range says it is not in the group (without it, the group would take it, as 'Budget statut')."""
    rows = [
        [TITLE],
        ["Identifiant projet", "AMO (oui/non)", "Budget", None, None],
        [None, None, "Prévu", "Réel", "Statut"],
        ["PRJ-1", "oui", 100_000, 120_000, "terminé"],
        ["PRJ-2", "non", 80_000, 70_000, "terminé"],
    ]
    path = _workbook(tmp_path / "statut.xlsx", rows, ["A2:A3", "B2:B3", "C2:D2"])
    raw, _ = read_source(path)
    assert list(raw.columns) == ["Identifiant projet", "AMO (oui/non)", "Budget prévu", "Budget réel", "Statut"]
    assert raw["Budget réel"].tolist() == [120_000, 70_000]
