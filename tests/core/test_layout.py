"""Node positions: tiers for fat trees, subnets side by side, force layout for meshes,
deterministic, never two nodes on top of each other."""

from __future__ import annotations

import numpy as np
import pytest

from ibviz.core.layout import layout, layout_array, layout_graph, tiers
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
