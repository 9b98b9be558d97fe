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
from collections.abc import Callable
from dataclasses import dataclass

from ibviz.core.events import EventBus
from ibviz.core.fabric import Fabric
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.records import JoinState

Progress = Callable[[int, int], None]
"""``progress(done, total)``; ``total`` 0 means unknown."""


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


class Backend(ABC):
    """A source of subnet state and, unless :attr:`read_only`, the place user actions go."""

    name: str = "backend"
    read_only: bool = False

    fabric: Fabric
    sm: SubnetManager

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
