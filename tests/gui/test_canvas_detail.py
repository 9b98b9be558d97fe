"""Level of detail on the canvas, as a user meets it on the DGX SuperPOD file: zoomed out,
leaf blocks are badges and switch tiers are joined by bundles; zooming in or a
double-click opens them. A left-drag pans (positions unchanged); a modifier-drag moves
the node (pytest-qt, offscreen platform)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e '.[test]'")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage  # noqa: E402

from ibviz.gui.canvas.badges import badge_rects  # noqa: E402
from ibviz.gui.canvas.native import device_transform_of  # noqa: E402
from ibviz.gui.canvas.view import FabricView  # noqa: E402
from ibviz.gui.palette import THEMES  # noqa: E402
from ibviz.topology import open_fabric  # noqa: E402

pytestmark = pytest.mark.gui
NAME = "hyungkwang-dgxa100-superpod-hdr-bom-crlf.txt"
HERE = Path(__file__).resolve()
SUPERPOD = next((p / "shared" / "fabrics" / "public" / NAME for p in HERE.parents
                 if (p / "shared" / "fabrics" / "public" / NAME).is_file()), None)
needs_superpod = pytest.mark.skipif(SUPERPOD is None, reason=f"{NAME} is not beside the checkout")


@pytest.fixture
def view(qtbot):
    v = FabricView()
    qtbot.addWidget(v)
    v.resize(1200, 800)
    v.show()
    qtbot.waitExposed(v)
    return v


def pixel(image: QImage, x: float, y: float) -> QColor:
    return image.pixelColor(round(x), round(y))


@needs_superpod
def test_zoomed_out_superpod_shows_badges_and_bundles_and_zooming_in_opens_them(view):
    fabric = open_fabric(str(SUPERPOD))
    view.set_fabric(fabric)
    view.zoom_by(0.5)  # the canvas of a 1920x1080 window fits it at about this scale
    model = view._model
    detail = model.detail
    blocks = view.blocks()
    assert len(blocks) >= 50  # a block under every leaf that has hosts (58 here)
    assert sorted(view.collapsed_blocks()) == sorted(blocks)
    assert detail.bundled(view._scale()) and detail.bundle_count.sum() > 1000
    # a badge is painted over its block, in the badge fill (not the background)
    image = view.render_image()
    rects = badge_rects(model, device_transform_of(view), detail.collapsed(view._scale()))
    x0, y0, x1, y1 = rects[0]
    assert pixel(image, (x0 + x1) / 2, (y0 + y1) / 2 + 1) != QColor(THEMES["light"].background)
    # the hosts inside are not drawn nor hit: the badge is
    leaf = int(detail.leaves[detail.collapsed(view._scale())[0]])
    host = int(detail.members[detail.collapsed(view._scale())[0]][0])
    at = view.mapFromScene(QPointF(*model.xy[host]))
    assert view.node_at(QPointF(at)) != host
    assert view.block_at(QPointF(at)) >= 0
    assert fabric.node(model.guids[leaf]).kind.name == "SWITCH"
    # zoomed in on a host: every block opens and the host is drawn and hit
    view.center_on(model.guids[host])
    assert view.collapsed_blocks() == []
    assert not detail.bundled(view._scale())
    at = view.mapFromScene(QPointF(*model.xy[host]))
    assert view.node_at(QPointF(at)) == host


@needs_superpod
def test_double_click_opens_one_badge_and_closes_it_again(view, qtbot):
    view.set_fabric(open_fabric(str(SUPERPOD)))
    view.zoom_by(0.5)
    model, detail = view._model, view._model.detail
    block = int(detail.collapsed(view._scale())[0])
    leaf = model.guids[int(detail.leaves[block])]
    x0, y0, x1, y1 = badge_rects(model, device_transform_of(view), np.array([block]))[0]
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton,
                      pos=QPoint(round((x0 + x1) / 2), round((y0 + y1) / 2)))
    assert leaf not in view.collapsed_blocks()
    assert len(view.collapsed_blocks()) == len(view.blocks()) - 1
    host = int(detail.members[block][0])
    at = view.mapFromScene(QPointF(*model.xy[host]))
    assert view.node_at(QPointF(at)) == host
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=at)  # on a host: closes
    assert leaf in view.collapsed_blocks()
    view.set_block(leaf, False)
    assert leaf not in view.collapsed_blocks()
    view.set_all_blocks(None)
    assert leaf in view.collapsed_blocks()


def drag(qtbot, view, start: QPoint, end: QPoint, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, modifier, pos=start)
    for step in range(1, 6):
        qtbot.mouseMove(view.viewport(), start + (end - start) * step / 5)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, modifier, pos=end)


@pytest.mark.parametrize("on_node", [True, False], ids=["on-a-node", "on-empty-space"])
def test_left_drag_pans_and_leaves_positions_alone(view, qtbot, on_node):
    view.set_fabric(open_fabric("fig10"))
    before = view.positions()
    guid = next(iter(before))
    start = view.mapFromScene(QPointF(*before[guid])) if on_node else QPoint(6, 6)
    assert (view.node_at(QPointF(start)) >= 0) == on_node
    centre = view.mapToScene(view.viewport().rect().center())
    with qtbot.assertNotEmitted(view.positionsChanged), \
            qtbot.assertNotEmitted(view.nodeClicked):
        drag(qtbot, view, start, start + QPoint(60, 40))
    assert view.positions() == before
    moved = view.mapToScene(view.viewport().rect().center())
    scale = view._scale()
    assert moved.x() == pytest.approx(centre.x() - 60 / scale, abs=2 / scale)
    assert moved.y() == pytest.approx(centre.y() - 40 / scale, abs=2 / scale)


@pytest.mark.parametrize("modifier", [Qt.KeyboardModifier.ShiftModifier,
                                      Qt.KeyboardModifier.AltModifier], ids=["shift", "alt"])
def test_modifier_drag_moves_the_node_not_the_view(view, qtbot, modifier):
    view.set_fabric(open_fabric("fig10"))
    before = view.positions()
    guid = next(iter(before))
    start = view.mapFromScene(QPointF(*before[guid]))
    centre = view.mapToScene(view.viewport().rect().center())
    with qtbot.waitSignal(view.positionsChanged, timeout=1000):
        drag(qtbot, view, start, start + QPoint(50, -30), modifier)
    after = view.positions()
    scale = view._scale()
    assert after[guid][0] == pytest.approx(before[guid][0] + 50 / scale, abs=2 / scale)
    assert {g: p for g, p in after.items() if g != guid} == \
        {g: p for g, p in before.items() if g != guid}
    assert view.mapToScene(view.viewport().rect().center()) == centre



def test_core_bundles_are_split_by_pod_and_hold_every_switch_cable_once():
    """A fat tree's core plane reaches every pod: its bundle is one per pod, each starting
    in that pod (not across the fabric), and every cable between switches is in exactly
    one bundle."""
    from ibviz.gui.canvas.model import CanvasModel

    model = CanvasModel.build(open_fabric("fat-tree:k=8,n=3"))
    detail = model.detail
    between = (model.kinds == 1)[model.ends].all(axis=1)
    assert (detail.link_bundle[between] >= 0).all()
    assert (detail.link_bundle[~between] == -1).all()
    assert detail.bundle_count.sum() == between.sum()
    spans = [float(np.ptp(model.xy[low, 0])) for low, _up in detail.bundle_ends]
    assert max(spans) < float(np.ptp(model.xy[:, 0])) / 4
    assert len(detail.bundle_ends) > 8
