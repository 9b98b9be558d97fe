"""Node names, LIDs and port numbers on the canvas, each on a small background pill.

Labels are placed greedily on a coarse occupancy grid in device pixels: a label that
would cover a glyph or another label is left out, so a crowded view never turns into
overprinted text. Zooming in makes room and the missing labels appear.

Labels that matter stay: the model's *pinned* nodes (the primary, the takeover and the
senders of each protected group, the selected node, search hits, nodes the narration
names; in that priority order) are placed first, at any zoom, trying each side of their
glyph before any other label, and the first :data:`FORCED` of them are drawn even where
every side is taken.

A label stays put: the side each node's label took is remembered on the model
(``label_sides``) and tried first next time, until the zoom or the layout changes, and
the pinned labels already drawn are placed before newly pinned ones. The pinned nodes
and their order change between steps (the narration names other nodes); without this,
who claimed the room first changed and labels jumped above/below.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter

from ibviz.gui.canvas.model import CanvasModel, label_lines
from ibviz.gui.palette import CanvasTheme

GRID = 4
"""Cell size (pixels) of the occupancy grid."""
PORT_FONT_PX = 12
FORCED = 24
"""The first this many pinned labels are drawn even where every side is taken (a group
with a thousand senders does not cover the canvas in overprinted names)."""


class Labeller:
    """Draws labels for the visible nodes / links of one paint."""

    def __init__(self, painter: QPainter, theme: CanvasTheme, scale: float,
                 glyph: float, font_scale: float = 1.0) -> None:
        self.p, self.theme, self.scale, self.glyph = painter, theme, scale, glyph
        self.font_scale = font_scale
        """Presentation mode draws every label larger."""
        self.bounds = QRectF(painter.viewport())
        """The device area drawn: a pinned label is kept inside it."""
        self.occupied = Occupancy(self.bounds)

    def reserve_glyphs(self, centres: np.ndarray) -> None:
        half = self.glyph / 2
        for x, y in centres.tolist():
            self.occupied.claim(QRectF(x - half, y - half, self.glyph, self.glyph))

    def nodes(self, model: CanvasModel, nodes: np.ndarray, centres: np.ndarray,
              everything: bool = True) -> None:
        """Name (and LID) under each CA, above each switch and router: the pinned nodes
        first (always), then, with ``everything``, the others where there is room."""
        font = QFont()
        font.setPixelSize(round(float(np.clip(self.scale * 0.2, 12, 16)) * self.font_scale))
        small = QFont(font)
        small.setPixelSize(font.pixelSize() - 1)
        fonts = ((font, QFontMetricsF(font)), (small, QFontMetricsF(small)))
        key = (round(self.scale, 6), self.glyph, self.font_scale)
        if model.label_sides_key != key:  # zoomed (or presentation type): placed afresh
            model.label_sides_key = key
            model.label_sides.clear()
        rank = pin_ranks(model, nodes)
        pinned = np.flatnonzero(rank >= 0)
        pinned = pinned[np.argsort(rank[pinned], kind="stable")]
        forced = set(pinned[:FORCED].tolist())
        placed = [k for k in pinned.tolist() if int(nodes[k]) in model.label_sides]
        newly = [k for k in pinned.tolist() if int(nodes[k]) not in model.label_sides]
        for k in placed + newly:  # a label already drawn keeps its room from a newcomer
            x, y = centres[k].tolist()
            self._node(model, int(nodes[k]), x, y, fonts, pinned=True, force=k in forced)
        if not everything:
            return
        rest = np.flatnonzero(rank < 0)
        rest = rest[np.argsort(-model.kinds[nodes[rest]], kind="stable")]  # switches first
        for k in rest.tolist():
            x, y = centres[k].tolist()
            self._node(model, int(nodes[k]), x, y, fonts, pinned=False)

    def _node(self, model: CanvasModel, i: int, x: float, y: float,
              fonts: tuple[tuple[QFont, QFontMetricsF], ...], pinned: bool,
              force: bool = False) -> None:
        name, lid = label_lines(model.fabric.nodes[model.guids[i]])
        lines = [(name, *fonts[0])] + ([(lid, *fonts[1])] if lid else [])
        height = sum(m.height() for _, _, m in lines)
        width = max(m.horizontalAdvance(t) for t, _, m in lines) + 6
        half = self.glyph / 2 + 3
        below, above = y + half, y - half - height
        side = half + width / 2
        tops = [(x, below), (x, above)] if model.kinds[i] == 0 else [(x, above), (x, below)]
        tops += [(x + side, y - height / 2), (x - side, y - height / 2)]  # right, left
        sides = [0, 1, 2, 3] if pinned else [0]  # the others: their usual place or none
        last = model.label_sides.get(i)
        if last is not None:  # where it was last time first (unpinned: else its usual place)
            sides = [last] + [s for s in sides if s != last]
        for s in sides:
            cx, top = tops[s]
            rect = QRectF(cx - width / 2, top, width, height)
            if (not pinned or self.bounds.contains(rect)) and self.occupied.claim(rect):
                model.label_sides[i] = s
                break
        else:
            if not force:
                return
            cx, top = self._inside(*tops[sides[0]], width, height)  # drawn anyway
        for text, f, m in lines:
            self.pill(text, f, QPointF(cx, top + m.height() / 2), strong=pinned)
            top += m.height()

    def _inside(self, cx: float, top: float, width: float, height: float
                ) -> tuple[float, float]:
        """The label's place moved the least to lie inside the drawn area."""
        b = self.bounds
        cx = min(max(cx, b.left() + width / 2), max(b.right() - width / 2, b.left()))
        top = min(max(top, b.top()), max(b.bottom() - height, b.top()))
        return cx, top

    def ports(self, segments: np.ndarray, ports: np.ndarray) -> None:
        """Port number near both ends of every segment ``(K, 4)`` (device pixels)."""
        font = QFont()
        font.setPixelSize(round(PORT_FONT_PX * self.font_scale))
        seg = segments.reshape(-1, 2, 2)
        d = seg[:, 1] - seg[:, 0]
        unit = d / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
        offset = self.glyph / 2 + 14
        for end, sign in ((0, 1.0), (1, -1.0)):
            where = seg[:, end] + sign * unit * offset
            for (x, y), port in zip(where.tolist(), ports[:, end].tolist(), strict=True):
                self.pill(str(port), font, QPointF(x, y), check=True, muted=True)

    def pill(self, text: str, font: QFont, centre: QPointF, check: bool = False,
             muted: bool = False, strong: bool = False) -> None:
        """Text on a background-coloured pill; with ``check``, left out where it would
        overlap another label or a glyph."""
        metrics = QFontMetricsF(font)
        w, h = metrics.horizontalAdvance(text) + 6, metrics.height()
        rect = QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)
        if check and not self.occupied.claim(rect):
            return
        back = QColor(self.theme.label_halo)
        back.setAlpha(245 if strong else 225)
        self.p.setPen(Qt.PenStyle.NoPen)
        self.p.setBrush(back)
        self.p.drawRoundedRect(rect, h / 3, h / 3)
        colour = QColor(self.theme.label)
        if muted:
            colour.setAlpha(200)
        self.p.setPen(colour)
        self.p.setFont(font)
        self.p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def pin_ranks(model: CanvasModel, nodes: np.ndarray) -> np.ndarray:
    """For each of ``nodes`` (indices), its place in ``model.pinned`` (-1: not pinned)."""
    rank = np.full(len(nodes), -1, np.int64)
    pinned = np.asarray(model.pinned, np.int64)
    if len(pinned) and len(nodes):
        order = np.full(len(model.guids), -1, np.int64)
        order[pinned[::-1]] = np.arange(len(pinned))[::-1]  # the first place wins
        rank = order[nodes]
    return rank


class Occupancy:
    """Which :data:`GRID`-pixel cells of the device are taken, as a boolean array (a
    label tries up to four places: each test is one numpy slice)."""

    def __init__(self, bounds: QRectF) -> None:
        self.x0, self.y0 = int(bounds.left()) // GRID - 1, int(bounds.top()) // GRID - 1
        self.cells = np.zeros((int(bounds.height()) // GRID + 3,
                               int(bounds.width()) // GRID + 3), bool)

    def claim(self, rect: QRectF) -> bool:
        """Mark the cells under ``rect`` taken; False (nothing marked) if one already was.
        Cells off the device count as free (a glyph may hang over the edge)."""
        h, w = self.cells.shape
        left = max(int(rect.left() + 1) // GRID - self.x0, 0)
        right = min(int(rect.right() - 1) // GRID - self.x0 + 1, w)
        top = max(int(rect.top() + 1) // GRID - self.y0, 0)
        bottom = min(int(rect.bottom() - 1) // GRID - self.y0 + 1, h)
        if left >= right or top >= bottom:
            return True
        area = self.cells[top:bottom, left:right]
        if area.any():
            return False
        area[:] = True
        return True
