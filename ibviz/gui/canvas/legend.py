"""The legend of the fabric canvas: node glyphs, state colours and marks, link styles."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ibviz.gui.canvas.glyphs import CA, KIND_NAMES, ROUTER, SWITCH, paint_glyph
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
