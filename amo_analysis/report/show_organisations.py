"""How notebook 07 (`07_organisations`) shows `analyses.organisations`' tables: each organisation's
figures (`organisation_display`), the sources a collection pooled (`sources_table`), each organisation's
own effect (`effects_display`), the meta-analysis beside the pooled-projects estimate (`meta_display`,
`which_to_believe`), the peer positions (`peer_display`), the records `meta.<outcome>.random_effects`
and `peer.<outcome>.percentile` (`meta_records`, `peer_records`) and the key numbers nbval checks
(`organisations_text`).

Units: drift, slip, shares and percentiles are fractions (0.27 = 27 %); effects are in outcome units
(log ratio, or a fraction for adoption) and read as a relative change (exp(x) − 1) or in percentage
points. Organisations below `min_org_size` projects show as one row, "other organisations".
"""

from __future__ import annotations

import math

import pandas as pd

from amo_analysis.analyses.organisations import META_OUTCOMES, OTHERS, PEER_OUTCOMES
from amo_analysis.i18n import format_percent, format_points, localise, translate
from amo_analysis.ingest.portfolio import Portfolio

__all__ = [
    "META_RECORD",
    "READINGS",
    "OUTCOME_KEYS",
    "display_name",
    "organisation_display",
    "sources_table",
    "effects_display",
    "meta_display",
    "which_to_believe",
    "peer_display",
    "meta_records",
    "peer_records",
    "organisations_text",
]

#: the meta-analysis record of each outcome (reports/README.md)
META_RECORD = {
    "log_cost_ratio": "meta.log_cost_ratio.random_effects",
    "log_duration_ratio": "meta.log_duration_ratio.random_effects",
    "adoption_m3": "meta.adoption_m3.random_effects",
}
#: what the forest plot shows for each outcome of the meta-analysis, and the word for its name
READINGS = {outcome: reading for outcome, (_, _, reading) in META_OUTCOMES.items()}
OUTCOME_KEYS = {outcome: key for outcome, (key, _, _) in META_OUTCOMES.items()}


def display_name(group: str, lang: str = "en") -> str:
    return translate("org_others", lang) if group == OTHERS else str(group)


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
