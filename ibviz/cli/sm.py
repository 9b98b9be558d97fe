"""``ibviz sm``: run the subnet manager on a fabric as OpenSM would, fail nodes, dump its state.

``ibviz sm FABRIC [--routing minhop|updn|ftree] [--lmc N] [--sm-port NODE[:PORT]]
[--fail NODE]... [--dump DIR]``. The SM keeps the LIDs the fabric already has where OpenSM
keeps them, sweeps, and after each ``--fail`` re-sweeps as OpenSM does after the trap
(incremental re-routing). ``--dump`` writes OpenSM's files (``guid2lid``,
``opensm-lfts.dump``, ``opensm.fdbs``, ``opensm.mcfdbs``, ``opensm-subnet.lst``) in its
exact formats, for a ``diff`` against a real SM's dump directory.

Exit codes: 0 ok, 2 invalid input (fabric, node, option, routing engine).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np

from ibviz.cli.progress import ProgressBar

ROUTINGS = ("minhop", "updn", "ftree")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sm", help="run the SM as OpenSM would; fail nodes; write its dumps",
                       description="Run ibviz's subnet manager on a fabric the way OpenSM "
                       "3.3.23 does (LIDs, routing, re-routing after failures) and print a "
                       "summary; --dump writes OpenSM's dump files for a diff against a "
                       "real SM. NODE: a host name, NodeDescription, GUID or LID. Exit code "
                       "0: ok; 2: invalid input.")
    p.add_argument("fabric", help="a fabric file, a built-in name or a generator spec "
                   "(e.g. fat-tree:k=4,n=3)")
    p.add_argument("--routing", default="minhop", metavar="{minhop,updn,ftree}",
                   help="routing engine (OpenSM -R; default minhop)")
    p.add_argument("--lmc", type=int, default=0, choices=range(8), metavar="N",
                   help="LID mask control 0-7 (OpenSM -l; default 0)")
    p.add_argument("--sm-port", metavar="NODE[:PORT]",
                   help="where the SM runs (default: the fabric's master SM, else the "
                        "lowest-GUID switch)")
    p.add_argument("--fail", action="append", default=[], metavar="NODE",
                   help="fail this node, then re-sweep (repeatable, applied in order)")
    p.add_argument("--dump", metavar="DIR", help="write guid2lid, opensm-lfts.dump, "
                   "opensm.fdbs, opensm.mcfdbs and opensm-subnet.lst into DIR")
    p.set_defaults(func=sm_command)


@dataclass
class SweepLine:
    """One sweep's figures for the summary."""

    label: str
    incremental: bool
    entries: int
    changed: int
    switches_changed: int
    seconds: float


def _error(text: str) -> int:
    print(f"ibviz sm: error: {text}", file=sys.stderr)
    return 2


def _entries(lfts: dict[int, np.ndarray]) -> list[int]:
    """Routed entries (not 255) of each table."""
    return [int(np.count_nonzero(t != 255)) for t in lfts.values()]


def _changed(before: dict[int, np.ndarray], after: dict[int, np.ndarray]) -> tuple[int, int]:
    from ibviz.core.sm._smp_batch import lft_changes

    changed = lft_changes(before, after)[3]
    return int(changed.sum()), int((changed > 0).sum())


def _sweep(sm, label: str) -> SweepLine:  # noqa: ANN001 - SubnetManager, imported lazily
    # the SM replaces read-only rows rather than writing them: keep those, copy the rest
    before = {g: t if not t.flags.writeable else t.copy() for g, t in sm.lfts.items()}
    start = time.perf_counter()
    sm.sweep(reason=label)
    seconds = time.perf_counter() - start
    live = sm.reachable or set()
    after = {g: t for g, t in sm.lfts.items() if g in live}
    entries = _entries(after)
    before = {g: t for g, t in before.items() if g in live}
    if before:
        changed, switches = _changed(before, after)
    else:  # a first sweep: every routed entry is new
        changed, switches = sum(entries), sum(1 for n in entries if n)
    return SweepLine(label, bool(sm.last_lfts and sm.last_lfts.incremental), sum(entries),
                     changed, switches, seconds)


def sm_command(args: argparse.Namespace) -> int:
    from ibviz.core.resolve import NodeNotFound, resolve_node, resolve_port
    from ibviz.core.sm import progress as sm_progress
    from ibviz.core.sm.manager import SmConfig, SubnetManager
    from ibviz.core.sm.routing import RoutingError
    from ibviz.topology import open_fabric
    from ibviz.topology.errors import TopologyError

    bar = ProgressBar(f"reading {args.fabric}")
    try:
        fabric = open_fabric(args.fabric, progress=bar)
    except (TopologyError, OSError, ValueError) as exc:
        text = exc.one_line() if isinstance(exc, TopologyError) else str(exc)
        return _error(text)
    finally:
        bar.close()
    try:
        sm_port = resolve_port(fabric, args.sm_port) if args.sm_port else fabric.master_sm
    except NodeNotFound as exc:
        return _error(str(exc))
    sm = SubnetManager(fabric, SmConfig(lmc=args.lmc, routing=args.routing, sm_port=sm_port))
    steps = 1 + len(args.fail)
    bar = ProgressBar("sweeping")
    lines: list[SweepLine] = []
    try:
        bar(0, steps)
        with sm_progress.reporting(lambda done, total: bar(done, total * steps)):
            lines.append(_sweep(sm, "initial sweep"))  # its share: the first of the steps
        bar(1, steps)
        try:  # after the first sweep, so that a LID names the port that now has it
            failures = [resolve_node(fabric, text) for text in args.fail]
        except NodeNotFound as exc:
            return _error(str(exc))
        if sm.sm_port.node in failures:
            return _error(f"the SM runs on {fabric.nodes[sm.sm_port.node].label}: fail "
                          "another node or move the SM with --sm-port")
        for i, guid in enumerate(failures, 2):
            sm.fail_node(guid)
            lines.append(_sweep(sm, f"{fabric.nodes[guid].label} failed"))
            bar(i, steps)
    except RoutingError as exc:
        return _error(str(exc))
    finally:
        bar.close()
    _summary(sm, lines)
    if args.dump:
        from ibviz.topology.state.opensm_writers import write_dump_dir

        try:
            paths = write_dump_dir(sm, args.dump)
        except OSError as exc:
            return _error(f"cannot write {args.dump}: {exc}")
        print(f"wrote {', '.join(p.name for p in paths)} to {args.dump}")
    return 0


def _summary(sm, lines: list[SweepLine]) -> None:  # noqa: ANN001 - SubnetManager
    fabric, lfts = sm.fabric, sm.last_lfts
    sm_node = fabric.nodes[sm.sm_port.node]
    engine = sm.config.routing
    if lfts is not None and lfts.fallback:
        engine += " (no root switch found: fell back to minhop, as OpenSM does)"
    elif lfts is not None and lfts.roots:
        engine += f" ({len(lfts.roots)} root switches)"
    live = sm.reachable or set()
    lids = [lid for g in live for p in fabric.nodes[g].lid_ports() if p.lid for lid in p.lids()]
    print(f"fabric     {fabric.name}: {sum(1 for n in fabric.switches())} switches, "
          f"{sum(1 for n in fabric.cas())} CAs, {len(fabric.links)} cables")
    print(f"SM         {sm_node.label} port {sm.sm_port.port}, routing {engine}, "
          f"LMC {sm.config.lmc}")
    print(f"in subnet  {len(live)} nodes, {len(lids)} LIDs"
          + (f" (0x{min(lids):04x}-0x{max(lids):04x})" if lids else ""))
    for n, line in enumerate(lines, 1):
        how = "kept valid entries, re-balanced the rest" if line.incremental \
            else "routed afresh"
        print(f"sweep {n}    {line.label}: {how}; {line.entries} LFT entries, "
              f"{line.changed} changed in {line.switches_changed} switches "
              f"({line.seconds * 1000:.0f} ms)")
