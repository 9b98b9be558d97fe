"""Hand numpy arrays to QPainter's array calls without building one Python object per item.

``QPainter.drawLines(const QLineF *, int)`` and ``drawPixmapFragments(const
PixmapFragment *, int, ...)`` take a C array. A float64 numpy array with 4 (line) or 10
(fragment) columns has exactly that memory layout, so we wrap its first row as a
``QLineF`` / ``PixmapFragment`` (shiboken does not copy) and pass the count. This is what
keeps a 10,000-node frame in a few milliseconds; a list of ``QLineF`` objects costs 100x
more in Python.

Zoom previews for big fabrics (:class:`LinkLayer`): rasterising 19,000 cables at a
10,000-node overview takes 50-80 ms whatever the API (it is the pixels, about 7 million
of them). So a full paint of a big fabric draws its links into an image a little larger
than the view; while the user zooms, the canvas shows that image scaled (3 ms) with crisp
glyphs on top (1 ms), and once the wheel rests it repaints at full quality.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import shiboken6
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap

FRAGMENT_FIELDS = 10
"""x, y, sourceLeft, sourceTop, width, height, scaleX, scaleY, rotation, opacity."""


def draw_lines(painter: QPainter, lines: np.ndarray) -> None:
    """Draw ``(K, 4)`` segments ``x1, y1, x2, y2`` (device coordinates of ``painter``)."""
    if not len(lines):
        return
    lines = np.ascontiguousarray(lines, dtype=np.float64)
    painter.drawLines(shiboken6.wrapInstance(lines.ctypes.data, QLineF), len(lines))


def draw_points(painter: QPainter, points: np.ndarray) -> None:
    """Draw ``(K, 2)`` points with the current pen."""
    if not len(points):
        return
    points = np.ascontiguousarray(points, dtype=np.float64)
    painter.drawPoints(shiboken6.wrapInstance(points.ctypes.data, QPointF), len(points))


def fragments(centres: np.ndarray, source: np.ndarray, size: float, scale: float,
              opacity: np.ndarray | float = 1.0) -> np.ndarray:
    """Fragment rows drawing atlas cells ``source`` ``(K, 2)`` (left, top in atlas pixels,
    cells ``size`` wide) centred on ``centres`` ``(K, 2)``, scaled by ``scale``."""
    out = np.empty((len(centres), FRAGMENT_FIELDS))
    out[:, 0:2] = centres
    out[:, 2:4] = source
    out[:, 4:6] = size
    out[:, 6:8] = scale
    out[:, 8] = 0.0
    out[:, 9] = opacity
    return out


def draw_fragments(painter: QPainter, rows: np.ndarray, atlas: QPixmap) -> None:
    """One ``drawPixmapFragments`` call for every row built by :func:`fragments`."""
    if not len(rows):
        return
    rows = np.ascontiguousarray(rows, dtype=np.float64)
    painter.drawPixmapFragments(shiboken6.wrapInstance(rows.ctypes.data, QPainter.PixmapFragment),
                                len(rows), atlas)


def device_transform(painter: QPainter) -> np.ndarray:
    """The painter's world transform as a 2x3 matrix ``[[m11, m21, dx], [m12, m22, dy]]``."""
    t = painter.worldTransform()
    return np.array([[t.m11(), t.m21(), t.dx()], [t.m12(), t.m22(), t.dy()]])


def to_device(matrix: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Map ``(K, 2)`` scene points through a matrix from :func:`device_transform`."""
    return xy @ matrix[:, :2].T + matrix[:, 2]


def visible_length(lines: np.ndarray, left: float, top: float, right: float,
                   bottom: float) -> float:
    """Total length of the parts of ``(K, 4)`` segments inside a rectangle (Liang-Barsky
    clipping, vectorised): the pixels a ``drawLines`` call will really touch."""
    if not len(lines):
        return 0.0
    x0, y0, x1, y1 = lines.T
    dx, dy = x1 - x0, y1 - y0
    enter, leave = np.zeros(len(lines)), np.ones(len(lines))
    outside = np.zeros(len(lines), bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, x0 - left), (dx, right - x0), (-dy, y0 - top), (dy, bottom - y0)):
            ratio = q / p
            outside |= (p == 0) & (q < 0)
            enter = np.where(p < 0, np.maximum(enter, ratio), enter)
            leave = np.where(p > 0, np.minimum(leave, ratio), leave)
    inside = np.where(outside, 0.0, np.clip(leave - enter, 0.0, 1.0))
    return float((np.hypot(dx, dy) * inside).sum())


LAYER_MIN_PX = 1_200_000
"""Keep a link raster (and zoom by preview) only when the links on screen are longer than
this many pixels in total (about 10 ms to rasterise); below, every zoom step repaints
fully and is still fast."""
MARGIN = 0.25
"""Fraction of the view added on each side of the image, for zooming out."""
MAX_STRETCH = 2.5
"""A preview scales the raster by at most this factor (either way); beyond, the zoom step
repaints fully (and renews the raster) so the preview never turns to mush."""


class LinkLayer:
    """The last full-quality link raster, with the scene area it covers."""

    def __init__(self) -> None:
        self.image: QImage | None = None
        self.scene_rect = QRectF()
        self.key: Hashable = None
        self.scale = 1.0
        self.fade = 0.0
        self.zoomable = True
        """Whether zoom steps may show the raster scaled (long links only)."""
        self.antialias = False
        """How far the raster's cables are tinted towards the background (drawn over it
        again in the same tint where highlighted)."""

    def clear(self) -> None:
        self.image, self.key = None, None

    def usable(self, key: Hashable, scale: float) -> bool:
        """Whether the raster shows the current links and is close enough to ``scale``."""
        return (self.image is not None and self.key == key
                and 1 / MAX_STRETCH <= scale / self.scale <= MAX_STRETCH)

    def covers(self, key: Hashable, m: np.ndarray, visible: QRectF) -> bool:
        """Whether the raster can be drawn as it is: same links, same scale, and it holds
        all of ``visible`` (node states changed, or the view was panned)."""
        return (self.image is not None and self.key == key and self.scene_rect.contains(visible)
                and abs(m[0, 0] / self.scale - 1) < 1e-9)

    def begin(self, visible: QRectF, m: np.ndarray, ratio: float,
              key: Hashable) -> tuple[QPainter, np.ndarray, QRectF]:
        """Start a new raster covering ``visible`` plus :data:`MARGIN` (scene coordinates).

        Returns a painter on the new image, the transform from scene to image pixels
        (logical) and the scene rectangle covered.
        """
        grow = MARGIN * max(visible.width(), visible.height())
        wanted = rect_to_device(m, visible.adjusted(-grow, -grow, grow, grow))
        left, top = np.floor(wanted.left()), np.floor(wanted.top())
        width = max(int(np.ceil(wanted.right()) - left), 1)
        height = max(int(np.ceil(wanted.bottom()) - top), 1)
        image = QImage(int(width * ratio), int(height * ratio),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(Qt.GlobalColor.transparent)
        shifted = m.copy()
        shifted[:, 2] -= (left, top)
        # the scene area whose device pixels are exactly this image (scale and shift only)
        x0, y0 = (left - m[0, 2]) / m[0, 0], (top - m[1, 2]) / m[1, 1]
        rect = QRectF(x0, y0, width / m[0, 0], height / m[1, 1])
        self.image, self.scene_rect, self.key, self.scale = image, rect, key, float(m[0, 0])
        return QPainter(image), shifted, rect

    def draw(self, painter: QPainter, m: np.ndarray, smooth: bool = True) -> None:
        """Draw the raster where its scene area falls under transform ``m`` (the painter
        works in device pixels)."""
        if self.image is None:
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        painter.drawImage(rect_to_device(m, self.scene_rect), self.image)


def rect_to_device(m: np.ndarray, rect: QRectF) -> QRectF:
    """Bounding rectangle of a scene rectangle under the 2x3 transform ``m``."""
    pts = np.array([[rect.left(), rect.top()], [rect.right(), rect.bottom()]])
    dev = pts @ m[:, :2].T + m[:, 2]
    lo, hi = dev.min(axis=0), dev.max(axis=0)
    return QRectF(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])


def device_transform_of(view: object) -> np.ndarray:
    """:func:`device_transform` of a ``QGraphicsView``'s scene-to-viewport transform."""
    t = view.viewportTransform()  # type: ignore[attr-defined]
    return np.array([[t.m11(), t.m21(), t.dx()], [t.m12(), t.m22(), t.dy()]])
