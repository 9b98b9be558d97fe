"""Read-only attach to a real subnet: the OpenSM lab (ibsim + the real OpenSM) stands in
for a cluster. Times, on a 1,000-HCA leaf/spine fabric: the live start (ibnetdiscover +
ibroute/saquery/sminfo under umad2sim), one live poll, and reading OpenSM's dump files
from a directory (file mode). Medians of ``--repeat`` runs.

Usage: python benchmarks/bench_attach.py [--fabric SPEC] [--repeat N]
Needs the Debian packages ibsim-utils, opensm and infiniband-diags.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from ibviz.backends.attach import LiveTools, RealFabric
from ibviz.backends.ibsim_process import IbsimFabric
from ibviz.backends.opensm_process import OpenSm
from ibviz.topology import dumps, open_fabric
from ibviz.topology.state import load_state_dir

DUMPS = ("opensm-lfts.dump", "opensm.fdbs", "opensm.mcfdbs", "opensm-subnet.lst", "guid2lid")


def timed(fn) -> float:
    t = time.monotonic()
    fn()
    return time.monotonic() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fabric", default="leaf-spine:hcas=1000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    fabric = open_fabric(args.fabric)
    with tempfile.TemporaryDirectory(prefix="ibviz-bench-attach-") as tmp:
        out = Path(tmp)
        net = out / "fabric.net"
        net.write_text(dumps(fabric, "ibsim"))
        with IbsimFabric(net) as sim, OpenSm(sim, sweep=5) as sm:
            print(f"{args.fabric}: OpenSM SUBNET UP after {sm.up_seconds:.2f} s")
            starts, polls = [], []
            for _ in range(args.repeat):
                live = RealFabric(live=True, tools=LiveTools(env=sim.client_env()))
                starts.append(timed(live.start))
                polls.append(timed(live.poll))
                live.close()
            dump_dir = out / "dumps"
            dump_dir.mkdir()
            for name in DUMPS:
                (dump_dir / name).write_text(sm.read_stable(sm.dir / name))
            loads = [timed(lambda: load_state_dir(dump_dir)) for _ in range(args.repeat)]
    med = statistics.median
    print(f"live start (ibnetdiscover + SM state tools): {med(starts):.2f} s")
    print(f"live poll: {med(polls):.2f} s")
    print(f"file mode, load_state_dir on OpenSM's dumps: {med(loads):.2f} s")


if __name__ == "__main__":
    main()
