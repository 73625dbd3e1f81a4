"""Tests for amo_analysis.ingest.privacy: personal columns found by header and content, pseudonyms."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from amo_analysis.ingest import columns as cols
from amo_analysis.ingest import privacy
from amo_analysis.ingest.mapping import apply_mapping

NAMES = ["Jean Dupont", "Marie Curie", "Ada Lovelace"]


def flagged(df):
    return {p.column: p.reason for p in privacy.find_personal_columns(df)}


# --------------------------------------------------------------------------- by header


@pytest.mark.parametrize(
    "header",
    [
        "Nom",
        "Name",
        "Prénom",
        "First name",
        "Last name",
        "Full name",
        "Nom de famille",
        "Chef de projet",
        "Cheffe de projet",
        "Nom du chef de projet",
        "Project manager",
        "PM",
        "Sponsor",
        "Sponsor name",
        "Responsable",
        "Responsable métier",
        "Owner",
        "Product owner",
        "Contact",
        "Interlocuteur",
    ],
)
def test_person_headers_en_fr(header):
    df = pd.DataFrame({"project_id": ["a", "b", "c"], header: NAMES})
    reasons = flagged(df)
    assert list(reasons) == [header]
    assert "header looks like a person's name" in reasons[header] or "contact" in reasons[header]


@pytest.mark.parametrize(
    "header",
    [
        "E-mail",
        "Email",
        "Mail",
        "Courriel",
        "Adresse e-mail",
        "Téléphone",
        "Telephone",
        "Phone",
        "Tél.",
        "Mobile",
        "Portable",
        "Adresse",
        "Address",
        "Matricule",
        "Employee ID",
    ],
)
def test_contact_headers_en_fr(header):
    df = pd.DataFrame({header: ["abc", "def", "ghi"]})
    assert "contact or identity details" in flagged(df)[header]


def test_contact_header_with_numbers_is_personal_but_role_header_with_flags_is_not():
    df = pd.DataFrame(
        {
            "Téléphone": [612345678, 698765432, 611111111],  # numbers can be phone numbers
            "Matricule": [10234, 10235, 10236],  # and employee ids
            "Sponsor (oui/non)": ["oui", "non", ""],  # says whether there is one, not who
            "PM": [1, 0, 1],
            "Effort (person-days)": [12.5, 30, 7],
        }
    )
    assert set(flagged(df)) == {"Téléphone", "Matricule"}


def test_empty_role_column_is_still_personal():
    df = pd.DataFrame({"Chef de projet": [None, None]}, dtype=object)
    assert "Chef de projet" in flagged(df)


@pytest.mark.parametrize(
    "header",
    [
        "Nom du projet",
        "Project name",
        "Application name",
        "Nom du fournisseur",
        "Nom de l'application",
        "Client",
        "Organisation",
        "Commentaire",
        "Budget (k€)",
        "Nb personnes",
    ],
)
def test_things_named_are_not_persons(header):
    df = pd.DataFrame({header: ["ERP Finance", "CRM Ventes", "Portail RH"]})
    assert flagged(df) == {}


def _sample_values(column: cols.Column, n: int = 4) -> list:
    """Realistic cell values for a canonical column, as text as an export would give them."""
    return {
        "id": [f"PRJ-2023-{i:04d}" for i in range(n)],
        "bool": ["oui", "non", "x", ""][:n],
        "float": ["1 234 567,89", "12 345 678", "250000", "0,35"][:n],
        "int": ["1", "3", "5", "2"][:n],
        "date": ["2024-01-15", "15/01/2024", "2023-12-01 00:00:00", "01.02.2024"][:n],
        "category": ["Banque", "Santé", "Industrie", "Public"][:n],
        "text": ["a", "b", "c", "d"][:n],
    }[column.kind]


@pytest.mark.parametrize("lang", ["header_en", "header_fr", "name"])
def test_no_false_positive_on_canonical_headers(lang):
    data = {getattr(c, lang): _sample_values(c) for c in cols.COLUMNS if getattr(c, lang)}
    df = pd.DataFrame(data)
    assert flagged(df) == {}


def test_no_false_positive_on_amounts_dates_and_codes_in_extra_columns():
    df = pd.DataFrame(
        {
            "Montant": ["1 234 567,89", "12 345 678", "1.234.567,89", "1,234,567.89"],
            "Jalon": ["2024-01-15", "15/01/2024", "2024-01-15 00:00:00", "2019-2024"],
            "Code": ["PRJ-2023-0412", "v1.2.3", "192.168.1.1", "Q3 2024"],
            "Big numbers": [612345678, 1234567890, 33612345678, 5551234567],
            "Floats": [0.612345678, 1e9, np.nan, 3.5],
        }
    )
    assert flagged(df) == {}


def test_apply_mapping_then_privacy_on_the_french_sample_headers():
    raw = pd.DataFrame({c.header_fr: _sample_values(c) for c in cols.COLUMNS if c.header_fr})
    mapped, _ = apply_mapping(raw, None, "sample.csv")
    cleaned, personal = privacy.drop_personal_columns(mapped)
    assert personal == [] and list(cleaned.columns) == list(mapped.columns)


# --------------------------------------------------------------------------- by content


@pytest.mark.parametrize(
    "phone",
    [
        "+33 6 12 34 56 78",
        "06.12.34.56.78",
        "06 12 34 56 78",
        "0612345678",
        "(555) 123-4567",
        "555-123-4567",
        "+1 (555) 123-4567",
        "+44 20 7946 0958",
        "+33 (0)6 12 34 56 78",
        "01-23-45-67-89",
        "Rappeler au 06 12 34 56 78",
    ],
)
def test_phone_numbers_in_any_text_column(phone):
    df = pd.DataFrame({"Remarques": ["RAS", phone, None]})
    reasons = flagged(df)
    assert reasons == {"Remarques": "1 value looks like phone numbers"}
    assert privacy.looks_like_phone(phone)


@pytest.mark.parametrize(
    "text",
    [
        "1 234 567,89",
        "12 345 678",
        "2024-01-15",
        "15/01/2024",
        "12345678",
        "20240115",
        "100 000",
        "2019-2024",
        "3.14159265",
        "PRJ-2023-0412",
    ],
)
def test_not_phone_numbers(text):
    assert not privacy.looks_like_phone(text)


def test_email_addresses_counted_and_never_quoted():
    df = pd.DataFrame(
        {
            "Notes": ["écrire à jean.dupont@example.fr", "marie@exemple.com", "marie@exemple.com", "RAS"],
            "Suivi": ["ok", "ok", "voir +33 6 12 34 56 78 ou a@b.org", "ok"],
        }
    )
    reasons = flagged(df)
    assert reasons["Notes"] == "3 values look like e-mail addresses"
    assert reasons["Suivi"] == "1 value looks like e-mail addresses"
    for reason in reasons.values():
        assert "@" not in reason and "dupont" not in reason


def test_canonical_text_columns_are_read_for_contact_details_but_project_id_never_dropped():
    df = pd.DataFrame(
        {
            "project_id": ["jean@example.fr", "b", "c"],
            "organisation": ["DSI", "contact: 06 12 34 56 78", "RH"],
            "sector": ["Banque", "Santé", "Public"],
        }
    )
    assert list(flagged(df)) == ["organisation"]


# --------------------------------------------------------------------------- dropping


def test_drop_personal_columns_keeps_index_attrs_and_other_columns():
    df = pd.DataFrame(
        {
            "project_id": ["a", "b", "c"],
            "Chef de projet": NAMES,
            "budget_planned": [1.0, 2.0, 3.0],
            "Courriel": ["x@y.fr", "z@y.fr", None],
            "Nom du projet": ["ERP", "CRM", "GED"],
        },
        index=[4, 9, 10],
    )
    df.attrs["cost_unit"] = "hours"
    cleaned, personal = privacy.drop_personal_columns(df)
    assert list(cleaned.columns) == ["project_id", "budget_planned", "Nom du projet"]
    assert list(cleaned.index) == [4, 9, 10]
    assert cleaned.attrs["cost_unit"] == "hours"
    assert [p.column for p in personal] == ["Chef de projet", "Courriel"]
    assert all(isinstance(p, privacy.PersonalColumn) and p.reason for p in personal)
    assert list(df.columns)[1] == "Chef de projet"  # the input is not modified


# --------------------------------------------------------------------------- pseudonymise


def test_pseudonymise_deterministic_per_salt_and_different_across_salts():
    df = pd.DataFrame(
        {"project_id": ["P1", "P2", "P1", None], "budget_planned": [1.0, 2.0, 3.0, 4.0]}, index=[3, 5, 8, 9]
    )
    df.attrs["practice_name"] = "PMO"
    a = privacy.pseudonymise(df, salt="pepper")
    b = privacy.pseudonymise(df, salt="pepper")
    c = privacy.pseudonymise(df, salt="salt")
    ids = a["project_id"].tolist()
    assert ids == b["project_id"].tolist()
    assert ids[:3] != c["project_id"].tolist()[:3]
    assert all(re.fullmatch(r"P-[0-9a-f]{12}", v) for v in ids[:3])
    assert ids[0] == ids[2] and ids[0] != ids[1]
    assert pd.isna(ids[3])
    assert list(a.index) == [3, 5, 8, 9]
    assert a["budget_planned"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert a.attrs == {"practice_name": "PMO"}
    assert df["project_id"].tolist()[:3] == ["P1", "P2", "P1"]  # the input is not modified
    # The salt appears nowhere in the result.
    assert "pepper" not in repr(a.attrs) and not a.astype(str).apply(lambda s: s.str.contains("pepper")).any().any()


def test_pseudonymise_matches_documented_hmac_and_reads_integral_floats_as_integers():
    import hashlib
    import hmac

    df = pd.DataFrame({"project_id": [12, 13], "code": [12.0, "x"]})
    out = privacy.pseudonymise(df, columns=("project_id", "code"), salt="k")
    expected = "P-" + hmac.new(b"k", b"12", hashlib.sha256).hexdigest()[:12]
    assert out["project_id"].iloc[0] == expected
    assert out["code"].iloc[0] == expected


def test_pseudonymise_without_salt_is_random_per_call():
    df = pd.DataFrame({"project_id": ["A", "B"]})
    assert privacy.pseudonymise(df)["project_id"].tolist() != privacy.pseudonymise(df)["project_id"].tolist()


def test_pseudonymise_unknown_column():
    with pytest.raises(KeyError, match="'nope'"):
        privacy.pseudonymise(pd.DataFrame({"project_id": ["A"]}), columns=("nope",), salt="s")


# --------------------------------------------------------------------------- text columns, vectorised


def test_text_columns_are_judged_as_cell_by_cell():
    """A text column (str dtype, as read from CSV) sets aside vectorised the cells that cannot be an
    address or a phone number; the same cells held as Python objects are all read: same verdicts."""
    df = pd.DataFrame(
        {
            "Contact": ["jean@exemple.fr", "", None, "n/a"],
            "Téléphone": ["+33 6 12 34 56 78", "06.12.34.56.78", "0612345678", "12 345 678"],
            "Montant": ["1 234 567,89", "12\u00a0345\u00a0678", "0612345678", "99"],
            "Code": ["PRJ-000001", "2024-01-15", "(555) 123-4567", "12/07/2019"],
            "Remarque": ["appeler le ٠٦١٢٣٤٥٦٧٨", "voir a@b.cd", "RAS", "+12 345 678"],
            "Sponsor (oui/non)": ["oui", "non", "", None],
        }
    )
    assert all(isinstance(df[c].dtype, pd.StringDtype) for c in df)
    found = privacy.find_personal_columns(df)
    assert [(p.column, p.reason) for p in found] == [
        (p.column, p.reason) for p in privacy.find_personal_columns(df.astype(object))
    ]
    assert {p.column for p in found} == {"Contact", "Téléphone", "Montant", "Code", "Remarque"}


def test_cells_set_aside_are_never_addresses_or_phone_numbers():
    rng = np.random.default_rng(7)
    alphabet = np.array(list("0123456789" * 6 + " .-,()+@'/:abZé") + ["\u00a0", "\u202f", "\u0661", "\uff11"])
    texts = ["".join(rng.choice(alphabet, size=rng.integers(4, 20))) for _ in range(20_000)]
    kept = {text for text, _ in privacy._text_counts(pd.Series(texts, dtype="str"))}
    flagged = [t for t in texts if privacy.looks_like_email(t) or privacy.looks_like_phone(t)]
    assert len(flagged) > 50
    assert [t for t in flagged if t not in kept] == []
