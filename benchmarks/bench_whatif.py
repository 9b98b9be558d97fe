"""``ibviz whatif DIR --fail NODE`` on the OpenSM dumps of fat trees: the whole command
(start-up, reading the dumps, the model, the re-route, the checks, the report) as a user
runs it, median wall time and peak RSS of ``--repeat`` runs, for a host, a leaf and a
spine failing. Goal at fat-tree:k=22,n=3 (12,100 nodes): <= 15 s and <= 1.5 GB.

The dumps are OpenSM's files (opensm-lfts.dump, opensm.fdbs, opensm.mcfdbs,
opensm-subnet.lst, guid2lid) in OpenSM 3.3.23's byte layout, written by ``ibviz sm
SPEC --dump DIR`` (seconds), or with ``--lab`` by the real OpenSM on ibsim with 10
groups of 8 members joined through its SA (minutes at 12k nodes; needs ibsim-utils and
opensm). ``--dumps ROOT`` keeps them (ROOT/SPEC) for the next run. On a shared machine
wall time mostly measures the wait for a core: CPU time is printed too.

Usage: python benchmarks/bench_whatif.py [--sizes SPEC ...] [--repeat R] [--lab]
       [--dumps ROOT] [--only host|leaf|spine]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ibviz.core.model import NodeKind, PortRef
from ibviz.topology import open_fabric

SIZES = ("fat-tree:k=12,n=3", "fat-tree:k=22,n=3")


def write_dumps(spec: str, out: Path, lab: bool) -> None:
    """OpenSM's dumps of ``spec`` in ``out`` (see the module doc)."""
    out.mkdir(parents=True, exist_ok=True)
    if lab:
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_check import write_dumps as lab_dumps

        lab_dumps(spec, 10, 8, out)
        return
    subprocess.run([sys.executable, "-m", "ibviz", "sm", spec, "--dump", str(out)],
                   check=True, stdout=subprocess.DEVNULL)


def targets(spec: str) -> dict[str, str]:
    """A host, a leaf and a spine of the fabric, by GUID (the leaf: the first host's
    switch; the spine: the highest-level switch with the highest GUID)."""
    fabric = open_fabric(spec)
    host = min(n.guid for n in fabric.nodes.values() if n.kind is NodeKind.CA)
    leaf = next(p.node for r in fabric.nodes[host].ports
                if r and (p := fabric.peer(PortRef(host, r))) is not None)
    spine = max((n for n in fabric.switches()), key=lambda n: (n.description, n.guid)).guid
    return {"host": f"{host:#018x}", "leaf": f"{leaf:#018x}", "spine": f"{spine:#018x}"}


def run(directory: Path, node: str) -> tuple[float, float, int, str]:
    """One whole command: (wall s, CPU s, peak RSS in KiB, its first output line)."""
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "ibviz", "whatif", str(directory),
                             "--fail", node], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"ibviz whatif {directory} --fail {node}: exit {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out.splitlines()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", default=list(SIZES), metavar="SPEC")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lab", action="store_true", help="dumps of the real OpenSM on ibsim")
    ap.add_argument("--dumps", type=Path, metavar="ROOT", help="keep the dumps here")
    ap.add_argument("--only", choices=("host", "leaf", "spine"), action="append")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ibviz-bench-whatif-") as tmp:
        root = args.dumps or Path(tmp)
        for spec in args.sizes:
            out = root / spec.replace(":", "_").replace(",", "_")
            if not (out / "opensm-lfts.dump").exists():
                t = time.monotonic()
                write_dumps(spec, out, args.lab)
                print(f"{spec}: dumps written in {time.monotonic() - t:.1f} s "
                      f"({sum(p.stat().st_size for p in out.iterdir()) >> 20} MiB)")
            for what, node in targets(spec).items():
                if args.only and what not in args.only:
                    continue
                runs = [run(out, node) for _ in range(args.repeat)]
                wall = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[1] for r in runs)
                rss = statistics.median(r[2] for r in runs) / 1024
                print(f"{spec} {what:5} {runs[0][3]}")
                print(f"  wall median {wall:.2f} s (runs {', '.join(f'{r[0]:.2f}' for r in runs)})"
                      f", CPU {cpu:.2f} s, peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
