"""``ibviz whatif``: what breaks if a node, switch or link of a real fabric dies, as its
subnet manager would re-route it; and, for a protected group, what each failover mode
would do. Exit status: 0 the analysis ran, 2 unreadable input or an unknown node."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ibviz.app.whatif_report import text_lines, to_json
from ibviz.backends.attach import RealFabric
from ibviz.cli.progress import ProgressBar
from ibviz.cli.reading import READ_ERRORS, fail, read_fabric
from ibviz.core.addressing import parse_gid
from ibviz.core.bulk import gc_paused
from ibviz.core.naming import describe_node
from ibviz.core.resolve import NodeNotFound, resolve_node, resolve_port
from ibviz.core.sm.routing import RoutingError
from ibviz.core.whatif import Failures, what_if

ROUTINGS = ("minhop", "updn", "ftree")
SHOWN = 12


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "whatif", help="what breaks if a node, switch or link of a real fabric dies",
        description="From a real fabric's state (an OpenSM dump directory or state files), "
                    "fail nodes, switches or links and re-route as the SM would (keeping the "
                    "real LFT entries that stay valid, as OpenSM does): which LIDs are lost "
                    "or become unreachable, which members each group loses, which MLIDs' "
                    "trees change; with --protect, what each failover mode would do for "
                    "that group. NODE: a host name, NodeDescription, GUID or LID. Exit "
                    "status: 0 the analysis ran, 2 unreadable input or an unknown node.")
    p.add_argument("sources", nargs="+", metavar="DIR|FILE",
                   help="a directory of state files, or the files themselves")
    p.add_argument("--fail", action="append", default=[], metavar="NODE",
                   help="a node or switch that fails (repeatable)")
    p.add_argument("--fail-link", action="append", default=[], metavar="NODE:PORT",
                   help="a cable that goes down, named by one end (repeatable)")
    p.add_argument("--routing", default="minhop", choices=ROUTINGS,
                   help="the SM's routing engine (OpenSM -R; default minhop)")
    p.add_argument("--protect", metavar="GROUP",
                   help="a group (MGID, or MLID like 0xc001) whose member on the failed node "
                        "is taken over: each failover mode is run on the model")
    p.add_argument("--takeover", metavar="NODE",
                   help="with --protect: the node that takes over (default: a receiving "
                        "member on the failed node's switch, else any)")
    p.add_argument("--standby", metavar="NODE",
                   help="the node of a standby SM that takes over when the master SM's node "
                        "fails (the dumps name only the master; without this option the "
                        "analysis assumes a standby on the lowest-GUID switch left, and "
                        "says so)")
    p.add_argument("--json", action="store_true", help="print the analysis as JSON "
                   "(GUIDs, MLIDs and LIDs as hex strings)")
    p.set_defaults(func=cmd_whatif)


def _group(backend: RealFabric, text: str) -> int:
    groups = backend.sm.sa.groups
    try:
        value = int(text, 16) if text.lower().startswith("0x") and len(text) <= 6 else None
    except ValueError:
        value = None
    if value is not None:
        for mgid, g in groups.items():
            if g.mlid == value:
                return mgid
        raise NodeNotFound(f"no group with MLID {text} in the state")
    try:
        mgid = parse_gid(text)
    except ValueError as exc:
        raise NodeNotFound(f"{text!r} is neither an MGID nor an MLID") from exc
    if mgid not in groups:
        raise NodeNotFound(f"no group {text} in the state")
    return mgid


def standby_in_files(backend: RealFabric) -> tuple[int, str] | None:
    """The node of a standby SM the files name (``sminfo`` or ``opensm.log`` of an SM in
    STANDBY state, by its port GUID) and that file, or None: the dumps of a master name
    no standby."""
    state = backend.state
    if state is None:
        return None
    fabric = backend.fabric
    found = []
    if state.sm is not None and state.sm.state.upper() == "STANDBY":
        found.append((state.sm.guid, "sminfo"))
    log = state.sm_log
    if log is not None and (log.state or "").upper() == "STANDBY" and not log.exited \
            and log.port_guid is not None:
        found.append((log.port_guid, "opensm.log"))
    for guid, source in found:
        for node in fabric.nodes.values():
            if guid == node.guid or any(p.guid == guid for p in node.ports.values()):
                return node.guid, source
    return None


def cmd_whatif(args: argparse.Namespace) -> int:
    if not args.fail and not args.fail_link:
        print("ibviz whatif: error: give --fail NODE or --fail-link NODE:PORT", file=sys.stderr)
        return 2
    with gc_paused():  # millions of long-lived objects: the collector's passes free nothing
        return _whatif(args)


def _whatif(args: argparse.Namespace) -> int:
    try:
        backend = read_fabric(args.sources)
    except READ_ERRORS as exc:
        return fail(exc, "ibviz whatif")
    try:
        fabric = backend.fabric
        failures = Failures([resolve_node(fabric, t) for t in args.fail],
                            [resolve_port(fabric, t) for t in args.fail_link])
        for ref in failures.links:
            if fabric.link_at(ref) is None:
                raise NodeNotFound(f"{describe_node(fabric, ref.node)} port {ref.port} is "
                                   "not cabled")
        protect = _group(backend, args.protect) if args.protect else None
        takeover = resolve_node(fabric, args.takeover) if args.takeover else None
        standby = (resolve_node(fabric, args.standby), "--standby") if args.standby else \
            standby_in_files(backend)
        bar = ProgressBar("what if: model, re-route, checks")
        try:
            result = what_if(fabric, backend.sm, failures, routing=args.routing,
                             protect=protect, takeover=takeover,
                             standby=standby[0] if standby else None,
                             standby_from=standby[1] if standby else "", progress=bar)
        finally:
            bar.close()
    except (*READ_ERRORS, NodeNotFound, RoutingError, ValueError) as exc:
        return fail(exc, "ibviz whatif")
    finally:
        backend.close()
    if args.json:
        print(json.dumps(to_json(result, backend.fabric, protect), indent=2))
    else:
        print("\n".join(text_lines(result, backend.fabric, protect)))
    return 0


