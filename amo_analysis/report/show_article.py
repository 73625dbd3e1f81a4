"""How the article page (`08_article_claims`) shows `analyses.article.claims_by_article`'s table: the
page's table in the report language (`article_display`), the sources of the claims (`sources_display`),
the fixed-width text nbval checks (`article_text`) and the `claim.<claim>.<reading>` records
(`article_records`). Values are fractions unless a reading's scale says otherwise (`pp`: percentage
points; `ratio`, `ratio_of_money`: plain ratios)."""

from __future__ import annotations

import math

import pandas as pd

from amo_analysis.analyses import article, framing, pitfalls
from amo_analysis.report.show_stability import stability_record_fields
from amo_analysis.findings import interval_record
from amo_analysis.i18n import format_number, format_percent, format_points, localise, translate
from amo_analysis.stats import claims as claims_mod

__all__ = [
    "article_display",
    "sources_display",
    "claimed_text",
    "reading_text",
    "note_text",
    "article_text",
    "article_records",
    "RECORD_UNITS",
]


def _is_percent(scale: str) -> bool:
    return scale not in ("ratio", "ratio_of_money")


def _value_text(value: float, scale: str, lang: str, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if scale == "pp":
        return format_points(value, lang, decimals=0)
    if _is_percent(scale):
        return format_percent(value, lang, decimals=0, signed=signed)
    return format_number(value, lang, decimals=2)


def note_text(row, lang: str = "en") -> str:
    """The row's note in the report language: "not testable on this portfolio: no column X" when a
    column is missing, otherwise the estimator's note (in `lang` where it is an `i18n.Message`)."""
    if row["missing_column"]:
        return localise(article.not_testable_reason(row["missing_column"]), lang)
    if row.get("fewer_covariates"):
        return " ".join((translate("ac_fewer_covariates", lang), localise(row["note"], lang))).strip()
    return localise(row["note"], lang)


def claimed_text(row, lang: str = "en") -> str:
    """The claimed value of a reading in words: "−18%", "20–30%", "< 50%", "≥ 80%", "an increase"."""
    scale, test = row["scale"], row["test"]
    signed = scale in ("relative", "pp", "relative_mean")
    if test == "range":
        return f"{_value_text(row['claimed_low'], scale, lang, signed)} – {_value_text(row['claimed_high'], scale, lang, signed)}"
    if test == "direction":
        return translate(f"ac_direction_{row['direction']}", lang)
    text = _value_text(row["claimed"], scale, lang, signed)
    return {"below": f"< {text}", "at_least": f"≥ {text}"}.get(test, text)


def reading_text(row, lang: str = "en") -> str:
    """What a reading measures, in the report language."""
    key = f"ac_{row['analysis']}_{row['scale']}"
    if row["analysis"] == "forecast_margin":
        key += "_with" if row["exposure"] == "practice" else "_without"
    exposure = framing.question_label(row["exposure"], lang) if row["exposure"] in pitfalls.PITFALL_COLUMNS else ""
    outcome = translate(article.OUTCOME_WORD.get(row["outcome"], row["outcome"]), lang)
    return translate(key, lang, exposure=exposure, outcome=outcome)


def article_display(table: pd.DataFrame, claims_file: str | None = None, lang: str = "en") -> pd.DataFrame:
    """The page's table: one line per reading, the claim's paraphrase in the report language on its
    first reading, the reading in words, claimed value, estimate and interval (as text, in the
    reading's unit), n, verdict, projects needed and the note."""
    register = {c.key: c for c in claims_mod.load_register(claims_file)}
    rows, seen = [], set()
    for r in table.to_dict("records"):
        claim = register[r["claim"]]
        first = r["claim"] not in seen
        seen.add(r["claim"])
        scale = r["scale"]
        signed = scale in ("relative", "pp", "relative_mean")
        rows.append(
            {
                translate("ac_claim", lang): (f"{claim.order:g}. " + claim.paraphrase(lang)) if first else "",
                translate("ac_reading", lang): reading_text(r, lang),
                translate("pe_claimed", lang): claimed_text(r, lang),
                translate("estimate", lang): _value_text(r["estimate"], scale, lang, signed),
                translate("interval", lang): (
                    f"[{_value_text(r['ci_low'], scale, lang, signed)} ; {_value_text(r['ci_high'], scale, lang, signed)}]"
                    if math.isfinite(r["ci_low"]) and math.isfinite(r["ci_high"])
                    else "–"
                ),
                translate("n", lang): r["n"] if r["testable"] else "–",
                translate("pe_verdict", lang): translate(r["verdict"], lang)
                if r["testable"]
                else translate("ac_not_testable_short", lang),
                translate("pe_projects_needed", lang): ""
                if pd.isna(r["projects_needed"])
                else int(r["projects_needed"]),
                translate("notes", lang): note_text(r, lang),
            }
        )
    return pd.DataFrame(rows)


def sources_display(claims_file: str | None = None, lang: str = "en") -> pd.DataFrame:
    """Each claim (its order and register key) with its source, the sample it came from (in `lang` when
    the register gives it, `sample_fr`) and the file it was read from, in the register's order."""
    return pd.DataFrame(
        {
            translate("ac_figure", lang): [f"{c.order:g}. {c.key}" for c in claims_mod.load_register(claims_file)],
            translate("ac_source", lang): [c.source for c in claims_mod.load_register(claims_file)],
            translate("ac_sample", lang): [c.sample_in(lang) for c in claims_mod.load_register(claims_file)],
            translate("ac_file", lang): [c.origin for c in claims_mod.load_register(claims_file)],
        }
    )


def article_text(table: pd.DataFrame) -> str:
    """Fixed-width text of the page (3 decimals), for the notebook's regression check."""

    def fmt(v) -> str:
        return "   nan" if v is None or not math.isfinite(v) else f"{v:.3f}"

    lines = []
    for r in table.to_dict("records"):
        needed = "" if pd.isna(r["projects_needed"]) else f" needed={int(r['projects_needed'])}"
        lines.append(
            f"{r['claim'] + '.' + r['reading']:<44} est={fmt(r['estimate'])} ci=[{fmt(r['ci_low'])}, "
            f"{fmt(r['ci_high'])}] n={r['n']} {'' if r['testable'] else 'NOT TESTABLE '}{r['verdict']}{needed}"
        )
    return "\n".join(lines)


#: the `unit` of a record (the summary page formats a value by it) for each reading's scale
RECORD_UNITS = {
    "relative": "percent change",
    "relative_mean": "percent change",
    "pp": "percentage points",
    "ratio": "ratio",
    "ratio_of_money": "ratio",
    "fraction": "fraction",
    "share_of_troubled": "fraction",
    "share_of_all": "fraction",
    "chance": "fraction",
}
#: readings recorded by another notebook (02 records the effects claims as claim.<key>): not recorded again,
#: unless the portfolio has no practice column (02 is then not run)
RECORDED_ELSEWHERE = ("effects",)


def article_records(table: pd.DataFrame, claims_file: str | None = None, lang: str = "en") -> list[dict]:
    """The records of each reading not recorded by another notebook as `claim.<claim>.<reading>` (headline):
    value = estimate with its interval and n, `unit` (`RECORD_UNITS`) and `scale` = the reading's, `verdict`, `claimed` (or
    `claimed_low` / `claimed_high`, or `direction`), `test`, `projects_needed`, `testable` and `note`;
    the label is the claim's paraphrase in the report language with the reading."""
    records = []
    register = {c.key: c for c in claims_mod.load_register(claims_file)}
    for r in table.to_dict("records"):
        if r["analysis"] in RECORDED_ELSEWHERE and r["missing_column"] != article.PRACTICE_COLUMN:
            continue  # without a practice column notebook 02 is not run: the reading is recorded here, not testable
        claim = register[r["claim"]]
        records.append(
            interval_record(
                f"claim.{r['claim']}.{r['reading']}",
                r,
                unit=RECORD_UNITS.get(r["scale"], r["scale"]),
                scale=r["scale"],
                method=translate(f"ac_method_{r['analysis']}", lang),
                analysis=r["analysis"],
                label=translate("ac_label", lang, text=claim.paraphrase(lang), reading=reading_text(r, lang)),
                verdict=r["verdict"],
                claimed=r["claimed"],
                claimed_low=r["claimed_low"],
                claimed_high=r["claimed_high"],
                direction=r["direction"],
                test=r["test"],
                projects_needed=None if pd.isna(r["projects_needed"]) else int(r["projects_needed"]),
                testable=bool(r["testable"]),
                note=note_text(r, lang),
                missing_column=r["missing_column"] or None,
                source=claim.source,
                headline=True,
                **stability_record_fields(r, refits=True),
            )
        )
    return records
