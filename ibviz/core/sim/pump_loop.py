"""The packet simulator's hop loop, as a function of what it touches.

:meth:`~ibviz.core.sim.batch.Batch._pump` binds the simulator's arrivals, tables, caches
and methods and calls the loop chosen when the simulator was made (:func:`new_arrivals`):
the compiled loop of ``_cpump.c`` with its ``Arrivals`` heap of C records when it was
built (``pip install`` builds it where a C compiler is present), else
:func:`run_batch_py` with :class:`HeapArrivals`. Both take the same steps on the same
objects, in the same order, so a session's hops, drops, deliveries, counters and event
log are identical either way (``tests/core/test_sim_fingerprint.py`` runs both). With the
compiled loop, the engine's run loop is compiled too (``_cpump.run_engine``, set as
``Engine.fast`` by the simulator): it takes ``Engine.run``'s steps and, for the
simulator's pump events, ``Batch._pump``'s, so a batch starts without a Python call.
``IBVIZ_PURE_PYTHON_PUMP=1`` in the environment picks the Python loop.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from heapq import heappop, heappush
from itertools import count
from typing import Any, Protocol

from ibviz.core.sim.engine import INF

RunBatch = Callable[..., tuple[float, int]]


class Arrivals(Protocol):
    """Packet arrivals in time order, ties in the order they were pushed."""

    def push(self, t: float, pid: int, packet: Any, at: Any, hops: int) -> None: ...

    def pop(self) -> tuple[float, int, Any, Any, int]: ...

    def first(self) -> float:
        """The first arrival's time (``inf`` when there is none)."""
        ...

    def __len__(self) -> int: ...


class HeapArrivals:
    """:class:`Arrivals` in a heapq list of ``(time, sequence, pid, packet, port, hops)``
    (the Python loop reads the list directly)."""

    __slots__ = ("heap", "next_seq")

    def __init__(self) -> None:
        self.heap: list[tuple[float, int, int, Any, Any, int]] = []
        self.next_seq = count().__next__

    def push(self, t: float, pid: int, packet: Any, at: Any, hops: int) -> None:
        heappush(self.heap, (t, self.next_seq(), pid, packet, at, hops))

    def pop(self) -> tuple[float, int, Any, Any, int]:
        t, _, pid, packet, at, hops = heappop(self.heap)
        return t, pid, packet, at, hops

    def first(self) -> float:
        return self.heap[0][0] if self.heap else INF

    def __len__(self) -> int:
        return len(self.heap)


def run_batch_py(arrivals: HeapArrivals, eheap: list, engine: Any, failed: Any,
                 down: Any, switches: Any, routes_by_node: dict, mcast: dict,
                 switch_seen: dict, counters: dict, live: dict, rec: list | None, lat: float, prop: float, max_hops: int,
                 arrive: Callable, depart: Callable, route: Callable, receive: Callable,
                 seen_at: dict, drop_rows: list, fans: dict, mcast_end: dict,
                 routers: Any, make_fan: Callable, t: float, receiving: tuple | None = None
                 ) -> tuple[float, int]:
    """Run packet arrivals in time order up to the engine's next other event (arrivals
    first on a tie), never past ``engine.limit``; returns (time of the last arrival run,
    or ``t``; arrivals run). See :meth:`~ibviz.core.sim.batch.Batch._pump`.
    ``receiving`` lets the compiled loop take ``receive``'s steps itself; this one
    calls ``receive``."""
    pq, next_seq = arrivals.heap, arrivals.next_seq
    record = rec.append if rec is not None else None
    drop_row = drop_rows.append
    done = 0
    limit = engine.limit
    if eheap and eheap[0][0] < limit:
        limit = eheap[0][0]
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
                        fan = fans[decision] = make_fan(outs)
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
                        if record is not None:
                            record((pid, flow, kind, out, peer, t0, t1))
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
                                if record is not None:
                                    record((pid, packet.flow, packet.kind, out, peer, t0, t1))
                                heappush(pq, (t1, next_seq(), pid, packet, peer, hops + 1))
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
    return t, done


RunEngine = Callable[[Any, float, Any, Any], None]


def _compiled() -> tuple[RunBatch, Callable[[], Arrivals], RunEngine, Callable[[], Any]] | \
        tuple[None, None, None, None]:
    if os.environ.get("IBVIZ_PURE_PYTHON_PUMP", "") not in ("", "0"):
        return None, None, None, None
    try:
        from ibviz.core.sim import _cpump
    except ImportError:
        return None, None, None, None
    return _cpump.run_batch, _cpump.Arrivals, _cpump.run_engine, _cpump.FanCache


compiled_run_batch, compiled_arrivals, compiled_run_engine, compiled_fans = _compiled()
"""The compiled loop, its arrivals, the engine loop that runs its batches without
leaving C (:meth:`~ibviz.core.sim.engine.Engine.run`'s ``fast``) and its cache of
multicast decisions, or None where they were not built (or the environment declined
them)."""
run_batch: RunBatch = compiled_run_batch or run_batch_py
"""The loop a simulator made from now on uses (tests and benchmarks may swap it)."""


def new_fans(loop: RunBatch) -> Any:
    """An empty cache of multicast decisions for ``loop``: the compiled loop's
    ``FanCache`` (by arrival port object and DLID), else a dict by (switch, DLID,
    in-port) tuple. Both are cleared with the simulator's other caches."""
    if loop is compiled_run_batch and compiled_fans is not None:
        return compiled_fans()
    return {}


def new_arrivals() -> tuple[Arrivals, RunBatch]:
    """Empty arrivals and the loop that runs them, as :data:`run_batch` says now."""
    if run_batch is compiled_run_batch and compiled_arrivals is not None:
        return compiled_arrivals(), run_batch
    return HeapArrivals(), run_batch_py
