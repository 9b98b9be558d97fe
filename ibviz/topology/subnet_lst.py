"""Reader for OpenSM ``opensm-subnet.lst`` and ibdiagnet ``.lst`` link lists.

One cable per line, its two ends in braces and the link attributes after them::

    { CA Ports:01 SystemGUID:5c25... NodeGUID:5c25... PortGUID:5c25... VenID:000002c9
      DevID:1021 Rev:00000000 {is-north-7-compute-12 mlx5_0} LID:00b5 PN:01 }
    { SW Ports:41 ... {Quantum-2 Mellanox Technologies} LID:00b6 PN:0c } PHY=4x LOG=ACT SPD=100

(on one line). ``Ports:``, ``LID:`` and ``PN:`` are hexadecimal; hex digits come in
either case. The type is ``SW``, ``CA``, ``Rt`` or ``**`` (unknown), with ``-SM`` on
the port of the master SM. ``DevID`` may be printed 32 bits wide with the 16-bit value
in the high half (``A87C0000`` is 0xA87C). OpenSM lists every cable from both ends,
ibdiagnet once; 2005-era OpenSM writes no ``SPD=``. Comment (``#``) and blank lines
are skipped. ``LOG=`` sets the state of both ports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ibviz.core.fabric import Fabric
from ibviz.core.model import Link, Node, NodeKind, PortRef, PortState
from ibviz.core.phy import LinkSpeed, LinkWidth
from ibviz.topology._text import start_reading
from ibviz.topology.errors import TopologyError, TopologyWarning

_H = r"[0-9A-Fa-f]+"
_END_RE = re.compile(
    rf"\{{\s*(?P<type>SW|CA|Rt|RT|\*\*)(?P<sm>-SM)?\s+Ports:(?P<ports>{_H})\s+"
    rf"SystemGUID:(?P<sys>{_H})\s+NodeGUID:(?P<node>{_H})\s+PortGUID:(?P<port>{_H})\s+"
    rf"VenID:(?P<ven>{_H})\s+DevID:(?P<dev>{_H})\s+Rev:(?P<rev>{_H})\s+"
    rf"\{{(?P<desc>.*?)\}}\s+LID:(?P<lid>{_H})\s+PN:(?P<pn>{_H})\s*\}}\s*")
_TAIL_RE = re.compile(r"PHY=(?P<phy>\S+)\s+LOG=(?P<log>\S+)(?:\s+SPD=(?P<spd>\S+))?\s*$")
_END_EXPECTED = ("'{ TYPE Ports:XX SystemGUID:... NodeGUID:... PortGUID:... VenID:... "
                 "DevID:... Rev:... {description} LID:XXXX PN:XX }'")
_KINDS = {"SW": NodeKind.SWITCH, "CA": NodeKind.CA, "Rt": NodeKind.ROUTER,
          "RT": NodeKind.ROUTER}
_STATES = {"ACT": PortState.ACTIVE, "ARM": PortState.ARMED, "INI": PortState.INIT,
           "DWN": PortState.DOWN}


@dataclass(slots=True)
class _End:
    kind: NodeKind | None
    sm: bool
    num_ports: int
    system_guid: int
    node_guid: int
    port_guid: int
    vendor_id: int
    device_id: int
    revision: int
    desc: str
    lid: int
    port: int


def _device_id(value: int) -> int:
    """DevID printed 32 bits wide with the 16-bit value in the high half (C7380000)."""
    if value > 0xFFFF and value & 0xFFFF == 0:
        return value >> 16
    return value & 0xFFFF


def _end(m: re.Match[str]) -> _End:
    g = m.group
    return _End(_KINDS.get(g("type")), g("sm") is not None, int(g("ports"), 16),
                int(g("sys"), 16), int(g("node"), 16), int(g("port"), 16), int(g("ven"), 16),
                int(g("dev"), 16), int(g("rev"), 16), g("desc"),
                int(g("lid"), 16), int(g("pn"), 16))


class _Reader:
    def __init__(self, fabric: Fabric, file: str) -> None:
        self.fabric = fabric
        self.file = file
        self.kinds: dict[int, NodeKind] = {}
        self.rows: list[tuple[int, _End, _End, LinkWidth | None, LinkSpeed | None,
                              PortState]] = []
        self.no_spd: list[int] = []
        self.unknown_spd: list[int] = []
        self.desc_warned: set[int] = set()

    def error(self, msg: str, idx: int, col: int, expected: str) -> TopologyError:
        return TopologyError(msg, file=self.file, line=idx, column=col, expected=expected)

    def warn(self, msg: str, idx: int | None, kind: str) -> None:
        self.fabric.warnings.append(TopologyWarning(msg, self.file, idx, kind))

    def line(self, raw: str, idx: int) -> None:
        pos = len(raw) - len(raw.lstrip())
        ends = []
        for which in ("first", "second"):
            m = _END_RE.match(raw, pos)
            if not m:
                raise self.error(f"malformed {which} end of the link", idx, pos + 1,
                                 _END_EXPECTED)
            end = _end(m)
            for value, hi, what, group in ((end.num_ports, 255, "Ports", "ports"),
                                           (end.port, 255, "PN", "pn"),
                                           (end.lid, 0xFFFF, "LID", "lid")):
                if value > hi:
                    raise self.error(f"{what}:{m.group(group)[:20]} out of range", idx,
                                     m.start(group) + 1, f"{what} 0-{hi:#x}")
            ends.append(end)
            pos = m.end()
        t = _TAIL_RE.match(raw, pos)
        if not t:
            raise self.error("malformed link attributes", idx, pos + 1,
                             "'PHY=4x LOG=ACT' and optionally ' SPD=25'")
        phy, log, spd = t.group("phy", "log", "spd")
        width = None
        if "?" not in phy:
            try:
                width = LinkWidth.parse(phy)
            except ValueError:
                raise self.error(f"bad PHY value {phy!r}", idx, t.start("phy") + 1,
                                 "1x, 2x, 4x, 8x, 12x or ??") from None
        else:
            self.warn(f"link width PHY={phy} is unknown; kept as unknown", idx,
                      "unknown-width")
        if log.upper() not in _STATES:
            raise self.error(f"bad LOG value {log!r}", idx, t.start("log") + 1,
                             "ACT, ARM, INI or DWN")
        speed = None
        if spd is None:
            self.no_spd.append(idx)
        elif "?" in spd:
            self.unknown_spd.append(idx)
        else:
            try:
                speed = LinkSpeed.from_lst_spd(spd)
            except ValueError:
                raise self.error(f"bad SPD value {spd!r}", idx, t.start("spd") + 1,
                                 "2.5, 5, 10, 14, 25, 50, 100, 200, FDR10 or ??") from None
        for e in ends:
            self._note_kind(e, idx)
        self.rows.append((idx, ends[0], ends[1], width, speed, _STATES[log.upper()]))

    def _note_kind(self, e: _End, idx: int) -> None:
        if e.kind is None:
            return
        old = self.kinds.setdefault(e.node_guid, e.kind)
        if old is not e.kind:
            raise self.error(f"node {e.node_guid:#018x} is a {old.value} on an earlier line "
                             f"but a {e.kind.value} here", idx, 1, "one node type per GUID")

    def _kind_of(self, e: _End, idx: int) -> NodeKind:
        kind = self.kinds.get(e.node_guid)
        if kind is None:
            # '**': a switch shares one port GUID over all its ports; a CA has one per port
            ports = {r.port for _, a, b, *_ in self.rows for r in (a, b)
                     if r.node_guid == e.node_guid}
            kind = NodeKind.SWITCH if e.node_guid == e.port_guid and (
                len(ports) > 1 or e.num_ports > 2) else NodeKind.CA
            self.kinds[e.node_guid] = kind
            self.warn(f"node {e.node_guid:#018x} ({e.desc}) has node type '**' (unknown) on "
                      f"every line; taken to be a {kind.value}", idx, "unknown-node-type")
        return kind

    def _node(self, e: _End, idx: int) -> Node:
        if e.port == 0 or not e.node_guid:
            raise self.error("port 0 or node GUID 0", idx, 1, "PN:01 or higher, a non-zero GUID")
        node = self.fabric.nodes.get(e.node_guid)
        if node is None:
            node = Node(e.node_guid, self._kind_of(e, idx), e.num_ports, e.desc)
            node.system_guid = e.system_guid
            self.fabric.add_node(node)
        if e.device_id > 0xFFFF and e.device_id & 0xFFFF:
            self.warn(f"DevID {e.device_id:08X} does not fit in 16 bits; kept the low half",
                      idx, "device-id")
        e.device_id = _device_id(e.device_id)
        for attr in ("vendor_id", "device_id", "revision", "system_guid"):
            if not getattr(node, attr):
                setattr(node, attr, getattr(e, attr))
        if e.desc != node.description and node.guid not in self.desc_warned:
            self.desc_warned.add(node.guid)
            self.warn(f"node {e.node_guid:#018x} is described as {node.description!r} and "
                      f"{e.desc!r}; kept the first", idx, "description-mismatch")
        if e.port > node.num_ports:
            self.warn(f"node {e.node_guid:#018x} has {node.num_ports} ports (Ports:) but a link "
                      f"on port {e.port}", idx, "port-count")
        port = node.ensure_port(e.port)
        lid_port = node.ports[0] if node.is_switch else port
        if not node.is_switch:
            port.guid = e.port_guid
        if lid_port.lid and lid_port.lid != e.lid:
            self.warn(f"node {e.node_guid:#018x} port {lid_port.num} has LID {lid_port.lid:#x} "
                      f"and {e.lid:#x}; kept the first", idx, "lid-mismatch")
        elif not lid_port.lid:
            lid_port.lid = e.lid
        if e.sm:
            self.fabric.master_sm = PortRef(e.node_guid, e.port)
        return node

    def build(self) -> None:
        fabric = self.fabric
        seen: dict[tuple[PortRef, PortRef], tuple[int, tuple]] = {}
        for idx, a_end, b_end, width, speed, state in self.rows:
            a = PortRef(self._node(a_end, idx).guid, a_end.port)
            b = PortRef(self._node(b_end, idx).guid, b_end.port)
            if a == b:
                raise self.error(f"port {a.port} is cabled to itself", idx, 1,
                                 "two different ports")
            key = Link(a, b).key
            if key in seen:
                first, attrs = seen[key]
                if attrs != (width, speed, state):
                    self.warn(f"cable {a} <-> {b} is listed again with other attributes "
                              f"(first at line {first}); kept the first", idx, "link-mismatch")
                continue
            busy = next((r for r in (a, b) if fabric.peer(r) is not None), None)
            if busy is not None:
                self.warn(f"{busy} is listed as cabled to both {fabric.peer(busy)} and "
                          f"{b if busy == a else a}; kept the first", idx, "conflicting-cable")
                continue
            seen[key] = (idx, (width, speed, state))
            fabric.connect(a, b, width, speed)
            for ref in (a, b):
                fabric.nodes[ref.node].ports[ref.port].state = state
        if self.no_spd:
            self.warn(f"{len(self.no_spd)} line(s) have no SPD= field (2005-era OpenSM): link "
                      "speeds are unknown", self.no_spd[0], "no-speed")
        if self.unknown_spd:
            self.warn(f"{len(self.unknown_spd)} line(s) give SPD=?? (speed unknown to the "
                      "tool); kept as unknown", self.unknown_spd[0], "unknown-speed")


def parse_subnet_lst(path: str | Path, lines: list[str] | None = None) -> Fabric:
    """Read an ``opensm-subnet.lst`` or ibdiagnet ``.lst`` file into a :class:`Fabric`.

    Raises
    ------
    TopologyError
        On a line that is not a link line (names file, line, column, expected).
    """
    fabric, lines, file = start_reading(path, "opensm-subnet-lst", lines)
    reader = _Reader(fabric, file)
    for idx, raw in enumerate(lines, 1):
        text = raw.strip()
        if text and not text.startswith("#"):
            reader.line(raw, idx)
    if not reader.rows:
        raise TopologyError("no link lines found", file=file, line=len(lines) or None,
                            expected=_END_EXPECTED)
    reader.build()
    return fabric


__all__ = ["parse_subnet_lst"]
