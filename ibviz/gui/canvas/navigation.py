"""Zoom, pan, fit and export of the fabric canvas (mixed into ``FabricView``).

The view has no visible scroll bars: the scene rectangle is the fabric plus a wide margin
and panning moves the hidden scroll bars. The zoom is one uniform scale (pixels per
layout slot) between a quarter of the fit scale and :data:`MAX_SCALE`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QSize
from PySide6.QtGui import QColor, QImage, QPainter, QResizeEvent
from PySide6.QtSvg import QSvgGenerator

from ibviz.gui.canvas.paint import LABEL_SCALE, glyph_size

FIT_MAX_SCALE = 220.0
"""``fit()`` never zooms in further than this many pixels per slot (tiny fabrics)."""
MAX_SCALE = 400.0
FIT_PAD_PX = 72
"""Pixels of margin around the fabric when fitting (room for glyphs and labels)."""
FIT_PAD_MIN_PX = 46
"""A short canvas (1280x720) keeps a fifth of its height as margin, at least this much
and at least what the labels at the fitted zoom need (:func:`_label_room`); 72 px there
would leave a 4-level fabric too small for its labels."""


class CanvasNavigation:
    """Methods of :class:`ibviz.gui.canvas.view.FabricView` that move the camera or
    render what it sees."""

    # ------------------------------------------------------------ navigation
    def fit(self) -> None:
        """Zoom and centre so that the whole fabric is visible."""
        self._auto_fit = True
        left, top, right, bottom = self._model.bounds() if self._model else (0, 0, 1, 1)
        self._set_scale(self._fit_scale())
        self.centerOn(QPointF((left + right) / 2, (top + bottom) / 2))

    def center_on(self, guid: int) -> None:
        """Centre on a node, zooming in until labels show if the view is further out."""
        model = self._model
        if model is None or guid not in model.index:
            raise KeyError(f"no node with GUID {guid:#018x} on the canvas")
        self._auto_fit = False
        if self._scale() < LABEL_SCALE * 1.5:
            self._set_scale(LABEL_SCALE * 1.5)
        x, y = model.xy[model.index[guid]]
        self.centerOn(QPointF(float(x), float(y)))

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom by ``factor`` keeping the scene point under ``anchor`` (viewport) still."""
        self._auto_fit = False
        self._preview = True
        self._settle.start()
        anchor = anchor if anchor is not None else QPointF(self.viewport().rect().center())
        before = self.mapToScene(anchor.toPoint())
        low = self._fit_scale() * 0.25
        self._set_scale(min(max(self._scale() * factor, low), MAX_SCALE))
        moved = self.mapFromScene(before) - anchor.toPoint()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + moved.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + moved.y())

    # ---------------------------------------------------------------- export
    def render_image(self, size: QSize | tuple[int, int] | None = None) -> QImage:
        """What the view shows, rendered into an image (``size`` defaults to the view's)."""
        source = self.viewport().rect()
        size = QSize(*size) if isinstance(size, tuple) else (size or source.size())
        image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QColor(self._theme.background))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self._exporting = True
        try:
            self.render(painter, QRectF(image.rect()), source)
        finally:
            self._exporting = False
            painter.end()
        return image

    def render_png(self, path: str | Path, size: QSize | tuple[int, int] | None = None) -> None:
        """Save what the view shows as a PNG file."""
        if not self.render_image(size).save(str(path), "PNG"):
            raise OSError(f"could not write {path}")

    def render_svg(self, path: str | Path) -> None:
        """Save what the view shows as an SVG file (glyphs and lines as vectors)."""
        source = self.viewport().rect()
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(source.size())
        generator.setViewBox(source)
        generator.setTitle(self._model.fabric.name if self._model else "fabric")
        generator.setDescription("InfiniBand fabric drawn by ibviz")
        painter = QPainter(generator)
        self._exporting = True
        try:
            self.render(painter, QRectF(source), source)
        finally:
            self._exporting = False
            painter.end()
        if not Path(path).is_file():
            raise OSError(f"could not write {path}")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._auto_fit:
            self.fit()

    # -------------------------------------------------------------- internals
    def _scale(self) -> float:
        return float(self.transform().m11()) or 1.0

    def _set_scale(self, scale: float) -> None:
        centre = self.mapToScene(self.viewport().rect().center())
        self.resetTransform()
        self.scale(scale, scale)
        self.centerOn(centre)

    def _fit_scale(self) -> float:
        """Pixels per slot that show the whole fabric with a margin of :data:`FIT_PAD_PX`
        (less on a short or narrow canvas, down to :data:`FIT_PAD_MIN_PX`)."""
        left, top, right, bottom = self._model.bounds() if self._model else (0, 0, 1, 1)
        view = self.viewport().rect()
        span_w, span_h = max(right - left, 1.0), max(bottom - top, 1.0)

        def scale_with(pad_w: float, pad_h: float) -> float:
            room_w = max(view.width() - 2 * pad_w, 16)
            room_h = max(view.height() - 2 * pad_h, 16)
            return max(min(room_w / span_w, room_h / span_h, FIT_MAX_SCALE), 1e-3)

        pad_w, pad_h = _fit_pad(view.width()), _fit_pad(view.height())
        scale = scale_with(pad_w, pad_h)
        font_scale = self._model.label_scale if self._model else 1.0  # presentation: > 1
        need = min(_label_room(scale, font_scale), FIT_PAD_PX * max(font_scale, 1.0))
        if need > min(pad_w, pad_h):
            scale = scale_with(max(pad_w, need), max(pad_h, need))
        return scale

    def _update_scene_rect(self) -> None:
        left, top, right, bottom = self._model.bounds() if self._model else (0, 0, 1, 1)
        margin = max(right - left, bottom - top, 8.0) * 2
        rect = QRectF(left - margin, top - margin, right - left + 2 * margin,
                      bottom - top + 2 * margin)
        self.setSceneRect(rect)
        self.packets.set_bounds(rect)


def _fit_pad(pixels: int) -> float:
    """The fit margin on each side of a canvas ``pixels`` wide (or tall)."""
    return min(FIT_PAD_PX, max(FIT_PAD_MIN_PX, pixels * 0.2))


def _label_room(scale: float, font_scale: float = 1.0) -> float:
    """Pixels from a node's centre to the far edge of its two-line label at ``scale``
    (half the glyph, the gap, the name and LID lines; :mod:`ibviz.gui.canvas.labels`),
    in type ``font_scale`` times the normal (presentation's is larger)."""
    font_px = min(max(scale * 0.2, 12.0), 16.0) * font_scale
    return glyph_size(scale) / 2 + 3 + 2.4 * font_px
