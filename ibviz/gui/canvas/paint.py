"""Paint the whole fabric in a handful of QPainter calls from the canvas arrays.

Everything is mapped to device pixels with numpy first, then drawn with the painter's
transform reset: glyphs keep a readable pixel size at any zoom, lines are one batch per
style (``drawLines`` from a numpy array), nodes one ``drawPixmapFragments`` call. Only
what intersects the exposed rectangle is drawn. Labels and port numbers appear once the
zoom leaves room for them. Big fabrics keep their links as an image for zoom previews
(:class:`ibviz.gui.canvas.native.LinkLayer`).
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPaintEngine, QPainter, QPen

from ibviz.gui.canvas.badges import paint_detail
from ibviz.gui.canvas.glyphs import atlas_for, paint_glyph
from ibviz.gui.canvas.labels import Labeller
from ibviz.gui.canvas.layers import DetailLayer, marked_links, static_down
from ibviz.gui.canvas.model import CanvasModel
from ibviz.gui.canvas.native import (
    LAYER_MIN_PX,
    LinkLayer,
    device_transform,
    draw_fragments,
    draw_lines,
    draw_points,
    fragments,
    rect_to_device,
    to_device,
    visible_length,
)
from ibviz.gui.palette import NODE_STATES, SPEED_CLASSES, CanvasTheme

LABEL_SCALE = 30.0
"""Pixels per slot from which node names and LIDs are drawn."""
PORT_SCALE = 75.0
"""Pixels per slot from which port numbers are drawn at link ends."""
MAX_LABELS = 600
AA_MAX_PX = 250_000
"""Antialias lines only when those on screen are at most this many pixels long in total:
antialiasing costs about 7 times more per pixel (12 ms for this much)."""
CACHE_MIN_NODES = 1000
"""From this many nodes a full paint keeps its up links, bundles and badges as images
(:mod:`ibviz.gui.canvas.layers`), so a state or highlight change repaints in a few ms
(not during a zoom: the steps paint directly, the images come once it rests)."""
DENSE_LINKS = 600
"""With more links than this on screen they are drawn in a lighter tint, so the nodes and
highlighted trees stand out from the mesh."""


def glyph_size(scale: float) -> float:
    """Glyph diameter in pixels at ``scale`` pixels per slot (whole pixels, 3-48)."""
    return float(min(48, max(3, round(scale * 0.55))))


def is_vector(painter: QPainter) -> bool:
    engine = painter.paintEngine()
    return engine is not None and engine.type() in (QPaintEngine.Type.SVG,
                                                    QPaintEngine.Type.Pdf)


def paint_fabric(painter: QPainter, exposed: QRectF, model: CanvasModel | None,
                 theme: CanvasTheme, ratio: float = 1.0, visible: QRectF | None = None,
                 layer: LinkLayer | None = None, layer_key: Hashable = None,
                 preview: bool = False, details: DetailLayer | None = None) -> None:
    """Fill ``exposed`` (scene coordinates) with the background and every link,
    highlight, node and label of ``model`` in it.

    Parameters
    ----------
    ratio:
        Device pixel ratio, for sharp glyphs on high-DPI screens.
    visible:
        The whole area on screen when only a strip of it is repainted (after a pan):
        antialiasing and labels are chosen for the whole view so the strip matches.
    layer, layer_key:
        Link raster of a big fabric: refreshed by full paints, and with ``preview`` drawn
        scaled instead of the links while ``layer_key`` still matches. The raster holds
        the up cables only; highlighted and down cables are drawn over it each paint.
    details:
        Cache of the bundles and badges for full paints with a link raster
        (:mod:`ibviz.gui.canvas.layers`).
    """
    m = device_transform(painter)
    scale = float(np.hypot(m[0, 0], m[1, 0])) or 1.0
    painter.save()
    painter.resetTransform()
    painter.fillRect(rect_to_device(m, exposed), QColor(theme.background))
    if model is not None and len(model.guids):
        visible = visible or exposed
        frame = _Frame(painter, model, theme, m, scale, ratio)
        layer = None if frame.vector else layer
        whole = exposed.contains(visible)
        if layer is not None:  # the raster holds the up cables: keyed on those down
            layer_key = (layer_key, static_down(model, scale))
        exact = layer is not None and layer.covers(layer_key, m, exposed)
        if layer is not None and (exact or preview and layer.zoomable
                                  and layer.usable(layer_key, scale)):
            # the links as rastered: as they are (nodes changed, a pan) or scaled (zooming)
            layer.draw(painter, m, smooth=not exact)
            ports = scale >= PORT_SCALE  # port numbers need the link ends
            frame.cull(visible, links=ports)
            labels = len(frame.nodes) <= MAX_LABELS
            if not whole:
                frame.cull(exposed, links=ports)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, layer.antialias)
            frame.paint_marked(exposed, layer.fade)
            if exact and whole and details is not None:
                details.draw(painter, model, theme, m, scale, visible, layer_key)
            else:
                paint_detail(painter, model, theme, m, scale, visible)
            frame.paint_nodes(labels)
        else:
            frame.cull(visible)
            length = visible_length(frame.segments, *rect_to_device(m, visible).getCoords())
            antialias = frame.vector or length <= AA_MAX_PX
            labels = len(frame.nodes) <= MAX_LABELS
            if layer is not None and whole and (length >= LAYER_MIN_PX or not preview
                                                and len(model.guids) >= CACHE_MIN_NODES):
                target, shifted, covered = layer.begin(visible, m, ratio, layer_key)
                layer.zoomable, layer.antialias = length >= LAYER_MIN_PX, antialias
                links = _Frame(target, model, theme, shifted, scale, ratio)
                links.cull(covered, static=True)
                target.setRenderHint(QPainter.RenderHint.Antialiasing, antialias)
                layer.fade = links.paint_links(static=True)
                target.end()
                layer.draw(painter, m, smooth=False)
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialias)
                frame.paint_marked(visible, layer.fade)
                if details is not None and not preview:
                    details.draw(painter, model, theme, m, scale, visible, layer_key)
                else:
                    paint_detail(painter, model, theme, m, scale, visible)
            else:
                if layer is not None and whole:
                    layer.clear()  # this zoom repaints fully: no stale preview later
                if not whole:
                    frame.cull(exposed)
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialias)
                frame.paint_links()
                paint_detail(painter, model, theme, m, scale, visible)
            frame.paint_nodes(labels)
    painter.restore()


class _Frame:
    """One paint of the fabric: culling, then links, highlights, nodes, labels."""

    def __init__(self, painter: QPainter, model: CanvasModel, theme: CanvasTheme,
                 m: np.ndarray, scale: float, ratio: float) -> None:
        self.p, self.model, self.theme, self.m, self.scale = painter, model, theme, m, scale
        self.ratio = ratio
        self.size = glyph_size(scale)
        self.vector = is_vector(painter)
        self.width = float(np.clip(self.size / 20, 0.6, 1.4))
        self.band_width = max(6.0, self.size * 0.38)
        """The highlight band's width under a tree's cables."""

    def cull(self, exposed: QRectF, links: bool = True, static: bool = False) -> None:
        """Keep the nodes (and ``links``) that can paint into ``exposed`` (scene
        coordinates); ``static``: the links of the raster (bundled cables stay bundled
        even when highlighted or down)."""
        model, scale = self.model, self.scale
        pad = (self.size + (140 if scale >= LABEL_SCALE else 0)) / scale
        left, top = exposed.left() - pad, exposed.top() - pad
        right, bottom = exposed.right() + pad, exposed.bottom() + pad
        xy = model.xy
        shown = (xy[:, 0] >= left) & (xy[:, 0] <= right) & (xy[:, 1] >= top) & (xy[:, 1] <= bottom)
        detail = model.detail
        if detail is not None:
            shown &= ~detail.hidden(scale)
        self.nodes = np.flatnonzero(shown)
        if not links:
            self.links, self.segments = np.zeros(0, np.int64), np.zeros((0, 4))
            return
        a, b = xy[model.ends[:, 0]], xy[model.ends[:, 1]]
        drawn = ((np.minimum(a[:, 0], b[:, 0]) <= right) & (np.maximum(a[:, 0], b[:, 0]) >= left)
                 & (np.minimum(a[:, 1], b[:, 1]) <= bottom)
                 & (np.maximum(a[:, 1], b[:, 1]) >= top))
        if detail is not None:
            keep = np.zeros(len(model.ends), np.bool_) if static else model.down | model.tree
            drawn &= detail.drawn_links(model.ends, scale, keep)
        self.links = np.flatnonzero(drawn)
        self.segments = np.hstack([to_device(self.m, a[self.links]),
                                   to_device(self.m, b[self.links])])

    # ------------------------------------------------------------------ links
    def paint_links(self, static: bool = False) -> float:
        """Tree highlight bands, then up links by speed class, then down links dashed
        (``static``: the up links only). Returns the tint towards the background."""
        model, theme = self.model, self.theme
        down = model.down[self.links]
        tree = model.tree[self.links]
        speed = model.speed[self.links]
        if tree.any() and not static:
            self._bands(self.segments[tree])
        up = ~down
        fade = 0.0 if len(self.links) < DENSE_LINKS else 0.45 if len(self.links) < 5000 else 0.6
        colour = _blend(theme.link, theme.background, fade)
        for cls in np.unique(speed[up]).tolist():
            self._stroke(self.segments[up & (speed == cls)], colour,
                         SPEED_CLASSES[cls][1] * self.width)
        if down.any() and not static:
            self._stroke(self.segments[down], theme.link_down, max(1.5, 2.2 * self.width),
                         style=Qt.PenStyle.DashLine)
        return fade

    def paint_marked(self, exposed: QRectF, fade: float) -> None:
        """Over a raster of the up links: the tree bands with their cables drawn again on
        them, then the down cables dashed, in ``exposed`` (scene)."""
        model, theme = self.model, self.theme
        if not (model.tree.any() or model.down.any()):
            return
        pad = max(6.0, self.size) / self.scale
        links, segments = marked_links(model, self.scale, self.m, exposed, pad)
        tree, down = model.tree[links], model.down[links]
        if tree.any():
            self._bands(segments[tree])
        up = tree & ~down
        speed = model.speed[links]
        tint = _blend(theme.link, theme.background, fade)
        for cls in np.unique(speed[up]).tolist():
            self._stroke(segments[up & (speed == cls)], tint, SPEED_CLASSES[cls][1] * self.width)
        if down.any():
            self._stroke(segments[down], theme.link_down, max(1.5, 2.2 * self.width),
                         style=Qt.PenStyle.DashLine)

    def _bands(self, lines: np.ndarray) -> None:
        """The highlight bands under a tree's cables: flat-capped lines, then a round dot
        on each end (what a round cap draws; antialiased round caps cost 30 times more)."""
        model, theme = self.model, self.theme
        colour = theme.highlight.get(model.highlight_key, theme.highlight["tree"])
        width = self.band_width
        self._stroke(lines, colour, width)
        self.p.setPen(QPen(QColor(colour), width, Qt.PenStyle.SolidLine,
                           Qt.PenCapStyle.RoundCap))
        draw_points(self.p, np.unique(lines.reshape(-1, 2), axis=0))

    def _stroke(self, lines: np.ndarray, colour: str | QColor, width: float,
                cap: Qt.PenCapStyle = Qt.PenCapStyle.FlatCap,
                style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> None:
        pen = QPen(QColor(colour), width, style, cap)
        pen.setCosmetic(width <= 1.0)  # Qt's fast path for one-pixel lines
        if style == Qt.PenStyle.DashLine:
            pen.setDashPattern([3.0, 2.0])
        self.p.setPen(pen)
        draw_lines(self.p, lines)

    # ------------------------------------------------------------------ nodes
    def paint_nodes(self, labels: bool) -> None:
        """Member-port rings, glyphs, then (zoomed in) names, LIDs and port numbers."""
        model, nodes = self.model, self.nodes
        centres = to_device(self.m, model.xy[nodes])
        self._member_rings()
        if self.vector:
            self.p.setRenderHint(QPainter.RenderHint.Antialiasing)
            for (x, y), kind, state in zip(centres.tolist(), model.kinds[nodes].tolist(),
                                           model.state[nodes].tolist(), strict=True):
                paint_glyph(self.p, kind, NODE_STATES[state], QPointF(x, y), self.size,
                            self.theme)
        else:
            atlas = atlas_for(self.size, self.theme.name, self.ratio)
            rows = fragments(centres, atlas.source(model.kinds[nodes], model.state[nodes]),
                             atlas.cell, 1.0 / self.ratio)
            draw_fragments(self.p, rows, atlas.pixmap)
        everything = labels and self.scale >= LABEL_SCALE
        if everything or model.pinned:  # pinned labels stay at every zoom (labels.py)
            self.p.setRenderHint(QPainter.RenderHint.Antialiasing)
            self.p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            labeller = Labeller(self.p, self.theme, self.scale, self.size, model.label_scale)
            if everything:
                labeller.reserve_glyphs(centres)
            labeller.reserve_cables(self.segments[model.tree[self.links]], self.band_width)
            labeller.nodes(model, nodes, centres, everything)
            if everything and self.scale >= PORT_SCALE:
                first = np.argsort(~model.tree[self.links], kind="stable")  # highlighted
                labeller.ports(self.segments[first], model.ports[self.links][first])  # win

    def _member_rings(self) -> None:
        model = self.model
        if not model.member_ports:
            return
        colour = QColor(self.theme.highlight.get(model.highlight_key,
                                                 self.theme.highlight["tree"]))
        ring = max(3.0, self.size * 0.16)
        self.p.setPen(QPen(colour, ring))
        self.p.setBrush(Qt.BrushStyle.NoBrush)
        members = {model.index[r.node] for r in model.member_ports if r.node in model.index}
        shown = np.intersect1d(np.fromiter(members, np.int64, len(members)), self.nodes)
        radius = self.size * 0.5 + ring * 0.5 + 1
        for x, y in to_device(self.m, model.xy[shown]).tolist():
            self.p.drawEllipse(QPointF(x, y), radius, radius)


def _blend(colour: str, towards: str, amount: float) -> QColor:
    a, b = QColor(colour), QColor(towards)
    return QColor.fromRgbF(*(x + (y - x) * amount for x, y in zip(a.getRgbF()[:3],
                                                                     b.getRgbF()[:3],
                                                                     strict=True)))
