"""Mouse and keyboard on the fabric canvas: click, right-click, pan, move a node, wheel
zoom around the cursor, open or close a leaf's block, hover and tooltips. Hit tests are
numpy nearest-point searches over the canvas arrays (no graphics item per node).

A left-drag pans, whether it starts on empty space or on a node; Shift+drag (or
Alt+drag) on a node moves that node. A double-click on a badge, on a leaf or on a node of
an open block opens or closes that block; a right-click on a badge offers the same and
"every block" choices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QKeyEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QToolTip

from ibviz.gui.canvas.badges import badge_rects
from ibviz.gui.canvas.model import nearest_link, nearest_node
from ibviz.gui.canvas.native import device_transform_of
from ibviz.gui.canvas.paint import glyph_size

NODE_SLOP_PX = 4.0
"""Extra pixels around a glyph that still count as a hit."""
LINK_SLOP_PX = 5.0
MOVE_MODIFIERS = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier
"""Holding one of these while dragging a node moves the node instead of panning."""
HINT = ("Drag to pan \u00b7 Shift+drag a node to move it \u00b7 wheel to zoom \u00b7 "
        "double-click a block to open or close it")
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
    drag_node: bool = False
    """The node follows the pointer (a modifier was held); otherwise a drag pans."""
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
        if model.detail is None:
            return nearest_node(model.xy, (p.x(), p.y()), radius)
        shown = np.flatnonzero(~model.detail.hidden(scale))
        hit = nearest_node(model.xy[shown], (p.x(), p.y()), radius)
        return int(shown[hit]) if hit >= 0 else -1

    def block_at(self, pos: QPointF) -> int:
        """Block of the badge under viewport point ``pos``, or -1."""
        model = self._model
        if model is None or model.detail is None:
            return -1
        shut = model.detail.collapsed(self._scale())
        if not len(shut):
            return -1
        rects = badge_rects(model, device_transform_of(self), shut)
        x, y = pos.x(), pos.y()
        hit = np.flatnonzero((rects[:, 0] <= x) & (x <= rects[:, 2])
                             & (rects[:, 1] <= y) & (y <= rects[:, 3]))
        return int(shut[hit[0]]) if len(hit) else -1

    def link_at(self, pos: QPointF) -> int:
        """Index of the link drawn under viewport point ``pos``, or -1."""
        model = self._model
        if model is None:
            return -1
        p = self.mapToScene(pos.toPoint())
        scale, ends = self._scale(), model.ends
        if model.detail is None:
            return nearest_link(model.xy, ends, (p.x(), p.y()), LINK_SLOP_PX / scale)
        drawn = np.flatnonzero(model.detail.drawn_links(ends, scale, model.down | model.tree))
        hit = nearest_link(model.xy, ends[drawn], (p.x(), p.y()), LINK_SLOP_PX / scale)
        return int(drawn[hit]) if hit >= 0 else -1

    # ------------------------------------------------------------------ mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos, button = event.position(), event.button()
        node = self.node_at(pos)
        if button == Qt.MouseButton.RightButton:
            block = self.block_at(pos) if node < 0 else -1
            if block >= 0:
                self.block_menu(block, event.globalPosition().toPoint())
            elif node >= 0:
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
        drag_node = node >= 0 and bool(event.modifiers() & MOVE_MODIFIERS)
        self._press = _Press(button, QPointF(pos), QPointF(pos), node, link, grab, drag_node)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos, press = event.position(), self._press
        if press is None:
            self._hover_at(pos)
            return
        if not press.moved:
            travel = (pos - press.at).manhattanLength()
            press.moved = travel >= QApplication.startDragDistance()
            if press.moved:
                self.viewport().setCursor(Qt.CursorShape.SizeAllCursor if press.drag_node
                                          else Qt.CursorShape.ClosedHandCursor)
        if press.moved:
            if press.drag_node:
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
        if press.moved and press.drag_node:
            self._node_moved()
        elif not press.moved and press.button == Qt.MouseButton.LeftButton and model:
            if press.node >= 0:
                self.nodeClicked.emit(model.guids[press.node])
            elif press.link >= 0:
                a, b = model.keys[press.link]
                self.linkClicked.emit(a, b)
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        model, pos = self._model, event.position()
        if event.button() == Qt.MouseButton.LeftButton and model and model.detail is not None:
            block = self.block_at(pos)
            block = block if block >= 0 else model.detail.block_at(self.node_at(pos))
            if block >= 0:
                self.toggle_block(block)
                event.accept()
                return
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
            block = self.block_at(QPointF(event.pos())) if node < 0 else -1
            if node >= 0:
                QToolTip.showText(event.globalPos(), self.tooltip_for(self._model.guids[node])
                                  + "\n" + HINT, self.viewport())
            elif block >= 0:
                QToolTip.showText(event.globalPos(), self.block_text(block), self.viewport())
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
