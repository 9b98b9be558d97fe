"""A host that comes back joins its multicast groups again (as Linux's ib_sa multicast
module does on a port event); the SM had dropped its memberships when it left."""

from __future__ import annotations

from ibviz.core import actions as act
from ibviz.core.scenario.ledger import FILTERING
from ibviz.core.scenario.session import Session
from ibviz.topology.scenario_yaml import parse_scenario
from ibviz.topology.scenarios import fabric_for

SENDER_AWAY = """\
name: sender-away
fabric: fig8
duration_us: 9000
groups:
  - name: svc
    mgid: "ff15::1:8"
    members:
      - {node: sender, join: send-only-full}
      - {node: sender-2, join: send-only-full}
failover: {group: svc, primary: first-node, takeover: second-node, mode: mlid}
flows:
  - {name: requests, source: sender, destination: "group:svc", transport: UD, rate_pps: 20000}
timeline:
  - {at_us: 2000, fail: sender}
  - {at_us: 4000, failback: sender}
"""


def session() -> Session:
    sc = parse_scenario(SENDER_AWAY, "sender-away.yaml")
    return Session(sc, fabric_for(sc))


def lost_after(s: Session, t_us: float) -> list[str]:
    """Why copies of the sender's packets ended undelivered after ``t_us`` (but for the
    normal filtering of surplus copies)."""
    return [d.reason for d in s.net.drops
            if d.t_us > t_us and d.flow == "requests" and d.reason not in FILTERING]


def test_a_sender_back_from_a_failure_joins_its_group_again():
    s = session()
    s.run()
    mgid = s.scenario.groups[0].mgid
    sender = s.port_of(s.resolve("sender", "test"))
    assert sender in s.sm.sa.groups[mgid].members  # dropped at 2 ms, joined again
    assert s.sm.sa.groups[mgid].members[sender].join_state == 0x8  # SendOnlyFull again
    assert not lost_after(s, 4200.0)  # its multicast reaches the group again
    rejoined = [m for m in s.sm.mads.since(0) if "joins its group again" in m.reason]
    assert len(rejoined) == 1 and 4000.0 <= rejoined[0].time_us < 4100.0
    flow = s.report()["flows"][0]
    assert flow["lost"] == 0 and flow["delivered"] == flow["sent"] > 100


def test_a_port_the_user_took_out_while_away_stays_out():
    s = session()
    node = s.resolve("sender", "test")
    s.seek(3000.0)
    s.apply(act.Leave(node, "svc"))  # the user takes over: the script's later steps go
    s.seek(4000.0)
    s.apply(act.FailBack(node))
    s.seek(s.duration_us)
    mgid = s.scenario.groups[0].mgid
    sender = s.port_of(s.resolve("sender", "test"))
    assert sender not in s.sm.sa.groups[mgid].members
    assert not [m for m in s.sm.mads.since(0) if "joins its group again" in m.reason]
