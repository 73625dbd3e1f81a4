"""amo-analysis: measure what owner-side project assistance (AMO) really does to IT projects.

The curated API, imported lazily (as `statsmodels.api` does) so that `import amo_analysis` and the
command line start fast; `dir(amo_analysis)` lists it (`__all__`):

* reading — `load_portfolio` (an export → a validated `Portfolio`); `with_model_columns` (adds
  `log_budget` = ln(budget_planned), the size covariate), `default_covariates` (the pre-treatment
  covariates present), `model_columns` (where every model column comes from);
* statistics — `estimate_effect` (one effect with its interval, an `EffectResult`; `by="project_type"`:
  one per level), `interaction_test` (does the effect differ across levels?), `balance_table`,
  `robust_covariance` (HC2/CR2 with Bell–McCaffrey degrees of freedom), `assignment_design` (is the
  practice decided per organisation?), `random_effects` (meta-analysis of per-organisation effects);
  sensitivity to unmeasured confounding — `partial_r2`, `robustness_value`, `evalue`;
* analyses — `claims_for` (the claims check of a portfolio), `claims_by_article` (every claim of the
  claims register, reading by reading, with a verdict), `load_register` (the register, with a user's
  claims file), `forecast` (reference-class forecast of new projects), `new_project`, `simulate_roi`;
* suite — `run_suite` (the notebooks with papermill, then the HTML reports).

Every result object has a short repr, an HTML table in JupyterLab, `summary()` and, when tabular,
`summary_frame()`. The layers themselves are the subpackages `ingest`, `stats`, `analyses`, `report`
and `suite`.
"""

__version__ = "0.1.0"

#: public name → the module that defines it
API = {
    "Portfolio": "amo_analysis.ingest.portfolio",
    "load_portfolio": "amo_analysis.ingest.portfolio",
    "with_model_columns": "amo_analysis.ingest.model_columns",
    "default_covariates": "amo_analysis.ingest.model_columns",
    "model_columns": "amo_analysis.ingest.model_columns",
    "EffectResult": "amo_analysis.stats.effects",
    "estimate_effect": "amo_analysis.stats.effects",
    "interaction_test": "amo_analysis.stats.effects",
    "balance_table": "amo_analysis.stats.effects",
    "robust_covariance": "amo_analysis.stats.robust",
    "assignment_design": "amo_analysis.stats.design",
    "random_effects": "amo_analysis.stats.meta",
    "partial_r2": "amo_analysis.stats.sensitivity",
    "robustness_value": "amo_analysis.stats.sensitivity",
    "evalue": "amo_analysis.stats.sensitivity",
    "claims_for": "amo_analysis.analyses.practice_effects",
    "claims_by_article": "amo_analysis.analyses.article",
    "load_register": "amo_analysis.stats.claims",
    "forecast": "amo_analysis.analyses.forecast",
    "new_project": "amo_analysis.analyses.forecast",
    "simulate_roi": "amo_analysis.analyses.roi",
    "run_suite": "amo_analysis.suite.runner",
}
__all__ = [*API, "__version__"]


def __getattr__(name: str):
    if name in API:
        import importlib

        value = getattr(importlib.import_module(API[name]), name)
        globals()[name] = value  # imported once
        return value
    raise AttributeError(f"module 'amo_analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public API only (not the module's own machinery, nor the subpackages once imported)."""
    return sorted(__all__)
