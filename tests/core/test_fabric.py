import pytest

from ibviz.core import Fabric, FabricError, LinkSpeed, LinkWidth, Node, NodeKind, PortRef
from ibviz.core.diff import diff_fabrics
from ibviz.core.events import Event, LidAssigned, LinkAdded, LinkRemoved, NodeAdded
from ibviz.core.model import PortState


def small() -> Fabric:
    f = Fabric("small")
    f.add_node(Node(0x10, NodeKind.SWITCH, 8, "sw1"))
    f.add_node(Node(0x20, NodeKind.CA, 2, "host1 HCA-1"))
    f.add_node(Node(0x30, NodeKind.CA, 1, "host2 HCA-1"))
    f.connect(PortRef(0x10, 1), PortRef(0x20, 1), LinkWidth.X4, LinkSpeed.HDR)
    f.connect(PortRef(0x10, 2), PortRef(0x20, 2), LinkWidth.X4, LinkSpeed.HDR)
    f.connect(PortRef(0x30, 1), PortRef(0x10, 3), LinkWidth.X4, LinkSpeed.EDR)
    return f


def test_nodes_have_ports_and_switch_port0():
    f = small()
    sw = f.node(0x10)
    assert sorted(sw.ports) == list(range(9)) and sw.ports[0].guid == 0x10
    assert sorted(f.node(0x20).ports) == [1, 2]
    assert f.node(0x20).ca_role.value == "hca"


def test_links_are_canonical_and_graph_backed():
    f = small()
    link = f.link_at(PortRef(0x10, 3))
    assert link.a == PortRef(0x10, 3) and link.b == PortRef(0x30, 1)
    assert f.peer(PortRef(0x30, 1)) == PortRef(0x10, 3)
    assert f.graph.number_of_edges(0x10, 0x20) == 2  # parallel cables stay distinct
    assert f.neighbors(0x10) == {0x20, 0x30}
    f.disconnect(PortRef(0x20, 2))
    assert f.graph.number_of_edges(0x10, 0x20) == 1 and f.peer(PortRef(0x10, 2)) is None


def test_loopback_cable_on_one_switch():
    f = small()
    link = f.connect(PortRef(0x10, 5), PortRef(0x10, 6))
    assert link.is_loopback and f.graph.number_of_edges(0x10, 0x10) == 1


@pytest.mark.parametrize("a,b,msg", [
    (PortRef(0x10, 0), PortRef(0x30, 1), "port 0 is internal"),
    (PortRef(0x10, 9), PortRef(0x10, 4), "has no port 9"),
    (PortRef(0x10, 1), PortRef(0x10, 4), "already cabled"),
    (PortRef(0x10, 4), PortRef(0x10, 4), "to itself"),
])
def test_bad_cabling_is_refused(a, b, msg):
    f = small()
    with pytest.raises(FabricError, match=msg):
        f.connect(a, b)


def test_duplicate_guid_refused():
    with pytest.raises(FabricError, match="already exists"):
        small().add_node(Node(0x10, NodeKind.CA, 1))


def test_events_are_typed_and_unsubscribable():
    f = Fabric()
    seen: list[Event] = []
    unsubscribe = f.events.subscribe(Event, seen.append)
    f.add_node(Node(1, NodeKind.SWITCH, 4))
    f.add_node(Node(2, NodeKind.CA, 1))
    f.connect(PortRef(1, 1), PortRef(2, 1))
    f.assign_lid(PortRef(2, 1), 7, 1)
    f.disconnect(PortRef(2, 1))
    assert [type(e) for e in seen] == [NodeAdded, NodeAdded, LinkAdded, LidAssigned, LinkRemoved]
    assert seen[3] == LidAssigned(PortRef(2, 1), 0, 0, 7, 1)
    unsubscribe()
    f.add_node(Node(3, NodeKind.CA, 1))
    assert len(seen) == 5


def test_copy_is_deep_and_equal_and_diff_finds_changes():
    f = small()
    g = f.copy()
    assert g == f and g is not f
    g.assign_lid(PortRef(0x20, 1), 5)
    g.set_port_state(PortRef(0x20, 1), PortState.ACTIVE)
    g.disconnect(PortRef(0x30, 1))
    g.add_node(Node(0x40, NodeKind.ROUTER, 2, "rt"))
    g.node(0x10).description = "renamed"
    assert f.node(0x20).ports[1].lid == 0  # the copy did not share ports
    d = diff_fabrics(f, g)
    assert d.nodes_added == [0x40]
    assert [str(c) for c in d.nodes_changed[0x10]] == ["description: 'sw1' -> 'renamed'"]
    assert {c.where for c in d.nodes_changed[0x20]} == {"port[1].lid", "port[1].state"}
    assert d.links_removed == [(PortRef(0x10, 3), PortRef(0x30, 1))]
    assert f != g
    assert "+ node 0x0000000000000040" in d.summary()
    assert d.to_dict()["links_removed"] == ["0000000000000010[3]-0000000000000030[1]"]


def test_find_by_guid_lid_and_name():
    f = small()
    f.assign_lid(PortRef(0x20, 1), 8, 2)
    assert [n.guid for n in f.find("0x10")] == [0x10]
    assert [n.guid for n in f.find("10")] == [0x20]  # LID 10 is in host1's LMC range 8-11
    assert [n.guid for n in f.find("host2")] == [0x30]
    assert f.find("nothing-like-this") == []


def test_remove_node_removes_its_cables():
    f = small()
    f.remove_node(0x20)
    assert len(f.links) == 1 and 0x20 not in f.graph


def test_copy_keeps_every_port_and_link_field_and_builds_its_graph_on_use():
    from dataclasses import astuple

    f = small()
    f.assign_lid(PortRef(0x20, 1), 8, 2)
    f.set_port_state(PortRef(0x20, 1), PortState.ACTIVE)
    f.node(0x10).ports[1].label = "1/1/1"
    g = f.copy()
    for guid, node in f.nodes.items():
        assert [astuple(p) for p in node.ports.values()] == \
            [astuple(p) for p in g.nodes[guid].ports.values()]
    assert [astuple(link) for link in f.links.values()] == \
        [astuple(link) for link in g.links.values()]
    assert all(g.links[k] is not link for k, link in f.links.items())
    assert g.neighbors(0x10) == {0x20, 0x30} and len(g.node_links(0x10)) == 3
    g.disconnect(PortRef(0x30, 1))  # the graph follows once built
    assert g.neighbors(0x10) == {0x20} and f.neighbors(0x10) == {0x20, 0x30}
    h = g.copy()
    h.connect(PortRef(0x30, 1), PortRef(0x10, 4))  # before its graph is built
    assert h.neighbors(0x10) == {0x20, 0x30}


def _tangle() -> Fabric:
    """Cables to three neighbours interleaved, parallel cables and a loopback."""
    f = Fabric("tangle")
    for guid in (0x10, 0x11, 0x12, 0x13):
        f.add_node(Node(guid, NodeKind.SWITCH, 12, f"sw{guid:x}"))
    for mine, (other, port) in enumerate([(0x12, 1), (0x11, 1), (0x12, 2), (0x13, 1),
                                          (0x11, 2), (0x10, 11), (0x12, 3)], 1):
        f.connect(PortRef(0x10, mine), PortRef(other, port))
    f.connect(PortRef(0x12, 9), PortRef(0x11, 9))
    return f


def test_node_links_before_the_graph_is_built_are_in_the_graphs_order():
    lazy, built = _tangle(), _tangle()
    assert built.graph.number_of_edges(0x10, 0x12) == 3  # builds it
    for guid in (0x10, 0x11, 0x12, 0x13):
        want = [built.links[k] for _, _, k in built.graph.edges(guid, keys=True)]
        assert lazy.node_links(guid) == want
        assert lazy.neighbor_order(guid) == list(built.graph.neighbors(guid))
        assert lazy.neighbors(guid) == set(built.graph.neighbors(guid))
    assert lazy._graph is None  # answered without building the graph
    lazy.disconnect(PortRef(0x10, 2))  # builds it, then keeps it in step
    built.disconnect(PortRef(0x10, 2))
    lazy.connect(PortRef(0x10, 2), PortRef(0x13, 2))
    built.connect(PortRef(0x10, 2), PortRef(0x13, 2))
    assert lazy.node_links(0x10) == built.node_links(0x10)
    assert sorted(lazy.graph.edges(keys=True)) == sorted(built.graph.edges(keys=True))


def test_connect_many_is_connect_in_turn():
    ends = [(PortRef(0x10, 1), PortRef(0x20, 1)), (PortRef(0x30, 1), PortRef(0x10, 3)),
            (PortRef(0x10, 5), PortRef(0x10, 6)), (PortRef(0x20, 2), PortRef(0x10, 2))]

    def empty() -> Fabric:
        f = Fabric("many")
        f.add_node(Node(0x10, NodeKind.SWITCH, 8, "sw1"))
        f.add_node(Node(0x20, NodeKind.CA, 2, "host1 HCA-1"))
        f.add_node(Node(0x30, NodeKind.CA, 1, "host2 HCA-1"))
        return f

    one, many = empty(), empty()
    for a, b in ends:
        one.connect(a, b, LinkWidth.X4, LinkSpeed.HDR)
    many.connect_many(ends, LinkWidth.X4, LinkSpeed.HDR)
    assert list(many.links.items()) == list(one.links.items())
    assert {r: many.peer(r) for r in many.cabled_ports()} == \
        {r: one.peer(r) for r in one.cabled_ports()}
    for guid in (0x10, 0x20, 0x30):
        assert many.node_links(guid) == one.node_links(guid)
    with pytest.raises(FabricError, match="already cabled"):
        many.connect_many([(PortRef(0x10, 7), PortRef(0x30, 1))])
    with pytest.raises(FabricError, match="port 0 is internal"):
        many.connect_many([(PortRef(0x10, 0), PortRef(0x10, 8))])
    seen: list[Event] = []
    many.events.subscribe(Event, seen.append)
    many.connect_many([(PortRef(0x10, 7), PortRef(0x10, 8))])
    assert [type(e) for e in seen] == [LinkAdded]  # listeners still hear every cable


def test_a_copy_orders_each_nodes_cables_as_connecting_them_in_turn_would():
    """A copy is made without calling connect; its cable order (which routing walks) is
    the one a copy made by connecting each cable in turn has, also after a history of
    removals, and its lazily built graph agrees."""
    f = _tangle()
    f.disconnect(PortRef(0x10, 2))
    f.connect(PortRef(0x10, 2), PortRef(0x13, 2))
    f.disconnect(PortRef(0x12, 9))
    copy = f.copy()
    by_connect = Fabric("tangle")
    for node in f.nodes.values():
        by_connect.add_node(node.copy())
    for link in f.links.values():
        by_connect.connect(link.a, link.b, link.width, link.speed)
    for guid in f.nodes:
        assert copy.node_links(guid) == by_connect.node_links(guid)
        assert copy.neighbor_order(guid) == by_connect.neighbor_order(guid)
        assert list(copy.graph.edges(guid, keys=True)) == \
            list(by_connect.graph.edges(guid, keys=True))
