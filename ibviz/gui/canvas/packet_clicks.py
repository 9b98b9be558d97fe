"""A click on a packet glyph of the canvas: caught before the canvas's own mouse handling
(which would take it for a click on the node or link under it) and reported with the
packet's ref (see :meth:`ibviz.gui.canvas.packets.PacketLayer.show_glyphs`)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QGraphicsView

from ibviz.gui.canvas.glyphs import PACKET_PX
from ibviz.gui.canvas.packets import PacketLayer

CLICK_SLOP_PX = 4.0
"""Pixels around a packet glyph that still count as a click on it."""


class PacketClicks(QObject):
    """Catches a left click on a packet glyph of ``view`` (before the canvas sees it as
    a click on a node or link) and emits :attr:`clicked` with the packet's ref."""

    clicked = Signal(object)

    def __init__(self, view: QGraphicsView, layer: PacketLayer) -> None:
        super().__init__(view)
        self._view, self._layer = view, layer
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if (event.type() == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent)
                and event.button() == Qt.MouseButton.LeftButton):
            ref = self.ref_at(event.position())
            if ref is not None and not self._node_nearer(event.position(), ref):
                self.clicked.emit(ref)
                return True
        return False

    def _node_nearer(self, pos: QPointF, ref: int) -> bool:
        """A node is drawn under ``pos`` and its centre is at least as near as packet
        ``ref``'s glyph: the click is the node's (a packet waiting at a node, or the
        start-up sweep's MADs, would otherwise hide the node from clicks)."""
        node_at = getattr(self._view, "node_at", None)
        model = getattr(self._view, "_model", None)
        node = node_at(pos) if node_at is not None else -1
        if node < 0 or model is None:
            return False
        refs = self._layer.refs()
        at = np.flatnonzero(refs == ref)
        if not len(at):
            return False
        p = self._view.mapToScene(pos.toPoint())
        glyph = self._layer.marker_xy()[at[-1]]
        centre = model.xy[node]
        return bool(np.hypot(*(centre - (p.x(), p.y()))) <= np.hypot(*(glyph - (p.x(), p.y()))))

    def ref_at(self, pos: QPointF) -> int | None:
        """The ref of the packet drawn at viewport point ``pos``, if any."""
        view = self._view
        scale = max(abs(view.transform().m11()), 1e-12)
        p = view.mapToScene(pos.toPoint())
        return self._layer.packet_at(p.x(), p.y(), (PACKET_PX / 2 + CLICK_SLOP_PX) / scale)
