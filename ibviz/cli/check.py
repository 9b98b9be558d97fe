"""``ibviz check``: health of a real fabric from its dumps: multicast reach on the real
MFTs, MFT branches, unicast paths, LIDs and links. Exit 0 healthy, 1 problems, 2 input
that cannot be read."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

from ibviz.app.problems import run_check
from ibviz.backends.attach import RealFabric
from ibviz.cli.reading import READ_ERRORS, fail, read_fabric
from ibviz.core.bulk import gc_paused
from ibviz.core.naming import plural
from ibviz.core.problems import Report, Severity

SHOWN_PER_KIND = 20
"""Text output lists this many problems of one kind, then says how many more (JSON: all)."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check", help="check a real fabric's dumps: multicast reach, MFTs, LFTs, LIDs, links",
        description="Check a fabric's state files (an OpenSM dump directory: opensm.mcfdbs, "
                    "opensm-sa.dump, opensm-lfts.dump/.fdbs, guid2lid, opensm-subnet.lst, "
                    "ibnetdiscover output; ibdiagnet's .lst, .fdbs, .db_csv): every group "
                    "member reached from every other member on the real MFTs, no MFT branch "
                    "to a non-member or a dead end, no loops, every unicast LID delivered "
                    "from every switch, no duplicate LIDs or overlapping LMC ranges, no "
                    "degraded links. Exit status: 0 healthy, 1 problems found, 2 unreadable "
                    "input.")
    p.add_argument("sources", nargs="+", metavar="DIR|FILE",
                   help="a directory of state files, or the files themselves")
    p.add_argument("--json", action="store_true",
                   help="print {\"problems\": [...], \"checked\": {...}} (GUIDs, MLIDs and "
                        "LIDs as hex strings)")
    p.set_defaults(func=cmd_check)


def _print_text(backend: RealFabric, report: Report) -> None:
    c = report.checked
    print(f"checked {backend.fabric.name}: {plural(c['switches'], 'switch')}, "
          f"{plural(c['cas'], 'CA')}, {plural(c['links'], 'link')}, {plural(c['lids'], 'LID')}, "
          f"{plural(c['groups'], 'group')} ({plural(c['members'], 'member')}), "
          f"{plural(c['mft_entries'], 'MFT entry', 'MFT entries')}, "
          f"{plural(c['lft_paths'], 'LFT path')}")
    for note in report.notes:
        print(f"note: {note}")
    if report.healthy:
        print("healthy: no problems found")
        return
    shown: Counter[str] = Counter()
    for severity in (Severity.ERROR, Severity.WARNING):
        for p in report.problems:
            if p.severity is not severity:
                continue
            shown[p.kind] += 1
            if shown[p.kind] <= SHOWN_PER_KIND:
                print(f"{p.severity.value}: {p.kind}: {p.subject}: {p.detail}")
    kinds = Counter(p.kind for p in report.problems)
    for kind, n in sorted(kinds.items()):
        if n > SHOWN_PER_KIND:
            print(f"... and {n - SHOWN_PER_KIND} more {kind} (see --json)")
    print(f"{plural(len(report.problems), 'problem')}: " +
          ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())))


def cmd_check(args: argparse.Namespace) -> int:
    with gc_paused():  # reading and checking make millions of long-lived objects
        return _check(args)


def _check(args: argparse.Namespace) -> int:
    try:
        backend = read_fabric(args.sources)
    except READ_ERRORS as exc:
        return fail(exc)
    try:
        report = run_check(backend)
    finally:
        backend.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        _print_text(backend, report)
    return 0 if report.healthy else 1
