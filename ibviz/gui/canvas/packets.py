"""Every packet in flight, drawn by one graphics item from numpy arrays.

The animation hands over arrays (hop start/end times and end points, flow per hop) and
the layer draws all markers with a single ``QPainter.drawPixmapFragments`` call, coloured
by flow, or (:meth:`PacketLayer.show_glyphs`) one glyph per packet kind: unicast and
multicast data, ACK, NAK, SMP, SA MAD (:data:`ibviz.gui.canvas.glyphs.PACKET_STYLES`), the
watched packet ringed. Multicast copies fanning out at a switch are several hops leaving
the same point. Drops are a short-lived cross at the drop point, fading out. A click on a
marker is caught by :class:`~ibviz.gui.canvas.packet_clicks.PacketClicks` before the
canvas treats it as a node click.

>>> view.packets.show_hops(hops.t0, hops.t1, src_xy, dst_xy, hops.flow_index, t)
>>> view.packets.show_glyphs(frame.xy, frame.glyph, frame.ref, watched=pid)
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QStyleOptionGraphicsItem, QWidget

from ibviz.gui.canvas.glyphs import PACKET_PX, PACKET_STYLES, paint_packet
from ibviz.gui.canvas.native import device_transform, draw_fragments, fragments, to_device
from ibviz.gui.palette import CanvasTheme, canvas_theme

MARKER_PX = 11.0
DROP_PX = 16.0
CROWD = 1000
"""Above this many packets on screen their glyphs are drawn at :data:`CROWD_PX`."""
CROWD_PX = 8.0
DROP_LIFETIME_MS = 1500.0
"""How long a drop cross stays (wall clock) when :meth:`PacketLayer.set_drops` gets no times."""


class PacketLayer(QGraphicsObject):
    """Packet markers and drop crosses above the fabric (scene coordinates)."""

    def __init__(self, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.setZValue(10)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, False)
        self._bounds = QRectF(-1e6, -1e6, 2e6, 2e6)
        self._xy = np.zeros((0, 2))
        self._flow = np.zeros(0, np.int64)
        self._drop_xy = np.zeros((0, 2))
        self._drop_flow = np.zeros(0, np.int64)
        self._drop_born = np.zeros(0)
        self._drop_sim = False
        self._drop_life = DROP_LIFETIME_MS
        self._now: float | None = None
        self._theme = canvas_theme("light")
        self._atlas: tuple[float, int, QPixmap] | None = None
        self._glyph: np.ndarray | None = None
        """Glyph kind per marker (None: flow-coloured dots, see :meth:`set_markers`)."""
        self._ref = np.zeros(0, np.int64)
        self.watched: int | None = None
        self._glyph_atlas: tuple[tuple[float, float], tuple] | None = None
        self._fade = QTimer(self)
        self._fade.setInterval(50)
        self._fade.timeout.connect(self._tick)

    # ------------------------------------------------------------------ input
    def set_markers(self, xy: np.ndarray, flow_index: np.ndarray) -> None:
        """Show one marker per row of ``xy`` ``(N, 2)`` (scene coordinates), coloured by
        ``flow_index`` ``(N,)`` (cycled through the theme's flow colours)."""
        xy = np.asarray(xy, float).reshape(-1, 2)
        flow = np.asarray(flow_index, np.int64).ravel()
        if len(flow) != len(xy):
            raise ValueError(f"{len(xy)} marker positions but {len(flow)} flow indices")
        self._xy, self._flow, self._glyph = xy, flow, None
        self._ref = np.zeros(0, np.int64)
        self.update()

    def show_glyphs(self, xy: np.ndarray, glyph: np.ndarray, ref: np.ndarray,
                    watched: int | None = None) -> None:
        """One glyph per row of ``xy`` ``(N, 2)``: kind ``glyph`` (index into
        :data:`PACKET_STYLES`), identity ``ref`` (a packet id, or ``-1 - i`` for MAD
        ``i``); markers whose ref is ``watched`` are ringed and drawn on top."""
        xy = np.asarray(xy, float).reshape(-1, 2)
        glyph = np.asarray(glyph, np.int64).ravel()
        ref = np.asarray(ref, np.int64).ravel()
        if not len(xy) == len(glyph) == len(ref):
            raise ValueError(f"{len(xy)} positions, {len(glyph)} glyphs, {len(ref)} refs")
        self._xy, self._glyph, self._ref, self.watched = xy, glyph, ref, watched
        self._flow = np.zeros(len(xy), np.int64)
        self.update()

    def packet_at(self, x: float, y: float, radius: float) -> int | None:
        """The ref of the marker nearest scene point ``(x, y)`` within ``radius`` (scene
        units), topmost first; None when there is none (or markers are plain dots)."""
        if self._glyph is None or not len(self._xy):
            return None
        d2 = ((self._xy - (x, y)) ** 2).sum(axis=1)
        near = np.flatnonzero(d2 <= radius * radius)
        if not len(near):
            return None
        best = near[d2[near] <= d2[near].min() + 1e-12][-1]  # the one drawn last
        if self.watched is not None and (self._ref[near] == self.watched).any():
            best = near[self._ref[near] == self.watched][0]  # drawn on top
        return int(self._ref[best])

    def refs(self) -> np.ndarray:
        """The ref of every glyph shown (see :meth:`show_glyphs`)."""
        return self._ref.copy()

    def marker_xy(self) -> np.ndarray:
        return self._xy.copy()

    def show_hops(self, t0: np.ndarray, t1: np.ndarray, src_xy: np.ndarray,
                  dst_xy: np.ndarray, flow_index: np.ndarray, t: float) -> int:
        """Markers for the hops on the wire at time ``t`` (``t0 <= t < t1``), each
        interpolated between its ``src_xy`` and ``dst_xy``; returns how many are shown.
        Drops given with times fade against this ``t``."""
        t0, t1 = np.asarray(t0, float).ravel(), np.asarray(t1, float).ravel()
        src, dst = np.asarray(src_xy, float).reshape(-1, 2), np.asarray(dst_xy, float).reshape(-1, 2)
        flow = np.asarray(flow_index, np.int64).ravel()
        if not len(t0) == len(t1) == len(src) == len(dst) == len(flow):
            raise ValueError("t0, t1, src_xy, dst_xy and flow_index must have one row per hop")
        live = (t0 <= t) & (t < t1)
        frac = (t - t0[live]) / np.maximum(t1[live] - t0[live], 1e-12)
        self._now = float(t)
        self.set_markers(src[live] + (dst[live] - src[live]) * frac[:, None], flow[live])
        return int(live.sum())

    def set_drops(self, xy: np.ndarray, flow_index: np.ndarray | None = None, *,
                  times: np.ndarray | None = None, lifetime: float | None = None) -> None:
        """Show a cross at each drop point ``xy`` ``(N, 2)``.

        With ``times`` (simulated time of each drop) a cross is visible while
        ``0 <= t - time <= lifetime`` for the ``t`` of the last :meth:`show_hops` /
        :meth:`set_time`, so stepping back shows it again. Without, the crosses appear now
        and fade out over ``lifetime`` milliseconds of wall clock (default 1.5 s).
        """
        xy = np.asarray(xy, float).reshape(-1, 2)
        self._drop_xy = xy
        self._drop_flow = (np.zeros(len(xy), np.int64) if flow_index is None
                           else np.asarray(flow_index, np.int64).ravel())
        self._drop_sim = times is not None
        if times is not None:
            self._drop_born = np.asarray(times, float).ravel()
            self._drop_life = float(lifetime) if lifetime is not None else 50.0
        else:
            self._drop_born = np.full(len(xy), time.monotonic() * 1000.0)
            self._drop_life = float(lifetime) if lifetime is not None else DROP_LIFETIME_MS
            if len(xy):
                self._fade.start()
        self.update()

    def set_time(self, t: float) -> None:
        """Current simulated time for drops given with ``times`` (no marker change)."""
        self._now = float(t)
        self.update()

    def clear(self) -> None:
        self.set_markers(np.zeros((0, 2)), np.zeros(0, np.int64))
        self.set_drops(np.zeros((0, 2)))

    def marker_count(self) -> int:
        return len(self._xy)

    def set_theme(self, theme: CanvasTheme) -> None:
        self._theme, self._atlas, self._glyph_atlas = theme, None, None
        self.update()

    def set_bounds(self, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self._bounds = QRectF(rect)

    # ---------------------------------------------------------------- drawing
    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        opacity = self._drop_opacity()
        if not len(self._xy) and not (opacity > 0).any():
            return
        m = device_transform(painter)
        ratio = widget.devicePixelRatioF() if widget is not None else 1.0
        cell, atlas = self._atlas_pixmap(ratio)
        painter.save()
        painter.resetTransform()
        if len(self._xy) and self._glyph is not None:
            self._paint_glyphs(painter, m, ratio)
        elif len(self._xy):
            flows = self._flow % len(self._theme.flows)
            source = np.stack([flows * cell, np.zeros(len(flows))], axis=1)
            draw_fragments(painter, fragments(to_device(m, self._xy), source, cell, 1 / ratio),
                           atlas)
        shown = opacity > 0
        if shown.any():
            source = np.tile([len(self._theme.flows) * cell, 0.0], (int(shown.sum()), 1))
            draw_fragments(painter, fragments(to_device(m, self._drop_xy[shown]), source, cell,
                                              1 / ratio, opacity[shown]), atlas)
        painter.restore()

    def _drop_opacity(self) -> np.ndarray:
        if not len(self._drop_xy):
            return np.zeros(0)
        if self._drop_sim:
            if self._now is None:
                return np.zeros(len(self._drop_xy))
            age = self._now - self._drop_born
        else:
            age = time.monotonic() * 1000.0 - self._drop_born
        life = max(self._drop_life, 1e-9)
        return np.where((age >= 0) & (age <= life), 1.0 - 0.7 * age / life, 0.0)

    def _tick(self) -> None:
        if not (self._drop_opacity() > 0).any():
            self._fade.stop()
        self.update()

    def _paint_glyphs(self, painter: QPainter, m: np.ndarray, ratio: float) -> None:
        """Every glyph in one fragment call from tight cells; the watched ones again,
        ringed, from the larger cells."""
        size = PACKET_PX if len(self._xy) <= CROWD else CROWD_PX
        (cell, atlas), (ring_cell, ring_atlas) = self._glyph_pixmaps(ratio, size)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        # whole device pixels: the raster engine blits each cell instead of filtering it
        device = np.round(to_device(m, self._xy) - cell / 2) + cell / 2
        source = np.stack([self._glyph * cell, np.zeros(len(self._glyph))], axis=1)
        draw_fragments(painter, fragments(device, source, cell, 1 / ratio), atlas)
        if self.watched is not None:
            mine = self._ref == self.watched
            if mine.any():
                source = np.stack([self._glyph[mine] * ring_cell, np.zeros(int(mine.sum()))],
                                  axis=1)
                centres = np.round(device[mine] - ring_cell / 2) + ring_cell / 2
                draw_fragments(painter, fragments(centres, source, ring_cell, 1 / ratio),
                               ring_atlas)

    def _glyph_pixmaps(self, ratio: float, size: float
                       ) -> tuple[tuple[int, QPixmap], tuple[int, QPixmap]]:
        """(plain cells, ringed cells): one cell per packet kind, ``size`` pixels."""
        key = (ratio, size)
        if self._glyph_atlas is not None and self._glyph_atlas[0] == key:
            return self._glyph_atlas[1]
        made = []
        for ringed, logical in ((False, size + 4), (True, size * 2 + 6)):
            cell = int(round(logical * ratio))
            pixmap = QPixmap(cell * len(PACKET_STYLES), cell)
            pixmap.fill(Qt.GlobalColor.transparent)
            p = QPainter(pixmap)
            p.scale(ratio, ratio)
            for kind in range(len(PACKET_STYLES)):
                paint_packet(p, kind, QPointF((kind + 0.5) * logical, logical / 2), size,
                             watched=ringed)
            p.end()
            made.append((cell, pixmap))
        self._glyph_atlas = (key, (made[0], made[1]))
        return made[0], made[1]

    def _atlas_pixmap(self, ratio: float) -> tuple[int, QPixmap]:
        """One cell per flow colour (a ringed dot) and a last cell with the drop cross."""
        if self._atlas is not None and self._atlas[0] == ratio:
            return self._atlas[1], self._atlas[2]
        flows = self._theme.flows
        logical = DROP_PX + 4
        cell = int(round(logical * ratio))
        pixmap = QPixmap(cell * (len(flows) + 1), cell)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.scale(ratio, ratio)
        c = logical / 2
        ring = QColor(self._theme.background)
        for i, colour in enumerate(flows):
            p.setPen(QPen(QColor(self._theme.outline), 1.4))
            p.setBrush(QColor(colour))
            p.drawEllipse(QPointF(i * logical + c, c), MARKER_PX / 2, MARKER_PX / 2)
        x0, r = len(flows) * logical + c, DROP_PX * 0.36
        for colour, width in ((ring, 6.0), (QColor(self._theme.drop), 3.2)):
            p.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.drawLine(QPointF(x0 - r, c - r), QPointF(x0 + r, c + r))
            p.drawLine(QPointF(x0 - r, c + r), QPointF(x0 + r, c - r))
        p.end()
        self._atlas = (ratio, cell, pixmap)
        return cell, pixmap

