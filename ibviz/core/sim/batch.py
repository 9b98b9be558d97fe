"""The packet simulator's hot loop: packet arrivals run in time order in batches, each
batch one engine event (see :mod:`ibviz.core.sim.network`)."""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any

from ibviz.core.model import PortRef
from ibviz.core.sim.forwarding import INF, Forwarding
from ibviz.core.sim.packet import DataPacket


class Batch(Forwarding):
    """:meth:`_pump` of :class:`~ibviz.core.sim.network.NetworkSim`."""

    _switches: set[int]
    _routers: set[int]
    _seen_at: dict[int, set[PortRef]]
    _drop_rows: list[tuple]

    def _arrive(self, pid: int, packet: DataPacket, at: PortRef, hops: int) -> None:
        raise NotImplementedError  # NetworkSim's

    def _receive(self, pid: int, packet: DataPacket, at: PortRef) -> None:
        raise NotImplementedError  # NetworkSim's

    def _fan(self, outs: list[PortRef]) -> tuple[tuple[PortRef, tuple | None], ...]:
        """A multicast decision's output ports with their cables (None: not cabled)."""
        wires = self._wire
        fan: list[tuple[PortRef, tuple | None]] = []
        for out in outs:
            fan.append((out, wires[out] if out in wires else self._cable(out)))
        return tuple(fan)

    def _pump(self) -> None:
        """Run packet arrivals in time order, up to the engine's next other event (packet
        arrivals first on a tie) and never past the time the engine runs to: one engine
        event for a whole batch of hops, without the generic event dispatch.

        The common cases are inlined here: a unicast packet forwarded by the LFT onto a
        live cable, and a multicast copy at a switch whose decision is cached; they only
        push arrivals onto the simulator's own queue, so the engine's clock is set and
        the stop time looked up again only around the other cases (:meth:`_arrive`,
        :meth:`_receive`, drops), which may schedule engine events. Nothing in the batch
        runs SM actions (they are engine events), so the tables and sets bound below
        stay the same objects for the whole batch."""
        engine, pq, eheap = self.engine, self._pq, self.engine._heap
        sm = self.sm
        failed, down, switches = sm.failed, sm.down_links, self._switches
        routes_by_node, mcast, switch_seen = self._routes, self._mcast, self._switch_seen
        counters, live, next_seq = self.counters, self.live, self._next_seq
        rec = self.hops.record if self.hops is not None else None
        lat, prop, max_hops = self.switch_latency_us, self.propagation_us, self.max_hops
        arrive, depart, route = self._arrive, self._depart, self._route
        receive, seen_at, drop_row = self._receive, self._seen_at, self._drop_rows.append
        fans, mcast_end, routers = self._fans, self._mcast_end, self._routers
        self._pump_at = -INF  # arrivals made while pumping only join the queue
        done = 0
        limit = engine.limit
        if eheap and eheap[0][0] < limit:
            limit = eheap[0][0]
        t = engine.now
        while pq:
            nxt = pq[0][0]
            if nxt > limit:
                break
            t = nxt
            _, _, pid, packet, at, hops = heappop(pq)
            done += 1
            node = at[0]
            at_ca = False
            if node not in failed:
                dlid = packet.dlid
                if dlid >= 0xC000 and dlid != 0xFFFF:
                    decision = (node, dlid, at[1])
                    fan = fans.get(decision)
                    if fan is None and node in switches:
                        outs = mcast.get(decision)
                        if outs is not None:
                            fan = fans[decision] = self._fan(outs)
                    if fan:
                        seen = switch_seen.get(pid)
                        if seen is None:
                            switch_seen[pid] = {node}
                        elif node not in seen:
                            seen.add(node)
                        else:
                            engine.now = t
                            arrive(pid, packet, at, hops)  # a loop: _switch names it
                            limit = engine.limit
                            if eheap and eheap[0][0] < limit:
                                limit = eheap[0][0]
                            continue
                        extra = len(fan) - 1
                        if extra:
                            counters[packet.flow].copies += extra
                            live[pid] += extra
                        t0 = t + lat
                        after = hops + 1
                        size, flow, kind = packet.size, packet.flow, packet.kind
                        slow = False
                        for out, wire in fan:  # _fan_out, inlined
                            if wire is None or wire[2] in down or wire[1][0] in failed:
                                engine.now = t
                                depart(pid, packet, out, t0, hops)  # names the drop
                                slow = True
                                continue
                            peer = wire[1]
                            t1 = t0 + size * wire[3] + prop
                            if rec is not None:
                                rec((pid, flow, kind, out, peer, t0, t1))
                            heappush(pq, (t1, next_seq(), pid, packet, peer, after))
                        if slow:
                            limit = engine.limit
                            if eheap and eheap[0][0] < limit:
                                limit = eheap[0][0]
                        continue
                    if fan is not None:  # cached: the tree ends here (drop, inlined)
                        flow, reason = packet.flow, mcast_end[decision]
                        counters[flow].dropped[reason] += 1
                        left = live[pid] - 1
                        live[pid] = left
                        if not left:
                            seen_at.pop(pid, None)
                            switch_seen.pop(pid, None)
                        drop_row((t, at, pid, flow, reason))
                        continue
                    at_ca = node not in switches and node not in routers
                else:
                    routes = routes_by_node.get(node)
                    if routes is None and node in switches:
                        routes = routes_by_node[node] = {}
                    if routes is not None:
                        if 0 < dlid < 0xC000 and hops <= max_hops:
                            hit: Any = routes.get(dlid, False)
                            if hit is False:
                                hit = routes[dlid] = route(node, dlid)
                            if hit is not None:
                                out, peer, key, us_per_byte = hit
                                if key not in down and peer[0] not in failed:
                                    t0 = t + lat
                                    t1 = t0 + packet.size * us_per_byte + prop
                                    if rec is not None:
                                        rec((pid, packet.flow, packet.kind, out, peer, t0,
                                             t1))
                                    heappush(pq, (t1, next_seq(), pid, packet, peer,
                                                  hops + 1))
                                    continue
                    else:
                        at_ca = node not in routers
            engine.now = t
            if at_ca:
                receive(pid, packet, at)
            else:
                arrive(pid, packet, at, hops)
            limit = engine.limit
            if eheap and eheap[0][0] < limit:
                limit = eheap[0][0]
        engine.now = t
        engine.events_run += done - 1  # the engine counted the pump itself
        self._pump_at = INF
        if pq:
            self._pump_at = pq[0][0]
            engine.push(self._pump_at, self._pump, ())
