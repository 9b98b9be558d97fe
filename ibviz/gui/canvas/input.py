"""Mouse and keyboard on the fabric canvas: click, right-click, drag a node, pan, wheel
zoom around the cursor, hover and tooltips. Hit tests are numpy nearest-point searches
over the canvas arrays (no graphics item per node)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QKeyEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QToolTip

from ibviz.gui.canvas.model import nearest_link, nearest_node
from ibviz.gui.canvas.paint import glyph_size

NODE_SLOP_PX = 4.0
"""Extra pixels around a glyph that still count as a hit."""
LINK_SLOP_PX = 5.0
WHEEL_STEP = 1.0015
"""Zoom factor per wheel angle unit (one notch of 120 units zooms by about 1.2)."""


@dataclass
class _Press:
    button: Qt.MouseButton
    at: QPointF
    last: QPointF
    node: int
    link: int
    grab: np.ndarray
    """Scene offset from the pointer to the pressed node's centre."""
    moved: bool = False


class CanvasInput:
    """Event handlers mixed into :class:`ibviz.gui.canvas.view.FabricView`."""

    _press: _Press | None = None
    _hover: int = -1

    # ------------------------------------------------------------- hit tests
    def node_at(self, pos: QPointF) -> int:
        """Index of the node drawn under viewport point ``pos``, or -1."""
        model = self._model
        if model is None:
            return -1
        scale = self._scale()
        p = self.mapToScene(pos.toPoint())
        radius = (glyph_size(scale) / 2 + NODE_SLOP_PX) / scale
        return nearest_node(model.xy, (p.x(), p.y()), radius)

    def link_at(self, pos: QPointF) -> int:
        """Index of the link drawn under viewport point ``pos``, or -1."""
        model = self._model
        if model is None:
            return -1
        p = self.mapToScene(pos.toPoint())
        return nearest_link(model.xy, model.ends, (p.x(), p.y()), LINK_SLOP_PX / self._scale())

    # ------------------------------------------------------------------ mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos, button = event.position(), event.button()
        node = self.node_at(pos)
        if button == Qt.MouseButton.RightButton:
            if node >= 0:
                self.nodeContextMenuRequested.emit(self._model.guids[node],
                                                   event.globalPosition().toPoint())
            event.accept()
            return
        if button not in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            event.ignore()
            return
        left = button == Qt.MouseButton.LeftButton
        node = node if left else -1
        link = self.link_at(pos) if left and node < 0 else -1
        scene = self.mapToScene(pos.toPoint())
        grab = (self._model.xy[node] - (scene.x(), scene.y())) if node >= 0 else np.zeros(2)
        self._press = _Press(button, QPointF(pos), QPointF(pos), node, link, grab)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos, press = event.position(), self._press
        if press is None:
            self._hover_at(pos)
            return
        if not press.moved:
            travel = (pos - press.at).manhattanLength()
            press.moved = travel >= QApplication.startDragDistance()
            if press.moved and press.node < 0:
                self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        if press.moved:
            if press.node >= 0:
                scene = self.mapToScene(pos.toPoint())
                self._move_node(press.node, np.array([scene.x(), scene.y()]) + press.grab)
            else:
                delta = pos - press.last
                self._auto_fit = False
                self.horizontalScrollBar().setValue(self.horizontalScrollBar().value()
                                                    - round(delta.x()))
                self.verticalScrollBar().setValue(self.verticalScrollBar().value()
                                                  - round(delta.y()))
        press.last = QPointF(pos)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        press, self._press = self._press, None
        self.viewport().unsetCursor()
        if press is None or event.button() != press.button:
            event.ignore()
            return
        model = self._model
        if press.moved and press.node >= 0:
            self._node_moved()
        elif not press.moved and press.button == Qt.MouseButton.LeftButton and model:
            if press.node >= 0:
                self.nodeClicked.emit(model.guids[press.node])
            elif press.link >= 0:
                a, b = model.keys[press.link]
                self.linkClicked.emit(a, b)
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.mousePressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() or event.angleDelta().x()
        if steps:
            self.zoom_by(WHEEL_STEP ** steps, event.position())
        event.accept()

    def _hover_at(self, pos: QPointF) -> None:
        node = self.node_at(pos)
        if node == self._hover:
            return
        self._hover = node
        if node >= 0:
            self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
            self.nodeHovered.emit(self._model.guids[node])
        else:
            self.viewport().unsetCursor()

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            node = self.node_at(QPointF(event.pos()))
            if node >= 0:
                QToolTip.showText(event.globalPos(), self.tooltip_for(self._model.guids[node]),
                                  self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        centre = QPointF(self.viewport().rect().center())
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.25, centre)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(0.8, centre)
        elif key == Qt.Key.Key_Home:
            self.fit()
        else:
            super().keyPressEvent(event)
