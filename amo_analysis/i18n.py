"""One translation table for everything a report writes, and number formatting per language.

`translate("median", "fr")` → "médiane". Numbers: English uses "1,234.5" and "−18%"; French uses a
narrow no-break space for thousands, a decimal comma and a no-break space before "%" and "€"
("1 234,5 €", "−18 %"). Percentages are given as fractions (−0.18 → "−18 %").
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

LANGUAGES = ("en", "fr")
NBSP = "\u00a0"
NNBSP = "\u202f"
MINUS = "\u2212"

TRANSLATIONS: dict[str, dict[str, str]] = {
    "yes": {"en": "yes", "fr": "oui"},
    "no": {"en": "no", "fr": "non"},
    "with": {"en": "with {practice}", "fr": "avec {practice}"},
    "without": {"en": "without {practice}", "fr": "sans {practice}"},
    "group": {"en": "group", "fr": "groupe"},
    "all_projects": {"en": "all projects", "fr": "tous les projets"},
    "projects": {"en": "projects", "fr": "projets"},
    "n": {"en": "n", "fr": "n"},
    "median": {"en": "median", "fr": "médiane"},
    "mean": {"en": "mean", "fr": "moyenne"},
    "quantile": {"en": "quantile", "fr": "quantile"},
    "estimate": {"en": "estimate", "fr": "estimation"},
    "ci_low": {"en": "95% CI low", "fr": "IC 95 % bas"},
    "ci_high": {"en": "95% CI high", "fr": "IC 95 % haut"},
    "interval": {"en": "95% interval", "fr": "intervalle à 95 %"},
    "value": {"en": "value", "fr": "valeur"},
    "item": {"en": "item", "fr": "élément"},
    "share": {"en": "share", "fr": "part"},
    "count": {"en": "count", "fr": "nombre"},
    "budget_drift": {"en": "budget drift", "fr": "dérive budgétaire"},
    "schedule_slip": {"en": "schedule slip", "fr": "glissement du planning"},
    "adoption_m3": {"en": "adoption at M+3", "fr": "adoption à M+3"},
    "outcome_class": {"en": "outcome", "fr": "issue du projet"},
    "successful": {"en": "successful", "fr": "réussi"},
    "challenged": {"en": "challenged", "fr": "en difficulté"},
    "failed": {"en": "failed", "fr": "échec"},
    "covariate": {"en": "covariate", "fr": "covariable"},
    "smd": {"en": "standardised mean difference", "fr": "différence moyenne standardisée"},
    "mean_treated": {"en": "mean with {practice}", "fr": "moyenne avec {practice}"},
    "mean_control": {"en": "mean without {practice}", "fr": "moyenne sans {practice}"},
    "projects_in_file": {"en": "projects analysed", "fr": "projets analysés"},
    "projects_finished": {"en": "projects finished (cost known)", "fr": "projets terminés (coût connu)"},
    "projects_with": {"en": "projects with {practice}", "fr": "projets avec {practice}"},
    "period": {"en": "period (start dates)", "fr": "période (dates de début)"},
    "rows_excluded": {"en": "rows excluded (--drop-invalid)", "fr": "lignes exclues (--drop-invalid)"},
    "personal_dropped": {"en": "personal-data columns dropped", "fr": "colonnes de données personnelles retirées"},
    "source": {"en": "source", "fr": "source"},
    "checksum": {"en": "input checksum", "fr": "empreinte des données"},
    "cost_unit": {"en": "cost unit", "fr": "unité de coût"},
    "detection": {"en": "format detected", "fr": "format détecté"},
    "missing_values": {"en": "missing values", "fr": "valeurs manquantes"},
    "column": {"en": "column", "fr": "colonne"},
    "none": {"en": "none", "fr": "aucune"},
    "report_title": {"en": "{practice} portfolio analysis", "fr": "Analyse du portefeuille : effet de l'{practice}"},
    "key_figures": {"en": "Key figures", "fr": "Chiffres clés"},
    "full_reports": {"en": "Full reports", "fr": "Rapports détaillés"},
    "data_quality": {"en": "Data quality", "fr": "Qualité des données"},
    "generated": {"en": "Generated", "fr": "Généré le"},
    "parameters": {"en": "parameters", "fr": "paramètres"},
    "version": {"en": "amo-analysis version", "fr": "version d'amo-analysis"},
    "method": {"en": "method", "fr": "méthode"},
    "finding": {"en": "finding", "fr": "résultat"},
    "density": {"en": "projects", "fr": "projets"},
    "notes": {"en": "notes", "fr": "remarques"},
    "excluded_rows_note": {
        "en": "{n} row(s) were excluded because they break the data contract (listed in the data-quality section).",
        "fr": "{n} ligne(s) ont été exclues car elles ne respectent pas le contrat de données (voir la qualité des données)."},
    "supported": {"en": "supported", "fr": "étayée"},
    "contradicted": {"en": "contradicted", "fr": "contredite"},
    "inconclusive": {"en": "inconclusive", "fr": "non concluante"},
    "smaller than claimed": {"en": "smaller than claimed", "fr": "plus faible qu'annoncé"},
    "larger than claimed": {"en": "larger than claimed", "fr": "plus fort qu'annoncé"},
    "opposite direction": {"en": "opposite direction", "fr": "sens inverse"},
    "consistent": {"en": "consistent", "fr": "compatible"},
    "not_estimated": {"en": "Not estimated:", "fr": "Non estimé :"},
    "final_cost": {"en": "final cost", "fr": "coût final"},
    "draws": {"en": "simulated draws", "fr": "tirages simulés"},
    "quantity": {"en": "quantity", "fr": "grandeur"},
    "unit": {"en": "unit", "fr": "unité"},
    "status": {"en": "status", "fr": "statut"},
    "label": {"en": "finding", "fr": "résultat"},
    # Labels and methods of recorded results (the summary page)
    "m_quantile_exact": {"en": "sample quantile, exact order-statistic CI",
                         "fr": "quantile empirique, IC exact (statistiques d'ordre)"},
    "m_roi": {"en": "Monte Carlo over bootstrap OLS fits of the log cost ratio",
              "fr": "Monte-Carlo sur des ajustements MCO bootstrap du log du ratio de coût"},
    "roi_total_without": {"en": "expected total cost without the practice", "fr": "coût total attendu sans la pratique"},
    "roi_total_with": {"en": "expected total cost with the practice (fee included)",
                       "fr": "coût total attendu avec la pratique (honoraires compris)"},
    "roi_saving": {"en": "expected saving (fee included)", "fr": "économie attendue (honoraires compris)"},
    "roi_prevented_per_euro": {"en": "drift prevented per unit of fee", "fr": "dérive évitée par unité d'honoraires"},
    "roi_p_pays_for_itself": {"en": "probability that the practice pays for itself",
                              "fr": "probabilité que la pratique soit rentable"},
    "roi_break_even_fee": {"en": "break-even fee (expected drift prevented)",
                           "fr": "honoraires d'équilibre (dérive évitée attendue)"},
    "claim_amo_budget_drift": {"en": "with AMO: −18 % budget drift", "fr": "avec AMO : −18 % de dérive budgétaire"},
    "claim_amo_delay": {"en": "with AMO: −16 % delay", "fr": "avec AMO : −16 % de retard"},
    "claim_amo_adoption": {"en": "with AMO: +26 % adoption at M+3", "fr": "avec AMO : +26 % d'adoption à M+3"},
    "fc_cost_label": {"en": "Forecast final cost P{p} ({scenario})", "fr": "Coût final prévu P{p} ({scenario})"},
    "fc_contingency_label": {"en": "Contingency to hold at P{p} ({scenario})",
                             "fr": "Provision pour aléas à P{p} ({scenario})"},
    "fc_backtest_label": {"en": "Backtest: share of later projects above their {target} P{p} (expected {expected})",
                          "fr": "Backtest : part des projets récents au-dessus de leur P{p} de {target} (attendu {expected})"},
    "fc_cost": {"en": "cost", "fr": "coût"},
    "fc_duration": {"en": "duration", "fr": "durée"},
    "fc_method": {"en": "reference-class forecast ({method}, {n} projects)",
                  "fr": "prévision par classe de référence ({method}, {n} projets)"},
    "fc_backtest_method": {"en": "earlier projects forecast the later ones; Wilson 95 % CI",
                           "fr": "les projets anciens prévoient les récents ; IC de Wilson à 95 %"},
    "fr_rr_label": {"en": "Risk ratio of failure, framing score ≥ {threshold} vs below",
                    "fr": "Risque relatif d'échec, score de cadrage ≥ {threshold} contre moins"},
    "fr_rr_method": {"en": "modified Poisson (robust HC0), adjusted for size, type and the practice",
                     "fr": "Poisson modifié (HC0 robuste), ajusté sur la taille, le type et la pratique"},
    "fr_scope_label": {"en": "adjusted percent change of the median final-cost ratio with scope creep",
                       "fr": "variation ajustée du ratio de coût final médian avec dérive du périmètre"},
    "fr_scope_method": {"en": "median quantile regression of ln(cost ratio), adjusted",
                        "fr": "régression quantile médiane de ln(ratio de coût), ajustée"},
    "fr_req_label": {"en": "mean adoption at M+3 of projects with poorly gathered requirements",
                     "fr": "adoption moyenne à M+3 des projets aux besoins mal recueillis"},
    "fr_req_method": {"en": "mean with t interval", "fr": "moyenne avec intervalle t"},
    # Column headers of the notebooks' tables
    "outcome": {"en": "outcome", "fr": "indicateur"},
    "smd_unweighted": {"en": "SMD, unweighted", "fr": "DMS non pondérée"},
    "smd_weighted": {"en": "SMD, weighted", "fr": "DMS pondérée"},
    "mean_treated_weighted": {"en": "weighted mean with {practice}", "fr": "moyenne pondérée avec {practice}"},
    "mean_control_weighted": {"en": "weighted mean without {practice}", "fr": "moyenne pondérée sans {practice}"},
    "claim": {"en": "claim", "fr": "affirmation"},
    "claimed": {"en": "claimed", "fr": "annoncé"},
    "claimed_low": {"en": "claimed, low", "fr": "annoncé, bas"},
    "claimed_high": {"en": "claimed, high", "fr": "annoncé, haut"},
    "covariates": {"en": "covariates", "fr": "covariables"},
    "exposure": {"en": "exposure", "fr": "exposition"},
    "framing_score": {"en": "framing score", "fr": "score de cadrage"},
    "key": {"en": "key", "fr": "clé"},
    "meaning": {"en": "meaning", "fr": "signification"},
    "measure": {"en": "measure", "fr": "mesure"},
    "model": {"en": "model", "fr": "modèle"},
    "n_events": {"en": "events", "fr": "événements"},
    "n_exposed": {"en": "exposed", "fr": "exposés"},
    "n_with": {"en": "n with {practice}", "fr": "n avec {practice}"},
    "note": {"en": "note", "fr": "remarque"},
    "p_value": {"en": "p-value", "fr": "valeur p"},
    "pitfall": {"en": "pitfall", "fr": "écueil"},
    "question": {"en": "question", "fr": "question"},
    "scale": {"en": "scale", "fr": "échelle"},
    "share_all": {"en": "share, all", "fr": "part, tous"},
    "share_with": {"en": "share with {practice}", "fr": "part avec {practice}"},
    "share_without": {"en": "share without {practice}", "fr": "part sans {practice}"},
    "ci_low_all": {"en": "CI low, all", "fr": "IC bas, tous"},
    "ci_high_all": {"en": "CI high, all", "fr": "IC haut, tous"},
    "ci_low_with": {"en": "CI low, with {practice}", "fr": "IC bas, avec {practice}"},
    "ci_high_with": {"en": "CI high, with {practice}", "fr": "IC haut, avec {practice}"},
    "ci_low_without": {"en": "CI low, without {practice}", "fr": "IC bas, sans {practice}"},
    "ci_high_without": {"en": "CI high, without {practice}", "fr": "IC haut, sans {practice}"},
    "threshold": {"en": "threshold", "fr": "seuil"},
    "exceeded": {"en": "above the forecast", "fr": "au-dessus de la prévision"},
    "expected": {"en": "expected share", "fr": "part attendue"},
    "share_exceeded": {"en": "share above", "fr": "part au-dessus"},
    "target": {"en": "forecast of", "fr": "prévision de"},
    "assumption": {"en": "assumption", "fr": "hypothèse"},
    "implied": {"en": "implied value", "fr": "valeur implicite"},
    "net_reading": {"en": "net reading (82 500 includes the fee)",
                    "fr": "lecture nette (82 500 inclut les honoraires)"},
    "gross_reading": {"en": "gross reading (82 500 excludes the fee)",
                      "fr": "lecture brute (82 500 hors honoraires)"},
    "implied_net": {"en": "implied, net reading", "fr": "valeur implicite, lecture nette"},
    "verdict_net": {"en": "verdict, net reading", "fr": "verdict, lecture nette"},
    "implied_gross": {"en": "implied, gross reading", "fr": "valeur implicite, lecture brute"},
    "verdict_gross": {"en": "verdict, gross reading", "fr": "verdict, lecture brute"},
    "name": {"en": "quantity", "fr": "grandeur"},
    "definition": {"en": "definition", "fr": "définition"},
    "figure": {"en": "figure", "fr": "chiffre"},
    "n_projects": {"en": "projects", "fr": "projets"},
    "population": {"en": "population", "fr": "population"},
    "quality_note": {"en": "quality note", "fr": "remarque sur la qualité"},
    "year": {"en": "year", "fr": "année"},
    "verdict": {"en": "verdict", "fr": "verdict"},
    "p": {"en": "p-value", "fr": "valeur p"},
    "synthetic_note": {
        "en": "The bundled sample is synthetic: its numbers describe no real project.",
        "fr": "L'échantillon fourni est synthétique : ses chiffres ne décrivent aucun projet réel."},
    # effects (notebook 02)
    "pe_covariates_default": {
        "en": "Adjusted for {covariates} (default: the pre-treatment covariates present in the portfolio).",
        "fr": "Ajusté sur {covariates} (par défaut : les covariables antérieures au traitement présentes dans le portefeuille)."},
    "pe_covariates_given": {"en": "Adjusted for {covariates} (as requested by the `covariates` parameter).",
                            "fr": "Ajusté sur {covariates} (selon le paramètre `covariates`)."},
    "pe_measure": {"en": "outcome", "fr": "indicateur"},
    "pe_reading": {"en": "reading", "fr": "lecture"},
    "pe_scale_pct": {"en": "relative change", "fr": "variation relative"},
    "pe_scale_pp": {"en": "percentage points", "fr": "points de pourcentage"},
    "pe_scale_mean_pct": {"en": "relative change of the mean", "fr": "variation relative de la moyenne"},
    "design_label": {"en": "share of projects in organisations where the practice varies",
                     "fr": "part des projets dans des organisations où la pratique varie"},
    "pe_organisations_needed": {"en": "organisations needed", "fr": "organisations nécessaires"},
    "design_none": {
        "en": "Projects are treated as independent: the portfolio has {n} organisation(s) to consider. "
              "Intervals: HC2 standard errors with Bell–McCaffrey degrees of freedom.",
        "fr": "Les projets sont traités comme indépendants : le portefeuille compte {n} organisation(s) à "
              "considérer. Intervalles : erreurs types HC2 avec degrés de liberté de Bell–McCaffrey."},
    "design_project": {
        "en": "The practice varies within organisations ({share} of the projects are in an organisation "
              "that has both): organisation fixed effects keep the comparison within organisations, and "
              "errors are not clustered because the practice is not assigned per organisation (Abadie et "
              "al. 2023). Intervals: HC2 with Bell–McCaffrey degrees of freedom.",
        "fr": "La pratique varie au sein des organisations ({share} des projets sont dans une organisation "
              "qui a les deux) : des effets fixes par organisation gardent la comparaison à l'intérieur des "
              "organisations, et les erreurs ne sont pas groupées car la pratique n'est pas attribuée par "
              "organisation (Abadie et al. 2023). Intervalles : HC2 avec degrés de liberté de Bell–McCaffrey."},
    "design_mixed": {
        "en": "The practice varies within some organisations only ({share} of the projects): organisation "
              "fixed effects keep the comparison within them, and since part of the practice is decided per "
              "organisation, errors are clustered by organisation ({n} organisations; CR2 with "
              "Bell–McCaffrey degrees of freedom).",
        "fr": "La pratique ne varie qu'au sein de certaines organisations ({share} des projets) : des effets "
              "fixes par organisation gardent la comparaison en leur sein et, comme une partie de la pratique "
              "se décide par organisation, les erreurs sont groupées par organisation ({n} organisations ; "
              "CR2 avec degrés de liberté de Bell–McCaffrey)."},
    "design_organisation": {
        "en": "The practice is decided per organisation ({share} of the projects are in an organisation that "
              "has both; {n_with} organisation(s) with it, {n_without} without): organisation is not adjusted "
              "for (it would absorb the practice) and errors are clustered by organisation ({n} "
              "organisations; CR2 with Bell–McCaffrey degrees of freedom, about one per organisation).",
        "fr": "La pratique se décide par organisation ({share} des projets sont dans une organisation qui a "
              "les deux ; {n_with} organisation(s) avec, {n_without} sans) : l'organisation n'est pas une "
              "variable d'ajustement (elle absorberait la pratique) et les erreurs sont groupées par "
              "organisation ({n} organisations ; CR2 avec degrés de liberté de Bell–McCaffrey, environ un "
              "par organisation)."},
    "design_user_cluster": {
        "en": "Errors are clustered on `{cluster}` as requested (CR2 with Bell–McCaffrey degrees of freedom).",
        "fr": "Les erreurs sont groupées sur `{cluster}` comme demandé (CR2 avec degrés de liberté de "
              "Bell–McCaffrey)."},
    "design_too_few": {
        "en": "Too few organisations for any verdict: {n_with} organisation(s) with the practice and "
              "{n_without} without; at least {minimum} on each side are needed for an interval.",
        "fr": "Trop peu d'organisations pour un verdict : {n_with} organisation(s) avec la pratique et "
              "{n_without} sans ; il en faut au moins {minimum} de chaque côté pour un intervalle."},
    "pe_method_difference": {"en": "raw difference", "fr": "différence brute"},
    "pe_method_ols": {"en": "adjusted OLS", "fr": "MCO ajustés"},
    "pe_method_ipw": {"en": "IPW", "fr": "IPW (pondération inverse)"},
    "pe_method_aipw": {"en": "AIPW (doubly robust)", "fr": "AIPW (doublement robuste)"},
    "pe_method_quantile": {"en": "quantile regression P{p}", "fr": "régression quantile P{p}"},
    "pe_method_fractional_logit": {"en": "fractional logit", "fr": "logit fractionnaire"},
    "pe_method_log_linear": {"en": "log-linear ratio of means", "fr": "rapport de moyennes log-linéaire"},
    "pe_why": {"en": "why it is missing", "fr": "pourquoi il manque"},
    "pe_claim": {"en": "published claim", "fr": "affirmation publiée"},
    "pe_claimed": {"en": "claimed", "fr": "annoncé"},
    "pe_verdict": {"en": "verdict", "fr": "verdict"},
    "pe_projects_needed": {"en": "projects needed", "fr": "projets nécessaires"},
    "pe_claim_label": {"en": "Claim \u201c{text}\u201d ({reading})", "fr": "Affirmation « {text} » ({reading})"},
    "pe_mde": {"en": "minimum detectable effect", "fr": "effet minimal détectable"},
    "pe_mde_decrease": {"en": "smallest detectable fall", "fr": "plus petite baisse détectable"},
    "pe_mde_increase": {"en": "smallest detectable rise", "fr": "plus petite hausse détectable"},
    "pe_n_with": {"en": "n with {practice}", "fr": "n avec {practice}"},
    "pe_n_without": {"en": "n without {practice}", "fr": "n sans {practice}"},
    "pe_residual_sd": {"en": "residual SD", "fr": "écart-type résiduel"},
    "pe_claim_marker": {"en": "published claim", "fr": "affirmation publiée"},
    "pe_no_estimate": {"en": "not estimable", "fr": "non estimable"},
    "pe_assumption": {"en": "assumption for projects needed", "fr": "hypothèse du nombre de projets nécessaires"},
    # benchmarks (notebook 06)
    "reference_figure": {"en": "reference figure", "fr": "chiffre de référence"},
    "citation": {"en": "source", "fr": "source"},
    "evidence": {"en": "kind of evidence", "fr": "type de preuve"},
    "evidence.peer-reviewed": {"en": "peer-reviewed", "fr": "revue à comité de lecture"},
    "evidence.practitioner study": {"en": "practitioner study", "fr": "étude de praticiens"},
    "evidence.vendor survey": {"en": "vendor survey", "fr": "enquête commerciale"},
    "evidence.self-reported survey": {"en": "self-reported survey", "fr": "enquête déclarative"},
    "evidence.consultancy claim": {"en": "consultancy claim", "fr": "affirmation de cabinet de conseil"},
    "benchmark": {"en": "benchmark", "fr": "référence"},
    "portfolio_ci": {"en": "portfolio [95% interval]", "fr": "portefeuille [intervalle à 95 %]"},
    "comparison": {"en": "comparison", "fr": "comparaison"},
    "bench_lower": {"en": "portfolio lower", "fr": "portefeuille plus bas"},
    "bench_higher": {"en": "portfolio higher", "fr": "portefeuille plus haut"},
    "bench_similar": {"en": "similar (interval contains the benchmark)",
                      "fr": "comparable (l'intervalle contient la référence)"},
    "bench_similar_range": {"en": "similar (interval overlaps the benchmark range)",
                            "fr": "comparable (l'intervalle recoupe la fourchette de référence)"},
    "bench_not_comparable": {"en": "not comparable", "fr": "non comparable"},
    "bench_not_computed": {"en": "not computed: {why}", "fr": "non calculé : {why}"},
    "bench_no_interval": {"en": "no interval (too little variation)", "fr": "pas d'intervalle (trop peu de variation)"},
    "bench_record_label": {"en": "{figure}: portfolio vs {benchmark} ({citation})",
                           "fr": "{figure} : portefeuille contre {benchmark} ({citation})"},
    "bench_portfolio": {"en": "this portfolio (95% interval)", "fr": "ce portefeuille (intervalle à 95 %)"},
    "bench_title": {"en": "Portfolio against published benchmarks", "fr": "Le portefeuille face aux références publiées"},
    "bench_nothing": {"en": "No benchmark could be computed on this portfolio.",
                      "fr": "Aucune référence n'a pu être calculée sur ce portefeuille."},
}


def translate(key: str, lang: str = "en", **values: object) -> str:
    """The text for `key` in `lang` (English when a French text is missing), with `{names}` filled."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not supported; use one of {', '.join(LANGUAGES)}")
    entry = TRANSLATIONS.get(key)
    text = key if entry is None else entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def format_number(value: float | None, lang: str = "en", decimals: int = 0) -> str:
    """1234.5 → "1,234.5" (en) or "1 234,5" (fr, narrow no-break space); None/NaN → "–"."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    text = f"{abs(value):,.{decimals}f}"
    if lang == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    sign = MINUS if value < 0 and float(f"{abs(value):.{decimals}f}") != 0 else ""
    return sign + text


def format_percent(fraction: float | None, lang: str = "en", decimals: int = 0,
                   signed: bool = False) -> str:
    """A fraction as a percentage: −0.18 → "−18%" (en) / "−18 %" (fr); `signed` adds "+"."""
    if fraction is None or (isinstance(fraction, float) and not math.isfinite(fraction)):
        return "–"
    text = format_number(fraction * 100, lang, decimals)
    if signed and not text.startswith(MINUS) and fraction * 100 >= 0.5 * 10 ** -decimals:
        text = "+" + text
    return text + (NBSP + "%" if lang == "fr" else "%")


def format_points(fraction: float | None, lang: str = "en", decimals: int = 1) -> str:
    """A difference of shares in percentage points: 0.052 → "+5.2 pp" / "+5,2 pts"."""
    if fraction is None or (isinstance(fraction, float) and not math.isfinite(fraction)):
        return "–"
    text = format_number(fraction * 100, lang, decimals)
    if not text.startswith(MINUS) and fraction > 0:
        text = "+" + text
    return text + (NBSP + "pts" if lang == "fr" else " pp")


def format_money(value: float | None, unit: str = "EUR", lang: str = "en", decimals: int = 0) -> str:
    """An amount with its unit: 1234.5 EUR → "€1,235" (en) / "1 235 €" (fr); other units as words."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    number = format_number(value, lang, decimals)
    if unit.upper() == "EUR":
        return f"{number}{NBSP}€" if lang == "fr" else f"€{number}" if not number.startswith(MINUS) \
            else f"{MINUS}€{number[1:]}"
    return f"{number}{NBSP}{unit}" if lang == "fr" else f"{number} {unit}"


# Narrative of the notebooks (`narrative.toml` beside this file): each Markdown cell's English text,
# exactly as in the notebook, and its French text. The HTML export of a `--lang fr` run swaps them; a
# test checks that every Markdown cell of every notebook is there, so a changed English paragraph
# cannot leave a stale French one behind.
#: the translation key of each effect scale's name
SCALE_KEYS = {"percent change": "pe_scale_pct", "percent change of the mean": "pe_scale_mean_pct",
              "percentage points": "pe_scale_pp"}

NARRATIVE_FILE = Path(__file__).with_name("narrative.toml")


def _load_narrative() -> dict[str, dict[str, str]]:
    with NARRATIVE_FILE.open("rb") as fh:
        paragraphs = tomllib.load(fh).get("paragraph", [])
    return {p["en"].strip(): {k: v.strip() for k, v in p.items() if k != "en"} for p in paragraphs}


NARRATIVE: dict[str, dict[str, str]] = _load_narrative()


def narrative(english: str, lang: str = "en") -> str:
    """The text of a notebook Markdown cell in `lang` (the English text itself when not translated)."""
    if lang == "en":
        return english
    return NARRATIVE.get(english.strip(), {}).get(lang, english)

