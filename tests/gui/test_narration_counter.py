"""The narration's step counter: "step N" while the run is still unfolding (a total
then would only grow as the run goes on), "step N of M" once the session has simulated
its whole run; the same text however the time shown was reached."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from conftest import open_window  # noqa: E402

pytestmark = pytest.mark.gui


def counter(window) -> str:
    window._slow_refresh()
    return window.narration.step.text().splitlines()[0]


def test_the_total_shows_only_once_the_whole_run_is_known(qtbot, settings):
    window = open_window(qtbot, settings, "fig8")
    ctl = window.controller
    first = ctl.next_failover_time()
    assert first is not None
    ctl.seek(first + 50.0)
    qtbot.waitUntil(lambda: counter(window).startswith("step "))
    early = counter(window)
    assert " of " not in early
    ctl.seek(ctl.duration_us)
    total = len(window.session.narration())
    qtbot.waitUntil(lambda: counter(window) == f"step {total} of {total}")
    ctl.seek(first + 50.0)  # rewound: the same text as when first reached
    qtbot.waitUntil(lambda: counter(window) == early)
