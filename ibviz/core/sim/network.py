"""Data packets through the fabric the subnet manager programmed.

Each packet copy hops port to port on the event engine. A link adds its serialization
time (bytes x 8 / width x per-lane data rate) and a propagation delay. Switches forward
unicast by LFT and multicast by MFT, falling back to the default multicast ports
(:func:`~ibviz.core.sm.multicast.multicast_out_ports`). Every copy ends delivered, or
dropped with a named reason, or is still in flight, so conservation can be checked;
copies reaching a CA port twice, or a switch twice, are counted as duplicates and loops.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import count

from ibviz.core.addressing import MULTICAST_QPN, is_multicast_lid, port_accepts_dlid
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.phy import link_rate_gbps
from ibviz.core.sim.engine import Engine
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.multicast import multicast_out_ports

NO_PATH = 255


@dataclass(frozen=True, slots=True)
class DataPacket:
    """What forwarding and the receive checks look at (the wire form is in core.packets)."""

    flow: str
    dlid: int
    slid: int
    dest_qp: int
    size: int = 256
    has_grh: bool = False
    transport: str = "UD"


@dataclass
class Delivery:
    packet: int
    flow: str
    port: PortRef
    time_us: float


@dataclass
class Counters:
    sent: int = 0
    delivered: int = 0
    dropped: Counter = field(default_factory=Counter)
    duplicates: int = 0
    loops: int = 0
    copies: int = 0
    """Copies made at multicast fan-out points (one per extra output port)."""

    def in_flight(self) -> int:
        return self.sent + self.copies - self.delivered - sum(self.dropped.values())


class NetworkSim:
    """Forwards :class:`DataPacket` copies through ``sm``'s tables on ``engine``."""

    def __init__(self, sm: SubnetManager, engine: Engine, propagation_us: float = 0.05,
                 switch_latency_us: float = 0.1) -> None:
        self.sm = sm
        self.engine = engine
        self.propagation_us = propagation_us
        self.switch_latency_us = switch_latency_us
        self.counters: dict[str, Counters] = {}
        self.deliveries: list[Delivery] = []
        self._ids = count()
        self._seen_at: dict[int, set[PortRef]] = {}
        self._switch_seen: dict[int, set[int]] = {}
        self.receivers: dict[int, set[PortRef]] = {}
        """MLID -> CA ports with a QP attached to the group (set by the caller)."""

    # ----------------------------------------------------------------- sending
    def send(self, src: PortRef, packet: DataPacket, at_us: float | None = None) -> int:
        """Inject ``packet`` at CA port ``src``; returns the packet id."""
        pid = next(self._ids)
        c = self.counters.setdefault(packet.flow, Counters())
        c.sent += 1
        self._seen_at[pid] = set()
        self._switch_seen[pid] = set()
        t = self.engine.now if at_us is None else at_us
        self.engine.at(t, lambda: self._leave(pid, packet, src), f"send {packet.flow}")
        return pid

    def _drop(self, packet: DataPacket, reason: str) -> None:
        self.counters[packet.flow].dropped[reason] += 1

    def _leave(self, pid: int, packet: DataPacket, out: PortRef) -> None:
        """The copy leaves through port ``out``: cross the cable if it is up."""
        sm = self.sm
        if out.node in sm.failed:
            return self._drop(packet, "node down")
        link = sm.fabric.link_at(out)
        if link is None:
            return self._drop(packet, "port not cabled")
        if link.key in sm.down_links or link.other(out).node in sm.failed:
            return self._drop(packet, "link down")
        rate = link_rate_gbps(link.width, link.speed) or 2.0
        delay = packet.size * 8 / (rate * 1000.0) + self.propagation_us
        peer = link.other(out)
        self.engine.after(delay, lambda: self._arrive(pid, packet, peer))

    # ---------------------------------------------------------------- arriving
    def _arrive(self, pid: int, packet: DataPacket, at: PortRef) -> None:
        node = self.sm.fabric.nodes[at.node]
        if at.node in self.sm.failed:
            return self._drop(packet, "node down")
        if node.kind is NodeKind.SWITCH:
            return self._switch(pid, packet, at)
        self._receive(pid, packet, at)

    def _switch(self, pid: int, packet: DataPacket, at: PortRef) -> None:
        c = self.counters[packet.flow]
        if at.node in self._switch_seen[pid]:
            c.loops += 1
            return self._drop(packet, "loop")
        self._switch_seen[pid].add(at.node)
        if packet.dlid == 0:
            return self._drop(packet, "DLID 0")
        if is_multicast_lid(packet.dlid):
            outs = sorted(multicast_out_ports(self.sm.switch_info[at.node],
                                              self.sm.mfts.get(at.node, {}).get(packet.dlid),
                                              at.port))
            if not outs:  # e.g. a switch in the tree only for a send-only member
                entry = self.sm.mfts.get(at.node, {}).get(packet.dlid)
                return self._drop(packet, "multicast tree ends here" if entry
                                  else "no multicast route")
        else:
            table = self.sm.lfts.get(at.node)
            port = int(table[packet.dlid]) if table is not None and packet.dlid < len(table) \
                else NO_PATH
            if port in (NO_PATH, 0):
                return self._drop(packet, "no unicast route")
            outs = [port]
        c.copies += len(outs) - 1
        for p in outs:
            self.engine.after(self.switch_latency_us,
                              lambda p=p: self._leave(pid, packet, PortRef(at.node, p)))

    def _receive(self, pid: int, packet: DataPacket, at: PortRef) -> None:
        """Channel adapter receive checks (link level, then transport level)."""
        c = self.counters[packet.flow]
        port = self.sm.fabric.port(at)
        mcast = is_multicast_lid(packet.dlid)
        if mcast:
            if at not in self.receivers.get(packet.dlid, ()):
                return self._drop(packet, "MLID not attached to the port")
            if packet.transport in ("RC", "UC", "RD"):
                return self._drop(packet, f"multicast is not defined for {packet.transport}")
            if packet.dest_qp != MULTICAST_QPN:
                return self._drop(packet, "multicast DLID needs DestQP 0xFFFFFF")
            if not packet.has_grh:
                return self._drop(packet, "multicast packet without GRH")
        elif not port_accepts_dlid(port.lid, port.lmc, packet.dlid):
            return self._drop(packet, "DLID not of this port")
        if at in self._seen_at[pid]:
            c.duplicates += 1
            return self._drop(packet, "duplicate")
        self._seen_at[pid].add(at)
        c.delivered += 1
        self.deliveries.append(Delivery(pid, packet.flow, at, self.engine.now))

    # ----------------------------------------------------------------- helpers
    def attach_group_receivers(self) -> None:
        """Attach QPs of every receiving member of every SA group (as a CA does on join)."""
        self.receivers = {g.mlid: set(g.receivers) for g in self.sm.sa.groups.values()}

    def conservation_holds(self) -> bool:
        return all(c.in_flight() >= 0 for c in self.counters.values()) and \
            (len(self.engine) > 0 or all(c.in_flight() == 0 for c in self.counters.values()))
