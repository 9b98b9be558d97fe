"""Soak: thousands of fail/failback cycles with traffic stay flat in memory and time.

Two runs, each a scenario whose timeline holds the cycles (as ``ibviz run`` would get them
from a YAML file), advanced cycle by cycle with the RSS read from /proc:

* fig10 (mode 2, port remap), 10,000 cycles of 2 ms (fail, fail back 1 ms later, the
  state dump freezing the takeover's connections) under a 20,000 packets/s UD flow:
  RSS growth from cycle 1,000 to 10,000 (goal <= 10%) and time per cycle, last 1,000 /
  first 1,000 (goal <= 1.2; the report is built at the end and timed too);
* a 1,000-HCA leaf-spine fabric (``leaf-spine:hcas=1000``, mode 1, MLID reassignment,
  every switch re-swept on each failure and recovery), 1,000 cycles of 4 ms with two
  senders at 5,000 packets/s: RSS growth from cycle 100 to 1,000 (goal <= 10%), and the
  same time ratios (last 100 / first 100).

Times are printed three ways: wall time, this process's CPU time (what other jobs on a
shared machine disturb least) and the median of single cycles.

    PYTHONPATH=. python3 benchmarks/bench_soak.py [--cycles 10000] [--big-cycles 1000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from ibviz.core.scenario import Session
from ibviz.core.scenario.model import Action
from ibviz.topology.scenario_yaml import parse_scenario
from ibviz.topology.scenarios import fabric_for, load_scenario

BIG = """
name: soak-1000
fabric: "leaf-spine:hcas=1000"
duration_us: 1000
seed: 3
groups:
  - name: svc
    mgid: "ff15::1:200"
    members:
      - {node: node0500, join: send-only-full}
      - {node: node0900, join: send-only-full}
failover:
  - {group: svc, primary: node0001, takeover: node0002, mode: auto}
flows:
  - {name: a, source: node0500, destination: "group:svc", transport: UD, rate_pps: 5000}
  - {name: b, source: node0900, destination: "group:svc", transport: UD, rate_pps: 5000}
"""


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


def with_cycles(sc, node: str, n: int, period: float):
    sc.timeline = []
    for i in range(n):
        t = 1000 + i * period
        sc.timeline.append(Action(t, "fail", node=node))
        sc.timeline.append(Action(t + period / 2, "failback", node=node))
    sc.duration_us = 1000 + n * period
    return sc


def soak(sc, n: int, period: float, mark: int) -> dict:
    """Run ``n`` cycles; RSS at cycle ``mark`` and at the end, time of the first and the
    last ``mark`` cycles."""
    s = Session(sc, fabric_for(sc), record_hops=False)
    times, cpu, rss = [], [], {}
    for k in range(1, n + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        s.run_until(1000 + k * period)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if k in (mark, n):
            rss[k] = rss_mb()
    t0 = time.perf_counter()
    s.run()
    report = s.report()
    report_s = time.perf_counter() - t0
    done = sum(1 for o in s.controller.outcomes if o.restored_us is not None)
    first, last = sum(times[:mark]), sum(times[-mark:])
    return {"rss": rss, "first": first, "last": last, "report_s": report_s,
            "cpu_first": sum(cpu[:mark]), "cpu_last": sum(cpu[-mark:]),
            "median_first": statistics.median(times[:mark]),
            "median_last": statistics.median(times[-mark:]),
            "outcomes": len(s.controller.outcomes), "restored_kept": done,
            "kept": len(list(s.controller.outcomes)), "mads": len(s.sm.mads),
            "log": len(s.log), "packets_kept": len(s.net.packets),
            "retired": s.ledger.watermark, "invariants": report["invariants"],
            "sent": sum(f["sent"] for f in report["flows"])}


def show(title: str, r: dict, mark: int, n: int, time_ratio: bool = True) -> None:
    growth = (r["rss"][n] - r["rss"][mark]) / r["rss"][mark] * 100
    print(f"{title}")
    print(f"  RSS at cycle {mark:,}: {r['rss'][mark]:.1f} MB, at cycle {n:,}: "
          f"{r['rss'][n]:.1f} MB, growth {growth:+.1f}% (goal <= 10%)")
    per = 1000 / mark
    goal = " (goal <= 1.2)" if time_ratio else ""
    print(f"  wall time per cycle: first {mark:,} {r['first'] * per:.2f} ms, last {mark:,} "
          f"{r['last'] * per:.2f} ms, ratio {r['last'] / r['first']:.2f}{goal}")
    print(f"  CPU time per cycle (this process only; the machine is shared): first "
          f"{r['cpu_first'] * per:.2f} ms, last {r['cpu_last'] * per:.2f} ms, ratio "
          f"{r['cpu_last'] / r['cpu_first']:.2f}{goal}")
    print(f"  median wall time of one cycle: first {r['median_first'] * 1000:.2f} ms, last "
          f"{r['median_last'] * 1000:.2f} ms, ratio "
          f"{r['median_last'] / r['median_first']:.2f}{goal}")
    inv = r["invariants"]
    print(f"  {r['outcomes']:,} outcomes ({r['kept']:,} kept in full), {r['mads']:,} MADs, "
          f"{r['log']:,} log entries, {r['sent']:,} messages sent, {r['retired']:,} packets "
          f"retired into counters ({r['packets_kept']:,} kept); report built in "
          f"{r['report_s']:.2f} s; exactly-once {inv['exactly_once']} over "
          f"{inv['exactly_once_checked']:,} messages, loops {inv['loops']}")


def part_fig10(n: int) -> None:
    mark = max(1, n // 10)
    r = soak(with_cycles(load_scenario("fig10"), "first-node", n, 2000.0), n, 2000.0, mark)
    show(f"fig10, {n:,} fail/failback cycles with a 20,000 packets/s UD flow", r, mark, n)


def part_big(n: int) -> None:
    sc = with_cycles(parse_scenario(BIG, "bench_soak.py"), "node0001", n, 4000.0)
    mark = max(1, n // 10)
    r = soak(sc, n, 4000.0, mark)
    show(f"leaf-spine:hcas=1000, {n:,} fail/failback cycles with 2 x 5,000 packets/s", r,
         mark, n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=10_000)
    ap.add_argument("--big-cycles", type=int, default=1_000)
    ap.add_argument("--part", choices=("fig10", "big"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.part == "fig10":
        return part_fig10(args.cycles)
    if args.part == "big":
        return part_big(args.big_cycles)
    # each soak in its own process, so one's memory high-water mark cannot hide the
    # other's growth
    for part, cycles in (("fig10", args.cycles), ("big", args.big_cycles)):
        if cycles:
            subprocess.run([sys.executable, __file__, "--part", part, "--cycles",
                            str(args.cycles), "--big-cycles", str(args.big_cycles)],
                           check=True)


if __name__ == "__main__":
    main()
