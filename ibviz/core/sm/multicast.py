"""Multicast spanning trees and the multicast forwarding rule of a switch.

One loop-free tree per group, covering exactly the switches needed to join its member
ports. Like OpenSM (``osm_mcast_mgr.c``) a tree is built only when the group has at
least two member ports, rooted at the switch with the smallest total hop count to the
members' switches (ties: lowest GUID). The tree is a breadth-first spanning tree of the
switch graph from that root, pruned to the root-to-member paths, so it is loop-free by
construction. Ports towards send-only members are not added (they send, they do not
receive), but their switches stay connected so their packets reach the tree.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from ibviz.core.fabric import Fabric
from ibviz.core.model import Link, NodeKind, PortRef
from ibviz.core.sm.switchinfo import SwitchInfo

MIN_MEMBERS_FOR_TREE = 2


@dataclass
class McTree:
    """The tree of one group and the MFT entries it needs."""

    root: int | None
    entries: dict[int, frozenset[int]] = field(default_factory=dict)
    """Switch GUID -> output ports for the group's MLID."""
    edges: list[tuple[PortRef, PortRef]] = field(default_factory=list)
    """Inter-switch cables of the tree (parent end, child end)."""
    reason: str = ""
    unreachable: list[PortRef] = field(default_factory=list)


def attachment(fabric: Fabric, port: PortRef, usable: Callable[[Link], bool]
               ) -> tuple[int, int] | None:
    """The switch (and its port) a member port hangs off; a switch's port 0 is itself."""
    node = fabric.nodes.get(port.node)
    if node is None:
        return None
    if node.kind is NodeKind.SWITCH:
        return (port.node, 0)
    link = fabric.link_at(port)
    if link is None or not usable(link):
        return None
    peer = link.other(port)
    if fabric.nodes[peer.node].kind is not NodeKind.SWITCH:
        return None
    return (peer.node, peer.port)


def switch_adjacency(fabric: Fabric, usable: Callable[[Link], bool]
                      ) -> dict[int, list[tuple[int, int, int]]]:
    """Switch -> sorted [(neighbour switch, my port, its port)] over usable cables."""
    adj: dict[int, list[tuple[int, int, int]]] = {}
    for link in fabric.links.values():
        a, b = link.a, link.b
        if a.node == b.node or not usable(link):
            continue
        na, nb = fabric.nodes[a.node], fabric.nodes[b.node]
        if na.kind is NodeKind.SWITCH and nb.kind is NodeKind.SWITCH:
            adj.setdefault(a.node, []).append((b.node, a.port, b.port))
            adj.setdefault(b.node, []).append((a.node, b.port, a.port))
    for neighbours in adj.values():
        neighbours.sort()
    return adj


def _bfs(adj: dict[int, list[tuple[int, int, int]]], root: int
         ) -> dict[int, tuple[int, int, int] | None]:
    """Switch -> (parent, parent's port, my port) of a BFS tree (root -> None)."""
    parent: dict[int, tuple[int, int, int] | None] = {root: None}
    queue = deque([root])
    while queue:
        sw = queue.popleft()
        for nb, my_port, nb_port in adj.get(sw, ()):
            if nb not in parent:
                parent[nb] = (sw, my_port, nb_port)
                queue.append(nb)
    return parent


def build_tree(fabric: Fabric, members: Iterable[PortRef], receivers: set[PortRef],
               usable: Callable[[Link], bool], adjacency: dict | None = None,
               hops: SwitchHops | None = None) -> McTree:
    """The spanning tree and MFT entries for one group.

    Parameters
    ----------
    members:
        All member ports (receivers and send-only members).
    receivers:
        The member ports that receive (join state Full or NonMember).
    usable:
        Whether a cable is up (both ends alive).
    adjacency:
        Precomputed switch adjacency to share between groups of one sweep.
    hops:
        The sweep's switch-to-switch hop matrix: with it the root is chosen with numpy and
        each switch's parent is found by walking up from the members (no BFS per group).
    """
    members = sorted(set(members))
    if len(members) < MIN_MEMBERS_FOR_TREE:
        return McTree(None, reason=f"no tree: the group has {len(members)} member port(s); "
                      f"like OpenSM, the SM builds a tree only for {MIN_MEMBERS_FOR_TREE} or more")
    where = {m: attachment(fabric, m, usable) for m in members}
    attached = {m: w for m, w in where.items() if w is not None}
    lost = [m for m, w in where.items() if w is None]
    adj = adjacency if adjacency is not None else switch_adjacency(fabric, usable)
    member_switches = sorted({w[0] for w in attached.values()})
    if not member_switches:
        return McTree(None, reason="no member port is attached to a live switch",
                      unreachable=lost)
    if hops is not None and all(sw in hops.index for sw in member_switches):
        root = hops.root(member_switches)
        parent = hops.parents(adj, root, member_switches)
    else:
        dist: dict[int, int] = {}
        reach: dict[int, int] = {}
        for src in member_switches:
            for sw, d in _distances(adj, src).items():
                dist[sw] = dist.get(sw, 0) + d
                reach[sw] = reach.get(sw, 0) + 1
        best = max(reach.values())
        root = min((sw for sw in dist if reach[sw] == best), key=lambda sw: (dist[sw], sw))
        parent = _bfs(adj, root)
    keep: set[int] = set()
    for sw in member_switches:
        if sw not in parent:
            continue
        while sw is not None and sw not in keep:
            keep.add(sw)
            up = parent[sw]
            sw = up[0] if up else None
    entries: dict[int, set[int]] = {sw: set() for sw in keep}
    edges = []
    for sw in sorted(keep):
        up = parent[sw]
        if up is not None:
            p_sw, p_port, my_port = up
            entries[sw].add(my_port)
            entries[p_sw].add(p_port)
            edges.append((PortRef(p_sw, p_port), PortRef(sw, my_port)))
    for m, (sw, sw_port) in attached.items():
        if sw not in keep:
            lost.append(m)
        elif m in receivers:
            entries[sw].add(sw_port)
    reason = f"tree rooted at switch {root:#x} over {len(keep)} switch(es)"
    if lost:
        reason += f"; {len(lost)} member port(s) unreachable"
    return McTree(root, {sw: frozenset(p) for sw, p in entries.items() if p}, edges, reason,
                  sorted(lost))


def _distances(adj: dict[int, list[tuple[int, int, int]]], src: int) -> dict[int, int]:
    dist = {src: 0}
    queue = deque([src])
    while queue:
        sw = queue.popleft()
        for nb, _, _ in adj.get(sw, ()):
            if nb not in dist:
                dist[nb] = dist[sw] + 1
                queue.append(nb)
    return dist


class SwitchHops:
    """A sweep's fewest-hop matrix between switches, for choosing roots and parents."""

    def __init__(self, switches: list[int], matrix: np.ndarray) -> None:
        self.index = {guid: i for i, guid in enumerate(switches)}
        self.guids = np.asarray(switches, dtype=np.uint64)
        self.matrix = matrix

    def root(self, member_switches: list[int]) -> int:
        """The switch reaching most member switches with the fewest total hops (lowest GUID
        on ties), as the BFS version chooses."""
        cols = self.matrix[:, [self.index[s] for s in member_switches]].astype(np.int64)
        reach = (cols != 255).sum(axis=1)
        total = np.where(cols != 255, cols, 0).sum(axis=1)
        best = reach == reach.max()
        order = np.lexsort((self.guids, total, ~best))
        return int(self.guids[order[0]])

    def parents(self, adj: dict[int, list[tuple[int, int, int]]], root: int,
                member_switches: list[int]) -> dict[int, tuple[int, int, int] | None]:
        """Parent links of the member switches and their ancestors towards ``root``."""
        r = self.index[root]
        parent: dict[int, tuple[int, int, int] | None] = {root: None}
        for sw in member_switches:
            while sw not in parent:
                d = self.matrix[r, self.index[sw]]
                if d == 255:
                    break
                nb, my_port, nb_port = min(x for x in adj.get(sw, ())
                                           if self.matrix[r, self.index[x[0]]] == d - 1)
                parent[sw] = (nb, nb_port, my_port)
                sw = nb
        return parent


def multicast_out_ports(info: SwitchInfo, entry: frozenset[int] | None, in_port: int
                        ) -> frozenset[int]:
    """Ports a switch sends a multicast packet to (never back out of ``in_port``).

    With an MFT entry for the MLID, its port mask. Without one, or on a switch that keeps
    no multicast table, the default multicast ports of SwitchInfo (IBA 18.2.4.3.3, seed
    para. 50): a packet arriving on any port but the primary goes to the primary port; one
    arriving on the primary port goes to the non-primary port. Port 0 (unset) drops it.
    """
    if entry is not None and info.keeps_multicast_table:
        return entry - {in_port}
    if in_port == info.default_mcast_primary_port:
        out = info.default_mcast_not_primary_port
    else:
        out = info.default_mcast_primary_port
    return frozenset() if out in (0, in_port) else frozenset({out})
