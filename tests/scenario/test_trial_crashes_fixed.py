"""Faults found by the cold user trial of the fast simulator (2026-12-07), older than that
work (the build before it, c032c1c, crashed the same way), now fixed: a lost group's
prior-art failover to a node that came back moved a LID onto a port that was up again (two
ports, one LID: RoutingError out of the engine); forcing port remap where the primary and
the takeover hang off different switches raised ValueError at the next failure; a group
protected during the session in the prior art's mode was addressed to LID 0."""

from __future__ import annotations

import pytest

from ibviz.core import actions as act
from ibviz.core.scenario import ScenarioError
from ibviz.core.scenario.session import Session
from ibviz.topology.scenario_yaml import parse_scenario
from ibviz.topology.scenarios import fabric_for, open_session

LMC_FIG5 = """\
name: lmc-crash
fabric: fig5
duration_us: 4000
groups:
  - name: svc
    mgid: "ff15::1:8"
    members:
      - {node: host-b, join: send-only-full}
failover: {group: svc, primary: endnode, takeover: host-a, mode: lmc}
flows:
  - {name: f1, source: host-b, destination: "group:svc", transport: UD, rate_pps: 2000}
timeline:
  - {at_us: 1000, fail: switch-1}
  - {at_us: 2000, failback: switch-1}
  - {at_us: 3000, link_up: {node: switch-1, port: 3}}
"""


def no_lid_twice(s: Session) -> None:
    twice = {lid: owners for lid, owners in s.sm.fabric.lid_owners().items()
             if len(owners) > 1}
    assert not twice


def test_lmc_mode_survives_a_switch_failback_then_a_cable_up():
    sc = parse_scenario(LMC_FIG5, "lmc-crash.yaml")
    s = Session(sc, fabric_for(sc))
    s.run()
    assert s.report()["invariants"]["conservation"]
    no_lid_twice(s)
    assert s.controller.serving["svc"] == s.resolve("endnode", "test")  # with its own LID
    last = s.controller.outcomes[-1]
    assert last.problem is None and "none moved" in last.phases[-2][1]


def test_prior_art_lmc_survives_a_switch_failback_then_a_primary_failback():
    s = open_session("prior-art-lmc")
    node = s.resolve
    for at_us, step in ((500.0, act.Fail(node("switch-1", "test"))),
                        (1500.0, act.FailBack(node("switch-1", "test"))),
                        (2500.0, act.Fail(node("first-node", "test"))),
                        (4000.0, act.FailBack(node("first-node", "test")))):
        s.seek(at_us)
        s.apply(step)
    s.seek(s.duration_us)
    assert s.report()["invariants"]["conservation"]
    no_lid_twice(s)
    assert s.controller.serving["svc"] == node("first-node", "test")


def test_forcing_an_impossible_mode_is_refused_naming_why():
    s = open_session("two-subnets")
    s.seek(1000.0)
    with pytest.raises(ScenarioError, match="port remap needs the primary and the takeover"):
        s.apply(act.ForceMode("svc", "port"))
    with pytest.raises(ScenarioError, match="use one of auto, mlid, port, lmc"):
        s.apply(act.ForceMode("svc", "sideways"))
    s.seek(s.duration_us)  # the script's failure of node606 fails over as before
    assert s.report()["invariants"]["conservation"]


PROTECT_LATER = """\
name: protect-later
fabric: fig8
duration_us: 3000
groups:
  - name: svc
    mgid: "ff15::1:8"
    members:
      - {node: first-node, join: full}
      - {node: sender, join: send-only-full}
flows:
  - {name: f, source: sender, destination: "group:svc", transport: UD, rate_pps: 20000}
"""


@pytest.mark.parametrize("mode", ["lmc", "port", "mlid"])
def test_a_group_protected_during_the_session_keeps_being_reached(mode: str):
    """Protect applied by the user (or a session file) in each mode: the prior art's
    service address is the primary's LID from then on (it was left at 0: 'DLID 0')."""
    sc = parse_scenario(PROTECT_LATER, "protect-later.yaml")
    s = Session(sc, fabric_for(sc))
    s.seek(1000.0)
    r = s.resolve
    s.apply(act.Protect("svc", sc.groups[0].mgid, r("first-node", "t"),
                        r("second-node", "t"), (r("sender", "t"),), mode))
    s.seek(s.duration_us)
    flow = s.report()["flows"][0]
    assert flow["delivered"] == flow["sent"] == 60 and not flow["lost_by_reason"]
