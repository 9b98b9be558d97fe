"""The send plans of every kind of flow at once (UD, UC, RD, raw, RC; group and node
sources; learned addresses; start and stop times) stay fresh through repeated failovers
and failbacks, a sender failing and coming back (and rejoining), a cable going down and
up, the group deleted and re-created, and a LID moving, in each failover mode; and the
report's invariants hold (no duplicate, no false exactly-once alarm)."""

from __future__ import annotations

import pytest

from ibviz.core.scenario.session import Session
from ibviz.topology.scenario_yaml import parse_scenario
from ibviz.topology.scenarios import fabric_for
from tests.scenario.test_send_plan import Checker, free_lid

MIX = """\
name: mix
fabric: fig8
seed: 21
duration_us: 9000
groups:
  - name: svc
    mgid: "ff15::1:8"
    unicast_lid: 0x0100
    members:
      - {node: sender, join: send-only-full}
      - {node: sender-2, join: send-only-full}
failover:
  group: svc
  primary: first-node
  takeover: second-node
  mode: MODE
  failback: {state_dump: true, state_dump_us: 300}
flows:
  - {name: uc-lid, source: sender, destination: "group:svc", transport: UC,
     rate_pps: 8000, workaround: unicast_lid}
  - {name: uc-acc, source: sender-2, destination: "group:svc", transport: UC,
     rate_pps: 8000, workaround: accept_multicast, size: 1024}
  - {name: uc-uni, source: sender-2, destination: sender, transport: UC, rate_pps: 4000,
     start_us: 700, stop_us: 8000}
  - {name: rd, source: sender, destination: "group:svc", transport: RD, rate_pps: 3000,
     workaround: unicast_lid, ack_timeout_us: 80, retry_count: 5}
  - {name: raw, source: sender-2, destination: "group:svc", transport: raw,
     rate_pps: 6000, pattern: poisson, size: 64}
  - {name: rc-acc, source: sender, destination: "group:svc", transport: RC,
     rate_pps: 6000, workaround: accept_multicast, ack_timeout_us: 120, window: 4}
  - {name: srv, source: "group:svc", destination: sender-2, transport: UD,
     rate_pps: 3000, slid: mlid}
  - {name: learnpr, source: sender, destination: "group:svc", transport: UD,
     rate_pps: 5000, learn: path_record, start_us: 500}
  - {name: learnslid, source: sender-2, destination: "group:svc", transport: UD,
     rate_pps: 5000, learn: slid, learn_from: srv}
timeline:
  - {at_us: 1000, fail: first-node}
  - {at_us: 1800, failback: first-node}
  - {at_us: 2600, fail: sender-2}
  - {at_us: 2900, failback: sender-2}
  - {at_us: 3000, join: {node: sender-2, group: svc, join: send-only-full}}
  - {at_us: 3300, fail: first-node}
  - {at_us: 4000, link_down: {node: switch-1, port: 4}}
  - {at_us: 4400, link_up: {node: switch-1, port: 4}}
  - {at_us: 4600, failback: first-node}
  - {at_us: 5400, leave: {node: sender, group: svc, join: send-only-full}}
  - {at_us: 5450, leave: {node: sender-2, group: svc, join: send-only-full}}
  - {at_us: 5500, leave: {node: first-node, group: svc}}
  - {at_us: 6200, join: {node: first-node, group: svc}}
  - {at_us: 6250, join: {node: sender, group: svc, join: send-only-full}}
  - {at_us: 6300, join: {node: sender-2, group: svc, join: send-only-full}}
  - {at_us: 7000, fail: first-node}
  - {at_us: 8000, failback: first-node}
"""


@pytest.mark.parametrize("mode", ["mlid", "port", "lmc"])
def test_every_flow_kind_sends_fresh_addresses_through_a_busy_timeline(mode):
    sc = parse_scenario(MIX.replace("MODE", mode), "mix.yaml")
    s = Session(sc, fabric_for(sc))
    check = Checker(s)
    s.run_until(3500)
    moved = s.port_of(s.resolve("sender", "test"))
    s.fabric.assign_lid(moved, free_lid(s), 0)  # a LID moves mid-run: the SLIDs follow
    s.run()
    assert not check.wrong, check.wrong[:5]
    assert check.checked > 300 and check.skipped > 0
    sent = {name for name, got in check.sent.items() if got}
    assert {"uc-lid", "uc-acc", "uc-uni", "raw", "srv", "learnpr", "learnslid"} <= sent
    inv = s.report()["invariants"]
    assert inv["conservation"] and inv["duplicates"] == 0 and inv["loops"] == 0
    assert inv["exactly_once"] and not inv["problems"], inv
