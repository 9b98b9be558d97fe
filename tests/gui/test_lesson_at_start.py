"""``ibviz gui --lesson NAME`` opens the lesson right after showing the window, before the
event loop runs the window's first-show layout: the lesson panel must still be the tab in
front once that layout has run (it used to be hidden behind the switch inspector's tab),
and as wide as the Lessons menu makes it (that layout used to narrow it to a fifth)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

pytestmark = pytest.mark.gui


def test_a_lesson_opened_at_start_stays_in_front(qtbot, settings, monkeypatch):
    from ibviz.gui.window.main import MainWindow

    ran: list[bool] = []
    original = MainWindow._default_dock_sizes

    def spy(self) -> None:
        original(self)
        ran.append(True)

    monkeypatch.setattr(MainWindow, "_default_dock_sizes", spy)
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()  # as ibviz.gui.app.main does: show, then open the lesson at once
    assert window.open_lesson("mode2-port-remap")
    qtbot.waitUntil(lambda: bool(ran))  # the first-show layout has run
    qtbot.waitExposed(window)
    lesson, inspector = window.docks["lesson"], window.docks["inspector"]
    assert lesson in window.tabifiedDockWidgets(inspector)
    assert not lesson.visibleRegion().isEmpty(), "the lesson panel is the tab in front"
    assert inspector.visibleRegion().isEmpty()
    assert lesson.width() >= 400, "room for the lesson's narration and checks"
