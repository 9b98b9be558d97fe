"""Opening a large generated fabric (issue 16, 12,100 LIDs): the progress dialog names
each step as it starts (generating, routing so many LIDs, laying out, drawing) and the
open ends with the window's tables filled; a cancel mid-open keeps the session shown.
Not timed: bench_open.py measures how long it takes."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from PySide6.QtWidgets import QPushButton  # noqa: E402

from ibviz.gui.window.files import DRAWING  # noqa: E402

pytestmark = pytest.mark.gui

BIG = "fat-tree:k=22,n=3"
STEPS = [f"Generating {BIG}", "Routing 12,100 LIDs", "Laying out 12,100 nodes", DRAWING]


def shown_labels(window) -> list[str]:
    """The progress dialog's text each time a step starts (recorded as it gets it)."""
    labels: list[str] = []
    slot = window._load_stage

    def record(text: str) -> None:
        slot(text)
        labels.append(window._progress.labelText())
    window._load_stage = record  # connected by open_spec: set before it
    return labels


def shown_fractions(window) -> dict[str, list[tuple[int, int]]]:
    """Per step (the dialog's second line), the (value, maximum) the bar showed."""
    bars: dict[str, list[tuple[int, int]]] = {}
    slot = window._load_progress

    def record(done: int, total: int) -> None:
        slot(done, total)
        bar = window._progress
        step = bar.labelText().split("\n")[-1].removesuffix("...")
        bars.setdefault(step, []).append((bar.value(), bar.maximum()))
    window._load_progress = record
    return bars


def test_large_fabric_open_names_its_steps_and_fills_the_tables(qtbot, window):
    labels = shown_labels(window)
    bars = shown_fractions(window)
    # (a status tip of a button under the pointer may replace the message at any time)
    said: list[str] = []
    window.statusBar().messageChanged.connect(said.append)
    assert window.open_spec(BIG)
    qtbot.waitUntil(lambda: len(window.session.fabric.nodes) > 10000, timeout=180000)
    assert window.open_stages == STEPS
    assert labels == [f"Opening {BIG}\n{step}..." for step in STEPS]
    assert window._progress is None  # closed once drawn
    for step in STEPS[:2]:  # generating and routing: a fraction that grows, not busy
        shown = bars[step]
        assert len(shown) >= 3 and all(top > 1 for _, top in shown), (step, shown)
        fractions = [value / top for value, top in shown]
        assert fractions == sorted(fractions) and fractions[-1] == 1.0, (step, shown)
    assert window.inspector.chooser.count() == 1452  # every switch
    assert window.inspector.lft_model.rowCount() == 12100  # one row per routed LID
    assert window.groups.tree.topLevelItemCount() >= 1  # the broadcast group
    assert len(window.view.positions()) == 12100
    assert f"Opened {BIG}" in said


def test_cancel_while_routing_keeps_the_session_shown(qtbot, window):
    before = window.session
    slot = window._load_stage

    def cancel_at_routing(text: str) -> None:
        slot(text)
        if text.startswith("Routing"):  # the dialog's Cancel button
            window._progress.findChild(QPushButton).click()
    window._load_stage = cancel_at_routing
    assert window.open_spec(BIG)
    qtbot.waitUntil(lambda: "cancelled" in window.statusBar().currentMessage(),
                    timeout=180000)
    assert window.session is before and window._progress is None
    assert window.open_stages[:2] == STEPS[:2] and DRAWING not in window.open_stages
    window.controller.seek(100.0)  # the old session still runs
    assert window.session.now_us >= 100.0


def test_an_empty_window_says_what_it_opens_and_when_nothing_is(qtbot, settings):
    from ibviz.gui.window.files import NOTHING_OPEN
    from ibviz.gui.window.main import MainWindow

    window = MainWindow(settings)  # as `ibviz gui SPEC` starts: no session yet
    qtbot.addWidget(window)
    window.show()
    slot = window._load_stage

    def cancel_at_routing(text: str) -> None:
        slot(text)
        if text.startswith("Routing"):
            assert window.narration.sentence.startswith(f"Opening {BIG}: ")  # not "Play"
            window._progress.findChild(QPushButton).click()
    window._load_stage = cancel_at_routing
    assert window.open_spec(BIG)
    qtbot.waitUntil(lambda: "cancelled" in window.statusBar().currentMessage(),
                    timeout=180000)
    assert window.session is None and window.narration.sentence == NOTHING_OPEN


def test_a_progress_report_never_runs_the_event_loop(qtbot, window):
    """The crash this pins (fig10 opened, 2 runs in 4 under X): the window-modal dialog's
    setValue ran the event loop, which delivered the open's end (the dialog deleted)
    inside the call. A report sets the bar and returns; queued work waits."""
    from PySide6.QtCore import QTimer

    from ibviz.gui import dialogs

    window._progress = dialogs.progress_dialog(window, "Opening", 0)
    window._progress.show()
    qtbot.waitExposed(window._progress)
    ran: list[bool] = []
    QTimer.singleShot(0, lambda: ran.append(True))  # what a nested event loop would run
    window._load_progress(1, 10)
    window._load_progress(5, 10)
    assert ran == [] and window._progress.value() == 5 and window._progress.maximum() == 10
    qtbot.waitUntil(lambda: ran == [True])
    window._finish_progress()
