"""ibviz's ibsim writer and ibnetdiscover reader against the real tools.

Each fabric is written by ibviz as an ibsim net file, loaded by the real ``ibsim``, and
discovered by the real ``ibnetdiscover`` (under umad2sim). ibviz then parses that output
and compares it with the original: node GUIDs and kinds, port counts, descriptions,
CA port GUIDs, cabling, link width and speed.

Directed-route discovery stops at routers, so a fabric with several subnets is
discovered once from inside each subnet and compared with the part of the original
reachable from there without crossing a router (the routers themselves included).
"""

from __future__ import annotations

import pytest

from ibviz.core import Fabric, NodeKind, PortRef
from ibviz.core.diff import diff_fabrics
from ibviz.core.model import CaRole, PortState
from ibviz.topology import dumps
from ibviz.topology.builtin import builtin_names, load_builtin
from ibviz.topology.generators import fat_tree, leaf_spine, torus
from ibviz.topology.ibnetdiscover import parse_ibnetdiscover, set_cabled_states
from ibviz.topology.ibnetdiscover_writer import ibsim_node_ids

ibsim_process = pytest.importorskip("ibviz.backends.ibsim_process")

pytestmark = pytest.mark.realtools


@pytest.fixture(scope="module", autouse=True)
def _tools():
    try:
        ibsim_process.check_tools()
    except ibsim_process.MissingToolsError as exc:
        pytest.skip(str(exc))


def reachable(fabric: Fabric, start: int) -> Fabric:
    """The part of ``fabric`` ibnetdiscover sees from ``start``: nodes reached without
    passing through a router; routers are seen but not crossed, and a CA or router
    shows only the ports the walk reached it by."""
    seen, todo = {start}, [start]
    while todo:
        guid = todo.pop()
        if fabric.nodes[guid].kind is NodeKind.ROUTER and guid != start:
            continue
        for link in fabric.node_links(guid):
            for end in (link.a, link.b):
                if end.node not in seen:
                    seen.add(end.node)
                    todo.append(end.node)
    part = Fabric(fabric.name)
    for guid in seen:
        node = fabric.nodes[guid]
        part.add_node(type(node)(**{f: getattr(node, f) for f in node.__dataclass_fields__
                                    if f != "ports"}))
        for num, port in node.ports.items():
            part.nodes[guid].ports[num] = type(port)(port.num, port.guid, port.lid, port.lmc,
                                                     port.state, port.label)
    for link in fabric.links.values():
        a, b = fabric.nodes[link.a.node], fabric.nodes[link.b.node]
        if link.a.node in seen and link.b.node in seen and not (
                a.kind is NodeKind.ROUTER and b.kind is NodeKind.ROUTER):
            part.connect(link.a, link.b, link.width, link.speed)
    return part


def normalise(fabric: Fabric) -> Fabric:
    """Drop what ibsim without an SM cannot show: LIDs (no SM ran), subnet names, HCA vs
    TCA, source names, and the GUIDs/labels of ports ibnetdiscover did not walk through."""
    f = fabric.copy()
    for node in f.nodes.values():
        node.subnet = "default"
        if node.kind is NodeKind.CA:
            node.ca_role = CaRole.HCA
        for num, port in node.ports.items():
            port.lid = port.lmc = 0
            port.label = None
            cabled = f.peer(PortRef(node.guid, num)) is not None
            if num and not cabled:
                port.state = PortState.DOWN
                if node.kind is not NodeKind.SWITCH:
                    port.guid = 0
    f.subnets = {"default": 0xFE80_0000_0000_0000}
    set_cabled_states(f)
    return f


def discover(fabric: Fabric, tmp_path, sim_host: str | None = None) -> Fabric:
    net = tmp_path / f"{fabric.name.replace(':', '_')}.net"
    net.write_text(dumps(fabric, "ibsim"))
    with ibsim_process.IbsimFabric(net) as sim:
        text = sim.ibnetdiscover(sim_host=sim_host)
    return parse_ibnetdiscover(tmp_path / "ibnetdiscover.out", lines=text.splitlines())


def first_ca_per_subnet(fabric: Fabric) -> dict[str, int]:
    starts: dict[str, int] = {}
    for node in sorted(fabric.nodes.values(), key=lambda n: n.guid):
        if node.kind is NodeKind.CA:
            starts.setdefault(node.subnet, node.guid)
    return starts


def assert_same(expected: Fabric, got: Fabric) -> None:
    d = diff_fabrics(normalise(expected), normalise(got))
    assert d.is_empty, d.summary(30)


@pytest.mark.parametrize("name", [n for n in builtin_names() if n != "demo"])
def test_seed_fabrics_through_real_ibsim_and_ibnetdiscover(name, tmp_path):
    fabric = load_builtin(name)
    for subnet, start in first_ca_per_subnet(fabric).items():
        host = ibsim_node_ids(fabric)[start]
        got = discover(fabric, tmp_path, sim_host=host)
        expected = reachable(fabric, start)
        assert got.count(NodeKind.SWITCH) == expected.count(NodeKind.SWITCH) > 0, subnet
        assert_same(expected, got)


@pytest.mark.parametrize("fabric", [
    fat_tree(4, 3),                              # 64 HCAs, 48 switches, 8 ports each
    leaf_spine(120, hcas_per_leaf=12, oversubscription=2, dual_port=True),
    torus((3, 3), hcas_per_switch=2),
], ids=["fat-tree-4-3", "leaf-spine-120-dual", "torus-3x3"])
def test_generated_fabrics_through_real_ibsim_and_ibnetdiscover(fabric, tmp_path):
    got = discover(fabric, tmp_path)
    assert len(got.links) == len(fabric.links)
    assert_same(fabric, got)


def test_shared_ibsim_example_matches_what_ibviz_reads(tmp_path):
    """ibviz reads ibsim's own example net file with the GUIDs ibsim assigns."""
    from conftest import corpus_file
    from ibviz.topology import load

    path = corpus_file("ibsim-net.2sw2path4hca2port.net")
    mine = load(path)
    with ibsim_process.IbsimFabric(path) as sim:
        text = sim.ibnetdiscover()
    theirs = parse_ibnetdiscover(tmp_path / "x.out", lines=text.splitlines())
    assert set(theirs.nodes) == set(mine.nodes)
    assert_same(mine, theirs)
