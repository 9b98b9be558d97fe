"""Actions on the engine: a scenario's ``timeline`` entries (nodes by name) are resolved
into :mod:`ibviz.core.actions`, which :func:`schedule` checks and runs at their time."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ibviz.core import actions as act
from ibviz.core.failover.model import Mode, ProtectedGroup
from ibviz.core.model import PortRef
from ibviz.core.scenario.model import Action as Entry
from ibviz.core.scenario.model import ScenarioError
from ibviz.core.scenario.setup import sa_member, service_lid
from ibviz.core.sm.records import SaMethod as M

if TYPE_CHECKING:
    from ibviz.core.scenario.protocols import SessionState as Session


def resolve_entry(s: Session, e: Entry, key: str = "timeline") -> act.Action:
    """The typed action of timeline entry ``e`` (node names resolved; errors name ``key``)."""
    sc = s.scenario
    cls = act.KINDS.get(e.kind)
    if cls is None or e.kind not in act.TIMELINE_KINDS:
        raise sc.error(key, f"unknown action {e.kind!r}; use one of "
                       f"{', '.join(act.TIMELINE_KINDS)}")
    if e.node is None:
        raise sc.error(key, f"{e.kind} needs a node")
    guid = s.resolve(e.node, f"{key}.{e.kind}")
    if cls in (act.Fail, act.FailBack):
        return cls(guid)
    if cls in (act.Join, act.Leave):
        if e.group is None:
            raise sc.error(f"{key}.group", f"no group {e.group!r} in groups")
        if cls is act.Leave:
            return act.Leave(guid, e.group, e.join_state)
        return act.Join(guid, e.group, e.join_state)
    if cls is act.Remap:
        if e.primary is None or e.not_primary is None:
            raise sc.error(key, "remap needs primary and not_primary port numbers")
        return act.Remap(guid, e.primary, e.not_primary)
    if e.port is None:
        raise sc.error(f"{key}.port", f"{e.kind} needs the port number of the cable")
    return (act.LinkUp if cls is act.LinkUp else act.LinkDown)(guid, e.port)


def schedule(s: Session, at_us: float, a: act.Action, key: str = "timeline") -> None:
    """Check ``a`` now (errors name ``key``) and run it at ``at_us``."""
    sc = s.scenario
    if at_us < s.engine.now:
        raise sc.error(f"{key}.at_us",
                       f"{at_us} \u00b5s is in the past (now {s.engine.now} \u00b5s)")
    if isinstance(a, act.Fail):  # the controller schedules the failure itself
        s.controller.fail(a.node, at_us)
    elif isinstance(a, act.FailBack):
        s.controller.recover(a.node, at_us)
    else:
        s.engine.at(at_us, _runner(s, a, key))


def _runner(s: Session, a: act.Action, key: str) -> Callable[[], None]:
    ctl, sm, sc = s.controller, s.sm, s.scenario
    if isinstance(a, act.Join | act.Leave):
        return _member(s, a, key)
    if isinstance(a, act.Remap):
        if a.node not in sm.switch_info:
            raise sc.error(f"{key}.remap", f"{s.label(a.node)} is not a switch")

        def remap() -> None:
            sm.now_us = s.engine.now
            sm.set_default_mcast_ports(a.node, a.primary, a.not_primary, "timeline: remap")
        return remap
    if isinstance(a, act.LinkDown | act.LinkUp):
        ref = PortRef(a.node, a.port)
        if sm.fabric.link_at(ref) is None:
            raise sc.error(f"{key}.port", f"{s.label(a.node)} port {a.port} is not cabled")
        up = isinstance(a, act.LinkUp)

        def link() -> None:
            sm.now_us = s.engine.now
            sm.set_link(ref, up)
            peer = sm.fabric.peer(ref)
            for end in (ref.node,) if peer is None else (ref.node, peer.node):
                (ctl.reconnected if up else ctl.cut_off)(end)
        return link
    if isinstance(a, act.ForceMode):
        pg = ctl.groups.get(a.group)
        if pg is None:
            raise sc.error(f"{key}.group", f"no protected group {a.group!r}")
        _check_mode(s, pg, a.mode, key)

        def force() -> None:
            pg.mode = Mode(a.mode)
            ctl.modes[a.group] = ctl.choose_mode(pg)
        return force
    if isinstance(a, act.Protect):
        group = ProtectedGroup(a.group, a.mgid, a.primary, a.takeover, list(a.senders))
        _check_mode(s, group, a.mode, key)
        group.mode = Mode(a.mode)

        def protect() -> None:
            s.service_lids[a.group] = service_lid(s.fabric, ctl, a.primary)
            ctl.protect(group)
        return protect
    raise ScenarioError(f"the built-in simulation cannot {act.describe(a)}", key)


def _check_mode(s: Session, pg: ProtectedGroup, mode: str, key: str) -> None:
    """Refuse a failover mode that is unknown, or port remap where ``pg``'s nodes do not
    hang off one switch (it would fail at the next failure), naming why."""
    if mode not in {m.value for m in Mode}:
        raise s.scenario.error(f"{key}.mode", f"use one of {', '.join(m.value for m in Mode)}")
    problem = s.controller.port_remap_refusal(pg) if mode == Mode.PORT.value else None
    if problem is not None:
        raise s.scenario.error(f"{key}.mode", problem)


def _member(s: Session, a: act.Join | act.Leave, key: str) -> Callable[[], None]:
    sc, sm, ctl = s.scenario, s.sm, s.controller
    spec = next((g for g in sc.groups if g.name == a.group), None)
    if spec is None:
        raise sc.error(f"{key}.group", f"no group {a.group!r} in groups")
    join_state = a.join_state
    if join_state not in act.JOIN_STATES:
        raise sc.error(f"{key}.join_state", f"use one of {', '.join(act.JOIN_STATES)}")
    port = ctl.port_of(a.node)
    method = M.SET if isinstance(a, act.Join) else M.DELETE

    def member() -> None:
        sm.now_us = s.engine.now
        if method is M.DELETE:  # away now: it does not join again when it is back
            s.rejoins.forget(port, spec.mgid)
        status = sa_member(sm, method, spec.mgid, spec.qkey, port,
                           act.JOIN_STATES[join_state], port, f"timeline: {a.kind}")
        if status:
            s.note(a.kind, f"SA refused the {a.kind} of {s.label(a.node)} ({status:#x})",
                   a.node, a.group)
    return member
