"""Consistency checks an operator wants on a loaded fabric.

Duplicate LIDs, overlapping LMC ranges, LIDs outside the unicast range, unassigned
LIDs and links running below what their ends otherwise run at.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ibviz.core.addressing import is_unicast_lid, lid_kind
from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.phy import format_width_speed


@dataclass(frozen=True)
class Finding:
    """One problem found by a check."""

    check: str
    message: str
    ports: tuple[PortRef, ...] = field(default=())

    def __str__(self) -> str:
        return self.message


def duplicate_lids(fabric: Fabric) -> dict[int, list[PortRef]]:
    """Base LIDs claimed by more than one port."""
    by_lid: dict[int, list[PortRef]] = {}
    for node in fabric.nodes.values():
        for p in node.lid_ports():
            if p.lid:
                by_lid.setdefault(p.lid, []).append(PortRef(node.guid, p.num))
    return {lid: refs for lid, refs in sorted(by_lid.items()) if len(refs) > 1}


def _label(fabric: Fabric, ref: PortRef) -> str:
    node = fabric.nodes[ref.node]
    return node.label if node.kind is NodeKind.SWITCH else f"{node.label} port {ref.port}"


def lmc_overlaps(fabric: Fabric) -> list[Finding]:
    """LMC ranges that cover another port's LID (duplicates of the base LID excluded)."""
    dup = duplicate_lids(fabric)
    found: list[Finding] = []
    for lid, refs in sorted(fabric.lid_owners().items()):
        if len(refs) > 1 and lid not in dup:
            names = ", ".join(_label(fabric, r) for r in refs)
            found.append(Finding("lmc-overlap", f"LID {lid:#06x} lies in the LMC ranges of "
                                 f"several ports: {names}", tuple(refs)))
    return found


def bad_lids(fabric: Fabric) -> list[Finding]:
    """Port LIDs outside the unicast range (a multicast or permissive value)."""
    found = []
    for node in fabric.nodes.values():
        for p in node.lid_ports():
            if p.lid and not is_unicast_lid(p.lid):
                found.append(Finding(
                    "lid-range", f"{node.label} port {p.num} has LID {p.lid:#06x}, a "
                    f"{lid_kind(p.lid).value} LID (ports need 0x0001-0xbfff)",
                    (PortRef(node.guid, p.num),)))
    return found


def unassigned_lids(fabric: Fabric) -> list[Finding]:
    """Cabled ports with LID 0: the SM has not (yet) configured them."""
    found = []
    for node in fabric.nodes.values():
        for p in node.lid_ports():
            cabled = node.kind is NodeKind.SWITCH or fabric.peer(PortRef(node.guid, p.num))
            if cabled and p.lid == 0:
                found.append(Finding("lid0", f"{node.label} port {p.num} has LID 0 "
                                     "(not configured by the SM)", (PortRef(node.guid, p.num),)))
    return found


class _TopTwo:
    """Largest and second-largest value seen at a node, with how often the largest occurs."""

    __slots__ = ("best", "count", "second")

    def __init__(self) -> None:
        self.best, self.count, self.second = -1, 0, -1

    def add(self, value: int) -> None:
        if value > self.best:
            self.best, self.count, self.second = value, 1, self.best
        elif value == self.best:
            self.count += 1
        elif value > self.second:
            self.second = value

    def best_without(self, value: int) -> int:
        """Best value among the node's *other* links (-1 if it has none)."""
        return self.second if value == self.best and self.count == 1 else self.best


SPEED_GENERATIONS_BEHIND = 3
"""A link this many speed generations behind its ends' best links is flagged.

One or two generations behind is normal mixing (an EDR HCA on an HDR switch, QDR HCAs
on an FDR10 fabric); three or more (SDR in an HDR fabric) is a fallen-back link."""


def degraded_links(fabric: Fabric) -> list[Finding]:
    """Links that look degraded: narrower than, or :data:`SPEED_GENERATIONS_BEHIND`
    speed generations behind, the best other link at each end that has other links.

    Without PortInfo's "supported" fields a file cannot prove a link degraded; a link
    running far below its neighbours is the usual sign of a bad cable or a fallen-back
    port (1xSDR among 4xSDR links, 4xSDR HCAs in a 4xHDR fabric). Runs in O(links).
    """
    known = [lk for lk in fabric.links.values() if lk.width and lk.speed]
    lanes: dict[int, _TopTwo] = {}
    ranks: dict[int, _TopTwo] = {}
    for lk in known:
        w, r = lk.width.lanes, lk.speed.rank
        for guid in {lk.a.node, lk.b.node}:
            top = lanes.get(guid)
            if top is None:
                top = lanes[guid] = _TopTwo()
                ranks[guid] = _TopTwo()
            top.add(w)
            ranks[guid].add(r)
    found = []
    for link in known:
        w, r = link.width.lanes, link.speed.rank
        ends = [(lanes[g].best_without(w), ranks[g].best_without(r))
                for g in {link.a.node, link.b.node}]
        ends = [e for e in ends if e[0] >= 0]
        if not ends:
            continue
        narrow = all(w < best_w for best_w, _ in ends)
        slow = all(best_r - r >= SPEED_GENERATIONS_BEHIND for _, best_r in ends)
        if narrow or slow:
            what = " and ".join(x for x, flag in (("narrower", narrow), ("slower", slow)) if flag)
            found.append(Finding(
                "degraded", f"link {fabric.nodes[link.a.node].label}[{link.a.port}] <-> "
                f"{fabric.nodes[link.b.node].label}[{link.b.port}] runs "
                f"{format_width_speed(link.width, link.speed)}, {what} than the other links "
                "at its ends: possibly degraded", (link.a, link.b)))
    return found


def speed_histogram(fabric: Fabric) -> Counter[str]:
    """Cables per width and speed, e.g. ``{"4xHDR": 800, "4x?": 2}`` (``?`` = not known)."""
    return Counter((lk.width.label if lk.width else "?") + (lk.speed.label if lk.speed else "?")
                   for lk in fabric.links.values())
