"""Labels that matter stay, and the presentation preset: after a failover at 1280x720
the takeover's label is drawn (it lost its place to the failed primary's before), at
any zoom; View > Presentation hides docks and enlarges fonts, and turning it off
restores the docks."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from conftest import open_window  # noqa: E402
from ibviz.core.naming import node_name  # noqa: E402
from ibviz.gui.canvas.model import label_lines  # noqa: E402
from ibviz.gui.canvas.paint import LABEL_SCALE  # noqa: E402

pytestmark = pytest.mark.gui


def drawn_labels(window, monkeypatch) -> list[str]:
    """The texts the canvas's labeller draws in one full repaint."""
    from ibviz.gui.canvas import labels

    texts: list[str] = []
    pill = labels.Labeller.pill

    def record(self, text, *args, **kwargs):
        texts.append(text)
        return pill(self, text, *args, **kwargs)

    monkeypatch.setattr(labels.Labeller, "pill", record)
    window.view.resetCachedContent()
    window.view.viewport().grab()
    monkeypatch.setattr(labels.Labeller, "pill", pill)
    return texts


@pytest.mark.parametrize("spec", ["demo", "fig8", "rc-unicast-group-lid", "two-subnets"])
def test_the_takeovers_label_stays_after_a_failover(qtbot, settings, monkeypatch, spec):
    window = open_window(qtbot, settings, spec, size=(1280, 720))
    assert window.play_through_failover()
    s = window.session
    pg = next(iter(s.controller.groups.values()))
    name = label_lines(s.fabric.nodes[pg.takeover])[0]
    pinned = [window.view._model.guids[i] for i in window.view._model.pinned]
    assert {pg.primary, pg.takeover, *pg.senders} <= set(pinned)
    assert name in drawn_labels(window, monkeypatch)
    label = node_name(s.fabric.nodes[pg.takeover])  # the group panel agrees with the narration
    assert label in window.narration.sentence and "served by" in window.narration.sentence
    states = {m: st for m, _j, _r, st in window.groups.member_rows(pg.mgid)}
    assert states[node_name(s.fabric.nodes[pg.takeover])] == "serves the group", states
    window.view.zoom_by(LABEL_SCALE * 0.5 / window.view._scale())  # far out: no labels,
    window.view._settled()                                         # but these stay
    assert window.view._scale() < LABEL_SCALE
    texts = drawn_labels(window, monkeypatch)
    assert name in texts and len(texts) < len(s.fabric.nodes) * 2


def test_a_pinned_label_wins_over_a_crowding_one(qtbot):
    """The bug this fixes: two CAs side by side, the failed primary placed first took the
    takeover's label room (labels were placed by kind only); pinned, the takeover's label
    is drawn, and a crowded one moves to a free side."""
    import numpy as np
    from PySide6.QtGui import QImage, QPainter

    from ibviz.gui.canvas.labels import Labeller
    from ibviz.gui.canvas.model import CanvasModel
    from ibviz.gui.palette import canvas_theme
    from ibviz.topology import open_fabric

    fabric = open_fabric("fig10")
    model = CanvasModel.build(fabric)
    cas = [i for i, k in enumerate(model.kinds.tolist()) if k == 0][:2]
    names = [label_lines(fabric.nodes[model.guids[i]])[0] for i in cas]
    centres = np.array([[200.0, 200.0], [250.0, 200.0]])  # labels 50 px apart: they collide

    def drawn(pinned: list[int]) -> list[str]:
        model.pinned = pinned
        image = QImage(600, 400, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        texts: list[str] = []
        labeller = Labeller(painter, canvas_theme("light"), 80.0, 44.0)
        labeller.pill = lambda text, *a, **k: texts.append(text)  # type: ignore[method-assign]
        labeller.reserve_glyphs(centres)
        labeller.nodes(model, np.array(cas), centres)
        painter.end()
        return texts

    assert names[1] not in drawn([])                  # the second CA's label is lost
    assert names[1] in drawn([cas[1]])                # pinned, it stays
    assert set(names) <= set(drawn([cas[1], cas[0]]))  # both pinned: both, on free sides


def test_a_label_stays_on_its_side_when_the_pinned_order_changes(qtbot):
    """The bug this fixes (cold trial, fig8/fig10 stepped with N): the pinned nodes came in
    another order at the next step (the narration names the takeover first), so the other
    node claimed the room first and both labels swapped above/below. Now each keeps the
    side it took until the zoom or the layout changes."""
    import numpy as np
    from PySide6.QtGui import QImage, QPainter

    from ibviz.gui.canvas.labels import Labeller
    from ibviz.gui.canvas.model import CanvasModel
    from ibviz.gui.palette import canvas_theme
    from ibviz.topology import open_fabric

    model = CanvasModel.build(open_fabric("fig10"))
    cas = [i for i, k in enumerate(model.kinds.tolist()) if k == 0][:2]
    centres = np.array([[200.0, 200.0], [250.0, 200.0]])  # labels 50 px apart: they collide

    def placed(pinned: list[int], scale: float = 80.0) -> dict[str, tuple[float, float]]:
        model.pinned = pinned
        image = QImage(600, 400, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        where: dict[str, tuple[float, float]] = {}
        labeller = Labeller(painter, canvas_theme("light"), scale, 44.0)
        labeller.pill = (  # type: ignore[method-assign]
            lambda text, _f, centre, *a, **k: where.setdefault(text, (centre.x(), centre.y())))
        labeller.reserve_glyphs(centres)
        labeller.nodes(model, np.array(cas), centres)
        painter.end()
        return where

    first = placed([cas[0], cas[1]])
    assert len(first) == 4  # both names and LIDs drawn, on different sides
    assert placed([cas[1], cas[0]]) == first  # the next step pins them the other way round
    assert placed([cas[1]]) == {k: v for k, v in first.items() if k in placed([cas[1]])}
    assert placed([cas[1], cas[0]], scale=81.0) != first  # zoomed: placed afresh
    alone = placed([cas[0]], scale=82.0)  # one pinned, then another, more important one:
    assert placed([cas[1], cas[0]], scale=82.0).items() >= alone.items()  # the first stays


def test_presentation_hides_docks_and_off_restores_them(qtbot, settings):
    window = open_window(qtbot, settings, size=(1280, 720))
    shown = {name for name, dock in window.docks.items() if dock.isVisible()}
    assert {"log", "metrics", "legend", "inspector"} <= shown
    size = window.narration.text.font().pointSize()
    window.presentation_action.trigger()
    qtbot.waitUntil(lambda: not window.docks["log"].isVisible())
    assert window.docks["narration"].isVisible() and window.docks["groups"].isVisible()
    assert window.narration.text.font().pointSize() > size
    assert window.narration.height() >= 2 * window.narration.text.fontMetrics().lineSpacing()
    assert window.view._model.label_scale > 1.0
    window.presentation_action.trigger()
    qtbot.waitUntil(lambda: window.docks["log"].isVisible())
    assert {name for name, dock in window.docks.items() if dock.isVisible()} == shown
    assert window.narration.text.font().pointSize() == size
    assert window.view._model.label_scale == 1.0


def test_presentation_off_keeps_a_lesson_opened_meanwhile_and_saves_the_normal_docks(
        qtbot, settings):
    window = open_window(qtbot, settings, size=(1280, 720))
    window.set_presentation(True)
    assert window.open_lesson("mode2-port-remap")
    window.save_settings()                  # closing in presentation: the normal layout
    assert not window.presentation_action.isChecked()
    qtbot.waitUntil(lambda: window.docks["log"].isVisible())
    assert window.docks["lesson"].isVisible()
    assert window.lesson_panel.index == 0


def test_presentation_at_1280x720_fits_and_shows_the_mode2_port(qtbot, settings,
                                                                monkeypatch):
    window = open_window(qtbot, settings, "fig10", size=(1280, 720))
    assert window.play_through_failover()
    window.set_presentation(True)
    qtbot.waitUntil(lambda: window.switch_line.isVisible())
    assert window.height() <= 720 and window.minimumSizeHint().height() <= 720
    s = window.session
    sw = window.inspector.switch
    port = s.sm.switch_info[sw].default_mcast_primary_port
    assert port == 2  # fig10's failover remapped switch-1's primary port to second-node
    assert f"DefaultMulticastPrimaryPort <b>{port}</b>" in window.switch_line.text()
    assert "2" in drawn_labels(window, monkeypatch)
    from ibviz.gui.canvas import labels  # the highlighted link's ports claim room first

    seen = []
    ports = labels.Labeller.ports
    monkeypatch.setattr(labels.Labeller, "ports",
                        lambda self, seg, p: (seen.append(p.tolist()), ports(self, seg, p)))
    window.view.resetCachedContent()
    window.view.viewport().grab()
    assert seen and sorted(seen[0][0]) == [1, 2], seen  # switch-1 port 2 - second-node
    bar = window.timeline  # the bar grew with the presentation font: labels whole
    assert bar.height() >= 2 * bar.fontMetrics().height()
    window.set_presentation(False)
    assert not window.switch_line.isVisible()


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_takeovers_label_keeps_off_its_highlighted_cable(qtbot, settings, monkeypatch,
                                                             size):
    """The trial (fig10 at 1280x720): after the takeover, second-node's label sat over its
    highlighted cable (its place below was taken by its neighbours' labels). Now the
    neighbours' labels step outward and it sits below, off the cable."""
    import numpy as np
    from PySide6.QtCore import QPointF, QRectF
    from PySide6.QtGui import QFontMetricsF

    from ibviz.gui.canvas import labels

    window = open_window(qtbot, settings, "fig10", size=size)
    qtbot.waitUntil(lambda: window._laid_out, timeout=5000)
    assert window.play_through_failover()
    model, s = window.view._model, window.session
    pg = next(iter(s.controller.groups.values()))
    takeover = model.index[pg.takeover]
    tree = [k for k in np.flatnonzero(model.tree) if takeover in model.ends[k, :2]]
    assert tree, "the takeover's cable is highlighted"
    ends = [window.view.mapFromScene(QPointF(*model.xy[j])) for j in model.ends[tree[0], :2]]
    rects: dict[str, QRectF] = {}
    pill = labels.Labeller.pill

    def record(self, text, font, centre, *args, **kwargs):
        metrics = QFontMetricsF(font)
        w, h = metrics.horizontalAdvance(text) + 6, metrics.height()
        rects[text] = QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)
        return pill(self, text, font, centre, *args, **kwargs)

    monkeypatch.setattr(labels.Labeller, "pill", record)
    window.view.resetCachedContent()
    window.view.viewport().grab()
    name = label_lines(s.fabric.nodes[pg.takeover])[0]
    assert name in rects
    a, b = (np.array([p.x(), p.y()], float) for p in ends)
    covered = [t for t in np.linspace(0.0, 1.0, 200)
               if rects[name].adjusted(-2, -2, 2, 2).contains(QPointF(*(a + t * (b - a))))]
    assert not covered, (rects[name], a, b)
    for guid in (pg.primary, *pg.senders):  # the neighbours' labels are still drawn
        assert label_lines(s.fabric.nodes[guid])[0] in rects


@pytest.mark.parametrize("order", ["lesson first", "presentation first"])
def test_presentation_with_a_lesson_leaves_the_canvas_its_share(qtbot, settings, order):
    """F5 with a lesson open at 1920x1080 squeezed the canvas to ~18% of the width between
    a mostly empty groups panel (42%) and the lesson (36%): beside a lesson the two side
    docks share the room and the canvas keeps about 40%, whichever came first."""
    window = open_window(qtbot, settings, "fig10", size=(1920, 1080))
    qtbot.waitUntil(lambda: window._laid_out)
    if order == "lesson first":
        assert window.open_lesson("mode2-port-remap")
        window.set_presentation(True)
    else:
        window.set_presentation(True)
        assert window.open_lesson("mode2-port-remap")
    qtbot.waitUntil(lambda: window.docks["lesson"].isVisible() and
                    window.view.width() >= 0.38 * window.width(), timeout=5000)
    assert window.docks["groups"].isVisible()
