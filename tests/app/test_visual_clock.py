"""The visual clock paces simulated time by hops: a watched hop lasts its wall time, idle
gaps pass at the idle speed, a hop starting mid-frame is never skipped; and the packet
frames of a real session put multicast copies on separate links after a switch."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from ibviz.app.opening import open_any
from ibviz.app.packet_frame import (
    ACK_GLYPH,
    MULTICAST,
    NAK_GLYPH,
    SA_GLYPH,
    SMP_GLYPH,
    UNICAST,
    PacketFrames,
)
from ibviz.app.visual_clock import HOP_WALL_MAX_S, VisualClock
from ibviz.core.model import PortRef
from ibviz.core.sim.hoplog import HopLog
from ibviz.core.sim.packet import NAK_SEQUENCE, DataPacket


def fixed(t0: list[float], t1: list[float]):
    arrays = (np.array(t0, float), np.array(t1, float))
    return lambda: arrays


def no_run(_t: float) -> None:
    pass


def test_a_hop_in_flight_lasts_its_wall_time():
    clock = VisualClock(hop_wall_s=0.4)
    spans = fixed([10.0], [10.06])
    half = clock.advance(10.0, 0.2, 500.0, spans, no_run, 1000.0)
    assert half == pytest.approx(10.03)
    whole = clock.advance(10.0, 0.4, 500.0, spans, no_run, 1000.0)
    assert whole == pytest.approx(10.06)


def test_idle_gaps_pass_at_the_idle_speed_and_stop_where_a_hop_starts():
    clock = VisualClock(hop_wall_s=0.4)
    spans = fixed([10.0], [10.06])
    assert clock.advance(0.0, 0.01, 500.0, spans, no_run, 1000.0) == pytest.approx(5.0)
    # a frame that would cross the start of the hop stops there, then paces by the hop
    t = clock.advance(9.0, 0.1, 500.0, spans, no_run, 1000.0)
    idle_wall = 1.0 / 500.0
    assert t == pytest.approx(10.0 + (0.1 - idle_wall) * 0.06 / 0.4)
    # after the hop, the idle pace again; never beyond the end
    assert clock.advance(10.06, 0.02, 500.0, spans, no_run, 15.0) == pytest.approx(15.0)


def test_the_shortest_hop_in_flight_sets_the_pace():
    clock = VisualClock(hop_wall_s=0.5)
    spans = fixed([0.0, 0.0], [1.0, 4.0])
    assert clock.advance(0.0, 0.25, 500.0, spans, no_run, 10.0) == pytest.approx(0.5)


def test_hops_appear_as_the_simulation_runs():
    """Hops become known only when the simulation runs that far: the clock runs it to
    the horizon it considers, then stops at a hop that started within it."""
    t0, t1 = [], []
    ran = []

    def run(t: float) -> None:
        ran.append(t)
        if t > 20.0 and not t0:
            t0.append(20.0)
            t1.append(20.1)

    clock = VisualClock(hop_wall_s=0.4)
    spans = lambda: (np.array(t0), np.array(t1))  # noqa: E731
    t = clock.advance(0.0, 0.1, 500.0, spans, run, 1000.0)
    assert ran and ran[0] == pytest.approx(50.0)
    assert 20.0 < t < 20.1  # stopped at the hop's start, then crawled along it


def test_hop_wall_is_clamped():
    clock = VisualClock()
    clock.set_hop_wall(100.0)
    assert clock.hop_wall_s == HOP_WALL_MAX_S


@pytest.fixture(scope="module")
def fig8():
    session = open_any("fig8").session
    session.run_until(200.0)
    return session


def node_xy_of(session):
    guids = sorted(session.fabric.nodes)
    xy = {g: (float(i), float(i * i)) for i, g in enumerate(guids)}
    return lambda nodes: np.array([xy[int(g)] for g in np.asarray(nodes).ravel()],
                                  float).reshape(-1, 2)


def test_multicast_copies_fork_at_a_switch(fig8):
    frames = PacketFrames(fig8)
    frames.update()
    hops = fig8.hops
    assert (frames.glyph == MULTICAST).any()
    # a packet whose copies leave one switch together on two links
    by_start: dict[tuple[int, float, int], list[int]] = {}
    for i in range(len(hops)):
        h = hops[i]
        by_start.setdefault((h.pid, round(h.t0, 9), h.src.node), []).append(i)
    fork = next(v for v in by_start.values() if len(v) >= 2)
    first = hops[fork[0]]
    mid = (first.t0 + first.t1) / 2
    frame = frames.at(mid, node_xy_of(fig8))
    mine = frame.ref == first.pid
    assert mine.sum() >= 2
    xy = frame.xy[mine]
    assert len({(round(x, 6), round(y, 6)) for x, y in xy}) == mine.sum()  # apart
    src = node_xy_of(fig8)([first.src.node])[0]
    for i, row in zip(fork, xy[:len(fork)], strict=False):
        dst = node_xy_of(fig8)([hops[i].dst.node])[0]
        assert np.allclose(row, (src + dst) / 2) or any(
            np.allclose(r, (src + dst) / 2) for r in xy)


def test_pace_follows_the_watched_packet(fig8):
    frames = PacketFrames(fig8)
    t0, t1 = frames.pace_spans(watched=int(frames.pid[0]) if len(frames.pid) else 0)
    assert len(t0) == (frames.pid == frames.pid[0]).sum()
    everything, _ = frames.pace_spans()
    assert len(everything) >= len(fig8.hops)


def test_unicast_ack_and_mads_get_their_glyphs():
    session = open_any("rc-unicast-group-lid").session
    session.run_until(2000.0)
    frames = PacketFrames(session)
    frames.update()
    assert {UNICAST, MULTICAST, ACK_GLYPH} <= set(frames.glyph.tolist())
    assert set(frames.mad_glyph.tolist()) == {SMP_GLYPH, SA_GLYPH}


def test_a_nak_is_told_from_an_ack_by_its_syndrome(fig8):
    hops, a, b = HopLog(), PortRef(1, 1), PortRef(2, 1)
    packets = {0: DataPacket("rc/ack", 4, 5, 9, kind="ack"),
               1: DataPacket("rc/ack", 4, 5, 9, kind="ack", syndrome=NAK_SEQUENCE)}
    for pid in packets:
        hops.add(pid, "rc/ack", a, b, 0.0, 1.0, 1)
    session = SimpleNamespace(hops=hops, net=SimpleNamespace(packets=packets), sm=None)
    frames = PacketFrames(session)
    frames.update()
    assert frames.glyph.tolist() == [ACK_GLYPH, NAK_GLYPH]


def test_mad_columns_match_the_records(fig8):
    log = fig8.sm.mads
    cols = log.columns()
    assert len(cols["index"]) == len(log) - log.mads.first
    for k, i in enumerate(cols["index"].tolist()):
        mad = log.mads[i]
        assert cols["time_us"][k] == mad.time_us and cols["latency_us"][k] == mad.latency_us
        assert cols["mgmt_class"][k] == mad.mgmt_class
        assert cols["src_node"][k] == (mad.src.node if mad.src else 0)
        assert cols["dst_node"][k] == (mad.dst.node if mad.dst else 0)
    assert len(log.columns(len(log) - 2)["index"]) == 2


def test_packets_of_nodes_not_drawn_are_left_out(fig8):
    frames = PacketFrames(fig8)
    hop = fig8.hops[0]
    full = node_xy_of(fig8)

    def without_src(nodes):
        if int(hop.src.node) in {int(g) for g in np.asarray(nodes).ravel()}:
            raise KeyError("not on the canvas")
        return full(nodes)

    t = (hop.t0 + hop.t1) / 2
    assert hop.pid in frames.at(t, full).ref.tolist()
    assert hop.pid not in frames.at(t, without_src).ref.tolist()


def test_identical_mads_are_drawn_once_and_listed_all():
    """An SM sweep sends thousands of MADs with the same ends and times: one marker."""
    from ibviz.core.sm.mads import SMP_CLASS, Mad, MadLog

    log = MadLog()
    a, b, c = PortRef(1, 0), PortRef(2, 0), PortRef(3, 0)
    for attribute in ("NodeInfo", "PortInfo", "PortInfo", "SwitchInfo"):
        log.add(Mad(SMP_CLASS, 1, attribute, 0, a, b, 0.0, 2.0))
    log.add(Mad(SMP_CLASS, 1, "NodeInfo", 0, a, c, 0.0, 2.0))
    log.add(Mad(SMP_CLASS, 1, "NodeInfo", 0, a, a, 0.0, 2.0))  # to itself: not drawn
    session = SimpleNamespace(hops=None, sm=SimpleNamespace(mads=log))
    frames = PacketFrames(session)
    frames.update()
    assert len(frames.mad_index) == 5  # every MAD between two nodes, for the list
    xy = {1: (0.0, 0.0), 2: (2.0, 0.0), 3: (0.0, 2.0)}
    frame = frames.at(1.0, lambda g: np.array([xy[int(n)] for n in g], float))
    assert len(frame) == 2
    assert sorted(map(tuple, frame.xy.round(6).tolist())) == [(0.0, 1.0), (1.0, 0.0)]
