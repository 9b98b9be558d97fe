"""One multicast group's tree as a table, without Qt: per switch with an MFT entry for the
group's MLID, the egress ports and what each leads to (host name and port), and which
members every other member reaches on those MFTs (the walk of ``ibviz check``).

>>> tree = mlid_tree(fabric, sm, mgid)
>>> [(b.switch, b.ports, b.leads_to) for b in tree.branches]
>>> tree.unreached   # [(PortRef(...), "node0009 (0x..., LID 10)", "missed by 2 of 3 others"), ...]
>>> tree.missed_by[PortRef(...)]   # ["node0001", "node0017"]: who misses it
>>> tree.branches[0].faults        # per port: "" or what ``ibviz check`` finds there

An MLID in the MFTs that no SA group owns has a tree too (``mlid_tree_of(fabric, sm,
mlid)``): branches and their faults, no members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ibviz.core.addressing import format_gid
from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef, PortState
from ibviz.core.naming import describe_node, node_name
from ibviz.core.problems.multicast import _branch, _GroupWalk


@dataclass(frozen=True)
class Branch:
    """A switch of the tree: its MFT ports for the MLID and, per port, where it leads."""

    switch: int
    name: str
    ports: tuple[int, ...]
    leads_to: tuple[str, ...]
    faults: tuple[str, ...] = ()
    """Per port: "" or the check's finding (a dead end, a branch to a non-member...)."""


@dataclass
class MlidTree:
    mgid: int | None
    """None: an MLID in the MFTs that no SA group owns."""
    mlid: int
    title: str
    branches: list[Branch] = field(default_factory=list)
    reached: list[tuple[PortRef, str, str]] = field(default_factory=list)
    """Members every other member reaches: (port, its name, ``"all 3 other members"``, or
    the one other member's name)."""
    unreached: list[tuple[PortRef, str, str]] = field(default_factory=list)
    """Members some other member does not reach: (port, name, ``"missed by 1 of 3
    others"``)."""
    missed_by: dict[PortRef, list[str]] = field(default_factory=dict)
    """Per unreached member: the names of the members that miss it."""
    missing: list[tuple[int, str, str]] = field(default_factory=list)
    """Missing branches: (switch, its name, ``"no MFT port 3 to node0009 (a member)"``)."""

    @property
    def faults(self) -> int:
        """Faulty rows: branches with a finding, missing branches, unreached members."""
        return sum(1 for b in self.branches for f in b.faults if f) + len(self.missing) + \
            len(self.unreached)


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


def _branches(fabric: Fabric, sm: Any, mlid: int, members: set[PortRef],
              known: bool) -> list[Branch]:
    out = []
    for sw in sorted(sm.mfts, key=lambda g: node_name(fabric.nodes[g])
                     if g in fabric.nodes else ""):
        ports = sm.mfts[sw].get(mlid)
        if ports is None or sw not in fabric.nodes:
            continue
        ordered = tuple(sorted(ports))
        faults = []
        for p in ordered:
            found = _branch(fabric, sm, sw, p, mlid, members, known)
            faults.append(f"{found[0]}: {found[2]}" if found is not None else "")
        out.append(Branch(sw, node_name(fabric.nodes[sw]), ordered,
                          tuple(_leads_to(fabric, PortRef(sw, p)) for p in ordered),
                          tuple(faults)))
    return out


def mlid_tree_of(fabric: Fabric, sm: Any, mlid: int) -> MlidTree:
    """The MFT entries of an MLID no SA group owns (every branch leads to no member)."""
    tree = MlidTree(None, mlid, f"MLID {mlid:#06x} (no SA group: MFT entries only)")
    tree.branches = _branches(fabric, sm, mlid, set(), False)
    return tree


def orphan_mlids(sm: Any) -> list[int]:
    """MLIDs in the MFTs that no SA group owns."""
    owned = {g.mlid for g in sm.sa.groups.values()}
    return sorted({m for t in sm.mfts.values() for m in t} - owned)


def _missing(fabric: Fabric, sm: Any, mlid: int, members: list[PortRef]
             ) -> list[tuple[int, str, str]]:
    """Receiving members' own switches with no MFT port to them (the branch the tree
    lacks; a send-only member needs none)."""
    out = []
    for m in members:
        node = fabric.nodes[m.node]
        if node.kind is NodeKind.SWITCH:
            continue
        peer = fabric.peer(m)
        if peer is None or peer.node not in sm.mfts:
            continue
        entry = sm.mfts[peer.node].get(mlid)
        if entry is None or peer.port not in entry:
            out.append((peer.node, node_name(fabric.nodes[peer.node]),
                        f"no MFT port {peer.port} to {node_name(node)} (a receiving member)"
                        + ("" if entry is not None else ": no entry for the MLID")))
    return out


def mlid_tree(fabric: Fabric, sm: Any, mgid: int) -> MlidTree | None:
    """The tree of group ``mgid`` (None: the SA has no such group)."""
    group = sm.sa.groups.get(mgid)
    if group is None:
        return None
    tree = MlidTree(mgid, group.mlid, f"MLID {group.mlid:#06x} ({format_gid(mgid)})")
    members = [m for m in group.member_ports if m.node in fabric.nodes]
    tree.branches = _branches(fabric, sm, group.mlid, set(group.members), True)
    receivers = [r for r in group.receivers if r.node in fabric.nodes]
    tree.missing = _missing(fabric, sm, group.mlid, receivers)
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
            tree.missed_by[dst] = [node_name(fabric.nodes[s.node]) for s in others
                                   if dst not in _ports(reach[s])]
    return tree
