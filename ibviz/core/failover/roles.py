"""Who plays which part in a protected group, and what each is doing at a given time.

The one source of truth for roles: the group panel, the narration and the canvas labels
all read :func:`group_roles`. It is the failover controller's state (``serving``) at the
present, and its record of outcomes replayed for a past time, never the SA's member
list: in mode 2 the takeover node serves the group without ever joining it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLE_ORDER = ("primary", "takeover", "sender")

SERVES = "serves the group"
STANDS_BY = "stands by"
FAILED = "failed"
TAKING_OVER = "taking over"
SENDS = "sends"


@dataclass(frozen=True)
class RoleState:
    """``role``: primary / takeover / sender (as protected); ``status``: what the node is
    doing at the time asked (one of the module's constants)."""

    guid: int
    role: str
    status: str


def serving_at(controller: Any, group: str, t_us: float) -> int | None:
    """The node serving ``group`` at ``t_us`` (None while a failover is under way or after
    one failed): the primary at first, then each finished outcome's target."""
    pg = controller.groups[group]
    serving: int | None = pg.primary
    for o in controller.outcomes:
        if o.group != group or o.started_us > t_us:
            continue
        if o.kind == "failover":
            serving = None  # the node that served it is gone until the takeover is done
        if o.restored_us is not None and o.restored_us <= t_us:
            serving = o.target
        elif o.problem and o.kind == "failback":
            serving = None
    return serving


def _arriving(controller: Any, group: str, t_us: float) -> int | None:
    """The target of an outcome begun but not finished at ``t_us`` (None: none is)."""
    for o in reversed(controller.outcomes):
        if o.group == group and o.started_us <= t_us and o.problem is None and \
                (o.restored_us is None or o.restored_us > t_us):
            return o.target
    return None


def _down_at(controller: Any, guid: int, t_us: float, failed_now: set[int],
             now_us: float) -> bool:
    if t_us >= now_us:
        return guid in failed_now
    down = False  # the past: replay this node's failovers (it failed) and failbacks
    for o in controller.outcomes:
        if o.started_us > t_us:
            break
        if o.kind == "failover" and o.node == guid:
            down = True
        elif o.target == guid:
            down = False
    return down


def group_roles(session: Any, group: str, t_us: float | None = None) -> dict[int, RoleState]:
    """Node GUID -> its role and status in the protected ``group`` at ``t_us`` (default:
    the session's present). Empty for a group the controller does not protect."""
    ctl = session.controller
    pg = ctl.groups.get(group)
    if pg is None:
        return {}
    now = float(session.now_us)
    t = now if t_us is None else float(t_us)
    # the present is the controller's own state; the past is replayed from its outcomes
    serving = ctl.serving.get(group) if t >= now else serving_at(ctl, group, t)
    arriving = _arriving(ctl, group, t)
    failed = set(session.sm.failed)
    roles = {s: "sender" for s in pg.senders}
    roles[pg.takeover] = "takeover"
    roles[pg.primary] = "primary"
    out: dict[int, RoleState] = {}
    for guid, role in roles.items():
        if _down_at(ctl, guid, t, failed, now):
            status = FAILED
        elif guid == serving:
            status = SERVES
        elif guid == arriving:
            status = TAKING_OVER
        elif role == "sender":
            status = SENDS
        else:
            status = STANDS_BY
        out[guid] = RoleState(guid, role, status)
    return out


def role_sort_key(state: RoleState) -> int:
    return ROLE_ORDER.index(state.role)
