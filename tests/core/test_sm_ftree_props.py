"""OpenSM's ftree engine without the real tools: minimal loop-free routes, the tree as
OpenSM sees it, where it gives up, subnets, GUID files, the subnet manager."""

from __future__ import annotations

import pytest
from ftree_fabrics import NO_PATH, all_ca_ports, merged, without_link
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sm_routing import check_all_pairs, with_lids

from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.sm.ftree import FtreeOptions, FtreeUnsupported, GuidFileError, build, read_guid_file
from ibviz.core.sm.routing import compute_lfts, route
from ibviz.topology.builtin import builtin_names, load_builtin
from ibviz.topology.generators import fat_tree, leaf_spine, torus


@pytest.mark.parametrize("build_fabric", [
    lambda: fat_tree(4, 2), lambda: fat_tree(3, 3), lambda: fat_tree(2, 4),
    lambda: leaf_spine(60, hcas_per_leaf=8, spines=4, switch_ports=16),
    lambda: leaf_spine(30, hcas_per_leaf=6, dual_port=True)])
def test_every_ca_pair_goes_a_fewest_hop_loop_free_way(build_fabric):
    fabric = with_lids(build_fabric())
    lfts = compute_lfts(fabric, algorithm="ftree")
    assert lfts.algorithm == "ftree"
    assert check_all_pairs(fabric, lfts) > 0


def test_switch_lids_are_routed_up_down_only():
    """Roots reach each other only over a down-up turn, which ftree never makes: those
    entries stay unrouted, as in OpenSM; every other switch LID is reachable."""
    fabric = with_lids(fat_tree(4, 3))
    lfts = compute_lfts(fabric, algorithm="ftree")
    ft = build(fabric)
    roots = [s for s in ft.switches.values() if s.rank == 0]
    for a in roots:
        for b in roots:
            assert lfts[a.guid][b.lid] == (0 if a is b else NO_PATH)
    leaf = ft.leaves[0]
    for sw in ft.switches.values():
        path = route(lfts, PortRef(leaf.guid, 0), sw.lid)
        assert path[-1] == PortRef(sw.guid, 0)


def test_the_tree_as_opensm_sees_it():
    fabric = with_lids(fat_tree(4, 3))
    ft = build(fabric)
    assert (ft.leaf_rank, ft.max_cn_per_leaf, len(ft.leaves)) == (2, 4, 16)
    assert sorted({s.rank for s in ft.switches.values()}) == [0, 1, 2]
    assert [s.tuple[:3] for s in ft.leaves][:3] == [(2, 0, 0), (2, 0, 1), (2, 0, 2)]
    assert all(len(s.up) == 4 and len(s.down) == 4 for s in ft.switches.values()
               if s.rank == 1)


@pytest.mark.parametrize("build_fabric, lmc, reason", [
    (lambda: fat_tree(4, 2), 1, "LMC > 0 is not supported"),
    (lambda: torus((3, 3), hcas_per_switch=2), 0, "more than one root"),
    (lambda: leaf_spine(6, hcas_per_leaf=8, switch_ports=16), 0, "leaf switches"),
    (lambda: without_link(fat_tree(4, 2), "L1-sw01", 8), 0, "Different number of downward port groups"),
    (lambda: leaf_spine(1, hcas_per_leaf=1, switch_ports=4), 0, r"3 nodes \(2 switches\)"),
    (lambda: fat_tree(4, 1), 0, "1 switches"),
])
def test_where_opensm_gives_up_minhop_routes(build_fabric, lmc, reason):
    fabric = with_lids(build_fabric(), lmc)
    with pytest.raises(FtreeUnsupported, match=reason):
        build(fabric)
    lfts = compute_lfts(fabric, algorithm="ftree")
    assert lfts.algorithm == "minhop"
    assert (lfts.table == compute_lfts(fabric).table).all()


def test_io_nodes_without_cns_are_refused_like_opensm():
    fabric = with_lids(fat_tree(2, 2))
    cas = all_ca_ports(fabric)
    with pytest.raises(FtreeUnsupported, match="no valid compute nodes"):
        build(fabric, FtreeOptions(cn_guids=frozenset({1}), io_guids=cas))
    with pytest.raises(FtreeUnsupported, match="list is empty"):
        build(fabric, FtreeOptions(cn_guids=frozenset()))


def test_the_subnet_manager_sweeps_with_ftree():
    from ibviz.core.sm.manager import SmConfig, SubnetManager

    fabric = fat_tree(4, 3)
    sm = SubnetManager(fabric, SmConfig(routing="ftree"))
    sm.sweep()
    lfts = compute_lfts(fabric, algorithm="ftree")
    assert lfts.algorithm == "ftree"
    for guid in lfts:
        assert (sm.lfts[guid][:lfts.max_lid + 1] == lfts[guid]).all()


@pytest.mark.parametrize("second, engine", [
    (lambda: fat_tree(2, 3), "ftree"),
    (lambda: torus((3, 3), hcas_per_switch=1), "ftree+minhop")])
def test_each_subnet_is_routed_on_its_own(second, engine):
    """OpenSM routes the subnet it discovered: a fabric of two subnets is routed as two
    OpenSMs would, ftree where each is a fat tree, minhop where not."""
    both = with_lids(merged(fat_tree(4, 2), second()))
    alone = both.copy()  # the first subnet only, with the LIDs it has in both
    for node in list(both.nodes.values()):
        if node.subnet == "second":
            alone.remove_node(node.guid)
    reference = compute_lfts(alone, algorithm="ftree")
    assert reference.algorithm == "ftree"
    lfts = compute_lfts(both, algorithm="ftree")
    assert lfts.algorithm == engine
    for guid in reference:
        assert (lfts[guid][:reference.max_lid + 1] == reference[guid]).all()
        assert (lfts[guid][reference.max_lid + 1:] == NO_PATH).all()
    assert check_all_pairs(both, lfts) > 0


def test_guid_files_read_as_opensm_reads_them(tmp_path):
    good = tmp_path / "roots"
    good.write_text("# roots\n\n0x0002c90400000010 spine01\n  0X2C90400000011\t# spine02\n"
                    "017\n42 forty-two\n")
    assert read_guid_file(good) == (0x0002C90400000010, 0x2C90400000011, 0o17, 42)
    for bad, why in [("0x12z\n", "0x12z"), ("spine01 0x10\n", "spine01"),
                     ("0x1ffffffffffffffff\n", "0x1ffff")]:
        path = tmp_path / "bad"
        path.write_text(f"0x10\n{bad}")
        with pytest.raises(GuidFileError, match=rf"bad, line 2: expected .*{why}"):
            read_guid_file(path)


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_fabrics_route_as_opensm_would(name):
    """The built-in fabrics are too small or have no tree (ftree needs two leaves of
    compute nodes): minhop routes them, as OpenSM's fallback does."""
    fabric = load_builtin(name)
    lfts = compute_lfts(fabric, algorithm="ftree")
    assert lfts.algorithm == "minhop"
    assert (lfts.table == compute_lfts(fabric).table).all()
    assert check_all_pairs(fabric, lfts) > 0


def _shape(hcas: int, per_leaf: int, spines: int, dual: bool) -> Fabric:
    return leaf_spine(hcas, hcas_per_leaf=per_leaf, spines=min(spines, per_leaf),
                      switch_ports=2 * per_leaf, dual_port=dual)


trees = st.one_of(
    st.builds(fat_tree, st.integers(2, 4), st.integers(2, 3)),
    st.builds(_shape, st.integers(3, 40), st.integers(2, 6), st.integers(1, 6),
              st.booleans()))


@given(trees)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_ftree_routes_every_ca_pair_minimally_or_falls_back(fabric):
    with_lids(fabric)
    lfts = compute_lfts(fabric, algorithm="ftree")
    assert lfts.algorithm in ("ftree", "minhop")
    assert check_all_pairs(fabric, lfts, sample=min(150, fabric.count(NodeKind.CA) ** 2)) > 0


def test_a_fabric_without_lids_gets_empty_tables():
    bare = fat_tree(4, 2)
    lfts = compute_lfts(bare, algorithm="ftree")
    assert lfts.max_lid == 0 and (lfts.table == NO_PATH).all()
