"""The MLID tree panel flags what ``ibviz check`` finds (issue 13, cold operator trial
items 4 and 5): a missing branch, a branch to a non-member, an unreached member with the
members that miss it named, each row marked (icon, colour, text); an MLID no group owns
(a Problems row) is shown in the panel with its MFT entries. Real OpenSM dumps written by
the lab, broken by hand (tests/gui/test_ops_panels.py broken_copy, plus one branch)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from test_ops_panels import broken_copy, click_row  # noqa: E402
from test_ops_window import new_window  # noqa: E402

from ibviz.app.connect import REAL, ConnectChoice  # noqa: E402
from ibviz.core.model import PortRef  # noqa: E402
from ibviz.core.resolve import resolve_node  # noqa: E402

pytestmark = [pytest.mark.gui, pytest.mark.realtools]
ENTRY = "0xC001 : 0x001  0x009 "


@pytest.fixture(scope="module")
def lab_dumps(lab_snapshots):
    """OpenSM's own dumps of the lab's fabric, groups joined, before any failure."""
    return lab_snapshots[0]


def faulty(tmp_path, healthy):
    """broken_copy, and leaf02 forwarding MLID 0xc001 to port 2 too (node0010, no member)."""
    copy = broken_copy(healthy, tmp_path)
    path = copy / "opensm.mcfdbs"
    text = path.read_text()
    second = text.index(ENTRY)  # leaf01's was edited away: this is leaf02's
    path.write_text(text[:second] + "0xC001 : 0x001  0x002  0x009 "
                    + text[second + len(ENTRY):])
    return copy


def open_faulty(qtbot, tmp_path, healthy, size=(1400, 900)):
    window = new_window(qtbot, tmp_path, size)
    window.batch = True
    assert window.connect_to(ConnectChoice(REAL, directory=str(faulty(tmp_path, healthy)),
                                           interval=3600))
    qtbot.waitUntil(lambda: window.backend is not None and not window.live_busy(),
                    timeout=30000)
    window.docks["mlidtree"].show()
    window.docks["mlidtree"].raise_()
    return window


def test_mlid_tree_marks_each_fault_and_names_who_misses(qtbot, tmp_path, lab_dumps):
    window = open_faulty(qtbot, tmp_path, lab_dumps)
    panel = window.mlid_tree
    group = next(g for g in window.session.sm.sa.groups.values() if g.mlid == 0xC001)
    assert panel.select_group(group.mgid)
    rows = panel.branch_rows()
    bad = panel.faulty_rows(panel.branches)
    missing = [i for i, r in enumerate(rows) if r[2] == "missing branch"]
    assert [rows[i][0] for i in missing] == ["leaf01"], rows
    assert "no MFT port 1 to node0001" in rows[missing[0]][3]
    stray = [i for i, r in enumerate(rows) if r[3].startswith("mft-non-member")]
    assert len(stray) == 1 and "node0010" in rows[stray[0]][3] and rows[stray[0]][1] == "2"
    assert sorted(bad) == sorted(missing + stray)  # only the faulty rows are marked
    members = panel.member_rows()
    assert members[0][0].startswith("node0001 port 1, LID ")
    assert members[0][1] == "missed by 3 of 3 others: node0009, node0017, node0025"
    assert panel.faulty_rows(panel.members) == [0]
    assert "0x0002c903" in panel.members.item(0, 0).toolTip()  # the GUID
    # the Member column shows its whole text (not cut to "LID ...")
    width = panel.members.columnWidth(0)
    fm = panel.members.fontMetrics()
    assert all(fm.horizontalAdvance(r[0]) < width for r in members)
    assert "3 faulty rows" in panel.summary.text()
    window.close()


def test_problem_on_an_mlid_no_group_owns_shows_it_in_the_tree_panel(qtbot, tmp_path,
                                                                     lab_dumps):
    window = open_faulty(qtbot, tmp_path, lab_dumps, (1280, 700))  # 1280x720, title bar
    window.docks["problems"].raise_()
    problems = window.problems
    qtbot.waitUntil(lambda: problems.report is not None, timeout=30000)
    rows = problems.rows()
    row = next(i for i, r in enumerate(rows) if r[1] == "mft-no-group")
    lowest = window.minimumSizeHint().height()
    details = window.node_details.minimumSizeHint().height()
    click_row(qtbot, problems.table, row)
    # the chosen problem and its node (details, detail line) never raise the window's
    # minimum height: at 1280x720 that pushed the status bar off the screen
    assert window.selected_node is not None
    assert window.minimumSizeHint().height() <= lowest
    assert window.node_details.minimumSizeHint().height() <= details
    panel = window.mlid_tree
    assert panel.orphan == 0xC0FF and panel.mgid is None
    assert "0xc0ff" in panel.chooser.currentText() and "no SA group" in panel.summary.text()
    assert panel.branch_rows() == [["leaf01", "1", "node0001 port 1", ""]]
    assert panel.member_rows() == []
    assert window.groups.selected_mgid == 0  # the groups panel no longer says 0xc001
    s = window.session
    leaf01 = resolve_node(s.fabric, "leaf01")
    assert window.view._highlight[0] == {s.fabric.link_at(PortRef(leaf01, 1)).key}
    # a group again from the chooser: its tree
    panel.chooser.setCurrentIndex(0)
    assert panel.mgid is not None and panel.orphan is None
    window.close()
