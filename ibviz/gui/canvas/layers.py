"""Cached layers of a big fabric's paint, so a state or highlight change costs a few ms.

A node failing or a group's tree changing used to re-raster every cable and badge of a
10,000-node overview (35-50 ms a paint). Now the parts that do not depend on states stay
as images for the current view:

- the link raster (:class:`~ibviz.gui.canvas.native.LinkLayer`) holds the *up* cables
  only, keyed on the geometry and on which of its cables are down; the highlighted tree
  (bands and their cables) and the down cables are drawn over it on each paint
  (:func:`paint_marked_links`, a few hundred lines at most);
- :class:`DetailLayer` holds the bundles and badges at the exact view transform, every
  badge with its plain edge; the failure edges of troubled badges are drawn over it
  (:func:`~ibviz.gui.canvas.badges.paint_trouble`).

Zoom, pan, resize, theme, layout and block changes invalidate them (their keys change).
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter

from ibviz.gui.canvas.badges import paint_detail, paint_trouble
from ibviz.gui.canvas.model import CanvasModel
from ibviz.gui.palette import CanvasTheme


def static_down(model: CanvasModel, scale: float) -> bytes:
    """Which down cables the link raster would draw at ``scale`` (part of its key: a down
    cable inside a closed badge leaves the raster as it is)."""
    down = np.flatnonzero(model.down)
    if model.detail is not None and len(down):
        hidden = model.detail.hidden(scale)
        down = down[~hidden[model.ends[down]].any(axis=1)]
        if model.detail.bundled(scale):
            down = down[model.detail.link_bundle[down] < 0]
    return down.tobytes()


def marked_links(model: CanvasModel, scale: float, m: np.ndarray, exposed: QRectF,
                 pad: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices and ``(K, 4)`` device segments of the highlighted or down cables drawn at
    ``scale`` that may touch ``exposed`` (scene) grown by ``pad`` (scene units)."""
    from ibviz.gui.canvas.native import to_device

    links = np.flatnonzero(model.tree | model.down)
    if model.detail is not None and len(links):
        links = links[~model.detail.hidden(scale)[model.ends[links]].any(axis=1)]
    a, b = model.xy[model.ends[links, 0]], model.xy[model.ends[links, 1]]
    left, top = exposed.left() - pad, exposed.top() - pad
    right, bottom = exposed.right() + pad, exposed.bottom() + pad
    near = ((np.minimum(a[:, 0], b[:, 0]) <= right) & (np.maximum(a[:, 0], b[:, 0]) >= left)
            & (np.minimum(a[:, 1], b[:, 1]) <= bottom) & (np.maximum(a[:, 1], b[:, 1]) >= top))
    links, a, b = links[near], a[near], b[near]
    return links, np.hstack([to_device(m, a), to_device(m, b)])


class DetailLayer:
    """Bundles and badges (plain edges) as painted for one exact view, as an image."""

    def __init__(self) -> None:
        self.image: QImage | None = None
        self.key: Hashable = None

    def clear(self) -> None:
        self.image, self.key = None, None

    def draw(self, painter: QPainter, model: CanvasModel, theme: CanvasTheme, m: np.ndarray,
             scale: float, visible: QRectF, key: Hashable) -> None:
        """Draw the layer for this view (rastered first when ``key``, the transform, the
        area or the device changed), then the failure edges of troubled badges. The
        painter works in device pixels with its transform reset."""
        if model.detail is None:
            return
        device = painter.device()
        ratio = device.devicePixelRatioF()
        width, height = device.width(), device.height()  # device pixels
        full = (key, theme.name, m.tobytes(), visible.getCoords(), width, height, ratio)
        if self.image is None or self.key != full:
            image = QImage(max(1, width), max(1, height), QImage.Format.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(ratio)
            image.fill(Qt.GlobalColor.transparent)
            target = QPainter(image)
            paint_detail(target, model, theme, m, scale, visible, trouble=False)
            target.end()
            self.image, self.key = image, full
        painter.drawImage(QPointF(0, 0), self.image)
        paint_trouble(painter, model, theme, m, scale, visible)


__all__ = ["DetailLayer", "marked_links", "static_down"]
