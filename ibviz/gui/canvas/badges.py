"""Paint the level of detail of a big fabric (:mod:`ibviz.gui.canvas.detail`): bundles of
cables between switch tiers as thick lines with their count, and collapsed leaf blocks
as badges (a box over the block with its count, a line up to its leaf). A badge whose
block holds a node that is not active, or a cable that is down, gets the failure colour.

The painter works in device pixels (its transform reset); ``m`` maps scene to device.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from ibviz.gui.canvas.model import CanvasModel
from ibviz.gui.canvas.native import draw_lines, rect_to_device, to_device
from ibviz.gui.canvas.occupancy import Occupancy
from ibviz.gui.palette import NODE_STATES, CanvasTheme

BADGE_MIN_PX = 8.0
"""A badge is at least this wide and tall, however far the view is zoomed out."""
FONT_PX = 11


def badge_rects(model: CanvasModel, m: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """``(K, 4)`` device left, top, right, bottom of the badges of ``blocks``."""
    scene = model.detail.badge_rects(model.xy, blocks)  # type: ignore[union-attr]
    lo, hi = to_device(m, scene[:, :2]), to_device(m, scene[:, 2:])
    centre, half = (lo + hi) / 2, np.maximum((hi - lo) / 2 + 3, BADGE_MIN_PX / 2)
    return np.hstack([centre - half, centre + half])


def paint_detail(painter: QPainter, model: CanvasModel, theme: CanvasTheme, m: np.ndarray,
                 scale: float, visible: QRectF, trouble: bool = True) -> None:
    """Bundles (when zoomed out) and the badges of closed blocks, in ``visible`` (scene);
    without ``trouble`` every badge gets the plain edge (a cached layer: the failure edges
    are drawn over it by :func:`paint_trouble`)."""
    detail = model.detail
    if detail is None:
        return
    view = rect_to_device(m, visible).adjusted(-20, -20, 20, 20)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setPixelSize(FONT_PX)
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    taken = Occupancy(QRectF(painter.viewport()))  # counts never overprint each other
    if detail.bundled(scale):
        _bundles(painter, model, theme, m, view, metrics, taken)
    shut = detail.collapsed(scale)
    if len(shut):
        _badges(painter, model, theme, m, shut, view, metrics, taken, trouble)
    painter.restore()


def paint_trouble(painter: QPainter, model: CanvasModel, theme: CanvasTheme, m: np.ndarray,
                  scale: float, visible: QRectF) -> None:
    """The failure-coloured edge of each badge in ``visible`` whose block holds a node not
    active or a down cable (over a detail layer painted without ``trouble``)."""
    detail = model.detail
    if detail is None:
        return
    shut = detail.collapsed(scale)
    if not len(shut):
        return
    bad = _troubled(model, shut)
    if not bad.any():
        return
    view = rect_to_device(m, visible).adjusted(-20, -20, 20, 20)
    rects = badge_rects(model, m, shut[bad])
    inside = ((rects[:, 2] >= view.left()) & (rects[:, 0] <= view.right())
              & (rects[:, 3] >= view.top()) & (rects[:, 1] <= view.bottom()))
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(theme.state_fill["failed"]), 2.0))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for x0, y0, x1, y1 in rects[inside].tolist():
        painter.drawRoundedRect(QRectF(x0, y0, x1 - x0, y1 - y0), 3, 3)
    painter.restore()


def _bundles(painter: QPainter, model: CanvasModel, theme: CanvasTheme, m: np.ndarray,
             view: QRectF, metrics: QFontMetricsF, taken: Occupancy) -> None:
    detail = model.detail
    lines = detail.bundle_lines(model.xy)  # type: ignore[union-attr]
    lines = np.hstack([to_device(m, lines[:, :2]), to_device(m, lines[:, 2:])])
    counts = detail.bundle_count  # type: ignore[union-attr]
    colour = QColor(theme.link)  # opaque: blending thick lines costs seconds at 40k nodes
    few = len(counts) <= 200
    widths = np.clip(np.round(1.0 + np.log2(np.maximum(counts, 1))), 1.0, 9.0 if few else 3.0)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, few)
    for width in np.unique(widths).tolist():
        painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        draw_lines(painter, lines[widths == width])
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if not few:  # hundreds of counts would be a row of noise: the widths tell them apart
        return
    for (x0, y0, x1, y1), count in zip(lines.tolist(), counts.tolist(), strict=True):
        mid = QPointF((x0 + x1) / 2, (y0 + y1) / 2)
        if count > 1 and view.contains(mid) and abs(y1 - y0) > 3 * FONT_PX:
            _pill(painter, theme, mid, f"{count}", metrics, taken)


def _badges(painter: QPainter, model: CanvasModel, theme: CanvasTheme, m: np.ndarray,
            shut: np.ndarray, view: QRectF, metrics: QFontMetricsF,
            taken: Occupancy, trouble: bool = True) -> None:
    detail = model.detail
    rects = badge_rects(model, m, shut)
    inside = ((rects[:, 2] >= view.left()) & (rects[:, 0] <= view.right())
              & (rects[:, 3] >= view.top()) & (rects[:, 1] <= view.bottom()))
    shut, rects = shut[inside], rects[inside]
    leaves = to_device(m, model.xy[detail.leaves[shut]])  # type: ignore[union-attr]
    tops = np.column_stack([(rects[:, 0] + rects[:, 2]) / 2, rects[:, 1]])
    painter.setPen(QPen(QColor(theme.link), 1.2))
    draw_lines(painter, np.hstack([leaves, tops]))
    fill = QColor(theme.state_fill["active"])
    fill.setAlpha(60)
    troubled = _troubled(model, shut) if trouble else np.zeros(len(shut), np.bool_)
    # boxes first, grouped by edge (two pen changes, not two per badge), then the counts
    painter.setBrush(fill)
    boxes = [QRectF(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in rects.tolist()]
    for bad, pen in ((False, QPen(QColor(theme.outline), 1.0)),
                     (True, QPen(QColor(theme.state_fill["failed"]), 2.0))):
        painter.setPen(pen)
        for box, b in zip(boxes, troubled.tolist(), strict=True):
            if b is bad:
                painter.drawRoundedRect(box, 3, 3)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    widths: dict[str, float] = {}
    centred: list[tuple[QRectF, str]] = []
    pills: list[tuple[QRectF, str]] = []
    height = metrics.height()
    for box, block in zip(boxes, shut.tolist(), strict=True):
        text = str(len(detail.members[block]))  # type: ignore[union-attr]
        width = widths.get(text)
        if width is None:
            width = widths[text] = metrics.horizontalAdvance(text)
        if width + 4 <= box.width() and box.height() >= FONT_PX + 2:
            centred.append((box, text))
            taken.claim(box)
        else:  # too narrow: the count under the box, where no other count is
            pill = QRectF(box.center().x() - (width + 6) / 2, box.bottom() + 2, width + 6,
                          height)
            if taken.claim(pill):
                pills.append((pill, text))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(theme.background))
    for pill, _text in pills:
        painter.drawRoundedRect(pill, 3, 3)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QColor(theme.label))
    for box, text in centred + pills:
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def _troubled(model: CanvasModel, blocks: np.ndarray) -> np.ndarray:
    """True for blocks with a member not active or a down cable."""
    detail = model.detail
    sender = NODE_STATES.index("sender")
    bad_node = (model.state != 0) & (model.state != sender)
    if model.down.any():
        ends = model.ends[model.down]
        bad_node = bad_node.copy()
        bad_node[ends.ravel()] = True
    assert detail is not None
    bad_block = np.zeros(len(detail.leaves), dtype=np.bool_)
    block_of = detail.block_of
    hit = block_of[bad_node]
    bad_block[hit[hit >= 0]] = True
    return bad_block[blocks]


def _pill(painter: QPainter, theme: CanvasTheme, at: QPointF, text: str,
          metrics: QFontMetricsF, taken: Occupancy) -> None:
    """``text`` centred on ``at`` over a small background pill, unless another count
    already holds that place."""
    w, h = metrics.horizontalAdvance(text) + 6, metrics.height()
    box = QRectF(at.x() - w / 2, at.y() - h / 2, w, h)
    if not taken.claim(box):
        return
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(theme.background))
    painter.drawRoundedRect(box, 3, 3)
    painter.setPen(QColor(theme.label))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    painter.setBrush(Qt.BrushStyle.NoBrush)


__all__ = ["badge_rects", "paint_detail", "paint_trouble"]
