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

from typing import Literal

import networkx as nx
import numpy as np

from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind

LayoutKind = Literal["auto", "layered", "force"]
FORCE_MAX_NODES = 300
"""Above this many nodes a subnet is always drawn layered (the force layout is O(n^2))."""
WRAP_AT = 96
"""A CA tier wider than this (and than every switch tier) is folded into racks under its
leaf switches."""
_SWEEPS = 4
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
    return layout_graph(*graph_arrays(fabric), kind=kind, seed=seed)


def layout_graph(kinds: np.ndarray, subnet: np.ndarray, edges: np.ndarray, *,
                 kind: LayoutKind = "auto", seed: int = 0) -> np.ndarray:
    """The numpy form of :func:`layout`: ``(N, 2)`` positions.

    Parameters
    ----------
    kinds:
        ``(N,)`` node kind codes: 0 CA, 1 switch, 2 router (:data:`KIND_CODES`).
    subnet:
        ``(N,)`` integer subnet of every node; subnets are placed left to right in order.
    edges:
        ``(E, 2)`` node indices of the cables (parallel cables and loopbacks are fine).
    """
    if kind not in ("auto", "layered", "force"):
        raise ValueError(f"unknown layout kind {kind!r}; use 'auto', 'layered' or 'force'")
    n = len(kinds)
    xy = np.zeros((n, 2))
    if n == 0:
        return xy
    edges = _unique_edges(np.asarray(edges, np.int64).reshape(-1, 2), n)
    gateway = _gateway_routers(kinds, subnet, edges)
    blocks = [np.flatnonzero((subnet == s) & ~gateway) for s in np.unique(subnet[~gateway])]
    x0, bottom, placed = 0.0, 0.0, []
    for members in blocks:
        local = _subgraph_edges(edges, members, n)
        tier = _tiers(kinds[members], local)
        use_force = kind == "force" or (kind == "auto" and len(members) < FORCE_MAX_NODES
                                        and not _tree_like(kinds[members], tier, local))
        pos = _force(len(members), local, seed) if use_force else _layered(tier, local)
        pos -= pos.min(axis=0)
        placed.append((members, pos))
        bottom = max(bottom, float(pos[:, 1].max()))
    gap = max(3.0, 0.08 * max([float(p[:, 0].max()) for _, p in placed] or [0.0]))
    lefts: list[float] = []
    for members, pos in placed:
        xy[members] = pos + (x0, bottom - pos[:, 1].max())  # CA rows aligned at the bottom
        lefts.append(x0)
        x0 += float(pos[:, 0].max()) + gap
    lefts.append(x0)
    _place_gateways(xy, np.flatnonzero(gateway), edges, subnet, blocks, lefts, gap, bottom)
    return xy


def tiers(fabric: Fabric) -> dict[int, int]:
    """Tier of every node (0 = CAs and routers, 1 = leaf switches, ...) per subnet."""
    kinds, subnet, edges = graph_arrays(fabric)
    edges = _unique_edges(edges, len(kinds))
    out = np.zeros(len(kinds), np.int64)
    for s in np.unique(subnet):
        members = np.flatnonzero(subnet == s)
        out[members] = _tiers(kinds[members], _subgraph_edges(edges, members, len(kinds)))
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


def _tiers(kinds: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Tier per node: 0 for end nodes, else 1 + BFS distance from the leaf switches."""
    n = len(kinds)
    switch = kinds == 1
    tier = np.where(switch, -1, 0)
    if not switch.any():
        return tier
    both = np.concatenate([edges, edges[:, ::-1]])
    ss = both[switch[both[:, 0]] & switch[both[:, 1]]]
    seeds = np.isin(np.arange(n), both[switch[both[:, 0]] & ~switch[both[:, 1]], 0])
    while True:
        _bfs(tier, ss, seeds, 1)
        left = np.flatnonzero(switch & (tier < 0))
        if not len(left):
            return tier
        seeds = np.zeros(n, bool)  # a switch-only island: start from its first switch
        seeds[left[0]] = True


def _bfs(tier: np.ndarray, edges: np.ndarray, seeds: np.ndarray, first: int) -> None:
    """Level-synchronous BFS: every unvisited node gets ``first`` + its distance."""
    frontier, level = seeds & (tier < 0), first
    while frontier.any():
        tier[frontier] = level
        nxt = edges[frontier[edges[:, 0]], 1]
        frontier = np.zeros(len(tier), bool)
        frontier[nxt[tier[nxt] < 0]] = True
        level += 1


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


def _layered(tier: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Positions of one subnet laid out by tier, top tier at y = 0."""
    n, top = len(tier), int(tier.max())
    both = np.concatenate([edges, edges[:, ::-1]])
    pair_key = tier[both[:, 0]] * (top + 1) + tier[both[:, 1]]
    pairs = {int(k): both[pair_key == k] for k in np.unique(pair_key)}

    def between(t: int, u: int) -> np.ndarray:  # the cables from tier t to tier u
        return pairs.get(t * (top + 1) + u, np.zeros((0, 2), np.int64))
    members = [np.flatnonzero(tier == t) for t in range(top + 1)]
    rank = np.zeros(n)
    for m in members:
        rank[m] = (np.arange(len(m)) + 0.5) / max(len(m), 1)
    for _ in range(_SWEEPS):  # barycentre sweeps: up from the CAs, then back down
        for t in [*range(1, top + 1), *range(top - 1, -1, -1)]:
            m, sel = members[t], between(t, t - 1 if t > 0 else 1)
            key = _mean_by(sel[:, 0], rank[sel[:, 1]], n, rank)[m]
            rank[m[np.lexsort((m, key))]] = (np.arange(len(m)) + 0.5) / len(m)
    xy = np.zeros((n, 2))
    width = _place_end_nodes(xy, members, rank, between(0, 1))
    widest = max(width, *(len(m) for m in members[1:]))
    xy[members[0], 0] += (widest - width) / 2
    gap = max(2.0, 0.15 * widest)
    for t in range(1, top + 1):
        m = members[t][np.argsort(rank[members[t]], kind="stable")]
        even = (np.arange(len(m)) + 0.5) * widest / len(m)
        below = between(t, t - 1)
        xs = _mean_by(below[:, 0], xy[below[:, 1], 0], n, np.full(n, np.nan))[m]
        want = np.where(np.isnan(xs), even, 0.5 * (even + xs))
        steps = np.arange(len(m)) * 1.0  # at least one slot between neighbours
        placed = np.maximum.accumulate(want - steps) + steps
        xy[m, 0] = placed + np.mean(want - placed)
        xy[m, 1] = (top - t) * gap
    xy[members[0], 1] += top * gap
    return xy


def _mean_by(index: np.ndarray, values: np.ndarray, n: int,
             fallback: np.ndarray) -> np.ndarray:
    """Mean of ``values`` grouped by ``index``; ``fallback`` where a group is empty."""
    count = np.bincount(index, minlength=n)
    total = np.bincount(index, weights=values, minlength=n)
    return np.where(count > 0, total / np.maximum(count, 1), fallback)


def _place_end_nodes(xy: np.ndarray, members: list[np.ndarray], rank: np.ndarray,
                     up: np.ndarray) -> float:
    """Put tier 0 in a row, or in racks under their first leaf when it is too wide."""
    ends = members[0]
    if not len(ends):
        return 0.0
    limit = max(WRAP_AT, *(len(m) for m in members[1:]))
    leaf_rank = np.full(len(rank), np.inf)
    np.minimum.at(leaf_rank, up[:, 0], rank[up[:, 1]])
    group = leaf_rank[ends]
    order = np.lexsort((ends, rank[ends], group))
    ends, group = ends[order], group[order]
    if len(ends) <= limit:
        xy[ends, 0] = np.arange(len(ends)) + 0.5
        return float(len(ends))
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[starts, len(ends)])
    typical, rows = int(np.median(sizes)), int(np.ceil(len(ends) / limit))
    rows = max(1, int(np.ceil(typical / np.ceil(typical / rows))))  # fill whole columns
    within = np.arange(len(ends)) - np.repeat(starts, sizes)
    cols = -(-sizes // rows)
    first_col = np.repeat(np.cumsum(cols) - cols, sizes)
    xy[ends, 0] = first_col + within // rows + 0.5
    xy[ends, 1] = within % rows
    return float(cols.sum())


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
