"""What the window's controller needs of the session it shows, whichever backend drives
it: the built-in :class:`~ibviz.core.scenario.session.Session` or a
:class:`~ibviz.app.live_session.LiveSession` (the seam between the GUI and the app layer,
typed: no ``Any``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from ibviz.core import actions as act
from ibviz.core.events import EventBus
from ibviz.core.fabric import Fabric
from ibviz.core.scenario.protocols import LogEntry
from ibviz.core.sim.hoplog import HopLog
from ibviz.core.sm.manager import SubnetManager


class ShownSession(Protocol):
    fabric: Fabric
    sm: SubnetManager
    events: EventBus
    log: list[LogEntry]
    busy: bool
    """A slow action is under way, until its outcome is recorded."""

    @property
    def now_us(self) -> float: ...
    @property
    def duration_us(self) -> float: ...
    @property
    def hops(self) -> HopLog: ...
    @property
    def undo_name(self) -> str | None: ...
    @property
    def redo_name(self) -> str | None: ...

    def run_until(self, t_us: float) -> None: ...
    def failover_times(self) -> list[float]: ...
    def undo(self) -> str | None: ...
    def redo(self) -> str | None: ...
    def begin(self, action: act.Action) -> Callable[[], object]:
        """Start a slow action (GUI thread); returns the work for a worker thread."""
        ...
    def finish(self, result: object) -> None:
        """The slow action's work is done (GUI thread): record, then not busy."""
        ...


@runtime_checkable
class Rewinds(Protocol):
    """A session that goes back in time by re-simulating (the built-in simulation)."""

    def seek(self, t_us: float) -> None: ...
    def next_event_us(self) -> float: ...
