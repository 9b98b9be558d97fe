"""The fabric canvas: every switch, CA, router and cable, drawn fast enough for 10,000 nodes.

A big fabric is drawn by level of detail (:mod:`ibviz.gui.canvas.detail`): zoomed out,
each leaf's block of end nodes is a badge with its count and the cables between switch
tiers are bundles; zooming in (or a double-click) opens them. A left-drag pans;
Shift+drag moves a node.

The whole fabric is painted as the view's background from numpy arrays (see
:mod:`ibviz.gui.canvas.paint`) and cached by Qt; it is repainted only when the zoom, the topology, a
state or the theme changes. Packets are one item above it (:class:`PacketLayer`). Clicks
and hover are answered by numpy hit tests, not by one graphics item per node.

>>> view = FabricView()
>>> view.set_fabric(open_fabric("fig10"))
>>> view.set_node_states({primary_guid: "failed"})
>>> view.nodeClicked.connect(print)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable

import numpy as np
import shiboken6
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QWidget

from ibviz.core.events import LidAssigned, LinkAdded, LinkRemoved, NodeAdded, NodeRemoved
from ibviz.core.fabric import Fabric
from ibviz.core.model import PortRef
from ibviz.gui.canvas.blocks import CanvasBlocks
from ibviz.gui.canvas.input import HINT, CanvasInput
from ibviz.gui.canvas.layers import DetailLayer
from ibviz.gui.canvas.legend import FabricLegend
from ibviz.gui.canvas.model import CanvasModel, LinkKey, Position, search_nodes, tooltip_text
from ibviz.gui.canvas.native import LinkLayer
from ibviz.gui.canvas.navigation import CanvasNavigation
from ibviz.gui.canvas.packets import PacketLayer
from ibviz.gui.canvas.paint import glyph_size, paint_fabric
from ibviz.gui.canvas.state_marks import paint_state_marks
from ibviz.gui.palette import HIGHLIGHT_LABELS, NODE_STATES, canvas_theme

SETTLE_MS = 150
"""After the last zoom step, wait this long before repainting big fabrics at full quality."""
RING_GAP_DEG = 80.0
"""The selection ring's opening towards the node's label (degrees)."""

__all__ = ["FabricLegend", "FabricView"]


class FabricView(CanvasInput, CanvasNavigation, CanvasBlocks, QGraphicsView):
    """Interactive drawing of a :class:`~ibviz.core.fabric.Fabric`."""

    # GUIDs are 64-bit: Signal(int) would squeeze them into a C++ int, so they travel as
    # Python objects (the connected slot gets the same int).
    nodeClicked = Signal(object)
    nodeContextMenuRequested = Signal(object, QPoint)
    linkClicked = Signal(object, object)
    nodeHovered = Signal(object)
    positionsChanged = Signal()
    """A node was dragged to a new place (the positions to save changed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        scene = QGraphicsScene(self)
        scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setScene(scene)
        self.packets = PacketLayer()
        scene.addItem(self.packets)
        self._model: CanvasModel | None = None
        self._theme = canvas_theme("light")
        self._states: dict[int, str] = {}
        self._down: set[LinkKey] = set()
        self._highlight: tuple[set[LinkKey], set[PortRef], str] = (set(), set(), "tree")
        self._selected = -1
        self._marks: object | None = None
        self._auto_fit = True
        self._unsubscribe: list[Callable[[], None]] = []
        self._pending: set[str] = set()
        self._last_search: tuple[str, int] = ("", -1)
        self._layer = LinkLayer()
        self._details = DetailLayer()
        self._pinned: tuple[list[int], float] = ([], 1.0)
        self._links_version = 0
        self._preview = False
        self._exporting = False
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._settled)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMouseTracking(True)
        self.viewport().setStatusTip(HINT)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(160, 120)
        self.setBackgroundBrush(QColor(self._theme.background))

    # ---------------------------------------------------------------- fabric
    def set_fabric(self, fabric: Fabric | None, positions: dict[int, Position] | None = None,
                   *, fit: bool = True, model: CanvasModel | None = None) -> None:
        """Show ``fabric``: laid out unless ``positions`` gives every node (nodes it lacks
        are placed beside their neighbours). States, highlight, selection and packets are
        cleared. ``fit=False`` keeps the current zoom and centre (re-showing the same
        fabric after an undo). ``model``: its arrays, already built (off the GUI thread)
        from ``fabric`` and ``positions``."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._states, self._down, self._selected = {}, set(), -1
        self._highlight = (set(), set(), "tree")
        old = self._model
        if model is not None and model.fabric is fabric:
            self._model = model
        else:
            self._model = CanvasModel.build(fabric, positions) if fabric is not None else None
        if (old is not None and self._model is not None and old.guids == self._model.guids
                and np.array_equal(old.xy, self._model.xy)):  # re-shown (undo, a seek back)
            self._model.label_sides = old.label_sides        # the same layout: labels stay
            self._model.label_sides_key = old.label_sides_key
        self._apply_pinned()
        if fabric is not None:
            self._subscribe(fabric)
        self.packets.clear()
        self._update_scene_rect()
        self._invalidate(links=True)
        if fit or self._auto_fit:
            self.fit()

    def fabric(self) -> Fabric | None:
        return self._model.fabric if self._model else None

    def positions(self) -> dict[int, Position]:
        """Current position of every node (layout plus drags), for saving a session."""
        return self._model.positions() if self._model else {}

    def node_xy(self, guids: Iterable[int] | np.ndarray) -> np.ndarray:
        """``(K, 2)`` scene positions of these nodes (for packet markers); GUIDs as a
        sequence of ints or a uint64 array (an int64 one is reinterpreted)."""
        if self._model is None:
            return np.zeros((0, 2))
        return self._model.xy_of(guids if isinstance(guids, np.ndarray) else list(guids))

    # ----------------------------------------------------------------- state
    def set_node_states(self, states: dict[int, str]) -> None:
        """Node GUID -> one of ``active`` (default), ``failed``, ``taking_over``,
        ``recovering``, ``sender``; nodes not named are active."""
        bad = {s for s in states.values() if s not in NODE_STATES}
        if bad:
            raise ValueError(f"unknown node state {sorted(bad)[0]!r}; use one of "
                             f"{', '.join(NODE_STATES)}")
        if states == self._states:
            return  # the animation calls this every frame; repaint only on a change
        self._states = dict(states)
        if self._model:
            self._model.set_states(self._states)
        self._invalidate()

    def set_link_states(self, down: Iterable[LinkKey]) -> None:
        """The links (``Link.key`` tuples) that are down; every other link is up."""
        down = set(down)
        if down == self._down:
            return
        self._down = down
        if self._model:
            self._model.down = self._model.link_mask(self._down)
        self._invalidate()  # the link raster's key names the down cables it draws

    def set_highlight(self, tree_links: Iterable[LinkKey], ports: Iterable[PortRef],
                      color_key: str = "tree") -> None:
        """Highlight a multicast group: its tree's links and its member ports."""
        if color_key not in HIGHLIGHT_LABELS:
            raise ValueError(f"unknown highlight {color_key!r}; use one of "
                             f"{', '.join(HIGHLIGHT_LABELS)}")
        highlight = (set(tree_links), set(ports), color_key)
        if highlight == self._highlight:
            return
        self._highlight = highlight
        self._apply_highlight()
        self._invalidate()  # drawn over the link raster (ibviz.gui.canvas.layers)

    def set_change_marks(self, marks: object | None) -> None:
        """Draw a comparison's marks (:class:`~ibviz.app.live_changes.ChangeMarks`: ghosts
        of what went, rings on what came or changed) over the fabric; None: no marks."""
        self._marks = marks
        self.viewport().update()

    def select(self, guid: int | None) -> None:
        """Mark one node as selected (a ring around it), or none."""
        model = self._model
        self._selected = model.index.get(guid, -1) if model and guid is not None else -1
        self.viewport().update()

    def selected(self) -> int | None:
        return self._model.guids[self._selected] if self._model and self._selected >= 0 else None

    def set_pinned_labels(self, guids: Iterable[int], font_scale: float = 1.0) -> None:
        """Nodes whose labels stay at every zoom, most important first; every label's
        size is multiplied by ``font_scale`` (see :mod:`ibviz.gui.canvas.labels`)."""
        pinned = (list(dict.fromkeys(guids)), float(font_scale))
        if pinned != self._pinned:
            self._pinned = pinned
            self._apply_pinned()
            self._invalidate()

    def _apply_pinned(self) -> None:
        if self._model is not None:
            index = self._model.index
            self._model.pinned = [index[g] for g in self._pinned[0] if g in index]
            self._model.label_scale = self._pinned[1]

    def set_theme(self, theme: str) -> None:
        """``light`` or ``dark``."""
        self._theme = canvas_theme(theme)
        self.setBackgroundBrush(QColor(self._theme.background))
        self.packets.set_theme(self._theme)
        self._invalidate(links=True)

    def theme(self) -> str:
        return self._theme.name

    def tooltip_for(self, guid: int) -> str:
        """Name, kind, GUID, LIDs/LMC per port and state of a node."""
        node = self._model.fabric.node(guid)  # type: ignore[union-attr]
        return tooltip_text(node, self._states.get(guid, "active"))

    def search(self, text: str) -> list[int]:
        """Nodes matching a name, description, GUID (hex) or LID; selects and centres on
        the first, or on the next one when the same text is searched again."""
        if self._model is None:
            return []
        hits = search_nodes(self._model.fabric, text)
        if hits:
            last_text, last = self._last_search
            pick = (last + 1) % len(hits) if last_text == text else 0
            self._last_search = (text, pick)
            self.center_on(hits[pick])
            self.select(hits[pick])
        return hits

    # ------------------------------------------------------------- painting
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        if self._exporting:
            paint_fabric(painter, rect, self._model, self._theme, ratio, visible)
            return
        key = (id(self._model), self._links_version)
        paint_fabric(painter, rect, self._model, self._theme, ratio, visible, self._layer, key,
                     self._preview, self._details)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if self._model is not None and self._marks is not None:
            from ibviz.gui.canvas.marks import paint_change_marks

            paint_change_marks(painter, self._marks, self._model.xy_of,
                               glyph_size(self._scale()) * 0.5)
        if self._model is not None:
            # failed / taking over / recovering nodes again, above the packet glyphs
            device = painter.device()
            paint_state_marks(painter, self._model, self._theme, rect,
                              device.devicePixelRatioF() if device is not None else 1.0)
        if self._model is None or self._selected < 0:
            return
        x, y = self._model.xy[self._selected]
        centre = painter.worldTransform().map(QPointF(float(x), float(y)))
        radius = glyph_size(self._scale()) * 0.5 + 7
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        box = QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)
        towards = self._label_angle(self._selected)
        for colour, width in ((self._theme.background, 5.0), (self._theme.selection, 2.5)):
            painter.setPen(QPen(QColor(colour), width))
            if towards is None:
                painter.drawEllipse(centre, radius, radius)
            else:  # open where the label is: it stays readable ("LID 7" was half covered)
                start = towards + RING_GAP_DEG / 2
                painter.drawArc(box, round(start * 16), round((360 - RING_GAP_DEG) * 16))
        painter.restore()

    def _label_angle(self, i: int) -> float | None:
        """Direction (degrees, counter-clockwise from 3 o'clock, as Qt's arcs) of node
        ``i``'s label from its centre; None when it has no label placed."""
        model = self._model
        side = model.label_sides.get(i) if model is not None else None
        if side is None:
            return None
        if side >= 2:
            return 0.0 if side == 2 else 180.0
        below = (side == 0) == (model.kinds[i] == 0)  # CAs' usual side is below
        return 270.0 if below else 90.0

    # -------------------------------------------------------------- internals
    def _invalidate(self, links: bool = False) -> None:
        """Repaint the background; ``links`` when link drawing changed (not just nodes)."""
        if links:
            self._links_version += 1
            self._layer.clear()
            self._details.clear()
        self.resetCachedContent()
        self.viewport().update()

    def _settled(self) -> None:
        if self._preview:
            self._preview = False
            self._invalidate()

    def _apply_highlight(self) -> None:
        if self._model:
            links, ports, key = self._highlight
            self._model.tree = self._model.link_mask(links)
            self._model.member_ports = sorted(ports)
            self._model.highlight_key = key

    def _move_node(self, index: int, xy: np.ndarray) -> None:
        self._model.xy[index] = xy
        self._model.label_sides.clear()  # the layout changed: labels are placed afresh
        self._invalidate(links=True)

    def _node_moved(self) -> None:
        self._update_scene_rect()
        self.positionsChanged.emit()

    def _subscribe(self, fabric: Fabric) -> None:
        """Follow topology and LID changes of ``fabric`` (a weak link: the bus never keeps
        a closed view alive)."""
        ref = weakref.ref(self)

        def later(what: str) -> Callable[[object], None]:
            def handler(_event: object) -> None:
                view = ref()
                if view is not None and shiboken6.isValid(view):
                    if not view._pending:
                        QTimer.singleShot(0, view._apply_pending)
                    view._pending.add(what)
            return handler

        for kind in (NodeAdded, NodeRemoved, LinkAdded, LinkRemoved):
            self._unsubscribe.append(fabric.events.subscribe(kind, later("topology")))
        self._unsubscribe.append(fabric.events.subscribe(LidAssigned, later("labels")))
        handlers = list(self._unsubscribe)
        self.destroyed.connect(lambda *_: [unsubscribe() for unsubscribe in handlers])

    def _apply_pending(self) -> None:
        pending, self._pending = self._pending, set()
        model = self._model
        if "topology" in pending and model is not None:
            selected = self.selected()
            self._model = CanvasModel.build(model.fabric, model.positions())
            self._keep_forced(model)
            self._model.set_states({g: s for g, s in self._states.items()
                                    if g in self._model.index})
            self._model.down = self._model.link_mask(self._down)
            self._apply_highlight()
            self._apply_pinned()
            self._selected = self._model.index.get(selected, -1) if selected else -1
            self._update_scene_rect()
        self._invalidate(links="topology" in pending)
