"""Notebook 07 — organisations: how they differ, the practice's effect pooled across them, where each stands.

Fractions throughout (0.27 = 27 % over budget). Per organisation: projects, median (P50) and P80 budget
drift and schedule slip with exact order-statistic intervals, share of projects with the practice, and
the practice's adjusted effect (OLS with HC2 errors, adjusted for size and complexity) where the
organisation has at least `DEFAULTS.org_min_per_group` projects with and without it. Those effects are
pooled by a random-effects meta-analysis (`stats.meta.random_effects`: Paule–Mandel tau², Hartung–Knapp
interval, Higgins 2009 prediction interval) on three scales: log cost ratio, log duration ratio and
adoption at M+3 in percentage points. Peer position: each organisation's median drift and slip as a
percentile among the organisations (0 % = the lowest).

Publishing rules (k-anonymity, `ingest.collection.publishable`): organisations below `min_org_size`
projects are never named; their projects count in every pooled figure and appear together as one
row, "other organisations", which is left out of the meta-analysis and of the peer positions (it is
not an organisation). In a focus edition the peers are already "Peer A", "Peer B", ….
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from amo_analysis.defaults import DEFAULTS
from amo_analysis.errors import InputError
from amo_analysis.i18n import Message, format_percent, format_points, localise, translate
from amo_analysis.ingest.portfolio import Portfolio
from amo_analysis.stats.effects import estimate_effect
from amo_analysis.stats.meta import random_effects
from amo_analysis.ingest.model_columns import with_model_columns
from amo_analysis.stats import intervals

ORGANISATION = "organisation"
#: outcome of the meta-analysis → (the notebook 02 outcome it matches, unit, reading)
META_OUTCOMES = {
    "log_cost_ratio": ("budget_drift", "log ratio", "relative"),
    "log_duration_ratio": ("schedule_slip", "log ratio", "relative"),
    "adoption_m3": ("adoption_m3", "percentage points", "pp"),
}
#: the meta-analysis record of each outcome (reports/README.md)
META_RECORD = {
    "log_cost_ratio": "meta.log_cost_ratio.random_effects",
    "log_duration_ratio": "meta.log_duration_ratio.random_effects",
    "adoption_m3": "meta.adoption_m3.random_effects",
}
PEER_OUTCOMES = ("budget_drift", "schedule_slip")
OTHERS = "__others__"  # group key of the organisations that are not named


def organisation_groups(portfolio: Portfolio, min_org_size: int = DEFAULTS.min_org_size) -> pd.Series:
    """Each project's organisation as the report may show it: its (public) name, or `OTHERS` for the
    organisations below `min_org_size` projects and those the run withheld; NaN without one."""
    data = portfolio.data
    if ORGANISATION not in data:
        return pd.Series(np.nan, index=data.index, dtype=object)
    orgs = data[ORGANISATION].astype(object)
    counts = orgs.value_counts()
    withheld = set(portfolio.disclosure.get("withheld", [])) | {o for o, n in counts.items() if n < min_org_size}
    return orgs.map(lambda o: OTHERS if o in withheld else o)


def n_organisations(portfolio: Portfolio) -> int:
    """Distinct organisations of the portfolio (named or not)."""
    data = portfolio.data
    return int(data[ORGANISATION].nunique(dropna=True)) if ORGANISATION in data else 0


def _named(groups: pd.Series) -> list[str]:
    return sorted(str(g) for g in groups.dropna().unique() if g != OTHERS)


def _order(groups: pd.Series, focus: str | None) -> list[str]:
    named = _named(groups)
    if focus in named:
        named = [focus] + [g for g in named if g != focus]
    return named + ([OTHERS] if (groups == OTHERS).any() else [])


def display_name(group: str, lang: str = "en") -> str:
    return translate("org_others", lang) if group == OTHERS else str(group)


def organisation_table(
    portfolio: Portfolio, min_org_size: int = DEFAULTS.min_org_size, focus: str | None = None
) -> pd.DataFrame:
    """One row per organisation (named ones, the focus first, then "other organisations"): `group`,
    `projects`, `share_with` (share of projects with the practice), and for `budget_drift` and
    `schedule_slip` the P50 and P80 with their exact 95 % intervals (`<outcome>_p50`,
    `<outcome>_p50_low`, `<outcome>_p50_high`, …; fractions)."""
    data = portfolio.data
    groups = organisation_groups(portfolio, min_org_size)
    rows = []
    for group in _order(groups, focus):
        part = data[groups == group]
        row = {"group": group, "projects": len(part)}
        row["share_with"] = float(part["amo"].astype(float).mean()) if "amo" in part and len(part) else np.nan
        for outcome in PEER_OUTCOMES:
            for q in (0.5, 0.8):
                est, low, high = intervals.quantile_ci(part[outcome] if outcome in part else [], q)
                key = f"{outcome}_p{round(q * 100)}"
                row[key], row[f"{key}_low"], row[f"{key}_high"] = est, low, high
        rows.append(row)
    return pd.DataFrame(rows)


def _interval_text(est, low, high, lang) -> str:
    if not math.isfinite(est):
        return "–"
    return f"{format_percent(est, lang, signed=True)} [{format_percent(low, lang)}; {format_percent(high, lang)}]"


def organisation_display(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """`organisation_table` for reading: one column per figure, each "P50 [low; high]"."""
    out = pd.DataFrame(
        {
            translate("organisation", lang): [display_name(g, lang) for g in table["group"]],
            translate("projects", lang): table["projects"],
            translate("org_share_with", lang): [format_percent(v, lang) for v in table["share_with"]],
        }
    )
    for outcome in PEER_OUTCOMES:
        for q in (50, 80):
            key = f"{outcome}_p{q}"
            out[f"{translate(outcome, lang)} P{q}"] = [
                _interval_text(r[key], r[f"{key}_low"], r[f"{key}_high"], lang) for r in table.to_dict("records")
            ]
    return out


def _covariates(part: pd.DataFrame) -> list[str]:
    return [c for c in ("log_budget", "complexity") if c in part and part[c].notna().all() and part[c].nunique() > 1]


def organisation_effects(
    portfolio: Portfolio,
    min_org_size: int = DEFAULTS.min_org_size,
    min_per_group: int = DEFAULTS.org_min_per_group,
) -> pd.DataFrame:
    """The practice's adjusted effect in each named organisation with at least `min_per_group`
    projects with and without it: one row per organisation × outcome of `META_OUTCOMES` with
    `estimate`, `std_error`, `ci_low`, `ci_high` (outcome units: log ratio, or a fraction for
    adoption), `n`, `n_treated` and `note` (why there is no estimate). OLS with HC2 errors, adjusted
    for log budget and complexity where they vary."""
    data = with_model_columns(portfolio.data)
    groups = organisation_groups(portfolio, min_org_size)
    rows = []
    for group in _named(groups):
        part = data[groups == group]
        treated = int(part["amo"].sum()) if "amo" in part else 0
        for outcome in META_OUTCOMES:
            row = {"group": group, "outcome": outcome, "estimate": np.nan, "std_error": np.nan}
            row.update(ci_low=np.nan, ci_high=np.nan, n=0, n_treated=treated, note="")
            usable = part[part[outcome].notna()] if outcome in part else part.iloc[:0]
            n_with = int(usable["amo"].sum()) if len(usable) else 0
            n_without = len(usable) - n_with
            if min(n_with, n_without) < min_per_group:
                row["n"], row["n_treated"] = len(usable), n_with
                row["note"] = Message("org_effect_too_few", n_with=n_with, n_without=n_without, minimum=min_per_group)
                rows.append(row)
                continue
            try:
                res = estimate_effect(usable, outcome, "amo", _covariates(usable), method="ols")
            except InputError as exc:
                row["note"] = str(exc)
                rows.append(row)
                continue
            row.update(
                estimate=res.estimate,
                std_error=res.std_error,
                ci_low=res.ci_low,
                ci_high=res.ci_high,
                n=res.n,
                n_treated=res.n_treated,
            )
            rows.append(row)
    table = pd.DataFrame(
        rows, columns=["group", "outcome", "estimate", "std_error", "ci_low", "ci_high", "n", "n_treated", "note"]
    )
    table["note"] = pd.Series([row["note"] for row in rows], index=table.index, dtype=object)  # keeps i18n.Message
    return table


def meta_analyses(effects: pd.DataFrame, method: str = "pm") -> pd.DataFrame:
    """The random-effects meta-analysis of each outcome's per-organisation effects: one row per
    outcome with `k`, `estimate`, `std_error`, `ci_low`, `ci_high`, `tau2`, `i2`, `q`, `pi_low`,
    `pi_high` (outcome units) and `note` (why it is missing: fewer than 2 organisations with an
    effect)."""
    rows = []
    for outcome in META_OUTCOMES:
        part = effects[(effects["outcome"] == outcome) & np.isfinite(effects["estimate"].astype(float))]
        part = part[part["std_error"].astype(float) > 0]
        row = {"outcome": outcome, "k": len(part)}
        if len(part) < 2:
            row["note"] = Message("org_meta_too_few", k=len(part))
            rows.append(row)
            continue
        res = random_effects(part["estimate"], part["std_error"], method=method)
        row.update(
            estimate=res.estimate,
            std_error=res.std_error,
            ci_low=res.ci_low,
            ci_high=res.ci_high,
            tau2=res.tau2,
            i2=res.i2,
            q=res.q,
            pi_low=res.pi_low,
            pi_high=res.pi_high,
            knapp_hartung=res.knapp_hartung,
            note=res.note,
        )
        rows.append(row)
    columns = ["outcome", "k", "estimate", "std_error", "ci_low", "ci_high", "tau2", "i2", "q", "pi_low", "pi_high"]
    table = pd.DataFrame(rows).reindex(columns=columns + ["knapp_hartung", "note"])
    table["note"] = pd.Series([row.get("note") for row in rows], index=table.index, dtype=object)  # keeps Message
    return table


def pooled_projects(portfolio: Portfolio, seed: int = 0) -> pd.DataFrame:
    """Notebook 02's pooled-projects estimate of each outcome of `META_OUTCOMES` (adjusted OLS with
    the covariates and clustering its design calls for), to set beside the meta-analysis: `outcome`,
    `estimate`, `ci_low`, `ci_high` (outcome units), `cluster`, `note`."""
    from amo_analysis.analyses import practice_effects as pe

    data = with_model_columns(portfolio.data)
    design = pe.design_for(data, pe.resolve_covariates(data, None))
    rows = []
    for outcome in META_OUTCOMES:
        row = {"outcome": outcome, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "note": ""}
        row["cluster"] = design.cluster or ""
        try:
            res = estimate_effect(
                data, outcome, "amo", design.covariates, method="ols", cluster=design.cluster, seed=seed
            )
            row.update(estimate=res.estimate, ci_low=res.ci_low, ci_high=res.ci_high)
        except InputError as exc:
            row["note"] = str(exc)
        rows.append(row)
    return pd.DataFrame(rows)


def _reading(value, outcome: str, lang: str) -> str:
    """An effect in outcome units as a reader reads it: a relative change for log ratios, points for adoption."""
    if value is None or not math.isfinite(value):
        return "–"
    if META_OUTCOMES[outcome][2] == "relative":
        return format_percent(math.expm1(value), lang, decimals=1, signed=True)
    return format_points(value, lang)


def meta_display(meta: pd.DataFrame, pooled: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The meta-analyses beside the pooled-projects estimates, in readings (relative change or points)."""
    rows = []
    by_outcome = pooled.set_index("outcome")
    for r in meta.to_dict("records"):
        outcome = r["outcome"]
        p = by_outcome.loc[outcome] if outcome in by_outcome.index else None
        finite = isinstance(r.get("estimate"), float) and math.isfinite(r["estimate"])
        rows.append(
            {
                translate("outcome", lang): translate(META_OUTCOMES[outcome][0], lang),
                translate("org_k", lang): r["k"],
                translate("org_meta_estimate", lang): (
                    f"{_reading(r['estimate'], outcome, lang)} [{_reading(r['ci_low'], outcome, lang)}; "
                    f"{_reading(r['ci_high'], outcome, lang)}]"
                    if finite
                    else localise(r.get("note"), lang) or "–"
                ),
                translate("org_prediction", lang): (
                    f"[{_reading(r['pi_low'], outcome, lang)}; {_reading(r['pi_high'], outcome, lang)}]"
                    if finite and r.get("pi_low") is not None and math.isfinite(r["pi_low"])
                    else "–"
                ),
                "τ²": r.get("tau2"),
                "I²": format_percent(r["i2"], lang) if finite else "–",
                translate("org_pooled_projects", lang): (
                    f"{_reading(p['estimate'], outcome, lang)} [{_reading(p['ci_low'], outcome, lang)}; "
                    f"{_reading(p['ci_high'], outcome, lang)}]"
                    if p is not None
                    else "–"
                ),
            }
        )
    return pd.DataFrame(rows)


def which_to_believe(meta: pd.DataFrame, pooled: pd.DataFrame, lang: str = "en") -> str:
    """One sentence per outcome saying how the two estimates compare and which to believe when they
    differ (heterogeneity between organisations, clustering of projects within them)."""
    sentences = []
    by_outcome = pooled.set_index("outcome")
    for r in meta.to_dict("records"):
        outcome = r["outcome"]
        name = translate(META_OUTCOMES[outcome][0], lang)
        estimate = r.get("estimate")
        if not isinstance(estimate, float) or not math.isfinite(estimate):
            sentences.append(translate("org_believe_none", lang, outcome=name, k=r["k"]))
            continue
        p = by_outcome.loc[outcome]
        values = {
            "outcome": name,
            "meta": _reading(estimate, outcome, lang),
            "pooled": _reading(p["estimate"], outcome, lang),
            "i2": format_percent(r["i2"], lang),
            "k": r["k"],
        }
        overlap = math.isfinite(p["ci_low"]) and p["ci_low"] <= r["ci_high"] and r["ci_low"] <= p["ci_high"]
        if r["i2"] >= 0.5:
            key = "org_believe_heterogeneous"
        elif overlap:
            key = "org_believe_agree"
        else:
            key = "org_believe_differ"
        sentences.append(translate(key, lang, **values))
    return "\n\n".join(sentences)


def peer_positions(table: pd.DataFrame) -> pd.DataFrame:
    """Each named organisation's median drift and slip as a percentile among the named organisations
    (`scipy.stats.percentileofscore`, kind "mean": 0 % = the lowest median, 100 % = the highest;
    a fraction): one row per organisation × outcome with `median`, `low`, `high`, `percentile`."""
    named = table[table["group"] != OTHERS]
    rows = []
    for outcome in PEER_OUTCOMES:
        medians = named[f"{outcome}_p50"].astype(float)
        finite = medians[np.isfinite(medians)]
        for r in named.to_dict("records"):
            value = r[f"{outcome}_p50"]
            pct = (
                stats.percentileofscore(finite, value, kind="mean") / 100
                if math.isfinite(value) and len(finite)
                else np.nan
            )
            rows.append(
                {
                    "group": r["group"],
                    "outcome": outcome,
                    "median": value,
                    "low": r[f"{outcome}_p50_low"],
                    "high": r[f"{outcome}_p50_high"],
                    "percentile": pct,
                    "k": len(finite),
                }
            )
    return pd.DataFrame(rows, columns=["group", "outcome", "median", "low", "high", "percentile", "k"])


def peer_display(peers: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Peer positions for reading: organisation, outcome, median, percentile among organisations."""
    return pd.DataFrame(
        {
            translate("organisation", lang): peers["group"],
            translate("outcome", lang): [translate(o, lang) for o in peers["outcome"]],
            translate("median", lang): [format_percent(v, lang, signed=True) for v in peers["median"]],
            translate("org_percentile", lang): [format_percent(v, lang) for v in peers["percentile"]],
        }
    )


def meta_records(meta: pd.DataFrame, lang: str = "en") -> list[dict]:
    """The records `meta.<outcome>.random_effects` for each outcome (value null and the reason in `note`
    when fewer than 2 organisations have an effect)."""
    records = []
    for r in meta.to_dict("records"):
        outcome = r["outcome"]
        _, unit, reading = META_OUTCOMES[outcome]
        finite = isinstance(r.get("estimate"), float) and math.isfinite(r["estimate"])

        def num(key):
            value = r.get(key)
            return float(value) if finite and value is not None and math.isfinite(value) else None

        records.append(
            dict(
                name=META_RECORD[outcome],
                value=num("estimate"),
                ci_low=num("ci_low"),
                ci_high=num("ci_high"),
                n=int(r["k"]),
                unit=unit,
                method=translate("org_meta_method", lang),
                label=translate("org_meta_label", lang, outcome=translate(META_OUTCOMES[outcome][0], lang)),
                tau2=num("tau2"),
                i2=num("i2"),
                q=num("q"),
                pi_low=num("pi_low"),
                pi_high=num("pi_high"),
                k=int(r["k"]),
                reading=reading,
                relative=math.expm1(r["estimate"]) if finite and reading == "relative" else None,
                note=localise(r.get("note") or "", lang),
                headline=False,
            )
        )
    return records


def peer_records(peers: pd.DataFrame, focus: str | None, lang: str = "en") -> list[dict]:
    """In a focus edition, the records `peer.<outcome>.percentile`: the focus organisation's percentile
    (`value`, a fraction) and every named organisation's under `organisations` (pseudonyms for peers)."""
    if not focus:
        return []
    records = []
    for outcome in PEER_OUTCOMES:
        part = peers[peers["outcome"] == outcome]
        mine = part[part["group"] == focus]
        if mine.empty:
            continue
        row = mine.iloc[0]
        records.append(
            dict(
                name=f"peer.{outcome}.percentile",
                value=None if not math.isfinite(row["percentile"]) else float(row["percentile"]),
                n=int(row["k"]),
                unit="fraction",
                method=translate("org_percentile_method", lang),
                label=translate("org_peer_label", lang, outcome=translate(outcome, lang), organisation=focus),
                organisation=focus,
                median=None if not math.isfinite(row["median"]) else float(row["median"]),
                organisations={
                    str(g): (None if not math.isfinite(p) else float(p))
                    for g, p in zip(part["group"], part["percentile"])
                },
                headline=True,
            )
        )
    return records


def organisations_text(table: pd.DataFrame, meta: pd.DataFrame) -> str:
    """Key numbers for nbval: organisations, projects, and each meta-analysis's k, estimate and I²."""
    lines = [f"groups={len(table)} projects={int(table['projects'].sum())}"]
    for r in meta.to_dict("records"):
        est = r.get("estimate")
        if isinstance(est, float) and math.isfinite(est):
            lines.append(f"{r['outcome']}: k={r['k']} estimate={est:.3f} i2={r['i2']:.2f}")
        else:
            lines.append(f"{r['outcome']}: k={r['k']} not estimated")
    return "\n".join(lines)


#: what the forest plot shows for each outcome of the meta-analysis, and the word for its name
READINGS = {outcome: reading for outcome, (_, _, reading) in META_OUTCOMES.items()}
OUTCOME_KEYS = {outcome: key for outcome, (key, _, _) in META_OUTCOMES.items()}


def effects_display(effects: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Each organisation's own effect in readings (relative change or points) with its interval, or
    why it has none."""
    rows = []
    for r in effects.to_dict("records"):
        outcome = r["outcome"]
        finite = math.isfinite(r["estimate"])
        rows.append(
            {
                translate("organisation", lang): r["group"],
                translate("outcome", lang): translate(META_OUTCOMES[outcome][0], lang),
                translate("estimate", lang): (
                    f"{_reading(r['estimate'], outcome, lang)} [{_reading(r['ci_low'], outcome, lang)}; "
                    f"{_reading(r['ci_high'], outcome, lang)}]"
                    if finite
                    else "–"
                ),
                translate("n", lang): r["n"],
                translate("note", lang): localise(r["note"], lang) if r["note"] else "",
            }
        )
    return pd.DataFrame(rows)


def overall_medians(data: pd.DataFrame) -> dict[str, float]:
    """The whole portfolio's median of each peer outcome (the dashed line of the peer figure)."""
    return {o: float(data[o].median()) for o in PEER_OUTCOMES if o in data}


def sources_table(portfolio: Portfolio, lang: str = "en") -> pd.DataFrame:
    """The sources a collection pooled (one row each: source, kind, organisations, projects), empty
    with the reason when the portfolio came from one source. Names are those the run may show."""
    if not portfolio.sources:
        table = pd.DataFrame(columns=[translate("org_source", lang), translate("organisation", lang)])
        table.attrs["why"] = translate("org_one_source", lang, source=portfolio.source_name)
        return table
    return pd.DataFrame(
        {
            translate("org_source", lang): [s["name"] for s in portfolio.sources],
            translate("org_kind", lang): [s.get("kind", "") for s in portfolio.sources],
            translate("organisation", lang): [", ".join(s.get("organisations", [])) for s in portfolio.sources],
            translate("projects", lang): [s.get("n_projects") for s in portfolio.sources],
        }
    )
