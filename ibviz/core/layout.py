"""Node positions for drawing a fabric: layered by tier for trees, force-directed otherwise.

Tier of a node = its distance from the CA layer: CAs (and routers inside one subnet) are
tier 0, the switches they hang on tier 1 (leaves), the next switches up tier 2 and so on
(breadth-first search over switch-to-switch cables). Within a tier the order comes from
a few barycentre sweeps (cheap crossing reduction), all vectorised: 10,000 nodes take
milliseconds. Small irregular subnets (meshes, rings) use networkx's spring layout.
Subnets sit side by side; routers joining two subnets stand in the gap between them.

Coordinates are in "slots" (1.0 = the distance between neighbouring CAs) with y growing
downwards, as on screen: the top tier is at y = 0 and the CAs are at the bottom. Every
function is deterministic: the same fabric and seed give the same positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import networkx as nx
import numpy as np

from ibviz.core.fabric import Fabric
from ibviz.core.layout_place import Placement, place
from ibviz.core.layout_tiers import Roles, classify, description_hints
from ibviz.core.model import NodeKind

LayoutKind = Literal["auto", "layered", "force"]
FORCE_MAX_NODES = 300
"""Above this many nodes a subnet is always drawn layered (the force layout is O(n^2))."""
KIND_CODES = {NodeKind.CA: 0, NodeKind.SWITCH: 1, NodeKind.ROUTER: 2}


def layout(fabric: Fabric, *, kind: LayoutKind = "auto",
           seed: int = 0) -> dict[int, tuple[float, float]]:
    """Positions of every node of ``fabric``: node GUID -> ``(x, y)``.

    Parameters
    ----------
    kind:
        ``"layered"`` (tiers), ``"force"`` (spring layout), or ``"auto"``: layered unless a
        subnet is small (< :data:`FORCE_MAX_NODES` nodes) and not tree-like.
    seed:
        Seed of the spring layout (the layered layout has no randomness).
    """
    xy = layout_array(fabric, kind=kind, seed=seed).tolist()
    return dict(zip(fabric.nodes, map(tuple, xy), strict=True))


def layout_array(fabric: Fabric, *, kind: LayoutKind = "auto", seed: int = 0) -> np.ndarray:
    """Like :func:`layout` but as an ``(N, 2)`` float array in ``fabric.nodes`` order."""
    kinds, subnet, ends = graph_arrays(fabric)
    agg, host = graph_hints(fabric, kinds)
    return layout_graph(kinds, subnet, ends, kind=kind, seed=seed, aggregation=agg, host=host)


def graph_hints(fabric: Fabric, kinds: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """``(aggregation, host)`` arguments of :func:`layout_graph` from the NodeDescriptions."""
    if kinds is None:
        kinds = graph_arrays(fabric)[0]
    return description_hints(kinds, [n.description for n in fabric.nodes.values()])


def layout_graph(kinds: np.ndarray, subnet: np.ndarray, edges: np.ndarray, *,
                 kind: LayoutKind = "auto", seed: int = 0,
                 aggregation: np.ndarray | None = None,
                 host: np.ndarray | None = None) -> np.ndarray:
    """The numpy form of :func:`layout`: ``(N, 2)`` positions.

    Parameters
    ----------
    kinds:
        ``(N,)`` node kind codes: 0 CA, 1 switch, 2 router (:data:`KIND_CODES`).
    subnet:
        ``(N,)`` integer subnet of every node; subnets are placed left to right in order.
    edges:
        ``(E, 2)`` node indices of the cables (parallel cables and loopbacks are fine).
    aggregation, host:
        Optional hints from NodeDescriptions (:func:`graph_hints`): ``(N,)`` True for SHARP
        aggregation nodes (else recognised from the cabling), ``(N,)`` host-name rank of
        every node (-1: none) so multi-rail hosts line up in their leaves' blocks.
    """
    return compute(kinds, subnet, edges, kind=kind, seed=seed, aggregation=aggregation,
                   host=host).xy


@dataclass(frozen=True)
class SubnetLayout:
    """One subnet as :func:`compute` drew it (``members``: its node positions)."""

    members: np.ndarray
    roles: Roles
    placement: Placement | None
    """None when the subnet was drawn by the force layout."""
    shift: np.ndarray
    """``(2,)`` added to the placement's local positions."""


@dataclass(frozen=True)
class Computed:
    xy: np.ndarray
    edges: np.ndarray
    """``(E, 2)`` unique cabled node pairs."""
    subnets: list[SubnetLayout]


def compute(kinds: np.ndarray, subnet: np.ndarray, edges: np.ndarray, *,
            kind: LayoutKind = "auto", seed: int = 0, aggregation: np.ndarray | None = None,
            host: np.ndarray | None = None) -> Computed:
    """Positions plus what each subnet's layout found (tiers, blocks); see :func:`layout_graph`."""
    if kind not in ("auto", "layered", "force"):
        raise ValueError(f"unknown layout kind {kind!r}; use 'auto', 'layered' or 'force'")
    n = len(kinds)
    xy = np.zeros((n, 2))
    edges = _unique_edges(np.asarray(edges, np.int64).reshape(-1, 2), n)
    if n == 0:
        return Computed(xy, edges, [])
    gateway = _gateway_routers(kinds, subnet, edges)
    blocks = [np.flatnonzero((subnet == s) & ~gateway) for s in np.unique(subnet[~gateway])]
    x0, bottom, placed = 0.0, 0.0, []
    for members in blocks:
        local = _subgraph_edges(edges, members, n)
        roles = classify(kinds[members], local,
                         None if aggregation is None else aggregation[members])
        use_force = kind == "force" or (kind == "auto" and len(members) < FORCE_MAX_NODES
                                        and not _tree_like(kinds[members], roles.tier, local))
        placement = None if use_force else place(roles, local, None if host is None
                                                 else host[members])
        pos = _force(len(members), local, seed) if placement is None else placement.xy.copy()
        placed.append((members, roles, placement, pos, pos.min(axis=0)))
        bottom = max(bottom, float(np.ptp(pos[:, 1])))
    gap = max(3.0, 0.08 * max([float(np.ptp(p[3][:, 0])) for p in placed] or [0.0]))
    lefts: list[float] = []
    subnets = []
    for members, roles, placement, pos, low in placed:
        local = pos - low
        shift = (x0, bottom - local[:, 1].max()) - low  # CA rows aligned at the bottom
        xy[members] = pos + shift
        subnets.append(SubnetLayout(members, roles, placement, shift))
        lefts.append(x0)
        x0 += float(local[:, 0].max()) + gap
    lefts.append(x0)
    _place_gateways(xy, np.flatnonzero(gateway), edges, subnet, blocks, lefts, gap, bottom)
    return Computed(xy, edges, subnets)


def tiers(fabric: Fabric) -> dict[int, int]:
    """Tier of every node (0 = CAs and routers, 1 = leaf switches, ...) per subnet."""
    kinds, subnet, edges = graph_arrays(fabric)
    agg = graph_hints(fabric, kinds)[0]
    edges = _unique_edges(edges, len(kinds))
    out = np.zeros(len(kinds), np.int64)
    for s in np.unique(subnet):
        members = np.flatnonzero(subnet == s)
        out[members] = classify(kinds[members], _subgraph_edges(edges, members, len(kinds)),
                                agg[members]).tier
    return dict(zip(fabric.nodes, out.tolist(), strict=True))


def graph_arrays(fabric: Fabric) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node kind codes, subnet indices and cable ends ``(E, 2)`` by position in
    ``fabric.nodes`` (the input of :func:`layout_graph`)."""
    index = {guid: i for i, guid in enumerate(fabric.nodes)}
    kinds = np.fromiter((KIND_CODES[n.kind] for n in fabric.nodes.values()), np.int8,
                        len(index))
    ends = np.array([(index[a.node], index[b.node]) for a, b in fabric.links], np.int64)
    return kinds, subnet_indices(fabric), ends.reshape(-1, 2)


def subnet_indices(fabric: Fabric) -> np.ndarray:
    """``(N,)`` subnet of every node, numbered in ``fabric.subnets`` order."""
    names = {s: i for i, s in enumerate(fabric.subnets)}
    return np.fromiter((names.setdefault(n.subnet, len(names)) for n in fabric.nodes.values()),
                       np.int64, len(fabric.nodes))


def _unique_edges(edges: np.ndarray, n: int) -> np.ndarray:
    """One ``(low, high)`` row per cabled node pair, loopbacks dropped."""
    edges = np.sort(edges[edges[:, 0] != edges[:, 1]], axis=1)
    keys = np.unique(edges[:, 0] * n + edges[:, 1])
    return np.stack([keys // n, keys % n], axis=1)


def _subgraph_edges(edges: np.ndarray, members: np.ndarray, n: int) -> np.ndarray:
    """Edges with both ends in ``members``, renumbered to positions in ``members``."""
    local = np.full(n, -1)
    local[members] = np.arange(len(members))
    e = local[edges]
    return e[(e >= 0).all(axis=1)]


def _gateway_routers(kinds: np.ndarray, subnet: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Routers cabled to a non-router node of another subnet."""
    gateway = np.zeros(len(kinds), bool)
    for a, b in (edges.T, edges[:, ::-1].T):
        cross = (kinds[a] == 2) & (kinds[b] != 2) & (subnet[a] != subnet[b])
        gateway[a[cross]] = True
    return gateway


def _tree_like(kinds: np.ndarray, tier: np.ndarray, edges: np.ndarray) -> bool:
    """Switch cables join neighbouring tiers (fat trees, leaf/spine) or form a forest."""
    ss = edges[(kinds[edges[:, 0]] == 1) & (kinds[edges[:, 1]] == 1)]
    if not len(ss):
        return True
    same = tier[ss[:, 0]] == tier[ss[:, 1]]
    if same.mean() <= 0.1:
        return True
    g = nx.Graph(ss.tolist())
    return g.number_of_edges() == g.number_of_nodes() - nx.number_connected_components(g)


def _force(n: int, edges: np.ndarray, seed: int) -> np.ndarray:
    """Spring layout scaled to the node count, then no two nodes closer than 2 slots."""
    g = nx.empty_graph(n)
    g.add_edges_from(edges.tolist())
    raw = nx.spring_layout(g, seed=seed, iterations=200)
    xy = np.array([raw[i] for i in range(n)], float) * (1.5 * np.sqrt(n) + 1.0)
    xy += np.c_[np.arange(n), np.arange(n)[::-1]] * (1e-3 / n)  # no two exactly alike
    for _ in range(80):
        d = xy[:, None, :] - xy[None, :, :]
        dist = np.hypot(d[..., 0], d[..., 1]) + np.eye(n) * 1e9
        if dist.min() >= 2.0:
            break
        push = np.where(dist < 2.0, (2.0 - dist) / np.maximum(dist, 1e-9) * 0.5, 0.0)
        xy += (d * push[..., None]).sum(axis=1)
    return xy


def _place_gateways(xy: np.ndarray, routers: np.ndarray, edges: np.ndarray,
                    subnet: np.ndarray, blocks: list[np.ndarray], lefts: list[float],
                    gap: float, bottom: float) -> None:
    """Routers between subnets: in the gap right of the leftmost subnet they join
    (``lefts``: left edge of every block, then where a next block would go)."""
    if not len(routers):
        return
    block_of = {int(subnet[b[0]]): i for i, b in enumerate(blocks) if len(b)}
    by_gap: dict[int, list[int]] = {}
    for r in routers.tolist():
        peers = np.concatenate([edges[edges[:, 0] == r, 1], edges[edges[:, 1] == r, 0]])
        joined = [block_of[s] for s in subnet[peers].tolist() if s in block_of]
        slot = min(min(joined, default=0), max(len(blocks) - 2, 0))
        by_gap.setdefault(slot, []).append(r)
    for slot, members in by_gap.items():
        step = max(1.5, bottom / (len(members) + 1))
        for i, r in enumerate(members):
            xy[r] = (lefts[slot + 1] - gap / 2, bottom / 2 + (i - (len(members) - 1) / 2) * step)
