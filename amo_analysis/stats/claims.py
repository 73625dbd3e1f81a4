"""Published claims and the verdict this portfolio gives them.

A claim states an effect `claimed` against a null (0 for differences and relative changes, 1 for risk
ratios). The verdict compares the 95 % interval [low, high] of this portfolio's estimate with both:

* *supported* — the interval contains the claimed value and excludes the null;
* *inconclusive* — the interval contains both (or there is no interval); the data cannot tell;
* *smaller than claimed* — the interval excludes the claimed value and lies on the null's side of it
  (it may contain the null: a smaller effect, or none);
* *larger than claimed* — the interval lies beyond the claimed value, away from the null;
* *opposite direction* — the whole interval lies on the other side of the null.

"Smaller" and "larger" are in size, in the claim's direction: a −18 % claim is smaller than claimed at
[−10 %, −2 %] and larger at [−40 %, −25 %]. Ratios are compared on the log scale. Nothing is ever
"confirmed": an interval that contains the claim only says the data do not rule it out.

Size: over 600 lines because the verdict rules, the claims register's loader with its one-sentence
validation of a user's claims file, and the claim objects that show themselves in JupyterLab are read
together: a verdict is only as right as the claim the register or the user's file gave it.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from statistics import NormalDist

from amo_analysis.errors import InputError, read_toml_file
from amo_analysis.i18n import Message
from amo_analysis.results_display import ResultDisplay, short

SUPPORTED, INCONCLUSIVE = "supported", "inconclusive"
SMALLER, LARGER, OPPOSITE = "smaller than claimed", "larger than claimed", "opposite direction"
#: every verdict a claim can get, in the order a reader meets them
VERDICTS = (SUPPORTED, SMALLER, LARGER, OPPOSITE, INCONCLUSIVE)
#: for an assumption rather than a claimed effect (see `consistency`)
CONTRADICTED = "contradicted"
#: what leaving one project (or one organisation) out does to a verdict (`analyses.stability`,
#: `analyses.article_stability`): nothing, or it changes the verdict
STABLE, ONE_PROJECT, ONE_ORGANISATION = "stable", "rests on one project", "rests on one organisation"


def stability_message(row) -> Message | None:
    """What leaving one unit out does to a row's verdict, as a `Message` (translated where shown; the
    same words as `report.show_stability.stability_sentence`); None when stable or not tested."""
    kind, verdict = row.get("stability"), Message(str(row.get("decisive_verdict") or INCONCLUSIVE))
    if kind not in (ONE_PROJECT, ONE_ORGANISATION):
        return None
    decisive = [str(u) for u in row.get("decisive") or []]
    if not decisive:
        return Message("loo_hidden", verdict=verdict)
    unit = Message(f"loo_unit_{row.get('decisive_kind') or 'project'}", unit=decisive[0])
    if len(decisive) == 1:
        return Message("loo_one", unit=unit, verdict=verdict)
    return Message("loo_more", unit=unit, verdict=verdict, others=", ".join(decisive[1:]))


@dataclass(frozen=True, repr=False)
class Claim(ResultDisplay):
    """A published figure, on the scale its reading gives it.

    `value` is a fraction. Readings of "−18 % budget drift" (budget drift = actual ÷ planned − 1):
    * "relative": the ratio actual ÷ planned is 18 % lower with the practice, exp(Δ ln ratio) − 1;
    * "pp": budget drift is 18 percentage points lower (a difference of two fractions);
    * "relative_mean": the mean budget drift is 18 % lower (e.g. 25 % → 20.5 %), the adjusted mean
      drift with ÷ without − 1.
    For adoption (a share) "relative" is the ratio of mean adoption − 1 and "pp" the difference in
    points. For risk ratios `reading` is "ratio" and the null value is 1.
    """

    key: str
    text: str
    outcome: str
    value: float
    reading: str
    source: str = "consultancy article (internal data, unpublished method), 24 projects"
    n_projects: int | None = 24
    #: our paraphrase per language, (("en", text), ("fr", text)), for a claim read from a claims file
    paraphrases: tuple[tuple[str, str], ...] = ()

    def _display_title(self) -> str:
        return f"Claim {self.key}"

    def _display_rows(self) -> list[tuple[str, str]]:
        return [
            ("Claimed", f"{self.value:g} (a ratio)" if self.reading == "ratio" else f"{self.value:+.1%}"),
            ("Outcome", f"{self.outcome} ({self.reading} reading)"),
            ("Text", short(self.text, 200)),
            ("Source", self.source),
            ("Projects", "—" if self.n_projects is None else str(self.n_projects)),
        ]

    def _repr_rows(self) -> list[tuple[str, str]]:
        return [(label, short(value, 80)) for label, value in self._display_rows()[:3]]

    @property
    def null_value(self) -> float:
        return 1.0 if self.reading == "ratio" else 0.0


#: the readings of a drift or delay figure, and of an adoption figure (see `Claim`)
DRIFT_READINGS = ("relative", "pp", "relative_mean")
ADOPTION_READINGS = ("relative", "pp")


# --------------------------------------------------------------------------------------------
# The claims register (data: claims_register.toml; a user's file adds or replaces claims)
# --------------------------------------------------------------------------------------------

REGISTER_PATH = Path(__file__).with_name("claims_register.toml")
#: analysis → the outcomes it can compute (None: any column of the portfolio) and the scales it reports
ANALYSES: dict[str, tuple[tuple[str, ...] | None, tuple[str, ...]]] = {
    "effects": (("budget_drift", "schedule_slip", "adoption_m3"), ("relative", "pp", "relative_mean")),
    "framing_rr": (("failed", "failed_or_challenged"), ("ratio",)),
    "pitfall_effect": (None, ("relative", "pp")),
    "pitfall_level": (None, ("fraction",)),
    "pitfall_share": (("failed", "failed_or_challenged"), ("share_of_troubled", "share_of_all")),
    "forecast_margin": (("budget_plus_10pct",), ("chance",)),
    "margin_share": (("budget_plus_10pct",), ("share_of_all",)),
    "roi": (("prevented_per_euro",), ("ratio_of_money",)),
}
SCALES = tuple(dict.fromkeys(s for _, scales in ANALYSES.values() for s in scales))
#: the exposures an analysis knows (an analysis not named here takes any yes/no column of the portfolio)
EXPOSURES: dict[str, tuple[str, ...]] = {
    "effects": ("practice",),
    "framing_rr": ("well_framed",),
    "pitfall_share": ("any_pitfall",),
    "forecast_margin": ("practice", "no_practice"),
    "margin_share": ("all",),
    "roi": ("practice",),
}
TESTS = ("effect", "range", "below", "at_least", "level", "direction")
DIRECTIONS = ("increase", "decrease")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_CLAIM_FIELDS = {
    "key",
    "order",
    "figure",
    "paraphrase_en",
    "paraphrase_fr",
    "source",
    "sample",
    "sample_fr",
    "short_en",
    "short_fr",
    "n_projects",
    "reading",
    "example",
}
#: what a reading states (besides its `name`), in the order tables show it
READING_FIELDS = (
    "analysis",
    "outcome",
    "exposure",
    "scale",
    "test",
    "claimed",
    "claimed_low",
    "claimed_high",
    "direction",
)
_READING_FIELDS = {"name", *READING_FIELDS}


class ClaimsFileError(InputError):
    """A claims file (the register or a user's `--claims FILE`) that breaks the register's format:
    one sentence per error, each naming the file, the claim and the field."""


@dataclass(frozen=True)
class Reading:
    """One testable reading of a claim: the `analysis` that computes it, what it measures (`outcome`,
    `exposure`, `scale`) and what is claimed (`test` with `claimed`, `claimed_low`/`claimed_high` or
    `direction`). `key` = "<claim key>.<name>" (the record is claim.<key>)."""

    claim: str
    name: str
    analysis: str
    outcome: str
    exposure: str
    scale: str
    test: str
    claimed: float | None = None
    claimed_low: float | None = None
    claimed_high: float | None = None
    direction: str | None = None

    @property
    def key(self) -> str:
        return f"{self.claim}.{self.name}"


@dataclass(frozen=True, repr=False)
class RegisteredClaim(ResultDisplay):
    """A claim of the register: where it stands in its source (`order`), the claimed figure in a few
    words (`figure`, English), our paraphrase in English and French, its source and sample (English;
    `sample_fr`, optional, in French), and its readings. `origin` is the file it was read from; `example` holds a worked example's own numbers."""

    key: str
    order: float
    figure: str
    paraphrase_en: str
    paraphrase_fr: str
    source: str
    sample: str
    readings: tuple[Reading, ...]
    n_projects: int | None = None
    example: dict = field(default_factory=dict)
    origin: str = ""
    sample_fr: str = ""
    short_en: str = ""
    short_fr: str = ""

    def _display_title(self) -> str:
        return f"Registered claim {self.key}"

    def _display_rows(self) -> list[tuple[str, str]]:
        return [
            ("Figure", self.figure),
            ("Paraphrase", self.paraphrase_en),
            ("Source", self.source),
            ("Sample", self.sample),
            ("Readings", ", ".join(f"{r.name} ({r.analysis}: {r.test} on {r.outcome})" for r in self.readings)),
            ("Origin", self.origin or "the bundled register"),
        ]

    def _repr_rows(self) -> list[tuple[str, str]]:
        rows = dict(self._display_rows())
        return [("Figure", short(rows["Figure"], 80)), ("Readings", str(len(self.readings)))]

    def summary_frame(self):
        """One row per reading (a pandas DataFrame): key, analysis, outcome, exposure, scale, test,
        claimed, claimed_low, claimed_high, direction (fractions, as the register gives them)."""
        import pandas as pd

        columns = ["analysis", "outcome", "exposure", "scale", "test", "claimed", "claimed_low", "claimed_high"]
        return pd.DataFrame(
            [{"key": r.key, **{c: getattr(r, c) for c in columns}, "direction": r.direction} for r in self.readings]
        )

    def sample_in(self, lang: str = "en") -> str:
        """What the claim rests on, in `lang` (English when the register gives no text in `lang`)."""
        return getattr(self, f"sample_{lang}", None) or self.sample

    def paraphrase(self, lang: str = "en") -> str:
        """Our paraphrase in `lang` (English for a language the register does not hold)."""
        return getattr(self, f"paraphrase_{lang}", None) or self.paraphrase_en

    def short(self, lang: str = "en") -> str:
        """The claim in a few words in `lang` (`short_en`, `short_fr`: a title on the summary page);
        the paraphrase in `lang` when the register gives no short title."""
        return getattr(self, f"short_{lang}", None) or self.paraphrase(lang)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_reading(raw: dict, where: str, errors: list[str]) -> Reading | None:
    before = len(errors)
    unknown = sorted(set(raw) - _READING_FIELDS)
    if unknown:
        errors.append(f"{where}: unknown field '{unknown[0]}' (fields: {', '.join(sorted(_READING_FIELDS))}).")
    for name in ("name", "analysis", "outcome", "exposure", "scale", "test"):
        if not isinstance(raw.get(name), str) or not raw.get(name):
            errors.append(f"{where}: field '{name}' is missing or not a text.")
    if len(errors) > before:
        return None
    if not _NAME.match(raw["name"]):
        errors.append(f"{where}: name {raw['name']!r} must be letters, digits and _ (starting with a letter).")
    analysis = raw["analysis"]
    if analysis not in ANALYSES:
        errors.append(f"{where}: analysis {analysis!r} is not one of {', '.join(ANALYSES)}.")
        return None
    outcomes, scales = ANALYSES[analysis]
    if outcomes is not None and raw["outcome"] not in outcomes:
        errors.append(
            f"{where}: outcome {raw['outcome']!r} cannot be computed by {analysis} (use {', '.join(outcomes)})."
        )
    exposures = EXPOSURES.get(analysis)
    if exposures is not None and raw["exposure"] not in exposures:
        errors.append(f"{where}: exposure {raw['exposure']!r} is not known to {analysis} (use {', '.join(exposures)}).")
    if raw["scale"] not in scales:
        errors.append(f"{where}: scale {raw['scale']!r} is not reported by {analysis} (use {', '.join(scales)}).")
    test = raw["test"]
    if test not in TESTS:
        errors.append(f"{where}: test {test!r} is not one of {', '.join(TESTS)}.")
    elif test == "range":
        low, high = raw.get("claimed_low"), raw.get("claimed_high")
        if not (_number(low) and _number(high)) or low >= high:
            errors.append(f"{where}: a range test needs numbers claimed_low < claimed_high (got {low!r}, {high!r}).")
    elif test == "direction":
        if raw.get("direction") not in DIRECTIONS:
            errors.append(
                f'{where}: a direction test needs direction = "increase" or "decrease" (got {raw.get("direction")!r}).'
            )
    elif not _number(raw.get("claimed")):
        errors.append(f"{where}: test {test!r} needs a number in 'claimed' (got {raw.get('claimed')!r}).")
    elif test == "effect" and raw["scale"] == "ratio" and raw["claimed"] <= 0:
        errors.append(f"{where}: a claimed ratio must be positive (got {raw['claimed']!r}).")
    if len(errors) > before:
        return None
    return Reading(
        claim="",
        name=raw["name"],
        analysis=analysis,
        outcome=raw["outcome"],
        exposure=raw["exposure"],
        scale=raw["scale"],
        test=test,
        claimed=float(raw["claimed"]) if _number(raw.get("claimed")) else None,
        claimed_low=float(raw["claimed_low"]) if _number(raw.get("claimed_low")) else None,
        claimed_high=float(raw["claimed_high"]) if _number(raw.get("claimed_high")) else None,
        direction=raw.get("direction"),
    )


def _check_claim(raw, where: str, origin: str, errors: list[str]) -> RegisteredClaim | None:
    if not isinstance(raw, dict):
        errors.append(f"{where}: a claim must be a table ([[claim]]).")
        return None
    key = raw.get("key")
    if isinstance(key, str) and key:
        where = f"{where} ('{key}')"
    before = len(errors)
    unknown = sorted(set(raw) - _CLAIM_FIELDS)
    if unknown:
        errors.append(f"{where}: unknown field '{unknown[0]}' (fields: {', '.join(sorted(_CLAIM_FIELDS))}).")
    for name in ("key", "figure", "paraphrase_en", "paraphrase_fr", "source", "sample"):
        if not isinstance(raw.get(name), str) or not raw.get(name).strip():
            errors.append(f"{where}: field '{name}' is missing or empty.")
    for optional in ("sample_fr", "short_en", "short_fr"):
        if optional in raw and (not isinstance(raw[optional], str) or not raw[optional].strip()):
            errors.append(f"{where}: field '{optional}' (optional) must be a text that is not empty when given.")
    if isinstance(key, str) and key and not _NAME.match(key):
        errors.append(f"{where}: key {key!r} must be letters, digits and _ (starting with a letter).")
    if not _number(raw.get("order")):
        errors.append(f"{where}: field 'order' (position in the source) must be a number (got {raw.get('order')!r}).")
    n_projects = raw.get("n_projects")
    if n_projects is not None and (not isinstance(n_projects, int) or isinstance(n_projects, bool) or n_projects < 1):
        errors.append(f"{where}: n_projects must be a positive whole number (got {n_projects!r}).")
    example = raw.get("example", {})
    if not isinstance(example, dict) or not all(_number(v) for v in example.values()):
        errors.append(f"{where}: 'example' must be a table of numbers.")
    readings_raw = _tables(raw.get("reading"), f"{where}: a claim needs at least one [[claim.reading]].", errors)
    readings = _distinct(
        _checked_readings(readings_raw, where, errors),
        lambda reading: reading.name,
        lambda label, reading: f"{label}: two readings are named {reading.name!r}.",
        errors,
    )
    if len(errors) > before:
        return None
    return RegisteredClaim(
        key=key,
        order=float(raw["order"]),
        figure=raw["figure"].strip(),
        paraphrase_en=raw["paraphrase_en"].strip(),
        paraphrase_fr=raw["paraphrase_fr"].strip(),
        source=raw["source"].strip(),
        sample=raw["sample"].strip(),
        sample_fr=raw.get("sample_fr", "").strip(),
        short_en=raw.get("short_en", "").strip(),
        short_fr=raw.get("short_fr", "").strip(),
        readings=tuple(replace(r, claim=key) for r in readings),
        n_projects=n_projects,
        example={k: float(v) for k, v in example.items()},
        origin=origin,
    )


def _checked_readings(readings_raw: list, where: str, errors: list[str]):
    """(label, checked reading or None) of each [[claim.reading]] table, in order."""
    for i, r in enumerate(readings_raw, start=1):
        if not isinstance(r, dict):
            errors.append(f"{where}, reading {i}: a reading must be a table ([[claim.reading]]).")
            continue
        label = f"{where}, reading {i}" + (f" ('{r['name']}')" if isinstance(r.get("name"), str) else "")
        yield label, _check_reading(r, label, errors)


def _tables(value, missing: str, errors: list[str]) -> list:
    """The tables of an array field ([[claim]], [[claim.reading]]); none, with the error `missing`,
    when it is absent, empty or not an array."""
    if not isinstance(value, list) or not value:
        errors.append(missing)
        return []
    return value


def _distinct(checked, name_of, twice, errors: list[str]) -> list:
    """The items of `checked`, (label, item) pairs read in order (item None: it had errors and is
    left out); an item named (`name_of`) as an earlier one adds the error `twice(label, item)`."""
    items, seen = [], set()
    for label, item in checked:
        if item is None:
            continue
        if name_of(item) in seen:
            errors.append(twice(label, item))
        seen.add(name_of(item))
        items.append(item)
    return items


def read_claims_file(path: str | os.PathLike) -> tuple[RegisteredClaim, ...]:
    """The claims of one TOML file in the register's format (see claims_register.toml), validated.

    Raises `ClaimsFileError` listing every error, one sentence each (file, claim, reading, field)."""
    path = Path(path)
    name = path.name
    raw = read_toml_file(path, "claims file", ClaimsFileError)
    errors: list[str] = []
    unknown = sorted(set(raw) - {"schema", "claim"})
    if unknown:
        errors.append(f"{name}: unknown top-level field '{unknown[0]}' (expected schema and [[claim]] tables).")
    if raw.get("schema", 1) != 1:
        errors.append(f"{name}: schema {raw.get('schema')!r} is not supported (use schema = 1).")
    entries = _tables(raw.get("claim"), f"{name}: no [[claim]] table found.", errors)
    claims = _distinct(
        (
            (f"{name}, claim {i}", _check_claim(entry, f"{name}, claim {i}", name, errors))
            for i, entry in enumerate(entries, start=1)
        ),
        lambda claim: claim.key,
        lambda label, claim: f"{label} ('{claim.key}'): the key {claim.key!r} is used twice in this file.",
        errors,
    )
    if errors:
        count = f"{len(errors)} problem{'s' if len(errors) > 1 else ''}"
        raise ClaimsFileError(f"{count} in claims file {path}:\n" + "\n".join(f"- {e}" for e in errors))
    return tuple(claims)


@lru_cache(maxsize=8)
def _register_cached(extra: str | None, _stamp: int | None) -> tuple[RegisteredClaim, ...]:
    claims = {c.key: c for c in read_claims_file(REGISTER_PATH)}
    if extra:
        for c in read_claims_file(extra):
            claims[c.key] = c  # a user's claim adds to the register, or replaces the claim of the same key
    return tuple(sorted(claims.values(), key=lambda c: c.order))


def load_register(extra: str | os.PathLike | None = None) -> tuple[RegisteredClaim, ...]:
    """The claims register in the order of its source (`order`), with the claims of a user's file
    `extra` (same format) added or replacing those of the same key. Raises `ClaimsFileError`."""
    if not extra:
        return _register_cached(None, None)
    path = Path(extra).resolve()
    stamp = path.stat().st_mtime_ns if path.is_file() else None  # an edited file is read again
    return _register_cached(str(path), stamp)


def registered(key: str, extra: str | os.PathLike | None = None) -> RegisteredClaim:
    """The claim `key` of the register (with `extra`, as `load_register`)."""
    for c in load_register(extra):
        if c.key == key:
            return c
    raise ClaimsFileError(f"the claims register has no claim {key!r}.")


def registered_reading(key: str, extra: str | os.PathLike | None = None) -> Reading:
    """The reading "<claim>.<name>" of the register."""
    claim_key, _, name = key.partition(".")
    for r in registered(claim_key, extra).readings:
        if r.name == name:
            return r
    raise ClaimsFileError(f"the claims register has no reading {key!r}.")


def as_claim(claim: RegisteredClaim, reading: Reading) -> Claim:
    """The `Claim` (one figure on one reading) the effects and framing checks work with."""
    scale_as_reading = {"relative": "relative", "pp": "pp", "relative_mean": "relative_mean", "ratio": "ratio"}
    value = reading.claimed
    if reading.test == "range":
        value = (reading.claimed_low + reading.claimed_high) / 2
    return Claim(
        reading.key,
        claim.figure,
        reading.outcome,
        float("nan") if value is None else value,
        scale_as_reading.get(reading.scale, "level"),
        source=f"{claim.source}, {claim.sample}",
        n_projects=claim.n_projects,
        paraphrases=(("en", claim.paraphrase_en), ("fr", claim.paraphrase_fr)),
    )


def effect_claims(extra: str | os.PathLike | None = None) -> tuple[Claim, ...]:
    """Every reading of the register the effects analysis computes (`analysis = "effects"`), as
    `Claim`s in the register's order: the claims check of notebook 02."""
    return tuple(as_claim(c, r) for c in load_register(extra) for r in c.readings if r.analysis == "effects")


# The AMO claims of the consultancy article, each under every reading its sentence allows (from the register).
AMO_CLAIMS: tuple[Claim, ...] = effect_claims()


def _finite(*values) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def verdict(ci_low: float | None, ci_high: float | None, claimed: float, null: float = 0.0) -> str:
    """The verdict (module docstring) for an interval against a claimed value and the null.
    `null` = 1 means a ratio: the comparison is then made on the log scale (values must be > 0)."""
    if not _finite(ci_low, ci_high, claimed) or claimed == null:
        return INCONCLUSIVE
    if null == 1.0:
        if min(ci_low, ci_high, claimed) <= 0:
            return INCONCLUSIVE
        ci_low, ci_high, claimed, null = math.log(ci_low), math.log(ci_high), math.log(claimed), 0.0
    # distance from the null in the claim's direction: the claim sits at c > 0
    sign = 1.0 if claimed > null else -1.0
    low, high = sorted(((ci_low - null) * sign, (ci_high - null) * sign))
    c = (claimed - null) * sign
    if low <= c <= high:
        return SUPPORTED if low > 0 else INCONCLUSIVE
    if high < c:
        return OPPOSITE if high < 0 else SMALLER
    return LARGER


def range_verdict(ci_low: float, ci_high: float, claimed_low: float, claimed_high: float, null: float = 0.0) -> str:
    """Verdict for a claimed range [claimed_low, claimed_high] on one side of the null: supported when
    the interval overlaps the range and excludes the null, inconclusive when it overlaps the range
    and holds the null, otherwise smaller / larger than claimed or opposite direction as for
    `verdict` (smaller: the interval lies between the null and the range)."""
    if not _finite(ci_low, ci_high):
        return INCONCLUSIVE
    lowest, highest = sorted((claimed_low, claimed_high))
    if ci_high < lowest or ci_low > highest:  # the interval misses the whole range
        near, far = sorted((claimed_low, claimed_high), key=lambda v: abs(v - null))
        on_null_side = (ci_high < lowest) == (lowest > null)
        return verdict(ci_low, ci_high, near if on_null_side else far, null)
    return INCONCLUSIVE if ci_low <= null <= ci_high else SUPPORTED


def below_verdict(ci_low: float, ci_high: float, bound: float) -> str:
    """Verdict for "the level is below `bound`": supported when the whole interval is below it,
    larger than claimed when the whole interval is at or above it, inconclusive otherwise."""
    if not _finite(ci_low, ci_high):
        return INCONCLUSIVE
    if ci_high < bound:
        return SUPPORTED
    if ci_low >= bound:
        return LARGER
    return INCONCLUSIVE


CONSISTENT = "consistent"


def consistency(ci_low: float | None, ci_high: float | None, assumed: float) -> str:
    """For an assumption rather than an effect: *consistent* when the interval contains the assumed
    value, *contradicted* when it excludes it, *inconclusive* when there is no interval."""
    if ci_low is None or ci_high is None or not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return INCONCLUSIVE
    return CONSISTENT if ci_low <= assumed <= ci_high else CONTRADICTED


def at_least_verdict(ci_low: float, ci_high: float, bound: float) -> str:
    """Verdict for "the level is at least `bound`" (the mirror of `below_verdict`): supported when the
    whole interval is at or above it, smaller than claimed when the whole interval is below it,
    inconclusive otherwise."""
    if not _finite(ci_low, ci_high):
        return INCONCLUSIVE
    if ci_low >= bound:
        return SUPPORTED
    if ci_high < bound:
        return SMALLER
    return INCONCLUSIVE


def level_verdict(ci_low: float, ci_high: float, claimed: float) -> str:
    """Verdict for "the level is `claimed`" (a share, a mean): smaller / larger than claimed when the
    interval lies wholly below / above it; supported when it contains it (the data do not rule it
    out: nothing is ever confirmed); inconclusive without an interval. A level has no "no effect"
    value, so no opposite direction."""
    if not _finite(ci_low, ci_high, claimed):
        return INCONCLUSIVE
    if ci_high < claimed:
        return SMALLER
    if ci_low > claimed:
        return LARGER
    return SUPPORTED


def direction_verdict(ci_low: float, ci_high: float, direction: str, null: float = 0.0) -> str:
    """Verdict for a claim that states only a direction ("increase" or "decrease" from `null`):
    supported when the interval excludes the null on the claimed side, opposite direction when it
    excludes it on the other side, inconclusive when it contains it (or there is no interval)."""
    if not _finite(ci_low, ci_high):
        return INCONCLUSIVE
    sign = 1.0 if direction == "increase" else -1.0
    low, high = sorted(((ci_low - null) * sign, (ci_high - null) * sign))
    if low > 0:
        return SUPPORTED
    if high < 0:
        return OPPOSITE
    return INCONCLUSIVE


#: the "no effect" value of each scale (None: a level, which has none)
NULL_OF_SCALE = {"relative": 0.0, "pp": 0.0, "relative_mean": 0.0, "ratio": 1.0, "ratio_of_money": 0.0}


def reading_verdict(reading: Reading, ci_low: float | None, ci_high: float | None) -> str:
    """The verdict of one register reading for the 95 % interval [ci_low, ci_high] on its scale."""
    low = ci_low if ci_low is not None and math.isfinite(ci_low) else None
    high = ci_high if ci_high is not None and math.isfinite(ci_high) else None
    if low is None or high is None:
        return INCONCLUSIVE
    null = NULL_OF_SCALE.get(reading.scale, 0.0)
    if reading.test == "effect":
        return verdict(low, high, reading.claimed, null)
    if reading.test == "range":
        return range_verdict(low, high, reading.claimed_low, reading.claimed_high, null)
    if reading.test == "below":
        return below_verdict(low, high, reading.claimed)
    if reading.test == "at_least":
        return at_least_verdict(low, high, reading.claimed)
    if reading.test == "level":
        return level_verdict(low, high, reading.claimed)
    return direction_verdict(low, high, reading.direction, null)


def projects_needed_from_interval(
    n: int,
    ci_low: float,
    ci_high: float,
    target: float,
    reference: float,
    log_scale: bool = False,
    alpha: float = 0.05,
    power: float = 0.8,
) -> int | None:
    """Projects needed for a 95 % interval to tell `target` from `reference` with the given power,
    scaling today's interval: its standard error is (high − low) / (2 z₀.₉₇₅) on the estimate's scale
    (the log scale when `log_scale`, for ratios) and shrinks as 1/√n, so
    n_needed = n · ((z₁₋α/₂ + z_power) · SE / |target − reference|)². A normal approximation for
    readings without a model-based power calculation (shares, quantile regressions, ratios); None
    when it cannot be computed (no interval, or target = reference)."""
    if not _finite(ci_low, ci_high, target, reference) or n < 1:
        return None
    if log_scale:
        if min(ci_low, ci_high, target, reference) <= 0:
            return None
        ci_low, ci_high, target, reference = (math.log(v) for v in (ci_low, ci_high, target, reference))
    z = NormalDist().inv_cdf(0.975)
    se = abs(ci_high - ci_low) / (2 * z)
    distance = abs(target - reference)
    if se <= 0 or distance == 0:
        return None
    z_total = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    return int(math.ceil(n * (z_total * se / distance) ** 2 - 1e-9))


def as_claim_of(reading_key: str, extra: str | os.PathLike | None = None) -> Claim:
    """`as_claim` of the register's reading "<claim>.<name>"."""
    return as_claim(registered(reading_key.partition(".")[0], extra), registered_reading(reading_key, extra))
