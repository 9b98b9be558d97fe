"""The exactly-once checker knows what to expect when a sender leaves, fails or loses
its link (before, each of these showed up as a broken invariant)."""

from __future__ import annotations

from collections import Counter

from ibviz.core.model import PortRef
from ibviz.core.scenario import Session
from ibviz.core.scenario.model import Action
from ibviz.core.scenario.report import broken
from ibviz.topology.scenarios import fabric_for, load_scenario

FLOW = "svc-a-from-node0101"


def run(*actions: Action, duration: float = 4000.0) -> tuple[Session, dict]:
    sc = load_scenario("fat-tree-1000")
    sc.timeline = list(actions)
    sc.duration_us = duration
    s = Session(sc, fabric_for(sc), record_hops=False)
    s.run()
    return s, s.report()


def sender_pids(s: Session, after_us: float) -> list[int]:
    return [pid for pid, p in s.net.packets.items()
            if p.flow == FLOW and s.net.sent_at[pid][1] > after_us]


def test_a_sender_that_left_may_reach_receivers_at_most_once():
    s, r = run(Action(1000, "leave", node="node0101", group="svc-a",
                      join_state="send-only-full"))
    late = sender_pids(s, 1600)
    assert late and all(pid in s.expectations.loose for pid in late)
    early = sender_pids(s, 0)[:3]
    assert not any(pid in s.expectations.loose for pid in early if
                   s.net.sent_at[pid][1] < 900)
    inv = r["invariants"]
    assert inv["exactly_once"] and inv["exactly_once_checked"] > 400, inv["problems"]
    flow = next(f for f in r["flows"] if f["name"] == FLOW)
    assert flow["lost_by_reason"] == {"no multicast route": flow["lost"]} and flow["lost"]


def test_a_sender_whose_link_is_down_is_expected_to_reach_nobody():
    s, r = run(Action(1000, "link_down", node="node0101", port=1))
    late = sender_pids(s, 1600)
    assert late and all(s.expectations.expected[pid] == frozenset() for pid in late)
    assert r["invariants"]["exactly_once"], r["invariants"]["problems"]


def test_a_failed_sender_sends_nothing_and_breaks_nothing():
    s, r = run(Action(1000, "fail", node="node0101"))
    assert not sender_pids(s, 1100)
    flow = next(f for f in r["flows"] if f["name"] == FLOW)
    assert flow["not_sent"].get("source node down", 0) > 0
    assert r["invariants"]["exactly_once"], r["invariants"]["problems"]


def test_broken_is_strict_for_members_and_a_subset_rule_for_the_others():
    a, b, c = PortRef(1, 1), PortRef(2, 1), PortRef(3, 1)
    want = frozenset({a, b})
    assert not broken(want, Counter([a, b]), loose=False)
    assert broken(want, Counter([a]), loose=False)
    assert broken(want, Counter([a, b, b]), loose=False)
    assert not broken(want, Counter([a]), loose=True)
    assert not broken(want, Counter(), loose=True)
    assert broken(want, Counter([a, c]), loose=True)
    assert broken(want, Counter([a, a]), loose=True)
