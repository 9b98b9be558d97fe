"""Level of detail: each leaf's block of end nodes collapses to one badge (its count) until
the view is zoomed in far enough to tell the nodes apart; the user can open or close any
block by hand. Pure data: a canvas asks which blocks are collapsed at its current scale
(pixels per layout slot) and draws badges for those, nodes for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

EXPAND_AT = 6.0
"""Pixels per slot from which blocks open by themselves (nodes 6 px apart can be told apart)."""
MIN_MEMBERS = 2
"""A block of fewer end nodes never collapses (a badge would hide nothing)."""


@dataclass(frozen=True)
class Badge:
    """A collapsed block: where to draw it and what it stands for."""

    leaf: int
    """Node position of the leaf switch the block hangs off."""
    position: tuple[float, float]
    """Centre of the block."""
    count: int
    members: np.ndarray
    """Node positions of the block's end nodes."""
    bounds: tuple[float, float, float, float]
    """``(left, top, right, bottom)`` of the members' centres."""


@dataclass
class LevelOfDetail:
    """Which leaf blocks are drawn as badges, automatically by zoom or by hand."""

    badges: dict[int, Badge]
    """Leaf node position -> its block's badge (blocks of :data:`MIN_MEMBERS` or more)."""
    expand_at: float = EXPAND_AT
    forced: dict[int, bool] = field(default_factory=dict)
    """Leaf -> collapsed, for blocks the user opened or closed by hand."""

    @classmethod
    def from_blocks(cls, xy: np.ndarray, blocks: list[tuple[int, np.ndarray]],
                    expand_at: float = EXPAND_AT) -> LevelOfDetail:
        """Badges for ``(leaf, members)`` blocks laid out at ``xy``."""
        badges = {}
        for leaf, members in blocks:
            if leaf < 0 or len(members) < MIN_MEMBERS:
                continue
            lo, hi = xy[members].min(axis=0), xy[members].max(axis=0)
            centre = (lo + hi) / 2
            badges[leaf] = Badge(leaf, (float(centre[0]), float(centre[1])), len(members),
                                 members, (float(lo[0]), float(lo[1]), float(hi[0]),
                                           float(hi[1])))
        return cls(badges, expand_at)

    def is_collapsed(self, leaf: int, scale: float) -> bool:
        """True when ``leaf``'s block is a badge at ``scale`` pixels per slot."""
        if leaf not in self.badges:
            return False
        return self.forced.get(leaf, scale < self.expand_at)

    def collapsed(self, scale: float) -> list[Badge]:
        """The badges to draw at ``scale``, left to right."""
        shown = [b for leaf, b in self.badges.items() if self.is_collapsed(leaf, scale)]
        return sorted(shown, key=lambda b: (b.position[0], b.position[1], b.leaf))

    def toggle(self, leaf: int, scale: float) -> bool:
        """Open a collapsed block or close an open one (at ``scale``); returns whether it
        is now collapsed. KeyError for a switch without a collapsible block."""
        if leaf not in self.badges:
            raise KeyError(f"node {leaf} has no block of end nodes to collapse")
        self.forced[leaf] = not self.is_collapsed(leaf, scale)
        return self.forced[leaf]

    def release(self, leaf: int | None = None) -> None:
        """Give one block (or every block) back to the zoom rule."""
        if leaf is None:
            self.forced.clear()
        else:
            self.forced.pop(leaf, None)

    def hidden(self, n: int, scale: float) -> np.ndarray:
        """``(n,)`` True for nodes inside a collapsed block at ``scale`` (not drawn)."""
        mask = np.zeros(n, bool)
        for badge in self.collapsed(scale):
            mask[badge.members] = True
        return mask

    def hidden_links(self, edges: np.ndarray, n: int, scale: float) -> np.ndarray:
        """``(E,)`` True for the cables ``edges`` (node positions) that end inside a
        collapsed block at ``scale``: a canvas draws one line leaf -> badge instead."""
        edges = np.asarray(edges, np.int64).reshape(-1, 2)
        return np.asarray(self.hidden(n, scale)[edges].any(axis=1), bool)

    def badge_of(self, node: int) -> Badge | None:
        """The badge whose block holds ``node``, if any."""
        for badge in self.badges.values():
            if node in badge.members:
                return badge
        return None
