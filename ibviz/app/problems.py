"""The health checks of :mod:`ibviz.core.problems` on whatever the window or ``ibviz
check`` shows: a read-only attach of dump files (told what its files did not say), a lab,
or the simulation; and what a problem is about, so a view can select it.

>>> report = check_shown(session.fabric, session.sm, backend)
>>> problem_target(report.problems[0], session.sm.sa.groups)   # Target(node=..., mgid=...)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ibviz.backends.attach import RealFabric
from ibviz.core.fabric import Fabric
from ibviz.core.problems import Problem, Report, check_subnet
from ibviz.core.sm.groups import McGroup


def run_check(backend: RealFabric) -> Report:
    """The checks on a started read-only backend, told what its files did not say."""
    state = backend.state
    assert state is not None
    unknown = frozenset(mgid for mgid, g in state.groups.items() if not g.members_known)
    report = check_subnet(backend.fabric, backend.sm, groups_known=state.groups_complete,
                          members_unknown=unknown, lfts_known=bool(state.lfts))
    if not state.groups and not state.mfts:
        report.notes.append("no multicast groups or MFTs read (opensm-sa.dump, saquery, "
                            "opensm.mcfdbs, ibroute -M): multicast was not checked")
    report.notes[:0] = [f"{w}" for w in state.warnings if w.kind == "skipped"]
    report.notes += backend.notes
    return report


def check_shown(fabric: Fabric, sm: Any, backend: Any = None) -> Report:
    """Check what is shown: ``backend``'s files when it is a read-only attach, else the
    state of ``fabric`` and ``sm`` (a lab's mirror, the simulation's own SM)."""
    if isinstance(backend, RealFabric) and backend.state is not None:
        return run_check(backend)
    return check_subnet(fabric, sm)


@dataclass(frozen=True)
class Target:
    """What selecting a problem selects: a node (switch or CA) and/or a group (or, for an
    MLID no group owns, that MLID's MFT entries)."""

    node: int | None = None
    mgid: int | None = None
    mlid: int | None = None


def problem_target(problem: Problem, groups: dict[int, McGroup]) -> Target:
    """The node and group ``problem`` is about (its first named node: the unreached
    member, the switch with the bad MFT entry, the first claimant of a LID)."""
    mgid = None
    if problem.mlid is not None:
        mgid = next((m for m, g in groups.items() if g.mlid == problem.mlid), None)
    return Target(problem.nodes[0] if problem.nodes else None, mgid, problem.mlid)
