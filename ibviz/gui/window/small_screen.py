"""The main window on a short screen (a 1280x720 projector, a laptop): the bottom row
(event log, metrics) tall enough to read, the canvas keeping the rest.

Two things give the bottom row its room without taking it all from the canvas:

- the wide docks above and below the canvas (narration, event log, hops, problems,
  metrics) draw their title bar down their left edge, not across their top: each gives
  back a title's height (about 20 px) for the same width, which they have to spare;
- the default bottom row is as tall as :data:`LOG_ROWS` rows of the event log need
  (measured on the window's own fonts), not a fixed share of the height.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication, QDockWidget

SHORT_BELOW = 900
"""A window less tall than this is short: vertical title bars on the wide docks."""
WIDE_DOCKS = ("narration", "log", "hops", "problems", "metrics")
"""The docks above and below the canvas (full width, little height)."""
LOG_ROWS = 4
"""Event log rows a short window's default layout shows."""
VERTICAL = QDockWidget.DockWidgetFeature.DockWidgetVerticalTitleBar


def fit_title_bars(window: Any) -> None:
    """Title bars down the left edge of the wide docks while the window is short,
    across the top otherwise (called on every resize: a flag test when nothing changes).
    Presentation shows no bottom row: its narration has the height for a title across
    its top (down its edge, "Narration" was cut to "Nar…" beside the larger type)."""
    presenting = getattr(window, "_normal_state", None) is not None
    short = window.height() < SHORT_BELOW and not presenting
    for key in WIDE_DOCKS:
        dock = window.docks.get(key)
        if dock is not None and bool(dock.features() & VERTICAL) != short:
            dock.setFeatures(dock.features() | VERTICAL if short
                             else dock.features() & ~VERTICAL)


def bottom_row_height(window: Any, rows: int = LOG_ROWS) -> int:
    """The event log dock's height that shows ``rows`` rows in its table (its filters,
    header and frame as laid out now, plus the rows)."""
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    dock, view = window.docks["log"], window.log_panel.view
    chrome = dock.height() - view.viewport().height()
    return chrome + rows * view.verticalHeader().defaultSectionSize()


def lay_out_bottom_row(window: Any) -> None:
    """A short window's default heights: the bottom row for :data:`LOG_ROWS` rows, the
    narration as small as its text allows, the canvas the rest."""
    fit_title_bars(window)
    log = window.docks["log"]
    want = bottom_row_height(window)
    window.resizeDocks([log, window.docks["narration"]], [want, 1], Qt.Orientation.Vertical)
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    short = want - log.height()  # the tab bar under tabbed docks is part of the area
    if short > 0:
        window.resizeDocks([log], [want + short], Qt.Orientation.Vertical)
