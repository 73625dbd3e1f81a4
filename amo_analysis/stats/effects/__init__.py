"""Treatment-effect estimators with intervals: one entry point, `estimate_effect`, for any DataFrame.

Definitions used throughout (units are those of the outcome column unless stated):

* effect = treated − control. `estimate` is in outcome units for scale "difference", a fraction for
  "percentage points" (0.26 = 26 pp) and for "percent change" (−0.18 = −18 %).
* ATE = average treatment effect over everyone in the (complete-case, possibly trimmed) sample;
  ATT = average effect on the treated.
* Treatment is a bool or 0/1 column; numeric and bool covariates enter as they are; text / category
  covariates are expanded to dummies (first level dropped, levels without variation dropped).
* Rows with a missing value in any used column are dropped and counted in `notes`. Each note is an
  `i18n.Message` (key `note_…` of the locale files): it reads as its English text and a report shows
  it in its own language (`i18n.localise`; `i18n.join_sentences` joins notes without losing that).

Methods (`method=`): "difference", "ols", "ipw", "aipw", "quantile", "fractional_logit",
"log_linear" (ratio of means, reported as a percent change) — one `Method` entry each in `REGISTRY`.
Inference comes from statsmodels / scipy: HC2 / CR2 OLS with Bell–McCaffrey degrees of freedom, analytic
GMM sandwich standard errors for IPW / AIPW (they account for the estimated propensity score, as Stata's
`teffects` does), QuantReg's kernel sandwich, delta-method average marginal effects of a fractional
logit, and scipy's bootstrap / permutation test. Every random step takes `seed`. Nothing here reads
files or prints.

Modules, in the order data flows through them:

* `result` — `EffectResult` (summary, HTML table, summary_frame, conf_int, to_dict) and `EffectError`;
* `prepare` — columns checked, complete rows, covariate design, collinear terms dropped;
* `propensity` — propensity scores, IPW weights, overlap and balance diagnostics;
* `difference`, `regression` (OLS, quantile; `slim_kept_fit`: a fit kept for later steps holds its
  design compact, one copy for outcomes on the same rows, and no second copy of its rows' labels nor
  the vectors statsmodels computes again), `glm` (fractional logit, log-linear), `ipw` (IPW, AIPW) —
  the fit functions, one module per estimator family;
* `compact` — `CompactDesign`: a kept fit's design in the narrowest numbers that give back its
  floats (`compact_design`, `expanded_design`);
* `registry` — `REGISTRY` of `Method`s, and `METHODS`, `SUBSAMPLED_METHODS` derived from it;
* `subgroups` — `estimate_effect(..., by=)` per level (`SubgroupEffects`) and `interaction_test`;
* `estimate` — `estimate_effect`.
"""

from __future__ import annotations

from amo_analysis.stats.effects.compact import CompactDesign, compact_design, expanded_design
from amo_analysis.stats.effects.estimate import estimate_effect
from amo_analysis.stats.effects.prepare import _QR_RANK_ROWS, _drop_collinear  # noqa: F401 (tests use them)
from amo_analysis.stats.effects.propensity import (
    EXTREME_PROPENSITY,
    balance_table,
    effective_sample_size,
    ipw_weights,
    overlap_summary,
    propensity_scores,
    variance_ratios,
)
from amo_analysis.stats.effects.regression import _quantreg_fit  # noqa: F401 (tests use it)
from amo_analysis.stats.effects.regression import slim_kept_fit
from amo_analysis.stats.effects.registry import METHODS, REGISTRY, SUBSAMPLED_METHODS, Method
from amo_analysis.stats.effects.result import EffectError, EffectResult, Reference
from amo_analysis.stats.effects.subgroups import InteractionTest, SubgroupEffects, interaction_test

__all__ = [
    "EffectError",
    "EffectResult",
    "Reference",
    "METHODS",
    "REGISTRY",
    "Method",
    "SUBSAMPLED_METHODS",
    "EXTREME_PROPENSITY",
    "estimate_effect",
    "interaction_test",
    "InteractionTest",
    "SubgroupEffects",
    "balance_table",
    "variance_ratios",
    "effective_sample_size",
    "propensity_scores",
    "ipw_weights",
    "overlap_summary",
    "slim_kept_fit",
    "CompactDesign",
    "compact_design",
    "expanded_design",
]
