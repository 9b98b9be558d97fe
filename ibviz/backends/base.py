"""The one interface every backend implements; the GUI and the CLI use nothing else.

A backend holds a :class:`~ibviz.core.fabric.Fabric` (the topology, with each port's LID
and LMC) and a :class:`~ibviz.core.sm.manager.SubnetManager` that *mirrors* the subnet's
state: ``sm.lfts``, ``sm.mfts``, ``sm.switch_info``, ``sm.sa.groups``, ``sm.failed`` and
``sm.down_links``. For the built-in simulation that object is the SM itself; for OpenSM
it is filled from what the real OpenSM programmed, so the same views and the same packet
simulator work on both. Changes are published as core events on ``fabric.events``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from ibviz.core import actions as act
from ibviz.core.bulk import Progress
from ibviz.core.events import EventBus
from ibviz.core.fabric import Fabric
from ibviz.core.failover.policy import Protection
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.records import JoinState


class BackendError(RuntimeError):
    """A backend cannot do what was asked; the message is meant for the user."""


class ReadOnlyBackend(BackendError):
    """The backend only observes (a real fabric): it cannot fail nodes or join groups."""


@dataclass(frozen=True)
class BackendStatus:
    backend: str
    """Short name shown in the status bar (``built-in``, ``OpenSM lab``, ...)."""
    sm_state: str
    """``MASTER``, ``SUBNET UP``, ``gone``, ``unknown`` ..."""
    detail: str = ""


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do; the GUI asks these, never a backend's type."""

    actions: frozenset[str] = frozenset()
    """Kinds of :mod:`ibviz.core.actions` that :meth:`Backend.apply` takes (none: read-only)."""
    undo: bool = False
    """Actions can be undone and redone (the session is re-simulated)."""
    step_back: bool = False
    """The view can go back in time (a simulated past to replay)."""
    scripted: bool = False
    """A scenario's script plays on the clock; it has an end."""
    what_if: bool = False
    """Changes are simulated by ibviz, nothing real is touched."""
    restart_sm: bool = False
    """The subnet manager can die and be started again."""
    slow_actions: bool = False
    """Actions take wall-clock time (real processes): run them off the GUI thread."""
    saves_session: bool = False
    """The session can be saved to a file and its packets exported as a trace."""
    external: bool = False
    """The state lives outside ibviz (processes, files): closed, the view is dead."""
    polls: bool = False
    """Changes made outside ibviz appear: :meth:`Backend.poll` picks them up."""
    slow_poll: bool = False
    """Polling runs tools (seconds): take a snapshot in a worker, apply it in the caller's
    thread (``take_snapshot`` / ``apply_snapshot``)."""

    @property
    def read_only(self) -> bool:
        return not self.actions

    def can(self, action: act.Action | type[act.Action]) -> bool:
        return action.kind in self.actions


SIMULATED = Capabilities(
    actions=frozenset({*act.TIMELINE_KINDS, "force_mode", "protect"}), undo=True,
    step_back=True, scripted=True, what_if=True, saves_session=True)
"""The built-in simulation's capabilities."""


class Backend(ABC):
    """A source of subnet state and, unless read-only, the place user actions go."""

    name: str = "backend"
    capabilities: Capabilities = Capabilities(external=True, polls=True)

    @property
    def read_only(self) -> bool:
        return self.capabilities.read_only

    fabric: Fabric
    sm: SubnetManager

    @property
    def protection(self) -> Protection:
        """The groups protected on this backend and who serves them (the failover
        policy's roles; ``Protect`` actions add to it)."""
        found = self.__dict__.get("_protection")
        if found is None:
            found = self.__dict__["_protection"] = Protection()
        return found

    @property
    def events(self) -> EventBus:
        return self.fabric.events

    @abstractmethod
    def start(self, progress: Progress | None = None) -> None:
        """Bring the backend up (start processes, read the first state)."""

    def poll(self) -> bool:
        """Pick up changes made outside ibviz; True when something changed."""
        return False

    @abstractmethod
    def status(self) -> BackendStatus:
        """What the status bar shows."""

    def apply(self, action: act.Action) -> object:
        """Do ``action`` (one of :mod:`ibviz.core.actions`); the one entry point for user
        actions, whatever drives the fabric. Raises :class:`BackendError` (or
        :class:`ReadOnlyBackend`) when the backend cannot."""
        raise ReadOnlyBackend(f"{self.name} is read-only: it cannot "
                              f"{act.describe(action).lower()}")

    def fail_node(self, guid: int) -> None:
        raise ReadOnlyBackend(f"{self.name} is read-only: it cannot fail a node")

    def recover_node(self, guid: int) -> None:
        raise ReadOnlyBackend(f"{self.name} is read-only: it cannot fail a node back")

    def join(self, guid: int, mgid: int, join_state: JoinState = JoinState.FULL) -> None:
        raise ReadOnlyBackend(f"{self.name} is read-only: it cannot join a group")

    def leave(self, guid: int, mgid: int) -> None:
        raise ReadOnlyBackend(f"{self.name} is read-only: it cannot leave a group")

    def close(self) -> None:  # noqa: B027 (optional hook: most backends own nothing)
        """Stop child processes and remove temporary files (idempotent)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
