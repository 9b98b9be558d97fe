"""The built-in simulation as a backend: a core :class:`~ibviz.core.scenario.session.Session`
(the built-in SM, the failover controller and the packet simulator on one event engine)
behind the same interface as the OpenSM lab and a real fabric."""

from __future__ import annotations

from ibviz.backends.base import SIMULATED, Backend, BackendStatus, Capabilities, Progress
from ibviz.core import actions as act
from ibviz.core.events import EventBus
from ibviz.core.fabric import Fabric
from ibviz.core.failover.controller import FailoverController
from ibviz.core.scenario.session import Session
from ibviz.core.sm.manager import SubnetManager


class SimBackend(Backend):
    """Actions go to the session at its present time; undo re-simulates from the start.
    The failover controller is its own policy: it fails groups over by itself."""

    name = "built-in"
    capabilities: Capabilities = SIMULATED

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def fabric(self) -> Fabric:  # type: ignore[override]
        return self.session.fabric  # a new object after each undo (same GUIDs)

    @property
    def sm(self) -> SubnetManager:  # type: ignore[override]
        return self.session.sm

    @property
    def events(self) -> EventBus:
        return self.session.events

    @property
    def protection(self) -> FailoverController:  # type: ignore[override]
        return self.session.controller

    def start(self, progress: Progress | None = None) -> None:
        """Nothing to start: the session was built when it was opened."""

    def status(self) -> BackendStatus:
        return BackendStatus(self.name, self.session.sm.state, "simulated by ibviz")

    def apply(self, action: act.Action) -> None:
        """Take ``action`` now (raises a ScenarioError, a ValueError, for a bad one)."""
        self.session.apply(action)
