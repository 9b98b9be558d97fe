"""Data packets through the fabric the subnet manager programmed.

Each packet copy hops port to port, one event per hop: leaving a port, the copy is timed
over the cable (serialization bytes x 8 / width x per-lane rate, plus propagation) and
arrives at the peer. Arrivals wait in the simulator's own queue and run in time order in
batches, each batch one engine event that stops at the engine's next other event (and at
the time the engine runs to), so they interleave exactly with failures, SM actions and
traffic sources while skipping the generic dispatch per hop. Switches
(:mod:`ibviz.core.sim.forwarding`) forward unicast by LFT and multicast by MFT, falling
back to the default multicast ports; they drop DLID 0. Routers forward between subnets
by the GRH (:mod:`ibviz.core.sim.router`). Channel adapters run the receive checks of
:mod:`ibviz.core.sim.receive`. Every copy ends delivered, dropped with a named reason,
or still in flight, so conservation can be checked; a copy reaching the same CA port
twice counts as a duplicate, a multicast copy reaching the same switch twice or a
unicast packet exceeding twice the node count in hops as a loop.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

from ibviz.core import events as ev
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.sim import pump_loop
from ibviz.core.sim.batch import Batch
from ibviz.core.sim.counters import Counters, Delivery
from ibviz.core.sim.engine import Engine
from ibviz.core.sim.forwarding import INF
from ibviz.core.sim.hopcolumns import ColumnHopLog
from ibviz.core.sim.hoplog import Drop, HopLog
from ibviz.core.sim.packet import DataPacket
from ibviz.core.sim.receive import ReceiveChecks
from ibviz.core.sim.router import ports_by_guid, route_by_grh
from ibviz.core.sim.tables import DataPlane
from ibviz.core.sm.manager import SubnetManager

Handler = Callable[[int, DataPacket, PortRef], "str | None"]
"""Transport-layer hook on a delivered copy: returns a drop reason, or None to accept."""


class NetworkSim(Batch):
    """Forwards :class:`DataPacket` copies through ``sm``'s tables on ``engine``."""

    def __init__(self, sm: SubnetManager, engine: Engine, propagation_us: float = 0.05,
                 switch_latency_us: float = 0.1, record_hops: bool = True) -> None:
        self.sm = sm
        self.engine = engine
        self._bargs: list | None = None
        self.propagation_us = propagation_us
        self.switch_latency_us = switch_latency_us
        self.counters: dict[str, Counters] = {}
        self._delivery_rows: list[tuple[int, str, PortRef, float]] = []
        self._deliveries: list[Delivery] = []
        self._drop_rows: list[tuple] = []
        self._drops: list[Drop] = []
        self.packets: dict[int, DataPacket] = {}
        self.sent_at: dict[int, tuple[PortRef, float]] = {}
        self.delivered_to: dict[int, list[PortRef]] = {}
        self.live: dict[int, int] = {}
        """Packet id -> copies still on the wire (0: every copy ended)."""
        self.on_send: Callable[[int, DataPacket, PortRef], None] | None = None
        self.receive = ReceiveChecks(sm)
        self.handlers: dict[str, Handler] = {}
        self._ids = count()
        self._seen_at: dict[int, set[PortRef]] = {}
        """Packet id -> CA ports it was delivered to (duplicates), while copies fly."""
        self._switch_seen: dict[int, set[int]] = {}
        """Multicast packet id -> switches its copies passed (loops), while copies fly."""
        self._kinds = {n.guid: n.kind for n in sm.fabric.nodes.values()}
        self._wire: dict[PortRef, tuple[PortRef, PortRef, tuple, float] | None] = {}
        """Port -> (port, peer, link key, microseconds per byte), or None: not cabled."""
        self._switches = {g for g, k in self._kinds.items() if k is NodeKind.SWITCH}
        self._routers = {g for g, k in self._kinds.items() if k is NodeKind.ROUTER}
        self._pq, self._run_batch = pump_loop.new_arrivals()
        """Packet arrivals, run in batches by :meth:`_pump` (one engine event per batch),
        and the loop that runs them (compiled where it was built)."""
        self._fans = pump_loop.new_fans(self._run_batch)
        """Multicast decisions with their cables (see :func:`pump_loop.new_fans`)."""
        self.hops: HopLog | None = None
        if record_hops:  # the compiled loop records into columns, the Python one rows
            self.hops = ColumnHopLog() if self._run_batch is pump_loop.compiled_run_batch \
                else HopLog()
        self._pump_at = INF
        self._by_guid: dict[int, PortRef] | None = None
        self._lft = {}
        self._routes: dict[int, dict[int, tuple | None]] = {}
        """Switch -> DLID -> the cable its LFT picks (None: no route), filled on use."""
        self._mcast: dict[tuple[int, int, int], list[PortRef]] = {}
        self._mcast_end: dict[tuple[int, int, int], str] = {}
        self._ports: dict[tuple[int, int], PortRef] = {}
        self.max_hops = 2 * len(self._kinds) + 2
        self.plane = DataPlane(sm, engine, lambda: self._forget_tables(None))
        """The tables the switches hold (SM writes land at their MAD's arrival)."""
        self._unsubscribe = [sm.events.subscribe(kind, self._forget_tables) for kind in
                             (ev.PrimaryPortRemapped, ev.SweepDone, ev.SessionReset)]
        if self._run_batch is pump_loop.compiled_run_batch and \
                pump_loop.compiled_run_engine is not None:  # batches run inside C
            engine.fast = (pump_loop.compiled_run_engine, Batch._pump, self)

    def close(self) -> None:
        """Stop listening to the SM's events (the session is rebuilt or gone)."""
        self.plane.close()
        if self.engine.fast is not None and self.engine.fast[2] is self:
            self.engine.fast = None
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    @property
    def drops(self) -> list[Drop]:
        """Every copy that ended without delivery: where, when and why (built on demand
        from plain rows recorded on the hot path)."""
        rows, done = self._drop_rows, self._drops
        if len(done) < len(rows):
            done.extend(Drop._make(r) for r in rows[len(done):])
        return done

    @property
    def deliveries(self) -> list[Delivery]:
        """Every copy delivered: packet, flow, port, time (built on demand from plain
        rows recorded on the hot path)."""
        rows, done = self._delivery_rows, self._deliveries
        if len(done) < len(rows):
            done.extend(Delivery(*r) for r in rows[len(done):])
        return done

    @property
    def receivers(self) -> dict[int, set[PortRef]]:
        """MLID -> CA ports with a QP attached to the group."""
        return self.receive.attached_ports()

    # ----------------------------------------------------------------- sending
    def send(self, src: PortRef, packet: DataPacket, at_us: float | None = None) -> int:
        """Inject ``packet`` at CA port ``src`` (now, or at ``at_us``); returns its id."""
        return self.send_over(src, self._wire.get(src), packet, at_us)

    def cable(self, port: PortRef) -> tuple[PortRef, PortRef, tuple, float] | None:
        """The cable leaving ``port`` (for :meth:`send_over`), None: not cabled."""
        wire = self._wire.get(port, False)
        return self._cable(port) if wire is False else wire

    def send_over(self, src: PortRef, wire: tuple[PortRef, PortRef, tuple, float] | None,
                  packet: DataPacket, at_us: float | None = None) -> int:
        """:meth:`send` with the port's :meth:`cable` known (a flow's send plan keeps it;
        None: :meth:`_depart` finds it). A copy leaving now over a live cable goes
        straight to the arrivals (``_depart`` inlined; it takes the other cases and names
        the drops)."""
        pid = next(self._ids)
        flow = packet.flow
        c = self.counters.get(flow)
        if c is None:
            c = self.counters[flow] = Counters()
        c.sent += 1
        self.packets[pid] = packet
        self.live[pid] = 1
        on_send = self.on_send
        if on_send is not None:
            on_send(pid, packet, src)
        engine = self.engine
        now = engine.now
        t = now if at_us is None else at_us
        self.sent_at[pid] = (src, t)
        if t > now:
            engine.at(t, self._depart, args=(pid, packet, src, t, 0))
            return pid
        sm = self.sm
        failed, down = sm.failed, sm.down_links
        if wire is None or src[0] in failed or (down and wire[2] in down) or \
                wire[1][0] in failed:
            self._depart(pid, packet, src, now, 0)
            return pid
        peer = wire[1]
        t1 = now + packet.size * wire[3] + self.propagation_us
        log = self.hops
        if log is not None:
            log.record((pid, flow, packet.kind, src, peer, now, t1))
        self._arrival(t1, pid, packet, peer, 1)
        return pid

    def drop(self, pid: int, packet: DataPacket, port: PortRef, reason: str) -> None:
        self.counters[packet.flow].dropped[reason] += 1
        left = self.live[pid] - 1
        self.live[pid] = left
        if not left:  # its last copy ended: what only copies in flight need goes
            self._seen_at.pop(pid, None)
            self._switch_seen.pop(pid, None)
        self._drop_rows.append((self.engine.now, port, pid, packet.flow, reason))

    def _arrive(self, pid: int, packet: DataPacket, at: PortRef, hops: int) -> None:
        """A copy arrives at port ``at`` (the cases :meth:`_pump` does not inline)."""
        node = at[0]
        if node in self.sm.failed:
            return self.drop(pid, packet, at, "node down")
        if node not in self._switches:
            return self._endpoint(pid, packet, at, hops)
        dlid = packet.dlid
        if dlid >= 0xC000 and dlid != 0xFFFF:
            outs = self._mcast.get((node, dlid, at[1]))
            if outs is not None and not outs:  # cached: the tree ends here
                return self.drop(pid, packet, at, self._mcast_end[(node, dlid, at[1])])
        self._switch(pid, packet, at, hops)

    def _endpoint(self, pid: int, packet: DataPacket, at: PortRef, hops: int) -> None:
        if self._kinds[at.node] is NodeKind.ROUTER:
            if self._by_guid is None:
                self._by_guid = ports_by_guid(self.sm.fabric)
            out, routed = route_by_grh(self.sm, packet, at, self._by_guid)
            if out is None:
                return self.drop(pid, packet, at, routed)
            return self._depart(pid, routed, out, self.engine.now + self.switch_latency_us,
                                hops)
        self._receive(pid, packet, at)

    def _receiving(self) -> tuple | None:
        """What the compiled hop loop needs to take :meth:`_receive`'s steps itself (None
        where ``_receive`` was replaced: it is called instead); the last item is the
        receive checks when their ``check`` is ReceiveChecks's own (the loop answers its
        common multicast cases itself), else None."""
        if getattr(self._receive, "__func__", None) is not NetworkSim._receive:
            return None
        checks = self.receive if type(self.receive).check is ReceiveChecks.check else None
        return (self.receive.check, self.handlers, self.drop, self.delivered_to,
                self._delivery_rows, checks)

    def _receive(self, pid: int, packet: DataPacket, at: PortRef) -> None:
        """Channel adapter receive checks (link level, transport level, then the flow's)."""
        flow = packet.flow
        reason = self.receive.check(packet, at)
        seen_at = self._seen_at
        seen = seen_at.get(pid)
        if reason is None:
            if seen is not None and at in seen:
                self.counters[flow].duplicates += 1
                reason = "duplicate"
            else:
                handler = self.handlers.get(flow)
                if handler is not None:
                    reason = handler(pid, packet, at)
        if reason is not None:
            return self.drop(pid, packet, at, reason)
        self.counters[flow].delivered += 1
        live = self.live
        left = live[pid] - 1
        live[pid] = left
        if not left:  # its last copy: no duplicate or loop can follow
            seen_at.pop(pid, None)
            self._switch_seen.pop(pid, None)
        elif seen is None:
            seen_at[pid] = {at}
        else:
            seen.add(at)
        got = self.delivered_to.get(pid)
        if got is None:
            self.delivered_to[pid] = [at]
        else:
            got.append(at)
        self._delivery_rows.append((pid, flow, at, self.engine.now))

    # ----------------------------------------------------------------- helpers
    def attach_group_receivers(self) -> None:
        """Attach a QP of every receiving member of every SA group (as a CA does on join)."""
        self.receive.attach_all_groups()

    def totals(self) -> Counters:
        total = Counters()
        for c in self.counters.values():
            total.sent += c.sent
            total.delivered += c.delivered
            total.dropped.update(c.dropped)
            total.duplicates += c.duplicates
            total.loops += c.loops
            total.copies += c.copies
        return total

    def conservation_holds(self) -> bool:
        """Every copy is delivered, dropped with a reason, or still in flight."""
        flying = [c.in_flight() for c in self.counters.values()]
        if any(n < 0 for n in flying) or any(n < 0 for n in self.live.values()):
            return False
        return self.engine.peek() != float("inf") or all(n == 0 for n in flying)
