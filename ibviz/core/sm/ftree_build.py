"""Build OpenSM's fat-tree view of a fabric: ``construct_fabric`` of ``osm_ucast_ftree.c``.

Node tables iterate in OpenSM's ``cl_qmap`` order (:func:`~ibviz.core.sm._graph.net_order`
of the node GUID). Ranking, leaf marking, indexing and validation are in
:mod:`ibviz.core.sm.ftree_index`; this module reads the fabric, ranks the switches and
builds the port groups. Every check that makes OpenSM give up raises
:class:`~ibviz.core.sm.ftree_model.FtreeUnsupported` with the reason OpenSM logs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef, PortState
from ibviz.core.sm._graph import net_order
from ibviz.core.sm.ftree_model import FtGroup, FtHca, FtreeUnsupported, FtSwitch

Adjacency = dict[int, list[tuple[int, int, int, NodeKind]]]
"""Node GUID -> usable ports ``(port, remote node GUID, remote port, remote kind)``."""


class FtFabric:
    """``ftree_fabric_t``: switches and CAs in OpenSM's table order, plus the leaf data."""

    def __init__(self, fabric: Fabric, members: set[int] | None = None) -> None:
        """``members``: the switches of one subnet (default: all); the SM sees them and
        the nodes cabled to them, as OpenSM sees the subnet it discovered."""
        self.fabric = fabric
        nodes = fabric.nodes
        self.switches: dict[int, FtSwitch] = {}
        self.hcas: dict[int, FtHca] = {}
        self.adj: Adjacency = {}
        self.max_lid = max((lid for n in nodes.values() for p in n.lid_ports()
                            for lid in p.lids()), default=0)
        usable = {g for g, n in nodes.items()
                  if n.kind is not NodeKind.SWITCH or n.ports[0].state is not PortState.DOWN}
        if members is not None:
            usable = {g for g in usable if g in members or nodes[g].kind is not
                      NodeKind.SWITCH and any(p in members for p in fabric.neighbors(g))}
        self.node_count = len(usable)
        self.switch_count = sum(1 for g in usable if nodes[g].kind is NodeKind.SWITCH)
        for guid in sorted(usable, key=net_order):
            node = nodes[guid]
            ports = []
            for num in sorted(node.ports):
                peer = fabric.peer(PortRef(guid, num)) if num else None
                if peer is None or peer.node not in usable:
                    continue
                far = nodes[peer.node]
                if PortState.DOWN in (node.ports[num].state, far.ports[peer.port].state):
                    continue
                ports.append((num, peer.node, peer.port, far.kind))
            self.adj[guid] = ports
            if node.kind is NodeKind.CA:
                self.hcas[guid] = FtHca(guid)
            elif node.kind is NodeKind.SWITCH and node.num_ports > 0:
                self.switches[guid] = FtSwitch(guid, node.ports[0].lid, node.num_ports,
                                               self.max_lid)
        self.lft_max_lid = max((s.lid for s in self.switches.values()), default=0)
        self.cn_num = 0
        self.leaf_rank = 0
        self.max_rank = 0
        self.leaves: list[FtSwitch] = []
        self.max_cn_per_leaf = 0
        self.roots_given = False

    def lid_of(self, guid: int, port: int) -> int:
        node = self.fabric.nodes[guid]
        return node.ports[0 if node.kind is NodeKind.SWITCH else port].lid

    def port_guid(self, guid: int, port: int) -> int:
        node = self.fabric.nodes[guid]
        return node.ports[port].guid or (guid + port) & ((1 << 64) - 1)

    # ------------------------------------------------------------------- ranking
    def _bfs_rank(self, queue: deque[FtSwitch]) -> int:
        """Rank switches one above their BFS parent; returns the last rank given."""
        max_rank = 0
        while queue:
            sw = queue.popleft()
            for _, remote, _, kind in self.adj[sw.guid]:
                if kind is not NodeKind.SWITCH:
                    continue
                other = self.switches.get(remote)
                if other is None:
                    continue
                if other.ranked and other.rank <= sw.rank + 1:
                    continue
                other.rank = sw.rank + 1
                max_rank = other.rank
                queue.append(other)
        return max_rank

    def rank(self, roots: Iterable[int] | None) -> None:
        """``fabric_rank``: from the given root switches, else from the CAs' switches
        (reversed), then again from the switches that came out as rank 0."""
        queue: deque[FtSwitch] = deque()
        if roots is not None:
            for guid in roots:
                sw = self.switches.get(guid)
                if sw is not None:
                    sw.rank = 0
                    queue.append(sw)
        if queue:
            self.max_rank = self._bfs_rank(queue)
        else:
            for hca in self.hcas.values():
                for _, remote, _, kind in self.adj[hca.guid]:
                    if kind is NodeKind.CA:
                        raise FtreeUnsupported(f"CA {hca.guid:#018x} is cabled to CA "
                                               f"{remote:#018x}: not a fat tree")
                    if kind is NodeKind.SWITCH:
                        sw = self.switches[remote]
                        if not sw.ranked or sw.rank > 0:
                            sw.rank = 0
                            queue.append(sw)
            top = self._bfs_rank(queue)
            for sw in self.switches.values():
                if sw.ranked:
                    sw.rank = top - sw.rank
            for sw in self.switches.values():
                if sw.rank == 0:
                    queue.append(sw)
                else:
                    sw.rank = 0xFFFFFFFF
            self.max_rank = self._bfs_rank(queue)
        self._remove_unranked()
        if self.max_rank == 0 and len(self.switches) > 1:
            raise FtreeUnsupported("ERR AB2B: Found more than one root on fabric with "
                                   "maximum rank 0")

    def _remove_unranked(self) -> None:
        for guid in [g for g, s in self.switches.items() if not s.ranked]:
            del self.switches[guid]
            for _, remote, rport, kind in self.adj[guid]:
                if kind is NodeKind.CA and remote in self.hcas:
                    self.hcas[remote].disconnected.add(rport)

    # ------------------------------------------------------------------- ports
    def populate_ports(self, cn_guids: set[int] | None, io_guids: set[int] | None) -> None:
        """``fabric_populate_ports``: CA groups (CN / I/O marking), then switch groups."""
        for hca in self.hcas.values():
            for num, remote, rport, kind in self.adj[hca.guid]:
                if num in hca.disconnected or kind is NodeKind.ROUTER:
                    continue
                if kind is NodeKind.CA:
                    raise FtreeUnsupported(f"CA {hca.guid:#018x} is cabled to CA "
                                           f"{remote:#018x}: not a fat tree")
                pguid = self.port_guid(hca.guid, num)
                is_cn, is_io = True, False
                in_cn = False
                if cn_guids is not None:
                    in_cn = pguid in cn_guids
                    is_cn = in_cn
                if not in_cn and io_guids is not None and pguid in io_guids:
                    is_io, is_cn = True, False
                if is_cn:
                    self.cn_num += 1
                    hca.cn_num += 1
                lid = self.lid_of(hca.guid, num)
                if hca.group_by_lid(lid) is None:
                    group = FtGroup(lid, self.switches[remote].lid, hca,
                                    self.switches[remote], is_cn=is_cn, is_io=is_io)
                    group.add_port(num, rport)
                    hca.up.append(group)
        for sw in self.switches.values():
            for num, remote, rport, kind in self.adj[sw.guid]:
                if remote == sw.guid or kind is NodeKind.ROUTER:
                    continue
                target: FtSwitch | FtHca
                if kind is NodeKind.CA:
                    target, direction = self.hcas[remote], -1
                    remote_lid = self.lid_of(remote, rport)
                else:
                    target = self.switches[remote]
                    direction = ((sw.rank > target.rank) - (sw.rank < target.rank))
                    remote_lid = target.lid
                sw.add_port(num, rport, remote_lid, target, direction)
                self.lft_max_lid = max(self.lft_max_lid, remote_lid)
        if self.cn_num == 0:
            raise FtreeUnsupported("Fabric has no valid compute nodes")
