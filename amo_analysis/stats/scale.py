"""Large portfolios: which estimators work on a seeded random subsample, and the sentence that says so.

Up to `LARGE_N` projects every estimator uses every project. Above it, the estimators that pass
over every row tens to hundreds of times — iterative fits (quantile regressions, GLMs such as the
framing risk ratios), GMM with numerical derivatives (IPW, AIPW), resampling (bootstrap refits) —
run on a random subsample of `SUBSAMPLE_ROWS` projects drawn with the run's seed. The estimate is
then the subsample's, its interval reflects the subsample's size (wider than the whole portfolio
would give, so conservative, never overstated), and the result's note says so. Counts, shares,
means, outcome quantiles, the raw difference and OLS always use every project.

Separately, above `ANALYTIC_N` projects a bootstrap interval of a simple statistic (a mean, a
difference of means) is replaced by the analytic interval it converges to (t / Welch): the bootstrap
costs thousands of passes over the data (BCa's jackknife is even quadratic) for the same interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from amo_analysis.i18n import Message
from amo_analysis.defaults import DEFAULTS

LARGE_N = DEFAULTS.large_n
SUBSAMPLE_ROWS = DEFAULTS.subsample_rows
ANALYTIC_N = DEFAULTS.analytic_n


def subsample_positions(n: int, seed: int, rows: int = SUBSAMPLE_ROWS) -> np.ndarray:
    """Sorted positions of a seeded random subsample of `rows` of `n` items (all of them when n ≤ rows)."""
    if n <= rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, rows, replace=False))


def subsample_note(what: str, rows: int, n: int, seed: int) -> Message:
    """The sentence a result carries when `what` (the subject, best an `i18n.Message` such as
    `Message("note_subject_quantile")`, so that it is translated with the sentence) was fitted on
    `rows` of `n` projects."""
    return Message("note_subsample", what=what, rows=int(rows), n=int(n), seed=seed)


def model_rows(
    frame: pd.DataFrame, seed: int, what: str, *, limit: int = LARGE_N, rows: int = SUBSAMPLE_ROWS
) -> tuple[pd.DataFrame, Message | None]:
    """`frame` itself when it has at most `limit` rows, else a seeded subsample of `rows` rows (file
    order kept) and the note that says so."""
    if len(frame) <= limit:
        return frame, None
    return frame.iloc[subsample_positions(len(frame), seed, rows)], subsample_note(what, rows, len(frame), seed)
