"""Roles have one source of truth: the group panel and the narration read
:func:`ibviz.core.failover.roles.group_roles`, derived from the failover controller."""

from __future__ import annotations

import pytest

from ibviz.core import actions as act
from ibviz.core.failover.roles import FAILED, SERVES, STANDS_BY, TAKING_OVER, group_roles
from ibviz.core.scenario import Session
from ibviz.topology.scenarios import fabric_for, load_scenario


def failed_over(name: str) -> tuple[Session, object, object]:
    sc = load_scenario(name)
    sc.timeline = []
    s = Session(sc, fabric_for(sc))
    s.run_until(1000.0)
    group, pg = next(iter(s.controller.groups.items()))
    s.apply(act.Fail(pg.primary))
    s.run_until(4000.0)
    out = next(o for o in s.controller.outcomes if o.kind == "failover")
    assert out.restored_us is not None
    return s, pg, out


@pytest.mark.parametrize("name", ["fig10", "fig8", "rc-unicast-group-lid", "two-subnets"])
def test_takeover_serves_after_the_failover_in_every_mode(name):
    s, pg, out = failed_over(name)
    roles = group_roles(s, pg.name)
    assert roles[pg.takeover].status == SERVES and roles[pg.takeover].role == "takeover"
    assert roles[pg.primary].status == FAILED
    served = [text for t, text in s.narration() if "is served by" in text
              or "answers the old LID" in text]
    label = s.fabric.nodes[pg.takeover].label
    assert served and label in served[-1]          # the narration names the same node


def test_roles_at_a_past_time_follow_the_outcomes():
    s, pg, out = failed_over("fig10")              # mode 2: the takeover never joins
    assert s.controller.modes[pg.name][0].value == "port"
    before = group_roles(s, pg.name, out.started_us - 1)
    assert before[pg.primary].status == SERVES and before[pg.takeover].status == STANDS_BY
    during = group_roles(s, pg.name, (out.started_us + out.restored_us) / 2)
    assert during[pg.primary].status == FAILED
    assert during[pg.takeover].status == TAKING_OVER
    assert s.roles(pg.name)[pg.takeover] == "takeover"
