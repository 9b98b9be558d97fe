"""Node names, LIDs and port numbers on the canvas, each on a small background pill.

Labels are placed greedily (switches first) on a coarse occupancy grid in device pixels:
a label that would cover a glyph or another label is left out, so a crowded view never
turns into overprinted text. Zooming in makes room and the missing labels appear.
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


class Labeller:
    """Draws labels for the visible nodes / links of one paint."""

    def __init__(self, painter: QPainter, theme: CanvasTheme, scale: float,
                 glyph: float) -> None:
        self.p, self.theme, self.scale, self.glyph = painter, theme, scale, glyph
        self.occupied: set[tuple[int, int]] = set()

    def reserve_glyphs(self, centres: np.ndarray) -> None:
        half = self.glyph / 2
        for x, y in centres.tolist():
            claim(QRectF(x - half, y - half, self.glyph, self.glyph), self.occupied)

    def nodes(self, model: CanvasModel, nodes: np.ndarray, centres: np.ndarray) -> None:
        """Name (and LID) under each CA, above each switch and router."""
        font = QFont()
        font.setPixelSize(int(np.clip(self.scale * 0.2, 12, 16)))
        small = QFont(font)
        small.setPixelSize(font.pixelSize() - 1)
        metrics, small_metrics = QFontMetricsF(font), QFontMetricsF(small)
        order = np.argsort(-model.kinds[nodes], kind="stable")  # switches first
        half = self.glyph / 2 + 3
        for i, (x, y) in zip(nodes[order].tolist(), centres[order].tolist(), strict=True):
            name, lid = label_lines(model.fabric.nodes[model.guids[i]])
            lines = [(name, font, metrics)] + ([(lid, small, small_metrics)] if lid else [])
            height = sum(m.height() for _, _, m in lines)
            width = max(m.horizontalAdvance(t) for t, _, m in lines) + 6
            top = y + half if model.kinds[i] == 0 else y - half - height
            if not claim(QRectF(x - width / 2, top, width, height), self.occupied):
                continue
            for text, f, m in lines:
                self.pill(text, f, QPointF(x, top + m.height() / 2))
                top += m.height()

    def ports(self, segments: np.ndarray, ports: np.ndarray) -> None:
        """Port number near both ends of every segment ``(K, 4)`` (device pixels)."""
        font = QFont()
        font.setPixelSize(PORT_FONT_PX)
        seg = segments.reshape(-1, 2, 2)
        d = seg[:, 1] - seg[:, 0]
        unit = d / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
        offset = self.glyph / 2 + 14
        for end, sign in ((0, 1.0), (1, -1.0)):
            where = seg[:, end] + sign * unit * offset
            for (x, y), port in zip(where.tolist(), ports[:, end].tolist(), strict=True):
                self.pill(str(port), font, QPointF(x, y), check=True, muted=True)

    def pill(self, text: str, font: QFont, centre: QPointF, check: bool = False,
             muted: bool = False) -> None:
        """Text on a background-coloured pill; with ``check``, left out where it would
        overlap another label or a glyph."""
        metrics = QFontMetricsF(font)
        w, h = metrics.horizontalAdvance(text) + 6, metrics.height()
        rect = QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)
        if check and not claim(rect, self.occupied):
            return
        back = QColor(self.theme.label_halo)
        back.setAlpha(225)
        self.p.setPen(Qt.PenStyle.NoPen)
        self.p.setBrush(back)
        self.p.drawRoundedRect(rect, h / 3, h / 3)
        colour = QColor(self.theme.label)
        if muted:
            colour.setAlpha(200)
        self.p.setPen(colour)
        self.p.setFont(font)
        self.p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def claim(rect: QRectF, occupied: set[tuple[int, int]]) -> bool:
    """Mark the grid cells under ``rect`` taken; False (nothing marked) if one already was."""
    cells = {(cx, cy)
             for cx in range(int(rect.left() + 1) // GRID, int(rect.right() - 1) // GRID + 1)
             for cy in range(int(rect.top() + 1) // GRID, int(rect.bottom() - 1) // GRID + 1)}
    if cells & occupied:
        return False
    occupied |= cells
    return True
