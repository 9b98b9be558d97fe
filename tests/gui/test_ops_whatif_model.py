"""While What-if is on, every operator panel shows the what-if model, not the dumps
(issue 13, cold operator trial item 1): the MLID tree panel, the canvas tree, the node
details route and Problems; Undo returns them to the dumps. Real OpenSM dumps written
by the lab (tests/lab_snapshots.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from test_ops_window import attach, guid_of, new_window  # noqa: E402

pytestmark = [pytest.mark.gui, pytest.mark.realtools]


def tree_switches(window) -> set[str]:
    return {row[0] for row in window.mlid_tree.branch_rows() if row[0]}


def link_nodes(window) -> set[int]:
    return {ref.node for key in window.view._highlight[0] for ref in key}


def test_whatif_model_drives_every_panel_and_undo_returns_to_dumps(qtbot, tmp_path,
                                                                    lab_snapshots):
    window = new_window(qtbot, tmp_path)
    attach(qtbot, window, lab_snapshots[0])
    window.docks["mlidtree"].show()
    window.docks["mlidtree"].raise_()
    group = next(g for g in window.session.sm.sa.groups.values() if g.mlid == 0xC001)
    window.groups.select_group(group.mgid)
    window.mlid_tree.select_group(group.mgid)
    spines = sorted(s for s in tree_switches(window) if s.startswith("spine"))
    assert spines, window.mlid_tree.branch_rows()
    spine = guid_of(window, spines[0])
    assert spine in link_nodes(window)
    # the route from a host to the spine: delivered there on the dumps
    host = guid_of(window, "node0009")
    window.select_node(host)
    window.select_node(spine)
    assert window.node_details.show_route()
    window.whatif_action.setChecked(True)
    window.actions_.fail.trigger()
    panel = window.whatif_panel
    qtbot.waitUntil(lambda: f"what if {spines[0]}" in panel.text.toPlainText(),
                    timeout=30000)
    qtbot.waitUntil(lambda: spines[0] not in tree_switches(window), timeout=10000)
    assert window.mlid_tree.summary.text().startswith("What-if model: ")
    assert tree_switches(window)  # the tree goes round the failed spine
    assert spine not in link_nodes(window)
    assert link_nodes(window)
    assert not window.node_details.show_route()
    assert f"{spines[0]} is failed" in window.node_details.route_note.text()
    # the switch inspector reads the model too: the failed spine has no tables, and some
    # switch's MFT row for the group differs from the dumps (highlighted)
    assert window.inspector.show_switch(spine)
    assert "is failed" in window.inspector.info.text()
    assert window.inspector.lft_model.rowCount() == 0
    changed = []
    for name in sorted(tree_switches(window)):
        window.inspector.show_switch(guid_of(window, name))
        assert window.inspector.info.text().startswith("<i>What-if model:</i>")
        changed += [row for row in window.inspector.mft_rows() if row[3]]
    assert any(row[0] == "0xc001" for row in changed), changed
    assert window.inspector.mft.horizontalHeaderItem(2).text() == "In the dumps"
    window.docks["problems"].show()
    window.docks["problems"].raise_()
    window.problems.run()
    qtbot.waitUntil(lambda: window.problems.report is not None, timeout=30000)
    assert window.problems.status.text().startswith("What-if model: ")
    # Undo: the dumps again everywhere
    window.controller.undo_action.trigger()
    qtbot.waitUntil(lambda: spines[0] in tree_switches(window), timeout=10000)
    assert not window.mlid_tree.summary.text().startswith("What-if")
    assert spine in link_nodes(window)
    assert window.node_details.show_route()
    assert window.inspector.show_switch(spine)
    assert "What-if" not in window.inspector.info.text()
    assert window.inspector.lft_model.rowCount() > 0
    qtbot.waitUntil(lambda: window.problems.report is not None, timeout=30000)
    assert not window.problems.status.text().startswith("What-if")
    window.close()


def test_ctrl_z_in_the_find_box_undoes_the_whatif_failure(qtbot, tmp_path, lab_snapshots):
    """A user expects Ctrl+Z to undo the last action, whichever field has the focus."""
    from PySide6.QtCore import Qt

    window = new_window(qtbot, tmp_path)
    attach(qtbot, window, lab_snapshots[0])
    window.whatif_action.setChecked(True)
    window.select_node(guid_of(window, "leaf02"))
    window.actions_.fail.trigger()
    panel = window.whatif_panel
    qtbot.waitUntil(lambda: "what if leaf02" in panel.text.toPlainText(), timeout=30000)
    search = window.actions_.search
    search.setFocus()
    qtbot.waitUntil(search.hasFocus, timeout=5000)
    qtbot.keyClicks(search, "spine")
    assert window.controller.undo_action.isEnabled()
    qtbot.keyClick(search, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not panel.text.toPlainText(), timeout=10000)
    assert search.text() == "spine"  # the search text stays
    # nothing left to undo: the field's own undo again
    assert not window.controller.undo_action.isEnabled()
    qtbot.keyClick(search, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert search.text() == ""
    window.close()
