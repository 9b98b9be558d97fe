"""Time the subnet manager's LID assignment and unicast routing at benchmark scale.

Run: ``PYTHONPATH=. python benchmarks/bench_routing.py [--runs N]``

For each fabric: median and minimum wall time of N runs (default 7, at least 5) of a
first sweep's LID assignment (``LidManager.assign`` on a fabric without LIDs), of
``compute_lfts`` (min-hop) and of both together, then the peak memory of one more run
of both, measured with tracemalloc (separately, as tracing slows Python down). The
``numpy floor`` line is the cost of merely allocating the LFT array and writing every
entry once with a vectorised gather: no routing can be faster than that.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from ibviz.core.fabric import Fabric
from ibviz.core.sm.lids import LidManager
from ibviz.core.sm.routing import compute_lfts
from ibviz.topology.generators import fat_tree, leaf_spine

CASES: list[tuple[str, Callable[[], Fabric], str]] = [
    ("leaf_spine(1000)", lambda: leaf_spine(1000), "minhop"),
    ("leaf_spine(4000)", lambda: leaf_spine(4000), "minhop"),
    ("fat_tree(16, 3) updn", lambda: fat_tree(16, 3), "updn"),
]


def _clear_lids(fabric: Fabric) -> None:
    for node in fabric.nodes.values():
        for port in node.ports.values():
            port.lid = port.lmc = 0


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(fabric: Fabric, algorithm: str, runs: int) -> dict[str, list[float]]:
    """Wall times of ``runs`` sweeps: LIDs, LFTs and their sum."""
    out: dict[str, list[float]] = {"lids": [], "lfts": [], "total": []}
    for _ in range(runs):
        _clear_lids(fabric)
        gc.collect()
        t_lids = _timed(lambda: LidManager().assign(fabric))
        t_lfts = _timed(lambda: compute_lfts(fabric, algorithm=algorithm))
        out["lids"].append(t_lids)
        out["lfts"].append(t_lfts)
        out["total"].append(t_lids + t_lfts)
    return out


def peak_mib(fabric: Fabric, algorithm: str) -> float:
    _clear_lids(fabric)
    gc.collect()
    tracemalloc.start()
    LidManager().assign(fabric)
    compute_lfts(fabric, algorithm=algorithm)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def numpy_floor(fabric: Fabric, runs: int) -> float:
    """Median time to allocate the switch x LID table and write each entry once."""
    switches = sum(1 for _ in fabric.switches())
    lids = sum(len(n.lid_ports()) for n in fabric.nodes.values()) + 1
    ports = np.arange(lids, dtype=np.int64) % 40 + 1
    rows = np.arange(switches, dtype=np.int64)[:, None]

    def fill() -> None:
        table = np.full((switches, lids), 255, dtype=np.uint8)
        table[:, :] = ports[(rows + np.arange(lids)[None, :]) % lids]

    return statistics.median(_timed(fill) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per case (>= 5)")
    args = parser.parse_args()
    runs = max(5, args.runs)
    print(f"{'case':24} {'step':12} {'median':>9} {'min':>9}")
    for name, build, algorithm in CASES:
        fabric = build()
        times = measure(fabric, algorithm, runs)
        for step in ("lids", "lfts", "total"):
            values = times[step]
            print(f"{name:24} {step:12} {statistics.median(values) * 1e3:7.1f}ms "
                  f"{min(values) * 1e3:7.1f}ms")
        print(f"{name:24} {'numpy floor':12} {numpy_floor(fabric, runs) * 1e3:7.1f}ms")
        print(f"{name:24} {'peak memory':12} {peak_mib(fabric, algorithm):7.1f}MiB   {fabric!r}")


if __name__ == "__main__":
    main()
