"""Small texts a trainer reads: the MLID tree's summary in good plurals and "Reached
from" naming the other member; the packet inspector's values whole in a tooltip and not
crowded out by the field names; the metrics' y axis rescaled after a Restart to t = 0."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from conftest import open_window  # noqa: E402
from ibviz.app.mlid_tree import mlid_tree  # noqa: E402

pytestmark = pytest.mark.gui


def test_mlid_tree_names_the_other_member_and_counts_in_plurals(qtbot, settings):
    window = open_window(qtbot, settings, "fig10")
    s = window.session
    pg = next(iter(s.controller.groups.values()))
    tree = mlid_tree(s.fabric, s.sm, pg.mgid)
    names = {s.fabric.nodes[p.node].name for p in s.sm.sa.groups[pg.mgid].member_ports}
    assert tree.reached and len(names) == 2  # a primary and one sender
    for ref, _name, how in tree.reached:
        (other,) = names - {s.fabric.nodes[ref.node].name}
        assert how == other
    panel = window.mlid_tree
    assert panel.select_group(pg.mgid)
    panel.refresh()
    assert {row[1] for row in panel.member_rows()} <= names
    summary = panel.summary.text()
    n = len(tree.reached)
    assert f"{n} member{'' if n == 1 else 's'} reached by every other member" in summary
    assert "1 members" not in summary and "1 switches" not in summary


def test_packet_fields_keep_room_for_values_and_show_them_whole(qtbot, settings):
    window = open_window(qtbot, settings, "fig8", size=(1280, 720))
    s = window.session
    window.controller.seek(500.0)
    pid = next(p for p in s.net.packets)
    inspector = window.packets
    inspector.resize(360, 500)
    inspector.show_packet(pid)
    fields = inspector.fields
    assert fields.columnWidth(0) <= max(80, int(fields.viewport().width() * 0.4))
    for i in range(fields.topLevelItemCount()):
        top = fields.topLevelItem(i)
        for j in range(top.childCount()):
            child = top.child(j)
            assert child.toolTip(1) == child.text(1)


def test_metrics_y_axis_rescales_after_restart(qtbot, settings):
    window = open_window(qtbot, settings, "fig8")
    flows = window.metrics.flows
    window.controller.seek(window.controller.duration_us)
    flows.refresh()
    high = flows.plot.getViewBox().viewRange()[1][1]
    assert high > 10
    window.actions_.restart.trigger()
    assert window.controller.view_time_us == 0.0
    flows.refresh()
    assert flows.plot.getViewBox().viewRange()[1][1] < 2


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_switch_chooser_and_its_guid_are_whole(qtbot, settings, size):
    """The trial saw "switch-1 (0x0002c904000000(" at 1280x720 and, on real fabrics, the
    full description ("MF0;L1-sw01:MQM8790/U1"). The chooser shows the name the canvas
    shows, the GUID is whole on the line above it, the description in the tooltip."""
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QStyle, QStyleOptionComboBox

    from ibviz.core.naming import node_name

    window = open_window(qtbot, settings, "fat-tree:k=4,n=3", size=size)
    qtbot.waitUntil(lambda: window._laid_out, timeout=5000)
    panel = window.inspector
    chooser, label = panel.chooser, panel.chooser_label
    node = window.session.fabric.nodes[panel.switch]
    assert node.description.startswith("MF0;")
    assert chooser.currentText() == node_name(node)
    assert label.text() == f"Switch {node.guid:#018x}"
    assert node.description in chooser.toolTip()

    def whole() -> bool:
        option = QStyleOptionComboBox()
        chooser.initStyleOption(option)
        field = chooser.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                               QStyle.SubControl.SC_ComboBoxEditField,
                                               chooser)
        fits = QFontMetrics(chooser.font()).horizontalAdvance(chooser.currentText()) \
            <= field.width()
        return fits and QFontMetrics(label.font()).horizontalAdvance(label.text()) \
            <= label.contentsRect().width()

    qtbot.waitUntil(whole, timeout=5000)


def test_a_mad_shown_while_its_tab_is_behind_gets_whole_field_names(qtbot, settings):
    """A MAD picked in the event log is shown while the packet inspector's tab is still
    behind the switch inspector (a narrow hidden view): once the tab comes to the front,
    the field names are whole ("mgmt_class", not "mgm…")."""
    from PySide6.QtGui import QFontMetrics

    window = open_window(qtbot, settings, "fig8", size=(1920, 1080))
    s = window.session
    window.controller.seek(3000.0)  # past the failover: its MADs are in the log
    index = next(i for i, e in enumerate(s.log) if e.kind == "mad")
    window.docks["inspector"].raise_()
    window.packets.show_mad(s.mad(index), f"log entry {index}")
    window.docks["packets"].raise_()
    fields = window.packets.fields
    need = QFontMetrics(fields.font()).horizontalAdvance("mgmt_class")
    qtbot.waitUntil(lambda: fields.viewport().width() > 200 and
                    fields.columnWidth(0) > need + fields.indentation(), timeout=5000)
