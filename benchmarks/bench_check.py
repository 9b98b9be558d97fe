"""``ibviz check`` on real OpenSM dumps of a 1,500-HCA leaf/spine fabric: the lab (ibsim +
the real OpenSM) writes them after groups are joined through its SA; then the whole command
(``python -m ibviz check DIR``: start-up, reading, checks) and the checks alone (reading
excluded) are timed. Medians of ``--repeat`` runs; the goal is <= 2 s for the command.
The command's CPU time is printed too: on a shared, loaded machine its wall time
mostly measures the wait for a core.

Usage: python benchmarks/bench_check.py [--fabric SPEC] [--groups N] [--members M] [--repeat R]
       [--dumps DIR]
Needs the Debian packages ibsim-utils and opensm.
"""

from __future__ import annotations

import argparse
import ipaddress
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ibviz.backends.attach import RealFabric
from ibviz.backends.ibsim_process import IbsimFabric
from ibviz.backends.opensm_process import OpenSm
from ibviz.backends.umad_client import SaClient
from ibviz.cli.check import run_check
from ibviz.core.model import NodeKind
from ibviz.core.sm.records import McMemberRecord
from ibviz.core.sm.sa_battery import CREATE
from ibviz.topology import dumps, open_fabric

DUMPS = ("opensm-lfts.dump", "opensm.fdbs", "opensm.mcfdbs", "opensm-sa.dump",
         "opensm-subnet.lst", "guid2lid")


def write_dumps(spec: str, groups: int, members: int, out: Path) -> int:
    """Start the lab, join ``groups`` groups of ``members`` hosts spread over the fabric,
    copy OpenSM's dumps to ``out``; returns the number of joins."""
    fabric = open_fabric(spec)
    hosts = sorted(n.name for n in fabric.nodes.values() if n.kind is NodeKind.CA)
    net = out / "fabric.net"
    net.write_text(dumps(fabric, "ibsim"))
    fab = IbsimFabric(net).start()
    joins = 0
    try:
        sm = OpenSm(fab, None, sweep=1, sa_db_dump=True).start()
        try:
            stride = max(1, len(hosts) // members)
            for g in range(groups):
                mgid = int(ipaddress.IPv6Address(f"ff12:1::{g + 1:x}"))
                for host in hosts[g % stride::stride][:members]:
                    with SaClient(fab, host) as client:
                        rec = McMemberRecord(mgid=mgid, port_gid=client.port_gid, qkey=0x12345,
                                             pkey=0xFFFF, join_state=1)
                        assert client.send(2, rec, CREATE)[0] == 0
                    joins += 1
            deadline = time.monotonic() + 60
            while sm.read_stable(sm.sa_dump_path).count("mcm_port") < joins:
                assert time.monotonic() < deadline, "the SA dump never listed every member"
                time.sleep(0.2)
            time.sleep(2)  # one more sweep: the MFTs of the last join are dumped
            for name in DUMPS:
                (out / name).write_text(sm.read_stable(sm.dir / name))
        finally:
            sm.stop()
    finally:
        fab.stop()
    net.unlink()
    return joins


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fabric", default="leaf-spine:hcas=1500")
    ap.add_argument("--groups", type=int, default=10)
    ap.add_argument("--members", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dumps", type=Path, metavar="DIR",
                    help="keep the dumps here and reuse them on the next run (the joins "
                         "through ibsim take minutes)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ibviz-bench-check-") as tmp:
        out = args.dumps or Path(tmp)
        if not (out / "opensm.mcfdbs").exists():
            out.mkdir(parents=True, exist_ok=True)
            t = time.monotonic()
            joins = write_dumps(args.fabric, args.groups, args.members, out)
            print(f"{args.fabric}: OpenSM dumps with {args.groups} groups, {joins} joins, "
                  f"written in {time.monotonic() - t:.1f} s")
        whole, cpu, checks = [], [], []
        for _ in range(args.repeat):
            t = time.monotonic()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            res = subprocess.run([sys.executable, "-m", "ibviz", "check", str(out)],
                                 capture_output=True, text=True, check=False)
            whole.append(time.monotonic() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            backend = RealFabric(out)
            backend.start()
            t = time.monotonic()
            report = run_check(backend)
            checks.append(time.monotonic() - t)
        print(res.stdout.splitlines()[0])
        print(f"exit status {res.returncode}, {len(report.problems)} problems")
        print(f"ibviz check DIR (whole process): median {statistics.median(whole):.2f} s "
              f"(goal <= 2 s), runs {', '.join(f'{x:.2f}' for x in whole)}")
        print(f"  its CPU time (user + system; what a wall clock shows on an idle machine): "
              f"median {statistics.median(cpu):.2f} s, runs {', '.join(f'{x:.2f}' for x in cpu)}")
        print(f"checks alone (reading excluded): median {statistics.median(checks):.3f} s")


if __name__ == "__main__":
    main()
