"""The fabric: nodes, ports and cables, backed by a networkx multigraph.

A :class:`Fabric` is the single mutable model of a subnet (or of several subnets
joined by routers). Nodes are keyed by node GUID, which is stable across loads,
sweeps and formats. Every change goes through a method here, which keeps the
networkx graph in step and publishes a typed event on :attr:`Fabric.events`.

The graph is built when first asked for (a 46k-node fabric is generated and routed
without it); from then on it is kept in step. Before that, each node's cables are
kept in a list in cabling order, which answers :meth:`Fabric.node_links` in the
graph's order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ibviz.core.addressing import LINK_LOCAL_PREFIX, check_lmc
from ibviz.core.events import (
    EventBus,
    LidAssigned,
    LinkAdded,
    LinkRemoved,
    NodeAdded,
    NodeRemoved,
    PortStateChanged,
)
from ibviz.core.model import Link, Node, NodeKind, Port, PortRef, PortState
from ibviz.core.phy import LinkSpeed, LinkWidth

if TYPE_CHECKING:
    import networkx as nx


class FabricError(ValueError):
    """An operation that would make the fabric inconsistent."""


class Fabric:
    """Nodes, ports and links of one or more InfiniBand subnets.

    Parameters
    ----------
    name:
        Human name (file name, built-in fabric name).
    """

    def __init__(self, name: str = "fabric") -> None:
        self.name = name
        self.nodes: dict[int, Node] = {}
        self.links: dict[tuple[PortRef, PortRef], Link] = {}
        self.subnets: dict[str, int] = {"default": LINK_LOCAL_PREFIX}
        """Subnet name -> 64-bit subnet prefix."""
        self._graph: nx.MultiGraph | None = None
        self._cables: dict[int, list[tuple[PortRef, PortRef]]] = {}
        """Per node: the keys of its cables, in cabling order (a loopback once)."""
        self.events = EventBus()
        self.warnings: list = []
        """Recoverable oddities found while loading (not part of equality)."""
        self.source: str | None = None
        self.source_format: str | None = None
        self.master_sm: PortRef | None = None
        """The port of the master subnet manager, where the source says (SM_INFO, ``-SM``)."""
        self.sim_commands: list[str] = []
        """ibsim console commands (``do`` lines) kept from an ibsim net file."""
        self._peer: dict[PortRef, PortRef] = {}

    @property
    def graph(self) -> nx.MultiGraph:
        """Nodes are node GUIDs; one edge per cable, keyed by the link's :attr:`Link.key`."""
        if self._graph is None:  # only nodes and cables were added so far: in that order
            import networkx as nx  # (0.1 s to import: only when a graph is asked for)

            g = nx.MultiGraph()
            g.add_nodes_from(self.nodes)
            for a, b in self.links:
                g.add_edge(a.node, b.node, key=(a, b))
            self._graph = g
        return self._graph

    # ------------------------------------------------------------------ nodes
    def add_node(self, node: Node) -> Node:
        if node.guid in self.nodes:
            raise FabricError(f"a node with GUID {node.guid:#018x} already exists")
        if node.subnet not in self.subnets:
            self.subnets[node.subnet] = LINK_LOCAL_PREFIX
        self.nodes[node.guid] = node
        self._cables[node.guid] = []
        if self._graph is not None:
            self._graph.add_node(node.guid)
        if self.events.active:
            self.events.emit(NodeAdded(node.guid))
        return node

    def remove_node(self, guid: int) -> Node:
        node = self.node(guid)
        for link in self.node_links(guid):
            self.disconnect(link.a)
        self.graph.remove_node(guid)  # (built first: it keeps the order of the history)
        del self.nodes[guid]
        del self._cables[guid]
        if self.events.active:
            self.events.emit(NodeRemoved(guid))
        return node

    def node(self, guid: int) -> Node:
        try:
            return self.nodes[guid]
        except KeyError:
            raise KeyError(f"no node with GUID {guid:#018x}") from None

    def port(self, ref: PortRef) -> Port:
        return self.node(ref.node).port(ref.port)

    def switches(self) -> Iterator[Node]:
        return (n for n in self.nodes.values() if n.kind is NodeKind.SWITCH)

    def cas(self) -> Iterator[Node]:
        return (n for n in self.nodes.values() if n.kind is NodeKind.CA)

    def routers(self) -> Iterator[Node]:
        return (n for n in self.nodes.values() if n.kind is NodeKind.ROUTER)

    def count(self, kind: NodeKind) -> int:
        return sum(1 for n in self.nodes.values() if n.kind is kind)

    # ------------------------------------------------------------------ links
    def connect(self, a: PortRef, b: PortRef, width: LinkWidth | None = None,
                speed: LinkSpeed | None = None) -> Link:
        """Cable port ``a`` to port ``b`` (both must exist and be free)."""
        nodes, peer = self.nodes, self._peer
        for ref in (a, b):
            node = nodes.get(ref.node) or self.node(ref.node)  # (raises for a missing one)
            if ref.port == 0 and node.kind is NodeKind.SWITCH:
                raise FabricError(f"{node.label}: switch port 0 is internal and cannot be cabled")
            if ref.port not in node.ports:
                raise FabricError(f"{node.label} has no port {ref.port} "
                                  f"(it has {node.num_ports})")
            if ref in peer:
                raise FabricError(f"{node.label} port {ref.port} is already cabled to "
                                  f"{self._describe(peer[ref])}")
        if a == b:
            raise FabricError(f"cannot cable {self._describe(a)} to itself")
        return self._attach(Link(a, b, width, speed))

    def connect_many(self, ends: Iterable[tuple[PortRef, PortRef]],
                     width: LinkWidth | None = None, speed: LinkSpeed | None = None) -> None:
        """:meth:`connect` each ``(a, b)`` in turn (the same checks and errors), in one
        loop: the generators' 128,625 cables of a 46k-node fat tree."""
        nodes, peer, links, cables = self.nodes, self._peer, self.links, self._cables
        switch = NodeKind.SWITCH
        for a, b in ends:
            na, nb = nodes.get(a.node), nodes.get(b.node)
            if na is None or nb is None or a.port not in na.ports or b.port not in nb.ports \
                    or a in peer or b in peer or a == b or self._graph is not None \
                    or self.events.active or not (a.port or na.kind is not switch) \
                    or not (b.port or nb.kind is not switch):
                self.connect(a, b, width, speed)  # raises, or keeps the graph and events
                continue
            link = Link(a, b, width, speed)
            key = (link.a, link.b)
            links[key] = link
            peer[a] = b
            peer[b] = a
            cables[a.node].append(key)
            if b.node != a.node:
                cables[b.node].append(key)

    def _attach(self, link: Link) -> Link:
        """Add a cable whose ends the caller has already validated (bulk loaders)."""
        a, b = link.a, link.b
        key = (a, b)  # link.key
        self.links[key] = link
        peer = self._peer
        peer[a] = b
        peer[b] = a
        self._cables[a.node].append(key)
        if b.node != a.node:
            self._cables[b.node].append(key)
        if self._graph is not None:
            self._graph.add_edge(a.node, b.node, key=key)
        if self.events.active:
            self.events.emit(LinkAdded(link.a, link.b))
        return link

    def disconnect(self, end: PortRef) -> Link:
        """Remove the cable at port ``end``."""
        other = self._peer.get(end)
        if other is None:
            raise FabricError(f"{self._describe(end)} is not cabled")
        graph = self.graph  # built before the first removal: it keeps the order of the history
        link = self.links.pop(Link(end, other).key)
        del self._peer[end], self._peer[other]
        graph.remove_edge(link.a.node, link.b.node, key=link.key)
        self._cables[link.a.node].remove(link.key)
        if link.b.node != link.a.node:
            self._cables[link.b.node].remove(link.key)
        if self.events.active:
            self.events.emit(LinkRemoved(link.a, link.b))
        return link

    def peer(self, ref: PortRef) -> PortRef | None:
        return self._peer.get(ref)

    def link_at(self, ref: PortRef) -> Link | None:
        other = self._peer.get(ref)
        return None if other is None else self.links[Link(ref, other).key]

    def node_links(self, guid: int) -> list[Link]:
        """The node's cables, grouped by neighbour (neighbours and each one's cables in
        cabling order: the graph's order)."""
        if self._graph is not None:
            return [self.links[key] for _, _, key in self._graph.edges(guid, keys=True)]
        by_peer: dict[int, list[tuple[PortRef, PortRef]]] = {}
        for key in self._cables[guid]:
            by_peer.setdefault(key[1].node if key[0].node == guid else key[0].node,
                               []).append(key)
        return [self.links[key] for keys in by_peer.values() for key in keys]

    def neighbor_order(self, guid: int) -> list[int]:
        """The node's neighbours in the graph's order (by first cable), without building
        the graph."""
        if self._graph is not None:
            return list(self._graph.neighbors(guid))
        return list(dict.fromkeys(b.node if a.node == guid else a.node
                                  for a, b in self._cables[guid]))

    def neighbors(self, guid: int) -> set[int]:
        return set(self.neighbor_order(guid))

    def cable_keys(self, guid: int) -> list[tuple[PortRef, PortRef]]:
        """Keys of the node's cables, in cabling order (a loopback once)."""
        return list(self._cables[guid])

    # ---------------------------------------------------------- port changes
    def set_port_state(self, ref: PortRef, state: PortState) -> None:
        port = self.port(ref)
        old = port.state
        if old is not state:
            port.state = state
            if self.events.active:
                self.events.emit(PortStateChanged(ref, old, state))

    def assign_lid(self, ref: PortRef, lid: int, lmc: int | None = None) -> None:
        port = self.port(ref)
        new_lmc = port.lmc if lmc is None else check_lmc(lmc)
        old = (port.lid, port.lmc)
        port.lid, port.lmc = lid, new_lmc
        if old != (lid, new_lmc) and self.events.active:
            self.events.emit(LidAssigned(ref, old[0], old[1], lid, new_lmc))

    # --------------------------------------------------------------- queries
    def find(self, text: str) -> list[Node]:
        """Nodes matching a GUID (``0x...`` or bare hex), a LID, a source name or a
        case-insensitive substring of the description."""
        t = text.strip()
        hits: list[Node] = []
        try:
            value = int(t, 0) if t.lower().startswith("0x") else int(t)
        except ValueError:
            value = None
        if value is not None:
            if value in self.nodes:
                hits.append(self.nodes[value])
            hits += [n for n in self.nodes.values()
                     if any(value in p.lids() for p in n.lid_ports()) and n not in hits]
            if hits:
                return hits
        low = t.lower()
        exact = [n for n in self.nodes.values() if n.name == t or n.description == t]
        if exact:
            return exact
        return [n for n in self.nodes.values() if low in n.description.lower()
                or low in n.name.lower()]

    def lid_owners(self) -> dict[int, list[PortRef]]:
        """Every assigned unicast LID (whole LMC ranges) -> the ports answering to it."""
        owners: dict[int, list[PortRef]] = {}
        for node in self.nodes.values():
            for p in node.lid_ports():
                for lid in p.lids():
                    owners.setdefault(lid, []).append(PortRef(node.guid, p.num))
        return owners

    def subnet_of(self, ref: PortRef) -> str:
        """Subnet of a port: a router port belongs to the subnet of its peer."""
        node = self.node(ref.node)
        if node.kind is NodeKind.ROUTER:
            peer = self._peer.get(ref)
            if peer is not None and self.nodes[peer.node].kind is not NodeKind.ROUTER:
                return self.nodes[peer.node].subnet
        return node.subnet

    def _describe(self, ref: PortRef) -> str:
        node = self.nodes.get(ref.node)
        return f"{node.label if node else hex(ref.node)} port {ref.port}"

    # ---------------------------------------------------- copy and compare
    def copy(self) -> Fabric:
        """A deep copy with the same nodes and links and no subscribers (its graph is
        built on first use). The ends are not checked again: they were when cabled."""
        new = Fabric(self.name)
        new.subnets = dict(self.subnets)
        new.source, new.source_format = self.source, self.source_format
        new.warnings = list(self.warnings)
        new.master_sm, new.sim_commands = self.master_sm, list(self.sim_commands)
        new.nodes = {guid: node.copy() for guid, node in self.nodes.items()}
        new.links = {key: link.copy() for key, link in self.links.items()}
        new._peer = dict(self._peer)
        new._graph = None
        cables: dict[int, list[tuple[PortRef, PortRef]]] = {guid: [] for guid in new.nodes}
        for key in new.links:  # in cabling order, as connecting them one by one would
            a, b = key
            cables[a.node].append(key)
            if b.node != a.node:
                cables[b.node].append(key)
        new._cables = cables
        return new

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fabric):
            return NotImplemented
        from ibviz.core.diff import diff_fabrics

        return self.subnets == other.subnets and diff_fabrics(self, other).is_empty

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Fabric({self.name!r}: {self.count(NodeKind.SWITCH)} switches, "
                f"{self.count(NodeKind.CA)} CAs, {self.count(NodeKind.ROUTER)} routers, "
                f"{len(self.links)} links)")

    def cabled_ports(self) -> Iterable[PortRef]:
        return self._peer.keys()
