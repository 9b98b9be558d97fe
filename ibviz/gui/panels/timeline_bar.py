"""The session's time as a bar under the playback controls: the scenario's script as
markers (dropped ones struck out), the user's own actions, and the view time. A click on a
marker jumps to it; a click or a drag anywhere else seeks there."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ibviz.core import actions as act
from ibviz.gui.window.controller import SessionController

MARGIN = 14
"""Pixels left and right of the track (room for a marker's triangle)."""
TRIANGLE_PX = 14
"""Pixels from the track's centre to the top of a marker's triangle."""
PICK_PX = 7
"""A click this close to a marker jumps to the marker."""
COLOURS = {"fail": "#d62728", "failback": "#2ca02c", "link_down": "#d62728",
           "link_up": "#2ca02c", "user": "#1f77b4", "dropped": "#9a9a9a"}
DEFAULT_COLOUR = "#8c564b"


@dataclass(frozen=True)
class Marker:
    t_us: float
    text: str
    """What happens (``Fail first-node``)."""
    origin: str
    """``script``, ``dropped`` (a scripted step a user action dropped) or ``user``."""
    kind: str

    @property
    def colour(self) -> str:
        if self.origin in ("user", "dropped"):
            return COLOURS[self.origin]
        return COLOURS.get(self.kind, DEFAULT_COLOUR)

    def tooltip(self) -> str:
        what = {"script": "the script", "dropped": "the script (dropped by your action; "
                "Undo restores it)", "user": "you"}[self.origin]
        return f"{self.t_us / 1000:,.3f} ms: {self.text} ({what})"


def markers_of(session: Any) -> list[Marker]:
    """The script's entries and the user's actions of ``session`` (none on a live one)."""
    if session is None:
        return []
    label = getattr(session, "label", hex)
    cut = float(getattr(session, "script_cut_us", math.inf))
    out = [Marker(t, act.describe(a, label), "script" if t <= cut else "dropped", a.kind)
           for t, a in getattr(session, "script", [])]
    out += [Marker(timed.at_us, act.describe(timed.action, label), "user", timed.action.kind)
            for timed in getattr(session, "actions", [])]
    return sorted(out, key=lambda m: m.t_us)


def tick_step(duration_us: float) -> float:
    """A round tick spacing giving about ten ticks over ``duration_us``."""
    raw = max(duration_us, 1.0) / 10
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


class TimelineBar(QWidget):
    """See the module docstring; follows ``controller`` and seeks through it."""

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineBar")
        self.controller = controller
        self.markers: list[Marker] = []
        self.drawn_labels: list[str] = []
        """The marker labels the last paint drew (a label with no room is left out)."""
        self._fit_height()
        self.setMinimumWidth(300)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.setToolTip("The scenario's script and your actions on the clock: click a "
                        "marker to jump to it, click or drag to go to any time")
        self._pending: float | None = None
        self._seek_timer = QTimer(self)
        self._seek_timer.setSingleShot(True)
        self._seek_timer.timeout.connect(self._seek_pending)
        controller.timeChanged.connect(lambda _t: self.update())
        for signal in (controller.sessionChanged, controller.sessionReset,
                       controller.stateChanged):
            signal.connect(self.refresh)

    def label_font(self) -> QFont:
        """The font of the tick and marker labels (a point below the widget's)."""
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, font.pointSizeF() - 1))
        return font

    def _fit_height(self) -> None:
        """Room for a marker's label, its triangle, the track and the tick labels in the
        current font (presentation enlarges it): never a label cut in half."""
        fm = QFontMetrics(self.label_font())
        self.setFixedHeight(2 * fm.height() + TRIANGLE_PX + 6)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_height()

    # ----------------------------------------------------------------- model
    def refresh(self) -> None:
        self.markers = markers_of(self.controller.session)
        self.update()

    def _span(self) -> float:
        return max(self.controller.duration_us, 1.0)

    def x_of(self, t_us: float) -> float:
        width = max(self.width() - 2 * MARGIN, 1)
        return MARGIN + width * min(max(t_us / self._span(), 0.0), 1.0)

    def t_of(self, x: float) -> float:
        width = max(self.width() - 2 * MARGIN, 1)
        return min(max((x - MARGIN) / width, 0.0), 1.0) * self._span()

    def marker_at(self, x: float) -> Marker | None:
        near = [(abs(self.x_of(m.t_us) - x), m) for m in self.markers]
        near = [(d, m) for d, m in near if d <= PICK_PX]
        return min(near, key=lambda p: p[0])[1] if near else None

    # ----------------------------------------------------------------- mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() != Qt.MouseButton.LeftButton or self.controller.session is None:
            return
        self.controller.pause()
        marker = self.marker_at(event.position().x())
        self._seek_soon(marker.t_us if marker is not None else self.t_of(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        x = event.position().x()
        if event.buttons() & Qt.MouseButton.LeftButton and self.controller.session is not None:
            self._seek_soon(self.t_of(x))
            return
        marker = self.marker_at(x)
        if marker is not None:
            QToolTip.showText(event.globalPosition().toPoint(), marker.tooltip(), self)

    def _seek_soon(self, t_us: float) -> None:
        """Seek once the events queued so far are handled: a fast drag over a session
        that re-simulates to go back costs one seek per pass of the event loop."""
        self._pending = t_us
        if not self._seek_timer.isActive():
            self._seek_timer.start(0)

    def _seek_pending(self) -> None:
        if self._pending is not None:
            t, self._pending = self._pending, None
            self.controller.seek(t)

    # ----------------------------------------------------------------- paint
    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt override)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text, mid = pal.windowText().color(), pal.mid().color()
        p.setFont(self.label_font())
        h = self.height()
        tick_h = p.fontMetrics().height()
        track_y = h - tick_h - 5
        x0, x1 = self.x_of(0), self.x_of(self._span())
        p.fillRect(QRectF(x0, track_y - 3, x1 - x0, 6), mid)
        now_x = self.x_of(self.controller.view_time_us)
        p.fillRect(QRectF(x0, track_y - 3, now_x - x0, 6), pal.highlight().color())
        step = tick_step(self._span())
        p.setPen(QPen(text, 1))
        ticks = int(self._span() // step)
        for i in range(ticks + 1):
            x = self.x_of(i * step)
            p.drawLine(QPointF(x, track_y + 3), QPointF(x, track_y + 6))
            if i % 2 == 0 or self.width() > 900:
                label = f"{i * step / 1000:g} ms"
                wide = p.fontMetrics().horizontalAdvance(label) + 8
                left = min(max(x - wide / 2, 0), self.width() - wide)
                p.drawText(QRectF(left, track_y + 4, wide, tick_h),
                           Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, label)
        self._paint_markers(p, track_y)
        p.setPen(QPen(QColor("#000000") if pal.window().color().lightness() > 128
                      else QColor("#ffffff"), 2))
        p.drawLine(QPointF(now_x, 2), QPointF(now_x, track_y + 4))
        p.end()

    def _paint_markers(self, p: QPainter, track_y: float) -> None:
        metrics = p.fontMetrics()
        self.drawn_labels = []
        right_edge = -1e9
        for m in self.markers:
            x = self.x_of(m.t_us)
            colour = QColor(m.colour)
            tri = QPainterPath()
            tri.moveTo(x, track_y - 4)
            tri.lineTo(x - 6, track_y - TRIANGLE_PX + 2)
            tri.lineTo(x + 6, track_y - TRIANGLE_PX + 2)
            tri.closeSubpath()
            p.fillPath(tri, colour)
            width = metrics.horizontalAdvance(m.text)
            left = max(x - width / 2, 0.0)
            if left < right_edge + 6:  # a marker close to the last: its label beside that
                left = right_edge + 12  # one, in its own colour (a fail back 0.18 ms after
            if left + width < self.width():  # the fail at 0 ms was not labelled at all)
                p.setPen(QPen(colour, 1))
                font = p.font()
                font.setStrikeOut(m.origin == "dropped")
                p.setFont(font)
                p.drawText(QPointF(left, track_y - TRIANGLE_PX - metrics.descent()), m.text)
                font.setStrikeOut(False)
                p.setFont(font)
                right_edge = left + width
                self.drawn_labels.append(m.text)
