"""Node names, LIDs and port numbers on the canvas, each on a small background pill.

Labels are placed greedily on a coarse occupancy grid in device pixels: a label that
would cover a glyph or another label is left out, so a crowded view never turns into
overprinted text. Zooming in makes room and the missing labels appear.

Labels that matter stay: the model's *pinned* nodes (the primary, the takeover and the
senders of each protected group, the selected node, search hits, nodes the narration
names; in that priority order) are placed first, at any zoom, trying each side of their
glyph before any other label, and the first :data:`FORCED` of them are drawn even where
every side is taken.

A pinned label also keeps off the highlighted cables (the multicast tree, a takeover's
cable) where one of its places allows: it tries its four sides, then the four corners,
and only then a place over a highlighted cable.

A label stays put: the side each node's label took is remembered on the model
(``label_sides``) and tried first next time, until the zoom or the layout changes, and
the pinned labels already drawn are placed before newly pinned ones. The pinned nodes
and their order change between steps (the narration names other nodes); without this,
who claimed the room first changed and labels jumped above/below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter

from ibviz.gui.canvas.model import CanvasModel, label_lines
from ibviz.gui.canvas.occupancy import Occupancy
from ibviz.gui.palette import CanvasTheme

PORT_FONT_PX = 12
FORCED = 24
"""The first this many pinned labels are drawn even where every side is taken (a group
with a thousand senders does not cover the canvas in overprinted names)."""


class Labeller:
    """Draws labels for the visible nodes / links of one paint."""

    def __init__(self, painter: QPainter, theme: CanvasTheme, scale: float,
                 glyph: float, font_scale: float = 1.0) -> None:
        self.p, self.theme, self.scale, self.glyph = painter, theme, scale, glyph
        self.font_scale = font_scale
        """Presentation mode draws every label larger."""
        self.bounds = QRectF(painter.viewport())
        """The device area drawn: a pinned label is kept inside it."""
        self.occupied = Occupancy(self.bounds)
        self.cables = Occupancy(self.bounds)
        """The cells under the highlighted cables (:meth:`reserve_cables`)."""

    def reserve_cables(self, segments: np.ndarray, width: float) -> None:
        """Mark the highlighted cables (device segments ``(K, 4)``, bands ``width`` wide):
        a pinned label is placed off them where it can be (the trial saw fig10's
        second-node label over the takeover's highlighted cable)."""
        self.cables.mark_segments(segments, width)

    def reserve_glyphs(self, centres: np.ndarray) -> None:
        half = self.glyph / 2
        for x, y in centres.tolist():
            self.occupied.claim(QRectF(x - half, y - half, self.glyph, self.glyph))

    def nodes(self, model: CanvasModel, nodes: np.ndarray, centres: np.ndarray,
              everything: bool = True) -> None:
        """Name (and LID) under each CA, above each switch and router: the pinned nodes
        first (always), then, with ``everything``, the others where there is room."""
        font = QFont()
        font.setPixelSize(round(float(np.clip(self.scale * 0.2, 12, 16)) * self.font_scale))
        small = QFont(font)
        small.setPixelSize(font.pixelSize() - 1)
        fonts = ((font, QFontMetricsF(font)), (small, QFontMetricsF(small)))
        key = (round(self.scale, 6), self.glyph, self.font_scale)
        if model.label_sides_key != key:  # zoomed (or presentation type): placed afresh
            model.label_sides_key = key
            model.label_sides.clear()
        rank = pin_ranks(model, nodes)
        pinned = np.flatnonzero(rank >= 0)
        pinned = pinned[np.argsort(rank[pinned], kind="stable")]
        forced = set(pinned[:FORCED].tolist())
        placed = [k for k in pinned.tolist() if int(nodes[k]) in model.label_sides]
        newly = [k for k in pinned.tolist() if int(nodes[k]) not in model.label_sides]
        self._pinned: list[_Placed] = []
        self._sides = model.label_sides
        for k in placed + newly:  # a label already drawn keeps its room from a newcomer
            x, y = centres[k].tolist()
            self._node(model, int(nodes[k]), x, y, fonts, pinned=True, force=k in forced)
        for label in self._pinned:  # drawn once all are placed: one may move for another
            self._draw(label.lines, label.rect.center().x(), label.rect.top(), True)
        if not everything:
            return
        rest = np.flatnonzero(rank < 0)
        rest = rest[np.argsort(-model.kinds[nodes[rest]], kind="stable")]  # switches first
        for k in rest.tolist():
            x, y = centres[k].tolist()
            self._node(model, int(nodes[k]), x, y, fonts, pinned=False)

    def _node(self, model: CanvasModel, i: int, x: float, y: float,
              fonts: tuple[tuple[QFont, QFontMetricsF], ...], pinned: bool,
              force: bool = False) -> None:
        name, lid = label_lines(model.fabric.nodes[model.guids[i]])
        lines = [(name, *fonts[0])] + ([(lid, *fonts[1])] if lid else [])
        height = sum(m.height() for _, _, m in lines)
        width = max(m.horizontalAdvance(t) for t, _, m in lines) + 6
        half = self.glyph / 2 + 3
        below, above = y + half, y - half - height
        side = half + width / 2
        tops = [(x, below), (x, above)] if model.kinds[i] == 0 else [(x, above), (x, below)]
        tops += [(x + side, y - height / 2), (x - side, y - height / 2)]  # right, left
        tops += [(x + side, t) for _, t in tops[:2]] + [(x - side, t) for _, t in tops[:2]]
        rects = [QRectF(cx - width / 2, top, width, height) for cx, top in tops]
        if not pinned:  # where it was last time, else its usual place, or none
            for s in dict.fromkeys((model.label_sides.get(i, 0), 0)):
                if self.occupied.claim(rects[s]):
                    model.label_sides[i] = s
                    self._draw(lines, rects[s].center().x(), rects[s].top(), False)
                    return
            return
        last = model.label_sides.get(i)
        sides = list(range(len(tops)))
        if last is not None:  # where it was last time first
            sides = [last] + [s for s in sides if s != last]
        clear = [s for s in sides if self._clear(rects[s])]  # off the highlighted cables
        over = [s for s in sides if s not in clear and self.bounds.contains(rects[s])]
        # a side (or its last place); else a pinned neighbour steps aside; else a corner
        chosen = next((s for s in clear if (s < 4 or s == last)
                       and self.occupied.claim(rects[s])), None)
        if chosen is None:
            chosen = next((s for s in clear if s < 2 and self._make_room(rects[s])), None)
        if chosen is None:
            chosen = next((s for s in clear + over if self.occupied.claim(rects[s])), -1)
        label = _Placed(i, lines, rects, chosen)
        if chosen >= 0:
            model.label_sides[i] = chosen
        elif force:  # drawn anyway (over what is there: it claims nothing)
            cx, top = self._inside(*tops[sides[0]], width, height)
            label.rects, label.side = [QRectF(cx - width / 2, top, width, height)], 0
            label.claimed = False
        else:
            return
        self._pinned.append(label)

    def _clear(self, rect: QRectF) -> bool:
        """Inside the drawn area and over no highlighted cable."""
        return self.bounds.contains(rect) and not self.cables.taken(rect)

    def _make_room(self, rect: QRectF) -> bool:
        """Claim ``rect`` by moving the pinned labels in it to other clear places (on the
        same side of their node first: a CA's label stays under it, moved outward);
        False, and nothing moved, where one cannot move."""
        blockers = [p for p in self._pinned if p.claimed and p.rect.intersects(rect)]
        if not blockers:
            return False
        for p in blockers:
            self.occupied.release(p.rect)
        moved: list[tuple[_Placed, int]] = []
        if self.occupied.claim(rect):
            for p in blockers:
                others = [s for s in range(len(p.rects)) if s != p.side
                          and not p.rects[s].intersects(rect) and self._clear(p.rects[s])]
                level = p.rect.top()  # the same side of its node first (moved outward)
                others.sort(key=lambda s: (p.rects[s].top() != level, s))  # noqa: B023
                new = next((s for s in others if self.occupied.claim(p.rects[s])), None)
                if new is None:
                    break
                moved.append((p, new))
            else:
                for p, new in moved:
                    p.side = new
                    self._sides[p.i] = new
                return True
            for p, new in moved:
                self.occupied.release(p.rects[new])
            self.occupied.release(rect)
        for p in blockers:
            self.occupied.claim(p.rect)
        return False

    def _draw(self, lines: list, cx: float, top: float, pinned: bool) -> None:
        for text, f, m in lines:
            self.pill(text, f, QPointF(cx, top + m.height() / 2), strong=pinned)
            top += m.height()

    def _inside(self, cx: float, top: float, width: float, height: float
                ) -> tuple[float, float]:
        """The label's place moved the least to lie inside the drawn area."""
        b = self.bounds
        cx = min(max(cx, b.left() + width / 2), max(b.right() - width / 2, b.left()))
        top = min(max(top, b.top()), max(b.bottom() - height, b.top()))
        return cx, top

    def ports(self, segments: np.ndarray, ports: np.ndarray) -> None:
        """Port number near both ends of every segment ``(K, 4)`` (device pixels)."""
        font = QFont()
        font.setPixelSize(round(PORT_FONT_PX * self.font_scale))
        seg = segments.reshape(-1, 2, 2)
        d = seg[:, 1] - seg[:, 0]
        unit = d / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
        offset = self.glyph / 2 + 14
        for end, sign in ((0, 1.0), (1, -1.0)):
            where = seg[:, end] + sign * unit * offset
            for (x, y), port in zip(where.tolist(), ports[:, end].tolist(), strict=True):
                self.pill(str(port), font, QPointF(x, y), check=True, muted=True)

    def pill(self, text: str, font: QFont, centre: QPointF, check: bool = False,
             muted: bool = False, strong: bool = False) -> None:
        """Text on a background-coloured pill; with ``check``, left out where it would
        overlap another label or a glyph."""
        metrics = QFontMetricsF(font)
        w, h = metrics.horizontalAdvance(text) + 6, metrics.height()
        rect = QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)
        if check and not self.occupied.claim(rect):
            return
        back = QColor(self.theme.label_halo)
        back.setAlpha(245 if strong else 225)
        self.p.setPen(Qt.PenStyle.NoPen)
        self.p.setBrush(back)
        self.p.drawRoundedRect(rect, h / 3, h / 3)
        colour = QColor(self.theme.label)
        if muted:
            colour.setAlpha(200)
        self.p.setPen(colour)
        self.p.setFont(font)
        self.p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


@dataclass
class _Placed:
    """A pinned label placed in this paint (drawn once every pinned label is placed)."""

    i: int
    lines: list
    rects: list[QRectF]
    """Its places, by side (see :meth:`Labeller._node`)."""
    side: int
    claimed: bool = True
    """Its cells are marked taken (a label forced over others claims none)."""

    @property
    def rect(self) -> QRectF:
        return self.rects[self.side]


def pin_ranks(model: CanvasModel, nodes: np.ndarray) -> np.ndarray:
    """For each of ``nodes`` (indices), its place in ``model.pinned`` (-1: not pinned)."""
    rank = np.full(len(nodes), -1, np.int64)
    pinned = np.asarray(model.pinned, np.int64)
    if len(pinned) and len(nodes):
        order = np.full(len(model.guids), -1, np.int64)
        order[pinned[::-1]] = np.arange(len(pinned))[::-1]  # the first place wins
        rank = order[nodes]
    return rank
