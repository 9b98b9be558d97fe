"""The packet simulator's hot loop: packet arrivals run in time order in batches, each
batch one engine event (see :mod:`ibviz.core.sim.network`)."""

from __future__ import annotations

from ibviz.core.model import PortRef
from ibviz.core.sim.forwarding import INF, Forwarding
from ibviz.core.sim.packet import DataPacket
from ibviz.core.sim.pump_loop import RunBatch

LAT_ARG, PROP_ARG, T_ARG = 12, 13, 25
"""The places of the switch latency, the propagation delay and the batch time in
:meth:`Batch._batch_args` (``_cpump.c``'s ``A_LAT``, ``A_PROP``, ``A_T``): set per batch."""


class Batch(Forwarding):
    """:meth:`_pump` of :class:`~ibviz.core.sim.network.NetworkSim`."""

    _switches: set[int]
    _routers: set[int]
    _seen_at: dict[int, set[PortRef]]
    _drop_rows: list[tuple]
    _run_batch: RunBatch
    _bargs: list | None

    def _arrive(self, pid: int, packet: DataPacket, at: PortRef, hops: int) -> None:
        raise NotImplementedError  # NetworkSim's

    def _receive(self, pid: int, packet: DataPacket, at: PortRef) -> None:
        raise NotImplementedError  # NetworkSim's

    def _receiving(self) -> tuple | None:
        raise NotImplementedError  # NetworkSim's

    def _fan(self, outs: list[PortRef]) -> tuple[tuple[PortRef, tuple | None], ...]:
        """A multicast decision's output ports with their cables (None: not cabled)."""
        wires = self._wire
        fan: list[tuple[PortRef, tuple | None]] = []
        for out in outs:
            fan.append((out, wires[out] if out in wires else self._cable(out)))
        return tuple(fan)

    def _batch_args(self) -> list:
        """The loop's arguments, made once: the simulator's queue, tables, caches and
        methods are the same objects for its whole life (cleared, never replaced); the
        time and the two timings (a test may change one) are set per batch."""
        engine, sm = self.engine, self.sm
        self._bargs = [
            self._pq, engine._heap, engine, sm.failed, sm.down_links, self._switches,
            self._routes, self._mcast, self._switch_seen, self.counters, self.live,
            self.hops.sink if self.hops is not None else None, self.switch_latency_us,
            self.propagation_us, self.max_hops, self._arrive, self._depart, self._route,
            self._receive, self._seen_at, self._drop_rows, self._fans, self._mcast_end,
            self._routers, self._fan, engine.now, self._receiving()]
        return self._bargs

    def _pump(self) -> None:
        """Run packet arrivals in time order, up to the engine's next other event (packet
        arrivals first on a tie) and never past the time the engine runs to: one engine
        event for a whole batch of hops, without the generic event dispatch.

        The loop (:mod:`ibviz.core.sim.pump_loop`, compiled where it was built) inlines
        the common cases: a unicast packet forwarded by the LFT onto a live cable, and a
        multicast copy at a switch whose decision is cached; they only push arrivals
        onto the simulator's own queue, so the engine's clock is set and the stop time
        looked up again only around the other cases (:meth:`_arrive`, :meth:`_receive`,
        drops), which may schedule engine events. Nothing in the batch runs SM actions
        (they are engine events), so the tables and sets bound here stay the same
        objects for the whole batch (and for the simulator's life: they are cleared,
        never replaced; see :meth:`_batch_args`).

        Where the compiled loop runs, the engine's compiled loop (``Engine.fast``) takes
        these steps itself for the simulator's pump events; this method runs them
        otherwise (the Python loop, :meth:`Engine.step`)."""
        engine = self.engine
        self._pump_at = -INF  # arrivals made while pumping only join the queue
        args = self._bargs or self._batch_args()
        args[T_ARG] = engine.now
        args[LAT_ARG], args[PROP_ARG] = self.switch_latency_us, self.propagation_us
        t, done = self._run_batch(*args)
        engine.now = t
        engine.events_run += done - 1  # the engine counted the pump itself
        self._pump_at = first = self._pq.first()
        if first != INF:
            engine.push(first, self._pump, ())
