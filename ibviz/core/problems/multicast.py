"""Multicast health: does every member's packet reach every other member on the real MFTs?

This is ``ibtracert -m`` for all pairs of members of every group, done at once: a packet
entering switch ``S`` on port ``p`` leaves by :func:`multicast_out_ports` (the MFT entry,
never back out of ``p``; SwitchInfo's default ports where a switch keeps no table), and
what a switch entry reaches is memoised, so a group costs O(tree) plus one set union per
member, not O(members x tree).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef, PortState
from ibviz.core.naming import describe_node, plural
from ibviz.core.problems.model import Problem, Severity
from ibviz.core.sm.groups import McGroup
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.multicast import multicast_out_ports
from ibviz.core.sm.switchinfo import SwitchInfo

EXAMPLES = 3
"""How many examples a problem's detail names before saying how many more there are."""


@dataclass
class _Reach:
    """What a packet entering one switch on one port reaches."""

    ports: frozenset[PortRef] = frozenset()
    """CA/router ports (and switch port 0s) it is delivered to."""
    switches: frozenset[int] = frozenset()
    twice: set[int] = field(default_factory=set)
    """Switches it reaches more than once (a loop, or two paths to one switch)."""


def _group_name(group: McGroup) -> str:
    return f"MLID {group.mlid:#06x} ({ipaddress.IPv6Address(group.mgid)})"


def _examples(fabric: Fabric, refs: list[PortRef]) -> str:
    text = ", ".join(describe_node(fabric, r.node, r.port) for r in refs[:EXAMPLES])
    return text + (f" and {len(refs) - EXAMPLES} more" if len(refs) > EXAMPLES else "")


def live_peers(fabric: Fabric) -> dict[PortRef, PortRef]:
    """Port -> the port cabled to it, for cables with neither end DOWN (what a packet
    can cross); one pass, shared by every group's walk."""
    live: dict[PortRef, PortRef] = {}
    down = PortState.DOWN
    nodes = fabric.nodes
    for node in nodes.values():
        for num, port in node.ports.items():
            if port.state is down:
                continue
            ref = PortRef(node.guid, num)
            peer = fabric.peer(ref)
            if peer is not None and nodes[peer.node].ports[peer.port].state is not down:
                live[ref] = peer
    return live


class LivePeers:
    """:func:`live_peers` read lazily, port by port (one group's walk over a big fabric
    visits a few hundred ports, not all of them)."""

    def __init__(self, fabric: Fabric) -> None:
        self.fabric = fabric
        self._memo: dict[PortRef, PortRef | None] = {}

    def get(self, ref: PortRef) -> PortRef | None:
        if ref in self._memo:
            return self._memo[ref]
        nodes, down, found = self.fabric.nodes, PortState.DOWN, None
        port = nodes[ref.node].ports.get(ref.port)
        peer = self.fabric.peer(ref) if port is not None and port.state is not down else None
        if peer is not None and nodes[peer.node].ports[peer.port].state is not down:
            found = peer
        self._memo[ref] = found
        return found


class _GroupWalk:
    def __init__(self, fabric: Fabric, sm: SubnetManager, group: McGroup,
                 live: dict[PortRef, PortRef] | LivePeers | None = None) -> None:
        self.fabric, self.sm, self.mlid = fabric, sm, group.mlid
        self.memo: dict[tuple[int, int], _Reach] = {}
        self.live = LivePeers(fabric) if live is None else live

    def _outs(self, switch: int, in_port: int) -> frozenset[int]:
        info = self.sm.switch_info.get(switch) or SwitchInfo()
        entry = self.sm.mfts.get(switch, {}).get(self.mlid)
        return multicast_out_ports(info, entry, in_port)

    def _live_peer(self, ref: PortRef) -> PortRef | None:
        return self.live.get(ref)

    def enter(self, switch: int, in_port: int) -> _Reach:
        """What a packet entering ``switch`` on ``in_port`` reaches (iterative post-order:
        rings of a thousand switches need no deep recursion)."""
        stack: list[tuple[tuple[int, int], list[tuple[int, int]] | None]] = [
            ((switch, in_port), None)]
        busy: set[tuple[int, int]] = set()
        loops: dict[tuple[int, int], set[int]] = {}
        while stack:
            key, children = stack.pop()
            if key in self.memo:
                continue
            sw, port = key
            if children is None:
                busy.add(key)
                children = []
                for out in sorted(self._outs(sw, port)):
                    peer = self._live_peer(PortRef(sw, out)) if out else None
                    if peer is not None and self.fabric.nodes[peer.node].kind is NodeKind.SWITCH:
                        child = (peer.node, peer.port)
                        if child in busy:  # the walk comes back to where it is: a loop
                            loops.setdefault(key, set()).add(peer.node)
                            continue
                        children.append(child)
                stack.append((key, children))
                stack.extend((c, None) for c in children if c not in self.memo)
                continue
            self.memo[key] = self._combine(sw, port, children, loops.get(key, set()))
            busy.discard(key)
        return self.memo[(switch, in_port)]

    def _combine(self, sw: int, port: int, children: list[tuple[int, int]],
                 loop_to: set[int]) -> _Reach:
        ports: set[PortRef] = set()
        seen = {sw}
        twice = set(loop_to)
        for out in self._outs(sw, port):
            if out == 0:
                ports.add(PortRef(sw, 0))
                continue
            peer = self._live_peer(PortRef(sw, out))
            if peer is not None and self.fabric.nodes[peer.node].kind is not NodeKind.SWITCH:
                ports.add(peer)
        for child in children:
            sub = self.memo[child]
            twice |= sub.twice | (seen & sub.switches)
            seen |= sub.switches
            ports |= sub.ports
        return _Reach(frozenset(ports), frozenset(seen), twice)

    def from_member(self, member: PortRef) -> _Reach | None:
        """What a packet sent by ``member`` reaches; None when it cannot leave its port."""
        node = self.fabric.nodes[member.node]
        if node.kind is NodeKind.SWITCH:
            return self.enter(member.node, 0)
        peer = self._live_peer(member)
        if peer is None or self.fabric.nodes[peer.node].kind is not NodeKind.SWITCH:
            return None
        return self.enter(peer.node, peer.port)


def check_group(fabric: Fabric, sm: SubnetManager, group: McGroup,
                live: dict[PortRef, PortRef] | None = None) -> list[Problem]:
    """Member-to-member reach and loops for one group (needs two or more members);
    ``live``: :func:`live_peers` of ``fabric`` when the caller checks many groups."""
    members = [m for m in group.member_ports if m.node in fabric.nodes]
    receivers = set(group.receivers)
    name = _group_name(group)
    if len(members) < 2:
        return []
    if not any(group.mlid in t for t in sm.mfts.values()):
        return [Problem("group-no-mft", Severity.ERROR, name,
                        f"{plural(len(members), 'member')} ({_examples(fabric, members)}) but no switch "
                        "has an MFT entry for the MLID: no member reaches another",
                        tuple(sorted({m.node for m in members})), mlid=group.mlid)]
    walk = _GroupWalk(fabric, sm, group, live)
    missed: dict[PortRef, list[PortRef]] = {}
    twice: set[int] = set()
    for src in members:
        reach = walk.from_member(src)
        got = reach.ports if reach is not None else frozenset()
        if reach is not None:
            twice |= reach.twice
        for dst in receivers - {src} - got:
            missed.setdefault(dst, []).append(src)
    problems = [Problem(
        "member-unreached", Severity.ERROR, name,
        f"member {describe_node(fabric, dst.node, dst.port)} is not reached from "
        f"{len(srcs)} of {plural(len(members) - 1, 'other member')}: {_examples(fabric, sorted(srcs))}",
        (dst.node, *sorted({s.node for s in srcs})), mlid=group.mlid)
        for dst, srcs in sorted(missed.items())]
    for sw in sorted(twice):
        problems.append(Problem(
            "mft-loop", Severity.ERROR, name,
            f"packets reach switch {describe_node(fabric, sw)} more than once (a loop or two "
            "paths in the MFT tree): members get duplicates", (sw,), mlid=group.mlid))
    return problems


def check_branches(fabric: Fabric, sm: SubnetManager, groups: dict[int, McGroup]) -> list[Problem]:
    """Every MFT port of every MLID leads to a member or to a switch that forwards on."""
    by_mlid = {g.mlid: g for g in groups.values()}
    problems: list[Problem] = []
    for sw in sorted(sm.mfts):
        if sw not in fabric.nodes:
            continue
        for mlid, ports in sorted(sm.mfts[sw].items()):
            group = by_mlid.get(mlid)
            members = set(group.members) if group is not None else set()
            subject = _group_name(group) if group is not None else f"MLID {mlid:#06x}"
            for out in sorted(ports):
                problem = _branch(fabric, sm, sw, out, mlid, members, group is not None)
                if problem is not None:
                    kind, severity, text, nodes = problem
                    problems.append(Problem(kind, severity, subject, text, nodes, mlid=mlid))
    return problems


def _branch(fabric: Fabric, sm: SubnetManager, sw: int, out: int, mlid: int,
            members: set[PortRef], known: bool
            ) -> tuple[str, Severity, str, tuple[int, ...]] | None:
    where = f"switch {describe_node(fabric, sw)} port {out}"
    if out == 0:
        return None
    ref = PortRef(sw, out)
    peer = fabric.peer(ref)
    if peer is None:
        return ("mft-dead-end", Severity.ERROR, f"{where} is in the MFT but not cabled", (sw,))
    if PortState.DOWN in (fabric.port(ref).state, fabric.port(peer).state):
        return ("mft-dead-end", Severity.ERROR, f"{where} is in the MFT but its link is down",
                (sw, peer.node))
    node = fabric.nodes[peer.node]
    if node.kind is not NodeKind.SWITCH:
        if known and peer not in members:
            return ("mft-non-member", Severity.WARNING,
                    f"{where} forwards to {describe_node(fabric, peer.node, peer.port)}, "
                    "which is not a member", (sw, peer.node))
        return None
    entry = sm.mfts.get(peer.node, {}).get(mlid)
    info = sm.switch_info.get(peer.node) or SwitchInfo()
    if entry is None and info.keeps_multicast_table:
        return ("mft-dead-end", Severity.ERROR, f"{where} leads to switch "
                f"{describe_node(fabric, peer.node)}, which has no MFT entry for the MLID",
                (sw, peer.node))
    if entry is not None and peer.port not in entry:
        return ("mft-one-way", Severity.ERROR, f"{where} leads to switch "
                f"{describe_node(fabric, peer.node)} port {peer.port}, whose MFT entry "
                f"{sorted(entry)} does not forward back: members behind it never reach "
                "this side", (sw, peer.node))
    return None
