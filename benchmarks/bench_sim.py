"""Packet simulator speed: packet-hop events per second, beside a bare heapq loop.

1. A 10,648-HCA fabric (``fat-tree:k=22,n=3`` by default, 1,452 switches of 44 ports) with 1,000 concurrent flows
   between random HCA pairs (half unicast UD, half multicast to 100 groups), run for a
   stretch of simulated time (250 us after a 50 us warm-up); packet-hop events/s =
   events / seconds of that stretch (the SM's set-up is timed apart). Measured with the hop record on (what the GUI and pcap
   need) and off, with the compiled hop loop and with the Python one side by side
   (``ibviz.core.sim.pump_loop``).
2. A bare heapq loop in the same process pushing and popping the same number of
   ``(time, seq, callable, args)`` entries, each calling a function that schedules the
   next: the ceiling for any Python event loop on this machine. The ratio is printed.
   The two are interleaved: the stretch runs in ten slices of 25 us, each followed by
   the bare loop for as many events as the slice ran, so both meet the same moments of
   a shared machine (whose speed drifts by 20% within seconds).
3. Simulated time / wall time of the built-in ``fat-tree-1000`` scenario.

Usage: python benchmarks/bench_sim.py [--fabric SPEC] [--flows N] [--repeat R]
                                     [--loops compiled,python]
"""

from __future__ import annotations

import argparse
import gc
import heapq
import os
import random
import statistics
import time

from ibviz.core.scenario import FlowSpec, GroupSpec, MemberSpec, Scenario, Session
from ibviz.core.sim import pump_loop
from ibviz.topology import open_fabric
from ibviz.topology.scenarios import open_session


def build(spec: str, flows: int, record: bool, seed: int = 1, multicast: float = 0.5
          ) -> tuple[Session, float]:
    fabric = open_fabric(spec)
    names = sorted(n.name for n in fabric.cas())
    rng = random.Random(seed)
    groups = [GroupSpec(f"g{i}", 0xFF15 << 112 | (0x1000 + i),
                        [MemberSpec(rng.choice(names), "full") for _ in range(4)])
              for i in range(100)]
    specs = []
    for i in range(flows):
        src = rng.choice(names)
        if rng.random() < multicast:  # senders join send-only: the tree reaches their switch
            dst = f"group:g{i % 100}"
            groups[i % 100].members.append(MemberSpec(src, "send-only-full"))
        else:
            dst = rng.choice([n for n in (rng.choice(names), rng.choice(names)) if n != src])
        specs.append(FlowSpec(f"f{i}", src, dst, rate_pps=100_000, pattern="poisson"))
    sc = Scenario("bench", spec, groups=groups, flows=specs, duration_us=400.0, seed=seed)
    t = time.perf_counter()
    session = Session(sc, fabric, record_hops=record)
    return session, time.perf_counter() - t


SLICES = 10


class BareLoop:
    """The bare heapq loop, run in parts: :meth:`run` adds ``n`` events' wall and CPU
    seconds to its totals."""

    def __init__(self) -> None:
        self.heap: list = []
        self.seq = 1000
        self.events, self.wall, self.cpu = 0, 0.0, 0.0
        for i in range(1000):
            heapq.heappush(self.heap, (float(i), i, self._action, (i,)))

    def _action(self, x: int) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (x + 1.0, self.seq, self._action, (x + 1,)))

    def run(self, n: int) -> None:
        heap, pop = self.heap, heapq.heappop
        t, c = time.perf_counter(), time.process_time()
        for _ in range(n):
            _, _, fn, args = pop(heap)
            fn(*args)
        self.wall += time.perf_counter() - t
        self.cpu += time.process_time() - c
        self.events += n


def hop_rate(session: Session, until: float, bare: BareLoop | None = None
             ) -> tuple[float, float, int, float]:
    """(events per wall second, per CPU second, events, wall seconds), measured after a
    50 us warm-up (which fills the per-switch forwarding caches), in :data:`SLICES`
    slices; after each, ``bare`` (when given) runs as many events."""
    session.run_until(50.0)
    gc.collect()
    wall = cpu = 0.0
    events = 0
    for k in range(1, SLICES + 1):
        before = session.engine.events_run
        t, c = time.perf_counter(), time.process_time()
        session.run_until(50.0 + (until - 50.0) * k / SLICES)
        wall += time.perf_counter() - t
        cpu += time.process_time() - c
        n = session.engine.events_run - before
        events += n
        if bare is not None:
            bare.run(n)
    return events / wall, events / cpu, events, wall


def bare_heapq(n: int) -> tuple[float, float]:
    """The bare loop alone for ``n`` events: (events per wall second, per CPU second)."""
    bare = BareLoop()
    bare.run(n)
    return n / bare.wall, n / bare.cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fabric", default="fat-tree:k=22,n=3")
    ap.add_argument("--flows", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--multicast", type=float, default=0.5,
                    help="share of the flows that go to a group (default 0.5)")
    ap.add_argument("--loops", default="compiled,python",
                    help="hop loops to measure side by side (default compiled,python)")
    args = ap.parse_args()
    args.loops = [x.strip() for x in args.loops.split(",") if x.strip()]
    print(f"fabric {args.fabric}, {args.flows} concurrent flows (100,000 pps each), "
          f"{args.multicast:.0%} of them to multicast groups; load average "
          f"{os.getloadavg()[0]:.2f} at the start")
    loops = {"compiled": pump_loop.compiled_run_batch, "python": pump_loop.run_batch_py}
    for record, loop in [(rec, name) for rec in (True, False) for name in args.loops]:
        if loops[loop] is None:
            print(f"  {loop} hop loop: not built here (no C compiler at install?)")
            continue
        pump_loop.run_batch = loops[loop]
        walls, cpus, bare_walls, bare_cpus, setups = [], [], [], [], []
        for r in range(args.repeat):
            session, setup = build(args.fabric, args.flows, record, seed=r + 1,
                                   multicast=args.multicast)
            bare = BareLoop()
            rate, cpu_rate, events, wall = hop_rate(session, 300.0, bare)
            walls.append(rate)
            cpus.append(cpu_rate)
            setups.append(setup)
            bare_walls.append(bare.events / bare.wall)
            bare_cpus.append(bare.events / bare.cpu)
            del session
        med = statistics.median
        print(f"  {loop} loop, hop record {'on ' if record else 'off'}: "
              f"{med(walls):,.0f} events/s wall, "
              f"{med(cpus):,.0f}/s CPU (median of {args.repeat}; {events:,} events); bare "
              f"heapq loop {med(bare_walls):,.0f}/s wall, {med(bare_cpus):,.0f}/s CPU; ratio "
              f"{med(cpus) / med(bare_cpus):.2f} CPU, {med(walls) / med(bare_walls):.2f} wall "
              f"(per run: {', '.join(f'{c / b:.2f}' for c, b in zip(cpus, bare_cpus, strict=True))}"
              f"); SM set-up {med(setups):.2f} s; load {os.getloadavg()[0]:.2f}")
    walls = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        s = open_session("fat-tree-1000")
        s.run()
        walls.append(time.perf_counter() - t)
    w = statistics.median(walls)
    print(f"fat-tree-1000 scenario: {s.duration_us / 1000:.0f} ms simulated in {w:.2f} s wall "
          f"(set-up included): sim/wall = {s.duration_us * 1e-6 / w:.4f}; "
          f"{s.engine.events_run:,} events")


if __name__ == "__main__":
    main()
