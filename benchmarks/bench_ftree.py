"""ibviz's ftree engine against the real ``opensm -R ftree`` (3.3.23 on ibsim): agreement
and time, per fabric of ``tests/core/ftree_fabrics.py``.

Run: ``PYTHONPATH=. python benchmarks/bench_ftree.py [--runs N] [-k SUBSTRING]``

For each fabric: LFT entries equal / entries routed by either side, of ibviz's minhop
(what ibviz did before it had ftree) and of ibviz's ftree, each against OpenSM's ftree;
then the median over N runs of ibviz's ftree (``compute_lfts(algorithm="ftree")``:
construction and routing) and of OpenSM's routing step, read from its log: from
``fabric_dump_general_info`` (the tree is built) to ``tables configured`` (LID matrices,
ftree routing, LFT blocks queued). OpenSM's construction is not logged at this log
level, so its figure is a lower bound of what ibviz's figure measures.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "core"))

from ftree_fabrics import CASES, agreement, opensm_args, ours, run_real_opensm  # noqa: E402

from ibviz.core.sm.routing import compute_lfts  # noqa: E402

_STAMP = re.compile(r"^\w{3} \d\d (\d\d:\d\d:\d\d) (\d{6}) ")


def _when(line: str) -> float:
    m = _STAMP.match(line)
    if not m:
        raise ValueError(f"OpenSM log line without a time stamp: {line!r}")
    t = datetime.strptime(m.group(1), "%H:%M:%S")
    return t.hour * 3600 + t.minute * 60 + t.second + int(m.group(2)) / 1e6


def opensm_routing_seconds(log: str) -> float | None:
    """Seconds from the ftree general-info dump to "tables configured" in OpenSM's log."""
    lines = log.splitlines()
    start = next((ln for ln in lines if "fabric_dump_general_info: General" in ln), None)
    end = next((ln for ln in lines if "tables configured on all switches" in ln), None)
    if start is None or end is None:
        return None
    return _when(end) - _when(start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-k", default="", help="only fabrics whose name contains this")
    args = parser.parse_args()
    print(f"{'fabric':52} {'minhop vs OpenSM ftree':>24} {'ftree vs OpenSM ftree':>24} "
          f"{'ibviz s':>8} {'OpenSM s':>9}")
    for name, case in CASES.items():
        if args.k not in name:
            continue
        fabric = case.build()
        options = case.options(fabric)
        osm_times = []
        theirs: dict[int, dict[int, int]] = {}
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                work = Path(tmp)
                extra = [*opensm_args(options, work), "-l", str(case.lmc)]
                theirs, log = run_real_opensm(fabric.copy(), work, extra)
            seconds = opensm_routing_seconds(log)
            if seconds is not None:
                osm_times.append(seconds)
        before = agreement(ours(fabric, options, case.lmc, algorithm="minhop"), theirs)
        lfts = ours(fabric, options, case.lmc)  # assigns OpenSM's LIDs
        ours_times = []
        for _ in range(max(args.runs, 5)):
            t0 = time.perf_counter()
            lfts = compute_lfts(fabric, algorithm="ftree", ftree=options)
            ours_times.append(time.perf_counter() - t0)
        after = agreement(lfts, theirs)
        osm = f"{statistics.median(osm_times):9.4f}" if osm_times else f"{'-':>9}"
        print(f"{name[:52]:52} {before[0]:>9}/{before[1]:<6} {before[0] / before[1]:6.1%} "
              f"{after[0]:>9}/{after[1]:<6} {after[0] / after[1]:6.1%} "
              f"{statistics.median(ours_times):8.3f} {osm}", flush=True)


if __name__ == "__main__":
    main()
