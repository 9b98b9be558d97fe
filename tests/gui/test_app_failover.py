"""A trainer's story on the demo (the seed's FIG. 10, switch multicast port remap): play,
right-click the primary node and fail it, watch the takeover, undo; then the same for a
failback. Everything goes through the widgets: context menu, toolbar, Ctrl+Z."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtGui import QContextMenuEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QMenu  # noqa: E402

from conftest import node_point, open_window, play_until  # noqa: E402

pytestmark = pytest.mark.gui


def roles_of(window):
    s = window.session
    pg = next(iter(s.controller.groups.values()))
    return s, pg


def right_click_menu(qtbot, window, guid: int) -> QMenu:
    """Right-click node ``guid`` on the canvas; returns the menu that popped up."""
    viewport = window.view.viewport()
    at = node_point(window, guid)
    qtbot.mouseClick(viewport, Qt.MouseButton.RightButton, pos=at)
    menu = _popup()
    if menu is None:  # QTest sends no QContextMenuEvent; the platform would
        QApplication.sendEvent(viewport, QContextMenuEvent(
            QContextMenuEvent.Reason.Mouse, at, viewport.mapToGlobal(at)))
        menu = _popup()
    assert menu is not None, "right-clicking a node opens its menu"
    assert window.selected_node == guid
    return menu


def _popup() -> QMenu | None:
    popup = QApplication.activePopupWidget()
    return popup if isinstance(popup, QMenu) else None


def trigger(qtbot, window, menu: QMenu, text: str) -> None:
    """Choose ``text`` in ``menu``; the main window is active again afterwards."""
    action = next(a for a in menu.actions() if a.text() == text)
    assert action.isEnabled(), f"{text} is disabled"
    menu.close()
    action.trigger()
    window.activateWindow()  # the offscreen platform leaves the closed popup active
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)


def serving_text(window, mgid: int) -> str:
    """The groups panel's protection line for group ``mgid`` (selecting it)."""
    window.groups.select_group(mgid)
    return window.groups.protection_text()


def primary_port_shown(window) -> str:
    return window.inspector.info.text().split("DefaultMulticastPrimaryPort <b>")[1] \
        .split("</b>")[0]


def test_fail_primary_from_context_menu_takeover_then_undo(qtbot, window):
    s, pg = roles_of(window)
    label = s.fabric.nodes[pg.takeover].label
    window.controls.set_speed(20_000.0)
    play_until(qtbot, window, lambda: window.controller.view_time_us > 400.0)
    assert primary_port_shown(window) == "1"
    assert f"served by {s.fabric.nodes[pg.primary].label}" in serving_text(window, pg.mgid)

    trigger(qtbot, window, right_click_menu(qtbot, window, pg.primary), "Fail")
    failed_at = window.session.now_us
    assert pg.primary in window.session.sm.failed
    assert window.controller.undo_action.text().startswith("&Undo Fail")
    undo = window.controller.undo_action  # the toolbar's button stays short
    button = window.actions_.node_toolbar.widgetForAction(undo)
    assert button is not None and button.text() == "Undo"
    assert undo.toolTip().startswith("Undo Fail")
    play_until(qtbot, window, lambda: any(
        o.kind == "failover" and o.restored_us is not None
        and window.controller.view_time_us > o.restored_us + 100
        for o in window.session.controller.outcomes))

    s = window.session
    assert f"served by {label}" in serving_text(window, pg.mgid)
    assert primary_port_shown(window) == "2"        # the inspector shows the remap
    assert "failed" in [st for _m, _j, _r, st in window.groups.member_rows(pg.mgid)]
    out = next(o for o in s.controller.outcomes if o.kind == "failover")
    delivered = [i for i in range(len(s.hops)) if s.hops[i].dst.node == pg.takeover
                 and s.hops[i].kind == "data" and s.hops[i].t0 > out.restored_us]
    assert delivered, "packets reach the takeover node after the failover"
    assert any("remap" in e.kind for e in s.log if e.t_us >= failed_at)

    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    s = window.session
    assert pg.primary not in s.sm.failed
    assert s.now_us == pytest.approx(failed_at)
    assert primary_port_shown(window) == "1"
    assert f"served by {s.fabric.nodes[pg.primary].label}" in serving_text(window, pg.mgid)
    assert window.controller.redo_action.isEnabled()
    assert window.controller.redo_action.text().startswith("&Redo Fail")


def test_fail_back_from_the_toolbar_then_undo(qtbot, window):
    s, pg = roles_of(window)
    window.controls.set_speed(50_000.0)
    play_until(qtbot, window, lambda: any(      # the demo's timeline fails it at 2 ms
        o.kind == "failover" and o.restored_us is not None
        and window.controller.view_time_us > o.restored_us + 200
        for o in window.session.controller.outcomes))
    assert primary_port_shown(window) == "2"
    window.node_clicked(pg.primary)
    assert window.actions_.failback.isEnabled() and not window.actions_.fail.isEnabled()
    button = window.actions_.node_toolbar.widgetForAction(window.actions_.failback)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    clicked_at = window.session.now_us
    play_until(qtbot, window, lambda: any(
        o.kind == "failback" and o.restored_us is not None
        and window.controller.view_time_us > o.restored_us
        for o in window.session.controller.outcomes))
    s = window.session
    assert pg.primary not in s.sm.failed
    assert s.controller.serving[pg.name] == pg.primary
    assert primary_port_shown(window) == "1"
    assert any("back" in text for _, text in s.narration())

    window.controller.undo_action.trigger()
    s = window.session
    assert s.now_us == pytest.approx(clicked_at)
    assert pg.primary in s.sm.failed
    assert primary_port_shown(window) == "2"


def test_click_on_a_link_takes_it_down_and_undo_restores_it(qtbot, window):
    s, pg = roles_of(window)
    link = s.fabric.link_at(s.port_of(pg.senders[0]))
    a, b = window.view.positions()[link.a.node], window.view.positions()[link.b.node]
    middle = window.view.mapFromScene(QPointF((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))
    viewport = window.view.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=middle)
    assert link.key in window.session.sm.down_links
    assert window.controller.undo_action.text().startswith("&Undo Link down")
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=middle)
    assert link.key not in window.session.sm.down_links
    window.controller.undo()
    assert link.key in window.session.sm.down_links


def test_join_and_leave_group_through_the_dialogs(qtbot, window, monkeypatch):
    from ibviz.gui import dialogs

    s, pg = roles_of(window)
    asked: list[list[str]] = []
    monkeypatch.setattr(dialogs, "choose_group",
                        lambda parent, title, label, names: asked.append(names) or names[0])
    window.node_clicked(pg.takeover)
    window.actions_.join.trigger()
    assert asked[-1] == [pg.name]
    group = window.session.sm.sa.groups[pg.mgid]
    assert any(p.node == pg.takeover for p in group.members)
    states = {m: st for m, st, _r, _s in window.groups.member_rows(pg.mgid)}
    assert any("second-node" in m and st.startswith("Full") for m, st in states.items())
    window.actions_.leave.trigger()
    group = window.session.sm.sa.groups[pg.mgid]
    assert not any(p.node == pg.takeover for p in group.members)
    assert window.controller.undo_action.text().startswith("&Undo Leave")



def test_mlid_reassignment_shows_the_mft_change_highlighted(qtbot, settings):
    window = open_window(qtbot, settings, "fig8")      # mode 1: the takeover joins
    s, pg = roles_of(window)
    switch = next(n.guid for n in s.fabric.switches()
                  if any(lk.other(lk.a if lk.a.node == pg.takeover else lk.b).node == n.guid
                         for lk in s.fabric.node_links(pg.takeover)))
    window.node_clicked(switch)
    assert window.inspector.switch == switch
    mlid = f"{s.controller.mlids[pg.name]:#06x}"
    rows = {row[0]: row for row in window.inspector.mft_rows()}
    assert rows[mlid][2] == "unchanged" and not rows[mlid][3]  # no failover yet
    window.controls.set_speed(50_000.0)
    play_until(qtbot, window, lambda: any(
        o.kind == "failover" and o.restored_us is not None
        and window.controller.view_time_us > o.restored_us
        for o in window.session.controller.outcomes))
    rows = {row[0]: row for row in window.inspector.mft_rows()}
    assert mlid in rows, f"MLID {mlid} not in {rows}"
    _, now, before, changed = rows[mlid]
    takeover_port = str(window.session.fabric.peer(window.session.port_of(pg.takeover)).port)
    assert changed and takeover_port in now.split(", ") and takeover_port not in before
    assert f"{mlid}" in window.groups.protection_text()        # the same MLID, kept
    states = {m: st for m, st, _r, _s in window.groups.member_rows(pg.mgid)}
    assert any("second-node" in m and st.startswith("Full") for m, st in states.items())
