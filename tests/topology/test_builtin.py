"""Built-in fabrics of the seed patent's figures: structure, subnets, LIDs, roles."""

from __future__ import annotations

import networkx as nx
import pytest

from ibviz.core.addressing import LINK_LOCAL_PREFIX
from ibviz.core.fabric import Fabric
from ibviz.core.model import CaRole, NodeKind, PortRef, PortState
from ibviz.topology.builtin import (
    FAILOVER_ROLES,
    SUBNET_PREFIXES,
    builtin_description,
    builtin_names,
    load_builtin,
)

NAMES = ["fig2", "fig3", "fig5", "fig6", "fig8", "fig10", "demo"]


def by_name(f: Fabric) -> dict[str, int]:
    return {n.name: g for g, n in f.nodes.items()}


def peer_node(f: Fabric, guid: int, port: int) -> str:
    return f.nodes[f.peer(PortRef(guid, port)).node].name


def kinds(f: Fabric) -> tuple[int, int, int]:
    return f.count(NodeKind.SWITCH), f.count(NodeKind.CA), f.count(NodeKind.ROUTER)


def test_names_and_descriptions():
    assert builtin_names() == NAMES
    for name in NAMES:
        text = builtin_description(name)
        assert text and "\n" not in text
    for name, numbers in (("fig2", ("210", "214", "218", "220", "226", "228", "232")),
                          ("fig3", ("300", "302", "312", "308", "334")),
                          ("fig6", ("602", "604", "610", "624", "626", "628"))):
        assert all(n in builtin_description(name) for n in numbers), name


def test_unknown_name_lists_available():
    with pytest.raises(KeyError, match="no built-in fabric 'fig4'; available: fig2, fig3"):
        load_builtin("fig4")
    with pytest.raises(KeyError, match="available: .*demo"):
        builtin_description("nope")


@pytest.mark.parametrize("name", NAMES)
def test_common_invariants(name):
    f = load_builtin(name)
    assert f == load_builtin(name)  # deterministic
    assert nx.is_connected(f.graph)
    ends = [ref for link in f.links.values() for ref in (link.a, link.b)]
    assert len(ends) == len(set(ends))
    guids = [p.guid for n in f.nodes.values() for p in n.ports.values() if p.guid]
    assert len(guids) == len(set(guids))
    assert not {n.guid for n in f.nodes.values() if not n.is_switch} & set(guids)
    for node in f.nodes.values():
        assert node.subnet in f.subnets and node.description and node.name
        assert len(node.description.encode()) <= 63  # NodeDescription: 64 bytes, NUL
        if not node.is_switch:
            assert all(p.guid == node.guid + n for n, p in node.ports.items())
    lid_ports = [p for n in f.nodes.values() for p in n.lid_ports()]
    lids = [p.lid for p in lid_ports]
    assert 0 not in lids and len(set(lids)) == len(lids) and {p.lmc for p in lid_ports} == {0}
    switch_lids = [s.ports[0].lid for s in f.switches()]
    assert sorted(switch_lids) == list(range(1, len(switch_lids) + 1))  # switches first
    assert all(f.port(ref).state is PortState.ACTIVE for ref in f.cabled_ports())
    assert f.source == f"builtin:{name}"


def _router_subnets(f: Fabric) -> list[set[str]]:
    return [{f.subnet_of(PortRef(r.guid, p)) for p in r.ports} for r in f.routers()]


def _components_without_routers(f: Fabric) -> list[set[str]]:
    g = f.graph.copy()
    g.remove_nodes_from([r.guid for r in f.routers()])
    return sorted(({f.nodes[n].subnet for n in comp} for comp in nx.connected_components(g)),
                  key=sorted)


def test_fig2():
    """Paragraphs 34-37: links 212/216/224/230 join HCA 210, TCAs 218/226 and router 232
    to switch 214 of subnet 236; line 234 leads from the router to another network."""
    f = load_builtin("fig2")
    assert kinds(f) == (2, 4, 1)
    assert f.subnets == SUBNET_PREFIXES
    assert SUBNET_PREFIXES == {"subnet-A": 0xFEC0_0000_0000_000A,
                               "subnet-B": 0xFEC0_0000_0000_000B}
    n = by_name(f)
    assert f.nodes[n["hca210"]].ca_role is CaRole.HCA
    assert "processors 202, memory 206/208" in f.nodes[n["hca210"]].description
    assert {c.name for c in f.cas() if c.ca_role is CaRole.TCA} == {"tca218", "tca226"}
    assert "Ethernet network adapter 220" in f.nodes[n["tca218"]].description
    assert "target peripheral 228" in f.nodes[n["tca226"]].description
    assert "subnet 236" in f.nodes[n["sw214"]].description
    assert [peer_node(f, n[x], 1) for x in ("hca210", "tca218", "tca226", "rt232")] == \
        ["sw214"] * 4
    assert "line 234" in f.nodes[n["rt232"]].description
    assert f.nodes[f.peer(PortRef(n["rt232"], 2)).node].name == "net234-switch"
    assert _router_subnets(f) == [{"subnet-A", "subnet-B"}]
    assert _components_without_routers(f) == [{"subnet-A"}, {"subnet-B"}]


def test_fig3():
    f = load_builtin("fig3")
    n = by_name(f)
    switches = [f"sw{i}" for i in (302, 304, 306, 310, 312)]
    ends = ["host318", "host320", "host322", "raid324", "console326", "io328", "io330",
            "drives332", "storage334"]
    assert set(switches + ends + ["rt308"]) <= set(n)
    assert kinds(f) == (6, 10, 1)  # plus the wide-area subnet-B: one switch, one host
    assert "fabric 301" in f.nodes[n["sw302"]].description
    assert "arrows 303" in f.nodes[n["rt308"]].description
    for a in switches:  # switches fully meshed
        assert {f.nodes[g].name for g in f.neighbors(n[a])} >= set(switches) - {a}
        assert a[2:] in f.nodes[n[a]].description
    for name in ends + ["rt308"]:
        assert "".join(filter(str.isdigit, name)) in f.nodes[n[name]].description
    for host in ("host318", "host320", "host322"):  # dual-homed to two switches
        homes = {peer_node(f, n[host], p) for p in (1, 2)}
        assert len(homes) == 2 and homes <= set(switches)
    tcas = {c.name for c in f.cas() if c.ca_role is CaRole.TCA}
    assert tcas == {"raid324", "io328", "io330", "drives332", "storage334"}
    assert f.nodes[n["console326"]].ca_role is CaRole.HCA
    rt = n["rt308"]
    assert peer_node(f, rt, 1) in switches
    assert f.nodes[f.peer(PortRef(rt, 2)).node].subnet == "subnet-B"
    assert _router_subnets(f) == [{"subnet-A", "subnet-B"}]
    assert _components_without_routers(f) == [{"subnet-A"}, {"subnet-B"}]


def test_fig5():
    f = load_builtin("fig5")
    assert kinds(f) == (1, 3, 0)
    assert f.subnets == {"default": LINK_LOCAL_PREFIX}
    n = by_name(f)
    end = f.nodes[n["endnode"]]
    assert end.num_ports == 4
    assert [f.peer(PortRef(end.guid, p)) for p in range(1, 5)] == \
        [PortRef(n["switch-1"], p) for p in range(1, 5)]
    assert f.graph.number_of_edges(end.guid, n["switch-1"]) == 4
    assert {peer_node(f, n[h], 1) for h in ("host-a", "host-b")} == {"switch-1"}
    assert len({p.lid for p in end.ports.values()}) == 4


def test_fig6():
    """Paragraph 52: subnet 602 (end nodes 604/606/608, switches 610/612) and subnet 604
    (end nodes 614-620, switches 622/624) joined by routers 626 and 628; node 604 has one
    port on switch 610 and one on switch 612."""
    f = load_builtin("fig6")
    assert kinds(f) == (4, 7, 2)
    assert f.subnets == SUBNET_PREFIXES
    assert len(set(f.subnets.values())) == 2
    comps = _components_without_routers(f)
    assert comps == [{"subnet-A"}, {"subnet-B"}]
    members = {s: sorted(n.name for n in f.nodes.values()
                         if n.subnet == s and n.kind is not NodeKind.ROUTER)
               for s in ("subnet-A", "subnet-B")}
    assert members == {"subnet-A": ["node604", "node606", "node608", "sw610", "sw612"],
                       "subnet-B": ["node614", "node616", "node618", "node620", "sw622",
                                    "sw624"]}
    n = by_name(f)
    assert [peer_node(f, n["node604"], p) for p in (1, 2)] == ["sw610", "sw612"]
    assert "subnet 602" in f.nodes[n["node606"]].description
    assert "subnet 604" in f.nodes[n["node620"]].description
    joined = {f.nodes[r.guid].name: (peer_node(f, r.guid, 1), peer_node(f, r.guid, 2))
              for r in f.routers()}
    assert joined == {"rt626": ("sw610", "sw622"), "rt628": ("sw612", "sw624")}
    for r in f.routers():
        assert f.subnet_of(PortRef(r.guid, 1)) == "subnet-A"
        assert f.subnet_of(PortRef(r.guid, 2)) == "subnet-B"
    # each router joins different switches: losing one router keeps the subnets joined
    g = f.graph.copy()
    g.remove_node(next(f.routers()).guid)
    assert nx.is_connected(g)


@pytest.mark.parametrize("name", ["fig8", "fig10", "demo"])
def test_failover_roles(name):
    f = load_builtin(name)
    roles = FAILOVER_ROLES[name]
    sw = roles["switch"]
    assert f.nodes[sw].name == "switch-1"
    assert f.nodes[roles["primary"]].description == "first-node (primary)"
    assert f.nodes[roles["takeover"]].description == "second-node (takeover)"
    assert f.peer(PortRef(roles["primary"], 1)) == PortRef(sw, roles["primary_port"])
    assert f.peer(PortRef(roles["takeover"], 1)) == PortRef(sw, roles["non_primary_port"])
    assert roles["primary_port"] != roles["non_primary_port"]
    for s in roles["senders"]:
        assert f.nodes[s].description.endswith("(remote peer)")
    assert all(c.ca_role is CaRole.HCA for c in f.cas())


def test_fig10_and_demo():
    f = load_builtin("fig10")
    assert kinds(f) == (1, 3, 0) and len(f.links) == 3
    assert load_builtin("demo") == f
    assert FAILOVER_ROLES["demo"] == FAILOVER_ROLES["fig10"]
    assert [f.nodes[s].description for s in FAILOVER_ROLES["fig10"]["senders"]] == \
        ["sender (remote peer)"]


def test_fig8_has_two_switches_and_two_senders():
    f = load_builtin("fig8")
    assert kinds(f) == (2, 4, 0)
    roles = FAILOVER_ROLES["fig8"]
    assert len(roles["senders"]) == 2
    n = by_name(f)
    assert f.neighbors(n["switch-1"]) >= {n["switch-2"]}
    assert f.nodes[f.peer(PortRef(roles["senders"][1], 1)).node].name == "switch-2"
