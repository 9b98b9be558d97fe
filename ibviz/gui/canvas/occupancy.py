"""Which cells of the device a label, a glyph or a highlighted cable takes: the labels'
occupancy grid (:mod:`ibviz.gui.canvas.labels`, the badges' counts)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF

GRID = 4
"""Cell size (pixels) of the occupancy grid."""
MAX_SAMPLES = 4096
"""Points sampled along one highlighted cable at the most (a cable zoomed far past the
window's edge)."""


class Occupancy:
    """Which :data:`GRID`-pixel cells of the device are taken, as a boolean array (a
    label tries up to four places: each test is one numpy slice)."""

    def __init__(self, bounds: QRectF) -> None:
        self.x0, self.y0 = int(bounds.left()) // GRID - 1, int(bounds.top()) // GRID - 1
        self.cells = np.zeros((int(bounds.height()) // GRID + 3,
                               int(bounds.width()) // GRID + 3), bool)

    def _area(self, rect: QRectF) -> np.ndarray:
        h, w = self.cells.shape
        left = max(int(rect.left() + 1) // GRID - self.x0, 0)
        right = min(int(rect.right() - 1) // GRID - self.x0 + 1, w)
        top = max(int(rect.top() + 1) // GRID - self.y0, 0)
        bottom = min(int(rect.bottom() - 1) // GRID - self.y0 + 1, h)
        return self.cells[top:max(top, bottom), left:max(left, right)]

    def claim(self, rect: QRectF) -> bool:
        """Mark the cells under ``rect`` taken; False (nothing marked) if one already was.
        Cells off the device count as free (a glyph may hang over the edge)."""
        area = self._area(rect)
        if area.any():
            return False
        area[:] = True
        return True

    def taken(self, rect: QRectF) -> bool:
        """Whether a cell under ``rect`` is taken (nothing marked)."""
        return bool(self._area(rect).any())

    def mark_segments(self, segments: np.ndarray, width: float) -> None:
        """Mark the cells within ``width / 2`` of each segment ``(K, 4)`` (device pixels),
        sampled every :data:`GRID` pixels (at most :data:`MAX_SAMPLES` per segment)."""
        if not len(segments):
            return
        a, d = segments[:, :2], segments[:, 2:] - segments[:, :2]
        n = np.minimum(np.hypot(d[:, 0], d[:, 1]) // GRID + 2, MAX_SAMPLES).astype(np.int64)
        seg = np.repeat(np.arange(len(segments)), n)
        step = np.arange(len(seg)) - np.repeat(np.cumsum(n) - n, n)
        points = a[seg] + (step / (n[seg] - 1))[:, None] * d[seg]
        cols = (points[:, 0] // GRID).astype(np.int64) - self.x0
        rows = (points[:, 1] // GRID).astype(np.int64) - self.y0
        h, w = self.cells.shape
        reach = int(np.ceil(width / 2 / GRID))
        for dy in range(-reach, reach + 1):
            for dx in range(-reach, reach + 1):
                r, c = rows + dy, cols + dx
                inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
                self.cells[r[inside], c[inside]] = True

    def release(self, rect: QRectF) -> None:
        """Free the cells under ``rect`` (a label claimed them, and moves)."""
        self._area(rect)[:] = False
