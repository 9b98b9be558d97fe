"""The fabric canvas as a user meets it: what it paints where, clicks, drags, search,
themes, packet markers and exports (pytest-qt, offscreen platform)."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e '.[test]'")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage  # noqa: E402

from ibviz.core.fabric import Fabric  # noqa: E402
from ibviz.core.model import Node, NodeKind, PortRef  # noqa: E402
from ibviz.gui.canvas.paint import glyph_size  # noqa: E402
from ibviz.gui.canvas.view import FabricLegend, FabricView  # noqa: E402
from ibviz.gui.palette import NODE_STATES, STATE_LABELS, THEMES  # noqa: E402
from ibviz.topology import open_fabric  # noqa: E402
from ibviz.topology.builtin import FAILOVER_ROLES  # noqa: E402

pytestmark = pytest.mark.gui
LIGHT = THEMES["light"]


@pytest.fixture
def view(qtbot):
    v = FabricView()
    qtbot.addWidget(v)
    v.resize(900, 600)
    v.show()
    qtbot.waitExposed(v)
    return v


def show(view: FabricView, spec: str):
    fabric = open_fabric(spec)
    view.set_fabric(fabric)
    return fabric


def at(view: FabricView, guid: int) -> QPoint:
    """Viewport pixel of a node's centre."""
    x, y = view.positions()[guid]
    return view.mapFromScene(QPointF(x, y))


def rgb(image: QImage) -> np.ndarray:
    """``(height, width, 3)`` red, green, blue of an ARGB32 image."""
    raw = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1, 4)
    return raw[:, : image.width(), 2::-1].astype(int)


def colour_near(image: QImage, point: QPoint, colour: str, radius: int = 3,
                tolerance: int = 40) -> bool:
    """Some pixel within ``radius`` of ``point`` has ``colour`` (per-channel tolerance)."""
    want = QColor(colour)
    box = rgb(image)[point.y() - radius:point.y() + radius + 1,
                     point.x() - radius:point.x() + radius + 1]
    return bool((abs(box - (want.red(), want.green(), want.blue())).max(axis=2)
                 <= tolerance).any())


def inside(view: FabricView, guid: int, fraction: float = 0.3) -> QPoint:
    """A pixel inside a node's glyph, above the state mark at its centre."""
    return at(view, guid) + QPoint(0, -round(glyph_size(view._scale()) * fraction))


def link_key(fabric, a: int, b: int):
    return next(k for k in fabric.links if {k[0].node, k[1].node} == {a, b})


# ------------------------------------------------------------------ painting
def test_failed_node_is_painted_in_the_failed_colour_at_its_position(view):
    fabric = show(view, "fig10")
    roles = FAILOVER_ROLES["fig10"]
    image = view.render_image()
    above_mark = inside(view, roles["primary"])
    assert colour_near(image, above_mark, LIGHT.state_fill["active"], radius=1)

    view.set_node_states({roles["primary"]: "failed", roles["takeover"]: "taking_over"})
    image = view.render_image()
    assert colour_near(image, above_mark, LIGHT.state_fill["failed"], radius=1)
    takeover = inside(view, roles["takeover"], 0.34)
    assert colour_near(image, takeover, LIGHT.state_fill["taking_over"], radius=1)
    sender = inside(view, roles["senders"][0])
    assert colour_near(image, sender, LIGHT.state_fill["active"], radius=1)
    assert fabric.nodes[roles["primary"]].label  # the node is still in the fabric


def test_highlighted_tree_colour_shows_on_link_midpoints_and_only_there(view):
    fabric = show(view, "fig8")
    roles = FAILOVER_ROLES["fig8"]
    tree = {link_key(fabric, roles["switch"], roles["takeover"])}
    plain = link_key(fabric, roles["switch"], roles["primary"])
    view.set_highlight(tree, {PortRef(roles["takeover"], 1)})
    image = view.render_image()

    def midpoint(key):
        a, b = view.positions()[key[0].node], view.positions()[key[1].node]
        return view.mapFromScene(QPointF((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))

    yellow = LIGHT.highlight["tree"]
    assert colour_near(image, midpoint(next(iter(tree))), yellow)
    assert not colour_near(image, midpoint(plain), yellow, radius=6)
    with pytest.raises(ValueError, match="unknown highlight"):
        view.set_highlight(tree, set(), color_key="purple")


def test_down_link_is_drawn_dashed_in_the_down_colour(view):
    fabric = show(view, "fig10")
    roles = FAILOVER_ROLES["fig10"]
    key = link_key(fabric, roles["switch"], roles["primary"])
    a, b = (np.array(view.positions()[ref.node]) for ref in key)
    samples = [view.mapFromScene(QPointF(*(a + (b - a) * t))) for t in np.linspace(0.3, 0.7, 9)]
    view.set_link_states({key})
    image = view.render_image()
    hits = [colour_near(image, p, LIGHT.link_down, radius=1) for p in samples]
    assert any(hits) and not all(hits)  # dashes: some samples on a dash, some in a gap


def test_dark_theme_changes_background_and_legend(view, qtbot):
    show(view, "fig10")
    corner = QPoint(3, 3)
    assert view.render_image().pixelColor(corner) == QColor(LIGHT.background)
    view.set_theme("dark")
    assert view.theme() == "dark"
    assert view.render_image().pixelColor(corner) == QColor(THEMES["dark"].background)
    with pytest.raises(ValueError):
        view.set_theme("sepia")
    legend = FabricLegend()
    qtbot.addWidget(legend)
    legend.resize(legend.sizeHint())
    assert [STATE_LABELS[s] for s in NODE_STATES] == [t for t in legend.labels()
                                                      if t in STATE_LABELS.values()]
    legend.set_theme("dark")
    assert legend.grab().toImage().pixelColor(1, 1) == QColor(THEMES["dark"].background)


def test_labels_show_names_and_lids_only_when_zoomed_in(view):
    show(view, "fat-tree:k=4,n=3")

    def ink_between_glyphs() -> int:
        """Dark (text) pixels away from every glyph."""
        ys, xs = np.nonzero(rgb(view.render_image()).sum(axis=2) < 200)
        radius = glyph_size(view._scale()) / 2 + 3
        far = np.ones(len(xs), bool)
        for c in map(lambda g: at(view, g), view.positions()):
            far &= np.hypot(xs - c.x(), ys - c.y()) > radius
        return int(far.sum())

    assert ink_between_glyphs() == 0  # the whole fat tree: no room for labels
    view.zoom_by(4.0)
    view._settled()
    assert ink_between_glyphs() > 200  # names of the nodes in view


# --------------------------------------------------------------- interaction
def test_clicking_a_node_emits_its_guid_and_right_click_asks_for_a_menu(view, qtbot):
    fabric = show(view, "fig10")
    guid = FAILOVER_ROLES["fig10"]["takeover"]
    with qtbot.waitSignal(view.nodeClicked, timeout=1000) as clicked:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=at(view, guid))
    assert clicked.args == [guid]
    with qtbot.waitSignal(view.nodeContextMenuRequested, timeout=1000) as menu:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.RightButton, pos=at(view, guid))
    assert menu.args[0] == guid
    assert menu.args[1] == view.viewport().mapToGlobal(at(view, guid))
    lid = fabric.nodes[guid].ports[1].lid
    assert "second-node" in view.tooltip_for(guid) and f"LID {lid}," in view.tooltip_for(guid)
    assert fabric.nodes[guid].description in view.tooltip_for(guid)


def test_hovering_a_node_reports_it(view, qtbot):
    show(view, "fig10")
    guid = FAILOVER_ROLES["fig10"]["switch"]
    qtbot.mouseMove(view.viewport(), QPoint(2, 2))
    with qtbot.waitSignal(view.nodeHovered, timeout=1000) as hovered:
        qtbot.mouseMove(view.viewport(), at(view, guid) + QPoint(3, 2))
    assert hovered.args == [guid]


def test_full_64_bit_guids_survive_signals_and_lookups(view, qtbot):
    """Real GUIDs (0xe41d2d..., 0x98039b...) do not fit a C int or an int64."""
    fabric = Fabric("big-guids")
    switch = fabric.add_node(Node(0xE41D2D0300A1B2C0, NodeKind.SWITCH, 4, name="sw"))
    host = fabric.add_node(Node(0x98039B0300FFEE01, NodeKind.CA, 1, name="host"))
    fabric.connect(PortRef(host.guid, 1), PortRef(switch.guid, 1))
    view.set_fabric(fabric)
    with qtbot.waitSignal(view.nodeClicked, timeout=1000) as clicked:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=at(view, switch.guid))
    assert clicked.args == [switch.guid]
    xy = view.node_xy(np.array([host.guid, switch.guid], np.uint64))
    assert xy.tolist() == [list(view.positions()[host.guid]),
                           list(view.positions()[switch.guid])]
    assert view.search("a1b2c0") == [switch.guid]


def test_clicking_a_link_midpoint_emits_the_link_ends(view, qtbot):
    fabric = show(view, "fig8")
    roles = FAILOVER_ROLES["fig8"]
    key = link_key(fabric, roles["switch"], roles["senders"][0])
    a, b = view.positions()[key[0].node], view.positions()[key[1].node]
    mid = view.mapFromScene(QPointF((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))
    with qtbot.waitSignal(view.linkClicked, timeout=1000) as clicked:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=mid)
    assert tuple(clicked.args) == key
    with qtbot.assertNotEmitted(view.linkClicked), qtbot.assertNotEmitted(view.nodeClicked):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(4, 4))


def test_shift_dragging_a_node_moves_it_and_positions_reflect_it(view, qtbot):
    """A plain drag pans (tests/gui/test_canvas_detail.py); Shift+drag moves the node."""
    show(view, "fig10")
    guid = FAILOVER_ROLES["fig10"]["senders"][0]
    before = view.positions()[guid]
    start = at(view, guid)
    end = start + QPoint(-60, -80)
    with qtbot.waitSignal(view.positionsChanged, timeout=1000), \
            qtbot.assertNotEmitted(view.nodeClicked):
        qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.ShiftModifier, pos=start)
        for step in range(1, 6):
            qtbot.mouseMove(view.viewport(), start + (end - start) * step / 5)
        qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.ShiftModifier, pos=end)
    after = view.positions()[guid]
    scale = view._scale()
    assert after[0] == pytest.approx(before[0] - 60 / scale, abs=2 / scale)
    assert after[1] == pytest.approx(before[1] - 80 / scale, abs=2 / scale)
    assert at(view, guid) == end
    with qtbot.waitSignal(view.nodeClicked, timeout=1000) as clicked:  # hit test follows
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=end)
    assert clicked.args == [guid]


def test_wheel_zoom_keeps_the_point_under_the_cursor(view):
    show(view, "fat-tree:k=4,n=3")
    cursor = QPointF(200, 150)
    before = view.mapToScene(cursor.toPoint())
    scale = view._scale()
    view.zoom_by(1.8, cursor)
    assert view._scale() == pytest.approx(scale * 1.8)
    after = view.mapToScene(cursor.toPoint())
    assert abs(after.x() - before.x()) < 2 / view._scale()
    assert abs(after.y() - before.y()) < 2 / view._scale()
    view.fit()
    for x, y in view.positions().values():
        assert view.viewport().rect().contains(view.mapFromScene(QPointF(x, y)))


def test_search_by_name_guid_and_lid_selects_and_centres(view):
    lids = open_fabric("fig8")
    view.set_fabric(lids)
    lid_of = {p.lid: n.guid for n in lids.nodes.values() for p in n.lid_ports()}
    assert view.search("5") == [lid_of[5]]
    fabric = show(view, "fat-tree:k=4,n=3")
    node = next(n for n in fabric.cas() if n.name == "node0042")
    assert view.search("node0042") == [node.guid]
    assert view.selected() == node.guid
    centre = view.viewport().rect().center()
    assert (at(view, node.guid) - centre).manhattanLength() <= 2
    assert view.search(f"{node.guid:#018x}") == [node.guid]
    assert view.search(f"{node.guid:016x}"[-6:]) == [node.guid]
    assert view.search("no-such-node") == []
    leaves = view.search("L1-sw")
    assert len(leaves) == 16
    view.search("L1-sw")
    assert view.selected() == leaves[1]  # searching again moves to the next hit


# -------------------------------------------------------------------- packets
def test_markers_appear_where_hops_are_in_flight(view):
    show(view, "fig10")
    roles = FAILOVER_ROLES["fig10"]
    src = view.node_xy([roles["senders"][0]])
    dst = view.node_xy([roles["switch"]])
    shown = view.packets.show_hops(np.array([0.0, 5.0]), np.array([2.0, 9.0]),
                                   np.vstack([src, src]), np.vstack([dst, dst]),
                                   np.array([1, 0]), t=0.5)
    assert shown == 1 and view.packets.marker_count() == 1
    where = src[0] + (dst[0] - src[0]) * 0.25
    point = view.mapFromScene(QPointF(*where))
    assert colour_near(view.render_image(), point, LIGHT.flows[1], radius=2)
    view.packets.show_hops(np.array([0.0]), np.array([2.0]), src, dst, np.array([1]), t=3.0)
    assert not colour_near(view.render_image(), point, LIGHT.flows[1], radius=2)


def test_drops_show_a_cross_for_a_while(view):
    show(view, "fig10")
    roles = FAILOVER_ROLES["fig10"]
    xy = view.node_xy([roles["primary"]]) + (0.0, -0.8)
    point = view.mapFromScene(QPointF(*xy[0]))
    view.packets.set_drops(xy, times=np.array([10.0]), lifetime=5.0)
    view.packets.set_time(10.0)
    assert colour_near(view.render_image(), point, LIGHT.drop, radius=2)
    view.packets.set_time(20.0)
    assert not colour_near(view.render_image(), point, LIGHT.drop, radius=4)
    view.packets.set_time(9.0)  # stepping back before the drop
    assert not colour_near(view.render_image(), point, LIGHT.drop, radius=4)


# ---------------------------------------------------------------- the fabric
def test_view_follows_topology_changes(view, qtbot):
    fabric = show(view, "fig8")
    roles = FAILOVER_ROLES["fig8"]
    key = link_key(fabric, roles["switch"], roles["takeover"])
    fabric.disconnect(key[0])
    qtbot.waitUntil(lambda: len(view._model.keys) == len(fabric.links), timeout=1000)
    fabric.connect(*key)
    qtbot.waitUntil(lambda: len(view._model.keys) == len(fabric.links), timeout=1000)
    assert set(view.positions()) == set(fabric.nodes)


def test_exports_png_and_svg(view, tmp_path):
    show(view, "fig10")
    view.set_node_states({FAILOVER_ROLES["fig10"]["primary"]: "failed"})
    view.render_png(tmp_path / "view.png", size=(640, 400))
    image = QImage(str(tmp_path / "view.png"))
    assert (image.width(), image.height()) == (640, 400)
    view.render_svg(tmp_path / "view.svg")
    svg = (tmp_path / "view.svg").read_text()
    assert "<svg" in svg and "<path" in svg
    assert LIGHT.state_fill["failed"].lower() in svg.lower()
    assert "<image" not in svg  # glyphs are vectors, not pixmaps


def test_positions_round_trip_through_set_fabric(view):
    fabric = show(view, "fig8")
    moved = {g: (x + 1.0, y * 2.0) for g, (x, y) in view.positions().items()}
    view.set_fabric(fabric, moved)
    assert view.positions() == pytest.approx(moved)
    view.zoom_by(0.5)
    zoomed, centre = view._scale(), view.mapToScene(view.viewport().rect().center())
    view.set_fabric(fabric, view.positions(), fit=False)  # e.g. after an undo: camera stays
    assert view._scale() == zoomed
    assert view.mapToScene(view.viewport().rect().center()) == centre
    view.set_fabric(fabric, view.positions())
    assert view._scale() != zoomed
    with pytest.raises(ValueError, match="unknown node state"):
        view.set_node_states({next(iter(fabric.nodes)): "asleep"})


def test_ten_thousand_nodes_set_fabric_quickly_and_draw_like_the_export(view, qtbot,
                                                                        monkeypatch):
    fabric = open_fabric("leaf-spine:hcas=9400")
    start = time.perf_counter()
    view.set_fabric(fabric)
    view.viewport().repaint()
    assert time.perf_counter() - start < 2.0
    assert len(view.positions()) == len(fabric.nodes) == 10004
    # every cable drawn (no badge, no bundle), as zoomed in: the links are a raster
    monkeypatch.setattr("ibviz.gui.canvas.detail.BUNDLE_AT", 0.0)
    view.set_all_blocks(False)

    def differing() -> float:
        """Share of pixels where the screen (links from the cached raster) and the export
        (everything drawn afresh) disagree."""
        view.viewport().repaint()
        shown = rgb(view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_ARGB32))
        return float((abs(shown - rgb(view.render_image())).max(axis=2) > 40).mean())

    assert differing() < 1e-4
    assert view._layer.image is not None  # the links came from the raster
    view.set_node_states({next(iter(fabric.cas())).guid: "failed"})  # links reused as they are
    assert differing() < 1e-4
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + 120)  # a pan
    assert differing() < 1e-4


@pytest.mark.parametrize("name", ["first-node", "switch-1"])
def test_the_selection_ring_leaves_the_nodes_label_alone(view, name):
    """The ring around the selected node opens towards its label (at 1280x720 it covered
    half of "LID 7" under the name): nothing it paints lies in the label's direction."""
    fabric = show(view, "fig10")
    guid = next(g for g, n in fabric.nodes.items() if n.name == name)
    view.set_pinned_labels([guid])
    view._settled()

    def image() -> np.ndarray:
        view.viewport().repaint()
        return rgb(view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_ARGB32))

    before = image()
    view.select(guid)
    after = image()
    i = view._model.index[guid]
    side = view._model.label_sides[i]
    down = (0.0, 1.0) if (side == 0) == (view._model.kinds[i] == 0) else (0.0, -1.0)
    direction = {0: down, 1: (-down[0], -down[1]), 2: (1.0, 0.0), 3: (-1.0, 0.0)}[side]
    ys, xs = np.nonzero((before != after).any(axis=2))
    assert len(xs), "the selection paints a ring"
    c = at(view, guid)
    dx, dy = xs - c.x(), ys - c.y()
    dist = np.hypot(dx, dy)
    along = (dx * direction[0] + dy * direction[1]) / np.maximum(dist, 1e-9)
    towards_label = (along > np.cos(np.radians(25))) & (dist > glyph_size(view._scale()) / 2)
    assert not towards_label.any(), list(zip(dx[towards_label], dy[towards_label], strict=True))[:5]
