"""A big fabric's state and highlight changes reuse the cached link and badge layers, and
the screen still shows what a fresh paint (the export) shows."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QImage  # noqa: E402

from ibviz.gui.canvas.view import FabricView  # noqa: E402
from ibviz.topology import open_fabric  # noqa: E402

pytestmark = pytest.mark.gui


def rgb(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    raw = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1, 4)
    return raw[:, : image.width(), 2::-1].astype(int)


@pytest.fixture(scope="module")
def fabric():
    return open_fabric("fat-tree:k=20,n=3")  # 2,500 nodes: cached layers, badges, bundles


@pytest.fixture
def view(qtbot, fabric):
    v = FabricView()
    qtbot.addWidget(v)
    v.resize(1000, 640)
    v.show()
    qtbot.waitExposed(v)
    v.set_fabric(fabric)
    v.viewport().repaint()
    return v


def differing(view: FabricView) -> float:
    """Share of pixels where the screen (cached layers) and the export (all drawn afresh)
    disagree clearly."""
    view.viewport().repaint()
    shown = rgb(view.viewport().grab().toImage())
    return float((abs(shown - rgb(view.render_image())).max(axis=2) > 40).mean())


def switch_links(fabric, count: int) -> list:
    """``count`` cables between two switches (a tree's cables, drawn one by one)."""
    switches = {n.guid for n in fabric.switches()}
    links = [link.key for link in fabric.links.values()
             if link.a.node in switches and link.b.node in switches]
    return links[:count]


def test_state_highlight_and_down_changes_reuse_the_layers_and_look_the_same(view, fabric):
    assert view._layer.image is not None and view._details.image is not None
    links, badges = view._layer.image, view._details.image
    assert differing(view) < 2e-3
    hca = next(iter(fabric.cas())).guid
    view.set_node_states({hca: "failed"})
    assert differing(view) < 2e-3
    tree = switch_links(fabric, 12)
    view.set_highlight(tree, [])
    assert differing(view) < 2e-3
    view.set_highlight(tree[4:], [], "alt")
    view.set_node_states({hca: "failed", tree[0][0][0]: "taking_over"})
    assert differing(view) < 2e-3
    # nothing re-rastered: the cables and the badges are the same images
    assert view._layer.image is links and view._details.image is badges
    # the failed HCA's badge has the failure edge, as in a fresh paint (trouble drawn live)
    shown = rgb(view.viewport().grab().toImage())
    view.set_node_states({})
    view.viewport().repaint()
    assert (abs(shown - rgb(view.viewport().grab().toImage())).max(axis=2) > 40).any()


def test_switch_cables_going_down_are_drawn_as_a_fresh_paint_draws_them(view, fabric):
    view.set_link_states(switch_links(fabric, 40))
    assert differing(view) < 2e-3
    view.zoom_by(3.0)  # cables drawn one by one: the raster leaves the down ones out
    view.viewport().repaint()
    assert differing(view) < 2e-3
    view.set_link_states([])
    assert differing(view) < 2e-3


def test_zoom_and_theme_renew_the_layers(view, qtbot):
    badges = view._details.image
    view.zoom_by(1.5)
    view.viewport().repaint()  # a zoom step paints directly: no image rastered per step
    assert view._preview and view._layer.image is None and view._details.image is badges
    qtbot.waitUntil(lambda: not view._preview, timeout=5000)
    view.viewport().repaint()
    assert view._layer.image is not None
    assert differing(view) < 2e-3
    assert view._details.image is not badges
    badges = view._details.image
    view.set_theme("dark")
    assert differing(view) < 2e-3
    assert view._details.image is not badges


def test_a_failed_nodes_mark_stays_above_a_mad_glyph_on_it(qtbot):
    from ibviz.gui.canvas.paint import glyph_size
    from ibviz.topology.builtin import FAILOVER_ROLES

    view = FabricView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    view.set_fabric(open_fabric("fig10"))
    primary = FAILOVER_ROLES["fig10"]["primary"]
    view.set_node_states({primary: "failed"})
    centre = view.mapFromScene(view.node_xy([primary])[0][0], view.node_xy([primary])[0][1])
    r = int(glyph_size(view._scale()) * 0.3)

    def around() -> np.ndarray:
        return rgb(view.render_image())[centre.y() - r:centre.y() + r + 1,
                                        centre.x() - r:centre.x() + r + 1]

    bare = around()
    sa_mad = 5  # PACKET_STYLES: the SA MAD envelope, as at start-up
    view.packets.show_glyphs(view.node_xy([primary]), np.array([sa_mad]), np.array([-1]))
    assert view.packets.marker_count() == 1
    assert (abs(around() - bare).max(axis=2) <= 40).all()  # the failed mark is on top
    view.set_node_states({})
    assert (abs(around() - bare).max(axis=2) > 40).any()  # (not failed: the MAD shows)
