"""Failed, taking-over and recovering nodes drawn again in the view's foreground, above
the packet glyphs: right after a Fail at start-up dozens of SA MADs are in flight, and
one sitting on the failed node must not hide its mark."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter

from ibviz.gui.canvas.glyphs import atlas_for
from ibviz.gui.canvas.model import CanvasModel
from ibviz.gui.canvas.native import device_transform, draw_fragments, fragments, to_device
from ibviz.gui.canvas.paint import glyph_size, is_vector
from ibviz.gui.palette import NODE_STATES, CanvasTheme

MARKED_STATES = np.array([NODE_STATES.index(s) for s in ("failed", "taking_over",
                                                         "recovering")])


def paint_state_marks(painter: QPainter, model: CanvasModel, theme: CanvasTheme,
                      exposed: QRectF, ratio: float = 1.0) -> None:
    """The glyphs of failed, taking-over and recovering nodes in ``exposed`` (scene), as the
    fabric paint draws them: over the packet glyphs, so a mark is never hidden under one."""
    marked = np.flatnonzero(np.isin(model.state, MARKED_STATES))
    if not len(marked) or is_vector(painter):  # vector exports have no packet glyphs
        return
    m = device_transform(painter)
    scale = float(np.hypot(m[0, 0], m[1, 0])) or 1.0
    if model.detail is not None:
        marked = marked[~model.detail.hidden(scale)[marked]]
    size = glyph_size(scale)
    pad = size / scale
    xy = model.xy[marked]
    near = ((xy[:, 0] >= exposed.left() - pad) & (xy[:, 0] <= exposed.right() + pad)
            & (xy[:, 1] >= exposed.top() - pad) & (xy[:, 1] <= exposed.bottom() + pad))
    marked = marked[near]
    if not len(marked):
        return
    painter.save()
    painter.resetTransform()
    atlas = atlas_for(size, theme.name, ratio)
    rows = fragments(to_device(m, model.xy[marked]),
                     atlas.source(model.kinds[marked], model.state[marked]), atlas.cell,
                     1.0 / ratio)
    draw_fragments(painter, rows, atlas.pixmap)
    painter.restore()


__all__ = ["paint_state_marks"]
