"""Counts in report texts: ``1 LID``, ``2 LIDs``, ``1 switch``, ``3 switches``."""

from __future__ import annotations

import pytest

from ibviz.core.naming import plural


@pytest.mark.parametrize(("n", "word", "many", "text"), [
    (0, "LID", None, "0 LIDs"), (1, "LID", None, "1 LID"), (2, "LID", None, "2 LIDs"),
    (1, "switch", None, "1 switch"), (6, "switch", None, "6 switches"),
    (1, "MFT entry", "MFT entries", "1 MFT entry"), (6, "MFT entry", "MFT entries",
                                                      "6 MFT entries"),
    (1, "problem", None, "1 problem"), (4, "problem", None, "4 problems"),
])
def test_plural(n, word, many, text):
    assert plural(n, word, many) == text
