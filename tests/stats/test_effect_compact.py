"""amo_analysis.stats.effects.compact: a kept fit's design held in narrow numbers, read back bit for bit."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pandas as pd
import pytest

from amo_analysis.stats.effects import (
    CompactDesign,
    compact_design,
    estimate_effect,
    expanded_design,
    slim_kept_fit,
)
from amo_analysis.stats.effects.compact import held_design
from amo_analysis.stats.survival import fit_lognormal_aft


def _bits(X: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(X).view(np.int64)


def _memory(X: np.ndarray) -> np.ndarray:
    """The array that owns `X`'s memory (a view keeps it alive)."""
    while isinstance(X.base, np.ndarray):
        X = X.base
    return X


def design(n: int = 500, order: str = "C", seed: int = 3) -> np.ndarray:
    """A design shaped like the effects notebook's: a constant, the practice, a continuous covariate,
    a 1–5 score and dummies."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [
            np.ones(n),
            rng.random(n) < 0.4,
            rng.lognormal(11, 1, n),
            rng.integers(1, 6, n),
            *(rng.random((n, 8)) < 0.25).T,
        ]
    ).astype(float)
    return np.asarray(X, order=order)


@pytest.mark.parametrize("order", ["C", "F"])
def test_a_compact_design_gives_back_the_same_bits_in_the_same_layout_in_a_quarter_of_the_memory(order):
    X = design(order=order)
    compact = CompactDesign(X)
    back = compact.expand()
    assert np.array_equal(_bits(back), _bits(X)) and back.flags[f"{order}_CONTIGUOUS"]
    assert [c.dtype.name if c.ndim else "constant" for c in compact.columns] == [
        "constant",
        "int8",
        "float64",
        *["int8"] * 9,
    ]
    assert compact.nbytes < X.nbytes / 4 and compact.equals(X)
    assert back is not compact.expand()  # a new array each call: the caller may write into it
    assert "CompactDesign(500 × 12" in repr(compact)


def test_only_columns_that_convert_back_to_the_same_64_bits_are_narrowed():
    """−0.0 (equal to 0.0 but another bit pattern), NaN, whole numbers beyond int8, fractions and a
    column of one value repeated but for its sign are kept as float64; an empty design round-trips."""
    n = 6
    X = np.column_stack(
        [
            [0.0, 1.0, -0.0, 1.0, 0.0, 1.0],  # −0.0 in a dummy
            [1.0, np.nan, 0.0, 1.0, 0.0, 1.0],
            [200.0, 3.0, 1.0, 0.0, 2.0, 5.0],  # beyond int8
            [0.5, 1.0, 2.0, 3.0, 4.0, 5.0],
            [0.0, -0.0, 0.0, 0.0, 0.0, 0.0],  # one value but for its sign: not a constant
            [-3.0, 127.0, -128.0, 0.0, 1.0, 2.0],  # the int8 range's ends
            [np.nan] * n,  # one NaN repeated: a constant
        ]
    )
    compact = CompactDesign(X)
    kinds = [c.dtype.name if c.ndim else "constant" for c in compact.columns]
    assert kinds == ["float64", "float64", "float64", "float64", "float64", "int8", "constant"]
    assert np.array_equal(_bits(compact.expand()), _bits(X))
    assert not compact.equals(X + 1) and not compact.equals(X[:, :3]) and not compact.equals(X.astype(np.float32))
    empty = CompactDesign(np.empty((0, 3)))
    assert empty.expand().shape == (0, 3)
    with pytest.raises(ValueError, match="2-D float64"):
        CompactDesign(np.ones(3))


def _data(n=400, seed=6):
    rng = np.random.default_rng(seed)
    kind = rng.choice(["a", "b", "c"], n)
    t = rng.random(n) < 0.45
    x = rng.normal(size=n)
    y = 0.3 * t + x + 0.2 * (kind == "b") + rng.normal(size=n)
    return pd.DataFrame({"y": y, "y2": 3 * y - 1, "t": t, "x": x, "kind": kind})


def test_a_compacted_ols_fit_frees_its_design_and_gives_the_same_numbers():
    data = _data()
    res = estimate_effect(data, "y", "t", ["x", "kind"], method="ols")
    fit, model = res.model, res.model.model
    before = {
        "exog": model.exog.copy(),
        "resid": fit.resid.copy(),
        "hc3": fit.HC3_se.copy(),
        "summary": [str(table) for table in fit.summary().tables[1:]],  # [0] holds the date and time
        "names": list(model.exog_names),
    }
    fit._results._cache.clear()
    alive = weakref.ref(_memory(model.exog))
    compact = compact_design(model)  # a model alone (an OLS fit's results hold no design)
    gc.collect()
    assert alive() is None, "the float64 design is still held somewhere"
    assert "exog" not in model.__dict__ and "exog" not in model.data.__dict__
    assert isinstance(model, type(model).__mro__[1]) and type(model).__name__ == "LeanOLS"
    assert held_design(model) is compact and compact_design(model) is None  # compacted once
    # every read gives the design back: the model's, its data's, statsmodels' methods
    assert np.array_equal(_bits(model.exog), _bits(before["exog"]))
    assert np.array_equal(_bits(model.wexog), _bits(before["exog"]))
    assert np.array_equal(_bits(model.data.orig_exog), _bits(before["exog"]))
    assert np.array_equal(fit.resid, before["resid"]) and np.array_equal(fit.HC3_se, before["hc3"])
    assert [str(table) for table in fit.summary().tables[1:]] == before["summary"]  # coefficients, cond. no.
    assert list(model.exog_names) == before["names"]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        model.nothing  # noqa: B018 (the class's own missing-attribute error, as before)
    again = estimate_effect(data, "y", "t", ["x", "kind"], method="ols")
    assert res.to_dict() == again.to_dict()


def test_a_compacted_aft_gives_back_its_design_frame_and_the_same_scores():
    """The censored AFT is built on a frame over a column-major design: `orig_exog` comes back a
    frame (same columns and index), `exog` column-major, the scores and Hessian the same floats."""
    rng = np.random.default_rng(9)
    n = 300
    X = np.column_stack([np.ones(n), rng.random(n) < 0.5, rng.normal(size=n), rng.integers(1, 6, n)]).astype(float)
    ratio = np.exp(X @ [0.1, -0.2, 0.3, 0.05] + 0.4 * rng.normal(size=n))
    observed = rng.random(n) < 0.8
    res = fit_lognormal_aft(ratio, observed, np.asfortranarray(X), exog_names=["const", "t", "x", "score"])
    model, params = res.model, np.asarray(res.params)
    frame = model.data.orig_exog.copy()
    scores, hessian = model.score_obs(params), model.hessian(params)
    alive = weakref.ref(_memory(model.exog))
    assert res.exog is model.exog  # statsmodels' likelihood results keep the design too
    compact_design(res)
    gc.collect()
    assert alive() is None, "the float64 design is still held somewhere"
    assert "exog" not in model.__dict__ and "orig_exog" not in model.data.__dict__ and "exog" not in res.__dict__
    assert held_design(res) is held_design(model) is not None
    assert model.exog.flags.f_contiguous and np.array_equal(_bits(model.exog), _bits(X))
    assert np.array_equal(_bits(res.exog), _bits(X))
    pd.testing.assert_frame_equal(model.data.orig_exog, frame, check_exact=True)
    assert np.array_equal(model.score_obs(params), scores) and np.array_equal(model.hessian(params), hessian)
    with expanded_design(res) as held:
        assert model.exog is held and model.data.exog is held and res.exog is held and model.exog is model.exog
        assert np.shares_memory(model.data.orig_exog.to_numpy(), held)
        with expanded_design(res) as inner:  # nested: the outer block's array
            assert inner is held
        assert model.exog is held
        assert np.array_equal(model.score_obs(params), scores)
    assert "exog" not in model.__dict__ and model.exog is not model.exog  # given back after the block


def test_expanded_design_of_a_model_never_compacted_changes_nothing():
    res = estimate_effect(_data(), "y", "t", ["x"], method="ols")
    X = res.model.model.exog
    with expanded_design(res.model.model) as held:
        assert held is None and res.model.model.exog is X
    assert res.model.model.exog is X


def test_kept_fits_of_outcomes_on_the_same_rows_hold_one_compact_design():
    """`slim_kept_fit` compacts each kept fit's design, one compact copy for outcomes measured on the
    same rows (equal designs), and each reads back as its own design."""
    data = _data(300)
    data["y3"] = data["y"].where(data.index % 5 != 0)  # other rows: another design
    first = estimate_effect(data, "y", "t", ["x", "kind"], method="ols")
    second = estimate_effect(data, "y2", "t", ["x", "kind"], method="ols")
    third = estimate_effect(data, "y3", "t", ["x", "kind"], method="ols")
    designs = [res.model.model.exog.copy() for res in (first, second, third)]
    kept = [first, second, third]
    for res in kept:
        slim_kept_fit(res, kept)
    compacts = [held_design(res.model.model) for res in kept]
    assert compacts[0] is compacts[1] and compacts[2] is not compacts[0] and None not in compacts
    for res, X in zip(kept, designs):
        assert np.array_equal(_bits(res.model.model.exog), _bits(X))


def test_a_compacted_fit_pickles_as_the_plain_fit_with_its_design():
    """statsmodels' `save` and `copy.deepcopy` pickle a fit: a compacted one comes back as the plain
    class holding its design, with the same numbers."""
    import copy
    import pickle

    res = estimate_effect(_data(), "y", "t", ["x", "kind"], method="ols")
    X, hc3 = res.model.model.exog.copy(), res.model.HC3_se.copy()
    compact_design(res.model)
    back = pickle.loads(pickle.dumps(res.model))
    model = back.model
    assert held_design(model) is None and type(model).__mro__[1].__name__ == "OLS"
    assert np.array_equal(_bits(model.__dict__["exog"]), _bits(X)) and np.array_equal(back.HC3_se, hc3)
    twin = copy.deepcopy(res.model.model)
    assert held_design(twin) is None and np.array_equal(_bits(twin.exog), _bits(X))
    assert held_design(res.model) is not None  # the original stays compact
    # a model made from a compacted one's class (as the AFT's leave-one-organisation-out does) is plain
    sibling = type(res.model.model)(res.model.model.endog[:50], X[:50])
    assert held_design(sibling) is None and np.array_equal(pickle.loads(pickle.dumps(sibling)).exog, X[:50])
