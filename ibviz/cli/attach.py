"""``ibviz attach``: show a real fabric's state from files or live, then its changes."""

from __future__ import annotations

import argparse
import ipaddress
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ibviz.backends.attach import DEFAULT_INTERVAL, LiveTools, RealFabric
from ibviz.backends.base import BackendError
from ibviz.cli.reading import fail, read_fabric
from ibviz.core.model import NodeKind
from ibviz.topology.errors import TopologyError
from ibviz.topology.state.sm_facts import sm_facts


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "attach", help="read a real fabric's state (files or live), read-only",
        description="Show a real InfiniBand fabric's state - topology, LIDs, forwarding tables, "
                    "multicast groups - from state files (a directory or files: OpenSM dumps, "
                    "ibroute, saquery, iblinkinfo, ibdiagnet ...) or live with infiniband-diags, "
                    "then print the changes as they happen. Never changes the fabric.")
    p.add_argument("sources", nargs="*", metavar="DIR|FILE",
                   help="a directory of state files or the files themselves")
    p.add_argument("--live", action="store_true",
                   help="poll the fabric with ibnetdiscover, dump_fts, saquery and sminfo")
    p.add_argument("--interval", type=float, default=DEFAULT_INTERVAL, metavar="S",
                   help=f"seconds between polls (default {DEFAULT_INTERVAL:g})")
    p.add_argument("--once", action="store_true", help="print the snapshot and stop")
    p.add_argument("--polls", type=int, metavar="N", help="stop after N polls")
    p.add_argument("--tools-dir", type=Path, metavar="DIR",
                   help="where the infiniband-diags tools are (default: $IBVIZ_DIAG_DIR, PATH)")
    p.add_argument("--ca", help="local HCA to query from (-C)")
    p.add_argument("--port", type=int, help="local HCA port to query from (-P)")
    p.add_argument("--smkey", type=lambda s: int(s, 0), metavar="KEY",
                   help="SA SM_Key for saquery -m (shows member GIDs)")
    p.set_defaults(func=cmd_attach)


def summary_lines(backend: RealFabric) -> list[str]:
    """The snapshot, as the lines ``ibviz attach`` prints first."""
    f, sm = backend.fabric, backend.sm
    kinds = Counter(n.kind for n in f.nodes.values())
    lines = [f"{backend.name}: {f.name}: {kinds[NodeKind.SWITCH]} switches, "
             f"{kinds[NodeKind.CA]} CAs, {kinds[NodeKind.ROUTER]} routers, {len(f.links)} links"]
    if backend.state is not None:
        lines.append(f"state: {backend.state.summary()}")
        lines.append(sm_facts(backend.state, f).line())
    for mgid, group in sorted(sm.sa.groups.items(), key=lambda kv: kv[1].mlid):
        switches = sum(1 for t in sm.mfts.values() if group.mlid in t)
        lines.append(f"  group {ipaddress.IPv6Address(mgid)}  MLID {group.mlid:#06x}  "
                     f"{len(group.members)} members, MFT entries on {switches} switches")
    if backend.state is not None:
        formats = Counter(fmt for _, fmt in backend.state.sources)
        lines.append("read: " + ", ".join(f"{fmt} x{n}" if n > 1 else fmt
                                          for fmt, n in sorted(formats.items())))
        warnings = backend.state.warnings
        if warnings:
            lines.append(f"{len(warnings)} warnings, first: {warnings[0]}")
    lines += [f"note: {n}" for n in backend.notes]
    return lines


def watch(backend: RealFabric, polls: int | None = None,
          sleep: Callable[[float], None] = time.sleep) -> None:
    """Poll every ``backend.interval`` seconds (``polls`` times, or until interrupted) and
    print each change as it is seen."""
    shown, done = len(backend.changes), 0
    while polls is None or done < polls:
        sleep(backend.interval)
        backend.poll()
        done += 1
        for change in backend.changes[shown:]:
            print(change, flush=True)
        shown = len(backend.changes)
        if backend.last_error:
            print(f"poll failed (keeping the last state): {backend.last_error}",
                  file=sys.stderr, flush=True)


def cmd_attach(args: argparse.Namespace) -> int:
    if not args.sources and not args.live:
        print("ibviz: error: give a directory or state files, or --live", file=sys.stderr)
        return 2
    if args.interval <= 0:
        print("ibviz: error: --interval must be positive", file=sys.stderr)
        return 2
    tools = LiveTools(tool_dir=args.tools_dir, ca=args.ca, port=args.port, sa_key=args.smkey)
    try:
        backend = read_fabric(args.sources or None, live=args.live, interval=args.interval,
                              tools=tools)
    except (BackendError, TopologyError) as exc:
        return fail(exc, code=1)
    try:
        for line in summary_lines(backend):
            print(line)
        if args.once:
            return 0
        print(f"watching every {args.interval:g} s (Ctrl+C to stop)", flush=True)
        watch(backend, args.polls)
        return 0
    except (BackendError, TopologyError) as exc:
        return fail(exc, code=1)
    finally:
        backend.close()
