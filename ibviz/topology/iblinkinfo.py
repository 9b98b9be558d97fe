"""Reader for ``iblinkinfo`` output (the default, sectioned layout).

Each node has a header and one line per port::

    Switch: 0x506b4b0300820910 MF0;SB7700:MSB7700/U1:
               2   17[  ] ==( 4X      25.78125 Gbps Active/  LinkUp)==>       4    1[  ] "n02 HCA-1" ( )
               2    1[  ] ==(                Down/ Polling)==>             [  ] "" ( )
    CA: n02 HCA-1:
          0xec0d9a03003d62be      4    1[  ] ==( 4X      25.78125 Gbps Active/  LinkUp)==>  ...

Switch lines carry the switch LID and port; CA and router lines start with the *port*
GUID. Peers are named only by LID, port and description, so they are resolved after
the whole file is read: by LID (switch LID or CA port LID), then by a unique
description. A CA or router node is keyed by the GUID of its first listed port (the
node GUID is not printed; one warning says so). A peer that never gets a section of
its own (a truncated excerpt) becomes a node with a synthetic GUID, with a warning.
Copies pasted from Markdown (``> `` quoting, code fences) are accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ibviz.core.fabric import Fabric
from ibviz.core.model import Link, Node, NodeKind, Port, PortRef, PortState
from ibviz.core.phy import LinkSpeed, LinkWidth
from ibviz.topology._text import start_reading, strip_markdown_quote
from ibviz.topology.errors import TopologyError, TopologyWarning

_SWITCH_RE = re.compile(r"^\s*Switch:\s+0x([0-9A-Fa-f]{1,16})\s(.*):\s*$")
_NODE_RE = re.compile(r"^\s*(CA|Router):\s(.*):\s*$")
_PORT_RE = re.compile(
    r"^\s*(?:0x(?P<guid>[0-9A-Fa-f]{1,16})\s+)?(?P<lid>\d+)\s+(?P<port>\d+)\[\s*(?P<ext>\d*)\s*\]"
    r"\s+==\((?P<link>[^()]*(?:\((?:FDR10|\d+)\)[^()]*)*)\)(?:\s*\(HOQ:\d+ VL_Stall:\d+\))?==>"
    r"\s*(?P<rest>.*)$")
_REMOTE_RE = re.compile(r'^(\d+)\s+(\d+)\[\s*(\d*)\s*\]\s+"(.*)"\s+\((.*)\)\s*$')
_NO_REMOTE_RE = re.compile(r'^(?:\[\s*\]\s+""\s+\(\s*\)|"Port not available")\s*$')
_LINE_MODE_RE = re.compile(r'^\s*0x[0-9A-Fa-f]{1,16}\s+"')
_SPEEDS = {"2.5": LinkSpeed.SDR, "5.0": LinkSpeed.DDR, "10.0": LinkSpeed.QDR,
           "10.0 Gbps (FDR10)": LinkSpeed.FDR10, "14.0625": LinkSpeed.FDR,
           "25.78125": LinkSpeed.EDR, "53.125": LinkSpeed.HDR, "106.25": LinkSpeed.NDR,
           "212.5": LinkSpeed.XDR}
_STATES = {"Down": PortState.DOWN, "Initialize": PortState.INIT, "Init": PortState.INIT,
           "Armed": PortState.ARMED, "Active": PortState.ACTIVE}
_SYNTHETIC_BASE = 0xFFFF_FF00_0000_0000
_PORT_EXPECTED = ("a port line 'LID PORT[ext] ==( 4X 25.78125 Gbps Active/  LinkUp)==>  "
                  "LID PORT[ext] \"peer\" ( )' (CA lines start with the port GUID)")


@dataclass(slots=True)
class _PortLine:
    idx: int
    guid: int | None
    lid: int
    port: int
    ext: str  # external (front-panel) port number of a chassis, or ""
    width: LinkWidth | None
    speed: LinkSpeed | None
    state: PortState
    remote: tuple[int, int, str] | None  # (LID, port, description)


@dataclass(slots=True)
class _Section:
    idx: int
    kind: NodeKind
    guid: int | None
    name: str
    ports: list[_PortLine] = field(default_factory=list)


class _Reader:
    def __init__(self, fabric: Fabric, file: str) -> None:
        self.fabric, self.file = fabric, file
        self.sections: list[_Section] = []
        self.preamble: list[int] = []

    def error(self, msg: str, idx: int, col: int | None, expected: str) -> TopologyError:
        return TopologyError(msg, file=self.file, line=idx, column=col, expected=expected)

    def warn(self, msg: str, idx: int | None, kind: str) -> None:
        self.fabric.warnings.append(TopologyWarning(msg, self.file, idx, kind))

    def read(self, lines: list[str]) -> None:
        for idx, raw in enumerate(lines, 1):
            text = raw.strip()
            if not text or text.startswith("```"):
                continue
            if text in ("...", "\u2026", "[...]"):  # an author's elision in a Markdown copy
                self.warn("an elision mark: lines were left out", idx, "elided-lines")
                continue
            if m := _SWITCH_RE.match(raw):
                self.sections.append(_Section(idx, NodeKind.SWITCH, int(m[1], 16), m[2]))
            elif m := _NODE_RE.match(raw):
                kind = NodeKind.CA if m[1] == "CA" else NodeKind.ROUTER
                self.sections.append(_Section(idx, kind, None, m[2]))
            elif not self.sections:
                if _LINE_MODE_RE.match(raw):
                    raise self.error("iblinkinfo -l (line mode) output is not supported", idx,
                                     1, "the default iblinkinfo output with node headers")
                self.preamble.append(idx)
            else:
                self.sections[-1].ports.append(self.port_line(raw, idx, self.sections[-1]))
        if self.preamble:
            self.warn(f"ignored {len(self.preamble)} line(s) before the first node header",
                      self.preamble[0], "preamble")

    def port_line(self, raw: str, idx: int, sec: _Section) -> _PortLine:
        m = _PORT_RE.match(raw)
        if not m:
            raise self.error(f"unrecognised line {raw.strip()[:60]!r}", idx, 1,
                             f"a node header ('Switch: 0xGUID name:', 'CA: name:') or "
                             f"{_PORT_EXPECTED}")
        if (m["guid"] is None) != (sec.kind is NodeKind.SWITCH):
            want = "no GUID on switch port lines" if sec.kind is NodeKind.SWITCH else \
                "the port GUID (0x...) at the start of a CA/router port line"
            raise self.error("port line does not fit its section", idx, 1, want)
        if int(m["lid"]) > 0xFFFF:
            raise self.error(f"LID {m['lid'][:20]} does not fit 16 bits", idx,
                             m.start("lid") + 1, "a LID 0-65535")
        if not 1 <= int(m["port"]) <= 255:
            raise self.error(f"port {m['port']} out of range", idx, m.start("port") + 1,
                             "a port number 1-255")
        width, speed, state = self.link(m["link"], idx, m.start("link") + 1)
        rest, remote = m["rest"], None
        if r := _REMOTE_RE.match(rest):
            remote = (int(r[1]), int(r[2]), r[4])
            if remote[0] > 0xFFFF:
                raise self.error(f"peer LID {r[1][:20]} does not fit 16 bits", idx,
                                 m.start("rest") + r.start(1) + 1, "a LID 0-65535")
            if not 1 <= remote[1] <= 255:
                raise self.error(f"peer port {remote[1]} out of range", idx,
                                 m.start("rest") + r.start(2) + 1, "a port number 1-255")
            if r[5].strip():
                self.warn(f"iblinkinfo notes '{r[5].strip()}' for port {m['port']}", idx,
                          "link-below-capability")
        elif not _NO_REMOTE_RE.match(rest):
            raise self.error("malformed peer part", idx, m.start("rest") + 1,
                             "'LID PORT[ext] \"description\" ( )' or '[  ] \"\" ( )'")
        return _PortLine(idx, int(m["guid"], 16) if m["guid"] else None, int(m["lid"]),
                         int(m["port"]), m["ext"], width, speed, state, remote)

    def link(self, text: str, idx: int, col: int
             ) -> tuple[LinkWidth | None, LinkSpeed | None, PortState]:
        left, slash, _phys = text.rpartition("/")
        words = left.split()
        if not slash or not words or words[-1] not in _STATES:
            raise self.error(f"bad link state {text.strip()!r}", idx, col,
                             "'WIDTH SPEED STATE/PHYSSTATE', e.g. '4X 53.125 Gbps Active/LinkUp'")
        state = _STATES[words[-1]]
        if len(words) == 1:
            return None, None, state
        width = None
        if re.fullmatch(r"\d{1,3}X", words[0]):
            try:
                width = LinkWidth.parse(words[0])
            except ValueError:  # 0X, 3X, ...: not an IB width; reported below
                width = None
        speed_text = " ".join(words[1:-1])
        key = speed_text if "FDR10" in speed_text else speed_text.removesuffix(" Gbps")
        speed = _SPEEDS.get(key)
        if width is None or speed is None:
            if "undefined" not in left:
                raise self.error(f"unknown width/speed {' '.join(words[:-1])!r}", idx, col,
                                 "1X-12X and 2.5, 5.0, 10.0, 14.0625, 25.78125, 53.125, "
                                 "106.25 or 212.5 Gbps")
            self.warn(f"link width/speed printed as {left.strip()!r}; kept as unknown", idx,
                      "unknown-speed")
        return width, speed, state

    # ------------------------------------------------------------------ model
    def build(self) -> None:
        by_lid: dict[int, list[tuple[int, int | None]]] = {}  # LID -> (guid, CA port or None)
        by_name: dict[str, list[int]] = {}
        listed: set[PortRef] = set()
        ca_keyed = False
        for sec in self.sections:
            if not sec.ports:
                self.warn(f"{sec.kind.value} section {sec.name!r} lists no ports; it cannot "
                          "be placed and is left out", sec.idx, "empty-section")
                continue
            guid = sec.guid = sec.guid or min(sec.ports, key=lambda p: p.port).guid
            if not guid:
                raise self.error("node GUID 0 is invalid", sec.idx, None, "a non-zero GUID")
            ca_keyed |= sec.kind is not NodeKind.SWITCH
            if guid in self.fabric.nodes:
                raise self.error(f"GUID {guid:#018x} has a second section", sec.idx, 1,
                                 "one section per node")
            node = Node(guid, sec.kind, max(p.port for p in sec.ports), sec.name)
            self.fabric.add_node(node)
            by_name.setdefault(sec.name, []).append(guid)
            for pl in sec.ports:
                port = node.ensure_port(pl.port)
                port.state, port.label = pl.state, pl.ext or None
                listed.add(PortRef(guid, pl.port))
                lid_port = node.ports[0] if node.is_switch else port
                if not node.is_switch:
                    port.guid = pl.guid or 0
                if lid_port.lid and lid_port.lid != pl.lid:
                    self.warn(f"{sec.name} port {lid_port.num} is listed with LID "
                              f"{lid_port.lid} and {pl.lid}; kept the first", pl.idx,
                              "lid-mismatch")
                elif pl.lid and not lid_port.lid:
                    lid_port.lid = pl.lid
                    by_lid.setdefault(pl.lid, []).append(
                        (guid, None if node.is_switch else pl.port))
        if ca_keyed:
            self.warn("iblinkinfo prints port GUIDs, not CA/router node GUIDs: each CA and "
                      "router is keyed by the GUID of its first listed port", None,
                      "port-guid-as-node-guid")
        self.connect(by_lid, by_name, listed)

    def resolve(self, lid: int, port: int, name: str, by_lid: dict, by_name: dict
                ) -> int | None:
        cands = [g for g, p in by_lid.get(lid, []) if p is None or p == port] if lid else []
        if len(cands) > 1:
            cands = [g for g in cands if self.fabric.nodes[g].description == name]
        if not cands:
            cands = by_name.get(name, [])
        return cands[0] if len(cands) == 1 else None

    def synthetic(self, lid: int, rport: int, name: str, local: Node, idx: int,
                  made: dict) -> int:
        key = (lid, name) if lid else (0, name, idx)
        if key in made:
            return made[key]
        guid = _SYNTHETIC_BASE | (lid << 16) | sum(1 for k in made if k[0] == lid)
        kind = NodeKind.CA if local.is_switch else NodeKind.SWITCH
        self.fabric.add_node(Node(guid, kind, rport, name, name=name, declared=False))
        made[key] = guid
        self.warn(f"peer {name!r} (LID {lid}) has no section of its own; created as a "
                  f"{'CA' if local.is_switch else 'switch'} (a guess) with the synthetic GUID "
                  f"{guid:#018x}", idx, "synthetic-guid")
        return guid

    def connect(self, by_lid: dict, by_name: dict, listed: set[PortRef]) -> None:
        fabric = self.fabric
        made: dict[tuple, int] = {}
        seen: dict[tuple[PortRef, PortRef], int] = {}
        for sec in self.sections:
            for pl in sec.ports:
                if pl.remote is None or sec.guid is None:
                    continue
                local = fabric.nodes[sec.guid]
                rlid, rport, rname = pl.remote
                guid = self.resolve(rlid, rport, rname, by_lid, by_name)
                if guid is None:
                    guid = self.synthetic(rlid, rport, rname, local, pl.idx, made)
                a, b = PortRef(local.guid, pl.port), PortRef(guid, rport)
                key = Link(a, b).key
                if key in seen:
                    seen[key] += 1
                    link = fabric.links[key]
                    if (link.width, link.speed) != (pl.width, pl.speed):
                        self.warn(f"the two ends of {a} <-> {b} disagree on width/speed; "
                                  "kept the first", pl.idx, "link-mismatch")
                    continue
                peer = fabric.nodes[guid]
                far = peer.ensure_port(b.port)
                busy = next((r for r in (a, b) if fabric.peer(r) is not None), None)
                if busy is not None or a == b:
                    self.warn(f"{a} is listed as cabled to {b}, which contradicts another "
                              "line; kept the first", pl.idx, "conflicting-cable")
                    continue
                fabric.connect(a, b, pl.width, pl.speed)
                seen[key] = 1
                lid_port = peer.ports[0] if peer.is_switch else far
                lid_port.lid = lid_port.lid or rlid
                if b not in listed:
                    far.state = pl.state
                    if peer.declared:
                        self.warn(f"{sec.name} port {pl.port} is cabled to {peer.label} port "
                                  f"{b.port}, which that node's section never lists "
                                  "(truncated?); kept the link", pl.idx, "truncated-section")
        for node in fabric.nodes.values():
            if node.is_switch:  # a truncated section: ports it never reached stay DOWN
                node.ports = {n: node.ports.get(n) or Port(n) for n in range(node.num_ports + 1)}
        for key, count in seen.items():
            a, b = key
            if count == 1 and a in listed and b in listed and a.node != b.node:
                self.warn(f"cable {a} <-> {b} is listed from one end only", None,
                          "one-sided-cable")


def parse_iblinkinfo(path: str | Path, lines: list[str] | None = None) -> Fabric:
    """Read ``iblinkinfo`` output into a :class:`Fabric`.

    Raises
    ------
    TopologyError
        On malformed lines (names file, line, column and what was expected).
    """
    fabric, lines, file = start_reading(path, "iblinkinfo", lines)
    reader = _Reader(fabric, file)
    reader.read(strip_markdown_quote(lines))
    if not reader.sections:
        raise TopologyError("no node sections found", file=file, line=len(lines) or None,
                            expected="'Switch: 0xGUID name:' or 'CA: name:' headers")
    reader.build()
    return fabric


__all__ = ["parse_iblinkinfo"]
