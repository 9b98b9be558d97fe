"""Synthetic fabric generators: structure, GUID plan, LIDs, determinism and specs."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections import Counter

import networkx as nx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef, PortState
from ibviz.core.phy import LinkSpeed, LinkWidth
from ibviz.topology._guid_plan import CA_GUID_BASE, SWITCH_GUID_BASE, VENDOR_ID
from ibviz.topology.generators import (
    GENERATORS,
    fat_tree,
    generate,
    leaf_spine,
    mesh,
    ring,
    torus,
)


def check_invariants(f: Fabric) -> None:
    """What every generated fabric must satisfy."""
    ends = [ref for link in f.links.values() for ref in (link.a, link.b)]
    assert len(ends) == len(set(ends)), "a port is cabled twice"
    for ref in ends:
        assert ref.port in f.nodes[ref.node].ports
        assert not (ref.port == 0 and f.nodes[ref.node].is_switch)
    assert nx.is_connected(f.graph)
    port_guids = [p.guid for n in f.nodes.values() for p in n.ports.values() if p.guid]
    assert len(port_guids) == len(set(port_guids))
    for node in f.nodes.values():
        assert node.system_guid == node.guid and node.vendor_id == VENDOR_ID
        if node.is_switch:
            assert node.ports[0].guid == node.guid
            assert node.description.startswith("MF0;") and node.description.endswith("/U1")
            assert all(p.guid == 0 for n, p in node.ports.items() if n)
        else:
            assert all(p.guid == node.guid + n for n, p in node.ports.items())
            assert node.guid not in port_guids
            assert node.description == f"{node.name} HCA-1"


def used_ports(f: Fabric, guid: int) -> list[int]:
    return sorted(n for n in f.nodes[guid].ports if f.peer(PortRef(guid, n)))


def by_name(f: Fabric) -> dict[str, int]:
    return {n.name: g for g, n in f.nodes.items()}


# ----------------------------------------------------------------------- fat tree
def test_fat_tree_4_ary_2_tree():
    f = fat_tree(4, 2)
    check_invariants(f)
    assert (f.count(NodeKind.CA), f.count(NodeKind.SWITCH), len(f.links)) == (16, 8, 32)
    names = by_name(f)
    leaves = [names[f"L1-sw{i:02d}"] for i in range(1, 5)]
    tops = [names[f"L2-sw{i:02d}"] for i in range(1, 5)]
    for leaf in leaves:
        assert f.nodes[leaf].num_ports == 8 and used_ports(f, leaf) == list(range(1, 9))
        hcas = {g for g in f.neighbors(leaf) if f.nodes[g].kind is NodeKind.CA}
        assert len(hcas) == 4
        assert f.neighbors(leaf) - hcas == set(tops)  # complete bipartite
    for top in tops:
        assert f.nodes[top].num_ports == 8 and used_ports(f, top) == [1, 2, 3, 4]
    # HCA node0006 = p(1, 1): leaf 2, down-port 2
    assert f.peer(PortRef(names["node0006"], 1)) == PortRef(leaves[1], 2)


def _tops_reachable(f: Fabric, leaf: int, k: int) -> set[int]:
    """Top-level switches reachable from ``leaf`` through up-ports (k+1..2k) only."""
    frontier, seen = {leaf}, set()
    while frontier:
        seen |= frontier
        frontier = {f.peer(PortRef(g, p)).node for g in frontier
                    for p in range(k + 1, 2 * k + 1) if f.peer(PortRef(g, p))}
    return {g for g in seen if f.nodes[g].name.startswith("L3-")}


def test_fat_tree_2_ary_3_tree():
    f = fat_tree(2, 3)
    check_invariants(f)
    assert (f.count(NodeKind.CA), f.count(NodeKind.SWITCH), len(f.links)) == (8, 12, 24)
    levels = Counter(n.name[:2] for n in f.switches())
    assert levels == {"L1": 4, "L2": 4, "L3": 4}
    for sw in f.switches():
        assert sw.num_ports == 4
        expected = [1, 2] if sw.name.startswith("L3") else [1, 2, 3, 4]
        assert used_ports(f, sw.guid) == expected
        if sw.name.startswith("L1"):
            assert sum(f.nodes[g].kind is NodeKind.CA for g in f.neighbors(sw.guid)) == 2
        for p in (3, 4):  # up-ports lead one level up
            peer = f.peer(PortRef(sw.guid, p))
            if peer is not None:
                assert int(f.nodes[peer.node].name[1]) == int(sw.name[1]) + 1
                assert peer.port in (1, 2)
    for leaf in (s for s in f.switches() if s.name.startswith("L1")):
        assert len(_tops_reachable(f, leaf.guid, 2)) == 4  # path diversity k**(n-1)


def test_fat_tree_single_level_and_errors():
    f = fat_tree(3, 1)
    check_invariants(f)
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA)) == (1, 3)
    with pytest.raises(ValueError, match="k must be"):
        fat_tree(1, 2)
    with pytest.raises(ValueError, match="n must be"):
        fat_tree(4, 0)
    with pytest.raises(ValueError, match="k must be an integer"):
        fat_tree(4.0, 2)  # type: ignore[arg-type]


# --------------------------------------------------------------------- leaf/spine
def test_leaf_spine_default_non_blocking():
    f = leaf_spine(64)
    check_invariants(f)
    names = by_name(f)
    leaves = [names[f"leaf{i:02d}"] for i in range(1, 5)]
    spines = [names[f"spine{i:02d}"] for i in range(1, 17)]
    assert (f.count(NodeKind.CA), f.count(NodeKind.SWITCH)) == (64, 20)
    assert len(f.links) == 64 + 4 * 16
    for leaf in leaves:
        assert f.nodes[leaf].num_ports == 40 and used_ports(f, leaf) == list(range(1, 33))
        assert f.nodes[leaf].description == f"MF0;{f.nodes[leaf].name}:MQM8790/U1"
    for spine in spines:
        assert used_ports(f, spine) == [1, 2, 3, 4]
        assert f.neighbors(spine) == set(leaves)
    assert f.peer(PortRef(names["node0017"], 1)) == PortRef(leaves[1], 1)


def test_leaf_spine_oversubscription_and_parallel_links():
    f = leaf_spine(40, hcas_per_leaf=20, oversubscription=2.5, spines=3)
    check_invariants(f)
    names = by_name(f)
    leaves, spines = [names["leaf01"], names["leaf02"]], [names[f"spine0{i}"] for i in "123"]
    for leaf in leaves:  # u = ceil(20 / 2.5) = 8 uplinks over 3 spines: 3, 3, 2
        assert used_ports(f, leaf) == list(range(1, 29))
        assert [f.graph.number_of_edges(leaf, s) for s in spines] == [3, 3, 2]
    assert used_ports(f, spines[2]) == [1, 2, 3, 4]
    assert leaf_spine(16, oversubscription=3).count(NodeKind.SWITCH) == 1 + 6


def test_leaf_spine_dual_port_planes():
    f = leaf_spine(40, dual_port=True)
    check_invariants(f)
    assert f.count(NodeKind.SWITCH) == 6 + 16  # 3 leaves per plane
    for hca in f.cas():
        assert hca.num_ports == 2
        l1, l2 = (f.peer(PortRef(hca.guid, p)).node for p in (1, 2))
        assert l1 != l2
        assert int(f.nodes[l2].name[4:]) == int(f.nodes[l1].name[4:]) + 3
    small = leaf_spine(5, dual_port=True)  # all 10 ports fit on one leaf
    check_invariants(small)
    (leaf,) = (s for s in small.switches() if s.name == "leaf01")
    assert all(small.neighbors(h.guid) == {leaf.guid} for h in small.cas())
    assert used_ports(small, leaf.guid) == list(range(1, 11)) + list(range(17, 33))


def test_leaf_spine_director_spines():
    f = leaf_spine(1000)
    check_invariants(f)
    spine = next(s for s in f.switches() if s.name == "spine01")
    assert spine.num_ports == 63 and "MQM9790" in spine.description and not f.warnings
    big = leaf_spine(10_000)
    assert big.count(NodeKind.CA) == 10_000 and big.count(NodeKind.SWITCH) == 625 + 16
    assert any("director" in w.message for w in big.warnings)


@pytest.mark.parametrize("kwargs, match", [
    (dict(hcas=10, hcas_per_leaf=30), "a leaf needs 30 HCA ports \\+ 30 uplinks = 60 ports "
                                      "but switch_ports=40"),
    (dict(hcas=10, spines=17), "spines must be 1-16"),
    (dict(hcas=0), "hcas must be"),
    (dict(hcas=10, oversubscription=0), "oversubscription must be a positive number"),
    (dict(hcas=10, lmc=1), "lmc=1 needs assign_lids=True"),
    (dict(hcas=10, assign_lids=True, lmc=8), "lmc must be 0-7"),
])
def test_leaf_spine_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        leaf_spine(**kwargs)


# --------------------------------------------------------------------------- tori
def test_torus_2d():
    f = torus((4, 4), hcas_per_switch=2)
    check_invariants(f)
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA), len(f.links)) == (16, 32, 64)
    for sw in f.switches():
        assert sw.num_ports == 6 and used_ports(f, sw.guid) == list(range(1, 7))
        assert len(f.neighbors(sw.guid)) == 6
    names = by_name(f)
    assert f.peer(PortRef(names["sw-x3-y1"], 3)) == PortRef(names["sw-x0-y1"], 4)  # wrap
    assert f.peer(PortRef(names["sw-x1-y3"], 5)) == PortRef(names["sw-x1-y0"], 6)


def test_ring_mesh_and_size_two_dimensions():
    r = ring(6)
    check_invariants(r)
    assert len(r.links) == 6 + 6 and all(len(used_ports(r, s.guid)) == 3 for s in r.switches())
    m = mesh((3, 2))
    check_invariants(m)
    assert len(m.links) == 6 + 4 + 3
    t = torus((2, 3))  # size-2 dimension: one link, never a double one
    check_invariants(t)
    assert len(t.links) == 6 + 3 + 6
    sw_edges = [(a, b) for a, b in t.graph.edges() if t.nodes[a].is_switch and t.nodes[b].is_switch]
    assert max(Counter(frozenset(e) for e in sw_edges).values()) == 1
    pair = torus((2,), hcas_per_switch=0)
    assert len(pair.links) == 1 and pair.count(NodeKind.CA) == 0
    assert torus((1,)).count(NodeKind.SWITCH) == 1
    t3 = torus((2, 2, 2))
    check_invariants(t3)
    assert len(t3.links) == 8 + 12


def test_torus_errors():
    with pytest.raises(ValueError, match="dims must have 1-6"):
        torus(())
    with pytest.raises(ValueError, match=r"dims\[1\] must be"):
        torus((3, 0))
    with pytest.raises(ValueError, match="needs 2 HCA ports \\+ 4 torus ports = 6"):
        torus((3, 3), hcas_per_switch=2, switch_ports=5)


# ----------------------------------------------------------------- LIDs and states
def test_no_lids_by_default_ports_init():
    f = fat_tree(2, 2)
    assert all(p.lid == 0 for n in f.nodes.values() for p in n.ports.values())
    assert all(f.port(ref).state is PortState.INIT for ref in f.cabled_ports())


@pytest.mark.parametrize("lmc", [0, 1, 2])
def test_sequential_lids(lmc):
    f = leaf_spine(24, hcas_per_leaf=8, dual_port=True, assign_lids=True, lmc=lmc)
    sw = [s.ports[0] for s in f.switches()]
    ca = [p for c in f.cas() for p in c.lid_ports()]
    assert [p.lid for p in sw] == list(range(1, len(sw) + 1))
    assert all(p.lmc == 0 for p in sw) and all(p.lmc == lmc for p in ca)
    assert all(p.lid % (1 << lmc) == 0 and p.lid > len(sw) for p in ca)
    owners = f.lid_owners()
    assert all(len(refs) == 1 for refs in owners.values())
    assert len(owners) == len(sw) + len(ca) * (1 << lmc)
    assert all(f.port(ref).state is PortState.ACTIVE for ref in f.cabled_ports())


# ----------------------------------------------------------- GUIDs, determinism
def test_guid_plan():
    f = leaf_spine(20, dual_port=True)
    names = by_name(f)
    assert names["node0001"] == CA_GUID_BASE and names["node0002"] == CA_GUID_BASE + 0x10
    assert names["leaf01"] == SWITCH_GUID_BASE
    assert f.nodes[names["node0002"]].ports[2].guid == CA_GUID_BASE + 0x12
    assert f.nodes[names["node0001"]].device_id == 0x101B
    assert fat_tree(2, 2, speed=LinkSpeed.NDR).nodes[CA_GUID_BASE].device_id == 0x1021


@pytest.mark.parametrize("build", [
    lambda: fat_tree(4, 2, assign_lids=True, lmc=1),
    lambda: leaf_spine(50, dual_port=True, oversubscription=2),
    lambda: torus((3, 2, 2), hcas_per_switch=2, assign_lids=True),
])
def test_deterministic(build):
    a, b = build(), build()
    assert a == b
    assert [n.name for n in a.nodes.values()] == [n.name for n in b.nodes.values()]


def test_width_and_speed_apply_to_all_links():
    f = ring(4, width=LinkWidth.X2, speed=LinkSpeed.NDR)
    assert {(lk.width, lk.speed) for lk in f.links.values()} == {(LinkWidth.X2, LinkSpeed.NDR)}


# -------------------------------------------------------------------------- specs
@pytest.mark.parametrize("spec, expected", [
    ("fat-tree:k=4,n=3", lambda: fat_tree(4, 3)),
    ("leaf-spine:hcas=1000,hcas_per_leaf=20,oversubscription=2,dual_port=1",
     lambda: leaf_spine(1000, hcas_per_leaf=20, oversubscription=2, dual_port=True)),
    ("torus:dims=4x4,hcas_per_switch=2", lambda: torus((4, 4), hcas_per_switch=2)),
    ("ring:switches=6", lambda: ring(6)),
    ("mesh:dims=3x2x2", lambda: mesh((3, 2, 2))),
    (" torus : dims=3x3 , wrap=no ", lambda: torus((3, 3), wrap=False)),
    ("fat-tree:k=2,n=2,width=1x,speed=edr,assign_lids=yes,lmc=2",
     lambda: fat_tree(2, 2, width=LinkWidth.X1, speed=LinkSpeed.EDR, assign_lids=True, lmc=2)),
    ({"type": "leaf-spine", "hcas": 30, "dual_port": True}, lambda: leaf_spine(30, dual_port=True)),
    ({"type": "torus", "dims": [2, 3]}, lambda: torus((2, 3))),
])
def test_generate(spec, expected):
    f = generate(spec)
    assert f == expected()


def test_generate_names_fabric_after_canonical_spec():
    assert generate("leaf-spine: hcas=8 ,oversubscription=2.0").name == \
        "leaf-spine:hcas=8,oversubscription=2"
    assert set(GENERATORS) == {"fat-tree", "leaf-spine", "torus", "mesh", "ring"}


@pytest.mark.parametrize("spec, match", [
    ("fattree:k=2", "unknown generator 'fattree'; known generators: fat-tree, leaf-spine"),
    ("fat-tree:k=2,m=3", "fat-tree: unknown key 'm'; allowed keys: k, n, width, speed"),
    ("leaf-spine:hcas=8,wrap=1", "unknown key 'wrap'; allowed keys: hcas, hcas_per_leaf"),
    ("fat-tree:k=2", "fat-tree: missing required key\\(s\\) n; allowed keys: k, n"),
    ("leaf-spine:hcas=many", "leaf-spine: bad value for hcas: 'many' is not an integer"),
    ("leaf-spine:hcas=8,dual_port=maybe", "bad value for dual_port: 'maybe' is not a boolean"),
    ("torus:dims=4by4", "bad value for dims: '4by4' is not a list of sizes"),
    ("ring:switches=4,speed=fast", "bad value for speed: unknown link speed 'fast'"),
    ("fat-tree:k=2,k=3,n=2", "key 'k' given twice"),
    ("fat-tree:k2,n=2", "expected key=value in generator spec, got 'k2'"),
    ({"k": 2}, "needs a 'type' key"),
    (42, "a generator spec is a string or a dict"),
    ("fat-tree:k=1,n=2", "k must be 2-127"),
    ("fat-tree:k=0,n=3", "^fat-tree:k=0,n=3: k must be 2-127, got 0$"),  # names the spec
    ({"type": "leaf-spine", "hcas": 0}, "^leaf-spine:hcas=0.*: hcas must be 1-131072, got 0$"),
])
def test_generate_errors(spec, match):
    with pytest.raises(ValueError, match=match):
        generate(spec)


# ------------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["leaf-spine", "fat-tree"]), hcas=st.integers(1, 80),
       per_leaf=st.integers(1, 20), over=st.sampled_from([0.5, 1, 1.5, 2, 3, 4]),
       dual=st.booleans(), k=st.integers(2, 5), n=st.integers(1, 3))
def test_every_hca_port_cabled_once_and_connected(kind, hcas, per_leaf, over, dual, k, n):
    if kind == "leaf-spine":
        assume(per_leaf + -(-per_leaf // over) <= 40)
        f = leaf_spine(hcas, hcas_per_leaf=per_leaf, oversubscription=over, dual_port=dual)
        assert f.count(NodeKind.CA) == hcas
    else:
        assume(k ** n <= 200)
        f = fat_tree(k, n)
        assert f.count(NodeKind.CA) == k ** n
    ends = Counter(ref for link in f.links.values() for ref in (link.a, link.b))
    assert max(ends.values()) == 1
    for ca in f.cas():
        assert all(ends[PortRef(ca.guid, p)] == 1 for p in ca.ports)
    assert nx.is_connected(f.graph)


# --------------------------------------------------------------- real ibsim check
UMAD2SIM = "/usr/lib/x86_64-linux-gnu/umad2sim/libumad2sim.so"


@pytest.mark.realtools
@pytest.mark.skipif(not (shutil.which("ibsim") and shutil.which("ibnetdiscover")
                         and os.path.exists(UMAD2SIM)), reason="needs ibsim-utils")
def test_ibsim_shows_the_same_guids(tmp_path):
    from ibviz.topology import dumps
    from ibviz.topology.ibnetdiscover import parse_ibnetdiscover

    fabric = leaf_spine(6, hcas_per_leaf=4, dual_port=True)
    net = tmp_path / "net"
    net.write_text(dumps(fabric, "ibsim"))
    env = dict(os.environ, IBSIM_SOCKNAME=f"ibviz-test-{uuid.uuid4().hex[:8]}")
    sim = subprocess.Popen(["ibsim", "-s", "-n", str(net)], env=env, cwd=tmp_path,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        out = ""
        for _ in range(50):
            time.sleep(0.1)
            run = subprocess.run(["ibnetdiscover"], env=dict(env, LD_PRELOAD=UMAD2SIM),
                                 capture_output=True, text=True, timeout=30)
            out = run.stdout
            if run.returncode == 0 and "Switch" in out:
                break
        seen = parse_ibnetdiscover("ibsim", lines=out.splitlines())
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    assert seen == fabric  # same node GUIDs, port GUIDs and cables
