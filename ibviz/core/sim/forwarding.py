"""Switch forwarding for the packet simulator, by the tables the switches hold
(:class:`~ibviz.core.sim.tables.DataPlane`: each SM write takes effect at its MAD's
arrival), with caches: the cable each port leads to, each switch's LFT as a list and its
route per DLID, and each multicast decision per (switch, MLID, in-port). The caches are
forgotten whenever a held table or a port's state changes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ibviz.core.model import NO_PATH, PortRef
from ibviz.core.phy import link_rate_gbps
from ibviz.core.sim.counters import Counters
from ibviz.core.sim.engine import Engine
from ibviz.core.sim.hoplog import HopLog
from ibviz.core.sim.packet import DataPacket
from ibviz.core.sim.pump_loop import Arrivals
from ibviz.core.sim.tables import DataPlane
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.multicast import multicast_out_ports

INF = float("inf")
KIND_CODE = {"data": 0, "ack": 1, "mad": 2}


class Forwarding:
    """Methods of :class:`~ibviz.core.sim.network.NetworkSim` that forward; the state they
    use is declared here and set by ``NetworkSim.__init__``."""

    sm: SubnetManager
    engine: Engine
    propagation_us: float
    switch_latency_us: float
    counters: dict[str, Counters]
    hops: HopLog | None
    live: dict[int, int]
    max_hops: int
    _switch_seen: dict[int, set[int]]
    _wire: dict[PortRef, tuple[PortRef, PortRef, tuple, float] | None]
    _pq: Arrivals
    _pump_at: float
    _lft: dict[int, np.ndarray | None]
    """Switch -> the LFT it holds (None: none), looked up on use."""
    _routes: dict[int, dict[int, tuple | None]]
    _mcast: dict[tuple[int, int, int], list[PortRef]]
    _mcast_end: dict[tuple[int, int, int], str]
    _fans: Any  # pump_loop.new_fans: a dict, or the compiled loop's FanCache
    """Multicast decision -> its output ports with their cables (the pump's), on use."""
    _ports: dict[tuple[int, int], PortRef]
    plane: DataPlane

    def drop(self, pid: int, packet: DataPacket, port: PortRef, reason: str) -> None:
        raise NotImplementedError  # NetworkSim's

    def _pump(self) -> None:
        raise NotImplementedError  # NetworkSim's

    def _forget_tables(self, _event: object) -> None:
        """Forwarding tables or port states changed: drop the per-switch caches."""
        self._lft.clear()
        self._routes.clear()
        self._mcast.clear()
        self._mcast_end.clear()
        self._fans.clear()

    def _cable(self, out: PortRef) -> tuple[PortRef, PortRef, tuple, float] | None:
        link = self.sm.fabric.link_at(out)
        if link is None:
            wire = None
        else:
            rate = link_rate_gbps(link.width, link.speed) or 2.0
            wire = (out, link.b if link.a == out else link.a, link.key, 8 / (rate * 1000.0))
        self._wire[out] = wire
        return wire

    def _route(self, node: int, dlid: int) -> tuple[PortRef, PortRef, tuple, float] | None:
        """The cable a switch's LFT sends ``dlid`` to (None: no route or not cabled)."""
        port = self._lft_port(node, dlid)
        if not 0 < port < NO_PATH:
            return None
        wire = self._wire.get((node, port), False)
        if wire is False:
            wire = self._cable(PortRef(node, port))
        return wire

    def _lft_port(self, node: int, dlid: int) -> int:
        """The port switch ``node``'s held LFT gives ``dlid`` (NO_PATH beyond its end).
        Read entry by entry: routes are cached per DLID, so converting a whole 12k-entry
        table on a switch's first packet cost more than the entries ever read."""
        table = self._lft.get(node, False)
        if table is False:
            table = self._lft[node] = self.plane.lfts.get(node)
        return table.item(dlid) if table is not None and dlid < len(table) else NO_PATH

    def _switch(self, pid: int, packet: DataPacket, at: PortRef, hops: int) -> None:
        dlid = packet.dlid
        node = at.node
        if dlid >= 0xC000 and dlid != 0xFFFF:
            seen = self._switch_seen.get(pid)
            if seen is None:
                seen = self._switch_seen[pid] = set()
            if node in seen:  # a multicast copy back at a switch: a loop
                self.counters[packet.flow].loops += 1
                return self.drop(pid, packet, at, "loop")
            seen.add(node)
            outs = self._mcast.get((node, dlid, at.port))
            if outs is None:
                outs = self._multicast_outs(node, dlid, at.port)
            if not outs:  # e.g. a switch in the tree only for a send-only member
                entry = self.plane.mft_entry(node, dlid)
                return self.drop(pid, packet, at, "multicast tree ends here" if entry
                                 else "no multicast route")
            extra = len(outs) - 1
            if extra:
                self.counters[packet.flow].copies += extra
                self.live[pid] += extra
        else:
            if hops > self.max_hops:
                self.counters[packet.flow].loops += 1
                return self.drop(pid, packet, at, "loop")
            if dlid == 0:
                return self.drop(pid, packet, at, "DLID 0")
            port = self._lft_port(node, dlid)
            if port == NO_PATH or port == 0:
                return self.drop(pid, packet, at, "no unicast route")
            ref = self._ports.get((node, port))
            if ref is None:
                ref = self._ports[(node, port)] = PortRef(node, port)
            outs = (ref,)
        self._fan_out(pid, packet, outs, hops)

    def _fan_out(self, pid: int, packet: DataPacket, outs: list[PortRef] | tuple[PortRef],
                 hops: int) -> None:
        """Send copies out of ``outs`` (_depart inlined for copies on live cables)."""
        engine, wires, log = self.engine, self._wire, self.hops
        t0 = engine.now + self.switch_latency_us
        down, failed, push = self.sm.down_links, self.sm.failed, self._pq.push
        size, prop, after = packet.size, self.propagation_us, hops + 1
        for out in outs:
            wire = wires.get(out)
            if wire is None or wire[2] in down or wire[1][0] in failed:
                self._depart(pid, packet, out, t0, hops)  # caches the cable, names drops
                continue
            peer = wire[1]
            t1 = t0 + size * wire[3] + prop
            if log is not None:
                log.record((pid, packet.flow, packet.kind, out, peer, t0, t1))
            push(t1, pid, packet, peer, after)
            if t1 < self._pump_at:
                self._pump_at = t1
                engine.push(t1, self._pump, ())

    def _multicast_outs(self, node: int, dlid: int, in_port: int) -> list[PortRef]:
        entry = self.plane.mft_entry(node, dlid)
        ports = sorted(multicast_out_ports(self.sm.switch_info[node], entry, in_port))
        outs = self._mcast[(node, dlid, in_port)] = [PortRef(node, p) for p in ports]
        if not outs:
            self._mcast_end[(node, dlid, in_port)] = "multicast tree ends here" if entry \
                else "no multicast route"
        return outs

    def _depart(self, pid: int, packet: DataPacket, out: PortRef, t0: float, hops: int
                ) -> None:
        """The copy leaves through port ``out`` at ``t0``: cross the cable if it is up."""
        sm = self.sm
        if out.node in sm.failed:
            return self.drop(pid, packet, out, "node down")
        wire = self._wire.get(out, False)
        if wire is False:
            wire = self._cable(out)
        if wire is None:
            return self.drop(pid, packet, out, "port not cabled")
        _, peer, key, us_per_byte = wire
        if key in sm.down_links or peer.node in sm.failed:
            return self.drop(pid, packet, out, "link down")
        t1 = t0 + packet.size * us_per_byte + self.propagation_us
        if self.hops is not None:
            self.hops.record((pid, packet.flow, packet.kind, out, peer, t0, t1))
        self._arrival(t1, pid, packet, peer, hops + 1)

    def _arrival(self, t1: float, pid: int, packet: DataPacket, at: PortRef, hops: int
                 ) -> None:
        self._pq.push(t1, pid, packet, at, hops)
        if t1 < self._pump_at:
            self._pump_at = t1
            self.engine.push(t1, self._pump, ())
