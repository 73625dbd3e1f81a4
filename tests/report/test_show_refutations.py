"""The one-sentence meaning of a refuter's result (`report.show_refutations`) in the report language."""

from __future__ import annotations

import pandas as pd

from amo_analysis.report import show_refutations


def test_a_refuter_that_did_not_run_says_why_in_the_report_language():
    from amo_analysis.i18n import Message, join_sentences
    from amo_analysis.stats import scale

    note = join_sentences([scale.subsample_note(Message("note_subject_refuters"), 10_000, 25_000, 7), "Too few rows."])
    row = pd.Series({"passed": pd.NA, "note": note, "key": "placebo_practice", "draws": 200})
    assert show_refutations.refutation_sentence(row, "en") == f"Not run: {note}"
    french = show_refutations.refutation_sentence(row, "fr")
    assert french.startswith("Non effectué : Tests de réfutation : ajustement sur un sous-échantillon aléatoire de 10")
    assert french.endswith(" Too few rows.")  # a sentence from elsewhere stays as written
