"""OpenSM lab speed on a 1,000-HCA two-level fat tree (leaf/spine), real OpenSM and ibsim.

    python benchmarks/bench_lab.py [--runs 3] [--hcas 1000]

Per run, on a fresh lab:

* start: ``OpenSmLab.start()`` from nothing to SUBNET UP and the first full state read
  (LIDs, links, 79 LFTs, MFTs, groups) -- goal 3 s; OpenSM's own part is shown beside it;
* fail -> MFT moved: a group (primary Full, three senders send-only full, the takeover's
  SA client already attached, as a standby's would be) on a leaf; ``fail_node(primary)``
  (ibsim ``Unlink``, until OpenSM's MFTs no longer lead to it), then ``failover_mlid``
  (the takeover joins through OpenSM's SA, until OpenSM's MFT on the leaf holds its port)
  -- goal 1 s for both together;
* an idle ``poll()`` (nothing rewritten): its cost.

Medians of the runs; needs the Debian packages opensm, ibsim-utils, infiniband-diags.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ibviz.backends.ibsim_process import MissingToolsError  # noqa: E402
from ibviz.backends.lab import OpenSmLab  # noqa: E402
from ibviz.core.addressing import make_mgid  # noqa: E402
from ibviz.core.sm.records import JoinState  # noqa: E402
from ibviz.topology.generators import leaf_spine  # noqa: E402

START_GOAL, FAILOVER_GOAL = 3.0, 1.0


def one_run(hcas: int) -> dict[str, float]:
    fabric = leaf_spine(hcas, hcas_per_leaf=16)
    figures: dict[str, float] = {}
    with OpenSmLab(fabric) as lab:
        t0 = time.perf_counter()
        lab.start()
        figures["start"] = time.perf_counter() - t0
        figures["opensm_up"] = lab.up_seconds or 0.0
        cas = sorted(n.guid for n in fabric.cas())
        primary, takeover = cas[0], cas[1]
        senders = [cas[len(cas) // 3], cas[2 * len(cas) // 3], cas[-1]]
        mgid = make_mgid(group_id=0xBE)
        lab.join(primary, mgid, JoinState.FULL)
        for sender in senders:
            lab.join(sender, mgid, JoinState.SEND_ONLY_FULL)
        lab.clients.sa(takeover)  # the standby is up before the failure
        lab.wait_until(lambda: not lab.mirror.unconfirmed, 10, "the SA dump")
        t0 = time.perf_counter()
        lab.fail_node(primary)
        t1 = time.perf_counter()
        outcome = lab.failover_mlid(mgid, primary, takeover)
        t2 = time.perf_counter()
        if outcome.problem:
            raise SystemExit(f"failover problem: {outcome.problem}")
        figures["fail_dropped"], figures["failover"] = t1 - t0, t2 - t1
        figures["fail_to_moved"] = t2 - t0
        lab.wait_until(lambda: not lab.reader.watch.changed(), 10, "OpenSM's dumps read")
        polls, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < 0.2:
            lab.poll()
            polls += 1
        figures["idle_poll"] = (time.perf_counter() - t0) / polls
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--hcas", type=int, default=1000)
    args = ap.parse_args()
    runs = []
    for i in range(args.runs):
        try:
            runs.append(one_run(args.hcas))
        except MissingToolsError as exc:
            print(f"the OpenSM lab needs the Debian packages: {exc}")
            return 1
        print(f"  run {i + 1}: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in runs[-1].items()
                                             if k != "idle_poll"))
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"\nOpenSM lab, leaf/spine {args.hcas} HCAs, median of {args.runs} runs "
          f"(Python {sys.version.split()[0]})")
    print(f"  start to SUBNET UP + first full state read: {med['start']:.2f} s   goal "
          f"{START_GOAL:.0f} s   {'OK' if med['start'] <= START_GOAL else 'MISSED'}   "
          f"(OpenSM alone: {med['opensm_up']:.2f} s)")
    print(f"  fail -> MFT moved to the takeover, read back: {med['fail_to_moved']:.2f} s   "
          f"goal {FAILOVER_GOAL:.0f} s   "
          f"{'OK' if med['fail_to_moved'] <= FAILOVER_GOAL else 'MISSED'}   "
          f"(OpenSM dropped the primary: {med['fail_dropped']:.2f} s, takeover joined and "
          f"tree grown: {med['failover']:.2f} s)")
    print(f"  idle poll: {med['idle_poll'] * 1e6:.0f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
