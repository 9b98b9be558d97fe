"""Roles of the nodes of one subnet for a tiered drawing: CA -> leaf -> spine -> core.

A *leaf* is a switch with at least one end node (CA or in-subnet router) cabled to it,
a *spine* is one switch hop above the leaves, a *core* two or more. SHARP aggregation
nodes (one CA per switch, NodeDescription ``"Mellanox Technologies Aggregation Node"``)
belong to their switch and do not make it a leaf. Where descriptions are not at hand the
pattern is recognised from the cabling: in a fabric of at least :data:`SHARP_MIN_SWITCHES`
switches where every switch has a CA and switches with one CA sit above switches with
several, the lone CA of such a switch is its aggregation node.

Everything works on ``(N,)`` arrays of one subnet and an ``(E, 2)`` array of unique edges
(node positions, as :func:`ibviz.core.layout.layout_graph` builds them). numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ibviz.core.naming import host_name

CA, AGGREGATION, LEAF, SPINE, CORE, ROUTER, SWITCH = range(7)
ROLE_NAMES = ("ca", "aggregation", "leaf", "spine", "core", "router", "switch")
"""Role code -> name (``SWITCH``: a switch of an island without end nodes)."""
SHARP_MIN_SWITCHES = 16
AGGREGATION_DESCRIPTION = "mellanox technologies aggregation node"


@dataclass(frozen=True)
class Roles:
    """Tier, role and owning switch of every node of one subnet (local positions)."""

    tier: np.ndarray
    """``(N,)`` 0 for end nodes, 1 for leaves, 2 for spines, 3+ for cores."""
    role: np.ndarray
    """``(N,)`` int8 role code (:data:`ROLE_NAMES`)."""
    owner: np.ndarray
    """``(N,)`` the switch an end node or aggregation node hangs off (-1: none, or a switch)."""
    dual: np.ndarray
    """``(N,)`` True for an end node cabled to two or more switches (dual-homed)."""


def is_aggregation_description(description: str) -> bool:
    """True for the NodeDescription a SHARP aggregation node reports."""
    return description.strip().lower() == AGGREGATION_DESCRIPTION


def classify(kinds: np.ndarray, edges: np.ndarray,
             aggregation: np.ndarray | None = None) -> Roles:
    """Roles of one subnet's nodes.

    Parameters
    ----------
    kinds:
        ``(N,)`` kind codes: 0 CA, 1 switch, 2 router.
    edges:
        ``(E, 2)`` unique cabled node pairs (no loopbacks).
    aggregation:
        ``(N,)`` True for nodes known to be SHARP aggregation nodes (from their
        descriptions); None to recognise them from the cabling.
    """
    n = len(kinds)
    switch = kinds == 1
    both = np.concatenate([edges, edges[:, ::-1]]) if len(edges) else np.zeros((0, 2), np.int64)
    up = both[~switch[both[:, 0]] & switch[both[:, 1]]]  # end node -> its switch
    ups = np.bincount(up[:, 0], minlength=n)
    agg = _aggregation(kinds, switch, both, up, ups, aggregation)
    owner = np.full(n, -1, np.int64)
    first = up[np.lexsort((up[:, 1], up[:, 0]))]  # lowest switch index first, per node
    if len(first):
        keep = np.r_[True, first[1:, 0] != first[:-1, 0]]
        owner[first[keep, 0]] = first[keep, 1]
    hosts = up[~agg[up[:, 0]]]
    ss = both[switch[both[:, 0]] & switch[both[:, 1]]]
    leaf = _leaves(n, hosts, ss)
    tier = np.where(switch, -1, 0)
    seeds = leaf
    while switch.any():
        bfs(tier, ss, seeds, 1)
        left = np.flatnonzero(switch & (tier < 0))
        if not len(left):
            break
        seeds = np.zeros(n, bool)  # a switch-only island: start from its first switch
        seeds[left[0]] = True
    role = np.full(n, CA, np.int8)
    role[kinds == 2] = ROUTER
    role[agg] = AGGREGATION
    role[switch] = np.minimum(tier[switch] + 1, CORE)
    if not leaf.any():
        role[switch] = SWITCH
    return Roles(tier, role, owner, (ups >= 2) & ~switch)


def _aggregation(kinds: np.ndarray, switch: np.ndarray, both: np.ndarray, up: np.ndarray,
                 ups: np.ndarray, known: np.ndarray | None) -> np.ndarray:
    """Aggregation nodes: single-cabled CAs on a switch, known or recognised."""
    n = len(kinds)
    single = (kinds == 0) & (ups == 1)
    if known is not None:
        return np.asarray(known, bool) & single
    agg = np.zeros(n, bool)
    if switch.sum() < SHARP_MIN_SWITCHES:
        return agg
    cas = up[(kinds[up[:, 0]] == 0)]
    per_switch = np.bincount(cas[:, 1], minlength=n)
    if (per_switch[switch] == 0).any() or not (per_switch[switch] >= 2).any():
        return agg
    lone = switch & (per_switch == 1)
    has_switch_peer = np.zeros(n, bool)
    has_switch_peer[both[switch[both[:, 0]] & switch[both[:, 1]], 0]] = True
    lone &= has_switch_peer
    if lone.sum() < switch.sum() / 4:  # a few thin leaves, not a SHARP fabric
        return agg
    agg[cas[lone[cas[:, 1]] & single[cas[:, 0]], 0]] = True
    return agg


def _leaves(n: int, hosts: np.ndarray, ss: np.ndarray) -> np.ndarray:
    """Switches with end nodes, but of two such switches cabled together the one with far
    fewer end nodes per switch cable is a spine with a few hosts (storage, management) on it."""
    leaf = np.zeros(n, bool)
    leaf[hosts[:, 1]] = True
    pairs = ss[leaf[ss[:, 0]] & leaf[ss[:, 1]]]
    if len(pairs):
        ratio = np.bincount(hosts[:, 1], minlength=n) / np.maximum(
            np.bincount(ss[:, 0], minlength=n), 1)
        leaf[pairs[ratio[pairs[:, 0]] * 2 < ratio[pairs[:, 1]], 0]] = False
    return leaf


def components(pair: np.ndarray, n: int) -> np.ndarray:
    """Connected-component label of every node under the edges ``pair`` (min label)."""
    label = np.arange(n)
    while True:
        old = label.copy()
        lo = np.minimum(label[pair[:, 0]], label[pair[:, 1]])
        np.minimum.at(label, pair[:, 0], lo)
        np.minimum.at(label, pair[:, 1], lo)
        label = label[label]
        if np.array_equal(label, old):
            return label


def bfs(tier: np.ndarray, edges: np.ndarray, seeds: np.ndarray, first: int) -> None:
    """Level-synchronous BFS: every unvisited node gets ``first`` + its distance."""
    frontier, level = seeds & (tier < 0), first
    while frontier.any():
        tier[frontier] = level
        nxt = edges[frontier[edges[:, 0]], 1]
        frontier = np.zeros(len(tier), bool)
        frontier[nxt[tier[nxt] < 0]] = True
        level += 1


def host_key(descriptions: list[str]) -> np.ndarray:
    """``(N,)`` rank of each node's host name (first word of its description, the
    machine of a multi-rail host: ``"agpu1305 HCA-2"`` -> ``agpu1305``); -1 where none."""
    names = [host_name(d) for d in descriptions]
    ranks = {h: i for i, h in enumerate(sorted({h for h in names if h}))}
    return np.fromiter((ranks.get(h, -1) for h in names), np.int64, len(names))


def description_hints(kinds: np.ndarray, descriptions: list[str]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``(aggregation, host)`` hints for :func:`ibviz.core.layout.layout_graph` from every
    node's NodeDescription (in node order): SHARP aggregation CAs, and host-name ranks of
    the CAs (multi-rail hosts share one)."""
    agg = np.fromiter((is_aggregation_description(d) for d in descriptions), bool,
                      len(descriptions)) & (kinds == 0)
    host = np.where(kinds == 0, host_key(descriptions), -1)
    return agg, host
