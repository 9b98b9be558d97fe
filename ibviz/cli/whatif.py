"""``ibviz whatif``: what breaks if a node, switch or link of a real fabric dies, as its
subnet manager would re-route it; and, for a protected group, what each failover mode
would do. Exit status: 0 the analysis ran, 2 unreadable input or an unknown node."""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from typing import Any

from ibviz.backends.attach import RealFabric
from ibviz.backends.base import BackendError
from ibviz.cli.progress import ProgressBar
from ibviz.core.addressing import parse_gid
from ibviz.core.naming import describe_node
from ibviz.core.resolve import NodeNotFound, resolve_node, resolve_port
from ibviz.core.scenario.compare import STRATEGIES
from ibviz.core.sm.routing import RoutingError
from ibviz.core.whatif import Failures, WhatIf, what_if
from ibviz.topology.errors import TopologyError

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


def cmd_whatif(args: argparse.Namespace) -> int:
    if not args.fail and not args.fail_link:
        print("ibviz whatif: error: give --fail NODE or --fail-link NODE:PORT", file=sys.stderr)
        return 2
    backend = RealFabric(args.sources)
    bar = ProgressBar("reading the fabric")
    try:
        try:
            backend.start(bar)
        finally:
            bar.close()
        fabric = backend.fabric
        failures = Failures([resolve_node(fabric, t) for t in args.fail],
                            [resolve_port(fabric, t) for t in args.fail_link])
        for ref in failures.links:
            if fabric.link_at(ref) is None:
                raise NodeNotFound(f"{describe_node(fabric, ref.node)} port {ref.port} is "
                                   "not cabled")
        protect = _group(backend, args.protect) if args.protect else None
        takeover = resolve_node(fabric, args.takeover) if args.takeover else None
        result = what_if(fabric, backend.sm, failures, routing=args.routing,
                         protect=protect, takeover=takeover)
    except (BackendError, TopologyError, OSError, NodeNotFound, RoutingError,
            ValueError) as exc:
        text = exc.one_line() if isinstance(exc, TopologyError) else str(exc)
        print(f"ibviz whatif: error: {text}", file=sys.stderr)
        return 2
    finally:
        backend.close()
    if args.json:
        print(json.dumps(to_json(result, backend, protect), indent=2))
    else:
        print("\n".join(text_lines(result, backend, protect)))
    return 0


def _failed_names(result: WhatIf, backend: RealFabric) -> list[str]:
    f = backend.fabric
    return [describe_node(f, g) for g in result.failures.nodes] + \
        [f"the cable at {describe_node(f, r.node)} port {r.port}" for r in result.failures.links]


def to_json(result: WhatIf, backend: RealFabric, protect: int | None) -> dict[str, Any]:
    d = result.diff
    return {
        "failed": {"nodes": [f"{g:#018x}" for g in result.failures.nodes],
                   "links": [f"{r.node:#018x}:{r.port}" for r in result.failures.links],
                   "names": _failed_names(result, backend)},
        "model": {k: {"equal": e, "total": t} for k, (e, t) in result.agreement.items()},
        "notes": result.notes,
        "lids_lost": [f"{lid:#06x}" for lid in result.lids_lost],
        "lids_unreachable": result.unreachable,
        "groups": result.groups,
        "lft_changed": d.lft_changed,
        "mft_changed": d.mft_changed,
        "members_changed": d.members_changed,
        "protect": None if protect is None else {
            "mgid": str(ipaddress.IPv6Address(protect)), "modes": result.protection}}


def text_lines(result: WhatIf, backend: RealFabric, protect: int | None) -> list[str]:
    f, d = backend.fabric, result.diff
    lft_e, lft_t = result.agreement["lft"]
    mft_e, mft_t = result.agreement["mft"]
    lines = [f"what if {' and '.join(_failed_names(result, backend))} fails",
             f"model: its own routing gives {lft_e} of {lft_t} LFT entries and {mft_e} of "
             f"{mft_t} MFT entries as the dumps; re-routing starts from the real LFTs"]
    lines += [f"note: {n}" for n in result.notes]
    owners = f.lid_owners()
    lost = [f"LID {lid} ({describe_node(f, owners[lid][0].node, owners[lid][0].port)})"
            for lid in result.lids_lost[:SHOWN]]
    more = f" and {len(result.lids_lost) - SHOWN} more" if len(result.lids_lost) > SHOWN else ""
    lines.append(f"lost with the failure: {len(result.lids_lost)} LIDs"
                 + (f": {', '.join(lost)}{more}" if lost else ""))
    if result.unreachable:
        lines.append(f"unicast: {len(result.unreachable)} LIDs become unreachable:")
        lines += [f"  {u['subject']}: {u['detail']}" for u in result.unreachable[:SHOWN]]
    else:
        lines.append("unicast: every other LID is still delivered from every switch")
    switches = len({e["switch"] for e in d.lft_changed})
    lines.append(f"LFT entries re-routed: {len(d.lft_changed)} on {switches} switches")
    if not result.groups:
        lines.append("multicast: no group loses a member or changes its tree")
    for g in result.groups:
        lost_m = ", ".join(g["members_lost"]) or "no member"
        lines.append(f"group MLID {g['mlid']} ({g['mgid']}): loses {lost_m}; "
                     f"{g['members_left']} members left; tree changes on "
                     f"{len(g['tree_changes'])} switches")
        lines += [f"  {c}" for c in g["tree_changes"][:SHOWN]]
    if protect is not None:
        lines.append(f"protected group {ipaddress.IPv6Address(protect)}:")
        for mode, o in result.protection.items():
            name = STRATEGIES.get(mode, mode)
            if o.get("outage_us") is None:
                lines.append(f"  {name}: {o.get('problem') or 'not restored'}")
                continue
            lines.append(f"  {name}: {o['takeover']} takes over from {o['primary']} in "
                         f"{o['outage_us']:.1f} us; {o['mads']} MADs, "
                         f"{o['lft_blocks_written']} LFT and {o['mft_blocks_written']} MFT "
                         f"blocks, {o['remote_peers_touched']} remote peers touched, "
                         f"{o['takeover_lids_changed']} takeover LIDs lost")
    return lines
