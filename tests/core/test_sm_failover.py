"""Subnet manager + failover controller on the seed's fabrics: both modes, failback,
prior art, auto choice, detection timing, events and undo."""

from __future__ import annotations

import pytest

from ibviz.core import events as ev
from ibviz.core.addressing import parse_gid
from ibviz.core.failover import Detection, Failback, FailoverController, Mode, ProtectedGroup
from ibviz.core.model import PortRef, PortState
from ibviz.core.sim.engine import Engine
from ibviz.core.sm.manager import SmConfig, SubnetManager
from ibviz.core.sm.multicast import multicast_out_ports
from ibviz.topology.builtin import FAILOVER_ROLES, load_builtin

MGID = parse_gid("ff12:601b:ffff::1:0:1")


def setup(name: str = "fig8", mode: Mode = Mode.AUTO, no_mft: bool = False,
          detection: str = "sm", exclusive: bool = False, **failback):
    fabric = load_builtin(name)
    roles = FAILOVER_ROLES[name]
    cfg = SmConfig(no_mft_switches={roles["switch"]} if no_mft else set())
    sm = SubnetManager(fabric, cfg)
    seen: list[ev.Event] = []
    fabric.events.subscribe(ev.Event, seen.append)
    sm.sweep()
    ctl = FailoverController(sm, Engine())
    pg = ProtectedGroup("svc", MGID, roles["primary"], roles["takeover"],
                        list(roles["senders"]), mode=mode, exclusive=exclusive,
                        detection=Detection(method=detection), failback=Failback(**failback))
    ctl.protect(pg)
    return fabric, roles, sm, ctl, pg, seen


def receivers_at(sm: SubnetManager, mlid: int) -> set[int]:
    """CA nodes a multicast packet from the first sender reaches through the MFTs."""
    from test_sm_properties import flood

    roles = next(r for r in FAILOVER_ROLES.values() if r["switch"] in sm.fabric.nodes)
    got, loops = flood(sm, mlid, PortRef(roles["senders"][0], 1))
    assert loops == 0
    return {p.node for p in got}


def test_sweep_brings_ports_up_assigns_lids_and_routes():
    fabric, roles, sm, ctl, pg, seen = setup()
    assert sm.state == "SUBNET UP"
    for node in fabric.nodes.values():
        for p in node.lid_ports():
            assert p.lid > 0
    assert all(fabric.port(r).state is PortState.ACTIVE for r in fabric.cabled_ports())
    assert set(sm.lfts) == {n.guid for n in fabric.switches()}
    assert any(isinstance(e, ev.MadSent) for e in seen)
    assert sm.mads.count("LinearForwardingTable") > 0


def test_mode1_mlid_reassignment_failover_and_failback():
    fabric, roles, sm, ctl, pg, seen = setup(mode=Mode.MLID)
    mlid = ctl.mlids["svc"]
    assert receivers_at(sm, mlid) == {roles["primary"]}
    mads_before = len(sm.mads)
    ctl.fail(roles["primary"], at_us=1000.0)
    ctl.engine.run()
    out = ctl.outcomes[-1]
    assert out.kind == "failover" and out.mode is Mode.MLID
    assert out.detected_us > 1000.0 and out.restored_us >= out.detected_us
    assert ctl.mlids["svc"] == mlid                                   # same multicast DLID
    assert receivers_at(sm, mlid) == {roles["takeover"]}
    assert ctl.serving["svc"] == roles["takeover"]
    assert out.remote_peers_touched == 0
    assert not set(roles["senders"]) & {m.src.node for m in sm.mads.mads[mads_before:]
                                        if m.kind == "SA"}           # peers never take part
    assert any(isinstance(e, ev.MemberJoined) and e.port.node == roles["takeover"]
               for e in seen)
    ctl.recover(roles["primary"], at_us=ctl.engine.now + 5000)
    ctl.engine.run()
    back = ctl.outcomes[-1]
    assert back.kind == "failback" and back.frozen_us is not None
    phases = [p for _, p in back.phases]
    leave = next(i for i, p in enumerate(phases) if "takeover node leaves" in p)
    rejoin = next(i for i, p in enumerate(phases) if "first node rejoins" in p)
    assert phases[0].startswith("state dump") and leave < rejoin
    assert receivers_at(sm, ctl.mlids["svc"]) == {roles["primary"]}
    assert ctl.mlids["svc"] == mlid


def test_exclusive_fabric_sends_a_proxy_leave_first():
    fabric, roles, sm, ctl, pg, seen = setup(mode=Mode.MLID, exclusive=True,
                                             detection="peer")
    ctl.fail(roles["primary"], at_us=0.0)
    ctl.engine.run()
    phases = " | ".join(p for _, p in ctl.outcomes[-1].phases)
    assert "proxy leave" in phases
    group = sm.sa.groups[MGID]
    assert [p.node for p in group.receivers] == [roles["takeover"]]


def test_mode2_port_remap_on_a_switch_without_multicast_table():
    fabric, roles, sm, ctl, pg, seen = setup("fig10", no_mft=True)
    assert ctl.modes["svc"][0] is Mode.PORT and "MulticastFDBCap = 0" in ctl.modes["svc"][1]
    info = sm.switch_info[roles["switch"]]
    assert info.default_mcast_primary_port == roles["primary_port"]
    mlid = ctl.mlids["svc"]
    assert receivers_at(sm, mlid) == {roles["primary"]}
    ctl.fail(roles["primary"], at_us=10.0)
    ctl.engine.run()
    assert info.default_mcast_primary_port == roles["non_primary_port"]
    assert receivers_at(sm, mlid) == {roles["takeover"]}
    assert any(isinstance(e, ev.PrimaryPortRemapped) for e in seen)
    ctl.recover(roles["primary"], at_us=ctl.engine.now + 100)
    ctl.engine.run()
    assert info.default_mcast_primary_port == roles["primary_port"]
    assert receivers_at(sm, mlid) == {roles["primary"]}


def test_auto_mode_picks_mlid_where_switches_keep_tables():
    _, _, _, ctl, _, _ = setup("fig10")
    assert ctl.modes["svc"][0] is Mode.MLID and "keep multicast tables" in ctl.modes["svc"][1]


def test_detection_by_peer_heartbeat_takes_interval_times_misses():
    _, roles, _, ctl, pg, _ = setup(detection="peer")
    ctl.fail(roles["primary"], at_us=100.0)
    ctl.engine.run()
    out = ctl.outcomes[-1]
    assert out.detected_us == pytest.approx(100.0 + 3 * 1000.0)


def test_prior_art_lmc_takeover_touches_remote_peers():
    fabric, roles, sm, ctl, pg, _ = setup(mode=Mode.LMC)
    ctl.fail(roles["primary"], at_us=0.0)
    ctl.engine.run()
    out = ctl.outcomes[-1]
    assert out.mode is Mode.LMC and out.remote_peers_touched == len(roles["senders"])
    assert out.mads > 0


def test_stay_until_connections_expire_delays_failback():
    _, roles, _, ctl, _, _ = setup(mode=Mode.MLID, stay_until_expired=True,
                                   connection_lifetime_us=7000.0)
    ctl.fail(roles["primary"], at_us=0.0)
    ctl.engine.run()
    ctl.recover(roles["primary"], at_us=ctl.engine.now + 10)
    ctl.engine.run()
    back = ctl.outcomes[-1]
    assert back.restored_us - back.started_us >= 7000.0


def test_single_member_groups_get_no_tree_and_say_why():
    fabric, roles, sm, ctl, pg, seen = setup()
    from ibviz.core.sm.records import REQUIRED_FOR_CREATE, JoinState, SaMethod
    from ibviz.core.sm.records import McMemberRecord as R

    mgid = parse_gid("ff12::77")
    port = ctl.port_of(roles["takeover"])
    guid = fabric.node(port.node).ports[port.port].guid
    from ibviz.core.addressing import link_local_gid

    sm.sa_request(SaMethod.SET, port, R(mgid=mgid, port_gid=link_local_gid(guid),
                                        join_state=int(JoinState.FULL)),
                  int(REQUIRED_FOR_CREATE))
    tree = sm.trees[mgid]
    assert not tree.entries and "at least" in tree.reason or "2 or more" in tree.reason


def test_unicast_range_group_lid_for_connected_transports():
    """RC/UC workaround: a unicast-range LID routed to the group, moving on failover."""
    from ibviz.core.sm.routing import route

    fabric, roles, sm, ctl, pg, seen = setup(mode=Mode.MLID)
    free = max(fabric.lid_owners()) + 1
    sm.associate_unicast_lid(MGID, free)
    assert sm.sa.groups[MGID].unicast_lid == free
    with pytest.raises(ValueError):
        sm.associate_unicast_lid(MGID, 0xC005)

    def reached(dlid: int) -> int:
        sender = PortRef(roles["senders"][0], 1)
        node, port = sender.node, sender.port
        at = fabric.peer(sender)
        for _ in range(16):
            if at.node not in sm.lfts:
                return at.node
            out = int(sm.lfts[at.node][dlid])
            at = fabric.peer(PortRef(at.node, out))
        raise AssertionError(f"no delivery of {dlid:#x} from {node:#x}/{port}")

    assert reached(free) == roles["primary"] and sm.group_lid_owner(MGID).node == roles["primary"]
    ctl.fail(roles["primary"], at_us=0.0)
    ctl.engine.run()
    assert reached(free) == roles["takeover"]
    assert route  # the routing module's own walker is tested in test_sm_routing.py


def test_several_protected_groups_fail_over_independently():
    fabric, roles, sm, ctl, pg, seen = setup("fig8", mode=Mode.MLID)
    other = ProtectedGroup("svc2", parse_gid("ff12:601b:ffff::1:0:2"), roles["takeover"],
                           roles["primary"], list(roles["senders"]), mode=Mode.MLID)
    ctl.protect(other)
    ctl.fail(roles["primary"], at_us=0.0)
    ctl.engine.run()
    assert [o.group for o in ctl.outcomes] == ["svc"]   # svc2's primary is still alive
    assert ctl.serving == {"svc": roles["takeover"], "svc2": roles["takeover"]}
    assert {p.node for p in sm.sa.groups[other.mgid].receivers} == {roles["takeover"]}


def test_failover_phases_are_events_with_start_and_finish():
    fabric, roles, sm, ctl, pg, seen = setup(mode=Mode.MLID)
    ctl.fail(roles["primary"], at_us=0.0)
    ctl.engine.run()
    phases = [e for e in seen if isinstance(e, ev.FailoverPhase)]
    assert phases[0].started and phases[0].mode == "mlid" and "keep" not in phases[0].phase
    assert not phases[-1].started and "failover finished" in phases[-1].phase
    assert all(p.reason == "mode forced to mlid" for p in phases)
    ctl.recover(roles["primary"], at_us=ctl.engine.now + 10)
    ctl.engine.run()
    came_back = [e.new for e in seen if isinstance(e, ev.PortStateChanged)
                 and e.port.node == roles["primary"]]
    assert came_back == [PortState.DOWN, PortState.ARMED, PortState.ACTIVE]


def test_mlid_missing_from_a_tabled_switch_uses_the_default_ports():
    from ibviz.core.sm.switchinfo import SwitchInfo

    info = SwitchInfo(default_mcast_primary_port=3, default_mcast_not_primary_port=5)
    assert multicast_out_ports(info, None, 1) == {3}          # not from primary: to primary
    assert multicast_out_ports(info, None, 3) == {5}          # from primary: to non-primary
    assert multicast_out_ports(info, frozenset({1, 2, 7}), 2) == {1, 7}   # table wins
    no_table = SwitchInfo(multicast_fdb_cap=0, default_mcast_primary_port=3)
    assert multicast_out_ports(no_table, frozenset({1, 2}), 2) == {3}      # no table: defaults
    assert multicast_out_ports(SwitchInfo(), None, 4) == frozenset()       # unset: dropped


@pytest.mark.parametrize("name", ["fig8", "fig10"])
def test_three_strategies_compared_on_the_same_failure(name):
    results = {}
    for mode in (Mode.MLID, Mode.PORT, Mode.LMC):
        fabric, roles, sm, ctl, pg, _ = setup(name, mode=mode, no_mft=(mode is Mode.PORT))
        ctl.fail(roles["primary"], at_us=0.0)
        ctl.engine.run()
        results[mode] = ctl.outcomes[-1]
    mlid, port, lmc = results[Mode.MLID], results[Mode.PORT], results[Mode.LMC]
    for out in results.values():
        assert out.detected_us is not None and out.restored_us >= out.detected_us
    assert mlid.remote_peers_touched == port.remote_peers_touched == 0
    assert lmc.remote_peers_touched == len(FAILOVER_ROLES[name]["senders"])
    assert port.mads <= mlid.mads          # one SwitchInfo Set vs SA join + MFT blocks
    assert port.nodes_touched == {FAILOVER_ROLES[name]["switch"]}


# ------------------------------------------------------ regressions from the code review
def test_prior_art_lmc_takeover_really_moves_the_lid():
    fabric, roles, sm, ctl, pg, _ = setup(mode=Mode.LMC)
    failed_lid = fabric.port(ctl.port_of(roles["primary"])).lid
    ctl.fail(roles["primary"], at_us=0.0)
    ctl.engine.run()
    out = ctl.outcomes[-1]
    assert out.problem is None, out.problem
    tp = fabric.port(ctl.port_of(roles["takeover"]))
    assert tp.lid != 0 and failed_lid in tp.lids()
    live = {}
    for lid, refs in fabric.lid_owners().items():
        refs = [r for r in refs if r.node not in sm.failed]
        assert len(refs) <= 1, f"LID {lid:#x} owned by {refs}"
        live[lid] = refs
    assert live[failed_lid] == [ctl.port_of(roles["takeover"])]
    assert sm.lfts and all(int(t[failed_lid]) != 255 for t in sm.lfts.values())


def test_failing_the_serving_takeover_fails_back_over_or_reports_the_loss():
    fabric, roles, sm, ctl, pg, _ = setup(mode=Mode.MLID)
    ctl.fail(roles["primary"], at_us=0.0)
    ctl.engine.run()
    ctl.fail(roles["takeover"], at_us=ctl.engine.now + 10)
    ctl.engine.run()
    lost = ctl.outcomes[-1]
    assert lost.problem and "no live node left" in lost.problem and lost.restored_us is None
    assert ctl.serving["svc"] is None
    ctl.recover(roles["takeover"], at_us=ctl.engine.now + 10)
    ctl.engine.run()
    assert ctl.serving["svc"] == roles["takeover"]
    assert receivers_at(sm, ctl.mlids["svc"]) == {roles["takeover"]}


def test_takeover_failing_first_then_primary_is_reported_lost():
    fabric, roles, sm, ctl, pg, _ = setup(mode=Mode.MLID)
    ctl.fail(roles["takeover"], at_us=0.0)
    ctl.fail(roles["primary"], at_us=100.0)
    ctl.engine.run()
    assert [o.problem is not None for o in ctl.outcomes] == [True]
    assert ctl.serving["svc"] is None


@pytest.mark.parametrize("mode", [Mode.PORT, Mode.LMC])
def test_failback_rejoins_the_primary_in_every_mode(mode):
    fabric, roles, sm, ctl, pg, _ = setup("fig10", mode=mode, no_mft=(mode is Mode.PORT))
    before = {sw: dict(t) for sw, t in sm.mfts.items()}
    ctl.fail(roles["primary"], at_us=0.0)
    ctl.engine.run()
    ctl.recover(roles["primary"], at_us=ctl.engine.now + 10)
    ctl.engine.run()
    back = ctl.outcomes[-1]
    assert back.kind == "failback" and back.problem is None and back.restored_us
    assert any(p.node == roles["primary"] for p in sm.sa.groups[MGID].receivers)
    assert {sw: dict(t) for sw, t in sm.mfts.items()} == before
    assert receivers_at(sm, ctl.mlids["svc"]) == {roles["primary"]}


def test_forced_port_remap_on_switches_that_keep_tables_reports_the_problem():
    fabric, roles, sm, ctl, pg, _ = setup("fig8", mode=Mode.PORT)
    ctl.fail(roles["primary"], at_us=0.0)
    ctl.engine.run()
    out = ctl.outcomes[-1]
    assert out.problem and "keeps a multicast table" in out.problem
    assert out.restored_us is None


def test_a_second_recover_during_failback_is_ignored():
    fabric, roles, sm, ctl, pg, _ = setup(mode=Mode.MLID)
    ctl.fail(roles["primary"], at_us=0.0)
    ctl.engine.run()
    t = ctl.engine.now
    ctl.recover(roles["primary"], at_us=t + 10)
    ctl.recover(roles["primary"], at_us=t + 20)
    ctl.engine.run()
    assert [o.kind for o in ctl.outcomes] == ["failover", "failback"]
    assert ctl.outcomes[-1].problem is None


def test_failing_the_switch_under_both_nodes_loses_the_group():
    fabric, roles, sm, ctl, pg, _ = setup("fig10", mode=Mode.MLID)
    ctl.fail(roles["switch"], at_us=0.0)
    ctl.engine.run()
    assert ctl.outcomes and ctl.outcomes[-1].problem and ctl.serving["svc"] is None
