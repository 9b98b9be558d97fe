"""Which labels stay on the canvas: the selected node first, then each protected group's
serving node and its roles, the search hits, and the nodes a shown sentence names."""

from __future__ import annotations

from ibviz.app.pinned import named_nodes, pinned_nodes
from ibviz.core import actions as act
from ibviz.core.scenario import Session
from ibviz.topology.scenarios import fabric_for, load_scenario


def fig10() -> Session:
    sc = load_scenario("fig10")
    sc.timeline = []
    s = Session(sc, fabric_for(sc))
    s.run_until(500.0)
    return s


def by_name(s: Session, name: str) -> int:
    return next(g for g, n in s.fabric.nodes.items() if n.name == name)


def test_a_sentence_names_nodes_by_name_and_description():
    s = fig10()
    text = "Group svc is served by second-node (takeover) after 23 \u00b5s; switch-1 remapped."
    assert named_nodes(s.fabric, text) == [by_name(s, "second-node"), by_name(s, "switch-1")]
    assert named_nodes(s.fabric, "Nothing has failed yet.") == []


def test_pinned_order_selected_roles_hits_then_named():
    s = fig10()
    pg = next(iter(s.controller.groups.values()))
    switch = by_name(s, "switch-1")
    pinned = pinned_nodes(s, None, ["switch-1 forwards MLID 0xc001"], selected=pg.senders[0],
                          hits=[pg.takeover])
    assert pinned[0] == pg.senders[0]
    assert pinned[1] == pg.primary                     # it serves the group now
    roles = {pg.primary, pg.takeover, *pg.senders}
    assert set(pinned[:len(roles)]) == roles
    assert pinned[-1] == switch and len(pinned) == len(set(pinned))


def test_after_the_failover_the_takeover_is_pinned_first():
    s = fig10()
    pg = next(iter(s.controller.groups.values()))
    s.apply(act.Fail(pg.primary))
    s.run_until(3000.0)
    assert pinned_nodes(s, None)[0] == pg.takeover
