"""The main window as a user meets it: the demo opens ready to play, panels show the
session, playback and the speed slider move simulated time, the event log moves the
animation, settings persist (in a temporary location), the theme switches."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from conftest import open_window, play_until  # noqa: E402
from ibviz.core.scenario.compare import METRICS  # noqa: E402
from ibviz.gui.window.controller import SPEED_MAX, SPEED_MIN, slider_to_speed  # noqa: E402

pytestmark = pytest.mark.gui


# --------------------------------------------------------------------------- tests
def test_demo_opens_ready_to_play(window):
    s = window.session
    assert s.scenario.name == "fig10"
    assert window.windowTitle().startswith("fig10")
    assert s.now_us == 0.0 and window.controller.view_time_us == 0.0
    assert window.actions_.play.isEnabled()
    assert set(window.view.positions()) == set(s.fabric.nodes)
    assert "built-in simulation" in window.status_backend.text()
    assert window.status_sm.text() == "SM: SUBNET UP"
    group = next(iter(s.controller.groups.values()))
    assert window.selected_group == group.mgid       # its tree is highlighted at once
    rows = window.groups.member_rows(group.mgid)
    roles = {role for _, _, role, _ in rows}
    assert {"primary", "takeover", "sender"} <= roles


def test_play_moves_simulated_time_and_sends_packets(qtbot, window):
    window.controls.set_speed(5000.0)
    play_until(qtbot, window, lambda: window.controller.view_time_us > 300.0)
    s = window.session
    assert s.now_us >= window.controller.view_time_us > 300.0
    assert len(s.hops) > 0                              # the sender's packets travel
    assert window.controls.time_label.text() != "0.000 \u00b5s"
    assert s.flow_names                                 # ... and the metrics plot them
    qtbot.waitUntil(lambda: list(window.metrics.flows.curves) == s.flow_names, timeout=3000)


def test_pause_step_forward_and_back(qtbot, window):
    ctl = window.controller
    qtbot.keyClick(window, Qt.Key.Key_Right)
    first = ctl.view_time_us
    assert first > 0.0 and not ctl.playing
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert ctl.view_time_us > first
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert ctl.view_time_us == pytest.approx(first)


def test_jump_to_next_failover_event(qtbot, window):
    times = None
    window.actions_.next_failover.trigger()
    times = window.session.failover_times()
    assert times, "the demo's timeline fails a node"
    assert window.controller.view_time_us == pytest.approx(times[0])
    assert "failed" in window.narration.sentence


def test_next_event_without_a_protected_group_goes_to_the_re_route(qtbot, settings):
    """Free play on a plain fabric: N after a failure goes to the SM's re-route (what Step
    shows), not "No failover event"; then it says plainly that nothing more comes."""
    window = open_window(qtbot, settings, "fat-tree:k=4,n=3")
    s = window.session
    assert not s.controller.groups
    leaf = next(n.guid for n in s.fabric.nodes.values() if n.name == "L1-sw01")
    window.select_node(leaf)
    window.actions_.fail.trigger()
    qtbot.waitUntil(lambda: any(e.kind == "fail" for e in s.log), timeout=5000)
    failed_at = window.controller.view_time_us
    window.actions_.next_failover.trigger()
    sweep = next(e.t_us for e in s.log if e.kind == "sweep" and e.t_us > failed_at)
    assert window.controller.view_time_us == pytest.approx(sweep)
    assert "routes around it" in window.narration.sentence
    window.actions_.next_failover.trigger()
    assert window.controller.view_time_us == pytest.approx(sweep)
    said = window.statusBar().currentMessage()
    assert "No failover event" not in said and "no multicast group is protected" in said


def test_speed_slider_is_logarithmic_from_slow_motion_to_fast(window):
    slider = window.controls.slider
    slider.setValue(slider.minimum())
    assert window.controller.speed == pytest.approx(SPEED_MIN)
    slider.setValue(slider.maximum())
    assert window.controller.speed == pytest.approx(SPEED_MAX)
    middle = slider_to_speed((slider.minimum() + slider.maximum()) // 2)
    assert middle == pytest.approx((SPEED_MIN * SPEED_MAX) ** 0.5, rel=0.02)


def test_event_log_filters_and_selecting_an_entry_moves_the_animation(qtbot, window):
    window.controller.seek(4000.0)                      # past the demo's failover at 2 ms
    panel = window.log_panel
    total = panel.model.rowCount()
    panel.set_filters(kind="fail")
    fails = [panel.model.entry(r) for r in range(panel.model.rowCount())]
    assert fails and all(e.kind == "fail" for e in fails) and len(fails) < total
    panel.set_filters(kind="", node="second-node")
    assert all(panel.model.entry(r).node is not None for r in range(panel.model.rowCount()))
    panel.set_filters(kind="", group="svc")
    assert all(panel.model.entry(r).group == "svc" for r in range(panel.model.rowCount()))
    panel.set_filters(kind="fail")
    panel.select_row(0)
    assert window.controller.view_time_us == pytest.approx(fails[0].t_us)


def test_switch_inspector_lft_is_searchable(window):
    inspector = window.inspector
    model = inspector.lft_model
    lids = model.lids()
    assert lids, "the switch routes every LID"
    inspector.lft_filter.setText(str(lids[-1]))
    assert model.lids() == [lids[-1]]
    inspector.lft_filter.setText("second-node")
    assert len(model.lids()) == 1
    assert "second-node" in model.data(model.index(0, 2))
    inspector.lft_filter.setText("port 1")
    assert all(model.port_of(lid) == 1 for lid in model.lids())


def test_settings_persist_theme_speed_docks_and_geometry(qtbot, settings):
    first = open_window(qtbot, settings)
    first.set_theme("dark")
    first.controls.set_speed(1234.0)
    first.docks["metrics"].hide()
    first.close()
    assert settings.value("theme") == "dark"
    assert not settings.value("geometry").isEmpty()
    second = open_window(qtbot, settings, size=None)
    assert second.theme == "dark"
    assert second.controller.speed == pytest.approx(1234.0, rel=0.02)
    assert not second.docks["metrics"].isVisible()     # dock layout restored
    assert second.docks["log"].isVisible()
    second.set_theme("light")


def test_dark_theme_darkens_the_widgets(window):
    window.set_theme("dark")
    dark = QApplication.palette().window().color().lightness()
    window.set_theme("light")
    light = QApplication.palette().window().color().lightness()
    assert dark < 80 < light


def test_keyboard_shortcuts_find_and_open(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    box = window.actions_.search
    assert box.hasFocus()
    qtbot.keyClicks(box, "second-node")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    guid = window.session.fabric.find("second-node")[0].guid
    assert window.selected_node == guid
    qtbot.waitUntil(window.view.hasFocus, timeout=2000)  # found: the keys act again
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert box.hasFocus()
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # Escape leaves the box too
    qtbot.waitUntil(window.view.hasFocus, timeout=2000)
    assert box.text() == "second-node"
    assert window.actions_.open.shortcut().toString() == "Ctrl+O"
    assert window.controller.undo_action.shortcut().toString() == "Ctrl+Z"
    assert "Ctrl+Shift+Z" in [s.toString() for s in window.controller.redo_action.shortcuts()]


def test_docks_can_be_hidden_from_the_view_menu(window):
    toggles = [a for a in window.actions_.view_menu.actions() if a.isCheckable()
               and a.text() == "Metrics"]
    assert toggles
    toggles[0].trigger()
    assert not window.docks["metrics"].isVisible()
    toggles[0].trigger()
    assert window.docks["metrics"].isVisible()


def test_packet_inspector_shows_every_header_of_a_packet_in_flight(qtbot, window):
    s = window.session
    window.controller.seek(300.0)
    hop = next(i for i in range(len(s.hops)) if s.hops[i].kind == "data")
    window.controller.seek(s.hops.t0[hop] + 1e-3)            # that packet is on the wire
    window.docks["packets"].show()
    window.docks["packets"].raise_()
    window.packets.show_in_flight(window.controller.view_time_us)
    listed = window.packets.flight
    assert listed.topLevelItemCount() >= 1
    listed.setCurrentItem(listed.topLevelItem(0))
    fields = window.packets.field_values()
    lrh = fields["LRH (Local Route Header)"]
    bth = fields["BTH (Base Transport Header)"]
    assert {"vl", "sl", "lnh", "dlid", "pktlen", "slid"} <= set(lrh)
    assert lrh["dlid"].startswith("0xc0")                     # a multicast DLID (the MLID)
    assert {"opcode", "pkey", "dest_qp", "psn"} <= set(bth)
    assert bth["dest_qp"].startswith("0xffffff")              # multicast QPN
    assert "GRH (Global Route Header)" in fields               # multicast needs a GRH
    assert "qkey" in fields["DETH (Datagram Extended Transport Header)"]


def test_selecting_a_mad_log_entry_shows_the_mad_fields(qtbot, window):
    window.controller.seek(2200.0)                             # after the failover at 2 ms
    panel = window.log_panel
    panel.set_filters(kind="mad")
    assert panel.model.rowCount() > 0
    panel.select_row(panel.model.rowCount() - 1)
    fields = window.packets.field_values()
    top = next(k for k in fields if k.startswith(("SMP ", "SA ")))
    assert {"attribute", "src", "dst", "time_us", "reason"} <= set(fields[top])


def test_strategy_comparison_runs_the_scenario_three_times(qtbot, window):
    view = window.metrics.comparison
    assert view.run_button.isEnabled()
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(view.rows) == 3 and view.run_button.isEnabled(), timeout=60000)
    table = view.table
    # FIG. 10's switch keeps no multicast table: MLID reassignment cannot apply and shows
    # no figures, port remap keeps the group reachable
    assert {table.value(m.label, "mlid") for m in METRICS} == {"n/a"}
    assert table.value("invariants", "mlid") == "n/a"
    assert "not applicable: MLID reassignment needs switch multicast tables" in \
        view.sheet.needs.text()
    assert int(table.value("lost in failovers", "port")) == 0
    peers = {m: int(table.value("remote peers touched", m)) for m in ("port", "lmc")}
    assert peers["port"] == 0 and peers["lmc"] > 0
    # what tells the prior art apart: it rewrites LFTs, the methods do not
    assert int(table.value("LFT blocks written", "lmc")) > 0
    assert int(table.value("LFT blocks written", "port")) == 0
    # the dock names what each strategy needs in its header's tooltip; the window spells
    # it out below the table
    assert "LMC headroom" in table.horizontalHeaderItem(3).toolTip()
    # the dock hides the long meanings (each figure's tooltip), the window shows them
    meaning = table.columnCount() - 1
    assert table.isColumnHidden(meaning)
    assert table.item(0, 0).toolTip() == METRICS[0].explain
    dialog = view.open_window()
    assert dialog.isVisible() and view.window_sheet is not None
    assert not view.window_sheet.table.isColumnHidden(meaning)
    assert "LMC headroom" in view.window_sheet.needs.text()
    assert view.window_sheet.table.value("remote peers touched", "lmc") == str(peers["lmc"])
    dialog.close()


def test_resizing_the_window_leaves_the_find_box_its_focus(qtbot, settings):
    """The canvas takes the keys after the first layout, a found node and Escape (their
    purpose: + / - / N work without a click), never on a resize: the trial typed in the
    Find box, resized the window (across the 900 px title-bar switch) and typed on."""
    from PySide6.QtWidgets import QApplication

    window = open_window(qtbot, settings, "fig10", size=(1920, 1080))
    qtbot.waitUntil(lambda: window._laid_out and window.view.hasFocus(), timeout=5000)
    box = window.actions_.search
    window.focus_search()
    qtbot.waitUntil(box.hasFocus, timeout=5000)
    qtbot.keyClicks(box, "sw")
    for size in ((1800, 1000), (1280, 720), (1300, 740), (1920, 1080)):
        window.resize(*size)
        qtbot.waitUntil(lambda s=size: (window.width(), window.height()) == s, timeout=5000)
        QApplication.processEvents()
        assert QApplication.focusWidget() is box, size
    qtbot.keyClicks(box, "itch")
    assert box.text() == "switch"


def test_while_playing_the_panels_agree_with_the_event_log(qtbot, settings, monkeypatch):
    """Playing through fig10's failover (six narration steps within 23 µs): once the
    event log shows the remap, the narration, the groups panel and the switch inspector
    show it too from the next frame, not up to a quarter second later (the plots' pace,
    here made an hour so that only the state change can refresh them)."""
    from ibviz.gui.panels.group_columns import STATUS_COL
    from ibviz.gui.window import main as main_module

    monkeypatch.setattr(main_module, "SLOW_REFRESH_MS", 3_600_000)
    window = open_window(qtbot, settings, "fig10", size=(1280, 720))
    c, s = window.controller, window.session
    c.seek(2000.0)
    c.play()
    qtbot.waitUntil(lambda: c.view_time_us > 2023.5, timeout=30000)

    def agree() -> bool:
        t = c.view_time_us
        step = len([1 for at, _ in s.narration() if at <= t + 1e-9])
        svc = window.groups.tree.topLevelItem(0)
        return (window.narration.step.text().startswith(f"step {step}\n")
                and "DefaultMulticastPrimaryPort <b>2</b>" in window.inspector.info.text()
                and svc is not None and svc.text(STATUS_COL) == "served by second-node")

    qtbot.waitUntil(agree, timeout=5000)
    assert c.playing
    c.pause()
