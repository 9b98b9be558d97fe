"""``ibviz topo``: inspect and convert fabric descriptions."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from ibviz.cli.progress import ProgressBar
from ibviz.core import checks
from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind
from ibviz.topology import TOPOLOGY_FORMATS, WRITE_FORMATS, dumps, format_for_path, open_fabric
from ibviz.topology.errors import TopologyError


def add_parser(sub: Any) -> None:
    topo = sub.add_parser("topo", help="inspect and convert fabric files",
                          description="Inspect and convert InfiniBand fabric descriptions.")
    tsub = topo.add_subparsers(dest="topo_command", metavar="ACTION", required=True)
    src_help = ("a fabric file (format detected), a built-in fabric name (see 'ibviz topo "
                "list') or a generator spec such as leaf-spine:hcas=1000")
    info = tsub.add_parser("info", help="summary and consistency checks of a fabric")
    info.add_argument("file", help=src_help)
    info.add_argument("--json", action="store_true", help="machine-readable output")
    info.add_argument("--format", choices=TOPOLOGY_FORMATS, help="force the input format")
    info.set_defaults(func=cmd_info)
    conv = tsub.add_parser("convert", help="convert a fabric to another format")
    conv.add_argument("input", help=src_help)
    conv.add_argument("output", help="output file, '-' for standard output")
    conv.add_argument("--to", choices=WRITE_FORMATS,
                      help="output format (default: from the extension: .json, .dot, .net "
                           "= ibsim, otherwise ibnetdiscover)")
    conv.add_argument("--from", dest="fmt", choices=TOPOLOGY_FORMATS,
                      help="force the input format")
    conv.set_defaults(func=cmd_convert)
    lst = tsub.add_parser("list", help="built-in fabrics and generator specs")
    lst.set_defaults(func=cmd_list)


def _open(spec: str, fmt: str | None) -> Fabric:
    bar = ProgressBar(f"reading {spec}")
    try:
        return open_fabric(spec, fmt, progress=bar)
    finally:
        bar.close()


def _fail(exc: Exception) -> int:
    text = exc.one_line() if isinstance(exc, TopologyError) else str(exc)
    print(f"ibviz: error: {text}", file=sys.stderr)
    return 1


def summarize(fabric: Fabric) -> dict[str, Any]:
    """The facts ``ibviz topo info`` reports, as a JSON-ready dict."""
    dups = checks.duplicate_lids(fabric)
    lid_ports = [p for n in fabric.nodes.values() for p in n.lid_ports() if p.lid]
    lmc = Counter(str(p.lmc) for p in lid_ports)
    overlaps = checks.lmc_overlaps(fabric)
    bad = checks.bad_lids(fabric)
    degraded = checks.degraded_links(fabric)

    def where(ref: Any) -> str:
        node = fabric.nodes[ref.node]
        return node.label if node.is_switch else f"{node.label}[{ref.port}]"

    return {
        "file": fabric.source or fabric.name,
        "format": fabric.source_format or "builtin",
        "switches": fabric.count(NodeKind.SWITCH),
        "cas": fabric.count(NodeKind.CA),
        "routers": fabric.count(NodeKind.ROUTER),
        "links": len(fabric.links),
        "ports_connected": sum(1 for _ in fabric.cabled_ports()),
        "subnets": sorted({n.subnet for n in fabric.nodes.values() if n.kind is not
                           NodeKind.ROUTER}),
        "speeds": dict(sorted(checks.speed_histogram(fabric).items())),
        "lids": {"assigned": len(lid_ports),
                 "in_lmc_ranges": sum(len(p.lids()) for p in lid_ports),
                 "lmc": dict(sorted(lmc.items())),
                 "duplicates": [{"lid": lid, "ports": [where(r) for r in refs]}
                                for lid, refs in dups.items()]},
        "checks": {"duplicate_lids": len(dups), "lmc_overlaps": len(overlaps),
                   "lids_out_of_range": len(bad), "degraded_links": len(degraded)},
        "warnings": [str(w) for w in fabric.warnings],
    }


def _text(s: dict[str, Any]) -> str:
    def none_or(n: int) -> str:
        return "none" if n == 0 else str(n)

    lids = s["lids"]
    lmc = ", ".join(f"LMC {k}: {v} ports" for k, v in lids["lmc"].items()) or "no LIDs"
    speeds = ", ".join(f"{k} x{v}" for k, v in s["speeds"].items()) or "-"
    c = s["checks"]
    out = [f"{s['file']}  ({s['format']})",
           f"  nodes     {s['switches']} switches, {s['cas']} CAs, {s['routers']} routers"
           + (f"; subnets: {', '.join(s['subnets'])}" if len(s["subnets"]) > 1 else ""),
           f"  links     {s['links']} cables, {s['ports_connected']} ports connected",
           f"  speeds    {speeds}",
           f"  LIDs      {lids['assigned']} assigned ({lids['in_lmc_ranges']} with LMC ranges);"
           f" {lmc}",
           f"  checks    duplicate LIDs: {none_or(c['duplicate_lids'])}; overlapping LMC ranges: "
           f"{none_or(c['lmc_overlaps'])}; LIDs out of unicast range: "
           f"{none_or(c['lids_out_of_range'])}; degraded links: {none_or(c['degraded_links'])}"]
    for d in lids["duplicates"][:10]:
        out.append(f"            LID {d['lid']} used by {', '.join(d['ports'])}")
    if s["warnings"]:
        out.append(f"  warnings  {len(s['warnings'])}")
        out += [f"    {w}" for w in s["warnings"][:20]]
        if len(s["warnings"]) > 20:
            out.append(f"    ... and {len(s['warnings']) - 20} more (see --json)")
    return "\n".join(out)


def cmd_info(args: argparse.Namespace) -> int:
    try:
        fabric = _open(args.file, args.format)
    except (TopologyError, OSError, ValueError) as exc:
        return _fail(exc)
    summary = summarize(fabric)
    print(json.dumps(summary, indent=1) if args.json else _text(summary))
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    try:
        fabric = _open(args.input, args.fmt)
        fmt = args.to or (format_for_path(args.output) if args.output != "-" else
                          "ibnetdiscover")
        text = dumps(fabric, fmt)
    except (TopologyError, OSError, ValueError) as exc:
        return _fail(exc)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            return _fail(TopologyError(f"cannot write file: {exc.strerror or exc}",
                                       file=args.output))
        print(f"wrote {args.output} ({fmt}: {len(fabric.nodes)} nodes, {len(fabric.links)} "
              "cables)", file=sys.stderr)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from ibviz.topology import builtin, generators

    print("Built-in fabrics:")
    for name in builtin.builtin_names():
        print(f"  {name:<10} {builtin.builtin_description(name)}")
    print("\nGenerators (use as FILE, e.g. 'ibviz topo info leaf-spine:hcas=1000'):")
    for name, text in generators.GENERATOR_HELP.items():
        print(f"  {name:<10} {text}")
    return 0
