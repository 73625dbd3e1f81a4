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

from amo_analysis.ingest import columns
from amo_analysis.ingest.portfolio import load_portfolio
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
