"""The switch graph the SM routes over, extracted once from a :class:`Fabric` into arrays.

Switches are numbered in OpenSM's ``sw_guid_tbl`` order (see :func:`net_order`). Only
usable cables count: a cable whose end is DOWN is not there for the SM (OpenSM cannot
discover through it), and loopback cables (both ends on one switch) carry no route, as
in ``ucast_mgr_process_hop_0_1``. End ports are CA and router ports cabled to a switch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ibviz.core.fabric import Fabric
from ibviz.core.model import NO_PATH, NodeKind, PortRef, PortState


def net_order(guid: int) -> int:
    """Sort key of a GUID in OpenSM's ``cl_qmap`` tables.

    OpenSM keys ``port_guid_tbl`` and ``sw_guid_tbl`` by the GUID in network byte order
    and compares the keys as host integers, so on a little-endian host the tables
    iterate in order of the byte-reversed GUID (lowest byte most significant).
    """
    return int.from_bytes(guid.to_bytes(8, "big"), "little")


def port_key(fabric: Fabric, ref: PortRef) -> int:
    """Port GUID of a LID-carrying port; a port without one gets node GUID + port (ibsim)."""
    node = fabric.nodes[ref.node]
    if node.kind is NodeKind.SWITCH:
        return node.ports[0].guid or node.guid
    return node.ports[ref.port].guid or (node.guid + ref.port) & ((1 << 64) - 1)


@dataclass
class SwitchGraph:
    """Arrays describing switches, inter-switch edges and end ports of a fabric."""

    guids: list[int]
    """Switch node GUIDs, index = switch number."""
    nports: np.ndarray
    """Per switch: number of ports including port 0 (OpenSM's ``num_ports``)."""
    lids: list[range]
    """Per switch: LIDs of port 0."""
    system: np.ndarray
    """Per switch: a small integer standing for its system image GUID."""
    e_src: np.ndarray
    e_port: np.ndarray
    e_dst: np.ndarray
    """Directed switch-to-switch edges (one per usable cable and direction), sorted by
    (source, port)."""
    ep_ref: list[PortRef]
    ep_sw: np.ndarray
    ep_swport: np.ndarray
    ep_lids: list[range]
    """End ports: the port, its switch, the switch port it hangs on, and its LIDs."""

    @property
    def size(self) -> int:
        return len(self.guids)

    def seg_starts(self) -> np.ndarray:
        """Index of each switch's first edge in the edge arrays (length ``size + 1``)."""
        return np.searchsorted(self.e_src, np.arange(self.size + 1))


def extract(fabric: Fabric) -> SwitchGraph:
    """Build the :class:`SwitchGraph` of ``fabric`` (one pass over nodes and cables)."""
    nodes = fabric.nodes
    sw_nodes = sorted((n for n in nodes.values() if n.kind is NodeKind.SWITCH
                       and n.ports[0].state is not PortState.DOWN),
                      key=lambda n: net_order(n.guid))
    index = {n.guid: i for i, n in enumerate(sw_nodes)}
    systems: dict[int, int] = {}
    system = np.array([systems.setdefault(n.system_guid or n.guid, len(systems))
                       for n in sw_nodes], dtype=np.int64)
    src: list[int] = []
    port: list[int] = []
    dst: list[int] = []
    ep: list[tuple[int, int, PortRef]] = []
    down = PortState.DOWN
    for a, b in fabric.links:
        ia, ib = index.get(a.node), index.get(b.node)
        if ia is None and ib is None or a.node == b.node:
            continue
        if nodes[a.node].ports[a.port].state is down or \
                nodes[b.node].ports[b.port].state is down:  # a DOWN end: no cable for the SM
            continue
        if ia is not None and ib is not None:
            src += (ia, ib)
            port += (a.port, b.port)
            dst += (ib, ia)
        elif ia is not None:
            if nodes[b.node].kind is not NodeKind.SWITCH:
                ep.append((ia, a.port, b))
        elif nodes[a.node].kind is not NodeKind.SWITCH:
            ep.append((ib, b.port, a))
    e_src = np.array(src, dtype=np.int64)
    e_port = np.array(port, dtype=np.int64)
    e_dst = np.array(dst, dtype=np.int64)
    order = np.lexsort((e_port, e_src))
    ep.sort(key=lambda t: (t[0], t[1]))
    return SwitchGraph(
        guids=[n.guid for n in sw_nodes],
        nports=np.array([max(n.ports) + 1 for n in sw_nodes], dtype=np.int64),
        lids=[n.ports[0].lids() for n in sw_nodes],
        system=system,
        e_src=e_src[order], e_port=e_port[order], e_dst=e_dst[order],
        ep_ref=[t[2] for t in ep],
        ep_sw=np.array([t[0] for t in ep], dtype=np.int64),
        ep_swport=np.array([t[1] for t in ep], dtype=np.int64),
        ep_lids=[nodes[t[2].node].ports[t[2].port].lids() for t in ep])


def components(hops: np.ndarray) -> np.ndarray:
    """Component label of each switch (its lowest-numbered reachable switch)."""
    if hops.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.argmax(hops != NO_PATH, axis=1)


def duplicate_lid(graph: SwitchGraph, members: np.ndarray) -> tuple[int, PortRef, PortRef] | None:
    """A LID two ports of one component both answer to, as ``(lid, port, port)``, or None."""
    in_comp = np.zeros(graph.size, dtype=bool)
    in_comp[members] = True
    owners = [(graph.lids[s], PortRef(graph.guids[s], 0)) for s in members.tolist()]
    owners += [(graph.ep_lids[x], graph.ep_ref[x])
               for x in np.flatnonzero(in_comp[graph.ep_sw]).tolist()]
    seen: dict[int, PortRef] = {}
    for lids, ref in owners:
        for lid in lids:
            other = seen.setdefault(lid, ref)
            if other != ref:
                return lid, other, ref
    return None


__all__ = ["NO_PATH", "SwitchGraph", "components", "duplicate_lid", "extract"]
