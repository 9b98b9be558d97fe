"""What the canvas and the tables show, computed from the session: node states at the
view time, the selected group's multicast tree, packets in flight, recent drops, node
names in core messages. No widgets here."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ibviz.core.model import PortRef
from ibviz.core.scenario.report import FILTERING

TRAIL_WALL_S = 0.05
"""Hops that ended within what 50 ms of play covers stay drawn (at their destination)."""
DROP_TRAILS = 8
"""A drop's cross stays for eight trails (0.4 s of play)."""


GUID_TOKEN = re.compile(r"0x[0-9a-fA-F]{8,16}\b")


def with_node_names(text: str, fabric: Any) -> str:
    """``text`` with node GUIDs (``0x0002c90300000000``, ``0x2c90300000000``) replaced by
    the nodes' names; LIDs and MLIDs (four hex digits) are left alone."""
    def name(match: re.Match) -> str:
        node = fabric.nodes.get(int(match.group(0), 16))
        return node.label if node is not None else match.group(0)
    return GUID_TOKEN.sub(name, text)


CHANGES_KEPT = 4096
"""Fail/recover changes kept for views of past times; older ones are folded into the
set of nodes down before the oldest kept change (a long session stays bounded)."""


class NodeStates:
    """Node states at any view time, from the log's ``fail``/``recover`` entries (read
    incrementally: a long log costs nothing per frame) and the controller's outcomes.
    The newest :data:`CHANGES_KEPT` changes are kept in detail."""

    def __init__(self, kept: int = CHANGES_KEPT) -> None:
        self._log: Any = None
        self._seen = 0
        self._changes: list[tuple[float, int, bool]] = []
        self._base: set[int] = set()
        """Nodes down just before the oldest kept change."""
        self.kept = kept

    def _catch_up(self, log: list) -> None:
        if log is not self._log or len(log) < self._seen:  # a new or rebuilt session
            self._log, self._seen, self._changes, self._base = log, 0, [], set()
        start = max(self._seen, getattr(log, "first", 0))
        for entry in log[start:]:
            if entry.node is not None and entry.kind in ("fail", "recover"):
                self._changes.append((entry.t_us, entry.node, entry.kind == "fail"))
        self._seen = len(log)
        if len(self._changes) > 2 * self.kept:
            old = len(self._changes) - self.kept
            for _, guid, failed in self._changes[:old]:
                (self._base.add if failed else self._base.discard)(guid)
            del self._changes[:old]

    def states(self, session: Any, t_us: float) -> dict[int, str]:
        """GUID -> ``failed``/``taking_over``/``recovering``/``sender`` at ``t_us``
        (takeovers and failbacks last from their start until restored)."""
        self._catch_up(session.log)
        states: dict[int, str] = {}
        for pg in session.controller.groups.values():
            for guid in pg.senders:
                states[guid] = "sender"
        for out in session.controller.outcomes:
            if out.target is None or out.started_us > t_us or out.problem:
                continue
            if out.restored_us is not None and out.restored_us <= t_us:
                continue
            states[out.target] = "taking_over" if out.kind == "failover" else "recovering"
        down = set(self._base)
        for t, guid, failed in self._changes:
            if t > t_us:
                break
            (down.add if failed else down.discard)(guid)
        if t_us >= session.now_us:
            down |= set(session.sm.failed)
        for guid in down:
            states[guid] = "failed"
        return states


def group_highlight(session: Any, mgid: int) -> tuple[set[tuple[PortRef, PortRef]],
                                                       set[PortRef]]:
    """The links of group ``mgid``'s multicast tree (MFT entries and, where a switch keeps
    no table, its default primary port) and the group's member ports."""
    group = session.sm.sa.groups.get(mgid)
    if group is None:
        return set(), set()
    fabric = session.fabric
    links: set[tuple[PortRef, PortRef]] = set()
    for sw, table in session.sm.mfts.items():
        for port in table.get(group.mlid, ()):
            link = fabric.link_at(PortRef(sw, port))
            if link is not None:
                links.add(link.key)
    for sw, info in session.sm.switch_info.items():
        if not info.keeps_multicast_table and info.default_mcast_primary_port:
            link = fabric.link_at(PortRef(sw, info.default_mcast_primary_port))
            if link is not None:
                links.add(link.key)
    return links, set(group.members)


XY = Callable[[np.ndarray], np.ndarray]
"""``FabricView.node_xy``: node GUIDs -> ``(K, 2)`` scene positions."""


def hops_in_flight(session: Any, node_xy: XY, t_us: float, span_us: float = 0.0
                   ) -> tuple[np.ndarray, ...]:
    """(t0, t1, src_xy, dst_xy, flow_index) of the hops on the wire at ``t_us``.

    A hop usually lasts a fraction of a microsecond while a frame at normal speed covers
    several: with ``span_us`` a hop that ended in the last ``span_us`` is kept too, drawn
    at its end (clipped to its destination), so traffic stays visible at any speed.
    """
    hops = session.hops
    if hops is None or not len(hops):
        empty = np.zeros(0)
        return empty, empty, np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0, np.int32)
    t0, t1 = hops.t0, hops.t1
    idx = np.flatnonzero((t0 <= t_us) & (t1 > t_us - span_us))
    ends = hops.endpoints(idx)
    src = node_xy(np.fromiter((a.node for a, _ in ends), np.int64, len(ends)))
    dst = node_xy(np.fromiter((b.node for _, b in ends), np.int64, len(ends)))
    end = np.maximum(t1[idx], np.nextafter(t_us, np.inf))  # ended hops sit at their end
    return np.minimum(t0[idx], t_us), end, src, dst, hops.flow_index[idx]


def recent_drops(session: Any, node_xy: XY, t_us: float, window_us: float
                 ) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Positions, times and records of the drops in ``(t_us - window_us, t_us]``, leaving
    out the normal filtering of surplus multicast copies (a tree's last switch, a port
    without a QP attached): a cross on the canvas means a packet really got lost."""
    drops = session.drops
    times = [d.t_us for d in drops]
    lo = bisect.bisect_right(times, t_us - window_us)
    hi = bisect.bisect_right(times, t_us)
    chosen = [d for d in drops[lo:hi] if d.reason not in FILTERING]
    xy = node_xy(np.fromiter((d.port.node for d in chosen), np.int64, len(chosen)))
    return xy, np.array([d.t_us for d in chosen], float), chosen
