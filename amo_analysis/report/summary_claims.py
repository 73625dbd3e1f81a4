"""The summary page's answer to "which claims hold here?" (`index.html`, see `html.build_index`): the
verdict table, one row per claim reading checked, and one card per claim, each claim once whichever
notebooks recorded it, titled by the claims register's short title, never by a record name."""

from __future__ import annotations

import re
from pathlib import Path

from amo_analysis.i18n import format_number, localise, translate
from amo_analysis.report.html import VERDICT_KEYS, _bracket, _interval, _note_text, format_value
from amo_analysis.report.show_stability import stability_sentence


def split_label(label: str) -> tuple[str, str]:
    """A record's label cut into (what is claimed, the reading): "Claim “…” (relative change)" →
    ("Claim “…”", "relative change"); the reading is the last group in brackets, brackets inside it
    included ("… (Scope creep: percent change of the median (budget drift), adjusted)"); ("label", "")
    when the label does not end in brackets."""
    label = label.strip()
    if not label.endswith(")"):
        return label, ""
    depth = 0
    for i in range(len(label) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(label[i], 0)
        if depth == 0:
            return label[:i].strip(), label[i + 1 : -1].strip()
    return label, ""


def register_claim_key(rec: dict) -> str | None:
    """The claims-register claim a record reads: `<key>` of `claim.<key>[.<reading>]`, else the
    record's `claim_key` (the framing and pitfall claims of notebook 03), else None."""
    parts = str(rec.get("name", "")).split(".")
    if parts[0] == "claim" and len(parts) > 1:
        return parts[1]
    return rec.get("claim_key")


def claim_groups(records: list[dict]) -> dict[str, list[dict]]:
    """The records of each claim, one group per claim whichever notebooks recorded it: records of
    one claim read several ways (`claim.<id>.<reading>`) make one group, and a claim notebook 03 reads
    too (its record's `claim_key`) is shown from the claims register's records (notebook 08) when the
    run has them, so that no claim is shown twice."""
    groups: dict[str, list[dict]] = {}
    for rec in records:
        if rec.get("headline") and rec.get("verdict") and rec.get("kind") != "figure":
            groups.setdefault(register_claim_key(rec) or rec["name"], []).append(rec)
    for key, recs in groups.items():
        registered = [r for r in recs if str(r["name"]).startswith("claim.")]
        if registered:
            groups[key] = registered
    return groups


def registered_claims(claims_file: Path | None):
    """{claim key: registered claim} of the claims register (with the run's claims file), or {} when it
    cannot be read (the page then shows the records' labels)."""
    from amo_analysis.stats import claims as claims_mod

    try:
        return {c.key: c for c in claims_mod.load_register(claims_file)}
    except claims_mod.ClaimsFileError:
        return {}


#: the readings of notebook 08 said in a few words in the verdict table: the key of the reading's words
#: on its page (`show_article.reading_text`) → the key of its words in the table
SHORT_READINGS = {
    f"ac_{key}": f"summary_reading_{key}"
    for key in (
        "pitfall_share_share_of_troubled",
        "pitfall_share_share_of_all",
        "forecast_margin_chance_with",
        "forecast_margin_chance_without",
        "margin_share_share_of_all",
    )
}


def _short_readings(readings: list[str], lang: str) -> list[str]:
    """The readings of one claim as the verdict table shows them: in a few words where the table has
    its own (`SHORT_READINGS`), without the words all of them begin with up to a colon (the pitfall
    they are about, said by the claim's title)."""
    short = {translate(page, lang): translate(table, lang) for page, table in SHORT_READINGS.items()}
    readings = [short.get(r, r) for r in readings]
    heads = {re.match(r"^[^:()]*\s?:\s", r).group(0) if re.match(r"^[^:()]*\s?:\s", r) else "" for r in readings}
    if len(readings) > 1 and len(heads) == 1 and "" not in heads:
        head = heads.pop()
        readings = [r.removeprefix(head) for r in readings]
    return readings


#: the verdict table's short words for the leave-one-out check (column "Verdict rests on")
STABILITY_WORDS = {
    "stable": "summary_not_on_one",
    "rests on one project": "summary_rests_on_one",
    "rests on one organisation": "summary_rests_on_one_organisation",
    "not assessed": "summary_rests_not_assessed",
}


def _stability(rec: dict, lang: str) -> str:
    """Whether the reading's verdict rests on one project, as the record says it: `stability` ("stable",
    "rests on one project", "rests on one organisation": the leave-one-out check of the `claim.*`
    records, in the report's language through the locale; a message as written to JSON is shown in
    it too), else `decisive` (the projects or organisations whose deletion alone changes the verdict:
    "yes" when it names any); "" when the record says neither."""
    stability = rec.get("stability")
    if isinstance(stability, dict):
        return _note_text(stability, lang) if "key" in stability else str(stability.get("text", ""))
    if isinstance(stability, str) and stability:
        short = STABILITY_WORDS.get(stability)  # the table's short word, else the text as written
        return translate(short, lang) if short else translate(stability, lang)
    decisive = rec.get("decisive")
    if isinstance(decisive, (bool, list, tuple)):
        return translate("summary_rests_on_one" if decisive else "summary_not_on_one", lang)
    return ""


def _verdict_of(rec: dict, lang: str) -> tuple[str, str]:
    """(verdict in `lang`, its CSS class): "not testable" for a reading the portfolio cannot feed."""
    if rec.get("testable") is False:
        return translate("ac_not_testable_short", lang), "not-testable"
    return translate(rec["verdict"], lang), rec["verdict"].replace(" ", "-")


def claim_cards(
    records: list[dict], lang: str, cost_unit: str, claims_file: Path | None = None
) -> tuple[list[dict], list[dict]]:
    """The summary's answer to "which claims hold here?": (rows, cards).

    rows: one per reading checked, in the claims register's order — the claim in a few words (its
    register `short_<lang>` title, on the first reading of each claim, `rowspan` readings), the
    reading (when the claim has several), this portfolio's estimate and 95 % interval, the verdict and whether it rests on one
    project (`_stability`). cards: one per claim — the short title, the register's paraphrase in
    `lang`, the first reading's verdict, estimate and interval, a plain sentence of what it means, how
    sure it is (the sensitivity sentence of that reading, when the run has one) and the other
    readings. No record name is shown: a reading without a label in `lang` shows nothing."""
    by_name = {r["name"]: r for r in records if "name" in r}
    register = registered_claims(claims_file)
    groups = claim_groups(records)
    order = {key: (register[key].order if key in register else float("inf"), i) for i, key in enumerate(groups)}
    rows, cards = [], []
    for group in sorted(groups, key=order.get):
        recs = groups[group]
        claim = register.get(group)
        first = recs[0]
        unit = first.get("unit", "")
        value = lambda v: format_value(v, unit, lang, cost_unit)  # noqa: E731
        whole, first_reading = split_label(str(first.get("label") or ""))
        title = claim.short(lang) if claim else whole
        anchor = "claim-" + re.sub(r"[^A-Za-z0-9_-]", "-", group)
        labels = [split_label(str(rec.get("label") or "")) for rec in recs]
        readings = _short_readings([reading or ("" if claim else whole) for whole, reading in labels], lang)
        for i, rec in enumerate(recs):
            verdict, verdict_class = _verdict_of(rec, lang)
            rows.append(
                {
                    "claim": title if i == 0 else "",
                    "rowspan": len(recs) if i == 0 else 0,
                    "anchor": anchor,
                    # the reading tells a claim's readings apart; one reading is said in full on its card
                    "reading": readings[i] if len(recs) > 1 else "",
                    "value": format_value(rec.get("value"), rec.get("unit", ""), lang, cost_unit),
                    "interval": _bracket(rec, lang, cost_unit),
                    "verdict": verdict,
                    "verdict_class": verdict_class,
                    "stability": _stability(rec, lang),
                }
            )
        verdict = first["verdict"]
        words = {
            "estimate": value(first.get("value")),
            "low": value(first.get("ci_low")),
            "high": value(first.get("ci_high")),
            "n": format_number(first.get("n"), lang) if first.get("n") is not None else "–",
        }
        if first.get("testable") is False:
            sentence = localise(first.get("note", ""), lang)
        else:
            sentence = translate(VERDICT_KEYS.get(verdict, "card_contradicted"), lang, **words)
        if verdict == "inconclusive" and first.get("projects_needed"):
            sentence += " " + translate(
                "card_projects_needed", lang, needed=format_number(first["projects_needed"], lang)
            )
        # a verdict that rests on one project or organisation (`stability`), for each reading of the card
        loo = [stability_sentence(first, lang, stable_too=False)] + [
            translate(
                "loo_reading",
                lang,
                reading=split_label(str(r.get("label") or ""))[1],
                sentence=stability_sentence(r, lang, stable_too=False),
            )
            for r in recs[1:]
            if stability_sentence(r, lang, stable_too=False)
        ]
        sentence = " ".join(part for part in [sentence, *loo] if part)
        sensitivity = by_name.get("sensitivity." + first["name"].removeprefix("claim."))
        shown_verdict, shown_class = _verdict_of(first, lang)
        cards.append(
            {
                "id": anchor,
                "title": title,
                "paraphrase": claim.paraphrase(lang) if claim else "",
                "reading": first_reading,
                "verdict": shown_verdict,
                "verdict_class": shown_class,
                "value": words["estimate"],
                "interval": _interval(first, lang, cost_unit),
                "claimed": value(first["claimed"]) if isinstance(first.get("claimed"), (int, float)) else "",
                "sentence": sentence,
                "sure": localise(sensitivity.get("label", ""), lang) if sensitivity else "",
                "others": [
                    {
                        "reading": split_label(str(r.get("label") or ""))[1],
                        "verdict": _verdict_of(r, lang)[0],
                        "value": format_value(r.get("value"), r.get("unit", ""), lang, cost_unit),
                        "verdict_class": _verdict_of(r, lang)[1],
                    }
                    for r in recs[1:]
                ],
                "href": f"{first['notebook']}.html" if first.get("notebook") else "",
            }
        )
    return rows, cards
