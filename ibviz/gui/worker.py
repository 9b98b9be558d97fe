"""Run slow work (loading a 10k-node fabric, three headless comparison runs) off the GUI
thread, with progress and the result delivered back as queued Qt signals."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal


class Cancelled(Exception):
    """Raised inside the work function's progress callback once the user cancelled."""


class Reporter:
    """What the work function gets: ``progress(done, total)`` (a :data:`Progress`) and
    ``progress.stage(text)``, the name of the step it starts (``Routing 46,550 LIDs``).
    Both raise :class:`Cancelled` once the user cancelled."""

    def __init__(self, task: BackgroundTask) -> None:
        self._task = task

    def __call__(self, done: int, total: int) -> None:
        self._task._report(done, total)

    def stage(self, text: str) -> None:
        if self._task.cancelled:
            raise Cancelled()
        self._task.stage.emit(text)


class BackgroundTask(QObject):
    """``BackgroundTask(work)``: ``work(progress)`` runs in a daemon thread.

    Signals (delivered in the GUI thread): ``progress(done, total)``, ``stage(text)``,
    ``done(result)``, ``failed(exception)``. :meth:`cancel` makes the next progress or
    stage call raise :class:`Cancelled`, so work that reports progress stops early.
    ``progress`` is a :class:`Reporter`.
    """

    progress = Signal(int, int)
    stage = Signal(str)
    done = Signal(object)
    failed = Signal(object)

    def __init__(self, work: Callable[[Reporter], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self._cancelled = threading.Event()
        self._thread: threading.Thread | None = None
        self.result: Any = None
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ibviz-worker", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work ended (tests, shutdown); False on timeout."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _report(self, done: int, total: int) -> None:
        if self._cancelled.is_set():
            raise Cancelled()
        self.progress.emit(int(done), int(total))

    def _run(self) -> None:
        try:
            self.result = self._work(Reporter(self))
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread as a value
            self.error = exc
            self.failed.emit(exc)
            return
        self.done.emit(self.result)
