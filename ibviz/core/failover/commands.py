"""User actions as command objects with do/undo, applied through one stack (glue-style).

Each command takes a snapshot of the subnet manager and the controller (including the
simulated clock) before it runs; undo restores it and the SM emits the events that
describe the difference, so views that only listen to events stay right. Redo runs the
command again from the restored state, so it reproduces the same result and times.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ibviz.core.failover.controller import FailoverController
from ibviz.core.failover.model import Mode
from ibviz.core.model import PortRef
from ibviz.core.sm.manager import SmSnapshot, restore, snapshot
from ibviz.core.sm.records import JoinState
from ibviz.core.sm.records import SaMethod as M


@dataclass
class Command:
    """Base: ``name`` is what Undo/Redo menus show."""

    name: str = field(init=False, default="command")
    _memento: Any = field(init=False, default=None, repr=False)

    def run(self, ctl: FailoverController) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def do(self, ctl: FailoverController) -> None:
        self._memento = (snapshot(ctl.sm), _controller_state(ctl))
        self.run(ctl)

    def undo(self, ctl: FailoverController) -> None:
        sm_snap, ctl_state = self._memento
        restore(ctl.sm, sm_snap)
        _set_controller_state(ctl, ctl_state)


def _controller_state(ctl: FailoverController) -> dict[str, Any]:
    return {"serving": dict(ctl.serving), "modes": dict(ctl.modes), "mlids": dict(ctl.mlids),
            "outcomes": list(ctl.outcomes), "lmc_saved": dict(ctl.lmc_saved),
            "groups": {k: copy.copy(pg) for k, pg in ctl.groups.items()},
            "now": ctl.engine.now}


def _set_controller_state(ctl: FailoverController, state: dict[str, Any]) -> None:
    ctl.serving, ctl.modes, ctl.mlids = state["serving"], state["modes"], state["mlids"]
    ctl.outcomes.clear()
    for out in state["outcomes"]:
        ctl.outcomes.append(out)
    ctl.lmc_saved = dict(state["lmc_saved"])
    ctl.groups = {k: copy.copy(pg) for k, pg in state["groups"].items()}
    ctl.engine.now = state["now"]  # commands run the engine dry, so its queue is empty


@dataclass
class FailNode(Command):
    guid: int = 0

    def __post_init__(self) -> None:
        self.name = f"Fail node {self.guid:#x}"

    def run(self, ctl: FailoverController) -> None:
        ctl.fail(self.guid)
        ctl.engine.run()


@dataclass
class FailBack(Command):
    guid: int = 0

    def __post_init__(self) -> None:
        self.name = f"Fail back node {self.guid:#x}"

    def run(self, ctl: FailoverController) -> None:
        ctl.recover(self.guid)
        ctl.engine.run()


@dataclass
class Join(Command):
    group: str = ""
    guid: int = 0
    join_state: JoinState = JoinState.FULL

    def __post_init__(self) -> None:
        self.name = f"Join {self.guid:#x} to {self.group}"

    def run(self, ctl: FailoverController) -> None:
        pg = ctl.groups[self.group]
        ctl.sm.now_us = ctl.engine.now
        ctl._sa(pg, M.SET, self.guid, self.guid, self.join_state, f"user: {self.name}")


@dataclass
class Leave(Command):
    group: str = ""
    guid: int = 0
    join_state: JoinState = JoinState.FULL

    def __post_init__(self) -> None:
        self.name = f"Leave {self.group} ({self.guid:#x})"

    def run(self, ctl: FailoverController) -> None:
        pg = ctl.groups[self.group]
        ctl.sm.now_us = ctl.engine.now
        ctl._sa(pg, M.DELETE, self.guid, self.guid, self.join_state, f"user: {self.name}")


@dataclass
class ForceMode(Command):
    group: str = ""
    mode: Mode = Mode.AUTO

    def __post_init__(self) -> None:
        self.name = f"Force {self.mode.value} for {self.group}"

    def run(self, ctl: FailoverController) -> None:
        pg = ctl.groups[self.group]
        pg.mode = self.mode
        ctl.modes[self.group] = ctl.choose_mode(pg)


@dataclass
class RemapPort(Command):
    switch: int = 0
    primary: int = 0
    not_primary: int = 0

    def __post_init__(self) -> None:
        self.name = f"Remap primary multicast port of {self.switch:#x} to {self.primary}"

    def run(self, ctl: FailoverController) -> None:
        ctl.sm.set_default_mcast_ports(self.switch, self.primary, self.not_primary,
                                       f"user: {self.name}")


class CommandStack:
    """Undo/redo stack; Qt only mirrors it."""

    def __init__(self, ctl: FailoverController) -> None:
        self.ctl = ctl
        self.done: list[Command] = []
        self.undone: list[Command] = []

    def push(self, cmd: Command) -> Command:
        cmd.do(self.ctl)
        self.done.append(cmd)
        self.undone.clear()
        return cmd

    def undo(self) -> Command | None:
        if not self.done:
            return None
        cmd = self.done.pop()
        cmd.undo(self.ctl)
        self.undone.append(cmd)
        return cmd

    def redo(self) -> Command | None:
        if not self.undone:
            return None
        cmd = self.undone.pop()
        cmd.do(self.ctl)
        self.done.append(cmd)
        return cmd

    @property
    def undo_name(self) -> str | None:
        return self.done[-1].name if self.done else None

    @property
    def redo_name(self) -> str | None:
        return self.undone[-1].name if self.undone else None


__all__ = ["Command", "CommandStack", "FailBack", "FailNode", "ForceMode", "Join", "Leave",
           "PortRef", "RemapPort", "SmSnapshot"]
