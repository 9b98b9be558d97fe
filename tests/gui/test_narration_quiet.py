"""The narration strip once time runs and nothing has failed says what is true of the
session: "traffic flows on the normal multicast tree" only where traffic flows and a group
has members. The cold trial's operator read it on the DGX SuperPOD file, which sends no
traffic and has no group members (Metrics: "This session sends no traffic")."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from conftest import corpus_file  # noqa: E402
from ibviz.app.opening import open_any  # noqa: E402
from ibviz.gui.panels.narration import NO_PHASES, NarrationStrip  # noqa: E402

pytestmark = pytest.mark.gui


def sentence_after_start(qtbot, spec: str) -> str:
    session = open_any(spec).session
    strip = NarrationStrip()
    qtbot.addWidget(strip)
    strip.set_session(session)
    session.run_until(1.0)  # time runs; nothing fails
    strip.refresh(session)
    strip.set_time(1.0)
    assert not session.narration()
    return strip.sentence


def test_no_traffic_and_no_members_is_said_plainly(qtbot):
    spec = str(corpus_file("hyungkwang-dgxa100-superpod-hdr-bom-crlf.txt"))
    assert sentence_after_start(qtbot, spec) == (
        "Nothing has failed yet. This session sends no traffic and no multicast group has "
        "members.")


def test_a_scenario_with_traffic_to_a_group_keeps_the_multicast_tree(qtbot):
    assert sentence_after_start(qtbot, "fig8") == NO_PHASES
