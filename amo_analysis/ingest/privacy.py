"""Personal data never reaches a report: find it, drop it, and pseudonymise project ids on request.

Where it sits: sources → cells → mapping → **privacy** → contract → metrics → portfolio. It runs on
the mapped table, before any cell is typed; it asks `cells` whether a column holds only yes/no values
or numbers (`parse_bool_value`, `looks_numeric`) and `mapping` whether a header is a canonical column.

A column is personal when its header names a person or a way to reach one, or when its cells hold
e-mail addresses or phone numbers:

* By header (compared after `mapping.normalise_header`, English and French): person names and roles
  ("name", "nom", "prénom", "chef de projet", "project manager", "PM", "sponsor", "responsable",
  "owner"...), contact details ("e-mail", "courriel", "téléphone", "phone", "mobile", "adresse",
  "contact"...) and identifiers of people ("matricule", "employee id"...).
* By content: any text cell that looks like an e-mail address, or a phone number written as one
  (+33 6 12 34 56 78, 06.12.34.56.78, (555) 123-4567, 8 to 15 digits in at least three separated
  groups). Only text cells are read: a numeric column is never taken for phone numbers, and text
  that reads as an amount ("1 234 567,89", "12 345 678") or a date ("2024-01-15") is not either.

Deliberate exceptions:

* A header the `mapping` vocabulary recognises as a canonical column ("Sponsor" pitfalls such as
  "Absence de sponsor métier", "Organisation", "Nb personnes"...) is not personal by header.
* A *project* name is not a person: "name"/"nom" only counts when nothing in the header says what
  is named is a thing ("Nom du projet", "Project name", "Application name", "Nom du fournisseur"
  are kept; "Nom", "Name", "Sponsor name", "Nom du chef de projet" are personal).
* A column headed with a role ("Sponsor", "PM", "Responsable"...) whose every filled cell is a
  yes/no or a number ("Sponsor (oui/non)") says whether the role exists, not who holds it: kept.
  Contact-detail and identifier headers have no such exception (a matricule is a number).
* ``project_id`` is never dropped: the pipeline needs it; `pseudonymise` replaces it by a salted
  hash when the ids themselves are sensitive. Other canonical columns are still read for e-mails
  and phone numbers.

Reasons never quote a cell, so they can be shown in reports.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from amo_analysis.ingest import columns as cols
from amo_analysis.ingest.cells import is_missing, is_unfilled, looks_numeric, parse_bool_value
from amo_analysis.ingest.mapping import normalise_header, recognise_header
from amo_analysis.i18n import Message

# Headers naming a way to reach or identify a person: always personal.
_CONTACT_PHRASES: tuple[str, ...] = (
    "email",
    "e mail",
    "mail",
    "courriel",
    "adresse mail",
    "mel",
    "telephone",
    "phone",
    "tel",
    "mobile",
    "portable",
    "gsm",
    "cell",
    "cellphone",
    "fax",
    "adresse",
    "address",
    "contact",
    "contacts",
    "interlocuteur",
    "matricule",
    "employee id",
    "employee number",
    "staff id",
    "personnel number",
    "numero de securite sociale",
    "securite sociale",
    "ssn",
    "nir",
    "social security",
    "date of birth",
    "birth date",
    "birthdate",
    "date de naissance",
    "naissance",
    "dob",
    "linkedin",
    "iban",
)
# Headers naming a person by role: personal unless every filled cell is a yes/no or a number.
_ROLE_PHRASES: tuple[str, ...] = (
    "first name",
    "firstname",
    "last name",
    "lastname",
    "surname",
    "full name",
    "fullname",
    "given name",
    "family name",
    "prenom",
    "nom de famille",
    "nom prenom",
    "prenom nom",
    "chef de projet",
    "cheffe de projet",
    "chef projet",
    "directeur de projet",
    "directrice de projet",
    "project manager",
    "project lead",
    "project leader",
    "program manager",
    "programme manager",
    "pm",
    "cp",
    "manager",
    "sponsor",
    "sponsor name",
    "responsable",
    "owner",
    "product owner",
    "business owner",
    "referent",
    "referente",
    "auteur",
    "author",
    "employee",
    "employe",
    "salarie",
    "collaborateur",
    "collaboratrice",
    "consultant",
    "consultante",
    "person",
    "personne",
    "utilisateur",
    "user name",
    "username",
    "login",
    "assignee",
    "assigned to",
    "attribue a",
)
# "name" alone: personal unless the header says what is named is a thing.
_NAME_WORDS: frozenset[str] = frozenset({"name", "names", "nom", "noms"})
_THING_WORDS: frozenset[str] = frozenset(
    {
        "projet",
        "project",
        "projets",
        "projects",
        "application",
        "app",
        "produit",
        "product",
        "organisation",
        "organization",
        "company",
        "entreprise",
        "societe",
        "fournisseur",
        "supplier",
        "vendor",
        "editeur",
        "integrateur",
        "integrator",
        "client",
        "customer",
        "direction",
        "service",
        "departement",
        "department",
        "equipe",
        "team",
        "programme",
        "program",
        "portefeuille",
        "portfolio",
        "site",
        "systeme",
        "system",
        "outil",
        "tool",
        "solution",
        "logiciel",
        "software",
        "lot",
        "contrat",
        "contract",
        "fichier",
        "file",
        "domaine",
        "domain",
        "secteur",
        "sector",
        "entite",
        "entity",
        "phase",
        "jalon",
        "milestone",
        "module",
        "release",
        "version",
        "sprint",
        "livrable",
        "deliverable",
        "perimetre",
        "scope",
        "marche",
        "market",
        "pays",
        "country",
        "ville",
        "city",
        "region",
        "code",
        "type",
        "categorie",
        "category",
        "statut",
        "status",
    }
)

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Patterns strong enough to be searched inside free text.
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .\-]?\(0\))?(?:[ .\-]?\(?\d{1,4}\)?){2,6}(?![\w])")
_PHONE_FR = re.compile(r"(?<![\w.,])0[1-9](?:[ .\-]\d{2}){4}(?![\w]|[.,]\d)")
# Patterns only trusted on a whole cell.
_PHONE_FR_PLAIN = re.compile(r"0[1-9]\d{8}")
_PHONE_NA = re.compile(r"(?:\+?1[ .\-]?)?\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}|\d{3}[ .\-]\d{3}[ .\-]\d{4}")
_PHONE_GROUPS = re.compile(r"\(?\d{1,4}\)?(?:[ .\-]\(?\d{1,4}\)?){2,}")
_AMOUNT = re.compile(r"[+\-]?\d{1,3}(?:([ .,'\u00a0\u202f])\d{3})(?:\1\d{3})*(?:[.,]\d+)?")
# RE2 patterns for `_text_counts`: an "@" or 8 digits (ASCII, or any non-ASCII character); then
# what is never a phone number: ASCII digits with no "+", as a plain number (but for the French
# 10-digit form) or an amount grouped by three.
_AT_OR_EIGHT_DIGITS = r"^(?:[^@]*@|(?:[^0-9\x{80}-\x{10ffff}]*[0-9\x{80}-\x{10ffff}]){8})"
_PLAIN_NUMBER = r"^[0-9]+(?:[.,][0-9]+)?$"
_FRENCH_PHONE_DIGITS = r"^0[1-9][0-9]{8}$"
_GROUPED_AMOUNT = (
    "^-?[0-9]{1,3}(?:" + "|".join(f"(?:[{sep}][0-9]{{3}})+" for sep in " .,'\u00a0\u202f") + r")(?:[.,][0-9]+)?$"
)
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T].*)?|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?:[ T].*)?")


@dataclass
class PersonalColumn:
    """A column dropped as personal data, and why (the reason never quotes a cell)."""

    column: str
    reason: str


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def looks_like_email(text: str) -> bool:
    """True when `text` contains an e-mail address."""
    return bool(_EMAIL.search(text))


def looks_like_phone(text: str) -> bool:
    """True when `text` is (or, for unmistakable international and French formats, contains) a
    phone number; amounts and dates are not phone numbers."""
    cell = text.strip()
    for match in _PHONE_INTL.finditer(cell):
        if 8 <= _digits(match.group()) <= 15:
            return True
    if _PHONE_FR.search(cell):
        return True
    if _AMOUNT.fullmatch(cell) or _DATE.fullmatch(cell):
        return False
    if _PHONE_FR_PLAIN.fullmatch(cell) or _PHONE_NA.fullmatch(cell):
        return True
    if _PHONE_GROUPS.fullmatch(cell):
        groups = re.findall(r"\d+", cell)
        return 8 <= _digits(cell) <= 15 and all(2 <= len(g) <= 4 for g in groups)
    return False


def _has_phrase(key: str, phrases) -> str | None:
    padded = f" {key} "
    for phrase in phrases:
        if f" {phrase} " in padded:
            return phrase
    return None


def _all_flags(series: pd.Series, numbers_ok: bool) -> bool:
    """True when the column has at least one filled cell and each reads as yes/no (or, when
    `numbers_ok`, as a number)."""
    filled = 0
    for value in series.dropna().unique() if isinstance(series.dtype, pd.StringDtype) else series:
        if is_unfilled(value):
            continue
        filled += 1
        try:
            parse_bool_value(value)
            continue
        except ValueError:
            pass
        if not numbers_ok or not looks_numeric(value):
            return False
    return filled > 0


def _header_reason(header: str, series: pd.Series) -> str | None:
    key = normalise_header(header)
    if not key:
        return None
    phrase = _has_phrase(key, _CONTACT_PHRASES)
    if phrase and not _all_flags(series, numbers_ok=False):
        return Message("privacy_contact_header", phrase=phrase)
    phrase = _has_phrase(key, _ROLE_PHRASES)
    if phrase and not _all_flags(series, numbers_ok=True):
        return Message("privacy_name_header", phrase=phrase)
    words = set(key.split())
    if words & _NAME_WORDS and not words & _THING_WORDS and not _all_flags(series, numbers_ok=True):
        return Message("privacy_name_header", phrase=sorted(words & _NAME_WORDS)[0])
    return None


def _text_counts(series: pd.Series):
    """(text, number of cells) for each distinct text cell of `series` that may hold an e-mail
    address or a phone number.

    In a text column (as read from CSV) the cells that cannot are set aside vectorised: an address
    needs an "@" and 6 characters; a phone number needs 8 digits (each ASCII or not ASCII at all),
    and a plain number or an amount grouped by three with no "+" or "@" is none (see
    `looks_like_phone`).
    """
    if not isinstance(series.dtype, pd.StringDtype):
        yield from series[series.map(lambda v: isinstance(v, str)).astype(bool)].value_counts().items()
        return
    cells = pa.array(series.array)
    cells = cells.filter(pc.greater_equal(pc.utf8_length(cells), 6))
    cells = cells.filter(pc.match_substring_regex(cells, _AT_OR_EIGHT_DIGITS))
    counts = pc.value_counts(cells)
    values = counts.field("values")
    never = pc.or_(
        pc.and_not(
            pc.match_substring_regex(values, _PLAIN_NUMBER), pc.match_substring_regex(values, _FRENCH_PHONE_DIGITS)
        ),
        pc.match_substring_regex(values, _GROUPED_AMOUNT),
    )
    keep = pc.invert(never)
    yield from zip(values.filter(keep).to_pylist(), counts.field("counts").filter(keep).to_pylist())


def _content_reason(series: pd.Series) -> str | None:
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    n_mail = n_phone = 0
    for value, count in _text_counts(series):
        if looks_like_email(value):
            n_mail += int(count)
        elif looks_like_phone(value):
            n_phone += int(count)
    mails = Message("privacy_emails" + ("_many" if n_mail > 1 else ""), n=n_mail)
    phones = Message("privacy_phones" + ("_many" if n_phone > 1 else ""), n=n_phone)
    if n_mail and n_phone:
        return Message("privacy_both", mails=mails, phones=phones)
    return mails if n_mail else phones if n_phone else None


def find_personal_columns(df: pd.DataFrame) -> list[PersonalColumn]:
    """Columns of `df` that hold personal data, in column order, each with one reason.

    Never lists ``project_id`` (see the module docstring); headers recognised as canonical
    columns are judged by their content only.
    """
    found: list[PersonalColumn] = []
    for label in df.columns:
        header = str(label)
        if header == "project_id":
            continue
        series = df[label]
        if isinstance(series, pd.DataFrame):  # duplicated header: judge the first one
            series = series.iloc[:, 0]
        canonical = header in cols.BY_NAME or recognise_header(header)[0] is not None
        reason = None if canonical else _header_reason(header, series)
        reason = reason or _content_reason(series)
        if reason:
            found.append(PersonalColumn(header, reason))
    return found


def drop_personal_columns(df: pd.DataFrame) -> tuple[pd.DataFrame, list[PersonalColumn]]:
    """`df` without its personal columns (index and attrs kept), and what was dropped."""
    personal = find_personal_columns(df)
    dropped = {p.column for p in personal}
    keep = [c for c in df.columns if str(c) not in dropped]
    cleaned = df.loc[:, keep].copy()
    cleaned.attrs = dict(df.attrs)
    return cleaned, personal


def _id_text(value: object) -> str:
    """Text hashed for one id: integral floats read as integers (12.0 -> "12")."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def pseudonymise(df: pd.DataFrame, columns=("project_id",), salt: str | None = None) -> pd.DataFrame:
    """Copy of `df` where each value of `columns` is replaced by "P-" + the first 12 hex digits of
    its HMAC-SHA-256 keyed with `salt` (a fresh random salt when None, so pseudonyms then differ
    from run to run). Deterministic for a given salt; missing cells stay missing; integral floats
    hash like the integer (12.0 like 12). Index and attrs are kept; the salt is stored nowhere,
    not even in ``attrs``. Raises KeyError for a column `df` lacks."""
    absent = [c for c in columns if c not in df.columns]
    if absent:
        raise KeyError(f"cannot pseudonymise column {absent[0]!r}: the table has no such column")
    key = (salt if salt is not None else secrets.token_hex(32)).encode("utf-8")
    out = df.copy()
    for column in columns:
        texts = {v: _id_text(v) for v in df[column].unique() if not is_missing(v)}
        codes = {
            text: "P-" + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:12]
            for text in set(texts.values())
        }
        if len(set(codes.values())) != len(codes):
            raise RuntimeError(f"two values of {column!r} got the same pseudonym; use another salt")
        out[column] = pd.Series(
            [None if is_missing(v) else codes[texts[v]] for v in df[column]], index=df.index, dtype=object
        )
    out.attrs = dict(df.attrs)
    return out
