"""amo-analysis: measure what owner-side project assistance (AMO) really does to IT projects.

`load_portfolio` reads and validates a portfolio export; `amo_analysis.stats.effects` estimates the
practice's effects; `amo-analysis run` executes the notebook suite and writes the HTML reports.
"""

__version__ = "0.1.0"
__all__ = ["Portfolio", "load_portfolio", "__version__"]


def __getattr__(name: str):
    # Imported lazily so that `import amo_analysis.<module>` stays light (and the CLI starts fast).
    if name in ("Portfolio", "load_portfolio"):
        from amo_analysis.ingest import portfolio

        return getattr(portfolio, name)
    raise AttributeError(f"module 'amo_analysis' has no attribute {name!r}")
