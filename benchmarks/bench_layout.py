"""Time the tiered layout of big fabrics (headless, no Qt).

Run: ``PYTHONPATH=. python benchmarks/bench_layout.py [--runs N] [--spec SPEC ...]``.

For each fabric it prints the time to get it (parse the file or run the generator, and
turn it into arrays: not part of the layout, quoted once) and medians of N runs (default
7) of ``layout_graph`` (positions only, what the canvas calls) and ``detail_graph``
(positions + tiers, blocks, bundles and the level-of-detail model). The budget is 1 s
for 40,000 nodes; ``fat-tree:k=35,n=3`` has 46,550 nodes and 128,625 cables.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from ibviz.core.layout import graph_arrays, graph_hints, layout_graph
from ibviz.core.layout_detail import detail_graph
from ibviz.topology import open_fabric

SUPERPOD = Path("/work/shared/fabrics/public/hyungkwang-dgxa100-superpod-hdr-bom-crlf.txt")
SPECS = [str(SUPERPOD), "leaf-spine:hcas=1000", "fat-tree:k=22,n=3", "fat-tree:k=35,n=3"]


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def bench(spec: str, runs: int) -> None:
    start = time.perf_counter()
    fabric = open_fabric(spec)
    load_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    kinds, subnet, ends = graph_arrays(fabric)
    agg, host = graph_hints(fabric, kinds)
    arrays_ms = (time.perf_counter() - start) * 1000
    plain = median_ms(lambda: layout_graph(kinds, subnet, ends, aggregation=agg, host=host),
                      runs)
    detail = median_ms(lambda: detail_graph(kinds, subnet, ends, aggregation=agg, host=host),
                       runs)
    name = Path(spec).name if "/" in spec else spec
    print(f"{name[:44]:44s} {len(kinds):6d} nodes {len(ends):7d} cables | load "
          f"{load_ms:7.0f} ms, arrays {arrays_ms:5.0f} ms | layout_graph {plain:6.1f} ms, "
          f"detail_graph {detail:6.1f} ms (median of {runs})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--spec", action="append", help="fabric file or generator spec")
    args = parser.parse_args()
    for spec in args.spec or SPECS:
        if spec == str(SUPERPOD) and not SUPERPOD.exists():
            print(f"{SUPERPOD.name}: not present, skipped")
            continue
        bench(spec, args.runs)


if __name__ == "__main__":
    main()
