"""Edge bundles between tiers: the cables from one group of switches to a group in the next
tier up, drawn as one band along a shared path instead of one diagonal each.

Groups of a tier: where the cables between two neighbouring tiers fall apart into
several connected pieces (the pods of a fat tree), each piece is a group; otherwise the
tier is cut, left to right, into about sqrt(size) runs. Every leaf's block of end nodes
gets a bundle too (leaf -> top centre of the block). numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ibviz.core.layout_place import Placement
from ibviz.core.layout_tiers import components


@dataclass(frozen=True)
class Bundle:
    """The cables from a group of nodes in ``lower`` tier to a group in ``upper`` tier."""

    lower: int
    upper: int
    links: np.ndarray
    """Rows of the layout's unique edge array in this bundle."""
    ends: tuple[np.ndarray, np.ndarray]
    """Node positions of the lower and of the upper group."""
    path: np.ndarray
    """``(4, 2)`` control points of a cubic Bezier from the lower group's centre to the
    upper group's; each cable runs from its node to the path's start, along it, and from
    its end to the other node."""

    @property
    def count(self) -> int:
        return len(self.links)

    def curve(self, samples: int = 16) -> np.ndarray:
        """``(samples, 2)`` points along the bundle's Bezier path, ready to draw."""
        t = np.linspace(0.0, 1.0, max(samples, 2))[:, None]
        p0, p1, p2, p3 = self.path
        return ((1 - t) ** 3) * p0 + 3 * ((1 - t) ** 2) * t * p1 + 3 * (1 - t) * t * t * p2 \
            + t ** 3 * p3


def tier_bundles(xy: np.ndarray, edges: np.ndarray, tier: np.ndarray, is_switch: np.ndarray,
                 placement: Placement, members: np.ndarray) -> list[Bundle]:
    """Bundles of one subnet. ``members`` maps its local positions (``tier``,
    ``is_switch``, ``placement``) to global node positions (``xy``, ``edges``)."""
    local = np.full(len(xy), -1)
    local[members] = np.arange(len(members))
    rows = np.flatnonzero((local[edges] >= 0).all(axis=1))
    e = local[edges[rows]]
    t = tier[e]
    out: list[Bundle] = []
    sw = is_switch[e].all(axis=1)
    for low in range(1, int(tier.max(initial=0))):
        sel = sw & (np.minimum(t[:, 0], t[:, 1]) == low) & (np.abs(t[:, 0] - t[:, 1]) == 1)
        if not sel.any():
            continue
        pair = np.where((t[sel, 0] == low)[:, None], e[sel], e[sel][:, ::-1])
        out += _between(xy, members, pair, rows[sel], low, tier)
    n = len(tier)
    block_of, leaf_of = np.full(n, -1), np.full(len(placement.blocks) + 1, -2)
    for i, (leaf, block) in enumerate(placement.blocks):
        block_of[block], leaf_of[i] = i, leaf
    hang = np.where(block_of[e[:, 0]] >= 0, block_of[e[:, 0]], block_of[e[:, 1]])
    hang[leaf_of[hang] != np.where(block_of[e[:, 0]] >= 0, e[:, 1], e[:, 0])] = -1
    order = np.argsort(hang, kind="stable")
    bounds = np.searchsorted(hang[order], np.arange(len(placement.blocks) + 1))
    for i, (leaf, block) in enumerate(placement.blocks):
        if leaf < 0:
            continue
        inside = np.sort(order[bounds[i]:bounds[i + 1]])
        top = np.array([xy[members[block], 0].mean(), xy[members[block], 1].min()])
        start = xy[members[leaf]]
        path = np.array([top, top + (start - top) / 3, start + (top - start) / 3, start])
        out.append(Bundle(0, int(tier[leaf]), rows[inside], (members[block], members[[leaf]]),
                          path))
    return out


def _between(xy: np.ndarray, members: np.ndarray, pair: np.ndarray, rows: np.ndarray,
             low: int, tier: np.ndarray) -> list[Bundle]:
    """Bundles of the cables ``pair`` (local lower, upper) between tier ``low`` and the next."""
    n = len(tier)
    comp = components(pair, n)
    pieces = np.unique(comp[pair[:, 0]])
    if len(pieces) > 1:
        glow, gup = comp[pair[:, 0]], comp[pair[:, 1]]
    else:
        glow, gup = (_runs(xy[members, 0], tier == u)[pair[:, i]]
                     for i, u in ((0, low), (1, low + 1)))
    key = glow.astype(np.int64) * (n + 1) + gup
    order = np.lexsort((rows, key))
    key, pair, rows = key[order], pair[order], rows[order]
    cut = np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])
    out = []
    for a, b in zip(cut[:-1], cut[1:], strict=True):
        lows, ups = np.unique(pair[a:b, 0]), np.unique(pair[a:b, 1])
        p0 = xy[members[lows]].mean(axis=0)
        p3 = xy[members[ups]].mean(axis=0)
        dy = p3[1] - p0[1]
        path = np.array([p0, p0 + (0, dy / 3), p3 - (0, dy / 3), p3])
        out.append(Bundle(low, low + 1, rows[a:b], (members[lows], members[ups]), path))
    return out


def _runs(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Group of every node in ``mask``: runs of about sqrt(count) nodes, left to right."""
    group = np.full(len(x), -1)
    idx = np.flatnonzero(mask)
    idx = idx[np.argsort(x[idx], kind="stable")]
    size = max(1, int(np.ceil(np.sqrt(len(idx)))))
    group[idx] = np.arange(len(idx)) // size
    return group
