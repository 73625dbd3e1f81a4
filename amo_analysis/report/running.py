"""What a page says about the projects still running at the as-of date, in the report's language.

Every page that shows a level or a quantile of schedule slip or budget drift says how many running
projects its figures count and how (`running_sentence`): a running project is right-censored — its
slip is at least (as-of date − start) / planned duration − 1, its drift at least cost_to_date /
budget − 1 when the export gives the spend to date — and the quantiles come from a Kaplan–Meier
estimate (`analyses.overview.censored_quantile_rows`). Without a spend-to-date column the page says
that running projects could not be counted for cost.
"""

from __future__ import annotations

import pandas as pd

from amo_analysis.i18n import Message, join_sentences, localise
from amo_analysis.ingest.metrics import censored_outcome


def running_counts(data: pd.DataFrame) -> dict:
    """{"n": projects, "n_running": running at the as-of date, "schedule_slip": running projects
    counted (right-censored) for slip, "budget_drift": for drift, "cost_to_date": whether the export
    has a spend-to-date column with a value}."""
    running = data["running"].fillna(False).astype(bool) if "running" in data else pd.Series(False, index=data.index)
    counts = {"n": int(len(data)), "n_running": int(running.sum())}
    for outcome in ("schedule_slip", "budget_drift"):
        sample = censored_outcome(data, outcome)
        counts[outcome] = int((~sample["observed"]).sum())
    counts["cost_to_date"] = bool("cost_to_date" in data and data["cost_to_date"].notna().any())
    return counts


def running_message(data: pd.DataFrame, as_of: str | None, as_of_given: bool = False) -> Message:
    """The sentences of `running_sentence` as one message (English text, French kept)."""
    counts = running_counts(data)
    return _message(
        as_of, as_of_given, counts["n_running"], counts["n"], counts["schedule_slip"], counts["budget_drift"]
    )


def _message(as_of: str | None, given: bool, n_running: int, n: int, slip: int, cost: int) -> Message:
    """As of when (and whether the date was given), how many of the `n` projects were running, and
    how many of them the slip (`slip`) and the drift (`cost`) figures count."""
    if as_of is None:
        return Message("running_no_date")
    how = Message("running_as_of_given" if given else "running_as_of_latest")
    if n_running == 0:
        return Message("running_none", as_of=as_of, how=how)
    first = Message("running_counted", as_of=as_of, how=how, n_running=n_running, n=n, slip=slip)
    second = Message("running_cost_counted", cost=cost) if cost else Message("running_cost_not_counted")
    return join_sentences([first, second])


def running_sentence(portfolio, lang: str = "en") -> str:
    """How many projects were running at the portfolio's as-of date and how the slip and drift
    figures count them, in `lang` (two sentences; one when no project was running)."""
    return localise(running_message(portfolio.data, portfolio.as_of, portfolio.as_of_given), lang)


def summary_sentence(provenance: dict, records: list[dict], lang: str = "en") -> str:
    """The running-projects sentence of the summary page, from a run's provenance (`as_of`,
    `as_of_given`, `n_running`, `n_projects`) and its slip and drift records (`n_running` of
    `schedule_slip.p80.all` and `budget_drift.p80.all`); "" when the run predates the as-of date."""
    if "as_of" not in provenance:
        return ""
    counted = {
        r["name"].split(".")[0]: int(r.get("n_running") or 0) for r in records if r.get("name", "").endswith(".p80.all")
    }
    message = _message(
        provenance.get("as_of"),
        bool(provenance.get("as_of_given")),
        int(provenance.get("n_running") or 0),
        int(provenance.get("n_projects") or 0),
        counted.get("schedule_slip", 0),
        counted.get("budget_drift", 0),
    )
    return localise(message, lang)
