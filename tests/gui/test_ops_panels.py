"""The operator panels in the window: node details on the DGX SuperPOD (GUIDs >= 2**63
as text, never a Qt integer), the MLID tree drawn on the canvas, and the Problems panel on
a broken copy of the lab's real OpenSM dumps, where clicking each row selects its
subject (node centred, group selected and its tree highlighted)."""

from __future__ import annotations

import ipaddress
import re
import shutil

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from PySide6.QtCore import Qt, qInstallMessageHandler  # noqa: E402
from PySide6.QtWidgets import QPushButton  # noqa: E402

from conftest import (  # noqa: E402
    corpus_file,
    node_point,
    open_window,
    play_until,
    temp_settings,
)
from ibviz.app import view_sync  # noqa: E402
from ibviz.core.model import NodeKind, PortRef  # noqa: E402
from ibviz.core.naming import node_name  # noqa: E402
from ibviz.core.resolve import resolve_node  # noqa: E402
from ibviz.gui.panels.problems import STALE  # noqa: E402

pytestmark = pytest.mark.gui

SUPERPOD = "hyungkwang-dgxa100-superpod-hdr-bom-crlf.txt"


def click_row(qtbot, table, row: int) -> None:
    table.scrollToItem(table.item(row, 0))
    rect = table.visualItemRect(table.item(row, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def centred(window, guid: int) -> bool:
    at = node_point(window, guid)
    mid = window.view.viewport().rect().center()
    return abs(at.x() - mid.x()) <= 3 and abs(at.y() - mid.y()) <= 3


def test_node_details_of_every_superpod_switch(qtbot, tmp_path):
    messages: list[str] = []
    previous = qInstallMessageHandler(lambda mode, context, text: messages.append(text))
    try:
        window = open_window(qtbot, temp_settings(tmp_path), spec=str(corpus_file(SUPERPOD)))
        f, panel = window.session.fabric, window.node_details
        for node in f.switches():
            window.select_node(node.guid)
            assert panel.node == node.guid and f"{node.guid:#018x}" in panel.header.text()
        big = max(f.nodes)
        assert big >= 1 << 63 and f.nodes[big].kind is NodeKind.CA
        window.select_node(big)
        ports = panel.ports
        assert ports.item(0, 5).text() == f"{f.nodes[big].ports[1].guid:#018x}"
        leaf = f.peer(PortRef(big, 1))
        assert ports.item(0, 1).text() == f"{node_name(f.nodes[leaf.node])} port {leaf.port}"
        # the route from a host on another leaf: up from its leaf, down to this one's
        other = next(n.guid for n in f.cas() if f.peer(PortRef(n.guid, 1)).node != leaf.node)
        panel.source.setText(f"{other:#018x}")
        qtbot.mouseClick(panel.findChild(QPushButton, "routeButton"), Qt.MouseButton.LeftButton)
        assert "broken" not in panel.route_note.text() and panel.hop_rows()
        hops = panel.hop_rows()
        assert hops[0][1] == node_name(f.nodes[f.peer(PortRef(other, 1)).node])
        assert hops[-1][1:] != [] and hops[-1][1] == node_name(f.nodes[leaf.node])
        assert hops[-1][3] == str(leaf.port)
        # selecting another node keeps the last one as the route's source
        window.select_node(other)
        assert panel.source.text() == f"{big:#018x}"
        assert panel.hop_rows()[-1][1] == node_name(f.nodes[f.peer(PortRef(other, 1)).node])
    finally:
        qInstallMessageHandler(previous)
    bad = [m for m in messages if any(w in m.lower() for w in
                                      ("overflow", "conver", "out of range", "qvariant"))]
    assert not bad, bad


def test_mlid_tree_table_and_canvas_follow_the_chosen_group(qtbot, tmp_path):
    window = open_window(qtbot, temp_settings(tmp_path), spec="fig8")
    s, panel = window.session, window.mlid_tree
    # the new tabs leave the side docks their default widths (not squeezed to a minimum;
    # below 1500 px wide the compact layout gives each side about a fifth)
    qtbot.waitUntil(lambda: window.docks["groups"].width() >= 200
                    and window.docks["inspector"].width() >= 200)
    window.docks["mlidtree"].raise_()
    entries = {a.text() for a in window.actions_.view_menu.actions()}
    assert {"Node details", "MLID tree", "Problems"} <= entries
    group = next(g for g in s.sm.sa.groups.values() if g.mlid == 0xC001)
    panel.chooser.setCurrentIndex(panel.chooser.findData(f"{group.mgid:#x}"))
    assert window.groups.selected_mgid == group.mgid
    links, ports = view_sync.group_highlight(s, group.mgid)
    assert links and window.view._highlight == (links, ports, "tree")
    rows = panel.branch_rows()
    assert len(rows) == sum(len(t.get(0xC001, ())) for t in s.sm.mfts.values())
    first = resolve_node(s.fabric, "first-node")
    assert any(r[2] == "first-node port 1" for r in rows)
    assert panel.member_rows()[0][0].startswith("first-node")
    # a click on a branch row selects and centres its switch
    click_row(qtbot, panel.branches, 0)
    switch = resolve_node(s.fabric, rows[0][0])
    assert window.selected_node == switch and window.view.selected() == switch
    assert centred(window, switch)
    click_row(qtbot, panel.members, 0)
    assert window.selected_node == first
    # the primary fails: as the SM moves the tree, the table follows
    before = {(sw, p) for sw, t in s.sm.mfts.items() for p in t.get(0xC001, ())}
    window.select_node(first)
    window.fail_selected()
    play_until(qtbot, window, lambda: {(sw, p) for sw, t in window.session.sm.mfts.items()
                                       for p in t.get(0xC001, ())} != before, key=False)
    mft = window.session.sm.mfts
    assert len(panel.branch_rows()) == sum(len(t.get(0xC001, ())) for t in mft.values())
    assert all(r[2] != "first-node port 1" for r in panel.branch_rows())
    # choosing the group in the groups panel shows its tree here too
    window.groups.select_group(next(m for m in s.sm.sa.groups if m != group.mgid))
    assert panel.mgid != group.mgid and panel.branch_rows() == []


def broken_copy(healthy, tmp_path):
    """Four problems: node0001 cut from its leaf's MFT (MLID 0xc001), a stale MLID 0xc0ff
    on leaf01, leaf01 delivering node0017's LID to node0002, node0003's link at 1x."""
    copy = tmp_path / "broken"
    shutil.copytree(healthy, copy)
    (copy / "opensm.fdbs").unlink()  # the same LFTs again: keep the edited dump alone
    mcfdbs = (copy / "opensm.mcfdbs").read_text()
    first = mcfdbs.index("0xC001 : 0x001  0x009 ")  # leaf01's block comes first
    mcfdbs = mcfdbs[:first] + "0xC0FF : 0x001 \n0xC001 : 0x009 " + \
        mcfdbs[first + len("0xC001 : 0x001  0x009 "):]
    (copy / "opensm.mcfdbs").write_text(mcfdbs)
    lfts = (copy / "opensm-lfts.dump").read_text()
    lfts = re.sub(r"^(0x[0-9a-f]{4}) \d{3}( # Channel Adapter portguid \S+ 'node0017 HCA-1')",
                  r"\1 002\2", lfts, count=1, flags=re.M)
    (copy / "opensm-lfts.dump").write_text(lfts)
    lst = (copy / "opensm-subnet.lst").read_text().split("\n")
    (copy / "opensm-subnet.lst").write_text("\n".join(
        ln.replace("PHY=4x", "PHY=1x") if "{node0003 HCA-1}" in ln else ln for ln in lst))
    return copy


GROUPS = {"ff12:1::1": ("node0001", "node0009", "node0017", "node0025"),
          "ff12:1::2": ("node0002", "node0003")}
SUBJECTS = {"member-unreached": ("node0001", "ff12:1::1"), "mft-no-group": ("leaf01", None),
            "lid-unreachable": ("node0017", None), "degraded-link": ("node0003", None)}
"""Each problem of the broken copy: the node a click selects, the group it selects."""


@pytest.fixture(scope="module")
def lab_dumps(lab_snapshots):
    """OpenSM's own dumps of the lab's fabric with GROUPS joined (before any failure)."""
    from lab_snapshots import GROUPS as LAB_GROUPS

    assert LAB_GROUPS == GROUPS, "the broken copy's subjects assume these groups"
    return lab_snapshots[0]


@pytest.mark.realtools
def test_each_problem_row_selects_its_subject(qtbot, tmp_path, lab_dumps):
    from ibviz.gui.window.connect_dialog import REAL, ConnectChoice
    from ibviz.gui.window.main import MainWindow

    window = MainWindow(temp_settings(tmp_path))
    qtbot.addWidget(window)
    window.batch = True
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    assert window.connect_to(ConnectChoice(REAL, directory=str(broken_copy(lab_dumps,
                                                                            tmp_path))))
    qtbot.waitUntil(lambda: window.backend is not None and not window.live_busy(),
                    timeout=30000)
    window.docks["problems"].raise_()  # shown: the panel checks at once, in a worker
    panel = window.problems
    qtbot.waitUntil(lambda: panel.report is not None, timeout=30000)
    rows = panel.rows()
    assert sorted(r[1] for r in rows) == sorted(SUBJECTS), rows
    assert rows[0][0] == "error" and "4 problems, 2 errors" in panel.status.text()
    s = window.session
    for row, (_severity, kind, subject, detail) in enumerate(rows):
        name, mgid = SUBJECTS[kind]
        click_row(qtbot, panel.table, row)
        want = resolve_node(s.fabric, name)
        assert window.selected_node == want, (kind, subject)
        assert window.node_details.node == want
        assert panel.detail.text() == f"{subject}: {detail}"
        assert centred(window, want), kind
        if mgid is not None:
            mgid_int = int(ipaddress.IPv6Address(mgid))
            assert window.groups.selected_mgid == mgid_int
            assert window.mlid_tree.mgid == mgid_int
            assert window.view._highlight[:2] == view_sync.group_highlight(s, mgid_int)
            assert any(r[1].startswith("missed by") for r in window.mlid_tree.member_rows())
        if kind == "mft-no-group":  # the stale MLID's MFT entry is drawn: leaf01 port 1
            leaf01 = resolve_node(s.fabric, "leaf01")
            assert window.view._highlight[0] == {s.fabric.link_at(PortRef(leaf01, 1)).key}
    # a second click on the row that is already selected goes back to it
    window.select_node(resolve_node(s.fabric, "spine02"))
    click_row(qtbot, panel.table, len(rows) - 1)
    assert window.selected_node == resolve_node(s.fabric, SUBJECTS[rows[-1][1]][0])
    window.close()


def test_a_check_of_a_replaced_session_is_dropped(qtbot, tmp_path):
    """Opening another fabric while a check runs: the panel shows the new fabric's
    report, never the old one's; closing the window mid-check leaves no thread error."""
    window = open_window(qtbot, temp_settings(tmp_path), spec=str(corpus_file(SUPERPOD)))
    panel = window.problems
    window.docks["problems"].raise_()  # shown: checks the SuperPOD in a worker
    assert panel.task is not None or panel.report is not None
    assert window.open_spec("fig8", background=False)
    window.docks["problems"].raise_()
    qtbot.waitUntil(lambda: panel.report is not None, timeout=30000)
    assert panel.report.checked["switches"] == 2 and panel.report.checked["cas"] == 4
    assert "state changed" not in panel.status.text()
    window.select_node(resolve_node(window.session.fabric, "first-node"))
    window.fail_selected()  # the report is now older than the state shown
    qtbot.waitUntil(lambda: panel.status.text().endswith(STALE))
    assert panel.run()
    window.close()
    task = panel.task
    qtbot.waitUntil(lambda: not task.running(), timeout=30000)
