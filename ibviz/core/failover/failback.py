"""Failback (seed para. 56 and 61): the recovered first node takes its address back.

Order: an optional state dump from the takeover node to the first node, during which the
takeover node's connections are frozen; optionally the takeover node stays until its
existing connections expire; then the takeover node leaves (mode 1) or the primary
multicast port is remapped back (mode 2) *before* the first node rejoins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ibviz.core.failover.model import Mode, Outcome, ProtectedGroup
from ibviz.core.sm.records import JoinState
from ibviz.core.sm.records import SaMethod as M

if TYPE_CHECKING:
    from ibviz.core.failover.controller import FailoverController, Step


def failback_steps(ctl: FailoverController, pg: ProtectedGroup, out: Outcome) -> list[Step]:
    fb = pg.failback
    steps: list[Step] = []
    if fb.state_dump:
        def dump(o: Outcome) -> float:
            o.frozen_us = (ctl.engine.now, ctl.engine.now + fb.state_dump_us)
            ctl._phase(o, f"state dump from {pg.takeover:#x} to {pg.primary:#x}; the takeover "
                       "node's connections are frozen until failback completes")
            return ctl.engine.now + fb.state_dump_us
        steps.append(dump)
    if fb.stay_until_expired:
        def stay(o: Outcome) -> float:
            ctl._phase(o, f"takeover node stays until its connections expire "
                       f"({fb.connection_lifetime_us:.0f} us)")
            return ctl.engine.now + fb.connection_lifetime_us
        steps.append(stay)

    if out.mode is Mode.PORT:
        steps.append(ctl.remap_step(pg, to_takeover=False))
    elif out.mode is Mode.MLID:
        def leave(o: Outcome) -> float:
            resp = ctl._sa(pg, M.DELETE, pg.takeover, pg.takeover, JoinState.FULL,
                           "mode 1 failback: takeover leaves")
            ctl._phase(o, f"mode 1 failback: takeover node leaves (status {int(resp.status):#06x})")
            return ctl.engine.now

        def rejoin(o: Outcome) -> float:
            requester = pg.takeover if pg.exclusive else pg.primary
            resp = ctl._sa(pg, M.SET, requester, pg.primary, JoinState.FULL,
                           "mode 1 failback: first node rejoins", keep_mlid=True)
            ctl._phase(o, f"mode 1 failback: first node rejoins MLID "
                       f"{ctl.mlids.get(pg.name, 0):#06x} (status {int(resp.status):#06x})")
            return ctl.engine.now
        steps += [leave, rejoin]
    else:
        def lmc_back(o: Outcome) -> float:
            from ibviz.core.failover.lmc_takeover import lmc_release

            text = lmc_release(ctl.sm, ctl.port_of(pg.takeover), ctl.port_of(pg.primary),
                               ctl.lmc_saved)
            ctl._phase(o, "prior art failback: " + text)
            return ctl.engine.now
        steps.append(lmc_back)
    return steps
