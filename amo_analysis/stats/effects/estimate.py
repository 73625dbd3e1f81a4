"""`estimate_effect`, the one entry point: checks the method and its options against `REGISTRY`, prepares
the rows (subsampled for the methods that need it), runs the method's fit function and turns any
numerical failure into an `EffectError` sentence."""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
import pandas as pd

from amo_analysis.i18n import Message
from amo_analysis.stats import scale
from amo_analysis.stats.effects.prepare import _alpha, _as_list, _drop_collinear, _expand_covariates, _prepare
from amo_analysis.stats.effects.registry import METHODS, REGISTRY, describe_methods
from amo_analysis.stats.effects.result import EffectError, EffectResult
from amo_analysis.stats.effects.subgroups import SubgroupEffects, estimate_by


def estimate_effect(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Iterable[str] = (),
    method: str = "ols",
    cluster: str | None = None,
    seed: int = 0,
    *,
    conf_level: float = 0.95,
    by: str | None = None,
    **options: Any,
) -> EffectResult | SubgroupEffects:
    """Effect of `treatment` (bool / 0-1 column) on `outcome`, adjusted for `covariates`.

    `method` is one of `METHODS`; `cluster` names a column of cluster labels (cluster-robust
    inference); `seed` fixes every random step; `conf_level` is the two-sided interval level
    (0.95 = 95 %). Options by method, with their defaults (`REGISTRY`):
    {methods}
    Above `scale.LARGE_N` rows, `SUBSAMPLED_METHODS` run on a seeded subsample of
    `scale.SUBSAMPLE_ROWS` rows (their notes say so). Raises EffectError (an InputError) with one
    sentence for any degenerate input.

    `by` names a column to split the rows by: one estimate per level, returned as a `SubgroupEffects`
    (`summary_frame()` one row per level; a level too small to estimate keeps its reason instead of
    raising). Whether the effect differs across levels: `subgroups.interaction_test`.
    """
    if by is not None:
        return estimate_by(
            data,
            outcome,
            treatment,
            by,
            covariates=covariates,
            method=method,
            cluster=cluster,
            seed=seed,
            conf_level=conf_level,
            **options,
        )
    if method not in METHODS:
        raise EffectError(f"Unknown method {method!r}; choose one of: {', '.join(METHODS)}.")
    spec = REGISTRY[method]
    _alpha(conf_level)
    opts = spec.resolve(options)
    covariates = _as_list(covariates)
    extra = None
    if opts.get("propensity_covariates") is not None:
        extra = _as_list(opts["propensity_covariates"])
    subsample_note = None
    if spec.subsampled:
        data, subsample_note = scale.model_rows(data, seed, spec.subsample_words)
    prep = _prepare(
        data, outcome, treatment, covariates if spec.uses_covariates else [], cluster, extra_covariates=extra
    )
    if subsample_note:
        prep.notes.append(subsample_note)
    if covariates and not spec.uses_covariates:
        prep.notes.append(Message("note_covariates_ignored", method=method, covariates=", ".join(covariates)))
    if extra is not None:
        frame = data.loc[prep.index]
        prep.extra = _drop_collinear(_expand_covariates(frame, extra, drop_first=True, notes=prep.notes), prep.notes)
    try:
        with np.errstate(all="ignore"):
            result = spec.fit(prep, outcome, treatment, seed, conf_level, opts)
    except EffectError:
        raise
    except (np.linalg.LinAlgError, ArithmeticError, ValueError) as exc:
        # a numerical failure inside an estimator (singular matrix, overflow, NaN in a solver) is a
        # stated reason, never a traceback
        raise EffectError(
            f"The {method} estimate of '{outcome}' failed numerically ({type(exc).__name__}: {exc})."
        ) from exc
    if not math.isfinite(result.estimate):
        raise EffectError(
            f"The {method} estimate of '{outcome}' is not finite (a numerical failure); the data cannot support it."
        )
    return result


if estimate_effect.__doc__:  # None under python -OO
    estimate_effect.__doc__ = estimate_effect.__doc__.replace("{methods}", describe_methods().replace("\n", "\n    "))
