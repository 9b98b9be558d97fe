"""The whole tiered layout of a fabric, for a canvas that draws more than dots: positions,
tiers and roles, leaf blocks, edge bundles between tiers, multi-rail hosts, dual-homed
nodes and the level-of-detail model (:mod:`ibviz.core.layout_lod`).

>>> from ibviz.topology import open_fabric
>>> result = layout_detail(open_fabric("fat-tree:k=4,n=3"))
>>> sorted(set(result.role_names().values()))
['ca', 'core', 'leaf', 'spine']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ibviz.core.fabric import Fabric
from ibviz.core.layout import LayoutKind, compute, graph_arrays, graph_hints
from ibviz.core.layout_bundles import Bundle, tier_bundles
from ibviz.core.layout_lod import LevelOfDetail
from ibviz.core.layout_tiers import CA, ROLE_NAMES, host_key


@dataclass(frozen=True)
class LayoutResult:
    """Everything the tiered layout found; node arrays are in node order (positions of
    ``fabric.nodes`` for :func:`layout_detail`)."""

    xy: np.ndarray
    """``(N, 2)`` positions, the same as :func:`ibviz.core.layout.layout_graph` gives."""
    tier: np.ndarray
    """``(N,)`` 0 end nodes, 1 leaves, 2 spines, 3+ cores (per subnet)."""
    role: np.ndarray
    """``(N,)`` role codes (:data:`ibviz.core.layout_tiers.ROLE_NAMES`)."""
    owner: np.ndarray
    """``(N,)`` the switch an end node or aggregation node hangs off, -1 if none."""
    dual_homed: np.ndarray
    """Node positions of end nodes cabled to two or more switches."""
    blocks: list[tuple[int, np.ndarray]]
    """``(leaf, end nodes)`` blocks, per subnet left to right (leaf -1: no switch)."""
    bundles: list[Bundle]
    edges: np.ndarray
    """``(E, 2)`` unique cabled node pairs that ``Bundle.links`` index."""
    hosts: dict[str, np.ndarray]
    """Multi-rail hosts: host name -> its CAs (only hosts with two or more)."""
    lod: LevelOfDetail
    guids: list[int]
    """Node GUIDs in node order (empty for :func:`detail_graph`)."""

    def role_names(self) -> dict[int, str]:
        """GUID -> role name (``ca``, ``aggregation``, ``leaf``, ``spine``, ``core``...)."""
        return {g: ROLE_NAMES[r] for g, r in zip(self.guids, self.role.tolist(), strict=True)}

    def positions(self) -> dict[int, tuple[float, float]]:
        """GUID -> ``(x, y)``, as :func:`ibviz.core.layout.layout` returns."""
        return dict(zip(self.guids, map(tuple, self.xy.tolist()), strict=True))


def layout_detail(fabric: Fabric, *, kind: LayoutKind = "auto", seed: int = 0
                  ) -> LayoutResult:
    """The tiered layout of ``fabric`` with its blocks, bundles and level of detail."""
    kinds, subnet, ends = graph_arrays(fabric)
    agg, host = graph_hints(fabric, kinds)
    result = detail_graph(kinds, subnet, ends, kind=kind, seed=seed, aggregation=agg,
                          host=host)
    descriptions = [n.description for n in fabric.nodes.values()]
    return LayoutResult(**{**result.__dict__, "guids": list(fabric.nodes),
                           "hosts": _multi_rail(descriptions, result.role)})


def detail_graph(kinds: np.ndarray, subnet: np.ndarray, edges: np.ndarray, *,
                 kind: LayoutKind = "auto", seed: int = 0,
                 aggregation: np.ndarray | None = None,
                 host: np.ndarray | None = None) -> LayoutResult:
    """:func:`layout_detail` on arrays (the arguments of :func:`layout_graph`)."""
    done = compute(kinds, subnet, edges, kind=kind, seed=seed, aggregation=aggregation,
                   host=host)
    n = len(kinds)
    tier, owner = np.zeros(n, np.int64), np.full(n, -1, np.int64)
    role = np.where(kinds == 1, ROLE_NAMES.index("switch"), CA).astype(np.int8)
    role[kinds == 2] = ROLE_NAMES.index("router")
    dual = np.zeros(n, bool)
    blocks: list[tuple[int, np.ndarray]] = []
    bundles: list[Bundle] = []
    for sub in done.subnets:
        m, roles = sub.members, sub.roles
        tier[m], role[m], dual[m] = roles.tier, roles.role, roles.dual
        owner[m] = np.where(roles.owner >= 0, m[np.maximum(roles.owner, 0)], -1)
        if sub.placement is None:
            continue
        blocks += [(int(m[leaf]) if leaf >= 0 else -1, m[b]) for leaf, b in
                   sub.placement.blocks]
        bundles += tier_bundles(done.xy, done.edges, roles.tier, kinds[m] == 1,
                                sub.placement, m)
    return LayoutResult(done.xy, tier, role, owner, np.flatnonzero(dual), blocks, bundles,
                        done.edges, {}, LevelOfDetail.from_blocks(done.xy, blocks), [])


def _multi_rail(descriptions: list[str], role: np.ndarray) -> dict[str, np.ndarray]:
    """Host name -> its CAs, for hosts with two or more CAs."""
    key = host_key(descriptions)
    key[role != CA] = -1
    names = {k: d.split()[0] for k, d in zip(key.tolist(), descriptions, strict=True)
             if k >= 0}
    counts = np.bincount(key[key >= 0], minlength=len(names) + 1)
    return {names[k]: np.flatnonzero(key == k) for k in sorted(names) if counts[k] >= 2}
