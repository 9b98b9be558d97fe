"""The one vocabulary of what a user (or a scenario's timeline) can do to a subnet.

One frozen dataclass per action kind, nodes named by their GUID as an ``int``. Every
backend applies them through :meth:`ibviz.backends.base.Backend.apply`; the timeline, the
session files, undo/redo, the event log and the narration name them with :func:`describe`.
``kind`` is the action's key in scenario files and session files (``fail``, ``failback``,
...): :data:`KINDS` maps it back to the class.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar

JOIN_STATES = {"full": 1, "non-member": 2, "send-only": 4, "send-only-full": 8}
"""Join state names (scenario and session files) -> the JoinState bit."""
MODES = ("auto", "mlid", "port", "lmc")


@dataclass(frozen=True)
class Action:
    """Base of every action: ``kind`` is its file key, ``title`` its display verb."""

    kind: ClassVar[str] = ""
    title: ClassVar[str] = ""


@dataclass(frozen=True)
class Fail(Action):
    """A node dies (all its links go dark); the SM and the failover policy react."""

    kind: ClassVar[str] = "fail"
    title: ClassVar[str] = "Fail"
    node: int


@dataclass(frozen=True)
class FailBack(Action):
    """A failed node comes back; groups it was the primary of move back to it."""

    kind: ClassVar[str] = "failback"
    title: ClassVar[str] = "Fail back"
    node: int


@dataclass(frozen=True)
class Join(Action):
    kind: ClassVar[str] = "join"
    title: ClassVar[str] = "Join"
    node: int
    group: str
    join_state: str = "full"


@dataclass(frozen=True)
class Leave(Action):
    """The node gives up ``join_state`` of its membership (a SendOnlyFull sender leaves
    with ``send-only-full``); the SA keeps the other bits."""

    kind: ClassVar[str] = "leave"
    title: ClassVar[str] = "Leave"
    node: int
    group: str
    join_state: str = "full"


@dataclass(frozen=True)
class LinkDown(Action):
    """The cable at ``node`` port ``port`` goes dark."""

    kind: ClassVar[str] = "link_down"
    title: ClassVar[str] = "Link down"
    node: int
    port: int


@dataclass(frozen=True)
class LinkUp(Action):
    kind: ClassVar[str] = "link_up"
    title: ClassVar[str] = "Link up"
    node: int
    port: int


@dataclass(frozen=True)
class Remap(Action):
    """Set a switch's DefaultMulticastPrimaryPort / NotPrimaryPort (mode 2 by hand)."""

    kind: ClassVar[str] = "remap"
    title: ClassVar[str] = "Remap"
    node: int
    primary: int
    not_primary: int


@dataclass(frozen=True)
class ForceMode(Action):
    """Make a protected group use failover ``mode`` (one of :data:`MODES`)."""

    kind: ClassVar[str] = "force_mode"
    title: ClassVar[str] = "Force mode"
    group: str
    mode: str


@dataclass(frozen=True)
class Protect(Action):
    """Protect multicast group ``group`` (MGID ``mgid``): ``primary`` serves it,
    ``takeover`` takes it over when the primary fails."""

    kind: ClassVar[str] = "protect"
    title: ClassVar[str] = "Protect"
    group: str
    mgid: int
    primary: int
    takeover: int
    senders: tuple[int, ...] = ()
    mode: str = "auto"


@dataclass(frozen=True)
class TakeOver(Action):
    """Move group ``mgid`` from ``primary`` to ``takeover`` with ``mode`` (a step of the
    failover policy on a backend whose SM does not do it by itself: the OpenSM lab)."""

    kind: ClassVar[str] = "takeover"
    title: ClassVar[str] = "Take over"
    mgid: int
    primary: int
    takeover: int
    mode: str = "mlid"


@dataclass(frozen=True)
class GiveBack(Action):
    """Move group ``mgid`` back from ``takeover`` to its recovered ``primary``."""

    kind: ClassVar[str] = "giveback"
    title: ClassVar[str] = "Give back"
    mgid: int
    primary: int
    takeover: int
    mode: str = "mlid"


@dataclass(frozen=True)
class RestartSm(Action):
    kind: ClassVar[str] = "restart_sm"
    title: ClassVar[str] = "Restart SM"


@dataclass(frozen=True)
class Timed:
    """An action taken at simulated time ``at_us``."""

    at_us: float
    action: Action


KINDS: dict[str, type[Action]] = {cls.kind: cls for cls in (
    Fail, FailBack, Join, Leave, LinkDown, LinkUp, Remap, ForceMode, Protect, TakeOver,
    GiveBack, RestartSm)}
TIMELINE_KINDS = ("fail", "failback", "join", "leave", "remap", "link_down", "link_up")
"""The kinds a scenario's timeline and a session file hold (0.1.0's list)."""


def describe(action: Action, label: Callable[[int], str] = hex) -> str:
    """The display name (undo/redo menus, event log, narration): ``Fail 0x2c9...``, or
    with ``label`` naming nodes, ``Fail first-node``."""
    if isinstance(action, LinkDown | LinkUp):
        return f"{action.title} {label(action.node)} port {action.port}"
    if isinstance(action, Join | Leave):
        return f"{action.title} {label(action.node)} {action.group}"
    if isinstance(action, Fail | FailBack | Remap):
        return f"{action.title} {label(action.node)}"
    if isinstance(action, ForceMode):
        return f"{action.title} {action.mode} for {action.group}"
    if isinstance(action, Protect):
        return f"{action.title} {action.group}"
    if isinstance(action, TakeOver | GiveBack):
        return f"{action.title} {action.mgid:#x} ({action.mode})"
    return action.title


def to_record(timed: Timed) -> dict[str, Any]:
    """A JSON object for a session file (the 0.1.0 layout: GUIDs as hex strings)."""
    out: dict[str, Any] = {"at_us": timed.at_us, "kind": timed.action.kind}
    for f in fields(timed.action):
        value = getattr(timed.action, f.name)
        out[f.name] = hex(value) if f.name == "node" else value
    return out


class RecordError(ValueError):
    """A bad action record; ``key`` names the field (``node``, ``port`` ...)."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"{key}: {message}" if key else message)


def from_record(raw: Mapping[str, Any]) -> Timed:
    """Read a record written by :func:`to_record` (or by ibviz 0.1.0); raises
    :class:`RecordError` naming the bad field."""
    kind = raw.get("kind")
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise RecordError("kind", f"expected one of {', '.join(KINDS)}, found {kind!r}")
    at = raw.get("at_us")
    if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
        raise RecordError("at_us", f"expected a number, found {at!r}")
    known = {f.name: f for f in fields(cls)}
    args: dict[str, Any] = {}
    for name, value in raw.items():
        if name in ("kind", "at_us") or name not in known:
            continue  # 0.1.0 wrote every field of every kind; extra ones are ignored
        args[name] = _field(name, value)
    missing = [n for n, f in known.items()
               if n not in args and f.default is MISSING and f.default_factory is MISSING]
    if missing:
        raise RecordError(missing[0], f"{kind} needs {', '.join(missing)}")
    return Timed(float(at), cls(**args))


def _field(name: str, value: Any) -> Any:
    if name == "node" and isinstance(value, str):
        try:
            return int(value, 16)
        except ValueError:
            raise RecordError(name, f"not a hexadecimal GUID: {value!r}") from None
    if name == "senders" and isinstance(value, list):
        return tuple(_field("node", v) for v in value)
    if name in ("port", "primary", "not_primary", "mgid", "takeover", "node") and (
            isinstance(value, bool) or not isinstance(value, int)):
        raise RecordError(name, f"expected an integer, found {value!r}")
    if name in ("group", "join_state", "mode") and not isinstance(value, str):
        raise RecordError(name, f"expected text, found {value!r}")
    if name == "join_state" and value not in JOIN_STATES:
        raise RecordError(name, f"use one of {', '.join(JOIN_STATES)}")
    if name == "mode" and value not in MODES:
        raise RecordError(name, f"use one of {', '.join(MODES)}")
    return value
