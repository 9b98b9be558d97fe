"""One multicast group's tree as a table, without Qt: per switch with an MFT entry for the
group's MLID, the egress ports and what each leads to (host name and port), and which
members every other member reaches on those MFTs (the walk of ``ibviz check``).

>>> tree = mlid_tree(fabric, sm, mgid)
>>> [(b.switch, b.ports, b.leads_to) for b in tree.branches]
>>> tree.unreached   # [(PortRef(...), "node0009 (0x..., LID 10)", "missed by 2 of 3 others"), ...]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ibviz.core.addressing import format_gid
from ibviz.core.fabric import Fabric
from ibviz.core.model import PortRef, PortState
from ibviz.core.naming import describe_node, node_name
from ibviz.core.problems.multicast import _GroupWalk


@dataclass(frozen=True)
class Branch:
    """A switch of the tree: its MFT ports for the MLID and, per port, where it leads."""

    switch: int
    name: str
    ports: tuple[int, ...]
    leads_to: tuple[str, ...]


@dataclass
class MlidTree:
    mgid: int
    mlid: int
    title: str
    branches: list[Branch] = field(default_factory=list)
    reached: list[tuple[PortRef, str, str]] = field(default_factory=list)
    """Members every other member reaches: (port, its name, ``"all 3 other members"``, or
    the one other member's name)."""
    unreached: list[tuple[PortRef, str, str]] = field(default_factory=list)
    """Members some other member does not reach: (port, name, ``"missed by 1 of 3
    others"``)."""


def _leads_to(fabric: Fabric, ref: PortRef) -> str:
    if ref.port == 0:
        return "the switch itself (port 0)"
    if ref.port not in fabric.nodes[ref.node].ports:
        return "no such port"
    peer = fabric.peer(ref)
    if peer is None:
        return "not cabled"
    text = f"{node_name(fabric.nodes[peer.node])} port {peer.port}"
    if PortState.DOWN in (fabric.port(ref).state, fabric.port(peer).state):
        text += " (link down)"
    return text


def _ports(reach: Any) -> frozenset[PortRef]:
    return reach.ports if reach is not None else frozenset()


def mft_links(fabric: Fabric, sm: Any, mlid: int) -> set[tuple[PortRef, PortRef]]:
    """The links an MLID's MFT entries send on (for an MLID no SA group owns: a stale
    tree the canvas can still draw)."""
    links = set()
    for sw, table in sm.mfts.items():
        for port in table.get(mlid, ()):
            link = fabric.link_at(PortRef(sw, port)) if sw in fabric.nodes else None
            if link is not None:
                links.add(link.key)
    return links


def mlid_tree(fabric: Fabric, sm: Any, mgid: int) -> MlidTree | None:
    """The tree of group ``mgid`` (None: the SA has no such group)."""
    group = sm.sa.groups.get(mgid)
    if group is None:
        return None
    tree = MlidTree(mgid, group.mlid, f"MLID {group.mlid:#06x} ({format_gid(mgid)})")
    for sw in sorted(sm.mfts, key=lambda g: node_name(fabric.nodes[g])
                     if g in fabric.nodes else ""):
        ports = sm.mfts[sw].get(group.mlid)
        if ports is None or sw not in fabric.nodes:
            continue
        ordered = tuple(sorted(ports))
        tree.branches.append(Branch(sw, node_name(fabric.nodes[sw]), ordered,
                                    tuple(_leads_to(fabric, PortRef(sw, p)) for p in ordered)))
    members = [m for m in group.member_ports if m.node in fabric.nodes]
    receivers = [r for r in group.receivers if r.node in fabric.nodes]
    walk = _GroupWalk(fabric, sm, group)
    reach = {src: walk.from_member(src) for src in members}
    for dst in sorted(receivers):
        others = [s for s in members if s != dst]
        got = sum(1 for s in others if dst in _ports(reach[s]))
        name = describe_node(fabric, dst.node, dst.port)
        if got == len(others):
            how = ("no other member (the only one)" if not others else
                   node_name(fabric.nodes[others[0].node])
                   if len(others) == 1 else f"all {len(others)} other members")
            tree.reached.append((dst, name, how))
        else:
            tree.unreached.append((dst, name, f"missed by {len(others) - got} of "
                                              f"{len(others)} others"))
    return tree
