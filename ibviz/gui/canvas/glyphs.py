"""Node glyphs: a rounded square for a switch, a circle for a channel adapter, a hexagon
for a router, filled by state colour with a state mark inside. Drawn as vectors (legend,
SVG export) or pre-rendered into one atlas pixmap that ``drawPixmapFragments`` stamps
for every node in a single call.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from ibviz.gui.palette import NODE_STATES, CanvasTheme, canvas_theme

CA, SWITCH, ROUTER = 0, 1, 2
KIND_NAMES = {SWITCH: "Switch", CA: "Channel adapter (host, target)", ROUTER: "Router"}
MARK_MIN_SIZE = 10.0
"""Below this glyph size (pixels) the state mark is left out: colour alone."""


def glyph_path(kind: int, size: float) -> QPainterPath:
    """Outline of a node glyph ``size`` pixels across, centred on the origin."""
    path = QPainterPath()
    if kind == SWITCH:
        side = size * 0.9
        path.addRoundedRect(QRectF(-side / 2, -side / 2, side, side), side * 0.22, side * 0.22)
    elif kind == ROUTER:
        r = size * 0.52
        path.addPolygon(QPolygonF([QPointF(r * math.cos(a), r * math.sin(a))
                                   for a in (math.pi / 3 * i for i in range(7))]))
    else:
        r = size * 0.42
        path.addEllipse(QPointF(0, 0), r, r)
    return path


def paint_glyph(painter: QPainter, kind: int, state: str, centre: QPointF, size: float,
                theme: CanvasTheme) -> None:
    """Draw one glyph (fill, outline, state mark) as vectors."""
    painter.save()
    painter.translate(centre)
    outline = QPen(QColor(theme.outline), max(1.0, size / 18))
    outline.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(outline if size >= 5 else Qt.PenStyle.NoPen)
    painter.setBrush(QColor(theme.state_fill[state]))
    painter.drawPath(glyph_path(kind, size))
    if size >= MARK_MIN_SIZE:
        _paint_mark(painter, state, size, QColor(theme.mark))
    painter.restore()


def _paint_mark(painter: QPainter, state: str, size: float, colour: QColor) -> None:
    pen = QPen(colour, max(1.5, size * 0.11), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(pen)
    r = size * 0.18
    if state == "failed":
        painter.drawLine(QPointF(-r, -r), QPointF(r, r))
        painter.drawLine(QPointF(-r, r), QPointF(r, -r))
    elif state == "recovering":
        painter.drawEllipse(QPointF(0, 0), r * 0.95, r * 0.95)
    elif state == "taking_over":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(QPolygonF([QPointF(0, -r * 1.2), QPointF(r * 1.15, r * 0.85),
                                       QPointF(-r * 1.15, r * 0.85)]))
    elif state == "sender":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(QPointF(0, 0), r * 0.75, r * 0.75)


class GlyphAtlas:
    """Every (kind, state) glyph at one pixel size, in one pixmap.

    Row = kind code, column = index in :data:`NODE_STATES`; cells are :attr:`cell` device
    pixels square (logical size times the device pixel ratio).
    """

    def __init__(self, size: float, theme: CanvasTheme, ratio: float = 1.0) -> None:
        self.size = size
        self.ratio = ratio
        self.logical_cell = math.ceil(size * 1.1) + 4
        self.cell = self.logical_cell * ratio
        cell = int(round(self.cell))
        pixmap = QPixmap(cell * len(NODE_STATES), cell * 3)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(ratio, ratio)
        half = self.logical_cell / 2
        for kind in (CA, SWITCH, ROUTER):
            for col, state in enumerate(NODE_STATES):
                centre = QPointF(col * self.logical_cell + half, kind * self.logical_cell + half)
                paint_glyph(painter, kind, state, centre, size, theme)
        painter.end()
        pixmap.setDevicePixelRatio(1.0)  # fragments address device pixels
        self.pixmap = pixmap

    def source(self, kinds: np.ndarray, states: np.ndarray) -> np.ndarray:
        """``(K, 2)`` atlas corners (device pixels) of the cells for these nodes."""
        return np.stack([np.asarray(states, float) * self.cell,
                         np.asarray(kinds, float) * self.cell], axis=1)


@lru_cache(maxsize=16)
def atlas_for(size: float, theme_name: str, ratio: float) -> GlyphAtlas:
    """A cached atlas; ``size`` should be rounded by the caller so the cache stays small."""
    return GlyphAtlas(size, canvas_theme(theme_name), ratio)


def ring_pen(colour: str, width: float) -> QPen:
    pen = QPen(QBrush(QColor(colour)), width)
    pen.setCosmetic(True)
    return pen


# ----------------------------------------------------------------- packets
PACKET_PX = 15.0
"""Packet glyph size on the canvas (pixels): big enough to read on a projector."""
PACKET_STYLES = (  # (fill colour, shape): Okabe-Ito colours, one shape per kind
    ("#0072B2", "circle"),     # unicast data
    ("#E69F00", "diamond"),    # multicast data
    ("#009E73", "square"),     # ACK
    ("#D55E00", "cross"),      # NAK
    ("#CC79A7", "triangle"),   # SMP
    ("#56B4E9", "envelope"),   # SA MAD
)
PACKET_OUTLINE = "#1a1a1a"


def packet_path(kind: int, size: float) -> QPainterPath:
    """Outline of packet glyph ``kind`` (see :data:`PACKET_STYLES`), centred on the origin."""
    shape = PACKET_STYLES[kind][1]
    r = size / 2
    path = QPainterPath()
    if shape == "circle":
        path.addEllipse(QPointF(0, 0), r * 0.8, r * 0.8)
    elif shape == "diamond":
        path.addPolygon(QPolygonF([QPointF(0, -r), QPointF(r, 0), QPointF(0, r),
                                   QPointF(-r, 0), QPointF(0, -r)]))
    elif shape == "square":
        path.addRect(QRectF(-r * 0.7, -r * 0.7, r * 1.4, r * 1.4))
    elif shape == "cross":
        w = r * 0.38
        for angle in (45, -45):
            arm = QPainterPath()
            arm.addRect(QRectF(-r, -w, 2 * r, 2 * w))
            path = path.united(arm * _rotation(angle))
    elif shape == "triangle":
        path.addPolygon(QPolygonF([QPointF(0, -r), QPointF(r * 0.95, r * 0.75),
                                   QPointF(-r * 0.95, r * 0.75), QPointF(0, -r)]))
    else:  # envelope
        path.addRect(QRectF(-r, -r * 0.65, 2 * r, r * 1.3))
    return path


def _rotation(degrees: float):
    from PySide6.QtGui import QTransform

    return QTransform().rotate(degrees)


def paint_packet(painter: QPainter, kind: int, centre: QPointF, size: float = PACKET_PX,
                 watched: bool = False) -> None:
    """Draw one packet glyph as vectors (legend, atlas); ``watched`` adds a ring."""
    painter.save()
    painter.translate(centre)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if watched:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor("#ffffff"), 5.0))
        painter.drawEllipse(QPointF(0, 0), size * 0.85, size * 0.85)
        painter.setPen(QPen(QColor("#000000"), 2.5))
        painter.drawEllipse(QPointF(0, 0), size * 0.85, size * 0.85)
    pen = QPen(QColor(PACKET_OUTLINE), max(1.2, size / 10))
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(QColor(PACKET_STYLES[kind][0]))
    painter.drawPath(packet_path(kind, size))
    if PACKET_STYLES[kind][1] == "envelope":
        r = size / 2
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPolyline(QPolygonF([QPointF(-r, -r * 0.65), QPointF(0, r * 0.15),
                                        QPointF(r, -r * 0.65)]))
    painter.restore()
