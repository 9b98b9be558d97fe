"""Python's cyclic garbage collector runs in the GUI thread only.

A collection runs in whichever thread happens to allocate when a generation's threshold is
crossed. When that is a worker (reading a 46k-node fabric, routing a what-if) and the
garbage holds Qt objects (a closed window's widgets caught in a reference cycle), their C++
destructors run outside the GUI thread and Qt crashes, later and somewhere else (seen as a
segmentation fault in the GUI thread's event loop while an attach worker read dump files).
pyqtgraph documents the same hazard (``pyqtgraph.util.garbage_collector``).

So the window's application turns automatic collection off and collects on a timer in the
GUI thread, generation by generation as the thresholds say; reference counting still frees
everything not in a cycle at once. Workers' :func:`ibviz.core.bulk.gc_paused` blocks keep
it off (they re-enable only what they found enabled).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500
"""How often the GUI thread looks at the collector's counts."""


class GuiThreadCollector(QObject):
    """Disables automatic collection; :meth:`check` collects what the thresholds ask for."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> int:
        """Collect the generations whose counts passed their thresholds; objects found."""
        c0, c1, c2 = gc.get_count()
        t0, t1, t2 = self.threshold
        if c0 <= t0:
            return 0
        if c1 <= t1:
            return gc.collect(0)
        return gc.collect(2 if c2 > t2 else 1)


def install(app: QObject) -> GuiThreadCollector:
    """The application's collector (made once, a child of ``app``); automatic collection
    is off after it, also when something turned it back on."""
    found = app.findChild(GuiThreadCollector)
    if isinstance(found, GuiThreadCollector):
        gc.disable()
        return found
    return GuiThreadCollector(app)
