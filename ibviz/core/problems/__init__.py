"""Health checks of a subnet's state: multicast reach, MFT branches, unicast paths, LIDs,
links. They read a fabric and a subnet manager (the simulation's own, or a mirror filled
from a real fabric's dumps), so ``ibviz check`` and the window's Problems panel share them.

>>> report = check_subnet(fabric, sm)
>>> [str(p) for p in report.problems]
"""

from __future__ import annotations

from ibviz.core import checks
from ibviz.core.fabric import Fabric
from ibviz.core.model import PortRef
from ibviz.core.naming import describe_node, plural
from ibviz.core.problems.model import Problem, Report, Severity
from ibviz.core.problems.multicast import check_branches, check_group, live_peers
from ibviz.core.problems.unicast import check_unicast
from ibviz.core.sm.manager import SubnetManager

__all__ = ["Problem", "Report", "Severity", "check_subnet"]


def check_subnet(fabric: Fabric, sm: SubnetManager, *, groups_known: bool = True,
                 members_unknown: frozenset[int] = frozenset(),
                 lfts_known: bool = True) -> Report:
    """Run every check.

    Parameters
    ----------
    groups_known : bool
        The SA's group list is complete (so an MLID in an MFT with no group is stale).
    members_unknown : frozenset of int
        MGIDs whose members the source did not list: their reach is not checked.
    lfts_known : bool
        LFTs were read; without them unicast paths are not checked.
    """
    report = Report()
    groups = sm.sa.groups
    live = live_peers(fabric)
    for mgid, group in sorted(groups.items(), key=lambda kv: kv[1].mlid):
        if mgid in members_unknown:
            continue
        if not group.members and not group.well_known:
            report.problems.append(Problem(
                "group-no-members", Severity.WARNING,
                f"MLID {group.mlid:#06x}", "the SA lists the group with no members",
                mlid=group.mlid))
            continue
        if group.members:
            report.problems += check_group(fabric, sm, group, live)
    if members_unknown:
        report.notes.append(f"{plural(len(members_unknown), 'group')} without a member list (e.g. "
                            "saquery -g, ibroute -M): their reach was not checked")
    report.problems += check_branches(fabric, sm, groups)
    mlids = {g.mlid for g in groups.values()}
    stale = sorted({mlid for t in sm.mfts.values() for mlid in t} - mlids)
    if groups_known:
        for mlid in stale:
            where = sorted(sw for sw, t in sm.mfts.items() if mlid in t)
            report.problems.append(Problem(
                "mft-no-group", Severity.WARNING, f"MLID {mlid:#06x}",
                f"MFT entries on {plural(len(where), 'switch')} (e.g. {describe_node(fabric, where[0])}) "
                "but the SA has no group with this MLID", tuple(where), mlid=mlid))
    elif stale:
        report.notes.append("no SA group list read: MFT entries were not checked against groups")
    pairs = 0
    if lfts_known and sm.lfts:
        unicast, pairs = check_unicast(fabric, sm.lfts)
        report.problems += unicast
    else:
        report.notes.append("no LFTs read: unicast paths were not checked")
    report.problems += _lid_and_link_problems(fabric)
    report.checked = {
        "switches": sum(1 for _ in fabric.switches()), "cas": sum(1 for _ in fabric.cas()),
        "links": len(fabric.links), "lids": len(fabric.lid_owners()),
        "groups": len(groups), "members": sum(len(g.members) for g in groups.values()),
        "mft_entries": sum(len(t) for t in sm.mfts.values()),
        "lft_paths": pairs}
    return report


def _lid_and_link_problems(fabric: Fabric) -> list[Problem]:
    found: list[Problem] = []
    for lid, refs in checks.duplicate_lids(fabric).items():
        found.append(Problem("duplicate-lid", Severity.ERROR, f"LID {lid:#06x}",
                             "claimed by " + ", ".join(describe_node(fabric, r.node, r.port)
                                                       for r in refs),
                             tuple(r.node for r in refs), lid=lid))
    for f in checks.lmc_overlaps(fabric):
        found.append(_finding(fabric, "lmc-overlap", Severity.ERROR, f))
    for f in checks.bad_lids(fabric):
        found.append(_finding(fabric, "lid-out-of-range", Severity.WARNING, f))
    for f in checks.degraded_links(fabric):
        found.append(_finding(fabric, "degraded-link", Severity.WARNING, f))
    return found


def _finding(fabric: Fabric, kind: str, severity: Severity, f: checks.Finding) -> Problem:
    refs: tuple[PortRef, ...] = f.ports
    subject = " <-> ".join(f"{describe_node(fabric, r.node, r.port)}[{r.port}]" for r in refs)
    return Problem(kind, severity, subject or kind, f.message, tuple(r.node for r in refs))
