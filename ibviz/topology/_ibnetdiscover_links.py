"""Second pass of the ibnetdiscover/ibsim reader: turn port lines into cables.

Each cable is usually listed from both ends. Peers that are never declared (a
switches-only listing) become nodes built from what the port lines say about them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

from ibviz.core.fabric import Fabric
from ibviz.core.model import Link, Node, NodeKind, PortRef, PortState
from ibviz.core.phy import LinkSpeed, LinkWidth, format_width_speed, link_rate_gbps
from ibviz.topology import _ibsim_rules as ibsim
from ibviz.topology.errors import TopologyError, TopologyWarning


@dataclass(slots=True)
class _Half:
    """One port line of :mod:`ibviz.topology.ibnetdiscover` (a cable seen from one end)."""

    local: PortRef
    peer_name: str
    peer_port: int
    peer_port_guid: int | None
    peer_desc: str | None
    peer_lid: int | None
    width: LinkWidth | None
    speed: LinkSpeed | None
    options: dict[str, int]
    file: str
    line: int


class _State(Protocol):
    """The reader's state as this pass uses it (named here, not imported: the reader
    imports this module)."""

    fabric: Fabric
    dialect: str
    names: dict[str, int]
    where: dict[int, tuple[str, int]]
    seen_content: bool
    @property
    def halves(self) -> list[_Half]: ...
    link_defaults: ibsim.LinkDefaults

PEER_NAME_RE = re.compile(r"^([SHR])-([0-9A-Fa-f]{1,16})$")
"""ibnetdiscover's node names: S-/H-/R- and the node GUID."""
PEER_KIND = {"S": NodeKind.SWITCH, "H": NodeKind.CA, "R": NodeKind.ROUTER}


def set_cabled_states(fabric: Fabric) -> None:
    """Cabled ports are ACTIVE where their LID is assigned and INIT where it is 0."""
    for ref in fabric.cabled_ports():
        node = fabric.nodes[ref.node]
        lid_port = node.ports[0] if node.kind is NodeKind.SWITCH else node.ports[ref.port]
        node.ports[ref.port].state = PortState.ACTIVE if lid_port.lid else PortState.INIT


def _warn(st: _State, msg: str, file: str | None, line: int | None, kind: str) -> None:
    st.fabric.warnings.append(TopologyWarning(msg, file, line, kind))


def _undeclared_node(st: _State, h: _Half) -> int:
    """Create a node that is only referenced as a peer; return its GUID."""
    m = PEER_NAME_RE.match(h.peer_name)
    if not m:
        raise TopologyError(
            f"peer {h.peer_name!r} is never declared and its name does not encode a GUID",
            file=h.file, line=h.line, expected="a node block for it, or a name like S-<guid>")
    kind, guid = PEER_KIND[m.group(1)], int(m.group(2), 16)
    if guid in st.fabric.nodes:
        other = st.fabric.nodes[guid]
        raise TopologyError(f"peer {h.peer_name!r} has the GUID of {other.name!r}",
                            file=h.file, line=h.line)
    node = Node(guid, kind, 0, h.peer_desc or "", name=h.peer_name, declared=False)
    st.fabric.add_node(node)
    st.names[h.peer_name] = guid
    st.where[guid] = (h.file, h.line)
    _warn(st, f"node {h.peer_name} ({h.peer_desc or 'no description'}) is only referenced as "
          "a link peer, never declared; built from the port lines", h.file, h.line,
          "undeclared-node")
    return guid


def _fill_peer(st: _State, guid: int, h: _Half) -> None:
    """Complete an undeclared node from what a port line says about it."""
    node = st.fabric.nodes[guid]
    port = node.ensure_port(h.peer_port)
    if node.kind is NodeKind.SWITCH:
        p0 = node.ports.get(0) or node.ensure_port(0)
        p0.guid = p0.guid or guid
        if h.peer_lid is not None and not p0.lid:
            p0.lid = h.peer_lid
    else:
        if h.peer_port_guid is not None:
            port.guid = h.peer_port_guid
        if h.peer_lid is not None and not port.lid:
            port.lid = h.peer_lid
    if h.peer_desc and not node.description:
        node.description = h.peer_desc


def resolve_links(st: _State, file: str) -> None:
    fabric = st.fabric
    seen: dict[tuple[PortRef, PortRef], list[_Half]] = defaultdict(list)
    lid0: dict[int, list[_Half]] = defaultdict(list)
    names, nodes = st.names, fabric.nodes
    for h in st.halves:
        guid = names.get(h.peer_name)
        if guid is None:
            guid = _undeclared_node(st, h)
        peer_node = nodes[guid]
        if not peer_node.declared:
            _fill_peer(st, guid, h)
        elif h.peer_port not in peer_node.ports or (h.peer_port == 0 and peer_node.is_switch):
            raise TopologyError(
                f"{h.peer_name} has no port {h.peer_port} (it declares {peer_node.num_ports})",
                file=h.file, line=h.line, expected=f"a port 1-{peer_node.num_ports}")
        if h.peer_lid == 0:
            lid0[guid].append(h)
        other = PortRef(guid, h.peer_port)
        seen[(h.local, other) if h.local <= other else (other, h.local)].append(h)

    for node in fabric.nodes.values():
        if not node.declared:  # give it every port up to the highest one referenced
            for num in range(0 if node.is_switch else 1, node.num_ports + 1):
                node.ensure_port(num)
            if node.is_switch:
                node.ports[0].guid = node.ports[0].guid or node.guid
    masks = _enabled_masks(st)
    for key, halves in seen.items():
        a, b = key
        first = halves[0]
        if a == b:
            raise TopologyError(f"port {first.local.port} is cabled to itself",
                                file=first.file, line=first.line)
        if len(halves) > 2:
            _warn(st, f"cable {_name(st, a)} <-> {_name(st, b)} is listed {len(halves)} times",
                  first.file, first.line, "duplicate-line")
        peer_of = fabric.peer
        conflict = a if peer_of(a) is not None else b if peer_of(b) is not None else None
        if conflict is not None:
            _warn(st, f"{_name(st, conflict)} is listed as cabled to both "
                  f"{_name(st, fabric.peer(conflict))} and {_name(st, b if conflict == a else a)};"
                  " kept the first", first.file, first.line, "conflicting-cable")
            continue
        width, speed = first.width, first.speed
        for other in halves[1:]:
            if (other.width, other.speed) != (width, speed) and other.width is not None:
                _warn(st, f"the two ends of {_name(st, a)} <-> {_name(st, b)} disagree on its "
                      f"width/speed ({_ws(width, speed)} vs {_ws(other.width, other.speed)}); "
                      "kept the slower", other.file, other.line, "link-mismatch")
                if width is None or _rate(other) < link_rate_gbps(width, speed):
                    width, speed = other.width, other.speed
        if width is None and st.dialect == "ibsim":
            mask = _port_mask(st, masks)
            width = ibsim.active_width(mask(a, "w"), mask(b, "w"))
            speed = ibsim.active_ext_speed(mask(a, "e"), mask(b, "e")) \
                or ibsim.active_speed(mask(a, "s"), mask(b, "s"))
            if width is None or speed is None:
                raise TopologyError(
                    f"{_name(st, a)} and {_name(st, b)} enable no common link "
                    f"{'width' if width is None else 'speed'} (ibsim refuses such a cable)",
                    file=first.file, line=first.line,
                    expected="w=/s= masks (or width=/speed= lines) that share a bit")
        if (a.port == 0 and nodes[a.node].is_switch) or (b.port == 0 and nodes[b.node].is_switch):
            raise TopologyError("switch port 0 is internal and cannot be cabled",
                                file=first.file, line=first.line, expected="a port 1-N")
        fabric._attach(Link(a, b, width, speed))  # ends validated above
        if len(halves) == 1 and a.node != b.node and nodes[a.node].declared \
                and nodes[b.node].declared:
            other_end = b if first.local == a else a
            _warn(st, f"cable {_name(st, first.local)} -> {_name(st, other_end)} is listed only "
                  f"at {fabric.nodes[first.local.node].name}", first.file, first.line,
                  "one-sided-cable")

    any_lid = any(p.lid for n in fabric.nodes.values() for p in n.lid_ports())
    if lid0 and not any_lid and st.dialect != "ibsim":
        _warn(st, "no port has a LID: no subnet manager had configured this fabric",
              file, None, "no-lids")
    for guid, halves in lid0.items() if any_lid else ():
        node = fabric.nodes[guid]
        _warn(st, f"{node.name} ({node.description or 'no description'}) is reported with "
              f"LID 0 by {len(halves)} port line(s): not configured by the SM",
              halves[0].file, halves[0].line, "lid0-peer")

    set_cabled_states(fabric)


def _ws(width: LinkWidth | None, speed: LinkSpeed | None) -> str:
    return format_width_speed(width, speed) if width and speed else "unknown"


def _rate(h: _Half) -> float:
    return link_rate_gbps(h.width, h.speed)


def _enabled_masks(st: _State) -> dict[tuple[PortRef, str], int]:
    masks: dict[tuple[PortRef, str], int] = {}
    for h in st.halves:
        for opt, value in h.options.items():
            masks[(h.local, opt)] = value
    return masks


def _port_mask(st: _State, masks: dict[tuple[PortRef, str], int]):
    """``mask(port, "w"|"s"|"e")``: the port's w=/s=/e= option, else the width=/speed=/
    extspeed= in force when its node was declared (ibsim's init_ports)."""
    index = {"w": 0, "s": 1, "e": 2}
    current = st.link_defaults.masks()

    def mask(ref: PortRef, opt: str) -> int:
        found = masks.get((ref, opt))
        return found if found is not None else st.node_masks.get(ref.node, current)[index[opt]]
    return mask


def _name(st: _State, ref: PortRef) -> str:
    node = st.fabric.nodes.get(ref.node)
    return f"{node.name if node else hex(ref.node)}[{ref.port}]"
