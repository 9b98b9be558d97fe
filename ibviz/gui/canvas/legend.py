"""The legend of the fabric canvas: node glyphs, state colours and marks, link styles,
packet glyphs; and :class:`PacketKey`, the packet key drawn over the canvas corner."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ibviz.app.packet_frame import GLYPH_NAMES
from ibviz.gui.canvas.glyphs import CA, KIND_NAMES, ROUTER, SWITCH, paint_glyph, paint_packet
from ibviz.gui.palette import (
    HIGHLIGHT_LABELS,
    NODE_STATES,
    SPEED_CLASSES,
    STATE_LABELS,
    CanvasTheme,
    canvas_theme,
)

SWATCH = 26
ROW = 24
Swatch = Callable[[QPainter, QRectF, CanvasTheme], None]


def _glyph(kind: int, state: str) -> Swatch:
    def paint(p: QPainter, box: QRectF, theme: CanvasTheme) -> None:
        paint_glyph(p, kind, state, box.center(), 18, theme)
    return paint


def _packet(kind: int) -> Swatch:
    def paint(p: QPainter, box: QRectF, _theme: CanvasTheme) -> None:
        paint_packet(p, kind, box.center(), 14)
    return paint


PACKET_SHORT = ("Unicast", "Multicast", "ACK", "NAK", "SMP", "SA MAD")


def _line(width: float, colour: str = "link", dashed: bool = False,
          band: str | None = None) -> Swatch:
    def paint(p: QPainter, box: QRectF, theme: CanvasTheme) -> None:
        y = box.center().y()
        a, b = QPointF(box.left() + 2, y), QPointF(box.right() - 2, y)
        if band:
            p.setPen(QPen(QColor(theme.highlight[band]), 8, Qt.PenStyle.SolidLine,
                          Qt.PenCapStyle.RoundCap))
            p.drawLine(a, b)
        pen = QPen(QColor(getattr(theme, colour)), width)
        if dashed:
            pen.setDashPattern([3.0, 2.0])
        p.setPen(pen)
        p.drawLine(a, b)
    return paint


def _entries(short: bool) -> list[tuple[str, list[tuple[Swatch, str]]]]:
    """Legend sections; ``short`` labels for the one-line legend."""
    kinds = {SWITCH: "Switch", CA: "CA", ROUTER: "Router"} if short else KIND_NAMES
    (_, thin, slow), (_, thick, fast) = SPEED_CLASSES[1], SPEED_CLASSES[-1]
    if short:
        slow, fast = "\u2264 40 Gb/s", "\u2265 400 Gb/s"
    return [
        ("Nodes", [(_glyph(k, "active"), kinds[k]) for k in (SWITCH, CA, ROUTER)]),
        ("State", [(_glyph(CA, s), STATE_LABELS[s]) for s in NODE_STATES]),
        ("Links", [(_line(1.4), "Up" if short else "Link up"),
                   (_line(2.2, "link_down", dashed=True), "Down" if short else "Link down"),
                   (_line(1.4, band="tree"), HIGHLIGHT_LABELS["tree"]),
                   (_line(thin), slow if short else f"Speed {slow}"),
                   (_line(thick), fast if short else f"Speed {fast}")]),
        ("Packets", [(_packet(k), (PACKET_SHORT if short else GLYPH_NAMES)[k])
                     for k in range(len(GLYPH_NAMES))]),
    ]


class FabricLegend(QWidget):
    """What the canvas glyphs, colours and line styles mean; follows the canvas theme.

    Parameters
    ----------
    horizontal:
        One line (for a strip under the canvas) instead of a column (for a dock; a dock
        wide enough gets the sections side by side, and a short one scrolls).
    """

    def __init__(self, parent: QWidget | None = None, *, horizontal: bool = False) -> None:
        super().__init__(parent)
        self._theme = canvas_theme("light")
        self._horizontal = horizontal
        self._sections = _entries(short=horizontal)
        font = QFont(self.font())
        font.setPixelSize(13)
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed
                           if horizontal else QSizePolicy.Policy.Preferred)
        self.setAccessibleName("Fabric legend")

    def set_theme(self, theme: str) -> None:
        self._theme = canvas_theme(theme)
        self.update()

    def labels(self) -> list[str]:
        """Every text the legend shows, in order (section titles included)."""
        return [text for title, rows in self._sections for text in (title, *(t for _, t in rows))]

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        if self._horizontal:
            bold = QFont(self.font())
            bold.setBold(True)
            width = sum(metrics.horizontalAdvance(t) + SWATCH + 18
                        for _, rows in self._sections for _, t in rows)
            width += sum(QFontMetrics(bold).horizontalAdvance(t) + 16 for t, _ in self._sections)
            return QSize(width + 8, ROW + 8)
        rows = sum(len(r) + 1 for _, r in self._sections)
        width = max(metrics.horizontalAdvance(t) for t in self.labels()) + SWATCH + 24
        return QSize(width, rows * ROW + 8 * len(self._sections))

    def _column(self) -> int:
        metrics = QFontMetrics(self.font())
        return max(metrics.horizontalAdvance(t) for t in self.labels()) + SWATCH + 24

    def _arrange(self, width: int) -> tuple[list[tuple[float, float]], int]:
        """Top-left of each section, the sections flowing into as many columns as
        ``width`` holds (kept in order, columns about equally tall); and the height."""
        heights = [(len(rows) + 1) * ROW + 8 for _, rows in self._sections]
        columns = max(1, min(len(heights), width // self._column()))
        target = sum(heights) / columns
        places, col, y = [], 0, 4.0
        for h in heights:
            if y > 4.0 and y + h / 2 > target + 4.0 and col + 1 < columns:
                col, y = col + 1, 4.0
            places.append((8.0 + col * self._column(), y))
            y += h
        tall = max((py + h for (_, py), h in zip(places, heights, strict=True)), default=0)
        return places, int(tall) + 4

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if not self._horizontal:  # taller than its dock: the dock's scroll area scrolls
            self.setMinimumHeight(self._arrange(self.width())[1])
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(self._theme.background))
        metrics = QFontMetrics(self.font())
        bold = QFont(self.font())
        bold.setBold(True)
        x, y = 8.0, 4.0
        places = self._arrange(self.width())[0]
        for (title, rows), place in zip(self._sections, places, strict=True):
            if not self._horizontal:
                x, y = place
            p.setFont(bold)
            p.setPen(QColor(self._theme.label))
            if self._horizontal:
                p.drawText(QRectF(x, y, 200, ROW), Qt.AlignmentFlag.AlignVCenter, title)
                x += QFontMetrics(bold).horizontalAdvance(title) + 8
            else:
                p.drawText(QRectF(x, y, self.width(), ROW), Qt.AlignmentFlag.AlignVCenter, title)
                y += ROW
            p.setFont(self.font())
            for swatch, text in rows:
                p.save()
                swatch(p, QRectF(x, y, SWATCH, ROW), self._theme)
                p.restore()
                p.setPen(QColor(self._theme.label))
                p.drawText(QRectF(x + SWATCH + 6, y, self.width(), ROW),
                           Qt.AlignmentFlag.AlignVCenter, text)
                if self._horizontal:
                    x += SWATCH + 18 + metrics.horizontalAdvance(text)
                else:
                    y += ROW
            if self._horizontal:
                x += 8
            else:
                y += 8
        p.end()


class PacketKey(QWidget):
    """The packet glyphs and what they mean, as a strip along the canvas's bottom edge
    (the canvas's own background, so it reads as part of it; it never hides a node).
    The items wrap onto a second line when the canvas is narrow."""

    PAD = 8
    GAP = 16

    def __init__(self, canvas: QWidget | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("packetKey")
        self.setAccessibleName("Packet key")
        self._canvas = canvas
        font = QFont(self.font())
        font.setPixelSize(13)
        self.setFont(font)
        self._theme = canvas_theme("light")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self._rows_for(10_000) * ROW + 6)
        self.setToolTip("\n".join(f"{short}: {long}" for short, long in
                                   zip(PACKET_SHORT, GLYPH_NAMES, strict=True)))

    def labels(self) -> list[str]:
        return list(PACKET_SHORT)

    def _items(self) -> list[tuple[int, float]]:
        """(kind, width in pixels) of each entry, the title first as kind -1."""
        metrics = QFontMetrics(self.font())
        bold = QFont(self.font())
        bold.setBold(True)
        items = [(-1, QFontMetrics(bold).horizontalAdvance("Packets") + self.GAP / 2)]
        return items + [(k, SWATCH + 4 + metrics.horizontalAdvance(t) + self.GAP)
                        for k, t in enumerate(PACKET_SHORT)]

    def _place(self, width: float) -> list[tuple[int, float, int]]:
        """(kind, x, row) of each entry, wrapping at ``width``."""
        x, row = float(self.PAD), 0
        out: list[tuple[int, float, int]] = []
        for kind, w in self._items():
            if x + w > width - self.PAD and x > self.PAD:
                x, row = float(self.PAD), row + 1
            out.append((kind, x, row))
            x += w
        return out

    def _rows_for(self, width: float) -> int:
        return max(row for _, _, row in self._place(width)) + 1

    def sizeHint(self) -> QSize:
        return QSize(int(sum(w for _, w in self._items())) + 2 * self.PAD, ROW + 6)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        height = self._rows_for(self.width()) * ROW + 6
        if height != self.height():
            self.setFixedHeight(height)
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        theme = getattr(self._canvas, "theme", None)
        if callable(theme):  # follow the canvas (FabricView.theme)
            self._theme = canvas_theme(theme())
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(self._theme.background))
        p.setPen(QPen(QColor(self._theme.link), 1.0))
        p.drawLine(QPointF(0, 0.5), QPointF(self.width(), 0.5))
        bold = QFont(self.font())
        bold.setBold(True)
        for kind, x, row in self._place(self.width()):
            y = 3 + row * ROW
            p.setPen(QColor(self._theme.label))
            if kind < 0:
                p.setFont(bold)
                p.drawText(QRectF(x, y, 200, ROW), Qt.AlignmentFlag.AlignVCenter, "Packets")
                p.setFont(self.font())
                continue
            paint_packet(p, kind, QRectF(x, y, SWATCH, ROW).center(), 14)
            p.setPen(QColor(self._theme.label))
            p.drawText(QRectF(x + SWATCH + 4, y, 200, ROW), Qt.AlignmentFlag.AlignVCenter,
                       PACKET_SHORT[kind])
        p.end()
