"""How the effects notebook (`02_amo_effects`) shows the balance additions of `analyses.balance`: the
variance ratios of each covariate before and after weighting, flagged yes / no outside
`balance.VARIANCE_RATIO_RANGE` (`variance_ratio_display`), and Kish's effective sample size of the
weights per group (`ess_display`; `ess_share` a fraction of the group's projects)."""

from __future__ import annotations

import pandas as pd

from amo_analysis.i18n import translate

__all__ = ["variance_ratio_display", "ess_display"]


def variance_ratio_display(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Readable variance-ratio table (flags as yes / no)."""
    if table.empty:
        out = pd.DataFrame()
        out.attrs = dict(table.attrs)
        return out

    def flag(v):
        return "–" if pd.isna(v) else translate("yes" if v else "no", lang)

    return pd.DataFrame(
        {
            translate("covariate", lang): table["covariate"],
            translate("sens_vr_unweighted", lang): table["variance_ratio"],
            translate("sens_vr_flag_unweighted", lang): table["flagged"].map(flag),
            translate("sens_vr_weighted", lang): table["variance_ratio_weighted"],
            translate("sens_vr_flag_weighted", lang): table["flagged_weighted"].map(flag),
        }
    )


def ess_display(table: pd.DataFrame, lang: str = "en", practice: str = "AMO") -> pd.DataFrame:
    """Readable effective-sample-size table."""
    if table.empty:
        out = pd.DataFrame()
        out.attrs = dict(table.attrs)
        return out
    words = {
        "treated": translate("with", lang, practice=practice),
        "control": translate("without", lang, practice=practice),
        "all": translate("all_projects", lang),
    }
    return pd.DataFrame(
        {
            translate("group", lang): table["group"].map(words),
            translate("n", lang): table["n"],
            translate("sens_ess", lang): table["ess"],
            translate("sens_ess_share", lang): table["ess_share"],
        }
    )
