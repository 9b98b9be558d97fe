"""Property: packets in flight while the SM reprograms the fabric never loop.

Each MFT and LFT write takes effect at its MAD's arrival at the switch (the packet
simulator's :class:`~ibviz.core.sim.tables.DataPlane`), and the SM sends a group's MFT
writes one after another in make-before-break order. Random sequences of joins, leaves,
node failures and recoveries, cable losses and repairs (between switches, and of CAs)
run on rings, tori, meshes and fat trees under fast multicast traffic (a copy is
always on some cable while the tables change):
no multicast copy reaches a switch twice, every copy is accounted for, and each packet
reaches exactly the receivers expected (including senders that left, failed or lost
their cable). The last test runs the same traffic with every write landing at once and
shows the loops this prevents.

By hand, for many sequences: ``IBVIZ_FLIGHT_EXAMPLES=500 python3 -m pytest
tests/scenario/test_reprogramming_in_flight.py -q -s``.
"""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ibviz.core.model import NodeKind
from ibviz.core.scenario import Action, FlowSpec, GroupSpec, MemberSpec, Scenario, Session
from ibviz.core.scenario.report import invariants_hold
from ibviz.core.sim import tables as tables_mod
from ibviz.topology import open_fabric

EXAMPLES = int(os.environ.get("IBVIZ_FLIGHT_EXAMPLES", "30"))
FABRICS = ["ring:switches=6,hcas_per_switch=2", "ring:switches=9,hcas_per_switch=1",
           "torus:dims=3x3,hcas_per_switch=1", "mesh:dims=3x3,hcas_per_switch=1",
           "fat-tree:k=4,n=2", "fat-tree:k=2,n=3"]
TOTALS: Counter = Counter()


@st.composite
def sequences(draw, fabrics=FABRICS):
    spec = draw(st.sampled_from(fabrics))
    fabric = open_fabric(spec)
    cas = sorted(n.name for n in fabric.cas())
    # cables between switches, and CA cables (seen from the CA: a sender or a member
    # that loses its link)
    isls = sorted((fabric.nodes[lk.a.node].name, lk.a.port) if
                  fabric.nodes[lk.a.node].kind is not NodeKind.SWITCH or
                  fabric.nodes[lk.b.node].kind is NodeKind.SWITCH
                  else (fabric.nodes[lk.b.node].name, lk.b.port)
                  for lk in fabric.links.values())
    members = draw(st.lists(st.sampled_from(cas), min_size=2, max_size=5, unique=True))
    senders = draw(st.lists(st.sampled_from(cas), min_size=1, max_size=2, unique=True))
    group = [MemberSpec(m, "full") for m in members]
    group += [MemberSpec(s, "send-only-full") for s in senders if s not in members]
    flows = [FlowSpec(f"f{i}", s, "group:g", rate_pps=200_000, pattern="constant")
             for i, s in enumerate(senders)]
    times = sorted(draw(st.lists(st.integers(2, 40), min_size=2, max_size=7, unique=True)))
    failed: set[str] = set()
    down: set[tuple[str, int]] = set()
    timeline = []
    for t in times:
        op = draw(st.sampled_from(["join", "leave", "fail", "failback", "link_down",
                                   "link_up"]))
        at = t * 75.0
        if op == "join":
            timeline.append(Action(at, "join", node=draw(st.sampled_from(cas)), group="g"))
        elif op == "leave":
            timeline.append(Action(at, "leave", node=draw(st.sampled_from(members)),
                                   group="g"))
        elif op == "fail" or (op == "failback" and not failed):
            node = draw(st.sampled_from(cas))
            if node not in failed:
                failed.add(node)
                timeline.append(Action(at, "fail", node=node))
        elif op == "failback":
            node = draw(st.sampled_from(sorted(failed)))
            failed.discard(node)
            timeline.append(Action(at, "failback", node=node))
        elif op == "link_down" or not down:
            if isls:
                cable = draw(st.sampled_from(isls))
                if cable not in down:
                    down.add(cable)
                    timeline.append(Action(at, "link_down", node=cable[0], port=cable[1]))
        else:
            cable = draw(st.sampled_from(sorted(down)))
            down.discard(cable)
            timeline.append(Action(at, "link_up", node=cable[0], port=cable[1]))
    sc = Scenario("flight", spec, groups=[GroupSpec("g", 0xFF15 << 112 | 0x91, group)],
                  flows=flows, timeline=timeline, duration_us=3200.0,
                  seed=draw(st.integers(0, 99)))
    return sc, spec


def run(sc: Scenario, spec: str) -> dict:
    s = Session(sc, open_fabric(spec), record_hops=False)
    s.run()
    report = s.report()
    TOTALS["sequences"] += 1
    TOTALS["writes applied at MAD arrival"] += s.net.plane.applied
    TOTALS["loops"] += report["invariants"]["loops"]
    return report


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sequences())
def test_no_transient_loop_and_exactly_once_under_random_reprogramming(case):
    sc, spec = case
    report = run(sc, spec)
    inv = report["invariants"]
    assert inv["loops"] == 0, (spec, sc.timeline)
    assert invariants_hold(report), (spec, sc.timeline, inv)


def test_totals(capsys):
    """Prints what the property test saw (run with -s)."""
    with capsys.disabled():
        print(f"\nreprogramming in flight: {dict(TOTALS)}")


def torus_case() -> Scenario:
    """A sequence the property test's strategy drew, which loops when writes land at once."""
    members = [MemberSpec(f"node{i:04d}", "full") for i in (5, 1, 9, 7)]
    return Scenario(
        "flight", "torus:dims=3x3,hcas_per_switch=1",
        groups=[GroupSpec("g", 0xFF15 << 112 | 0x91, members)],
        flows=[FlowSpec("f0", "node0007", "group:g", rate_pps=200_000),
               FlowSpec("f1", "node0005", "group:g", rate_pps=200_000)],
        timeline=[Action(225.0, "leave", node="node0009", group="g"),
                  Action(825.0, "fail", node="node0003"),
                  Action(2475.0, "failback", node="node0003")],
        duration_us=3200.0, seed=56)


def test_writes_at_mad_arrival_keep_the_torus_case_loop_free():
    report = run(torus_case(), "torus:dims=3x3,hcas_per_switch=1")
    assert invariants_hold(report), report["invariants"]


def test_writes_landing_at_once_loop_in_the_torus_case(monkeypatch):
    """Every write applied when the SM decides it (what the simulator did before): a
    copy in flight meets old tables behind it and new ones ahead and loops, so the
    property above can fail."""
    monkeypatch.setattr(tables_mod.DataPlane, "_arrival", lambda self, mad: self.engine.now)
    report = run(torus_case(), "torus:dims=3x3,hcas_per_switch=1")
    assert report["invariants"]["loops"] > 0
