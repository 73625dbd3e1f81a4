"""amo-analysis: measure what owner-side project assistance (AMO) really does to IT projects.

The curated API, imported lazily (as `statsmodels.api` does) so that `import amo_analysis` and the
command line start fast:

* reading — `load_portfolio` (an export → a validated `Portfolio`);
* statistics — `estimate_effect` (one effect with its interval), `balance_table`,
  `robust_covariance` (HC2/CR2 with Bell–McCaffrey degrees of freedom), `assignment_design` (is the
  practice decided per organisation?), `random_effects` (meta-analysis of per-organisation effects);
* analyses — `claims_for` (the claims check of a portfolio), `claims_by_article` (every claim of the
  claims register, reading by reading, with a verdict), `load_register` (the register, with a user's
  claims file), `forecast` (reference-class forecast of new projects), `new_project`, `simulate_roi`;
* suite — `run_suite` (the notebooks with papermill, then the HTML reports).

The layers themselves are the subpackages `ingest`, `stats`, `analyses`, `report` and `suite`.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name → the module that defines it
API = {
    "Portfolio": "amo_analysis.ingest.portfolio",
    "load_portfolio": "amo_analysis.ingest.portfolio",
    "estimate_effect": "amo_analysis.stats.effects",
    "balance_table": "amo_analysis.stats.effects",
    "robust_covariance": "amo_analysis.stats.robust",
    "assignment_design": "amo_analysis.stats.design",
    "claims_for": "amo_analysis.analyses.effects",
    "claims_by_article": "amo_analysis.analyses.article",
    "load_register": "amo_analysis.stats.claims",
    "forecast": "amo_analysis.analyses.forecast",
    "new_project": "amo_analysis.analyses.forecast",
    "simulate_roi": "amo_analysis.analyses.roi",
    "run_suite": "amo_analysis.suite.runner",
    "random_effects": "amo_analysis.stats.meta",
}
__all__ = [*API, "__version__"]


def __getattr__(name: str):
    if name in API:
        value = getattr(importlib.import_module(API[name]), name)
        globals()[name] = value  # imported once
        return value
    raise AttributeError(f"module 'amo_analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(API))
