"""``ibviz diff A B``: what changed between two snapshots of a fabric (dump directories,
state files or topology files): nodes, links, groups, members, MFT and LFT entries.
Exit status: 0 no differences, 1 differences, 2 unreadable input."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from ibviz.app.live_readonly import files_time
from ibviz.backends.attach import RealFabric
from ibviz.cli.reading import READ_ERRORS, fail, read_fabric
from ibviz.core.bulk import gc_paused
from ibviz.core.state_diff import diff_states

SHOWN = 200
"""Text output prints this many lines of each kind, then how many more (JSON: all)."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "diff", help="what changed between two snapshots of a fabric (dump directories)",
        description="Compare two snapshots of a fabric - OpenSM dump directories, state files "
                    "(ibroute, saquery, ...) or topology files - and print what changed: "
                    "nodes and links added or removed, groups and members, MFT entries per "
                    "switch and MLID (e.g. 'leaf07 0xc003: [1, 17] -> [1, 2]') and LFT "
                    "entries per switch and LID. Exit status: 0 no differences, 1 "
                    "differences, 2 unreadable input.")
    p.add_argument("old", metavar="A", help="the earlier snapshot: a directory or a file")
    p.add_argument("new", metavar="B", help="the later snapshot: a directory or a file")
    p.add_argument("--json", action="store_true",
                   help="print the differences as JSON (keys nodes_added, nodes_removed, "
                        "links_changed, members_changed, groups_changed, mft_changed, "
                        "lft_changed, lft_removed (a removed switch's LFT: its entry "
                        "count); GUIDs, MLIDs and LIDs as hex strings; an LFT entry's old/new is "
                        "its port number, null for no route)")
    p.set_defaults(func=cmd_diff)


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else "unknown time"


def cmd_diff(args: argparse.Namespace) -> int:
    with gc_paused():  # two fabrics' states: millions of long-lived objects
        return _diff(args)


def _diff(args: argparse.Namespace) -> int:
    sides: list[RealFabric] = []
    try:
        for source in (args.old, args.new):
            sides.append(read_fabric(source, f"reading {source}"))
        old, new = sides
        found = diff_states(old.fabric, old.sm, new.fabric, new.sm)
        times = [files_time([Path(s)]) or 0.0 for s in (args.old, args.new)]
    except READ_ERRORS as exc:
        return fail(exc)
    finally:
        for backend in sides:
            backend.close()
    if args.json:
        out = found.to_dict()
        out["old"] = {"source": str(args.old), "time": _stamp(times[0])}
        out["new"] = {"source": str(args.new), "time": _stamp(times[1])}
        print(json.dumps(out, indent=2))
    else:
        print(f"--- {args.old}  ({_stamp(times[0])})")
        print(f"+++ {args.new}  ({_stamp(times[1])})")
        _print_lines(found.lines())
        counts = {k: len(v) for k, v in found.to_dict().items() if v}
        print("no differences" if found.is_empty else
              "changes: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0 if found.is_empty else 1


def _print_lines(lines: list[str]) -> None:
    by_kind: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for line in lines:
        kind = line.split(" ", 2)[1]
        by_kind[kind] = by_kind.get(kind, 0) + 1
        if by_kind[kind] <= SHOWN:
            print(line)
        else:
            hidden[kind] = hidden.get(kind, 0) + 1
    for kind, n in hidden.items():
        print(f"... and {n} more {kind} change{'' if n == 1 else 's'} (see --json)")
