"""Parse speed of the ibnetdiscover reader on real and generated fabrics.

    python benchmarks/bench_parse.py [--runs 7]

Prints the median of N runs and the peak memory (tracemalloc, separate run) for:

* the real DGX A100 SuperPOD file (1336 CAs, 206 switches; goal <= 0.3 s),
* a generated 10,648-HCA fat tree (22-ary 3-tree, 1,452 44-port switches) written in
  ibnetdiscover format (goal for >= 10,000 HCAs: <= 1.5 s).

Side by side in the same run: the floor (reading the bytes and splitting lines, which
any parser pays) and, where ibsim is installed, ibsim's own C parser on the same file
(time from start to its console prompt, which is dominated by parsing the net file).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ibviz.topology import dumps, load  # noqa: E402
from ibviz.topology._text import read_lines  # noqa: E402
from ibviz.topology.generators import fat_tree  # noqa: E402

DGX = REPO.parent / "shared" / "fabrics" / "public" / "hyungkwang-dgxa100-superpod-hdr-bom-crlf.txt"


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_mib(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def ibsim_parse_time(path: Path, runs: int) -> float | None:
    try:
        from ibviz.backends.ibsim_process import IbsimFabric, check_tools

        check_tools()
    except Exception:  # noqa: BLE001 - ibsim missing: no peer column
        return None

    def start_stop() -> None:
        with IbsimFabric(path):
            pass

    try:
        return median_time(start_stop, runs)
    except Exception as exc:  # noqa: BLE001
        print(f"  (ibsim could not load {path.name}: {exc})")
        return None


def report(label: str, path: Path, goal: float, runs: int) -> None:
    size = path.stat().st_size
    floor = median_time(lambda: read_lines(path), runs)
    parse = median_time(lambda: load(path), runs)
    mem = peak_mib(lambda: load(path))
    fabric = load(path)
    print(f"{label}: {path.name} ({size / 1e6:.1f} MB, {len(fabric.nodes)} nodes, "
          f"{len(fabric.links)} cables)")
    print(f"  ibviz load (detect + parse + checks): median {parse * 1000:7.1f} ms   "
          f"goal {goal * 1000:.0f} ms   {'OK' if parse <= goal else 'MISSED'}")
    print(f"  floor (read + split lines):           median {floor * 1000:7.1f} ms   "
          f"ratio {parse / floor:.1f}x")
    peer = ibsim_parse_time(path, max(3, runs // 2))
    if peer is not None:
        print(f"  ibsim (C) start to prompt, same file: median {peer * 1000:7.1f} ms   "
              f"ratio {parse / peer:.2f}x")
    print(f"  peak memory of one load (tracemalloc): {mem:.1f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, median of {args.runs} runs\n")
    if DGX.exists():
        report("real", DGX, 0.3, args.runs)
    else:
        print(f"real: {DGX} not found (needs ../shared beside the checkout); skipped")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fat-tree-22-3.topo"
        path.write_text(dumps(fat_tree(22, 3, assign_lids=True), "ibnetdiscover"))
        print()
        report("generated", path, 1.5, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
