"""Simulation mode on the seed's FIG. 8 fabric (mode 1, a multicast group of several
members): a watched multicast packet glides along its link at the hop pace, its copies
fork at the switch, a click on a packet shows its headers, a row of the hop list seeks.

Wall time is handed to the controller explicitly (:meth:`advance_target`, what each
animation frame does with the time since the last one), so nothing depends on timing."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from conftest import open_window  # noqa: E402
from ibviz.app.packet_frame import MULTICAST  # noqa: E402


@pytest.fixture
def fig8(qtbot, settings):
    window = open_window(qtbot, settings, "fig8")
    window.controller.seek(60.0)  # the session now knows several multicast packets
    return window


def multicast_fork(window):
    """(pid, the hop into the switch, the copies leaving it) of the first multicast
    packet whose copies leave one switch together on two or more links."""
    frames, hops = window.frames, window.session.hops
    frames.update()
    switches = {g for g, n in window.session.fabric.nodes.items() if n.kind.name == "SWITCH"}
    for i in np.flatnonzero(frames.glyph == MULTICAST).tolist():
        into = hops[i]
        if into.dst.node not in switches:
            continue
        out = [hops[j] for j in range(len(hops)) if hops.pid(j) == into.pid
               and hops[j].src.node == into.dst.node]
        if len(out) >= 2:
            return into.pid, into, out
    raise AssertionError("no multicast packet forks in fig8's first 60 us")


def marker_positions(window, pid):
    layer = window.view.packets
    return layer.marker_xy()[layer.refs() == pid]


def mid(window, hop):
    a, b = window.view.node_xy([hop.src.node, hop.dst.node])
    return (a + b) / 2


def test_hop_pacing_is_on_and_the_slider_leaves_it(fig8):
    assert fig8.controller.visual_clock.enabled and fig8.pace.hops.isChecked()
    fig8.controls.set_speed(5000.0)
    assert not fig8.controller.visual_clock.enabled and not fig8.pace.hops.isChecked()
    fig8.pace.hops.setChecked(True)
    assert fig8.controller.visual_clock.enabled


def test_watched_multicast_packet_is_mid_link_after_half_a_hop(fig8):
    pid, into, _ = multicast_fork(fig8)
    c = fig8.controller
    c.seek(into.t0)
    fig8.watch_packet(pid)
    c.seek(c.advance_target(c.visual_clock.hop_wall_s / 2))
    assert c.view_time_us == pytest.approx((into.t0 + into.t1) / 2, abs=1e-9)
    shown = marker_positions(fig8, pid)
    assert len(shown) == 1
    assert np.allclose(shown[0], mid(fig8, into), atol=1e-6)
    assert fig8.view.packets.watched == pid
    # a quarter second later it has moved on along the same link, not jumped
    c.seek(c.advance_target(c.visual_clock.hop_wall_s / 4))
    a, b = fig8.view.node_xy([into.src.node, into.dst.node])
    assert np.allclose(marker_positions(fig8, pid)[0], a + (b - a) * 0.75, atol=1e-6)


def test_multicast_copies_fork_at_the_switch(fig8):
    pid, into, out = multicast_fork(fig8)
    c = fig8.controller
    c.seek(into.t1)  # the packet reaches the switch
    fig8.watch_packet(pid)
    c.seek(c.advance_target(c.visual_clock.hop_wall_s / 2))  # switch latency, half a hop
    shown = marker_positions(fig8, pid)
    assert len(shown) == len(out) >= 2
    for hop in out:  # one copy about half way along each egress link, together
        a, b = fig8.view.node_xy([hop.src.node, hop.dst.node])
        assert any(on_link(p, a, b, 0.45, 0.55) for p in shown), (hop, shown)
    assert len({tuple(np.round(p, 6)) for p in shown}) == len(out)  # apart


def on_link(p, a, b, lo, hi) -> bool:
    """Whether ``p`` is on segment a-b, between fractions ``lo`` and ``hi`` of it."""
    ab = b - a
    f = float(np.dot(p - a, ab) / np.dot(ab, ab))
    return lo <= f <= hi and np.allclose(a + ab * f, p, atol=1e-6 * np.linalg.norm(ab))


def test_click_on_a_packet_shows_its_headers(fig8, qtbot):
    from PySide6.QtCore import QPointF, Qt

    pid, into, _ = multicast_fork(fig8)
    c = fig8.controller
    c.seek((into.t0 + into.t1) / 2)
    where = fig8.view.mapFromScene(QPointF(*mid(fig8, into)))
    qtbot.mouseClick(fig8.view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert c.visual_clock.watched == pid
    fields = fig8.packets.field_values()
    packet = fig8.session.net.packets[pid]
    lrh = fields["LRH (Local Route Header)"]
    assert lrh["slid"] == f"{packet.slid:#x} ({packet.slid})" or lrh["slid"] == str(packet.slid)
    assert lrh["dlid"] == f"{packet.dlid:#x} ({packet.dlid})"
    assert "dest_qp" in fields["BTH (Base Transport Header)"]
    assert "dgid" in fields["GRH (Global Route Header)"]
    assert fig8.selected_node is None  # the click went to the packet, not the switch


def test_a_click_on_a_node_with_a_packet_glyph_on_it_selects_the_node(fig8, qtbot):
    from PySide6.QtCore import QPointF, Qt

    pid, into, out = multicast_fork(fig8)
    c = fig8.controller
    c.seek(out[0].t0)  # the copies leave the switch: their glyphs sit on it
    switch = into.dst.node
    xy = fig8.view.node_xy([switch])[0]
    glyphs = marker_positions(fig8, pid)
    assert np.isclose(glyphs, xy, atol=1e-6).all(axis=1).any()
    on_node = fig8.view.mapFromScene(QPointF(*xy))
    assert fig8.packet_clicks.ref_at(QPointF(on_node)) == pid  # the glyph is under it
    qtbot.mouseClick(fig8.view.viewport(), Qt.MouseButton.LeftButton, pos=on_node)
    qtbot.waitUntil(lambda: fig8.selected_node == switch, timeout=5000)
    assert c.visual_clock.watched != pid  # the node's click, not the packet's


def test_selecting_a_hop_row_seeks_there(fig8, qtbot):
    from PySide6.QtCore import Qt

    fig8.docks["hops"].raise_()
    panel = fig8.hop_list
    qtbot.waitUntil(lambda: panel.isVisible() and panel.model.rowCount() > 10)
    model = panel.model
    row = next(r for r in range(model.rowCount()) if model.refs[r] >= 0
               and model.times[r] > 20.0)
    panel.view.scrollTo(model.index(row, 0))
    rect = panel.view.visualRect(model.index(row, 0))
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert fig8.controller.view_time_us == pytest.approx(model.times[row])
    pid = model.packet_ref(row)
    assert fig8.controller.visual_clock.watched == pid
    assert pid in fig8.view.packets.refs().tolist()  # on the wire at that moment
    mad_row = next(r for r in range(model.rowCount()) if model.refs[r] < 0)
    panel.select_row(mad_row)
    assert fig8.controller.view_time_us == pytest.approx(model.times[mad_row])
    assert fig8.packets.title.text().startswith("MAD")


def test_hop_list_grows_as_time_runs_and_keeps_the_selection(fig8, qtbot):
    fig8.docks["hops"].raise_()
    panel = fig8.hop_list
    qtbot.waitUntil(lambda: panel.isVisible() and panel.model.rowCount() > 10)
    before = panel.model.rowCount()
    row = before - 3
    ref = int(panel.model.refs[row])
    panel.view.setCurrentIndex(panel.model.index(row, 0))
    fig8.controller.seek(300.0)  # the session runs on: more hops
    panel.refresh()
    assert panel.model.rowCount() > before
    assert int(panel.model.refs[panel.view.currentIndex().row()]) == ref
    assert (np.diff(panel.model.times) >= 0).all()  # still in time order
    assert len(set(panel.model.refs.tolist())) == panel.model.rowCount()  # none twice


def test_picking_a_packet_in_flight_in_the_inspector_watches_it(fig8, qtbot):
    pid, into, _ = multicast_fork(fig8)
    fig8.controller.seek((into.t0 + into.t1) / 2)
    fig8.docks["packets"].raise_()
    qtbot.waitUntil(lambda: fig8.packets.isVisible())
    fig8.packets.show_in_flight(fig8.controller.view_time_us)
    flight = fig8.packets.flight
    row = next(i for i in range(flight.topLevelItemCount())
               if flight.topLevelItem(i).text(0) == str(pid))
    flight.setCurrentItem(flight.topLevelItem(row))
    assert fig8.controller.visual_clock.watched == pid == fig8.view.packets.watched
    assert fig8.packets.title.text().startswith(f"Packet {pid}:")


def test_playing_at_hop_pace_shows_packets_mid_link(fig8, qtbot):
    """Played by the real timer (not a computed wall time): at hop pace some frame shows a
    data packet well inside its link; at 500 us/s by time a 0.06 us hop lasts 0.12 ms of
    wall time, so no frame ever would."""
    from conftest import play_until

    c = fig8.controller
    start = c.view_time_us
    mid_link: list[float] = []

    def gliding() -> bool:
        hops, t = fig8.session.hops, c.view_time_us
        live = np.flatnonzero((hops.t0 <= t) & (hops.t1 > t))
        frac = (t - hops.t0[live]) / (hops.t1[live] - hops.t0[live])
        shown = set(fig8.view.packets.refs().tolist())
        hit = [f for i, f in zip(live.tolist(), frac.tolist(), strict=True)
               if 0.2 < f < 0.8 and hops.pid(i) in shown]
        mid_link.extend(hit)
        return bool(hit)

    play_until(qtbot, fig8, gliding, timeout_ms=20000)
    assert c.visual_clock.enabled and c.view_time_us > start and mid_link


def test_a_hop_paced_step_moves_by_a_hop_and_shows_the_fork(fig8):
    pid, into, out = multicast_fork(fig8)
    c = fig8.controller
    c.seek(into.t0)
    fig8.watch_packet(pid)
    c.step_forward()  # half a hop: mid-link
    assert c.view_time_us == pytest.approx((into.t0 + into.t1) / 2, abs=1e-9)
    c.step_forward()  # the hop's end: at the switch
    assert c.view_time_us == pytest.approx(into.t1, abs=1e-9)
    start = min(h.t0 for h in out)
    if start > into.t1 + 1e-9:  # the switch's own latency: the copies start later
        c.step_forward()
        assert c.view_time_us == pytest.approx(start, abs=1e-9)
    c.step_forward()  # the copies mid-link on their own links
    t0, t1 = out[0].t0, out[0].t1
    assert c.view_time_us == pytest.approx((t0 + t1) / 2, abs=1e-9)
    assert len(marker_positions(fig8, pid)) >= 2
    c.step_back()  # back by half a hop, not by a few ns
    assert c.view_time_us == pytest.approx(start, abs=1e-9)


def test_unwatched_hop_paced_step_back_lands_on_a_hop_boundary(fig8):
    c = fig8.controller
    before = c.view_time_us
    c.step_back()
    t0, t1 = fig8.frames.pace_spans(None)
    edges = np.concatenate([t0, (t0 + t1) / 2, t1])
    assert np.isclose(edges, c.view_time_us, atol=1e-9).any()
    near = np.abs(edges - before) > 1e-9
    assert before - c.view_time_us >= 0.25 * float(np.min((t1 - t0)[near[:len(t0)]]))


def test_the_seconds_per_hop_are_kept_for_the_next_window(qtbot, settings):
    first = open_window(qtbot, settings, "fig8")
    assert first.controller.visual_clock.hop_wall_s == pytest.approx(0.4)
    first.pace.seconds.setValue(1.25)
    first.save_settings()
    again = open_window(qtbot, settings, "fig8")
    assert again.pace.seconds.value() == pytest.approx(1.25)
    assert again.controller.visual_clock.hop_wall_s == pytest.approx(1.25)
    assert again.controller.visual_clock.enabled
