"""Consistency checks an operator wants on a loaded fabric.

Duplicate LIDs, overlapping LMC ranges, LIDs outside the unicast range, unassigned
LIDs and links running below what their ends otherwise run at.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ibviz.core.addressing import is_unicast_lid, lid_kind
from ibviz.core.fabric import Fabric
from ibviz.core.model import Link, NodeKind, PortRef
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


def _best_other(fabric: Fabric, guid: int, skip: Link) -> tuple[int, int] | None:
    """Widest width and fastest speed rank among a node's other links."""
    others = [lk for lk in fabric.node_links(guid) if lk is not skip and lk.width and lk.speed]
    if not others:
        return None
    return (max(lk.width.lanes for lk in others), max(lk.speed.rank for lk in others))


SPEED_GENERATIONS_BEHIND = 3
"""A link this many speed generations behind its ends' best links is flagged.

One or two generations behind is normal mixing (an EDR HCA on an HDR switch, QDR HCAs
on an FDR10 fabric); three or more (SDR in an HDR fabric) is a fallen-back link."""


def degraded_links(fabric: Fabric) -> list[Finding]:
    """Links that look degraded: narrower than, or :data:`SPEED_GENERATIONS_BEHIND`
    speed generations behind, the best other link at each end that has other links.

    Without PortInfo's "supported" fields a file cannot prove a link degraded; a link
    running far below its neighbours is the usual sign of a bad cable or a fallen-back
    port (1xSDR among 4xSDR links, 4xSDR HCAs in a 4xHDR fabric).
    """
    found = []
    for link in fabric.links.values():
        if not (link.width and link.speed):
            continue
        ends = [_best_other(fabric, link.a.node, link), _best_other(fabric, link.b.node, link)]
        ends = [e for e in ends if e is not None]
        if not ends:
            continue
        narrow = all(link.width.lanes < w for w, _ in ends)
        slow = all(s - link.speed.rank >= SPEED_GENERATIONS_BEHIND for _, s in ends)
        if narrow or slow:
            what = " and ".join(x for x, flag in (("narrower", narrow), ("slower", slow)) if flag)
            found.append(Finding(
                "degraded", f"link {fabric.nodes[link.a.node].label}[{link.a.port}] <-> "
                f"{fabric.nodes[link.b.node].label}[{link.b.port}] runs "
                f"{format_width_speed(link.width, link.speed)}, {what} than the other links "
                "at its ends: possibly degraded", (link.a, link.b)))
    return found


def run_all(fabric: Fabric) -> list[Finding]:
    """Every check, in a stable order."""
    found: list[Finding] = []
    for lid, refs in duplicate_lids(fabric).items():
        names = ", ".join(_label(fabric, r) for r in refs)
        found.append(Finding("duplicate-lid", f"LID {lid} ({lid:#06x}) is used by {names}",
                             tuple(refs)))
    found += lmc_overlaps(fabric) + bad_lids(fabric) + unassigned_lids(fabric)
    found += degraded_links(fabric)
    return found


def speed_histogram(fabric: Fabric) -> Counter[str]:
    return Counter(format_width_speed(lk.width, lk.speed) if lk.width and lk.speed else "unknown"
                   for lk in fabric.links.values())
