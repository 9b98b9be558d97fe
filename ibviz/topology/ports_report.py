"""Reader for ``ibnetdiscover -p`` (ports report) output.

One line per port, written by rdma-core's ``dump_ports_report``::

    CA   134  1 0x7cfe9003003b4bde 4x EDR - SW  1719 10 0x7cfe9003009ce5b0 ( 'o0001 HCA-1' - 'ib-i1l1s01' )
    SW  2052 37 0x506b4b03005c2740 4x ???                                    'ib-i4l1s01'

The local part is type (``CA``/``SW``/``RT``), LID (a switch's port-0 LID, a CA's
port LID), port number, GUID (a CA's *port* GUID, a switch's port-0 GUID), width and
speed; a cabled port adds the peer's type, LID, port and GUID and both descriptions in
single quotes (kept verbatim, with leading and trailing spaces). Both ends of a cable
are listed. An unconnected port has only its description, quoted (or, from an older
infiniband-diags, unquoted).

The format has no CA node GUIDs. The ports of one multi-port CA are grouped into one
node when they share a NodeDescription and their port GUIDs minus their port numbers
share one base (how such HCAs number their ports: port N = node GUID + N); the base is
taken as the node GUID, with a warning that it was inferred. Every other CA (and router)
port GUID becomes a node of its own; one warning per file says so. Ports never listed
stay DOWN.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ibviz.core.fabric import Fabric
from ibviz.core.model import Link, Node, NodeKind, PortRef
from ibviz.core.phy import LinkSpeed, LinkWidth, link_rate_gbps
from ibviz.topology._text import start_reading
from ibviz.topology.errors import TopologyError, TopologyWarning
from ibviz.topology.ibnetdiscover import set_cabled_states

_LOCAL_RE = re.compile(
    r"^\s*(CA|SW|RT|\?\?)\s+(\d+)\s+(\d+)\s+0x([0-9A-Fa-f]{1,16})\s+(\S+)\s+(\S+)(.*)$")
_REMOTE_RE = re.compile(
    r"^\s+-\s+(CA|SW|RT|\?\?)\s+(\d+)\s+(\d+)\s+0x([0-9A-Fa-f]{1,16})\s+\(\s*'(.*)'\s*\)\s*$")
_QUOTED_RE = re.compile(r"^\s+'(.*)'\s*$")
_KINDS = {"CA": NodeKind.CA, "SW": NodeKind.SWITCH, "RT": NodeKind.ROUTER}
_LOCAL_EXPECTED = "TYPE LID PORT 0xGUID WIDTH SPEED, e.g. 'CA 134 1 0x7cfe9003003b4bde 4x EDR'"


@dataclass(slots=True)
class _End:
    """One port as a line describes it."""

    kind: NodeKind
    lid: int
    port: int
    guid: int
    desc: str | None
    line: int


@dataclass(slots=True)
class _Line:
    local: _End
    remote: _End | None
    width: LinkWidth | None
    speed: LinkSpeed | None


def _kind(text: str, file: str, idx: int, column: int) -> NodeKind:
    if text not in _KINDS:
        raise TopologyError(f"node type {text!r} is unknown", file=file, line=idx,
                            column=column, expected="CA, SW or RT")
    return _KINDS[text]


def _width_speed(m: re.Match[str], file: str, idx: int
                 ) -> tuple[LinkWidth | None, LinkSpeed | None]:
    w, s = m.group(5), m.group(6)
    width = speed = None
    if "?" not in w:
        try:
            width = LinkWidth.parse(w)
        except ValueError:
            raise TopologyError(f"bad link width {w!r}", file=file, line=idx,
                                column=m.start(5) + 1,
                                expected="1x, 2x, 4x, 8x, 12x or ??") from None
    if "?" not in s:
        try:
            speed = LinkSpeed.parse(s)
        except ValueError:
            raise TopologyError(f"bad link speed {s!r}", file=file, line=idx,
                                column=m.start(6) + 1,
                                expected="SDR, DDR, QDR, FDR10, FDR, EDR, HDR, NDR, XDR "
                                         "or ???") from None
    return width, speed


def _parse_line(raw: str, file: str, idx: int, warn: list[TopologyWarning]) -> _Line:
    m = _LOCAL_RE.match(raw)
    if not m:
        raise TopologyError(f"unrecognised line {raw.strip()[:60]!r}", file=file, line=idx,
                            column=1, expected=_LOCAL_EXPECTED)
    typ, lid, port, guid, w, s, rest = m.groups()
    local = _End(_kind(typ, file, idx, m.start(1) + 1), int(lid), int(port), int(guid, 16),
                 None, idx)
    width, speed = _width_speed(m, file, idx)
    if local.lid > 0xFFFF:
        raise TopologyError(f"LID {lid[:20]} does not fit 16 bits", file=file, line=idx,
                            column=m.start(2) + 1, expected="a LID 0-65535")
    if not 1 <= local.port <= 255:
        raise TopologyError(f"port {local.port} out of range", file=file, line=idx,
                            column=m.start(3) + 1, expected="a port number 1-255")
    if not local.guid:
        raise TopologyError("GUID 0 is invalid", file=file, line=idx, column=m.start(4) - 1,
                            expected="a non-zero GUID")
    remote = None
    col = m.start(7) + 1
    if rest.lstrip().startswith("-"):
        r = _REMOTE_RE.match(rest)
        if not r:
            raise TopologyError("malformed peer part", file=file, line=idx, column=col,
                                expected="\" - TYPE LID PORT 0xGUID ( 'local desc' - "
                                         "'peer desc' )\"")
        rtyp, rlid, rport, rguid, descs = r.groups()
        parts = descs.split("' - '")
        if len(parts) != 2:
            if len(parts) < 2:
                raise TopologyError("peer part without two quoted descriptions", file=file,
                                    line=idx, column=col + r.start(5),
                                    expected="( 'local desc' - 'peer desc' )")
            warn.append(TopologyWarning(
                "the descriptions contain \"' - '\"; split at the first one", file, idx,
                "ambiguous-description"))
            parts = [parts[0], "' - '".join(parts[1:])]
        local.desc = parts[0]
        remote = _End(_kind(rtyp, file, idx, col + r.start(1)), int(rlid), int(rport),
                      int(rguid, 16), parts[1], idx)
        if not 1 <= remote.port <= 255 or not remote.guid or remote.lid > 0xFFFF:
            raise TopologyError("bad peer port or GUID", file=file, line=idx,
                                column=col + r.start(3),
                                expected="a LID 0-65535, a port 1-255, a non-zero GUID")
    else:
        q = _QUOTED_RE.match(rest)
        if q:
            local.desc = q.group(1)
        elif rest.strip():
            local.desc = rest.strip()
            warn.append(TopologyWarning(
                f"unquoted description {local.desc!r} (older infiniband-diags); leading "
                "spaces cannot be told from the padding and were dropped", file, idx,
                "unquoted-description"))
        else:
            local.desc = ""
    return _Line(local, remote, width, speed)


def _node_guid(end: _End, node_of: dict[int, int]) -> int:
    """Switches: the port-0 GUID is the node GUID; CAs: the grouped node or the port GUID."""
    return node_of.get(end.guid, end.guid) if end.kind is NodeKind.CA else end.guid


def _group_ca_ports(fabric: Fabric, parsed: list[_Line], file: str) -> dict[int, int]:
    """CA port GUID -> inferred node GUID, for the ports of one multi-port CA: the same
    NodeDescription and the same base (port GUID - port number) on two or more ports."""
    first: dict[int, tuple[str, int, int]] = {}  # port GUID -> (desc, port, line)
    for pl in parsed:
        for end in (pl.local, pl.remote):
            if end is not None and end.kind is NodeKind.CA and end.desc:
                first.setdefault(end.guid, (end.desc, end.port, end.line))
    groups: dict[tuple[str, int], dict[int, int]] = defaultdict(dict)
    for guid, (desc, port, _) in first.items():
        if guid > port:
            groups[(desc, guid - port)].setdefault(port, guid)
    found: dict[int, int] = {}
    for (desc, base), ports in groups.items():
        if len(ports) < 2 or base in first or any(
                first[g][1] != p for p, g in ports.items()):
            continue
        for guid in ports.values():
            found[guid] = base
        line = min(first[g][2] for g in ports.values())
        fabric.warnings.append(TopologyWarning(
            f"ports {', '.join(str(p) for p in sorted(ports))} of {desc!r} grouped into one "
            f"CA with node GUID {base:#018x}, inferred from their shared description and "
            "port GUIDs (port GUID - port number); ibnetdiscover -p does not print node "
            "GUIDs", file, line, "inferred-node-guid"))
    return found


def _build_nodes(fabric: Fabric, parsed: list[_Line], file: str,
                 node_of: dict[int, int]) -> None:
    ends = [(pl.local, True) for pl in parsed]
    ends += [(pl.remote, False) for pl in parsed if pl.remote is not None]
    info: dict[int, dict] = {}
    for end, is_local in ends:
        rec = info.setdefault(_node_guid(end, node_of), {"kind": end.kind, "ports": set(), "descs": [],
                                                "lids": {}, "declared": False, "line": end.line,
                                                "guids": {}})
        if rec["kind"] is not end.kind:
            raise TopologyError(
                f"GUID {end.guid:#018x} is a {rec['kind'].value} at line {rec['line']} but a "
                f"{end.kind.value} here", file=file, line=end.line,
                expected="one node type per GUID")
        rec["ports"].add(end.port)
        rec["guids"].setdefault(end.port, end.guid)
        rec["declared"] |= is_local
        if end.desc is not None:
            rec["descs"].append((not is_local, end.desc))
        lid_port = 0 if end.kind is NodeKind.SWITCH else end.port
        old = rec["lids"].setdefault(lid_port, (end.lid, end.line))
        if old[0] != end.lid:
            fabric.warnings.append(TopologyWarning(
                f"GUID {end.guid:#018x} port {lid_port} is reported with LID {old[0]} (line "
                f"{old[1]}) and LID {end.lid}; kept {old[0]}", file, end.line, "lid-mismatch"))
    for guid, rec in info.items():
        kind: NodeKind = rec["kind"]
        descs = [d for _, d in sorted(rec["descs"], key=lambda t: t[0])]
        desc = descs[0] if descs else ""
        if len(set(descs)) > 1:
            fabric.warnings.append(TopologyWarning(
                f"GUID {guid:#018x} has differing descriptions {sorted(set(descs))!r}; kept "
                f"{desc!r}", file, rec["line"], "description-mismatch"))
        node = Node(guid, kind, max(rec["ports"]), desc, declared=rec["declared"])
        for num, (lid, _) in rec["lids"].items():
            node.ports[num].lid = lid
        if kind is not NodeKind.SWITCH:
            for num in rec["ports"]:
                node.ports[num].guid = rec["guids"][num]
        fabric.add_node(node)
        if not rec["declared"]:
            fabric.warnings.append(TopologyWarning(
                f"{kind.short} {guid:#018x} ({desc or 'no description'}) appears only as a "
                "link peer, never with lines of its own", file, rec["line"], "undeclared-node"))


def _connect(fabric: Fabric, parsed: list[_Line], file: str, node_of: dict[int, int]) -> None:
    halves: dict[tuple[PortRef, PortRef], list[_Line]] = {}
    for pl in parsed:
        if pl.remote is not None:
            a = PortRef(_node_guid(pl.local, node_of), pl.local.port)
            b = PortRef(_node_guid(pl.remote, node_of), pl.remote.port)
            if a == b:
                raise TopologyError(f"port {a.port} is cabled to itself", file=file,
                                    line=pl.local.line, expected="a different peer port")
            halves.setdefault(Link(a, b).key, []).append(pl)
    for (a, b), lines in halves.items():
        first = lines[0]
        busy = next((r for r in (a, b) if fabric.peer(r) is not None), None)
        if busy is not None:
            fabric.warnings.append(TopologyWarning(
                f"{busy} is listed as cabled to both {fabric.peer(busy)} and "
                f"{b if busy == a else a}; kept the first", file, first.local.line,
                "conflicting-cable"))
            continue
        width, speed = first.width, first.speed
        for other in lines[1:]:
            if (other.width, other.speed) != (width, speed):
                fabric.warnings.append(TopologyWarning(
                    f"the two ends of {a} <-> {b} disagree on width/speed; kept the slower",
                    file, other.local.line, "link-mismatch"))
                if width is None or speed is None or (
                        other.width and other.speed
                        and link_rate_gbps(other.width, other.speed)
                        < link_rate_gbps(width, speed)):
                    width, speed = other.width, other.speed
        if width is None or speed is None:
            fabric.warnings.append(TopologyWarning(
                f"cable {a} <-> {b} has an unknown width or speed ('??'/'???')", file,
                first.local.line, "unknown-speed"))
        fabric.connect(a, b, width, speed)
        far = first.remote
        if (len(lines) == 1 and far is not None and a.node != b.node
                and fabric.nodes[_node_guid(far, node_of)].declared):
            fabric.warnings.append(TopologyWarning(
                f"cable {a} <-> {b} is listed only from one end", file, first.local.line,
                "one-sided-cable"))


def parse_ports_report(path: str | Path, lines: list[str] | None = None) -> Fabric:
    """Read ``ibnetdiscover -p`` output into a :class:`Fabric`.

    Raises
    ------
    TopologyError
        On a line that is not a ports-report line (names file, line, column, expected).
    """
    fabric, lines, file = start_reading(path, "ibnetdiscover-ports", lines)
    parsed = [_parse_line(raw, file, idx, fabric.warnings)
              for idx, raw in enumerate(lines, 1) if raw.strip()]
    if not parsed:
        raise TopologyError("no port lines found", file=file, line=len(lines) or None,
                            expected=_LOCAL_EXPECTED)
    if any(e is not None and e.kind is not NodeKind.SWITCH
           for pl in parsed for e in (pl.local, pl.remote)):
        fabric.warnings.append(TopologyWarning(
            "ibnetdiscover -p prints port GUIDs, not CA/router node GUIDs: each CA and router "
            "port GUID is used as the GUID of a node of its own, unless the ports of one CA "
            "can be grouped (same description, port GUID - port number equal)", file, None,
            "port-guid-as-node-guid"))
    node_of = _group_ca_ports(fabric, parsed, file)
    _build_nodes(fabric, parsed, file, node_of)
    _connect(fabric, parsed, file, node_of)
    set_cabled_states(fabric)
    return fabric


__all__ = ["parse_ports_report"]
