"""The claims register (stats/claims_register.toml) and a user's claims file: schema, validation with one
sentence per error, adding and replacing claims; the verdicts and the projects-needed formula of the new
readings (a textbook worked example, and simulations of their size and coverage)."""

import math
import textwrap

import numpy as np
import pytest
from scipy import stats

from amo_analysis.stats import claims as claims_mod
from amo_analysis.stats.claims import (
    INCONCLUSIVE,
    LARGER,
    OPPOSITE,
    SMALLER,
    SUPPORTED,
    ClaimsFileError,
    at_least_verdict,
    direction_verdict,
    level_verdict,
    load_register,
    projects_needed_from_interval,
    read_claims_file,
)

USER_CLAIM = """
schema = 1

[[claim]]
key = "rival_budget"
order = 2.5
figure = "rival: −30 % budget drift"
paraphrase_en = "A rival firm says its clients overrun their budgets 30 % less."
paraphrase_fr = "Un cabinet concurrent affirme que ses clients dérivent 30 % de moins sur le budget."
source = "rival brochure, 2025"
sample = "unstated"

  [[claim.reading]]
  name = "relative"
  analysis = "effects"
  outcome = "budget_drift"
  exposure = "practice"
  scale = "relative"
  test = "effect"
  claimed = -0.30
"""


def write(tmp_path, text, name="claims.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_register_holds_every_claim_of_the_article_in_its_order():
    register = load_register()
    keys = [c.key for c in register]
    assert keys[0] == "pitfalls_70pct" and keys[-1] == "roi_example"
    assert {
        "amo_budget_drift",
        "amo_delay",
        "amo_adoption",
        "scope_creep_drift",
        "poor_requirements_adoption",
        "no_sponsor_slip",
        "integrator_lockin_cost",
        "late_change_mgmt_adoption",
        "framing_failure_rr",
        "margin_10pct",
    } <= set(keys)
    assert [c.order for c in register] == sorted(c.order for c in register) and len(set(keys)) == len(keys)
    for claim in register:
        assert claim.paraphrase("en") != claim.paraphrase("fr") and claim.source and claim.sample and claim.readings
        for reading in claim.readings:
            assert reading.analysis in claims_mod.ANALYSES and reading.scale in claims_mod.SCALES
            assert reading.test in claims_mod.TESTS


def test_todays_claims_keep_their_values_from_the_register():
    claims = {c.key: c for c in claims_mod.AMO_CLAIMS}
    assert {k: (c.value, c.outcome, c.reading) for k, c in claims.items()} == {
        "amo_budget_drift.relative": (-0.18, "budget_drift", "relative"),
        "amo_budget_drift.pp": (-0.18, "budget_drift", "pp"),
        "amo_budget_drift.relative_mean": (-0.18, "budget_drift", "relative_mean"),
        "amo_delay.relative": (-0.16, "schedule_slip", "relative"),
        "amo_delay.pp": (-0.16, "schedule_slip", "pp"),
        "amo_delay.relative_mean": (-0.16, "schedule_slip", "relative_mean"),
        "amo_adoption.relative": (0.26, "adoption_m3", "relative"),
        "amo_adoption.pp": (0.26, "adoption_m3", "pp"),
    }
    assert claims_mod.registered_reading("scope_creep_drift.relative").claimed_low == 0.20
    assert claims_mod.registered("roi_example").example["total_without"] == 95_000


def test_a_user_file_adds_a_claim_and_replaces_one_of_the_same_key(tmp_path):
    path = write(tmp_path, USER_CLAIM)
    register = load_register(path)
    keys = [c.key for c in register]
    assert keys.index("rival_budget") == keys.index("amo_budget_drift") + 1  # order 2.5: between 2 and 3
    assert "rival_budget.relative" in {c.key for c in claims_mod.effect_claims(path)}
    assert register[keys.index("rival_budget")].origin == "claims.toml"
    replaced = write(tmp_path, USER_CLAIM.replace('"rival_budget"', '"amo_delay"'), "replace.toml")
    delay = claims_mod.registered("amo_delay", replaced)
    assert [r.claimed for r in delay.readings] == [-0.30] and delay.source == "rival brochure, 2025"
    assert claims_mod.registered("amo_delay").source != delay.source  # the register itself is untouched


def test_the_sample_is_shown_in_french_when_given_and_in_english_otherwise(tmp_path):
    register = {c.key: c for c in load_register()}
    assert register["amo_budget_drift"].sample_in("en") == "24 projects of the consultancy's clients"
    assert register["amo_budget_drift"].sample_in("fr") == "24 projets de clients du cabinet"
    assert all(c.sample_fr and c.sample_fr != c.sample for c in register.values())
    rival = claims_mod.registered("rival_budget", write(tmp_path, USER_CLAIM))
    assert rival.sample_fr == "" and rival.sample_in("fr") == "unstated"
    french = USER_CLAIM.replace('sample = "unstated"', 'sample = "unstated"\nsample_fr = "non précisé"')
    assert claims_mod.registered("rival_budget", write(tmp_path, french, "fr.toml")).sample_in("fr") == "non précisé"
    empty = USER_CLAIM.replace('sample = "unstated"', 'sample = "unstated"\nsample_fr = " "')
    with pytest.raises(ClaimsFileError, match="field 'sample_fr' \\(optional\\) must be a text"):
        read_claims_file(write(tmp_path, empty, "empty.toml"))


def test_a_user_file_with_errors_gets_one_sentence_per_error(tmp_path):
    broken = (
        USER_CLAIM.replace("order = 2.5", 'order = "second"')
        .replace(
            'paraphrase_fr = "Un cabinet concurrent affirme que ses clients dérivent 30 % de moins sur le budget."\n',
            "",
        )
        .replace('analysis = "effects"', 'analysis = "magic"')
        + '\n[[claim]]\nkey = "two words"\n'
    )
    path = write(tmp_path, broken)
    with pytest.raises(ClaimsFileError) as caught:
        read_claims_file(path)
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("11 problems in claims file") and str(path) in lines[0]
    sentences = lines[1:]
    assert len(sentences) == 11 and all(s.startswith("- claims.toml, claim ") for s in sentences)
    assert sum("claim 2 ('two words'): field" in s and "is missing or empty" in s for s in sentences) == 5
    text = "\n".join(sentences)
    assert "claim 1 ('rival_budget'): field 'paraphrase_fr' is missing or empty." in text
    assert "field 'order' (position in the source) must be a number (got 'second')" in text
    assert "reading 1 ('relative'): analysis 'magic' is not one of effects, framing_rr" in text
    assert "claim 2 ('two words'): key 'two words' must be letters, digits and _" in text
    assert "claim 2 ('two words'): a claim needs at least one [[claim.reading]]." in text


@pytest.mark.parametrize(
    "replace, says",
    [
        (('test = "effect"', 'test = "range"'), "a range test needs numbers claimed_low < claimed_high"),
        (('test = "effect"', 'test = "direction"'), 'a direction test needs direction = "increase" or "decrease"'),
        (('scale = "relative"', 'scale = "share_of_all"'), "scale 'share_of_all' is not reported by effects"),
        (('outcome = "budget_drift"', 'outcome = "happiness"'), "outcome 'happiness' cannot be computed by effects"),
        (("claimed = -0.30", 'claimed = "a lot"'), "test 'effect' needs a number in 'claimed' (got 'a lot')"),
        (("claimed = -0.30", "claimed = -0.30\n  colour = 1"), "unknown field 'colour'"),
        (('exposure = "practice"', 'exposure = "luck"'), "exposure 'luck' is not known to effects (use practice)"),
    ],
)
def test_each_reading_error_is_named(tmp_path, replace, says):
    path = write(tmp_path, USER_CLAIM.replace(*replace))
    with pytest.raises(ClaimsFileError, match="1 problem in claims file") as caught:
        read_claims_file(path)
    assert says in str(caught.value)
    assert "claims.toml, claim 1 ('rival_budget'), reading 1 ('relative')" in str(caught.value)


def test_files_that_cannot_be_read(tmp_path):
    with pytest.raises(ClaimsFileError, match="does not exist"):
        read_claims_file(tmp_path / "nowhere.toml")
    with pytest.raises(ClaimsFileError, match=r"claims\.toml, line 1: TOML syntax error"):
        read_claims_file(write(tmp_path, "[[claim]\nkey = 1"))
    with pytest.raises(ClaimsFileError, match=r"no \[\[claim\]\] table found"):
        read_claims_file(write(tmp_path, "schema = 1\n"))
    with pytest.raises(ClaimsFileError, match="neither UTF-8 nor Windows-1252"):
        read_claims_file(tmp_path.joinpath("bad.toml").write_bytes(b"key = '\x81'") and tmp_path / "bad.toml")


def test_a_claims_file_saved_by_notepad_is_read(tmp_path):
    ansi = tmp_path / "ansi.toml"  # Notepad's "ANSI" (cp1252) with CRLF line ends
    ansi.write_bytes(USER_CLAIM.replace("−", "-").replace("\n", "\r\n").encode("cp1252"))
    bom = tmp_path / "bom.toml"
    bom.write_bytes(USER_CLAIM.encode("utf-8-sig"))
    for path in (ansi, bom):
        (claim,) = read_claims_file(path)
        assert claim.paraphrase("fr").startswith("Un cabinet concurrent affirme que ses clients dérivent")


@pytest.mark.parametrize(
    "low, high, expected",
    [(0.82, 0.95, SUPPORTED), (0.5, 0.7, SMALLER), (0.7, 0.9, INCONCLUSIVE), (float("nan"), 0.9, INCONCLUSIVE)],
)
def test_at_least_verdict(low, high, expected):
    assert at_least_verdict(low, high, 0.8) == expected


@pytest.mark.parametrize(
    "low, high, expected",
    [(0.6, 0.8, SUPPORTED), (0.4, 0.65, SMALLER), (0.75, 0.9, LARGER), (None, 0.9, INCONCLUSIVE)],
)
def test_level_verdict(low, high, expected):
    assert level_verdict(low, high, 0.7) == expected


@pytest.mark.parametrize(
    "low, high, direction, null, expected",
    [
        (0.02, 0.2, "increase", 0.0, SUPPORTED),
        (-0.2, -0.02, "increase", 0.0, OPPOSITE),
        (-0.1, 0.1, "increase", 0.0, INCONCLUSIVE),
        (-0.2, -0.02, "decrease", 0.0, SUPPORTED),
        (1.1, 1.5, "decrease", 1.0, OPPOSITE),
    ],
)
def test_direction_verdict(low, high, direction, null, expected):
    assert direction_verdict(low, high, direction, null) == expected


def test_projects_needed_matches_the_textbook_sample_size():
    # Chow, Shao & Wang, "Sample Size Calculations in Clinical Research" (2008), §3.1.1: a one-sample
    # test of a mean needs n = (z_{α/2} + z_β)² σ² / δ²; σ = 1, δ = 0.2, α = 0.05, 80 % power → 196.2 → 197.
    n, sigma, delta = 100, 1.0, 0.2
    half = stats.norm.ppf(0.975) * sigma / math.sqrt(n)
    assert projects_needed_from_interval(n, 0.05 - half, 0.05 + half, delta, 0.0) == 197
    # the same on the log scale of a ratio: ln(1.5) from ln(1)
    low, high = math.exp(-half), math.exp(half)
    expected = math.ceil(
        n * ((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * sigma / math.sqrt(n) / math.log(1.5)) ** 2
    )
    assert projects_needed_from_interval(n, low, high, 1.5, 1.0, log_scale=True) == expected
    assert projects_needed_from_interval(n, float("nan"), 1.0, 0.2, 0.0) is None
    assert projects_needed_from_interval(n, 0.1, 0.3, 0.2, 0.2) is None


def test_size_and_coverage_of_the_new_verdicts_by_simulation():
    """On 4 000 simulated samples of 30 (t intervals): a direction claim is 'supported' by chance about
    2.5 % of the time when there is no effect; a true level is 'supported' about 95 % of the time; a
    true level exactly at an 'at least' bound is 'supported' about 2.5 % of the time."""
    rng = np.random.default_rng(2026)
    samples = rng.normal(0.0, 1.0, size=(4000, 30))
    means, se = samples.mean(axis=1), samples.std(axis=1, ddof=1) / math.sqrt(30)
    half = stats.t.ppf(0.975, 29) * se
    lows, highs = means - half, means + half
    direction = np.mean([direction_verdict(lo, hi, "increase") == SUPPORTED for lo, hi in zip(lows, highs)])
    level = np.mean([level_verdict(lo, hi, 0.0) == SUPPORTED for lo, hi in zip(lows, highs)])
    at_least = np.mean([at_least_verdict(lo, hi, 0.0) == SUPPORTED for lo, hi in zip(lows, highs)])
    assert 0.015 < direction < 0.035
    assert 0.935 < level < 0.965
    assert 0.015 < at_least < 0.035
