"""Python's cyclic collector never runs in a worker thread while the window's application
is up (a worker collecting Qt objects crashed the GUI thread); the GUI thread collects."""

from __future__ import annotations

import gc
import threading

import pytest

pytest.importorskip("PySide6")


def test_workers_never_collect_and_the_gui_thread_does(qtbot):
    from ibviz.gui.app import make_application

    gc.enable()  # as a fresh interpreter has it
    make_application()
    assert not gc.isenabled()
    seen: list[str] = []

    def record(phase: str, _info: dict) -> None:
        if phase == "start":
            seen.append(threading.current_thread().name)

    gc.callbacks.append(record)
    try:
        def allocate() -> None:  # cyclic garbage, far past generation 0's threshold
            for _ in range(50_000):
                a: list = []
                a.append(a)

        worker = threading.Thread(target=allocate, name="allocating-worker")
        worker.start()
        worker.join()
        assert "allocating-worker" not in seen
        qtbot.waitUntil(lambda: threading.main_thread().name in seen, timeout=5000)
    finally:
        gc.callbacks.remove(record)
    assert "allocating-worker" not in seen
