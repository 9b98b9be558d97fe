"""Walk a packet through linear forwarding tables, port by port (see ``routing.route``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef, PortState
from ibviz.core.sm._graph import NO_PATH


def _usable_peer(fabric: Fabric, ref: PortRef) -> PortRef | None:
    peer = fabric.peer(ref)
    if peer is None:
        return None
    for end in (ref, peer):
        if fabric.nodes[end.node].ports[end.port].state is PortState.DOWN:
            return None
    return peer


def _name(fabric: Fabric, ref: PortRef) -> str:
    return f"{fabric.nodes[ref.node].label} port {ref.port}"


def walk(fabric: Fabric, lft_of: Callable[[int], np.ndarray | None], src: PortRef, dlid: int,
         error: Callable[[str, list[PortRef]], Exception]) -> list[PortRef]:
    """The ports from ``src`` to the owner of ``dlid``; ``error(message, path)`` is raised
    on a dead end, a loop or a wrong delivery."""
    node = fabric.node(src.node)
    path = [src]
    if node.kind is NodeKind.SWITCH:
        current = src.node
    else:
        if dlid in node.port(src.port).lids():
            return path
        peer = _usable_peer(fabric, src)
        if peer is None:
            raise error(f"{_name(fabric, src)} has no usable cable", path)
        path.append(peer)
        if fabric.nodes[peer.node].kind is not NodeKind.SWITCH:
            return _deliver(fabric, path, dlid, error)
        current = peer.node
    seen: set[int] = set()
    while True:
        if current in seen:
            raise error(f"loop: LID {dlid:#06x} comes back to "
                        f"{fabric.nodes[current].label}", path)
        seen.add(current)
        lft = lft_of(current)
        if lft is None or dlid >= len(lft) or lft[dlid] == NO_PATH:
            raise error(f"dead end: {fabric.nodes[current].label} has no route to "
                        f"LID {dlid:#06x}", path)
        out = int(lft[dlid])
        if out == 0:
            if path[-1] != PortRef(current, 0):
                path.append(PortRef(current, 0))
            return _deliver(fabric, path, dlid, error)
        egress = PortRef(current, out)
        path.append(egress)
        peer = _usable_peer(fabric, egress)
        if peer is None:
            raise error(f"dead end: {_name(fabric, egress)} (route to LID {dlid:#06x}) "
                        "has no usable cable", path)
        path.append(peer)
        if fabric.nodes[peer.node].kind is not NodeKind.SWITCH:
            return _deliver(fabric, path, dlid, error)
        current = peer.node


def _deliver(fabric: Fabric, path: list[PortRef], dlid: int,
             error: Callable[[str, list[PortRef]], Exception]) -> list[PortRef]:
    end = path[-1]
    if dlid in fabric.nodes[end.node].ports[end.port].lids():
        return path
    raise error(f"LID {dlid:#06x} delivered to {_name(fabric, end)}, which does not "
                "own it", path)
