"""Run slow work (loading a 10k-node fabric, three headless comparison runs) off the GUI
thread, with progress and the result delivered back as queued Qt signals."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from ibviz.core.bulk import Progress


class Cancelled(Exception):
    """Raised inside the work function's progress callback once the user cancelled."""


class BackgroundTask(QObject):
    """``BackgroundTask(work)``: ``work(progress)`` runs in a daemon thread.

    Signals (delivered in the GUI thread): ``progress(done, total)``, ``done(result)``,
    ``failed(exception)``. :meth:`cancel` makes the next progress call raise
    :class:`Cancelled`, so work that reports progress stops early.
    """

    progress = Signal(int, int)
    done = Signal(object)
    failed = Signal(object)

    def __init__(self, work: Callable[[Progress], Any], parent: QObject | None = None) -> None:
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
            self.result = self._work(self._report)
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread as a value
            self.error = exc
            self.failed.emit(exc)
            return
        self.done.emit(self.result)
