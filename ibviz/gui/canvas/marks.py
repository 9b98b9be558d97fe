"""Change marks over the fabric (a snapshot comparison, a poll's changes, a what-if):
ghosts of removed nodes and links (dashed, with the node's name), green rings and lines
on what came, amber rings on what changed. Drawn in the view's foreground, in device
pixels, over the scene positions of :class:`~ibviz.app.live_changes.ChangeMarks`."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

GHOST = "#7F7F7F"
ADDED = "#009E73"
CHANGED = "#E69F00"


def paint_change_marks(painter: QPainter, marks: Any, xy_of: Any, radius: float) -> None:
    """``marks``: ChangeMarks; ``xy_of(guids)``: scene positions of present nodes;
    ``radius``: a node glyph's radius in pixels. Restores the painter."""
    world = painter.worldTransform()
    painter.save()
    painter.resetTransform()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(Qt.BrushStyle.NoBrush)

    def at(xy) -> QPointF:
        return world.map(QPointF(float(xy[0]), float(xy[1])))

    for colour, lines, style in ((GHOST, marks.ghost_links, Qt.PenStyle.DashLine),
                                 (ADDED, marks.added_links, Qt.PenStyle.SolidLine)):
        painter.setPen(QPen(QColor(colour), 2.0, style))
        for a, b in lines:
            painter.drawLine(at(a), at(b))
    pen = QPen(QColor(GHOST), 2.0, Qt.PenStyle.DashLine)
    for xy, name in marks.ghosts:
        centre = at(xy)
        painter.setPen(pen)
        painter.drawEllipse(centre, radius + 2, radius + 2)
        painter.drawLine(centre + QPointF(-radius, -radius), centre + QPointF(radius, radius))
        painter.drawText(centre + QPointF(-radius, -radius - 6), f"gone: {name}")
    for colour, guids in ((ADDED, marks.added), (CHANGED, marks.changed)):
        if not guids:
            continue
        painter.setPen(QPen(QColor(colour), 3.0))
        for x, y in xy_of(np.array(sorted(guids), np.uint64)).tolist():
            painter.drawEllipse(at((x, y)), radius + 4, radius + 4)
    painter.restore()
