"""LFT agreement with the real OpenSM (ibsim), fresh and after failures and returns.

Run: ``PYTHONPATH=$PWD python3 benchmarks/bench_lft_agreement.py [--quick]``. For every
fabric and engine it prints, per stage, ibviz's LFT entries equal to OpenSM's / total.
Needs the Debian ``opensm`` and ``ibsim-utils`` packages.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from ibviz.backends.sm_compare import Event, agreement, ibviz_stages, opensm_stages
from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef
from ibviz.topology.generators import fat_tree, leaf_spine, torus


def _hca(fabric: Fabric, i: int) -> int:
    return sorted(n.guid for n in fabric.cas())[i]


def _switch(fabric: Fabric, prefix: str, i: int = 0) -> int:
    return sorted(n.guid for n in fabric.switches() if n.name.startswith(prefix))[i]


def _isl(fabric: Fabric, i: int = 0) -> PortRef:
    """The ``i``-th switch-to-switch cable end (by leaf GUID, port)."""
    ends = sorted(lk.a if lk.a.node < lk.b.node else lk.b for lk in fabric.links.values()
                  if fabric.nodes[lk.a.node].kind is NodeKind.SWITCH
                  and fabric.nodes[lk.b.node].kind is NodeKind.SWITCH)
    return ends[i]


Case = tuple[str, Callable[[], Fabric], str, Callable[[Fabric], list[tuple[str, Event]]], int]


def cases() -> list[Case]:
    def node_events(f: Fabric) -> list[tuple[str, Event]]:
        ca, sw = _hca(f, 3), _switch(f, "spine") if any(
            n.name.startswith("spine") for n in f.switches()) else None
        ev: list[tuple[str, Event]] = [("CA loss", ("fail", ca)),
                                       ("CA return", ("recover", ca))]
        isl = _isl(f, 1)
        ev += [("ISL loss", ("unlink", isl)), ("ISL return", ("relink", isl))]
        if sw is not None:
            ev += [("spine loss", ("fail", sw))]
        return ev

    def fat_events(f: Fabric) -> list[tuple[str, Event]]:
        ca, isl = _hca(f, 5), _isl(f, 2)
        return [("CA loss", ("fail", ca)), ("CA return", ("recover", ca)),
                ("ISL loss", ("unlink", isl)), ("ISL return", ("relink", isl))]

    def sequence(f: Fabric) -> list[tuple[str, Event]]:
        a, b, sw = _hca(f, 3), _hca(f, 7), _switch(f, "spine")
        isl = next(e for i in range(len(f.links)) if sw not in (
            (e := _isl(f, i)).node, getattr(f.peer(e), "node", None)))
        return [("CA loss", ("fail", a)), ("2nd CA loss", ("fail", b)),
                ("spine loss", ("fail", sw)), ("1st CA return", ("recover", a)),
                ("ISL loss", ("unlink", isl)), ("spine return", ("recover", sw))]

    return [
        ("3-switch parallel uplinks", lambda: leaf_spine(8, hcas_per_leaf=4, spines=1,
                                                         switch_ports=8), "minhop",
         node_events, 0),
        ("leaf-spine 40/5, 3 spines", lambda: leaf_spine(40, hcas_per_leaf=5, spines=3,
                                                         switch_ports=12), "minhop",
         node_events, 0),
        ("leaf-spine dual-port 30", lambda: leaf_spine(30, hcas_per_leaf=6, dual_port=True,
                                                       oversubscription=2), "minhop",
         node_events, 0),
        ("torus 3x3", lambda: torus((3, 3), hcas_per_switch=2), "minhop", fat_events, 0),
        ("fat-tree k=3 n=3", lambda: fat_tree(3, 3), "minhop", fat_events, 0),
        ("fat-tree k=3 n=3", lambda: fat_tree(3, 3), "updn", fat_events, 0),
        ("leaf-spine 40/5, 3 spines", lambda: leaf_spine(40, hcas_per_leaf=5, spines=3,
                                                         switch_ports=12), "updn",
         node_events, 0),
        ("torus 3x3 (no updn root)", lambda: torus((3, 3), hcas_per_switch=2), "updn",
         fat_events, 0),
        ("leaf-spine 40/5 LMC 1", lambda: leaf_spine(40, hcas_per_leaf=5, spines=3,
                                                     switch_ports=12), "minhop", sequence, 1),
        ("leaf-spine 40/5 LMC 2", lambda: leaf_spine(40, hcas_per_leaf=5, spines=3,
                                                     switch_ports=12), "updn", sequence, 2),
        ("leaf-spine 200/10, 4 spines", lambda: leaf_spine(200, hcas_per_leaf=10, spines=4,
                                                           switch_ports=24), "minhop",
         sequence, 0),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="first two cases only")
    opts = ap.parse_args()
    todo = cases()[:2] if opts.quick else cases()
    for name, build, routing, events, lmc in todo:
        fabric = build()
        sm = PortRef(min(n.guid for n in fabric.cas()), 1)
        evs = events(fabric)
        with tempfile.TemporaryDirectory() as tmp:
            theirs = opensm_stages(fabric.copy(), Path(tmp), sm, [e for _, e in evs],
                                   ("-R", routing, "-l", str(lmc)))
        try:
            ours = ibviz_stages(fabric, sm, [e for _, e in evs], routing=routing,
                                lmc=lmc).stages
        except Exception as exc:  # noqa: BLE001 - reported, as the "before" state raised
            print(f"{name} [{routing}, LMC {lmc}]: ibviz failed: {exc}", flush=True)
            continue
        cells = []
        for label, a, b in zip(["fresh"] + [n for n, _ in evs], ours, theirs, strict=True):
            eq, tot = agreement(a, b)
            cells.append(f"{label} {eq}/{tot}")
        print(f"{name} [{routing}, LMC {lmc}]: " + "; ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
