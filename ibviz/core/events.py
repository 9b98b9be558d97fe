"""Typed events and a small synchronous event bus.

Views, recorders and tests subscribe to event *types*; the model publishes an event
object after every change. Subscribing to :class:`Event` receives everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ibviz.core.model import PortRef, PortState


@dataclass(frozen=True, slots=True)
class Event:
    """Base class of every event the core emits."""


@dataclass(frozen=True, slots=True)
class NodeAdded(Event):
    guid: int


@dataclass(frozen=True, slots=True)
class NodeRemoved(Event):
    guid: int


@dataclass(frozen=True, slots=True)
class LinkAdded(Event):
    a: PortRef
    b: PortRef


@dataclass(frozen=True, slots=True)
class LinkRemoved(Event):
    a: PortRef
    b: PortRef


@dataclass(frozen=True, slots=True)
class PortStateChanged(Event):
    port: PortRef
    old: PortState
    new: PortState


@dataclass(frozen=True, slots=True)
class LidAssigned(Event):
    port: PortRef
    old_lid: int
    old_lmc: int
    lid: int
    lmc: int


E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]


class EventBus:
    """Synchronous publish/subscribe keyed by event class (subclasses are delivered too)."""

    __slots__ = ("_handlers", "active")

    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Handler]] = {}
        self.active = False
        """Whether anybody listens (lets hot paths skip building event objects)."""

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call ``handler`` for every event of type ``kind``; returns an unsubscribe function."""
        self._handlers.setdefault(kind, []).append(handler)
        self.active = True

        def unsubscribe() -> None:
            handlers = self._handlers.get(kind, [])
            if handler in handlers:
                handlers.remove(handler)
            self.active = any(self._handlers.values())

        return unsubscribe

    def adopt(self, other: EventBus) -> None:
        """Take over ``other``'s subscribers (when a bus is replaced, e.g. by one that
        hands events from worker threads to the GUI thread)."""
        self._handlers = {kind: list(handlers) for kind, handlers in other._handlers.items()}
        self.active = other.active

    def emit_heard(self, event: Event) -> None:
        """Emit ``event`` only if anybody listens (the one "emit if heard" helper)."""
        if self.active:
            self.emit(event)

    def emit(self, event: Event) -> None:
        for kind in type(event).__mro__:
            for handler in tuple(self._handlers.get(kind, ())):
                handler(event)
            if kind is Event:
                break


# ----------------------------------------------------------------- subnet manager events
@dataclass(frozen=True, slots=True)
class NodeFailed(Event):
    guid: int


@dataclass(frozen=True, slots=True)
class NodeRecovered(Event):
    guid: int


@dataclass(frozen=True, slots=True)
class GroupCreated(Event):
    mgid: int
    mlid: int


@dataclass(frozen=True, slots=True)
class GroupDeleted(Event):
    mgid: int
    mlid: int


@dataclass(frozen=True, slots=True)
class MemberJoined(Event):
    mgid: int
    port: PortRef
    join_state: int
    proxy: bool


@dataclass(frozen=True, slots=True)
class MemberLeft(Event):
    mgid: int
    port: PortRef
    join_state: int
    """Join state bits that remain (0: the port left the group)."""


@dataclass(frozen=True, slots=True)
class MftChanged(Event):
    switch: int
    mlid: int
    old: frozenset[int]
    new: frozenset[int]


@dataclass(frozen=True, slots=True)
class LftChanged(Event):
    switch: int
    lids_changed: int


@dataclass(frozen=True, slots=True)
class PrimaryPortRemapped(Event):
    switch: int
    old_primary: int
    new_primary: int
    old_not_primary: int
    new_not_primary: int


@dataclass(frozen=True, slots=True)
class LinkStateChanged(Event):
    a: PortRef
    b: PortRef
    up: bool


@dataclass(frozen=True, slots=True)
class SessionReset(Event):
    """A session was rebuilt (undo, redo, reload): views re-read everything from it."""

    time_us: float


@dataclass(frozen=True, slots=True)
class SweepDone(Event):
    heavy: bool
    time_us: float


@dataclass(frozen=True, slots=True)
class FailoverPhase(Event):
    """A step of a failover or failback, with its mode and the reason it was chosen."""

    group: str
    phase: str
    mode: str
    reason: str
    time_us: float
    started: bool = True


@dataclass(frozen=True, slots=True)
class MadSent(Event):
    mad: Any
