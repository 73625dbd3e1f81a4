"""How the overview notebook (`01_portfolio_overview`) shows `analyses.influential.weighty_projects`: the
readable table (`weighty_display`) and the fixed-width text nbval checks (`weighty_text`). A project's
weight is on the reading's scale (percent change: ratio points; percentage points: fractions);
`weight_in_se` is that weight in standard errors of the estimate."""

from __future__ import annotations

import pandas as pd

from amo_analysis.i18n import SCALE_KEYS, translate

__all__ = ["weighty_display", "weighty_text"]


def weighty_display(table: pd.DataFrame, lang: str = "en", practice: str = "AMO") -> pd.DataFrame:
    """Readable table of `weighty_projects`."""
    return pd.DataFrame(
        {
            translate("pe_measure", lang): table["outcome"].map(lambda m: translate(m, lang, practice=practice)),
            translate("pe_reading", lang): table["scale"].map(lambda s: translate(SCALE_KEYS[s], lang)),
            translate("wp_project", lang): table["project_id"],
            translate("wp_with_practice", lang, practice=practice): table["amo"].map(
                lambda a: translate("yes" if a else "no", lang)
            ),
            translate("wp_value", lang): table["value"],
            translate("wp_weight", lang): table["weight"],
            translate("wp_weight_in_se", lang): table["weight_in_se"],
            translate("wp_extreme", lang): table["extreme"].map(lambda e: translate("yes" if e else "no", lang)),
        }
    )


def weighty_text(table: pd.DataFrame) -> str:
    """Fixed-width text (3 decimals) for the notebook's regression check."""
    shown = table[["outcome", "scale", "project_id", "value", "weight", "weight_in_se", "extreme"]]
    return shown.to_string(index=False, float_format=lambda v: f"{v:.3f}")
