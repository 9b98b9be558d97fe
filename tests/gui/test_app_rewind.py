"""The whole window obeys the clock: every panel at a time t reached directly shows what it
shows at t reached by playing, then Step back, and by Restart and a replay, for every
built-in scenario; user actions happen at the view time and drop the script's future
only where they conflict with it (undo restores it).

Deterministic: the controller's methods drive the clock (never wall time, never sleeps).
"""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 is not installed")
pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from conftest import open_window  # noqa: E402
from ibviz.core import actions as act  # noqa: E402
from ibviz.topology.scenarios import scenario_names  # noqa: E402

CHUNK_US = 500.0
"""A replay seeks forward in chunks this long (as frames of play would)."""


def model_rows(model, parent=None, tree: bool = False) -> list:
    """Every row of a Qt item model, as display texts (a tree's children nested)."""
    from PySide6.QtCore import QModelIndex, Qt

    parent = parent or QModelIndex()
    rows = []
    for r in range(model.rowCount(parent)):
        cells = [model.data(model.index(r, c, parent), Qt.ItemDataRole.DisplayRole)
                 for c in range(model.columnCount(parent))]
        child = model.index(r, 0, parent)
        rows.append((cells, model_rows(model, child, tree) if tree else []))
    return rows


def panel_text(widget) -> list:
    """What a panel shows: its labels' texts and its item views' rows."""
    from PySide6.QtWidgets import QAbstractItemView, QLabel, QTreeView

    labels = [label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget)]
    views = [model_rows(v.model(), tree=isinstance(v, QTreeView))
             for v in widget.findChildren(QAbstractItemView)
             if v.model() is not None]
    return [labels, views]


def metrics_state(window) -> list:
    flows = window.metrics.flows
    curves = [(name, [list(map(float, a)) for a in delivered.getData() if a is not None],
               [list(map(float, a)) for a in lost.getData() if a is not None])
              for name, (delivered, lost) in flows.curves.items()]
    return [curves, sorted(float(m.value()) for m in flows.markers),
            float(flows.cursor.value()), flows.key.text()]


def snapshot(window) -> dict:
    """Every panel's content at the view time."""
    window._slow_refresh()
    view = window.view
    return {
        "time": window.controller.view_time_us,
        "groups": panel_text(window.groups),
        "inspector": panel_text(window.inspector),
        "log": panel_text(window.log_panel),
        "metrics": metrics_state(window),
        "narration": (window.narration.step.text(), window.narration.sentence),
        "states": dict(view._states),
        "links_down": set(view._down),
        "tree": view._highlight,
        "status": [w.text() for w in (window.status_time, window.status_flight,
                                      window.status_sm)],
    }


def inspect_primary_switch(window) -> None:
    """Show the switch next to the first protected group's primary (its MFT changes)."""
    s = window.session
    pg = next(iter(s.controller.groups.values()), None)
    if pg is None:
        return
    peer = s.fabric.peer(s.port_of(pg.primary))
    if peer is not None:
        assert window.inspector.show_switch(peer.node)


def replay_to(window, t_us: float) -> None:
    ctl = window.controller
    while ctl.view_time_us < t_us:
        ctl.seek(min(t_us, ctl.view_time_us + CHUNK_US))


def same(a: dict, b: dict) -> None:
    for key in a:
        assert a[key] == b[key], f"{key} differs at t = {a['time']} us"


@pytest.mark.parametrize("name", scenario_names())
def test_every_panel_at_t_is_the_same_however_t_was_reached(qtbot, settings, name):
    played = open_window(qtbot, settings, name, size=(1280, 720))
    ctl = played.controller
    inspect_primary_switch(played)
    replay_to(played, ctl.duration_us)                     # play to the end
    for _ in range(3):
        ctl.step_back()
    t = ctl.view_time_us
    assert 0 < t < ctl.duration_us
    inspect_primary_switch(played)
    stepped_back = snapshot(played)
    assert all(e.t_us <= t for e in played.session.log)    # no future rows

    direct = open_window(qtbot, settings, name, size=(1280, 720))
    direct.controller.seek(t)
    inspect_primary_switch(direct)
    same(snapshot(direct), stepped_back)

    played.actions_.restart.trigger()                      # Restart, then replay
    assert ctl.view_time_us == 0.0
    replay_to(played, t)
    inspect_primary_switch(played)
    same(snapshot(played), stepped_back)

    mid = min(ctl.duration_us, max(o.started_us for o in played.session.controller.outcomes)
              + 50.0) if played.session.controller.outcomes else ctl.duration_us / 2
    direct.controller.seek(mid)                            # a jump back past failovers
    played.controller.seek(ctl.duration_us)
    played.controller.seek(mid)
    for w in (direct, played):
        inspect_primary_switch(w)
    same(snapshot(direct), snapshot(played))


def _log_rows(window) -> list[tuple[float, str, str]]:
    return [(e.t_us, e.kind, e.text) for e in window.session.log]


def test_fail_after_restart_happens_at_the_view_time_and_drops_the_scripts_future(
        qtbot, settings):
    window = open_window(qtbot, settings, "fig10")
    ctl, s = window.controller, window.session
    pg = s.controller.groups["svc"]
    replay_to(window, ctl.duration_us)
    window.actions_.restart.trigger()
    ctl.seek(500.0)
    window.select_node(pg.primary)
    window.fail_selected()
    assert ctl.view_time_us == 500.0                       # no jump to the script's end
    fails = [(t, kind) for t, kind, _ in _log_rows(window) if kind in ("fail", "recover")]
    assert fails == [(500.0, "fail")]
    assert window.narration.sentence == ("Your Fail first-node replaces the rest of the "
                                         "script (2 steps); Undo brings them back.")
    replay_to(window, ctl.duration_us)                     # no second fail, no failback
    fails = [(t, kind) for t, kind, _ in _log_rows(window) if kind in ("fail", "recover")]
    assert fails == [(500.0, "fail")]
    window.select_node(pg.primary)
    window._update_enabled()
    assert window.actions_.failback.isEnabled()            # the trainer fails it back
    window.failback_selected()
    assert [k for _t, k, _ in _log_rows(window) if k in ("fail", "recover")] == \
        ["fail", "recover"]
    ctl.undo()                                             # the failback
    ctl.undo()                                             # the fail: the script is back
    assert ctl.view_time_us == 500.0 and s.script_cut_us == float("inf")
    replay_to(window, ctl.duration_us)
    assert [(t, k) for t, k, _ in _log_rows(window) if k in ("fail", "recover")] == \
        [(2000.0, "fail"), (6000.0, "recover")]
    ctl.redo()                                             # and gone again
    assert s.script_cut_us == 500.0


def test_an_action_that_does_not_conflict_keeps_the_script(qtbot, settings):
    window = open_window(qtbot, settings, "fig8")
    ctl, s = window.controller, window.session
    sender = next(iter(s.controller.groups["svc"].senders))
    ctl.seek(300.0)
    ctl.apply(act.Leave(sender, "svc", "send-only-full"))
    assert s.script_cut_us == float("inf")
    replay_to(window, 2500.0)
    assert [t for t, k, _ in _log_rows(window) if k == "fail"] == [2000.0]


def test_an_action_in_the_past_replaces_the_users_later_ones(qtbot, settings):
    window = open_window(qtbot, settings, "demo")          # free play: no script
    ctl, s = window.controller, window.session
    pg = s.controller.groups["svc"]
    assert not [a for _t, a in s.script if a.kind in ("fail", "failback")]
    ctl.seek(1000.0)
    ctl.apply(act.Fail(pg.primary))
    ctl.seek(3000.0)
    ctl.apply(act.FailBack(pg.primary))
    ctl.seek(2000.0)                                       # back between the two
    assert pg.primary in s.sm.failed and ctl.view_time_us == 2000.0
    ctl.apply(act.Fail(pg.takeover))
    assert [t.at_us for t in s.actions] == [1000.0, 2000.0]
    assert "your 1 later action" in window.narration.sentence
    ctl.undo()
    assert [t.at_us for t in s.actions] == [1000.0, 3000.0]


def test_the_timeline_bar_shows_the_script_and_seeks(qtbot, settings):
    from PySide6.QtCore import QPoint, Qt

    window = open_window(qtbot, settings, "fig10", size=(1280, 720))
    bar, ctl = window.timeline, window.controller
    assert [(m.t_us, m.text, m.origin) for m in bar.markers] == [
        (2000.0, "Fail first-node", "script"), (6000.0, "Fail back first-node", "script")]
    y = bar.height() - 20
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(bar.x_of(6000.0)) + 3, y))
    qtbot.waitUntil(lambda: ctl.view_time_us == 6000.0)    # a marker: its exact time
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(bar.x_of(1000.0)), y))
    qtbot.waitUntil(lambda: abs(ctl.view_time_us - 1000.0) < 10_000 / bar.width())
    assert not [e for e in window.session.log if e.kind == "fail"]  # rewound
    qtbot.mousePress(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(bar.x_of(3000.0)), y))
    qtbot.mouseMove(bar, QPoint(round(bar.x_of(4000.0)), y))
    qtbot.mouseRelease(bar, Qt.MouseButton.LeftButton, pos=QPoint(round(bar.x_of(4000.0)), y))
    qtbot.waitUntil(lambda: abs(ctl.view_time_us - 4000.0) < 10_000 / bar.width())
    ctl.seek(1000.0)
    ctl.apply(act.Fail(window.session.controller.groups["svc"].primary))
    assert [(m.origin, m.text) for m in bar.markers] == [
        ("user", "Fail first-node"), ("dropped", "Fail first-node"),
        ("dropped", "Fail back first-node")]
    ctl.undo()
    assert [m.origin for m in bar.markers] == ["script", "script"]


def test_the_demo_opens_in_free_play(qtbot, settings):
    window = open_window(qtbot, settings)
    assert window.timeline.markers == [] and "free play" in window.windowTitle()
    window.controller.seek(window.controller.duration_us)
    assert not window.session.controller.outcomes         # nothing fails by itself


def test_a_jump_from_the_event_log_rewinds_every_panel(qtbot, settings):
    window = open_window(qtbot, settings, "fig10")
    ctl, panel = window.controller, window.log_panel
    ctl.seek(8000.0)                                       # after the fail and the failback
    fail = next(r for r in range(panel.model.rowCount()) if panel.model.entry(r).kind == "fail")
    t = panel.model.entry(fail).t_us
    panel.select_row(fail)
    assert ctl.view_time_us == t == 2000.0
    assert max(e.t_us for e in window.session.log) <= t     # the log lost its future rows
    assert panel.model.entry(panel.model.rowCount() - 1).t_us <= t
    direct = open_window(qtbot, settings, "fig10")
    direct.controller.seek(t)
    assert snapshot(direct)["groups"] == snapshot(window)["groups"]
    assert snapshot(direct)["inspector"] == snapshot(window)["inspector"]


def test_a_look_ahead_then_a_seek_to_a_hop_start_never_re_simulates(qtbot, settings):
    """The visual clock runs the session ahead to find hop starts, then shows one of
    them: with run_ahead the session never passes it, so no frame rebuilds the session."""
    from ibviz.core import events as ev

    window = open_window(qtbot, settings, "fig10")
    ctl, s = window.controller, window.session
    resets: list = []
    s.events.subscribe(ev.SessionReset, resets.append)
    stops = 0
    while ctl.view_time_us < 2500.0:                       # through the failover
        t = ctl.view_time_us
        horizon = t + 8.0                                  # a frame at 500 us/s
        ctl.run_ahead(horizon)
        starts = s.hops.t0[(s.hops.t0 > t) & (s.hops.t0 < horizon)]
        stops += bool(len(starts))
        ctl.seek(float(starts.min()) if len(starts) else horizon)
        assert s.now_us == ctl.view_time_us
    assert resets == [] and stops > 10


def test_close_markers_on_the_timeline_bar_each_keep_their_label(qtbot, settings):
    """A fail at 0 ms and its fail back 0.18 ms later sit on one spot of a 10 ms bar: both
    labels are drawn (the second beside the first), not only the fail's."""
    window = open_window(qtbot, settings, size=(1280, 720))  # the demo: free play
    ctl, bar = window.controller, window.timeline
    primary = window.session.controller.groups["svc"].primary
    ctl.apply(act.Fail(primary))
    ctl.seek(176.0)
    ctl.apply(act.FailBack(primary))
    qtbot.waitUntil(lambda: len(bar.markers) == 2)
    bar.grab()  # paints it
    assert bar.drawn_labels == [m.text for m in bar.markers]
    assert bar.drawn_labels == ["Fail first-node", "Fail back first-node"]
