"""User actions on a running session: fail, fail back, joins, links; undo and redo."""

from __future__ import annotations

import numpy as np

from ibviz.core import actions as act
from ibviz.core import events as ev
from ibviz.core.model import PortRef
from ibviz.topology.scenarios import open_session, session_for_fabric


def state(s):
    return (s.engine.now, set(s.sm.failed), dict(s.controller.serving),
            {m: {sw: e for sw, e in t.items()} for m, t in s.sm.mfts.items()},
            len(s.net.packets), len(s.log))


def test_user_fail_then_undo_restores_exactly_what_was_seen_and_redo_reapplies():
    s = open_session("fig8")
    pg = s.controller.groups["svc"]
    s.run_until(1500)
    before = state(s)
    resets = []
    s.events.subscribe(ev.SessionReset, resets.append)
    s.apply(act.Fail(pg.primary))
    assert s.undo_name == f"Fail {pg.primary:#x}"
    s.run_until(1800)
    assert s.controller.serving["svc"] == pg.takeover and pg.primary in s.sm.failed
    assert s.undo() == f"Fail {pg.primary:#x}"
    # two rebuilds: the Fail drops the script's own fail at 2 ms, the undo restores it
    assert state(s) == before and len(resets) == 2
    assert s.redo_name == f"Fail {pg.primary:#x}" and s.undo_name is None
    s.redo()
    s.run_until(1800)
    assert s.controller.serving["svc"] == pg.takeover
    assert s.undo_name is not None and s.redo_name is None


def test_failback_from_the_gui_hands_the_group_back():
    s = open_session("fig10")
    pg = s.controller.groups["svc"]
    s.run_until(2500)                       # the scenario failed first-node at 2 ms
    assert s.controller.serving["svc"] == pg.takeover
    s.apply(act.FailBack(pg.primary))
    s.run_until(3500)
    assert s.controller.serving["svc"] == pg.primary
    assert s.sm.switch_info[pg.switch or next(iter(s.sm.switch_info))] \
        .default_mcast_primary_port == 1


def test_cutting_the_primarys_cable_fails_the_group_over_and_restoring_fails_back():
    s = open_session("fig8")
    pg = s.controller.groups["svc"]
    s.run_until(500)
    s.apply(act.LinkDown(pg.primary, 1))
    s.run_until(1000)
    assert s.controller.serving["svc"] == pg.takeover
    assert any(e.kind == "link" and "down" in e.text for e in s.log)
    s.apply(act.LinkUp(pg.primary, 1))
    s.run_until(1900)
    assert s.controller.serving["svc"] == pg.primary


def test_join_and_leave_attach_and_detach_the_qp():
    s = open_session("fig8")
    pg = s.controller.groups["svc"]
    s.run_until(100)
    mlid = s.controller.mlids["svc"]
    sender = pg.senders[0]
    s.apply(act.Join(sender, "svc"))
    s.run_until(200)
    assert PortRef(sender, 1) in s.net.receive.attached[mlid]
    s.apply(act.Leave(sender, "svc"))
    s.run_until(300)
    assert PortRef(sender, 1) not in s.net.receive.attached[mlid]
    assert [e.kind for e in s.log if e.node == sender][-2:] == ["join", "leave"]


def test_hop_log_answers_what_is_on_the_wire_at_any_past_time():
    s = open_session("fig8")
    s.run_until(3000)
    hops = s.hops
    assert len(hops) > 100
    k = len(hops) // 2
    t = (hops.t0[k] + hops.t1[k]) / 2
    idx = hops.in_flight(t)
    assert k in idx
    assert np.all(hops.t0[idx] <= t) and np.all(hops.t1[idx] > t)
    h = hops[int(idx[0])]
    assert s.fabric.link_at(h.src).other(h.src) == h.dst
    assert h.flow in s.flow_names


def test_narration_says_what_happened_in_plain_words():
    s = open_session("fig8")
    s.run()
    text = " ".join(line for _, line in s.narration())
    assert "Node first-node (primary) failed" in text
    assert "second-node" in text and "0x" not in text.replace("0xc0", "")
    assert "remote senders changed nothing" in text


def test_a_bare_fabric_gets_a_session_without_traffic():
    from ibviz.topology import open_fabric

    s = session_for_fabric(open_fabric("fat-tree:k=4,n=2"))
    s.run_until(100)
    assert s.sm.lfts and not s.flows and s.report()["flows"] == []


def test_inspection_helpers_the_gui_uses():
    s = open_session("fig8")
    s.run()
    times = s.failover_times()
    fo = s.controller.outcomes[0]
    assert times[0] == fo.started_us and fo.restored_us in times and times == sorted(times)
    sw = next(n.guid for n in s.fabric.switches() if n.name == "switch-1")
    mlid = s.controller.mlids["svc"]
    before, after = s.mft_diff(sw)[mlid]   # last outcome: the failback
    assert before != after
    t, delivered, lost = s.flow_series("requests")
    r = s.report()["flows"][0]
    assert delivered[-1] == r["delivered"] and lost[-1] == r["lost"]
    assert list(t) == sorted(t)
    i = next(i for i, e in enumerate(s.log) if e.kind == "mad")
    assert s.mad(i) == s.sm.mads.mads[s.log[i].ref]
    assert s.mad(next(i for i, e in enumerate(s.log) if e.kind != "mad")) is None
    pid = next(p for p, pk in s.net.packets.items() if pk.flow == "requests")
    wire = s.packet(pid)
    assert wire.lrh.dlid == mlid and wire.bth.dest_qp == 0xFFFFFF and wire.grh is not None


def mfts(s):
    return {sw: dict(t) for sw, t in s.sm.mfts.items()}


def test_undo_of_fail_failback_join_leave_restores_the_tables_by_replay():
    """Replaces the glue-style CommandStack test: one undo mechanism, replay."""
    s = open_session("fig8")
    pg = s.controller.groups["svc"]
    s.run_until(100)
    before = mfts(s)
    s.apply(act.Fail(pg.primary))
    s.run_until(900)
    assert s.controller.serving["svc"] == pg.takeover and mfts(s) != before
    s.undo()
    assert mfts(s) == before and not s.sm.failed
    s.redo()
    s.run_until(900)
    assert s.controller.serving["svc"] == pg.takeover
    s.apply(act.FailBack(pg.primary))
    s.run_until(1800)
    s.apply(act.Join(pg.takeover, "svc"))
    s.apply(act.Leave(pg.takeover, "svc"))
    for _ in range(4):
        s.undo()
    assert mfts(s) == before and s.undo_name is None


def test_force_mode_undo_and_deterministic_redo():
    s = open_session("fig8")
    pg = s.controller.groups["svc"]
    s.run_until(100)
    mode = s.controller.modes["svc"]
    s.apply(act.ForceMode("svc", "lmc"))
    assert s.undo_name == "Force mode lmc for svc"
    s.run_until(150)
    assert s.controller.modes["svc"][0].value == "lmc"
    s.undo()
    assert s.controller.modes["svc"] == mode
    s.apply(act.Fail(pg.primary))
    s.run_until(1500)
    first = s.controller.outcomes[-1].to_dict()
    s.undo()
    s.redo()
    s.run_until(1500)
    assert s.controller.outcomes[-1].to_dict() == first


def test_a_bad_action_is_refused_and_not_recorded():
    s = open_session("fig8")
    sw = next(n.guid for n in s.fabric.switches())
    import pytest

    from ibviz.core.scenario.model import ScenarioError

    with pytest.raises(ScenarioError, match="not cabled"):
        s.apply(act.LinkDown(sw, 36))
    with pytest.raises(ScenarioError, match="no group"):
        s.apply(act.Join(sw, "nope"))
    assert s.actions == [] and s.undo_name is None


def test_a_node_no_group_is_served_by_is_narrated_with_why_nothing_fails_over():
    """A fabric opened without a scenario (the operator's generated fat tree): after a Fail
    the narration says the node failed and why nothing fails over, never "nothing has
    failed"; fail back says it is back. A protected group's failover keeps its own story."""
    from ibviz.topology import open_fabric

    s = session_for_fabric(open_fabric("fat-tree:k=4,n=3"))
    host = min(g for g, n in s.fabric.nodes.items() if n.kind.name == "CA")
    label = s.fabric.nodes[host].label
    s.run_until(50)
    s.apply(act.Fail(host))
    s.run_until(200)
    said = [text for t, text in s.narration() if t <= 200]
    assert said == [f"{label} failed. No protected multicast group is served by it, so "
                    "nothing fails over: the SM routes around it."]
    s.apply(act.FailBack(host))
    s.run_until(400)
    assert s.narration()[-1][1].startswith(f"{label} is back. No protected multicast group")
    fig8 = open_session("fig8")
    fig8.run_until(2500)
    assert not any("No protected" in text for _, text in fig8.narration())
