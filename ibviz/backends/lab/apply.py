"""The OpenSM lab's :meth:`~ibviz.backends.base.Backend.apply`: each action kind mapped to
one of :class:`~ibviz.backends.lab.OpenSmLab`'s public methods, with the failover policy of
:mod:`ibviz.core.failover.policy` (OpenSM does not fail a group over by itself)."""

from __future__ import annotations

from typing import Protocol

from ibviz.backends.base import BackendError, Capabilities
from ibviz.backends.lab.failover import MODE2_NOTE
from ibviz.core import actions as act
from ibviz.core.failover.model import Mode, Outcome, ProtectedGroup
from ibviz.core.failover.policy import Protection, steps
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.records import JoinState

LAB_CAPABILITIES = Capabilities(
    actions=frozenset({"fail", "failback", "join", "leave", "protect", "takeover", "giveback",
                       "restart_sm"}),
    restart_sm=True, slow_actions=True, external=True, polls=True)
LAB_REASON = "MLID reassignment on the real OpenSM"


class Lab(Protocol):
    """The public methods of :class:`~ibviz.backends.lab.OpenSmLab` that actions use."""

    sm: SubnetManager

    @property
    def protection(self) -> Protection: ...
    def fail_node(self, guid: int, timeout: float = ...) -> None: ...
    def recover_node(self, guid: int, timeout: float = ...) -> None: ...
    def join(self, guid: int, mgid: int, join_state: JoinState = ...) -> None: ...
    def leave(self, guid: int, mgid: int) -> None: ...
    def failover_mlid(self, group_mgid: int, primary_guid: int, takeover_guid: int,
                      timeout: float = ...) -> Outcome: ...
    def failback_mlid(self, group_mgid: int, primary_guid: int, takeover_guid: int,
                      timeout: float = ...) -> Outcome: ...
    def failover_port(self, primary_guid: int, takeover_guid: int,
                      mlid: int = ...) -> Outcome: ...
    def failback_port(self, primary_guid: int, takeover_guid: int,
                      mlid: int = ...) -> Outcome: ...
    def restart_sm(self) -> None: ...


def apply_to_lab(lab: Lab, action: act.Action) -> list[Outcome]:
    """Do ``action`` on ``lab`` and what the policy adds to it (a failure is followed by the
    takeover of the groups the node served); returns the failovers' and failbacks'
    outcomes, named after their group, for the caller to record."""
    outcomes = []
    for step in steps(lab.protection, action, lab.sm.failed):
        out = _one(lab, step)
        if out is not None and isinstance(step, act.TakeOver | act.GiveBack):
            out.group = lab.protection.name_of(step.mgid) or out.group
            outcomes.append(out)
    return outcomes


def _one(lab: Lab, a: act.Action) -> Outcome | None:
    if isinstance(a, act.Fail):
        lab.fail_node(a.node)
    elif isinstance(a, act.FailBack):
        lab.recover_node(a.node)
    elif isinstance(a, act.Join):
        lab.join(a.node, lab.protection.mgid_of(a.group),
                 JoinState(act.JOIN_STATES[a.join_state]))
    elif isinstance(a, act.Leave):
        lab.leave(a.node, lab.protection.mgid_of(a.group))
    elif isinstance(a, act.TakeOver):
        if a.mode == "port":
            return lab.failover_port(a.primary, a.takeover)
        return lab.failover_mlid(a.mgid, a.primary, a.takeover)
    elif isinstance(a, act.GiveBack):
        if a.mode == "port":
            return lab.failback_port(a.primary, a.takeover)
        return lab.failback_mlid(a.mgid, a.primary, a.takeover)
    elif isinstance(a, act.Protect):
        mode = Mode(a.mode)
        lab.protection.protect(ProtectedGroup(a.group, a.mgid, a.primary, a.takeover,
                                              list(a.senders), mode),
                               f"{LAB_REASON}; mode 2 is not run by the lab: {MODE2_NOTE}")
    elif isinstance(a, act.RestartSm):
        lab.restart_sm()
    else:
        raise BackendError(f"the OpenSM lab cannot {act.describe(a).lower()}")
    return None
