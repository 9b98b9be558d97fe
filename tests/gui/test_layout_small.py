"""A small window (1280x720) gives the canvas most of the room; the timeline bar is as
tall as its font needs."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from conftest import open_window  # noqa: E402


def test_canvas_gets_most_of_a_1280x720_window(qtbot, settings):
    window = open_window(qtbot, settings, "fig10", size=(1280, 720))
    qtbot.waitUntil(lambda: window._laid_out and window.view.height()
                    >= 0.45 * window.height(), timeout=5000)
    assert window.view.width() >= 0.55 * window.width()
    assert window.docks["legend"] in window.tabifiedDockWidgets(window.docks["groups"])
    for key in ("groups", "inspector", "log"):  # the docks stay usable
        assert window.docks[key].width() >= 200
    window.actions_.fit.trigger()  # Fit fits the canvas's real size: the fabric fills it
    rect = window.view.mapFromScene(window.view.scene().itemsBoundingRect()).boundingRect()
    assert rect.width() > 0.3 * window.view.width() or rect.height() > 0.3 * window.view.height()


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
