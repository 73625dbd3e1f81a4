"""Where things are: the repository's folders, the bundled sample and the notebooks (one place)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
DATA_DIR = REPO_ROOT / "data"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
REPORTS_DIR = REPO_ROOT / "reports"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
LOCALES_DIR = PACKAGE_DIR / "locales"  # the words of the reports, per language (see i18n)
SAMPLE_PORTFOLIO = DATA_DIR / "sample_portfolio.csv"
SAMPLE_PORTFOLIO_24 = DATA_DIR / "sample_portfolio_24.csv"
BENCHMARKS_CSV = DATA_DIR / "benchmarks.csv"
KERNEL_NAME = "amo-analysis"
