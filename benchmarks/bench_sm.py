"""Subnet manager speed up to the LID limit of one subnet, beside the real OpenSM.

    python benchmarks/bench_sm.py [--runs 3] [--sizes 1k,4.8k,12k,24k,46k]
                                  [--opensm 1k,4.8k,12k] [--opensm-runs 3]

For each routable fabric (a 1,000-HCA leaf/spine, then 3-level fat trees up to
``fat-tree:k=35,n=3``, 46,550 LIDs, the largest k-ary 3-tree under the 49,151 unicast
LIDs of one subnet), in a child process of its own:

- routed subnet: a first sweep (LIDs, LFTs, SwitchInfo) plus the MFTs of 10 groups of 8
  members, each member on a different leaf; generation excluded. Median of N runs, its
  cost per LFT entry (switches x LIDs) and the routing core alone (``compute_lfts``);
- join -> MFTs updated and leave, on the routed subnet;
- fail -> group served: a protected group of 8 members on different leaves, its primary
  fails; wall time of the SM's sweep plus the takeover, headless;
- peak RSS of the child (generation included).

Beside it, where asked and where ibsim loads: the real OpenSM's time from start to
SUBNET UP on the same fabric (minhop, under ibsim; median of ``--opensm-runs``), and
the CPU time opensm and ibsim used over the whole run (start, SUBNET UP, shutdown).
The machine is shared: the routed subnet's CPU time is printed beside its wall time,
and the load average before each size; read the wall figures as upper bounds.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ibviz.core.addressing import link_local_gid, make_mgid  # noqa: E402
from ibviz.core.fabric import Fabric  # noqa: E402
from ibviz.core.model import NodeKind, PortRef  # noqa: E402
from ibviz.core.sm.manager import SubnetManager  # noqa: E402
from ibviz.core.sm.records import (  # noqa: E402
    REQUIRED_FOR_CREATE,
    JoinState,
    McMemberRecord,
    SaMethod,
)
from ibviz.topology.generators import generate  # noqa: E402

SIZES = {"1k": "leaf-spine:hcas=1000,hcas_per_leaf=16", "4.8k": "fat-tree:k=16,n=3",
         "12k": "fat-tree:k=22,n=3", "24k": "fat-tree:k=28,n=3",
         "46k": "fat-tree:k=35,n=3"}
GOALS = {"12k": 1.0, "46k": 8.0}


def spread_members(fabric: Fabric, count: int) -> list[int]:
    """``count`` CAs on different leaves, spread over the leaves (wrapping if needed)."""
    leaves: dict[int, list[int]] = {}
    for ca in sorted(n.guid for n in fabric.cas()):
        link = fabric.node_links(ca)[0]
        far = link.b if link.a.node == ca else link.a
        leaves.setdefault(far.node, []).append(ca)
    order = list(leaves.values())
    step = max(1, len(order) // count)
    return [order[i * step % len(order)][i * step // len(order)] for i in range(count)]


def join(sm: SubnetManager, group: int, guid: int, method: SaMethod = SaMethod.SET) -> None:
    port = PortRef(guid, 1)
    rec = McMemberRecord(mgid=make_mgid(group_id=group),
                         port_gid=link_local_gid(sm.fabric.port(port).guid), qkey=1,
                         pkey=0xFFFF, join_state=int(JoinState.FULL))
    sm.sa_request(method, port, rec, int(REQUIRED_FOR_CREATE))


def routed_subnet(fabric: Fabric, members: list[int]) -> SubnetManager:
    sm = SubnetManager(fabric)
    sm.sweep()
    for g in range(10):
        for guid in members[g * 8:(g + 1) * 8]:
            join(sm, g + 1, guid)
    return sm


def fail_served(sm: SubnetManager, members: list[int]) -> float:
    from ibviz.core.failover import FailoverController, Mode, ProtectedGroup

    ctl = FailoverController(sm)
    ctl.protect(ProtectedGroup("svc", make_mgid(group_id=99), members[0], members[1],
                               members[2:8], mode=Mode.AUTO))
    ctl.engine.run()
    start = time.perf_counter()
    ctl.fail(members[0])
    ctl.engine.run()
    took = time.perf_counter() - start
    out = ctl.outcomes[-1]
    if out.restored_us is None:
        raise RuntimeError(f"the group was not served again: {out.problem}")
    return took


def one(spec: str, runs: int) -> dict:
    """All figures of one fabric (run in a child process)."""
    from ibviz.core.sm.lids import LidManager
    from ibviz.core.sm.routing import compute_lfts

    fabric = generate(spec)
    members = spread_members(fabric, 80)
    routed, routed_cpu, fails, cores = [], [], [], []
    sm = None
    for _ in range(runs):
        for node in fabric.nodes.values():
            for port in node.ports.values():
                port.lid = port.lmc = 0
        start, cpu = time.perf_counter(), time.process_time()
        sm = routed_subnet(fabric, members)
        routed.append(time.perf_counter() - start)
        routed_cpu.append(time.process_time() - cpu)
        fails.append(fail_served(sm, members[::10]))
        sm = None
    for node in fabric.nodes.values():
        for port in node.ports.values():
            port.lid = port.lmc = 0
    LidManager().assign(fabric)
    for _ in range(runs):
        start = time.perf_counter()
        lfts = compute_lfts(fabric)
        cores.append(time.perf_counter() - start)
    entries = len(lfts.switches) * (lfts.max_lid + 1)
    sm = routed_subnet(fabric, members)
    spare = [n.guid for n in fabric.cas() if n.guid not in set(members)][-1]
    joins, leaves = [], []
    for _ in range(max(5, runs)):
        t0 = time.perf_counter()
        join(sm, 1, spare)
        t1 = time.perf_counter()
        join(sm, 1, spare, SaMethod.DELETE)
        joins.append(t1 - t0)
        leaves.append(time.perf_counter() - t1)
    med = statistics.median
    return {"nodes": len(fabric.nodes), "lids": lfts.max_lid, "switches": len(lfts.switches),
            "entries": entries, "runs": runs, "routed": med(routed), "routed_cpu": med(routed_cpu),
            "core": med(cores),
            "fail": med(fails), "join": med(joins), "leave": med(leaves),
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def opensm_up(spec: str, runs: int) -> tuple[float, float] | None:
    """Median wall time to SUBNET UP and median CPU time of opensm + ibsim per run."""
    try:
        from ibviz.backends.ibsim_process import IbsimFabric, check_tools
        from ibviz.backends.opensm_process import OpenSm
        from ibviz.topology import dumps

        check_tools(need_opensm=True)
    except Exception as exc:  # noqa: BLE001
        print(f"  OpenSM: not available ({exc})")
        return None
    fabric = generate(spec)
    switches = fabric.count(NodeKind.SWITCH)
    ports = sum(len(n.ports) + 1 for n in fabric.nodes.values())
    times, cpus = [], []
    with tempfile.TemporaryDirectory() as tmp:
        net = Path(tmp) / "f.net"
        net.write_text(dumps(fabric, "ibsim"))
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            with IbsimFabric(net, max_nodes=len(fabric.nodes) + 64,
                             max_switches=switches + 16, max_ports=ports + 256,
                             timeout=600) as sim, OpenSm(sim, timeout=900) as osm:
                times.append(osm.up_seconds)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)  # both reaped by now
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(times), statistics.median(cpus)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default=",".join(SIZES))
    ap.add_argument("--opensm", default="1k,4.8k,12k", help="sizes to run OpenSM at ('' none)")
    ap.add_argument("--opensm-runs", type=int, default=3)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.runs)))
        return 0
    print(f"Python {sys.version.split()[0]}; medians of {args.runs} runs (ibviz), "
          f"{args.opensm_runs} (OpenSM); each size in a child process")
    print(f"{'size':>5} {'nodes':>6} {'LIDs':>6} {'routed s':>9} {'cpu s':>6} {'ns/entry':>8} "
          f"{'core s':>7} {'fail ms':>8} {'join ms':>8} {'leave ms':>8} {'peak MiB':>8} "
          f"{'OpenSM s':>9} {'cpu s':>7} {'ratio':>6} {'load':>5}")
    for size in args.sizes.split(","):
        spec = SIZES[size]
        load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() \
            else "-"
        out = subprocess.run([sys.executable, __file__, "--one", spec, "--runs",
                              str(args.runs)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.splitlines()[-1])
        up = opensm_up(spec, args.opensm_runs) if size in args.opensm.split(",") else None
        goal = GOALS.get(size)
        flag = "" if goal is None else \
            f"  goal {goal:.1f} s {'OK' if r['routed'] <= goal else 'MISSED'}"
        osm = "-" if up is None else f"{up[0]:9.2f}"
        osm_cpu = "-" if up is None else f"{up[1]:7.2f}"
        ratio = "-" if up is None else f"{r['routed'] / up[0]:6.3f}"
        print(f"{size:>5} {r['nodes']:>6} {r['lids']:>6} {r['routed']:>9.3f} "
              f"{r['routed_cpu']:>6.2f} {r['routed'] / r['entries'] * 1e9:>8.2f} "
              f"{r['core']:>7.3f} {r['fail'] * 1e3:>8.1f} {r['join'] * 1e3:>8.2f} "
              f"{r['leave'] * 1e3:>8.2f} {r['rss_mib']:>8.0f} {osm:>9} {osm_cpu:>7} "
              f"{ratio:>6} {load:>5}{flag}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
