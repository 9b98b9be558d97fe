"""Crashes found by the cold user trial of the fast simulator (2026-12-07). All are older
than that work (the build before it, c032c1c, crashes the same way): kept as strict
xfails so the fix turns them green and nobody forgets them."""

from __future__ import annotations

import pytest

from ibviz.core import actions as act
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


@pytest.mark.xfail(strict=True, reason="LMC takeover re-run on a cable coming up after "
                   "the switch came back: RoutingError, LID 0x0006 used by endnode and "
                   "host-a (ibviz run exits 70, internal error)")
def test_lmc_mode_survives_a_switch_failback_then_a_cable_up():
    sc = parse_scenario(LMC_FIG5, "lmc-crash.yaml")
    s = Session(sc, fabric_for(sc))
    s.run()
    assert s.report()["invariants"]["conservation"]


@pytest.mark.xfail(strict=True, reason="prior-art-lmc: after switch-1 failed and came "
                   "back, failing and failing back first-node raises RoutingError (LID "
                   "0x0004 used by first-node and second-node)")
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


@pytest.mark.xfail(strict=True, reason="ForceMode port is accepted on a group whose primary "
                   "and takeover sit on different switches; the failover then raises "
                   "ValueError out of the engine")
def test_forcing_an_impossible_mode_is_refused_or_survived():
    s = open_session("two-subnets")
    s.seek(1000.0)
    try:
        s.apply(act.ForceMode("svc", "port"))
    except Exception as exc:  # refusing the step is fine, if it names why
        assert "port remap" in str(exc)
        return
    s.seek(s.duration_us)  # the script's failure of node606 runs the failover here
