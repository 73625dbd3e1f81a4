"""The canonical column catalogue of a portfolio: names, types, units and English/French headers.

One row of a portfolio is one project. This module is the single place that says which columns
exist, what they mean and which header names a user's export may give them; `mapping` uses the
headers to recognise columns, `contract` uses the types and bounds to validate them, `synth` uses the
French headers to write the bundled sample, and `dictionary` writes `data/DATA_DICTIONARY.md` from it.
Every ingest module may import it; it imports none.

Units: money columns are in the run's cost unit (EUR by default; effort in hours or person-days
works the same way), durations are in calendar days, shares are fractions in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["id", "bool", "float", "int", "date", "text", "category"]


@dataclass(frozen=True)
class Column:
    """One canonical column of the portfolio contract."""

    name: str
    kind: Kind
    role: Literal["required", "optional", "derived"]
    description: str
    unit: str = ""
    header_en: str = ""
    header_fr: str = ""
    synonyms: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    min_inclusive: bool = True
    allowed: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


FRAMING_QUESTIONS: tuple[tuple[str, str, str], ...] = (
    ("framing_q01", "Business objective stated with a KPI", "Objectif métier avec indicateur"),
    ("framing_q02", "Users' main irritants identified", "Irritants des utilisateurs identifiés"),
    ("framing_q03", "Indispensable features listed", "Fonctionnalités indispensables listées"),
    ("framing_q04", "Input/output data described", "Données d'entrée/sortie décrites"),
    ("framing_q05", "GDPR/regulatory constraints known", "Contraintes RGPD/réglementaires connues"),
    ("framing_q06", "Maximum budget set, with a 10 % margin", "Budget maximal fixé avec marge de 10 %"),
    ("framing_q07", "Realistic plan", "Planning réaliste"),
    ("framing_q08", "Internal resources committed", "Ressources internes mobilisées"),
    ("framing_q09", "Adoption strategy", "Stratégie d'adoption"),
    ("framing_q10", "Post-deployment value measurement", "Mesure de la valeur après déploiement"),
)

PITFALLS: tuple[tuple[str, str, str], ...] = (
    ("scope_creep", "Scope creep", "Dérive du périmètre"),
    ("poor_requirements", "Poorly gathered requirements", "Besoins mal recueillis"),
    ("no_sponsor", "No business sponsor", "Absence de sponsor métier"),
    ("integrator_lockin", "Dependence on one integrator", "Dépendance à un intégrateur"),
    ("late_change_mgmt", "Late change management", "Conduite du changement tardive"),
)

STATUSES = ("completed", "cancelled", "ongoing")
OUTCOME_CLASSES = ("successful", "challenged", "failed")

COLUMNS: tuple[Column, ...] = (
    Column(
        "project_id",
        "id",
        "required",
        "Unique identifier of the project (non-empty).",
        header_en="Project ID",
        header_fr="Identifiant projet",
        synonyms=(
            "id",
            "project",
            "project code",
            "code projet",
            "projet",
            "id projet",
            "reference",
            "référence",
            "ref projet",
            "n° projet",
            "numero projet",
        ),
    ),
    Column(
        "amo",
        "bool",
        "required",
        "The practice being evaluated (AMO by default; a mapping file may point it at any "
        "binary practice such as a PMO or agile delivery). True = the project had it.",
        header_en="AMO (yes/no)",
        header_fr="AMO (oui/non)",
        synonyms=(
            "amo",
            "with amo",
            "avec amo",
            "amoa",
            "assistance maitrise d'ouvrage",
            "assistance à maîtrise d'ouvrage",
            "owner assistance",
            "practice",
            "pratique",
        ),
    ),
    Column(
        "budget_planned",
        "float",
        "required",
        "Budget approved at launch (baseline).",
        unit="cost unit",
        header_en="Planned budget",
        header_fr="Budget prévu",
        synonyms=(
            "budget",
            "planned cost",
            "baseline budget",
            "budget initial",
            "budget planifié",
            "budget prevu",
            "budget approuvé",
            "estimated cost",
            "coût prévu",
            "cout prevu",
        ),
        min_value=0,
        min_inclusive=False,
    ),
    Column(
        "cost_actual",
        "float",
        "required",
        "Actual final cost; empty when the project is not finished.",
        unit="cost unit",
        header_en="Actual cost",
        header_fr="Coût réel",
        synonyms=(
            "actual cost",
            "final cost",
            "cost",
            "coût final",
            "cout reel",
            "coût constaté",
            "coût effectif",
            "réalisé",
            "realise",
            "dépense réelle",
            "budget réel",
            "budget réalisé",
            "budget consommé",
        ),
        min_value=0,
    ),
    Column(
        "cost_to_date",
        "float",
        "optional",
        "Spend to date of a project still running at the export date (its cost so far, not its final "
        "cost); lets the drift of running projects count, right-censored at cost_to_date / "
        "budget_planned − 1.",
        unit="cost unit",
        header_en="Cost to date",
        header_fr="Coût engagé",
        synonyms=(
            "spend to date",
            "spent to date",
            "actual cost to date",
            "actual to date",
            "cost incurred",
            "incurred cost",
            "dépensé à date",
            "dépense à date",
            "dépenses à date",
            "coût à date",
            "consommé",
            "consomme à date",
            "engagé",
            "montant engagé",
        ),
        min_value=0,
    ),
    Column(
        "duration_planned_days",
        "float",
        "required",
        "Planned duration from start to go-live, in calendar days (derived from start_date and "
        "golive_planned when absent).",
        unit="days",
        header_en="Planned duration (days)",
        header_fr="Durée prévue (jours)",
        synonyms=(
            "planned duration",
            "duration planned",
            "durée prévue",
            "duree prevue",
            "durée planifiée",
            "planned days",
            "durée (jours) prévue",
            "délai prévu",
            "délai (jours) prévu",
        ),
        min_value=0,
        min_inclusive=False,
    ),
    Column(
        "duration_actual_days",
        "float",
        "required",
        "Actual duration from start to go-live, in calendar days (derived from start_date and "
        "golive_actual when absent); empty when not live yet.",
        unit="days",
        header_en="Actual duration (days)",
        header_fr="Durée réelle (jours)",
        synonyms=(
            "actual duration",
            "duration actual",
            "durée réelle",
            "duree reelle",
            "durée constatée",
            "actual days",
            "durée (jours) réelle",
            "délai réel",
            "délai (jours) réel",
        ),
        min_value=0,
    ),
    Column(
        "start_date",
        "date",
        "optional",
        "Project start date.",
        header_en="Start date",
        header_fr="Date de début",
        synonyms=("start", "début", "debut", "date début", "date de lancement", "kick-off", "kickoff"),
    ),
    Column(
        "golive_planned",
        "date",
        "optional",
        "Planned go-live date.",
        header_en="Planned go-live date",
        header_fr="Date de mise en production prévue",
        synonyms=(
            "planned go-live",
            "planned golive",
            "go-live planned",
            "mep prévue",
            "mep prevue",
            "date mep prévue",
            "date de mise en service prévue",
            "planned end date",
            "fin prévue",
        ),
    ),
    Column(
        "golive_actual",
        "date",
        "optional",
        "Actual go-live date.",
        header_en="Actual go-live date",
        header_fr="Date de mise en production",
        synonyms=(
            "go-live",
            "golive",
            "go-live date",
            "actual go-live",
            "mep",
            "date mep",
            "date de mise en production réelle",
            "mise en production",
            "date de mise en service",
            "actual end date",
            "fin réelle",
        ),
    ),
    Column(
        "adoption_m3",
        "float",
        "optional",
        "Share of target users active 3 months after go-live, as a fraction in [0, 1] "
        "(a 0–100 or '%' column is converted and the conversion reported).",
        unit="share (0–1)",
        header_en="Adoption at M+3",
        header_fr="Adoption à M+3",
        synonyms=(
            "adoption",
            "adoption m+3",
            "adoption rate",
            "taux d'adoption",
            "taux adoption",
            "adoption 3 mois",
            "usage m+3",
            "adoption à 3 mois",
        ),
        min_value=0,
        max_value=1,
    ),
    Column(
        "amo_cost",
        "float",
        "optional",
        "Fee paid for the practice (AMO) on this project.",
        unit="cost unit",
        header_en="AMO cost",
        header_fr="Coût AMO",
        synonyms=("amo fee", "coût de l'amo", "cout amo", "honoraires amo", "budget amo"),
        min_value=0,
    ),
    Column(
        "organisation",
        "category",
        "optional",
        "Organisation (company, department) running the project.",
        header_en="Organisation",
        header_fr="Organisation",
        synonyms=(
            "organization",
            "org",
            "entité",
            "entite",
            "direction",
            "client",
            "company",
            "entreprise",
            "département",
            "departement",
        ),
    ),
    Column(
        "sector",
        "category",
        "optional",
        "Business sector.",
        header_en="Sector",
        header_fr="Secteur",
        synonyms=("industry", "secteur d'activité", "domaine"),
    ),
    Column(
        "project_type",
        "category",
        "optional",
        "Kind of project (e.g. ERP, CRM, custom development, infrastructure).",
        header_en="Project type",
        header_fr="Type de projet",
        synonyms=("type", "type projet", "category", "catégorie", "nature du projet"),
    ),
    Column(
        "complexity",
        "int",
        "optional",
        "Complexity on a 1 (simple) to 5 (very complex) scale.",
        unit="1–5",
        header_en="Complexity (1-5)",
        header_fr="Complexité (1-5)",
        synonyms=("complexity", "complexité", "complexite", "niveau de complexité"),
        min_value=1,
        max_value=5,
    ),
    Column(
        "team_size",
        "float",
        "optional",
        "Team size (people, at peak).",
        unit="people",
        header_en="Team size",
        header_fr="Taille de l'équipe",
        synonyms=("team", "équipe", "equipe", "nb personnes", "effectif", "headcount"),
        min_value=0,
    ),
    Column(
        "status",
        "category",
        "optional",
        "Project status: completed, cancelled or ongoing.",
        header_en="Status",
        header_fr="Statut",
        synonyms=("state", "état", "etat", "statut projet"),
        allowed=STATUSES,
    ),
    *(
        Column(
            code,
            "bool",
            "optional",
            f"Framing question answered before launch: {en}.",
            header_en=f"Q{code[-2:]} {en}",
            header_fr=f"Q{code[-2:]} {fr}",
            synonyms=(
                code,
                f"q{code[-2:]}",
                f"q{int(code[-2:])}",
                f"question {int(code[-2:])}",
                f"cadrage q{int(code[-2:])}",
                f"cadrage {int(code[-2:])}",
            ),
        )
        for code, en, fr in FRAMING_QUESTIONS
    ),
    Column(
        "framing_score",
        "int",
        "optional",
        "Number of the ten framing questions answered (0–10); computed from framing_q01…q10 when those are given.",
        unit="questions (0–10)",
        header_en="Framing score (0-10)",
        header_fr="Score de cadrage (0-10)",
        synonyms=("framing", "score cadrage", "cadrage", "questions de cadrage"),
        min_value=0,
        max_value=10,
    ),
    *(
        Column(
            code,
            "bool",
            "optional",
            f"Pitfall observed during the project: {en}.",
            header_en=en,
            header_fr=fr,
            synonyms=(code,),
        )
        for code, en, fr in PITFALLS
    ),
    Column(
        "budget_drift",
        "float",
        "derived",
        "Relative cost overrun: cost_actual / budget_planned − 1 (0.27 means 27 % over budget).",
        unit="fraction",
    ),
    Column(
        "schedule_slip",
        "float",
        "derived",
        "Relative schedule overrun: duration_actual_days / duration_planned_days − 1.",
        unit="fraction",
    ),
    Column(
        "log_cost_ratio",
        "float",
        "derived",
        "Natural log of cost_actual / budget_planned; an effect d on it is a relative change of "
        "exp(d) − 1 in final cost.",
        unit="log ratio",
    ),
    Column(
        "log_duration_ratio",
        "float",
        "derived",
        "Natural log of duration_actual_days / duration_planned_days.",
        unit="log ratio",
    ),
    Column(
        "outcome_class",
        "category",
        "derived",
        "Standish-style resolution: failed (cancelled, or drift or slip above the failure "
        "tolerance), challenged (above the on-target tolerance), successful otherwise; tolerances "
        "are run parameters.",
        allowed=OUTCOME_CLASSES,
    ),
    Column(
        "running",
        "bool",
        "derived",
        "True for a project still running at the as-of date: status ongoing, or, when the status is "
        "not given, no actual duration nor actual go-live (never a cancelled or completed project).",
    ),
    Column(
        "elapsed_days",
        "float",
        "derived",
        "Calendar days from start_date to the as-of date of a running project (missing otherwise); its "
        "schedule slip is right-censored at elapsed_days / duration_planned_days − 1.",
        unit="days",
    ),
)

BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.role == "required")
INPUT_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.role != "derived")
DERIVED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.role == "derived")
FRAMING_COLUMNS: tuple[str, ...] = tuple(code for code, _, _ in FRAMING_QUESTIONS)
PITFALL_COLUMNS: tuple[str, ...] = tuple(code for code, _, _ in PITFALLS)
# Required columns that may instead be derived from the dates.
DERIVABLE_FROM_DATES: dict[str, tuple[str, str]] = {
    "duration_planned_days": ("start_date", "golive_planned"),
    "duration_actual_days": ("start_date", "golive_actual"),
}


def template_frames(lang: str = "en"):
    """An empty portfolio table with the input headers in `lang`, and the data dictionary as a table."""
    import pandas as pd

    inputs = [c for c in COLUMNS if c.role != "derived"]
    header = [getattr(c, f"header_{lang}") or c.name for c in inputs]
    empty = pd.DataFrame(columns=header)
    dictionary = pd.DataFrame(
        [
            {
                "canonical name": c.name,
                "English header": c.header_en,
                "French header": c.header_fr,
                "role": c.role,
                "type": c.kind,
                "unit": c.unit,
                "description": c.description,
            }
            for c in COLUMNS
        ]
    )
    return empty, dictionary
