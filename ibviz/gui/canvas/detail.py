"""The level of detail the canvas draws a big fabric at, as numpy arrays (no Qt).

Built from the tiered layout (:func:`ibviz.core.layout_detail.detail_graph`):

- a leaf's block of end nodes is a *badge* (a box with its count, one line up to its
  leaf) while the zoom is below :data:`ibviz.core.layout_lod.EXPAND_AT` pixels per slot,
  or while the user keeps it closed; its nodes and their cables are then not drawn;
- the cables between two switch tiers are *bundles* (one thick line per group pair, with
  its cable count) below :data:`BUNDLE_AT`; cables that are down or highlighted stay
  drawn one by one so a failure or a multicast tree is never hidden in a bundle.

Geometry is computed from the current positions at every paint, so dragged nodes and
positions restored from a session are followed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ibviz.core.layout_detail import LayoutResult
from ibviz.core.layout_lod import LevelOfDetail
from ibviz.core.layout_tiers import components

BUNDLE_AT = 30.0
"""Pixels per slot below which the cables between switch tiers are drawn as bundles (node
names show from the same zoom, :data:`ibviz.gui.canvas.paint.LABEL_SCALE`)."""

BUNDLE_MIN_LINKS = 400
"""Fabrics with fewer cables between switch tiers are never bundled (they stay legible)."""


@dataclass
class CanvasDetail:
    """Badges and bundles of one canvas model (node positions = model indices)."""

    lod: LevelOfDetail
    leaves: np.ndarray
    """``(B,)`` leaf of every collapsible block."""
    members: list[np.ndarray]
    """End nodes of every block (same order as ``leaves``)."""
    block_of: np.ndarray
    """``(N,)`` block index of every node (-1: in no collapsible block)."""
    link_bundle: np.ndarray
    """``(L,)`` bundle of every model link between two switch tiers, -1 for the others."""
    bundle_ends: list[tuple[np.ndarray, np.ndarray]]
    """Lower and upper switch group of every bundle."""
    bundle_count: np.ndarray
    """``(K,)`` model links in every bundle."""
    _hidden: tuple[tuple[int, ...], np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, result: LayoutResult, xy: np.ndarray, ends: np.ndarray) -> CanvasDetail:
        """Badges and bundles for a model with positions ``xy`` and link ends ``ends``."""
        n = len(xy)
        lod = LevelOfDetail.from_blocks(xy, result.blocks)
        leaves = np.array(sorted(lod.badges), np.int64)
        members = [lod.badges[int(leaf)].members for leaf in leaves]
        block_of = np.full(n, -1, np.int64)
        for i, m in enumerate(members):
            block_of[m] = i
        switch_bundles = _by_pod(result)
        row_bundle = np.full(len(result.edges), -1, np.int64)
        for k, (rows, _low, _up) in enumerate(switch_bundles):
            row_bundle[rows] = k
        link_bundle = np.full(len(ends), -1, np.int64)
        if len(ends) and len(result.edges):
            low, high = ends.min(axis=1), ends.max(axis=1)
            keys = result.edges[:, 0] * n + result.edges[:, 1]
            wanted = low * n + high
            at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
            found = keys[at] == wanted
            link_bundle[found] = row_bundle[at[found]]
        count = np.bincount(link_bundle[link_bundle >= 0], minlength=len(switch_bundles))
        return cls(lod, leaves, members, block_of, link_bundle,
                   [(low, up) for _rows, low, up in switch_bundles], count)

    # ----------------------------------------------------------------- blocks
    def collapsed(self, scale: float) -> np.ndarray:
        """Block indices drawn as badges at ``scale`` pixels per slot."""
        return np.array([i for i, leaf in enumerate(self.leaves.tolist())
                         if self.lod.is_collapsed(leaf, scale)], np.int64)

    def hidden(self, scale: float) -> np.ndarray:
        """``(N,)`` True for nodes inside a badge at ``scale`` (not drawn, not hit)."""
        shut = self.collapsed(scale)
        key = tuple(shut.tolist())
        if self._hidden is None or self._hidden[0] != key:
            mask = np.zeros(len(self.block_of), bool)
            if len(shut):
                mask = np.isin(self.block_of, shut)
            self._hidden = (key, mask)
        return self._hidden[1]

    def badge_rects(self, xy: np.ndarray, blocks: np.ndarray) -> np.ndarray:
        """``(K, 4)`` left, top, right, bottom (scene) of the members of ``blocks``."""
        flat, starts = _segments(self, "_member_segments", self.members)
        if flat is None:  # an empty block: one at a time
            out = np.empty((len(blocks), 4))
            for row, i in enumerate(blocks.tolist()):
                pts = xy[self.members[i]]
                out[row, :2], out[row, 2:] = pts.min(axis=0), pts.max(axis=0)
            return out
        pts = xy[flat]
        lo, hi = np.minimum.reduceat(pts, starts), np.maximum.reduceat(pts, starts)
        return np.hstack([lo, hi])[blocks]

    def block_at(self, node: int) -> int:
        """Block a node belongs to, or whose leaf it is (-1: none)."""
        if node < 0:
            return -1
        if self.block_of[node] >= 0:
            return int(self.block_of[node])
        hit = np.flatnonzero(self.leaves == node)
        return int(hit[0]) if len(hit) else -1

    def toggle(self, block: int, scale: float) -> bool:
        """Open a closed block or close an open one by hand; True when now closed."""
        return self.lod.toggle(int(self.leaves[block]), scale)

    def set_all(self, collapsed: bool | None) -> None:
        """Close (True) or open (False) every block by hand, or give all back to the zoom
        rule (None)."""
        self.lod.release()
        if collapsed is not None:
            self.lod.forced.update({int(leaf): collapsed for leaf in self.leaves})

    # ---------------------------------------------------------------- bundles
    def bundled(self, scale: float) -> bool:
        return scale < BUNDLE_AT and int(self.bundle_count.sum()) >= BUNDLE_MIN_LINKS

    def bundle_lines(self, xy: np.ndarray) -> np.ndarray:
        """``(K, 4)`` x0, y0, x1, y1 (scene): from each lower group's centre to its upper
        group's centre."""
        out = np.empty((len(self.bundle_ends), 4))
        for side, name in ((0, "_low_segments"), (1, "_up_segments")):
            flat, starts = _segments(self, name, [ends[side] for ends in self.bundle_ends])
            if flat is None:  # an empty group: one at a time
                for k, ends in enumerate(self.bundle_ends):
                    out[k, 2 * side:2 * side + 2] = xy[ends[side]].mean(axis=0)
                continue
            sums = np.add.reduceat(xy[flat], starts)
            out[:, 2 * side:2 * side + 2] = sums / np.diff(np.append(starts, len(flat)))[:, None]
        return out

    def drawn_links(self, ends: np.ndarray, scale: float, keep: np.ndarray) -> np.ndarray:
        """``(L,)`` True for the links drawn one by one at ``scale``: not into a badge and
        not in a bundle, unless ``keep`` (down or highlighted links)."""
        drawn = ~self.hidden(scale)[ends].any(axis=1)
        if self.bundled(scale):
            drawn &= (self.link_bundle < 0) | keep
        return drawn


def _segments(owner: object, name: str, parts: list[np.ndarray]
              ) -> tuple[np.ndarray | None, np.ndarray]:
    """``parts`` concatenated and where each starts (for ``np.ufunc.reduceat``), kept on
    ``owner`` as ``name`` (the parts never change); ``(None, ...)`` when one is empty."""
    cached = owner.__dict__.get(name)
    if cached is None:
        sizes = np.array([len(p) for p in parts], np.int64)
        if not len(parts) or (sizes == 0).any():
            cached = (None, sizes)
        else:
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            cached = (np.concatenate(parts).astype(np.int64), starts)
        owner.__dict__[name] = cached
    return cached


def _by_pod(result: LayoutResult) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(edge rows, lower switches, upper switches)`` of every switch bundle, a bundle
    from tier 2 up split by the pod (the switches joined below that tier) its lower ends
    are in: the cables of a fat tree's core plane start in every pod, and one line from
    the plane's centre would seem to leave the middle pod only."""
    edges, tier = result.edges, result.tier
    pods: dict[int, np.ndarray] = {}
    out = []
    for bundle in result.bundles:
        if bundle.lower < 1:
            continue
        rows = bundle.links
        if bundle.lower < 2 or not len(rows):
            out.append((rows, *bundle.ends))
            continue
        if bundle.lower not in pods:
            t = tier[edges]
            below = (t >= 1).all(axis=1) & (t <= bundle.lower).all(axis=1)
            pods[bundle.lower] = components(edges[below], len(tier))
        e = edges[rows]
        low = np.where(tier[e[:, 0]] == bundle.lower, e[:, 0], e[:, 1])
        up = np.where(tier[e[:, 0]] == bundle.lower, e[:, 1], e[:, 0])
        pod = pods[bundle.lower][low]
        for p in np.unique(pod).tolist():
            sel = pod == p
            out.append((rows[sel], np.unique(low[sel]), np.unique(up[sel])))
    return out
