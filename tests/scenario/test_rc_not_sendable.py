"""A reliable flow whose messages cannot be addressed says why they stayed queued."""

from __future__ import annotations

from ibviz.core.scenario.session import Session
from ibviz.topology.scenario_yaml import parse_scenario
from ibviz.topology.scenarios import fabric_for

NO_GROUP_LID = """\
name: rc-no-group-lid
fabric: fig8
duration_us: 3000
groups:
  - name: svc
    mgid: "ff15::1:8"
    members:
      - {node: sender, join: send-only-full}
failover: {group: svc, primary: first-node, takeover: second-node, mode: mlid}
flows:
  - {name: rc, source: sender, destination: "group:svc", transport: RC,
     workaround: unicast_lid, rate_pps: 10000}
"""


def test_an_rc_flow_to_a_group_without_a_unicast_lid_says_so():
    sc = parse_scenario(NO_GROUP_LID, "rc.yaml")
    s = Session(sc, fabric_for(sc))
    s.run()
    flow = s.report()["flows"][0]
    assert flow["sent"] == 0
    assert list(flow["not_sent"]) == ["queued at the end: the group has no unicast-range LID"]
    assert flow["not_sent"]["queued at the end: the group has no unicast-range LID"] > 20
