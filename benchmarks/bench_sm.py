"""Subnet manager speed: a full routed subnet, and join/leave to MFTs updated.

    python benchmarks/bench_sm.py [--runs 5] [--no-opensm]

For 2-level leaf/spine fabrics of 1,000 and 10,000 HCAs: LIDs + LFTs + the MFTs of 10
groups of 8 members each (goals 0.2 s and 3 s), then one join and one leave with the
group's MFTs reprogrammed (goal 5 ms at 10,000 HCAs). Side by side in the same run: the
real OpenSM's time from start to SUBNET UP on the same 1,000-HCA fabric (under ibsim).
Medians of N runs; peak memory by tracemalloc in a separate run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ibviz.core.addressing import link_local_gid, make_mgid  # noqa: E402
from ibviz.core.model import PortRef  # noqa: E402
from ibviz.core.sm.manager import SubnetManager  # noqa: E402
from ibviz.core.sm.records import (  # noqa: E402
    REQUIRED_FOR_CREATE,
    JoinState,
    McMemberRecord,
    SaMethod,
)
from ibviz.topology import dumps  # noqa: E402
from ibviz.topology.generators import leaf_spine  # noqa: E402


def routed_subnet(hcas: int) -> SubnetManager:
    fabric = leaf_spine(hcas, hcas_per_leaf=16) if hcas <= 1000 else leaf_spine(hcas)
    sm = SubnetManager(fabric)
    sm.sweep()
    cas = sorted(n.guid for n in fabric.cas())
    step = max(1, len(cas) // 80)
    for g in range(10):
        mgid = make_mgid(group_id=g + 1)
        for m in range(8):
            guid = cas[(g * 8 + m) * step % len(cas)]
            port = PortRef(guid, 1)
            rec = McMemberRecord(mgid=mgid, port_gid=link_local_gid(fabric.port(port).guid),
                                 qkey=1, pkey=0xFFFF, join_state=int(JoinState.FULL))
            sm.sa_request(SaMethod.SET, port, rec, int(REQUIRED_FOR_CREATE))
    return sm


def join_leave(sm: SubnetManager) -> tuple[float, float]:
    fabric = sm.fabric
    guid = max(n.guid for n in fabric.cas())
    port = PortRef(guid, 1)
    rec = McMemberRecord(mgid=make_mgid(group_id=1), port_gid=link_local_gid(
        fabric.port(port).guid), qkey=1, pkey=0xFFFF, join_state=int(JoinState.FULL))
    t0 = time.perf_counter()
    sm.sa_request(SaMethod.SET, port, rec, int(REQUIRED_FOR_CREATE))
    t1 = time.perf_counter()
    sm.sa_request(SaMethod.DELETE, port, rec, int(REQUIRED_FOR_CREATE))
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def median(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def opensm_up(hcas: int, runs: int) -> float | None:
    try:
        from ibviz.backends.ibsim_process import IbsimFabric, check_tools
        from ibviz.backends.opensm_process import OpenSm

        check_tools(need_opensm=True)
    except Exception as exc:  # noqa: BLE001
        print(f"  OpenSM: not available ({exc})")
        return None
    fabric = leaf_spine(hcas, hcas_per_leaf=16)
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        net = Path(tmp) / "f.net"
        net.write_text(dumps(fabric, "ibsim"))
        for _ in range(runs):
            with IbsimFabric(net) as sim, OpenSm(sim) as osm:
                times.append(osm.up_seconds)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-opensm", action="store_true")
    args = ap.parse_args()
    print(f"Python {sys.version.split()[0]}, median of {args.runs} runs")
    for hcas, goal in ((1000, 0.2), (10_000, 3.0)):
        runs = args.runs if hcas <= 1000 else max(3, args.runs // 2)
        full = median(lambda h=hcas: routed_subnet(h), runs)
        tracemalloc.start()
        sm = routed_subnet(hcas)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        jl = [join_leave(sm) for _ in range(max(5, args.runs))]
        join = statistics.median(j for j, _ in jl)
        leave = statistics.median(lv for _, lv in jl)
        print(f"\n{hcas} HCAs ({len(sm.fabric.nodes)} nodes, {len(sm.fabric.links)} cables, "
              f"{len(sm.mads)} MADs in the first sweep + joins)")
        print(f"  full routed subnet (LIDs+LFTs+10x8 MFTs): median {full * 1000:8.1f} ms   "
              f"goal {goal * 1000:.0f} ms   {'OK' if full <= goal else 'MISSED'}   "
              f"peak {peak:.0f} MiB")
        print(f"  join -> MFTs updated: median {join * 1000:6.2f} ms; leave: "
              f"{leave * 1000:6.2f} ms   goal 5 ms   "
              f"{'OK' if max(join, leave) <= 0.005 else 'MISSED'}")
        if hcas == 1000 and not args.no_opensm:
            up = opensm_up(hcas, max(3, args.runs // 2))
            if up is not None:
                print(f"  real OpenSM start to SUBNET UP, same fabric: median {up * 1000:.0f} ms"
                      f"   ratio ibviz/OpenSM {full / up:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
