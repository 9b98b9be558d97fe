"""Failback (seed para. 56 and 61): the recovered first node takes its address back.

Order: an optional state dump from the takeover node to the first node, during which the
takeover node's connections are frozen; optionally the takeover node stays until its
existing connections expire; then the takeover node leaves (mode 1), the primary
multicast port is remapped back (mode 2) or the LMC is narrowed again (prior art)
*before* the first node rejoins the group (the SM dropped its membership when it failed).
"""

from __future__ import annotations

from typing import Protocol

from ibviz.core.failover.model import Mode, Outcome, ProtectedGroup, Step
from ibviz.core.model import PortRef
from ibviz.core.sim.engine import Engine
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.records import JoinState
from ibviz.core.sm.records import SaMethod as M
from ibviz.core.sm.sa import SaResponse


class Controller(Protocol):
    """What failback needs of :class:`~ibviz.core.failover.controller.FailoverController`."""

    sm: SubnetManager
    engine: Engine
    lmc_saved: dict[PortRef, tuple[int, int]]

    def port_of(self, guid: int) -> PortRef: ...
    def freeze(self, out: Outcome, start: float, end: float) -> None: ...
    def _phase(self, out: Outcome, phase: str, started: bool = True) -> None: ...
    def _sa(self, pg: ProtectedGroup, method: M, requester: int, member: int,
            state: JoinState, reason: str, keep_mlid: bool = False) -> SaResponse: ...
    def join_step(self, pg: ProtectedGroup, what: str) -> Step: ...
    def remap_step(self, pg: ProtectedGroup) -> Step: ...


def failback_steps(ctl: Controller, pg: ProtectedGroup, out: Outcome) -> list[Step]:
    """``out.node`` (the takeover node) hands the group back to ``out.target``."""
    fb = pg.failback
    steps: list[Step] = []
    if fb.state_dump:
        def dump(o: Outcome) -> float:
            ctl.freeze(o, ctl.engine.now, ctl.engine.now + fb.state_dump_us)
            ctl._phase(o, f"state dump from {o.node:#018x} to {o.target:#018x}; the takeover "
                       "node's connections are frozen until failback completes")
            return ctl.engine.now + fb.state_dump_us
        steps.append(dump)
    if fb.stay_until_expired:
        def stay(o: Outcome) -> float:
            ctl._phase(o, f"takeover node stays until its connections expire "
                       f"({fb.connection_lifetime_us:.0f} \u00b5s)")
            return ctl.engine.now + fb.connection_lifetime_us
        steps.append(stay)

    if out.mode is Mode.PORT:
        steps.append(ctl.remap_step(pg))
    elif out.mode is Mode.MLID:
        def leave(o: Outcome) -> float:
            resp = ctl._sa(pg, M.DELETE, o.node, o.node, JoinState.FULL,
                           "mode 1 failback: takeover leaves")
            ctl._phase(o, "mode 1 failback: takeover node leaves" +
                       ("" if resp.status == 0 else f" (not a member: {resp.error})"))
            return ctl.engine.now
        steps.append(leave)
    else:
        def lmc_back(o: Outcome) -> float:
            from ibviz.core.failover.lmc_takeover import lmc_release

            text = lmc_release(ctl.sm, ctl.port_of(o.node), ctl.lmc_saved)
            ctl._phase(o, "prior art failback: " + text)
            return ctl.engine.now
        steps.append(lmc_back)
    steps.append(ctl.join_step(pg, f"{out.mode.value} failback: first node rejoins"))
    return steps
