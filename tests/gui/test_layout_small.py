"""A small window (1280x720) gives the canvas most of the room and the bottom row enough
to read (event log rows, the chart); the timeline bar is as tall as its font needs."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from conftest import open_window  # noqa: E402


def test_1280x720_shows_log_rows_a_readable_chart_and_a_usable_canvas(qtbot, settings):
    """The cold trial: at 1280x720 the event log showed one row and the chart 15 px (the
    canvas kept 45% of the height). Now four log rows and a chart over 120 px tall, the
    canvas still 38% x 55% of the window (the wide docks' title bars run down their
    left edge and give the height back)."""
    from PySide6.QtWidgets import QDockWidget

    window = open_window(qtbot, settings, "fig10", size=(1280, 720))
    log = window.log_panel.view
    rows = log.verticalHeader().defaultSectionSize()
    qtbot.waitUntil(lambda: window._laid_out and log.viewport().height() >= 4 * rows,
                    timeout=5000)
    assert window.metrics.flows.height() >= 120
    assert window.view.height() >= 0.38 * window.height()
    assert window.view.width() >= 0.55 * window.width()
    vertical = QDockWidget.DockWidgetFeature.DockWidgetVerticalTitleBar
    for key in ("narration", "log", "metrics"):
        assert window.docks[key].features() & vertical, key
    assert window.docks["legend"] in window.tabifiedDockWidgets(window.docks["groups"])
    for key in ("groups", "inspector", "log"):  # the docks stay usable
        assert window.docks[key].width() >= 200
    window.actions_.fit.trigger()  # Fit fits the canvas's real size: the fabric fills it
    rect = window.view.mapFromScene(window.view.scene().itemsBoundingRect()).boundingRect()
    assert rect.width() > 0.3 * window.view.width() or rect.height() > 0.3 * window.view.height()


def test_1920x1080_keeps_its_layout_and_title_bars_across_the_top(qtbot, settings):
    from PySide6.QtWidgets import QDockWidget

    window = open_window(qtbot, settings, "fig10", size=(1920, 1080))
    log = window.log_panel.view
    rows = log.verticalHeader().defaultSectionSize()
    qtbot.waitUntil(lambda: window._laid_out and log.viewport().height() >= 5 * rows,
                    timeout=5000)
    assert window.view.height() >= 0.5 * window.height()
    vertical = QDockWidget.DockWidgetFeature.DockWidgetVerticalTitleBar
    assert not any(d.features() & vertical for d in window.docks.values())
    window.resize(1280, 720)  # made short: the wide docks' title bars turn
    qtbot.waitUntil(lambda: bool(window.docks["log"].features() & vertical), timeout=5000)
    assert not window.docks["groups"].features() & vertical  # the side docks keep theirs


def test_timeline_bar_height_grows_with_its_font(qtbot, settings):
    window = open_window(qtbot, settings, "fig10", size=(1280, 720))
    bar = window.timeline
    before = bar.height()
    font = bar.font()
    font.setPointSizeF(font.pointSizeF() * 1.6)
    bar.setFont(font)
    qtbot.waitUntil(lambda: bar.height() > before, timeout=2000)
    fm = bar.fontMetrics()
    assert bar.height() >= 2 * fm.height()


def test_switch_inspector_is_not_cut_at_1280x720(qtbot, settings):
    """SwitchInfo's field names (DefaultMulticastNotPrimaryPort) fit the narrow dock: the
    inspector never scrolls sideways."""
    window = open_window(qtbot, settings, "fig10", size=(1280, 720))
    qtbot.waitUntil(lambda: window._laid_out, timeout=5000)
    area = window.docks["inspector"].widget()
    assert "DefaultMulticastNotPrimaryPort" in window.inspector.info.text()
    qtbot.waitUntil(lambda: area.widget().width() <= area.viewport().width(), timeout=5000)
    assert area.horizontalScrollBar().maximum() == 0


def test_a_4_level_fabric_keeps_its_labels_on_a_720_screen(qtbot, settings):
    """fig8 (4 slots tall) on a 1280x720 screen under a window manager (about 690 px of
    window): fitted with 72 px margins the canvas showed it below the label zoom, so only
    the pinned names were drawn, overprinting each other. The fit margin is a fifth of a
    short canvas (at least 46 px): every name shows."""
    from ibviz.gui.canvas.paint import LABEL_SCALE

    window = open_window(qtbot, settings, "fig8", size=(1280, 690))
    qtbot.waitUntil(lambda: window._laid_out, timeout=5000)
    window.actions_.fit.trigger()
    assert window.view.height() >= 0.36 * window.height()
    assert window.view._scale() >= LABEL_SCALE


@pytest.mark.parametrize("presentation", [False, True])
def test_the_top_switch_keeps_its_label_above_it_on_a_short_canvas(qtbot, settings,
                                                                   monkeypatch, presentation):
    """The fit margin on a short canvas is never less than a label needs at the fitted
    zoom: fig10's switch keeps its name above it (a margin too thin for the big glyph
    and type of a 2-level fabric pushed it below, over the highlighted cable). In
    presentation (F5, larger label type) too: the margin grows with the label type."""
    from ibviz.gui.canvas import labels

    window = open_window(qtbot, settings, "fig10", size=(1280, 690))
    qtbot.waitUntil(lambda: window._laid_out, timeout=5000)
    if presentation:
        window.set_presentation(True)
    switch = next(g for g, n in window.session.fabric.nodes.items() if n.label == "switch-1")
    window.select_node(switch)  # pinned (as when the narration names it): kept on screen
    window.actions_.fit.trigger()
    if presentation:
        assert window.view._model.label_scale > 1.0, "presentation type is larger"
    where: dict[str, float] = {}
    pill = labels.Labeller.pill

    def record(self, text, font, centre, *args, **kwargs):
        where.setdefault(text, centre.y())
        return pill(self, text, font, centre, *args, **kwargs)

    monkeypatch.setattr(labels.Labeller, "pill", record)
    window.view.resetCachedContent()
    window.view.viewport().grab()
    y = window.view.mapFromScene(*window.view.node_xy([switch])[0]).y()
    assert where["switch-1"] < y, (where, y)


def test_the_mft_headers_are_whole_at_1280x720(qtbot, settings):
    """The switch inspector's MFT columns (MLID, Ports now, Before) show their whole
    header in the narrow dock ("Before last failover" showed as "re last faili"); the
    tooltip says what "Before" means."""
    window = open_window(qtbot, settings, "fig8", size=(1280, 720))
    qtbot.waitUntil(lambda: window._laid_out, timeout=5000)
    table = window.inspector.mft
    header = table.horizontalHeader()
    margin = 2 * header.style().pixelMetric(header.style().PixelMetric.PM_HeaderMargin)

    def whole() -> bool:
        return all(header.fontMetrics().horizontalAdvance(
            table.horizontalHeaderItem(c).text()) + margin <= header.sectionSize(c)
            for c in range(table.columnCount()))

    qtbot.waitUntil(lambda: table.isVisible() and whole(), timeout=5000)
    assert "before the last failover" in table.horizontalHeaderItem(2).toolTip()


def test_presentation_at_1280x720_titles_the_narration_across_its_top(qtbot, settings):
    """F5 at 1280x720: the narration's title ran down its left edge, cut to "Nar…" beside
    the larger type. Presentation shows no bottom row, so the title goes across the top;
    F5 again brings back the edge title, the narration's height and the group panel's
    member names whole (their columns measured afresh in the normal type)."""
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QDockWidget

    vertical = QDockWidget.DockWidgetFeature.DockWidgetVerticalTitleBar
    window = open_window(qtbot, settings, "fig10", size=(1280, 720))
    dock, tree = window.docks["narration"], window.groups.tree
    qtbot.waitUntil(lambda: window._laid_out and bool(dock.features() & vertical),
                    timeout=5000)
    height = dock.height()
    window.set_presentation(True)
    assert not dock.features() & vertical
    window.set_presentation(False)
    assert dock.features() & vertical
    qtbot.waitUntil(lambda: abs(dock.height() - height) <= 2, timeout=5000)
    top = tree.topLevelItem(0)

    def names_whole() -> bool:
        return all(QFontMetrics(top.child(j).font(0).resolve(tree.font())).horizontalAdvance(
            top.child(j).text(0)) + 6 <= tree.visualRect(tree.indexFromItem(top.child(j),
                                                                              0)).width()
            for j in range(top.childCount()))

    qtbot.waitUntil(names_whole, timeout=5000)
