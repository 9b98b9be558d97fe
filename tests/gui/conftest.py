"""Shared fixtures and helpers of the GUI tests: a window on the demo with its settings in
the test's tmp_path, playing until a condition holds, where a node is drawn, pixel checks.

This file is imported as ``conftest`` (pytest's prepend import mode, no packages), after
``tests/conftest.py``: it re-exports that file's helpers, so ``from conftest import
corpus_file`` works in every test module, here or elsewhere, whichever ran last. Qt is
imported inside the fixtures: without PySide6 the test modules skip, saying why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from ibviz_tests_conftest import (  # noqa: F401 (re-exported: see the docstring)
    FUZZ_FACTOR,
    REPO,
    SHARED_PUBLIC,
    corpus,
    corpus_file,
    examples,
    write,
    write_file,
)

if TYPE_CHECKING:
    from PySide6.QtCore import QPoint, QSettings
    from PySide6.QtGui import QImage

    from ibviz.gui.window.main import MainWindow


def temp_settings(tmp_path) -> QSettings:
    """A settings file in this test's tmp_path: never the user's own settings."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "ibviz.ini"), QSettings.Format.IniFormat)


@pytest.fixture(autouse=True)
def _collect_in_the_gui_thread(qapp):
    """As in the app (:mod:`ibviz.gui.gui_thread_gc`): no collection in a worker thread
    while a GUI test runs; after it, one in this thread, and automatic collection back on
    for the tests that follow."""
    import gc

    from ibviz.gui import gui_thread_gc

    gui_thread_gc.install(qapp)
    yield
    gc.collect()
    gc.enable()


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return temp_settings(tmp_path)


def open_window(qtbot, settings: QSettings, spec: str = "demo",
                size: tuple[int, int] | None = (1400, 900)) -> MainWindow:
    """A shown main window on ``spec`` (opened in the foreground)."""
    from ibviz.gui.window.main import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    if size is not None:
        window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    assert window.open_spec(spec, background=False), f"{spec} did not open"
    return window


@pytest.fixture
def window(qtbot, settings) -> MainWindow:
    """The main window on the demo's scenario (fig10) with its script, paused at t = 0
    (the demo itself opens in free play: no scripted failure)."""
    return open_window(qtbot, settings, "fig10")


def play_until(qtbot, window: MainWindow, done: Any, timeout_ms: int = 15000,
               key: bool = True) -> None:
    """Press Play (space, or the controller's play when ``key`` is False: after a
    connect dialog the window may not have the keyboard) and wait until ``done()`` holds
    (the condition itself, never a sleep); then pause."""
    from PySide6.QtCore import Qt

    if window.controller.playing:
        pass
    elif key:
        qtbot.keyClick(window, Qt.Key.Key_Space)
    else:
        window.controller.play()
    qtbot.waitUntil(done, timeout=timeout_ms)
    window.controller.pause()


def node_point(window: MainWindow, guid: int) -> QPoint:
    """Where node ``guid`` is drawn, in the canvas viewport's coordinates."""
    from PySide6.QtCore import QPointF

    x, y = window.view.positions()[guid]
    return window.view.mapFromScene(QPointF(x, y))


def window_point(window: MainWindow, guid: int) -> QPoint:
    """Where node ``guid`` is drawn, in the main window's coordinates."""
    return window.view.viewport().mapTo(window, node_point(window, guid))


def colour_near(image: QImage, at: QPoint, colour: str, radius: int = 4,
                tolerance: int = 40) -> bool:
    """Whether a pixel within ``radius`` of ``at`` is within ``tolerance`` of ``colour``
    (per channel)."""
    from PySide6.QtGui import QColor

    want = QColor(colour)
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            x, y = at.x() + dx, at.y() + dy
            if 0 <= x < image.width() and 0 <= y < image.height():
                got = image.pixelColor(x, y)
                if max(abs(got.red() - want.red()), abs(got.green() - want.green()),
                       abs(got.blue() - want.blue())) <= tolerance:
                    return True
    return False
