"""The estimation methods, one `Method` entry each in `REGISTRY`: adding a method means writing its fit
function (in the module of its family) and one entry here. `METHODS` and `SUBSAMPLED_METHODS` are
derived from it.

A fit function takes (prepared rows, outcome, treatment, seed, conf_level, options with every default
filled in) and returns an `EffectResult`; it raises `EffectError` with one sentence when the data cannot
support the estimate.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Mapping

from amo_analysis.i18n import Message
from amo_analysis.stats import scale
from amo_analysis.stats.effects.difference import _difference
from amo_analysis.stats.effects.glm import _fractional_logit, _log_linear
from amo_analysis.stats.effects.ipw import _aipw, _ipw
from amo_analysis.stats.effects.prepare import _Prepared
from amo_analysis.stats.effects.regression import _ols, _quantile
from amo_analysis.stats.effects.result import EffectError, EffectResult
from amo_analysis.defaults import DEFAULTS

__all__ = ["Method", "REGISTRY", "METHODS", "SUBSAMPLED_METHODS", "describe_methods"]

FitFunction = Callable[[_Prepared, str, str, int, float, dict], EffectResult]


@dataclass(frozen=True)
class Method:
    """One estimation method.

    `fit`: the fit function. `options`: every option it accepts with its default (read-only; any other
    option is a typo and raises). `doc`: what the options mean, shown in `estimate_effect`'s help.
    `subsample_words`: the subject of the sentence noting that the method ran on a seeded subsample of
    `scale.SUBSAMPLE_ROWS` rows above `scale.LARGE_N` rows ("The quantile regression was fitted on…");
    None for a method that always uses every row. `uses_covariates`: False for a method that ignores
    covariates (they are then dropped with a note).
    """

    name: str
    fit: FitFunction
    options: Mapping[str, Any]
    doc: str
    subsample_words: str | None = None
    uses_covariates: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    @property
    def subsampled(self) -> bool:
        """Whether the method runs on a seeded subsample above `scale.LARGE_N` rows."""
        return self.subsample_words is not None

    def resolve(self, options: Mapping[str, Any]) -> dict:
        """The defaults updated with `options`; EffectError naming the first unknown option."""
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            raise EffectError(
                f"Option {unknown[0]!r} is not used by method '{self.name}'; its options are: "
                f"{', '.join(self.options) or 'none'}."
            )
        return {**self.options, **options}


#: the options of both weighting methods, with their defaults
_WEIGHTING_OPTIONS = {
    "estimand": "ATE",
    "trim": None,
    "ci": "sandwich",
    "small_sample": True,
    "n_resamples": DEFAULTS.weighting_resamples,
    "propensity_covariates": None,
    "link": "logit",
}

_WEIGHTING_DOC = (
    "trim None, a propensity band such as (0.05, 0.95) or True (`EXTREME_PROPENSITY`); "
    "ci 'sandwich' (alias 'gmm') or 'bootstrap'; small_sample True: SE × sqrt(n/(n−k)) "
    "(× sqrt(G/(G−1)) with clusters) with a t reference, False: exactly Stata teffects "
    "(normal); n_resamples bootstrap draws; propensity_covariates (None: the covariates); "
    "link 'logit' or 'probit'."
)

REGISTRY: Mapping[str, Method] = MappingProxyType(
    {
        m.name: m
        for m in (
            Method(
                "difference",
                _difference,
                {
                    "n_resamples": DEFAULTS.difference_resamples,
                    "bootstrap_method": "BCa",
                    "permutation_resamples": DEFAULTS.difference_resamples,
                    "large_n": scale.ANALYTIC_N,
                },
                "unadjusted; n_resamples bootstrap draws, bootstrap_method 'BCa' or 'percentile', "
                "permutation_resamples (exact permutation p when there are no more arrangements), large_n: "
                "above this many rows Welch's t interval and p instead (None: always resample). With "
                "clusters: CR2 SE, Bell–McCaffrey df.",
                uses_covariates=False,
            ),
            Method(
                "ols",
                _ols,
                {"cov_type": "HC2", "min_clusters": DEFAULTS.min_clusters, "few_clusters": "hc3"},
                "cov_type 'HC2' (CR2 with clusters; Bell–McCaffrey df) or a statsmodels type with t(n − k) "
                "(clustered: CR1 with t(G − 1) from min_clusters clusters, below it few_clusters 'hc3' or "
                "'crv3').",
            ),
            Method(
                "ipw",
                _ipw,
                _WEIGHTING_OPTIONS,
                "estimand 'ATE' or 'ATT'; " + _WEIGHTING_DOC,
                subsample_words=Message("note_subject_ipw"),
            ),
            Method(
                "aipw",
                _aipw,
                _WEIGHTING_OPTIONS,
                "estimand 'ATE' only; " + _WEIGHTING_DOC,
                subsample_words=Message("note_subject_aipw"),
            ),
            Method(
                "quantile",
                _quantile,
                {"quantile": 0.5, "ci": "analytic", "n_resamples": DEFAULTS.weighting_resamples},
                "quantile a fraction (0.5 = median); ci 'analytic' (kernel sandwich) or 'bootstrap'; "
                "n_resamples bootstrap draws.",
                subsample_words=Message("note_subject_quantile"),
            ),
            Method(
                "fractional_logit",
                _fractional_logit,
                {"cov_type": "HC0", "min_clusters": 20},
                "outcome in [0, 1], result in percentage points (a fraction); cov_type a statsmodels robust "
                "type, cluster-robust from min_clusters clusters.",
                subsample_words=Message("note_subject_fractional_logit"),
            ),
            Method(
                "log_linear",
                _log_linear,
                {"cov_type": "HC0", "min_clusters": 20, "small_sample": True},
                "non-negative outcome, result a percent change (ratio of means − 1, a fraction); cov_type and "
                "min_clusters as fractional_logit; small_sample True: SE × sqrt(n/(n−k)) with t(n−k), unless "
                "clustered.",
                subsample_words=Message("note_subject_log_linear"),
            ),
        )
    }
)

METHODS: tuple[str, ...] = tuple(REGISTRY)
#: run on a seeded subsample above `scale.LARGE_N` rows (iterative fits over every row: QuantReg's and the
#: GLMs' IRLS, the weighting estimators' GMM and margins); see `scale`.
SUBSAMPLED_METHODS: tuple[str, ...] = tuple(name for name, m in REGISTRY.items() if m.subsampled)


def describe_methods() -> str:
    """One paragraph per method: its options with their defaults, and what they mean."""
    return "\n".join(
        textwrap.fill(
            f"{m.name} ({', '.join(f'{k}={v!r}' for k, v in m.options.items())}): {m.doc}",
            100,
            initial_indent="  ",
            subsequent_indent="    ",
        )
        for m in REGISTRY.values()
    )
