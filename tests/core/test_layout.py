"""Node positions: tiers for fat trees, subnets side by side, force layout for meshes,
deterministic, never two nodes on top of each other."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ibviz.core.layout import graph_arrays, layout, layout_array, layout_graph, tiers
from ibviz.core.layout_detail import detail_graph, layout_detail
from ibviz.core.layout_lod import EXPAND_AT
from ibviz.core.layout_tiers import ROLE_NAMES
from ibviz.core.model import NodeKind, PortRef
from ibviz.topology import open_fabric


def min_distance(xy: np.ndarray) -> float:
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    return float((d + np.eye(len(xy)) * 1e9).min())


def test_fat_tree_tiers_follow_the_switch_levels():
    fabric = open_fabric("fat-tree:k=4,n=3")
    tier = tiers(fabric)
    for node in fabric.nodes.values():
        if node.kind is NodeKind.CA:
            assert tier[node.guid] == 0
        else:  # generator names switches L<level>-sw.., level 1 at the leaves
            assert tier[node.guid] == int(node.name[1]), node.name
    pos = layout(fabric)
    rows = {t: {pos[g][1] for g in tier if tier[g] == t} for t in range(4)}
    assert all(len(ys) == 1 for ys in rows.values())  # one row per tier
    assert rows[3].pop() < rows[2].pop() < rows[1].pop() < rows[0].pop()  # CAs at the bottom


def test_hosts_sit_under_their_leaf_switch():
    fabric = open_fabric("fat-tree:k=4,n=3")
    pos = layout(fabric)
    for node in fabric.cas():
        leaf = fabric.peer(PortRef(node.guid, 1))
        assert abs(pos[node.guid][0] - pos[leaf.node][0]) <= 2.0, node.name


def test_layout_is_deterministic_and_nodes_never_overlap():
    for spec in ("fig10", "fig8", "fig3", "fig6", "fat-tree:k=4,n=3", "leaf-spine:hcas=300",
                 "torus:dims=4x4"):
        first = layout_array(open_fabric(spec))
        again = layout_array(open_fabric(spec))
        assert np.array_equal(first, again), spec
        assert min_distance(first) >= 0.99, spec
        assert np.isfinite(first).all(), spec


def test_big_fabrics_fold_hosts_into_racks_and_stay_apart():
    fabric = open_fabric("leaf-spine:hcas=1000")
    xy = layout_array(fabric)
    width, height = np.ptp(xy, axis=0)
    assert width < 200 and height < width  # not one 1000-slot row
    keys = np.round(xy * 1000).astype(np.int64)
    assert len(np.unique(keys, axis=0)) == len(xy)  # no two at the same place


def test_small_irregular_subnets_use_the_force_layout_unless_told():
    mesh = open_fabric("fig3")  # subnet-A: five fully meshed switches; subnet-B: a tree
    a = np.array([n.subnet == "subnet-A" and n.kind is not NodeKind.ROUTER
                  for n in mesh.nodes.values()])
    auto = layout_array(mesh)
    assert not np.array_equal(auto[a], layout_array(mesh, kind="layered")[a])
    assert np.array_equal(auto[a], layout_array(mesh, kind="force")[a])
    assert not np.array_equal(auto[a], layout_array(mesh, kind="force", seed=7)[a])
    b = np.array([n.subnet == "subnet-B" for n in mesh.nodes.values()])
    layered = layout_array(mesh, kind="layered")[b]
    assert np.allclose(auto[b] - auto[b].min(axis=0), layered - layered.min(axis=0))
    tree = open_fabric("fig8")
    assert np.array_equal(layout_array(tree), layout_array(tree, kind="layered"))
    with pytest.raises(ValueError, match="unknown layout kind"):
        layout(tree, kind="circular")


def test_subnets_side_by_side_with_routers_between():
    fabric = open_fabric("fig6")
    pos = layout(fabric)
    xs = {s: [pos[n.guid][0] for n in fabric.nodes.values()
              if n.subnet == s and n.kind is not NodeKind.ROUTER]
          for s in ("subnet-A", "subnet-B")}
    routers = [pos[n.guid][0] for n in fabric.routers()]
    assert max(xs["subnet-A"]) < min(routers) <= max(routers) < min(xs["subnet-B"])
    ys = [pos[n.guid][1] for n in fabric.routers()]
    assert len(set(ys)) == len(ys)  # the two routers do not sit on each other


def test_numpy_form_handles_empty_isolated_and_parallel_cables():
    assert layout_graph(np.zeros(0, np.int8), np.zeros(0, int), np.zeros((0, 2), int)).shape \
        == (0, 2)
    kinds = np.array([1, 0, 0, 1], np.int8)  # switch with two CAs, an isolated switch
    edges = np.array([[0, 1], [0, 1], [1, 0], [0, 2], [3, 3]])  # parallel, reversed, loop
    xy = layout_graph(kinds, np.zeros(4, int), edges)
    assert xy.shape == (4, 2) and min_distance(xy) >= 0.99
    assert xy[1, 1] == xy[2, 1] > xy[0, 1]  # the CAs in a row under their switch


def test_ten_thousand_nodes_are_laid_out():
    fabric = open_fabric("leaf-spine:hcas=9400")
    xy = layout_array(fabric)
    assert xy.shape == (10004, 2) and np.isfinite(xy).all()
    keys = np.round(xy * 1000).astype(np.int64)
    assert len(np.unique(keys, axis=0)) == len(xy)


# ------------------------------------------------------------- tiered layout of real fabrics
SUPERPOD = Path("/work/shared/fabrics/public/hyungkwang-dgxa100-superpod-hdr-bom-crlf.txt")
needs_superpod = pytest.mark.skipif(not SUPERPOD.exists(),
                                    reason=f"corpus file {SUPERPOD} not present")


def block_spans(result) -> dict[int, tuple[float, float]]:
    """Leaf -> (left, right) x of the centres of its block."""
    return {leaf: (float(result.xy[m, 0].min()), float(result.xy[m, 0].max()))
            for leaf, m in result.blocks}


def assert_under_their_leaf(result) -> None:
    spans = block_spans(result)
    for leaf, members in result.blocks:
        left, right = spans[leaf]
        if result.tier[leaf] == 1:  # (a spine's few hosts: a block right of the leaves')
            assert left - 0.5 <= result.xy[leaf, 0] <= right + 0.5  # the leaf over its block
        assert (result.owner[members] == leaf).all()
        assert (result.xy[members, 1] > result.xy[leaf, 1]).all()  # hanging below it
    xs = sorted(spans.values())
    assert all(a[1] < b[0] for a, b in zip(xs, xs[1:], strict=False))  # blocks do not overlap


def test_fat_tree_roles_and_hosts_in_blocks_under_their_leaf():
    fabric = open_fabric("fat-tree:k=8,n=3")  # 512 hosts on 64 leaves: grid blocks
    result = layout_detail(fabric)
    names = result.role_names()
    expected = {"1": "leaf", "2": "spine", "3": "core"}
    for node in fabric.nodes.values():
        want = "ca" if node.kind is NodeKind.CA else expected[node.name[1]]
        assert names[node.guid] == want, node.name
    assert len(result.blocks) == 64 and {len(m) for _, m in result.blocks} == {8}
    assert_under_their_leaf(result)
    rows = {t: set(result.xy[result.tier == t, 1].tolist()) for t in (1, 2, 3)}
    assert all(len(ys) == 1 for ys in rows.values())
    assert rows[3].pop() < rows[2].pop() < rows[1].pop() < result.xy[result.tier == 0, 1].min()
    width, height = np.ptp(result.xy, axis=0)
    assert 1.0 <= width / height <= 4.0  # tiers spread out, not a flat band
    assert np.array_equal(result.xy, layout_array(fabric))


def test_leaf_spine_roles_and_bundles_cover_every_uplink_once():
    fabric = open_fabric("leaf-spine:hcas=300")
    result = layout_detail(fabric)
    assert set(result.role_names().values()) == {"ca", "leaf", "spine"}
    assert_under_their_leaf(result)
    uplinks = [b for b in result.bundles if b.lower == 1]
    covered = np.concatenate([b.links for b in uplinks])
    e = result.edges[covered]
    assert len(np.unique(covered)) == len(covered)
    assert (np.sort(result.tier[e], axis=1) == [1, 2]).all()
    switch_links = (result.tier[result.edges] >= 1).all(axis=1)
    assert len(covered) == switch_links.sum()
    for b in uplinks:  # a bundle runs from its lower group's centre to its upper group's
        assert np.allclose(b.path[0], result.xy[b.ends[0]].mean(axis=0))
        assert np.allclose(b.path[-1], result.xy[b.ends[1]].mean(axis=0))
        curve = b.curve(9)
        assert np.allclose(curve[[0, -1]], b.path[[0, -1]])
        assert (np.diff(curve[:, 1]) < 0).all()  # climbing steadily to the upper tier
    hang = [b for b in result.bundles if b.lower == 0]
    assert sum(b.count for b in hang) == 300 and len(hang) == len(result.blocks)


def test_fat_tree_pods_are_bundle_groups():
    result = layout_detail(open_fabric("fat-tree:k=4,n=3"))
    pods = [b for b in result.bundles if (b.lower, b.upper) == (1, 2)]
    assert len(pods) == 4 and all(b.count == 16 for b in pods)  # 4 pods: 4 leaves x 4 spines
    assert all(len(b.ends[0]) == 4 and len(b.ends[1]) == 4 for b in pods)


def test_detail_is_deterministic():
    fabric = open_fabric("fat-tree:k=6,n=3")
    a, b = layout_detail(fabric), layout_detail(open_fabric("fat-tree:k=6,n=3"))
    assert np.array_equal(a.xy, b.xy) and np.array_equal(a.role, b.role)
    assert [(x.lower, x.upper, x.links.tolist()) for x in a.bundles] == \
        [(x.lower, x.upper, x.links.tolist()) for x in b.bundles]
    assert [(leaf, m.tolist()) for leaf, m in a.blocks] == \
        [(leaf, m.tolist()) for leaf, m in b.blocks]


def test_dual_homed_ca_and_switch_only_island():
    # switches 0, 1 (leaves) under spine 2; CA 3 on both leaves, CAs 4, 5 on one each;
    # switches 6-7 cabled only to each other
    kinds = np.array([1, 1, 1, 0, 0, 0, 1, 1], np.int8)
    edges = np.array([[0, 2], [1, 2], [3, 0], [3, 1], [4, 0], [5, 1], [6, 7]])
    result = detail_graph(kinds, np.zeros(8, int), edges, kind="layered")
    assert result.dual_homed.tolist() == [3]
    assert [ROLE_NAMES[r] for r in result.role] == \
        ["leaf", "leaf", "spine", "ca", "ca", "ca", "leaf", "spine"]
    assert result.owner[3] in (0, 1) and result.owner[4] == 0 and result.owner[5] == 1
    assert_under_their_leaf(result)
    assert min_distance(result.xy) >= 0.99


@needs_superpod
def test_superpod_tiers_aggregation_nodes_and_rails():
    fabric = open_fabric(str(SUPERPOD))
    nodes = list(fabric.nodes.values())
    result = layout_detail(fabric)
    names = result.role_names()
    by_prefix = {"lf": "leaf", "sp": "spine", "ss": "core"}
    for node in fabric.switches():  # lf01.cn..., sp12.cn..., ss40.cn...
        assert names[node.guid] == by_prefix[node.description[:2]], node.description
    agg = np.flatnonzero(result.role == ROLE_NAMES.index("aggregation"))
    assert len(agg) == 206 and sorted(result.owner[agg].tolist()) == sorted(
        i for i, n in enumerate(nodes) if n.kind is NodeKind.SWITCH)
    assert np.allclose(result.xy[agg], result.xy[result.owner[agg]] - (0, 1))
    assert_under_their_leaf(result)
    assert len(result.hosts) == 140 and {len(m) for m in result.hosts.values()} == {8}
    left = {leaf: result.xy[m, 0].min() for leaf, m in result.blocks}
    top = {leaf: result.xy[m, 1].min() for leaf, m in result.blocks}
    for cas in list(result.hosts.values())[:20]:  # a DGX sits at one place in every rail
        spot = {(round(result.xy[c, 0] - left[result.owner[c]], 6),
                 round(result.xy[c, 1] - top[result.owner[c]], 6)) for c in cas}
        assert len(spot) == 1
    # without descriptions the aggregation nodes of spines and cores are found by cabling
    kinds, subnet, ends = graph_arrays(fabric)
    bare = detail_graph(kinds, subnet, ends)
    assert np.array_equal(bare.tier[kinds == 1], result.tier[kinds == 1])
    found = bare.role[agg] == ROLE_NAMES.index("aggregation")
    assert found.sum() == 148  # 80 spines + 70 cores, less the 2 spines with hosts of their own
    assert (result.tier[result.owner[agg[found]]] >= 2).all()


def test_level_of_detail_collapses_blocks_until_zoomed_in():
    result = layout_detail(open_fabric("fat-tree:k=4,n=3"))
    lod = result.lod
    assert len(lod.badges) == 16 and all(b.count == 4 for b in lod.badges.values())
    far, near = EXPAND_AT / 4, EXPAND_AT * 2
    assert len(lod.collapsed(far)) == 16 and lod.collapsed(near) == []
    assert lod.hidden(len(result.xy), far).sum() == 64
    leaf = next(iter(lod.badges))
    badge = lod.badges[leaf]
    assert badge.bounds[0] <= badge.position[0] <= badge.bounds[2]
    assert lod.badge_of(int(badge.members[0])) is badge
    assert lod.toggle(leaf, far) is False  # opened by hand while zoomed out
    assert not lod.is_collapsed(leaf, far) and len(lod.collapsed(far)) == 15
    assert lod.toggle(leaf, near) is True  # closed by hand, stays closed when zoomed in
    assert [b.leaf for b in lod.collapsed(near)] == [leaf]
    n = len(result.xy)
    hidden = lod.hidden_links(result.edges, n, near)  # only the closed block's cables
    assert hidden.sum() == 4 and (result.edges[hidden] == leaf).any(axis=1).all()
    lod.release(leaf)
    assert lod.collapsed(near) == [] and not lod.hidden_links(result.edges, n, near).any()
    with pytest.raises(KeyError, match="no block"):
        lod.toggle(int(np.flatnonzero(result.tier == 3)[0]), far)


def test_pods_stand_apart_in_the_leaf_row():
    result = layout_detail(open_fabric("fat-tree:k=8,n=3"))  # 8 pods of 8 leaves
    pods = [b for b in result.bundles if (b.lower, b.upper) == (1, 2)]
    assert len(pods) == 8
    spans = sorted((result.xy[b.ends[0], 0].min(), result.xy[b.ends[0], 0].max())
                   for b in pods)
    inside = np.diff(np.sort(result.xy[pods[0].ends[0], 0])).max()
    between = min(b[0] - a[1] for a, b in zip(spans, spans[1:], strict=False))
    assert between > inside  # a wider gap between pods than between leaves of one pod


@st.composite
def graphs(draw):
    """Random cabling of CAs, switches and routers, sometimes in two subnets, sometimes
    with aggregation hints; big enough now and then for grid blocks."""
    n = draw(st.integers(1, 260))
    kinds = np.array(draw(st.lists(st.sampled_from([0, 0, 0, 0, 1, 1, 2]), min_size=n,
                                   max_size=n)), np.int8)
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          max_size=2 * n))
    subnet = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))) \
        if draw(st.booleans()) else np.zeros(n, int)
    agg = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))) \
        if draw(st.booleans()) else None
    return kinds, subnet, np.array(pairs, np.int64).reshape(-1, 2), agg


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.sampled_from(["auto", "layered"]))
def test_any_cabling_gets_distinct_finite_positions(graph, kind):
    kinds, subnet, edges, agg = graph
    result = detail_graph(kinds, subnet, edges, kind=kind, aggregation=agg)
    xy = result.xy
    assert xy.shape == (len(kinds), 2) and np.isfinite(xy).all()
    keys = np.round(xy * 1000).astype(np.int64)
    assert len(np.unique(keys, axis=0)) == len(xy)  # never two nodes on one spot
    assert np.array_equal(xy, layout_graph(kinds, subnet, edges, kind=kind, aggregation=agg))
    cabled = {tuple(sorted(p)) for p in edges.tolist()}
    for node in np.flatnonzero(result.owner >= 0).tolist():  # owners are cabled switches
        owner = int(result.owner[node])
        assert kinds[owner] == 1 and tuple(sorted((node, owner))) in cabled
