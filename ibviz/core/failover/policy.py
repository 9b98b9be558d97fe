"""The failover policy for a backend whose subnet manager does not fail groups over by
itself (the real OpenSM): which groups a node's failure or return concerns, who takes over,
with which mode. The built-in simulation's :class:`~ibviz.core.failover.controller.
FailoverController` applies the same roles on its own; this module is the policy, written
once, for every other backend (the window's live session, ``ibviz run --backend lab``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from ibviz.core import actions as act
from ibviz.core.failover.model import Mode, Outcome, ProtectedGroup


@dataclass
class Protection:
    """The protected groups and who serves each now (the controller's view of them)."""

    groups: dict[str, ProtectedGroup] = field(default_factory=dict)
    modes: dict[str, tuple[Mode, str]] = field(default_factory=dict)
    serving: dict[str, int | None] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)

    def protect(self, group: ProtectedGroup, reason: str) -> None:
        self.groups[group.name] = group
        self.modes[group.name] = (group.mode, reason)
        self.serving[group.name] = group.primary

    def served_by(self, guid: int) -> list[ProtectedGroup]:
        """Groups ``guid`` serves now (its failure needs a failover)."""
        return [pg for name, pg in self.groups.items() if self.serving.get(name) == guid]

    def primary_of(self, guid: int) -> list[ProtectedGroup]:
        """Groups whose primary is ``guid`` and that someone else serves now."""
        return [pg for name, pg in self.groups.items()
                if pg.primary == guid and self.serving.get(name) != guid]

    def name_of(self, mgid: int) -> str | None:
        return next((name for name, pg in self.groups.items() if pg.mgid == mgid), None)

    def mgid_of(self, group: str) -> int:
        """The MGID of protected group ``group`` (KeyError naming it when unknown)."""
        pg = self.groups.get(group)
        if pg is None:
            raise KeyError(f"no protected group {group!r}")
        return pg.mgid

    def record(self, out: Outcome) -> None:
        """Keep a finished failover or failback: the group's server moves on success."""
        self.outcomes.append(out)
        if not out.problem:
            self.serving[out.group] = out.target


def _mode(pg: ProtectedGroup) -> str:
    return "port" if pg.mode is Mode.PORT else "mlid"


def steps(protection: Protection, action: act.Action,
          failed: Collection[int] = ()) -> list[act.Action]:
    """What the backend does for the user's ``action``: a failure is followed by a takeover
    of every group the node serves (unless the takeover is down too); a return gives back
    every group the node is the primary of (the give-back brings the node back itself)."""
    if isinstance(action, act.Fail):
        return [action] + [act.TakeOver(pg.mgid, action.node, pg.takeover, _mode(pg))
                           for pg in protection.served_by(action.node)
                           if pg.takeover not in failed and pg.takeover != action.node]
    if isinstance(action, act.FailBack):
        groups = protection.primary_of(action.node)
        if not groups:
            return [action]
        return [act.GiveBack(pg.mgid, action.node, pg.takeover, _mode(pg)) for pg in groups]
    return [action]
