"""The built-in scenarios reproduce the seed's outcomes, with every invariant holding."""

from __future__ import annotations

from collections import Counter

import pytest

from ibviz.core.addressing import is_multicast_lid
from ibviz.core.failover.model import Mode
from ibviz.core.scenario.report import invariants_hold
from ibviz.topology.scenarios import open_session, scenario_names

SMALL = [n for n in scenario_names() if n != "fat-tree-1000"]


def run(name: str, **kw):
    s = open_session(name, **kw)
    s.run()
    return s, s.report()


def served_after(s, flow: str, t: float) -> set[int]:
    return {d.port.node for d in s.net.deliveries if d.flow == flow and d.time_us > t}


def test_every_builtin_is_listed_documented_and_runs_clean():
    assert {"fig8", "fig10", "prior-art-lmc", "ud-mlid-slid", "rc-unicast-group-lid",
            "two-subnets", "fat-tree-1000"} <= set(scenario_names())
    for name in SMALL:
        s, r = run(name)
        assert invariants_hold(r), (name, r["invariants"])
        assert r["scenario"] == name and r["flows"] and s.scenario.description
        assert all(f["delivered"] > 0 for f in r["flows"] if f["name"] != "rpc-plain"), name


@pytest.mark.parametrize("name, mode", [("fig8", Mode.MLID), ("fig10", Mode.PORT)])
def test_seed_outcome_second_node_takes_the_address_peers_unchanged(name, mode):
    s, r = run(name)
    pg = s.controller.groups["svc"]
    assert s.controller.modes["svc"][0] is mode
    fo, fb = r["failover"]
    assert fo["kind"] == "failover" and fo["problem"] is None and fb["problem"] is None
    assert fo["remote_peers_touched"] == 0
    # between failover and failback the takeover alone receives; after failback the primary
    between = {d.port.node for d in s.net.deliveries
               if fo["restored_us"] < d.time_us < fb["started_us"]}
    assert between == {pg.takeover}
    assert served_after(s, "requests", fb["restored_us"]) == {pg.primary}
    # the remote sender never changed anything: one multicast DLID all along
    dlids = {p.dlid for p in s.net.packets.values() if p.flow == "requests"}
    assert len(dlids) == 1 and is_multicast_lid(dlids.pop())
    assert not any(m.src and m.src.node in pg.senders for m in s.sm.mads.mads
                   if m.time_us >= fo["failed_us"])


def test_mode_override_and_what_each_strategy_costs():
    costs = {}
    for mode in ("mlid", "port", "lmc"):
        s, r = run("fig10", mode=mode)
        assert r["mode"] == mode
        costs[mode] = r
    # FIG. 10's switch keeps no multicast table: MLID reassignment cannot deliver there
    assert costs["mlid"]["flows"][0]["lost_by_reason"] == {"no multicast route": 200}
    assert costs["port"]["failover"][0]["mads"] == 1       # one SwitchInfo Set
    lmc = costs["lmc"]["failover"][0]
    assert lmc["remote_peers_touched"] == 1 and lmc["problem"] is None


def test_prior_art_moves_the_lid_and_rewrites_lfts():
    s, r = run("prior-art-lmc")
    pg = s.controller.groups["svc"]
    fo = r["failover"][0]
    assert fo["mode"] == "lmc" and fo["remote_peers_touched"] == 2
    lfts = [m for m in s.sm.mads.mads if m.attribute == "LinearForwardingTable"
            and fo["failed_us"] <= m.time_us <= fo["restored_us"]]
    assert lfts, "the prior art recomputes LFTs"
    assert served_after(s, "requests", fo["restored_us"] + 1) >= {pg.takeover}
    assert r["flows"][0]["lost"] == 0


def test_ud_clients_learn_the_mlid_from_the_slid_and_from_a_path_record():
    s, r = run("ud-mlid-slid")
    flows = {f["name"]: f for f in r["flows"]}
    mlid = s.controller.mlids["svc"]
    assert {p.slid for p in s.net.packets.values() if p.flow == "announce"} == {mlid}
    assert {p.dlid for p in s.net.packets.values() if p.flow == "requests"} == {mlid}
    assert set(flows["requests"]["not_sent"]) == {
        "the service address is not learned yet (slid)"}
    assert any(m.attribute == "PathRecord" for m in s.sm.mads.mads)
    assert any(e.kind == "learn" and "path record" in e.text for e in s.log)
    pg = s.controller.groups["svc"]
    fo = r["failover"][0]
    assert served_after(s, "requests-2", fo["restored_us"] + 1) >= {pg.takeover}


def test_rc_with_the_unicast_group_lid_survives_failover_without_loss():
    s, r = run("rc-unicast-group-lid")
    flows = {f["name"]: f for f in r["flows"]}
    rpc = flows["rpc"]
    assert rpc["lost"] == 0 and rpc["retransmitted"] > 0 and rpc["broken"] is None
    assert rpc["sent"] == rpc["delivered"] == 200
    assert {p.dlid for p in s.net.packets.values() if p.flow == "rpc"} == {0x100}
    # the frozen failback shows up as drops at the takeover, healed by retries
    reasons = Counter(d.reason for d in s.drops if d.flow == "rpc")
    assert reasons["frozen during the failback state dump"] > 0
    plain = flows["rpc-plain"]
    assert plain["broken"] == "retry count exceeded (3 retries)"
    assert set(plain["lost_by_reason"]) == {"multicast is not defined for RC"}


def test_two_subnets_route_by_grh_and_survive_a_router_failure():
    s, r = run("two-subnets")
    fabric = s.fabric
    rt1, rt2 = (n.guid for n in sorted(fabric.routers(), key=lambda n: n.name))
    via = Counter((h.dst.node, h.t0 > 3000) for h in (s.hops[i] for i in range(len(s.hops)))
                  if h.flow == "a-to-b" and h.dst.node in (rt1, rt2))
    assert via[(rt1, False)] > 0 and via[(rt2, True)] > 0 and via[(rt1, True)] == 0
    assert all(p.has_grh for p in s.net.packets.values() if p.flow == "a-to-b")
    rc = next(f for f in r["flows"] if f["name"] == "b-to-a-rc")
    assert rc["lost"] == 0 and rc["broken"] is None


def test_same_seed_same_report_other_seed_other_traffic():
    a, b = run("fig8")[1], run("fig8")[1]
    assert a == b
    c = run("fig8", seed=99)[1]
    assert c["seed"] == 99 and c["flows"][1]["sent"] != a["flows"][1]["sent"] or \
        c["flows"][1] != a["flows"][1]
