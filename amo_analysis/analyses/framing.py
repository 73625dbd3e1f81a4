"""Framing questions: how often they are answered and how they go with failure (risk ratios); the
risk-ratio machinery and the reasons of missing estimates (notebook 03 shows the tables through
`report.show_framing`).

Definitions
-----------
* *Failure*: outcome class "failed" (cancelled, or drift or slip above the failure tolerance);
  *failed or challenged*: anything but "successful". Projects without an outcome class (ongoing)
  are left out.
* *Risk ratio* (RR): risk of failure with the exposure ÷ risk without it (for `framing_score`: per
  additional question answered). Estimated by modified Poisson regression (Zou 2004): a Poisson GLM
  with log link on the 0/1 failure indicator and robust (sandwich, HC0 by default) standard errors,
  adjusted for size and type (`size_type_covariates`). For one binary exposure and no covariate it
  reproduces the 2×2-table risk ratio and Katz's log interval exactly.
* *Well framed*: `framing_score` ≥ a threshold (a parameter, 7 by default) versus the others.
* The pitfalls (prevalence, co-occurrence, effects, claims) and the E-values are in `pitfalls`,
  which builds on this module.

Everything user-caused that cannot be estimated raises `FramingError` (an `InputError`) with one
sentence (an `i18n.Message`, so a report shows it in its language); the table builders catch it
and put the sentence in the row's `note`. The tables keep their names (model, outcome, unit,
verdict…); `report.show_framing.shown` shows them in the report's language.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from amo_analysis.stats import claims as claims_mod
from amo_analysis.stats import scale
from amo_analysis.ingest.columns import FRAMING_COLUMNS, FRAMING_QUESTIONS, PITFALLS
from amo_analysis.ingest.model_columns import default_covariates, with_model_columns
from amo_analysis.stats.intervals import share_ci
from amo_analysis.defaults import DEFAULTS
from amo_analysis.errors import InputError
from amo_analysis.findings import passes_unavailable, unavailable_on
from amo_analysis.i18n import TRANSLATIONS, Message, join_sentences, translate

FAILURE_OUTCOMES: dict[str, tuple[str, ...]] = {
    "failed": ("failed",),
    "failed_or_challenged": ("failed", "challenged"),
}
DEFAULT_THRESHOLD = 7
WELL_FRAMED = "well_framed"

# The framing claim of notebook 03, from the claims register (its key is the claim's key: the record
# framing.failure_rr.well_framed keeps its name); the pitfall claims are in `pitfalls`
FRAMING_CLAIM = replace(claims_mod.as_claim_of("framing_failure_rr.ratio"), key="framing_failure_rr")


class FramingError(InputError):
    """The portfolio cannot support this framing or pitfall estimate (one sentence says why)."""


@dataclass(frozen=True)
class RiskRatio:
    """One risk ratio with its 95 % interval (ratio scale; 1 = no association)."""

    exposure: str
    outcome: str
    model: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    n_events: int
    n_exposed: int | None
    covariates: tuple[str, ...]
    note: str = ""

    @classmethod
    def from_log(cls, log_rr: float, se: float, z: float, p_value: float, **fields) -> RiskRatio:
        """The risk ratio exp(`log_rr`) with its Wald interval exp(`log_rr` ± `z`·`se`); `fields` are
        the others (exposure, outcome, model, n, n_events, n_exposed, covariates)."""
        return cls(
            estimate=math.exp(log_rr),
            ci_low=math.exp(log_rr - z * se),
            ci_high=math.exp(log_rr + z * se),
            p_value=p_value,
            **fields,
        )

    def as_row(self) -> dict:
        row = asdict(self)
        row["covariates"] = ", ".join(self.covariates)
        return row


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


def question_label(code: str, lang: str = "en") -> str:
    """Readable label of a framing question, pitfall or derived exposure (the questions' and
    pitfalls' labels are defined with their columns in ingest/columns.py, the others in the locale files)."""
    for table in (FRAMING_QUESTIONS, PITFALLS):
        for name, en, fr in table:
            if name == code:
                return {"en": en, "fr": fr}.get(lang, en)
    fixed = {"framing_score": "framing_label_framing_score", WELL_FRAMED: "framing_label_well_framed"}
    return translate(fixed[code], lang) if code in fixed else code


def with_framing_columns(data: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """A copy with `log_budget`, `framing_score` (from the ten answers when absent) and `well_framed`
    (= framing_score ≥ threshold; missing stays missing)."""
    if not 0 <= threshold <= 10:
        raise FramingError(Message("fe_threshold", threshold=repr(threshold)))
    out = with_model_columns(data)
    if "framing_score" not in out and all(q in out for q in FRAMING_COLUMNS):
        answers = out[list(FRAMING_COLUMNS)].astype("float64")
        out["framing_score"] = answers.sum(axis=1).where(answers.notna().all(axis=1))
    if "framing_score" in out:
        score = pd.to_numeric(out["framing_score"], errors="coerce").astype("float64")
        out[WELL_FRAMED] = (score >= threshold).astype("float64").where(score.notna())
    return out


def failure_indicator(data: pd.DataFrame, outcome: str = "failed") -> pd.Series:
    """1.0 when the project's outcome class is in `FAILURE_OUTCOMES[outcome]`, 0.0 otherwise, NaN unknown."""
    if outcome not in FAILURE_OUTCOMES:
        raise FramingError(Message("fe_failure_outcome", choices=", ".join(FAILURE_OUTCOMES), outcome=repr(outcome)))
    if "outcome_class" not in data:
        raise FramingError(Message("fe_no_outcome_class"))
    cls = data["outcome_class"]
    known = cls.notna()
    return cls.isin(FAILURE_OUTCOMES[outcome]).astype("float64").where(known)


def size_type_covariates(data: pd.DataFrame) -> list[str]:
    """Size and type adjustment for the risk ratios: log_budget, complexity, project_type (those that vary)."""
    return [c for c in default_covariates(data) if c != "organisation"]


def _as_float(series: pd.Series, name: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(series) or series.dtype == object:
        return series.astype("float64")
    return pd.to_numeric(series, errors="coerce").astype("float64")


def _covariate_columns(frame: pd.DataFrame, covariates: list[str]) -> dict[str, np.ndarray]:
    """Design columns of the covariates on `frame` (complete rows): a number as it is, a category as
    0/1 indicators of its levels but the first (sorted, as `pd.get_dummies(drop_first=True)` names
    them); columns that do not vary are left out."""
    columns: dict[str, np.ndarray] = {}
    for c in covariates:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            columns[c] = s.to_numpy(dtype="float64")
        else:
            values = s.astype(str).to_numpy()
            for level in np.unique(values)[1:]:
                columns[f"{c}_{level}"] = (values == level).astype("float64")
    return {name: v for name, v in columns.items() if v.std() > 0}


# ---------------------------------------------------------------------------------------------
# Risk ratios (modified Poisson)
# ---------------------------------------------------------------------------------------------


class _Label(Message):
    """The label of a framing question, pitfall or derived exposure (`question_label`) as a value of
    a `Message`: it reads in English as the label and `in_language` gives the label in that language
    (lower-cased with `lower`, for the middle of a sentence)."""

    def __new__(cls, code: str, lower: bool = False) -> "_Label":
        text = question_label(code)
        self = str.__new__(cls, text.lower() if lower else text)
        self.key, self.values, self.lower = "fe_label", {"code": code}, lower
        return self

    def in_language(self, lang: str) -> str:
        text = question_label(self.values["code"], lang)
        return text.lower() if self.lower else text

    def __reduce__(self):
        return (_Label, (self.values["code"], self.lower))


def _exposure_words(exposure: str) -> Message:
    """'code' (its label) — a `Message`, so the label reads in the report's language."""
    if exposure != question_label(exposure):
        return Message("fe_exposure_labelled", code=exposure, label=_Label(exposure))
    return Message("fe_exposure", code=exposure)


def _outcome_words(outcome: str) -> Message | str:
    """ "failed" / "failed or challenged" as a `Message` (any other outcome as its name in words)."""
    key = f"fe_outcome_{outcome}"
    return Message(key) if key in TRANSLATIONS else outcome.replace("_", " ")


def _reason(exc: BaseException) -> str:
    """The sentence of an error: its `Message` when it has one (translated where shown), else its text."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], Message) else str(exc)


@dataclass
class _RiskRows:
    """The projects a risk ratio rests on (known outcome, exposure, practice when needed and
    covariates), as arrays: `y` the 0/1 outcome, `x` the exposure, `amo` the practice (None when
    not needed), `covariates` those columns on the same rows."""

    y: np.ndarray
    x: np.ndarray
    amo: np.ndarray | None
    covariates: pd.DataFrame


def _prepare_rr(data, exposure, outcome, covariates, need_amo, failure: pd.Series | None = None) -> tuple:
    """(`_RiskRows`, number of events, number exposed or None for a numeric exposure); raises
    FramingError when the risk ratio cannot be estimated. `failure`: `failure_indicator(data,
    outcome)` when already computed."""
    for col in [exposure] + list(covariates) + (["amo"] if need_amo else []):
        if col not in data:
            raise FramingError(Message("fe_no_column", exposure=_exposure_words(col)))
    y = (failure_indicator(data, outcome) if failure is None else failure).to_numpy(dtype="float64")
    x = _as_float(data[exposure], exposure).to_numpy(dtype="float64")
    amo = _as_float(data["amo"], "amo").to_numpy(dtype="float64") if need_amo else None
    keep = ~np.isnan(y) & ~np.isnan(x)
    if amo is not None:
        keep &= ~np.isnan(amo)
    for c in covariates:
        keep &= data[c].notna().to_numpy()
    kept_covariates = data.loc[keep, list(covariates)]
    with_events = _rows_with_events(kept_covariates, y[keep])
    keep[keep] = with_events
    rows = _RiskRows(y[keep], x[keep], None if amo is None else amo[keep], kept_covariates[with_events])
    label = _outcome_words(outcome)
    n = len(rows.y)
    if n == 0:
        raise FramingError(Message("fe_no_known", exposure=_exposure_words(exposure)))
    events = int(rows.y.sum())
    if events == 0:
        raise FramingError(Message("fe_no_event", n=n, label=label))
    if events == n:
        raise FramingError(Message("fe_all_events", n=n, label=label))
    x = rows.x
    distinct = np.unique(x)
    binary = bool(np.isin(distinct, (0.0, 1.0)).all())
    if len(distinct) < 2:
        if binary and x[0] == 0:
            raise FramingError(Message("fe_nobody_exposed", exposure=_exposure_words(exposure)))
        if binary:
            raise FramingError(Message("fe_everybody_exposed", exposure=_exposure_words(exposure)))
        raise FramingError(Message("fe_single_value", exposure=_exposure_words(exposure), value=float(x[0])))
    if binary:
        for value, words in ((1.0, Message("fe_with")), (0.0, Message("fe_without"))):
            part = rows.y[x == value]
            if part.sum() == 0:
                raise FramingError(
                    Message(
                        "fe_no_event_in_group",
                        words=words,
                        exposure=_exposure_words(exposure),
                        label=label,
                        n=len(part),
                    )
                )
    return rows, events, (int(x.sum()) if binary else None)


def _rows_with_events(covariates: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    """The rows (of `covariates`, outcome `y`) left after dropping the projects of a category level
    (e.g. a project type) with no event at all, one category after the other (a mask).

    Under the log-linear model such a level's coefficient is −∞ and its projects carry no
    information on the other coefficients (their score contributions vanish), so dropping them is
    the limit of the fit, not a change of the estimand; `n` then counts the projects kept.
    """
    kept = np.ones(len(y), dtype=bool)
    for c in covariates.columns:
        s = covariates[c]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        levels, codes = np.unique(s.astype(str).to_numpy(), return_inverse=True)
        present = np.bincount(codes[kept], minlength=len(levels)) > 0
        events = np.bincount(codes[kept], weights=y[kept], minlength=len(levels))
        empty = present & (events == 0)
        if empty.any() and empty.sum() < present.sum():
            kept &= ~empty[codes]
    return kept


def _fit_poisson(y, X, cov_type):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = GLM(y, X, family=families.Poisson()).fit(cov_type=cov_type)
    if not res.converged or not np.all(np.isfinite(res.bse)) or np.abs(res.params[1:]).max() > 15:
        raise FramingError(Message("fe_not_converged", k=int(X.shape[1])))
    return res


def _check_rows(n: int, events: int, k: int, exposure: str) -> None:
    """At least one event per model parameter (a lenient floor; 5–10 are usually advised)."""
    if n < k + 2 or events < k:
        raise FramingError(Message("fe_too_few_events", events=events, n=n, k=k, exposure=_exposure_words(exposure)))


def risk_ratio(
    data: pd.DataFrame,
    exposure: str,
    outcome: str = "failed",
    covariates=(),
    *,
    adjust_amo: bool = False,
    cov_type: str = "HC0",
    conf_level: float = 0.95,
    failure: pd.Series | None = None,
) -> RiskRatio:
    """Adjusted risk ratio of `outcome` for `exposure` (modified Poisson, robust SEs).

    `exposure` is a 0/1 (bool) column, or a number (RR per unit, e.g. per framing question).
    With `adjust_amo`, the practice is added as a covariate. `failure`: `failure_indicator(data,
    outcome)` when the caller has it already. Raises FramingError when degenerate.
    """
    covariates = [c for c in covariates if c != exposure]
    rows, events, n_exposed = _prepare_rr(data, exposure, outcome, covariates, adjust_amo, failure)
    X = np.column_stack(
        [
            np.ones(len(rows.y)),
            rows.x,
            *([rows.amo] if adjust_amo else []),
            *_covariate_columns(rows.covariates, covariates).values(),
        ]
    )
    _check_rows(len(rows.y), events, X.shape[1], exposure)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        X = X[:, np.sort(np.unique(X, axis=1, return_index=True)[1])]  # each distinct column once
        if np.linalg.matrix_rank(X) < X.shape[1]:
            raise FramingError(
                Message("fe_determined", exposure=_exposure_words(exposure), covariates=", ".join(covariates))
            )
    res = _fit_poisson(rows.y, X, cov_type)
    b, se = float(res.params[1]), float(res.bse[1])
    z = stats.norm.ppf(0.5 + conf_level / 2)
    model = "adjusted" + (f" + {'amo'}" if adjust_amo else "") if covariates or adjust_amo else "crude"
    counts = dict(n=len(rows.y), n_events=events, n_exposed=n_exposed, covariates=tuple(covariates))
    return RiskRatio.from_log(
        b, se, z, float(res.pvalues[1]), exposure=exposure, outcome=outcome, model=model, **counts
    )


def risk_ratio_by_practice(
    data: pd.DataFrame,
    exposure: str,
    outcome: str = "failed",
    covariates=(),
    *,
    cov_type: str = "HC0",
    conf_level: float = 0.95,
    failure: pd.Series | None = None,
) -> list[RiskRatio]:
    """Exposure × practice interaction: RR without the practice, with it, and their ratio.

    The ratio of risk ratios is exp(interaction coefficient); 1 = the association is the same with
    and without the practice. Intervals from the robust covariance (delta method on the log scale).
    """
    covariates = [c for c in covariates if c not in (exposure, "amo")]
    rows, events, n_exposed = _prepare_rr(data, exposure, outcome, covariates, True, failure)
    if len(np.unique(rows.amo)) < 2:
        raise FramingError(Message("fe_same_practice"))
    for value, words in ((1.0, Message("fe_with")), (0.0, Message("fe_without"))):
        part = rows.amo == value
        if len(np.unique(rows.x[part])) < 2 or rows.y[part].sum() == 0:
            raise FramingError(Message("fe_no_variation", words=words, exposure=_exposure_words(exposure)))
        if n_exposed is not None:
            for xv, xw in ((1.0, Message("fe_with")), (0.0, Message("fe_without"))):
                if rows.y[part & (rows.x == xv)].sum() == 0:
                    raise FramingError(
                        Message(
                            "fe_interaction_no_event",
                            words=words,
                            exposed=xw,
                            exposure=_exposure_words(exposure),
                            label=_outcome_words(outcome),
                        )
                    )
    X = np.column_stack(
        [
            np.ones(len(rows.y)),
            rows.x,
            rows.amo,
            rows.x * rows.amo,
            *_covariate_columns(rows.covariates, covariates).values(),
        ]
    )
    _check_rows(len(rows.y), events, X.shape[1], exposure)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise FramingError(Message("fe_collinear", exposure=_exposure_words(exposure)))
    res = _fit_poisson(rows.y, X, cov_type)
    cov = res.cov_params()
    z = stats.norm.ppf(0.5 + conf_level / 2)
    counts = dict(n=len(rows.y), n_events=events, n_exposed=n_exposed, covariates=tuple(covariates))
    out = []
    for model, weights in (
        ("without amo", [0, 1, 0, 0]),
        ("with amo", [0, 1, 0, 1]),
        ("ratio with/without amo", [0, 0, 0, 1]),
    ):
        c = np.zeros(X.shape[1])
        c[:4] = weights
        b = float(c @ res.params)
        se = float(math.sqrt(c @ cov @ c))
        p = float(2 * stats.norm.sf(abs(b / se))) if se > 0 else float("nan")
        out.append(RiskRatio.from_log(b, se, z, p, exposure=exposure, outcome=outcome, model=model, **counts))
    return out


def _missing_rr(exposure, outcome, model, covariates, reason) -> RiskRatio:
    nan = float("nan")
    return RiskRatio(exposure, outcome, model, nan, nan, nan, nan, 0, 0, None, tuple(covariates), reason)


#: the text columns of this module's tables: they may hold `i18n.Message`s (object dtype keeps them)
TEXT_COLUMNS = ("note", "meaning", "claim", "measure")


def _table(rows: list[dict]) -> pd.DataFrame:
    """`pd.DataFrame(rows)` with the `TEXT_COLUMNS` kept as objects, so their `Message`s stay messages
    (pandas would make them plain English `str`)."""
    table = pd.DataFrame(rows)
    for column in TEXT_COLUMNS:
        if column in table:
            table[column] = pd.Series([r.get(column, np.nan) for r in rows], index=table.index, dtype=object)
    return table


def _add_note(table: pd.DataFrame, note: str | None) -> pd.DataFrame:
    """Append `note` (from `scale.model_rows`) to every row's note (the reason an estimate is
    missing, if any)."""
    if note:
        notes = [join_sentences([n, note]) if n else note for n in table["note"].fillna("")]
        table["note"] = pd.Series(notes, index=table.index, dtype=object)  # keeps the i18n.Message
    return table


@passes_unavailable
def framing_risk_table(
    data: pd.DataFrame,
    outcomes=tuple(FAILURE_OUTCOMES),
    covariates=None,
    threshold: int = DEFAULT_THRESHOLD,
    lang: str = "en",
    seed: int = 0,
) -> pd.DataFrame:
    """Risk ratios of failure for the framing score, 'well framed' and each question, three ways.

    Models: "adjusted" (size and type), "adjusted + amo" (the practice as a covariate), and the
    interaction with the practice ("without amo", "with amo", "ratio with/without amo"). A row that
    cannot be estimated has NaN numbers and the reason in `note`. Above `scale.LARGE_N` projects the
    models are fitted on a subsample drawn with `seed`, and every note says so.
    """
    data = with_framing_columns(data, threshold)
    data, note = scale.model_rows(data, seed, Message("note_subject_risk_ratios"))
    covariates = size_type_covariates(data) if covariates is None else list(covariates)
    exposures = [e for e in ("framing_score", WELL_FRAMED, *FRAMING_COLUMNS)]
    rows = []
    for outcome in outcomes:
        try:  # once per outcome, not once per model
            failure = failure_indicator(data, outcome)
        except InputError:
            failure = None  # each row then says why
        for exposure in exposures:
            for adjust_amo in (False, True):
                model = "adjusted + amo" if adjust_amo else "adjusted"
                try:
                    rr = risk_ratio(data, exposure, outcome, covariates, adjust_amo=adjust_amo, failure=failure)
                    rr = replace(rr, model=model)
                except InputError as exc:
                    rr = _missing_rr(exposure, outcome, model, covariates, _reason(exc))
                rows.append(rr.as_row())
            try:
                rows.extend(
                    r.as_row() for r in risk_ratio_by_practice(data, exposure, outcome, covariates, failure=failure)
                )
            except InputError as exc:
                rows.extend(
                    _missing_rr(exposure, outcome, m, covariates, _reason(exc)).as_row()
                    for m in ("without amo", "with amo", "ratio with/without amo")
                )
    table = _add_note(_table(rows), note)
    table.insert(1, "label", table["exposure"].map(lambda e: question_label(e, lang)))
    return table


# ---------------------------------------------------------------------------------------------
# Framing: descriptive tables and the claim
# ---------------------------------------------------------------------------------------------


@passes_unavailable
def framing_score_distribution(data: pd.DataFrame) -> pd.DataFrame:
    """Number of projects per framing score (0–10), overall and per practice group."""
    if "framing_score" not in data or data["framing_score"].notna().sum() == 0:
        raise FramingError(Message("fe_no_score"))
    score = pd.to_numeric(data["framing_score"], errors="coerce")
    table = pd.DataFrame({"framing_score": range(11)})
    table["all"] = table["framing_score"].map(score.value_counts()).fillna(0).astype(int)
    for value, name in ((True, "with"), (False, "without")):
        counts = score[data["amo"].astype("boolean") == value].value_counts()
        table[name] = table["framing_score"].map(counts).fillna(0).astype(int)
    return table


@passes_unavailable
def question_answer_rates(data: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Share of projects answering each framing question (Wilson 95 % CI), overall and per group."""
    rows = []
    for code in FRAMING_COLUMNS:
        if code not in data:
            continue
        answered = data[code].astype("boolean")
        row = {"question": code, "label": question_label(code, lang)}
        for name, mask in (
            ("all", answered.notna()),
            ("with", data["amo"].astype("boolean") == True),  # noqa: E712
            ("without", data["amo"].astype("boolean") == False),
        ):  # noqa: E712
            part = answered[mask.fillna(False).astype(bool)].dropna()
            share, low, high = share_ci(int(part.sum()), len(part))
            row.update({f"share_{name}": share, f"ci_low_{name}": low, f"ci_high_{name}": high})
        row["n"] = int(answered.notna().sum())
        rows.append(row)
    if not rows:
        raise FramingError(Message("fe_no_answers"))
    return pd.DataFrame(rows)


def framing_claim(
    data: pd.DataFrame,
    threshold: int = DEFAULT_THRESHOLD,
    covariates=None,
    claim: claims_mod.Claim = FRAMING_CLAIM,
    seed: int = 0,
    lang: str = "en",
) -> pd.DataFrame:
    """The claim check: RR of failure, well framed (score ≥ threshold) vs the others, with a verdict.

    Adjusted for size and type with the practice as a covariate. One-row table: estimate, interval,
    n, verdict (claims.verdict against the claimed 0.5 with null 1) and `note` when not estimable
    (or fitted on a subsample: above `scale.LARGE_N` projects, drawn with `seed`).
    """
    data = with_framing_columns(data, threshold)
    data, note = scale.model_rows(data, seed, Message("note_subject_risk_ratio"))
    covariates = size_type_covariates(data) if covariates is None else list(covariates)
    try:
        rr = risk_ratio(data, WELL_FRAMED, claim.outcome, covariates, adjust_amo=True)
        row = rr.as_row()
        row["verdict"] = claims_mod.verdict(rr.ci_low, rr.ci_high, claim.value, claim.null_value)
    except InputError as exc:
        row = _missing_rr(WELL_FRAMED, claim.outcome, "adjusted + amo", covariates, _reason(exc)).as_row()
        row["verdict"] = claims_mod.INCONCLUSIVE
    row.update({"claim": claim_words(claim, lang), "claimed": claim.value, "threshold": threshold})
    return _add_note(_table([row]), note)


# ---------------------------------------------------------------------------------------------
# The claim's words and the guards of notebook 03's cells
# ---------------------------------------------------------------------------------------------


def claim_words(claim: claims_mod.Claim, lang: str = "en") -> str:
    """The words of a claim in the claims tables: the article's figure or our paraphrase in `lang`
    (from the claims register), as `defaults.DEFAULTS.claim_words` says for that language."""
    if dict(DEFAULTS.claim_words).get(lang) == "paraphrase":
        return dict(claim.paraphrases).get(lang) or claim.text
    return claim.text


def require_framing(data: pd.DataFrame) -> bool:
    """True when the portfolio has framing answers or a framing score; else a sentence saying so."""
    if "framing_score" not in data or data["framing_score"].isna().all():
        raise FramingError(Message("fe_no_framing"))
    return True


@unavailable_on(FramingError)
def framing_data(data: pd.DataFrame) -> pd.DataFrame:
    """`data` when it has framing answers or a score (`require_framing`), else `Unavailable` with the
    sentence: the framing cells of notebook 03 take this and show the reason instead of a result."""
    require_framing(data)
    return data
