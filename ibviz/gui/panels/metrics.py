"""Metrics dock: delivered and lost packets per flow over simulated time (pyqtgraph), with
the failure, detection and restore instants marked and a cursor at the view time; a second
tab compares the three failover strategies on the same scenario."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from ibviz.gui.palette import OKABE_ITO, canvas_theme
from ibviz.gui.panels.comparison import ComparisonView

MARKER_COLOUR = OKABE_ITO["vermillion"]
KEYED_FLOWS = 4
"""With more flows the key names no flow (the canvas colours tell them apart)."""


def flow_colour(index: int, dark: bool = False) -> str:
    """The colour of flow ``index``: the same as its packet markers on the canvas."""
    flows = canvas_theme("dark" if dark else "light").flows
    return flows[index % len(flows)]


class FlowPlot(QWidget):
    """Cumulative delivered (solid) and lost (dashed) packets of every flow."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: Any = None
        self.dark = False
        self.plot = pg.PlotWidget(self)
        self.plot.setObjectName("flowPlot")
        self.plot.setLabel("bottom", "simulated time", units="s")
        self.plot.setLabel("left", "messages")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setMouseEnabled(x=True, y=False)
        self.key = QLabel("", self)
        self.key.setObjectName("flowKey")
        self.key.setWordWrap(True)
        self.cursor = pg.InfiniteLine(angle=90, movable=False,
                                      pen=pg.mkPen("#888888", width=1))
        self.plot.addItem(self.cursor, ignoreBounds=True)
        self.empty = QLabel("This session sends no traffic: open a scenario to see flows.", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.key)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.empty)
        self.curves: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self.markers: list[pg.InfiniteLine] = []
        self._marker_times: list[float] = []
        """The failover instants :attr:`markers` show (they are re-made only on a change)."""

    def set_theme(self, dark: bool) -> None:
        self.dark = dark
        self.plot.setBackground("#1E1E1E" if dark else "w")
        axis_pen = pg.mkPen("#DDDDDD" if dark else "#333333")
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(axis_pen)
            axis.setTextPen(axis_pen)
        if self.session is not None:
            self.set_session(self.session)

    def set_session(self, session: Any) -> None:
        self.session = session
        self._make_curves([])
        has_flows = bool(session.scenario.flows)
        self.plot.setVisible(has_flows)
        self.empty.setVisible(not has_flows)
        self.refresh()

    def _make_curves(self, names: list[str]) -> None:
        for delivered, lost in self.curves.values():
            self.plot.removeItem(delivered)
            self.plot.removeItem(lost)
        self.curves = {}
        keys = []
        for i, name in enumerate(names):
            colour = flow_colour(i, self.dark)
            delivered = self.plot.plot([], [], pen=pg.mkPen(colour, width=2))
            lost = self.plot.plot([], [], pen=pg.mkPen(colour, width=2,
                                                       style=Qt.PenStyle.DashLine))
            self.curves[name] = (delivered, lost)
            keys.append(f"<span style='color:{colour}'>&#9473;&#9473; {html.escape(name)} "
                        f"delivered &nbsp; &#9476;&#9476; lost</span>")
        marker = (f"<span style='color:{MARKER_COLOUR}'>&#8942; failure / detection / "
                  "restore</span>")
        if len(names) > KEYED_FLOWS:  # a key per flow would bury the plot
            keys = [f"{len(names)} flows, coloured as their packets on the canvas: solid "
                    "delivered, dashed lost"]
        self.key.setText(" &nbsp;&nbsp; ".join([*keys, marker]) if names else "")

    def refresh(self) -> None:
        """Re-read every flow's series and the failover instants."""
        if self.session is None or not self.plot.isVisibleTo(self):
            return  # a session without traffic shows no plot: nothing to re-read
        names = list(self.session.flow_names)
        if names != list(self.curves):  # flows appear as they send their first packet
            self._make_curves(names)
        top = 0.0
        for name, (delivered, lost) in self.curves.items():
            t, ok, bad = self.session.flow_series(name)
            seconds = np.asarray(t, float) * 1e-6
            ys = np.asarray(ok, float), np.asarray(bad, float)
            delivered.setData(seconds, ys[0])
            lost.setData(seconds, ys[1])
            top = max([top, *(float(y.max()) for y in ys if y.size)])
        # the y axis follows what is shown (after a Restart to t = 0 too: pyqtgraph's own
        # autorange keeps the old scale when the curves become empty)
        self.plot.setYRange(0.0, max(top, 1.0), padding=0.05)
        self.plot.setXRange(0, max(self.session.duration_us, 1.0) * 1e-6, padding=0.02)
        times = list(self.session.failover_times())
        if times == self._marker_times:
            return
        self._marker_times = times
        for line in self.markers:
            self.plot.removeItem(line)
        self.markers = []
        for t in times:
            line = pg.InfiniteLine(pos=t * 1e-6, angle=90, movable=False,
                                   pen=pg.mkPen(MARKER_COLOUR, width=1,
                                                style=Qt.PenStyle.DotLine))
            self.plot.addItem(line, ignoreBounds=True)
            self.markers.append(line)

    def set_time(self, t_us: float) -> None:
        self.cursor.setPos(t_us * 1e-6)


class MetricsPanel(QTabWidget):
    """Tabs: the live per-flow plot, and the strategy comparison."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flows = FlowPlot(self)
        self.comparison = ComparisonView(self)
        self.addTab(self.flows, "Flows over time")
        self.addTab(self.comparison, "Compare strategies")

    def set_session(self, session: Any, source: dict[str, Any]) -> None:
        self.flows.set_session(session)
        self.comparison.set_source(source)

    def set_theme(self, dark: bool) -> None:
        self.flows.set_theme(dark)
        self.comparison.set_theme(dark)
