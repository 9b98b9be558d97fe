"""Property: for random fabrics, groups and fail/failback sequences, after each failover
or failback completes every live member receives each multicast packet exactly once, no
packet loops, every packet is accounted for, and the run is deterministic."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ibviz.core.scenario import (
    Action,
    FailoverSpec,
    FlowSpec,
    GroupSpec,
    MemberSpec,
    Scenario,
    Session,
    SmOptions,
)
from ibviz.core.scenario.report import invariants_hold
from ibviz.topology import open_fabric

FABRICS = ["leaf-spine:hcas=24,hcas_per_leaf=6", "fat-tree:k=3,n=2", "fat-tree:k=2,n=3",
           "ring:switches=4,hcas_per_switch=3", "fig8", "fig10"]


@st.composite
def scenarios(draw):
    spec = draw(st.sampled_from(FABRICS))
    fabric = open_fabric(spec)
    cas = sorted(n.name for n in fabric.cas())
    leaf = {}  # CA name -> its switch's name, for pairs that can do port remap
    for n in fabric.cas():
        for link in fabric.node_links(n.guid):
            other = link.other(next(e for e in (link.a, link.b) if e.node == n.guid))
            leaf[n.name] = fabric.nodes[other.node].name
    mode = draw(st.sampled_from(["mlid", "port", "lmc"]))
    primary = draw(st.sampled_from(cas))
    mates = [c for c in cas if c != primary and (mode != "port" or leaf[c] == leaf[primary])]
    if not mates:  # nobody else on the primary's switch: port remap is impossible there
        mode, mates = "mlid", [c for c in cas if c != primary]
    takeover = draw(st.sampled_from(mates))
    others = [c for c in cas if c not in (primary, takeover)]
    senders = draw(st.lists(st.sampled_from(others), min_size=1, max_size=3, unique=True))
    extra = draw(st.lists(st.sampled_from([c for c in others if c not in senders] or others),
                          max_size=2, unique=True))
    members = [MemberSpec(s, "send-only-full") for s in senders]
    if mode == "mlid":
        members += [MemberSpec(x, "full") for x in extra if x not in senders]
    flows = [FlowSpec(f"f{i}", s, "group:svc", rate_pps=draw(st.sampled_from([5e3, 2e4])),
                      pattern=draw(st.sampled_from(["constant", "poisson"])))
             for i, s in enumerate(senders)]
    times = sorted(draw(st.lists(st.integers(5, 55), min_size=1, max_size=4, unique=True)))
    timeline = [Action(t * 100.0, "fail" if i % 2 == 0 else "failback", node=primary)
                for i, t in enumerate(times)]
    sm = SmOptions(no_mft_switches=[leaf[primary]] if mode == "port" else [])
    sc = Scenario("prop", spec, groups=[GroupSpec("svc", 0xFF15 << 112 | 0x77, members)],
                  flows=flows, failover=[FailoverSpec("svc", primary, takeover, mode,
                                                      switch=leaf[primary] if mode == "port"
                                                      else None)],
                  timeline=timeline, duration_us=6000, seed=draw(st.integers(0, 99)), sm=sm)
    return sc, spec


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_exactly_once_after_every_failover_and_failback(case):
    sc, spec = case
    s = Session(sc, open_fabric(spec))
    s.run()
    r = s.report()
    assert invariants_hold(r), r["invariants"]
    if sc.failover[0].mode != "lmc":
        assert r["invariants"]["exactly_once_checked"] > 0
    for o in r["failover"]:
        assert o["problem"] is None, o
        aborted = o["phases"] and "failback aborted" in o["phases"][-1]["phase"]
        assert (o["restored_us"] is None) == bool(aborted), o
    again = Session(sc, open_fabric(spec))
    again.run()
    assert again.report() == r
