"""What the node details panel shows about one node, without Qt: its names and GUIDs
(unsigned 64-bit hex strings, so a GUID >= 2**63 never meets a signed integer), LIDs, ports
with their peers and link rates, the multicast groups it joined, and the unicast route to it
from another node, walked on the subnet manager's LFTs.

>>> d = node_details(fabric, sm, guid)
>>> d.host, d.guid, [p.peer for p in d.ports]
>>> route(fabric, sm, "node0002", guid).hops   # [Hop(switch, in_port, out_port), ...]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ibviz.core.addressing import format_gid
from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.naming import host_name, node_name
from ibviz.core.resolve import NodeNotFound, resolve_port
from ibviz.core.sm._walk import walk


def hex_guid(guid: int) -> str:
    """``0xb8cef603004a607a``: a GUID as an operator reads it (16 hex digits)."""
    return f"{guid:#018x}"


@dataclass(frozen=True)
class PortRow:
    """One port: its GUID, LID/LMC, state, the peer it is cabled to and the link's rate."""

    num: int
    guid: str
    lid: str
    state: str
    peer: str
    width: str
    speed: str


@dataclass(frozen=True)
class GroupRow:
    """One multicast group the node's port joined."""

    mgid: str
    mlid: str
    port: int
    join_state: int


@dataclass
class NodeDetails:
    guid: str
    kind: str
    description: str
    host: str
    name: str
    system_guid: str
    lid: str
    ports: list[PortRow] = field(default_factory=list)
    groups: list[GroupRow] = field(default_factory=list)


@dataclass(frozen=True)
class Hop:
    """A switch on the route: the packet enters by ``in_port`` and leaves by ``out_port``
    (0: delivered to the switch itself)."""

    switch: str
    in_port: int
    out_port: int


@dataclass
class Route:
    """The route from ``source`` to ``dest`` (LID ``dlid``); ``error`` says where a broken
    one stops (``hops`` are then the switches it got through)."""

    source: str
    dest: str
    dlid: int
    hops: list[Hop] = field(default_factory=list)
    error: str = ""


def _lid_text(port: Any) -> str:
    if not port.lid:
        return "-"
    return f"{port.lid} (LMC {port.lmc})" if port.lmc else str(port.lid)


def _peer_text(fabric: Fabric, ref: PortRef) -> str:
    peer = fabric.peer(ref)
    if peer is None:
        return ""
    return f"{node_name(fabric.nodes[peer.node])} port {peer.port}"


def node_details(fabric: Fabric, sm: Any, guid: int) -> NodeDetails:
    """Everything the panel shows about node ``guid`` (``sm``: ``sa.groups``, ``lfts``)."""
    node = fabric.node(guid)
    lids = [p for p in node.lid_ports() if p.lid]
    details = NodeDetails(
        guid=hex_guid(guid), kind=node.kind.name.lower(), description=node.description,
        host=host_name(node.description), name=node_name(node),
        system_guid=hex_guid(node.system_guid) if node.system_guid else "-",
        lid=", ".join(_lid_text(p) for p in lids) or "-")
    for num, port in sorted(node.ports.items()):
        ref = PortRef(guid, num)
        link = fabric.link_at(ref) if num else None
        details.ports.append(PortRow(
            num=num, guid=hex_guid(port.guid) if port.guid else "-", lid=_lid_text(port),
            state=port.state.name.lower(), peer=_peer_text(fabric, ref) if num else "",
            width=link.width.label if link is not None and link.width else "",
            speed=link.speed.label if link is not None and link.speed else ""))
    for mgid, group in sorted(sm.sa.groups.items(), key=lambda kv: kv[1].mlid):
        for ref, member in sorted(group.members.items()):
            if ref.node == guid:
                details.groups.append(GroupRow(format_gid(mgid), f"{group.mlid:#06x}",
                                               ref.port, member.join_state))
    return details


def dest_lid(fabric: Fabric, guid: int) -> int:
    """The LID a route to node ``guid`` is addressed to (its first LID-carrying port's)."""
    lids = [p.lid for p in fabric.node(guid).lid_ports() if p.lid]
    if not lids:
        raise NodeNotFound(f"{fabric.node(guid).label} has no LID")
    return lids[0]


class _Broken(Exception):
    def __init__(self, message: str, path: list[PortRef]) -> None:
        super().__init__(message)
        self.path = path


def _hops(fabric: Fabric, path: list[PortRef]) -> list[Hop]:
    hops: list[Hop] = []
    i = 0
    while i < len(path):
        ref = path[i]
        if fabric.nodes[ref.node].kind is NodeKind.SWITCH:
            nxt = path[i + 1] if i + 1 < len(path) and path[i + 1].node == ref.node else None
            out = nxt.port if nxt is not None else -1
            hops.append(Hop(node_name(fabric.nodes[ref.node]), ref.port, out))
            i += 2 if nxt is not None else 1
        else:
            i += 1
    return hops


def route(fabric: Fabric, sm: Any, source: str, guid: int) -> Route:
    """The unicast route from the node ``source`` names (a host name, GUID, LID,
    ``NODE:PORT``; see :mod:`ibviz.core.resolve`) to node ``guid``, on ``sm.lfts``.

    Raises :class:`~ibviz.core.resolve.NodeNotFound` when ``source`` names no node or the
    destination has no LID; a route that breaks off is returned with ``error`` set.
    """
    src = resolve_port(fabric, source)
    dlid = dest_lid(fabric, guid)
    out = Route(node_name(fabric.nodes[src.node]), node_name(fabric.nodes[guid]), dlid)
    if not sm.lfts:
        out.error = "no LFTs are known for this fabric"
        return out

    def broken(message: str, path: list[PortRef]) -> Exception:
        return _Broken(message, path)

    try:
        path = walk(fabric, sm.lfts.get, src, dlid, broken)
    except _Broken as exc:
        out.hops, out.error = _hops(fabric, exc.path), str(exc)
        return out
    out.hops = _hops(fabric, path)
    return out
