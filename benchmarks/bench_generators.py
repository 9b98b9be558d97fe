"""Time the fabric generators at benchmark scale.

Run: ``PYTHONPATH=. python benchmarks/bench_generators.py [--runs N]``

For each case: median wall time of N runs (default 7) and the peak memory of one
further run measured with tracemalloc (measured separately, as tracing slows Python).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable

from ibviz.core.fabric import Fabric
from ibviz.topology.generators import fat_tree, leaf_spine

CASES: list[tuple[str, Callable[[], Fabric]]] = [
    ("leaf_spine(1000)", lambda: leaf_spine(1000)),
    ("leaf_spine(10000)", lambda: leaf_spine(10_000)),
    ("leaf_spine(10000, dual_port, lids)", lambda: leaf_spine(10_000, dual_port=True,
                                                              assign_lids=True)),
    ("fat_tree(k=16, n=3)  4096 hosts", lambda: fat_tree(16, 3)),
]


def measure(build: Callable[[], Fabric], runs: int) -> tuple[float, float, float, str]:
    """(median s, min s, peak MiB, repr of the fabric)."""
    times = []
    fabric = None
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fabric = build()
        times.append(time.perf_counter() - start)
        del fabric
    gc.collect()
    tracemalloc.start()
    fabric = build()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), min(times), peak, repr(fabric)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per case (>= 5)")
    args = parser.parse_args()
    runs = max(5, args.runs)
    print(f"{'case':38} {'median':>9} {'min':>9} {'peak MiB':>9}  fabric")
    for name, build in CASES:
        med, low, peak, text = measure(build, runs)
        print(f"{name:38} {med * 1e3:7.1f}ms {low * 1e3:7.1f}ms {peak:9.1f}  {text}")


if __name__ == "__main__":
    main()
