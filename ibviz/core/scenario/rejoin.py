"""Hosts join their multicast groups again when their port comes back.

When a node fails or its cable goes down, the SM drops the port's memberships, as OpenSM
does. A host's stack joins every group it was in again once its port is active (Linux's
``ib_sa`` multicast module re-joins on a port event), so a sender or a receiver that
comes back is in its groups again, with the join state it had. The failover controller
handles the primary and the takeover of a protected group itself (its failback), and the
SM's proxy joins are the SM's; a port whose membership the user removed while it was
away does not join again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ibviz.core import events as ev
from ibviz.core.model import PortRef
from ibviz.core.scenario.setup import sa_member
from ibviz.core.sm.records import SaMethod as M

if TYPE_CHECKING:
    from ibviz.core.scenario.protocols import SessionState as Session


class Rejoins:
    """One per session: watches memberships, joins departed ports again after a sweep."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self._states: dict[tuple[int, PortRef], int] = {
            (g.mgid, port): m.join_state for g in session.sm.sa.groups.values()
            for port, m in g.members.items() if not m.proxy}
        """(MGID, port) -> join state, of the hosts' own (not proxy) memberships."""
        self.departed: dict[PortRef, dict[int, int]] = {}
        """Port -> MGID -> join state it had when the SM dropped it (port left the subnet)."""
        self._qkeys = {g.mgid: g.qkey for g in session.scenario.groups}
        self._pending = False

    def subscribe(self, bus: ev.EventBus) -> list[Callable[[], None]]:
        return [bus.subscribe(ev.MemberJoined, self._joined),
                bus.subscribe(ev.MemberLeft, self._left),
                bus.subscribe(ev.SweepDone, self._swept)]

    def forget(self, port: PortRef, mgid: int) -> None:
        """The user removed ``port`` from the group while it was away: it stays out."""
        self.departed.get(port, {}).pop(mgid, None)

    def _joined(self, e: ev.MemberJoined) -> None:
        if not e.proxy:
            self._states[(e.mgid, e.port)] = e.join_state
        self.forget(e.port, e.mgid)

    def _left(self, e: ev.MemberLeft) -> None:
        key = (e.mgid, e.port)
        state = self._states.pop(key, None)
        if e.join_state:
            self._states[key] = e.join_state
            return
        if state is None or e.mgid not in self._qkeys or self._controller_member(e):
            return
        if not self.s.sm.port_in_subnet(e.port):  # dropped by the SM: the port left
            self.departed.setdefault(e.port, {})[e.mgid] = state

    def _controller_member(self, e: ev.MemberLeft) -> bool:
        """Whether the failover controller answers for this membership (a protected
        group's primary or takeover)."""
        for pg in self.s.controller.groups.values():
            if pg.mgid == e.mgid and e.port.node in (pg.primary, pg.takeover):
                return True
        return False

    def _swept(self, _e: ev.SweepDone) -> None:
        in_subnet = self.s.sm.port_in_subnet
        if not self._pending and any(map(in_subnet, self.departed)):
            self._pending = True  # joined after the event that swept has run
            self.s.engine.at(self.s.engine.now, self._rejoin, "hosts join again")

    def _rejoin(self) -> None:
        self._pending = False
        sm, s = self.s.sm, self.s
        for port in [p for p in self.departed if sm.port_in_subnet(p)]:
            sm.now_us = s.engine.now
            for mgid, state in sorted(self.departed.pop(port).items()):
                group = sm.sa.groups.get(mgid)
                if group is not None and port in group.members:
                    continue
                status = sa_member(sm, M.SET, mgid, self._qkeys[mgid], port, state, port,
                                   "host back: joins its group again")
                if status:
                    s.note("join", f"SA refused {s.label(port.node)}'s join again "
                           f"({status:#x})", port.node)
