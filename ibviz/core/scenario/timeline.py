"""Timeline actions (scenario ``timeline`` entries and the user's clicks) on the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ibviz.core.model import PortRef
from ibviz.core.scenario.model import ACTIONS, JOIN_STATES, Action
from ibviz.core.scenario.setup import sa_member
from ibviz.core.sm.records import SaMethod as M

if TYPE_CHECKING:
    from ibviz.core.scenario.session import Session


def schedule_action(s: Session, a: Action, key: str = "timeline") -> None:
    """Resolve ``a`` now (errors name ``key``) and run it at ``a.at_us``."""
    sc = s.scenario
    if a.kind not in ACTIONS:
        raise sc.error(key, f"unknown action {a.kind!r}; use one of {', '.join(ACTIONS)}")
    if a.at_us < s.engine.now:
        raise sc.error(f"{key}.at_us", f"{a.at_us} us is in the past (now {s.engine.now})")
    if a.node is None:
        raise sc.error(key, f"{a.kind} needs a node")
    guid = s.resolve(a.node, f"{key}.{a.kind}")
    ctl, sm = s.controller, s.sm
    if a.kind == "fail":
        ctl.fail(guid, a.at_us)
    elif a.kind == "failback":
        ctl.recover(guid, a.at_us)
    elif a.kind in ("join", "leave"):
        spec = next((g for g in sc.groups if g.name == a.group), None)
        if spec is None:
            raise sc.error(f"{key}.group", f"no group {a.group!r} in groups")
        if a.join_state not in JOIN_STATES:
            raise sc.error(f"{key}.join_state", f"use one of {', '.join(JOIN_STATES)}")
        port = ctl.port_of(guid)
        method = M.SET if a.kind == "join" else M.DELETE

        def member() -> None:
            sm.now_us = s.engine.now
            status = sa_member(sm, method, spec.mgid, spec.qkey, port,
                               JOIN_STATES[a.join_state], port, f"timeline: {a.kind}")
            if status:
                s.note(a.kind, f"SA refused the {a.kind} of {a.node} ({status:#x})", guid,
                       a.group)
        s.engine.at(a.at_us, member)
    elif a.kind == "remap":
        if a.primary is None or a.not_primary is None:
            raise sc.error(key, "remap needs primary and not_primary port numbers")
        if guid not in sm.switch_info:
            raise sc.error(f"{key}.remap", f"{a.node} is not a switch")

        def remap() -> None:
            sm.now_us = s.engine.now
            sm.set_default_mcast_ports(guid, a.primary, a.not_primary, "timeline: remap")
        s.engine.at(a.at_us, remap)
    else:
        if a.port is None:
            raise sc.error(f"{key}.port", f"{a.kind} needs the port number of the cable")
        ref = PortRef(guid, a.port)
        if sm.fabric.link_at(ref) is None:
            raise sc.error(f"{key}.port", f"{a.node} port {a.port} is not cabled")
        up = a.kind == "link_up"

        def link() -> None:
            sm.now_us = s.engine.now
            sm.set_link(ref, up)
            peer = sm.fabric.peer(ref)
            for end in (ref.node, peer.node):
                (ctl.reconnected if up else ctl.cut_off)(end)
        s.engine.at(a.at_us, link)
