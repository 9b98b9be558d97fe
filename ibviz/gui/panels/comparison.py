"""The three failover strategies side by side on the same scenario.

The scenario is run three times headless (MLID reassignment, port remap, prior-art LMC
takeover) in a background thread; the table and the bar chart show what each cost:
packets lost, outage, management datagrams, remote peers that had to change anything.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ibviz.gui.worker import BackgroundTask

STRATEGIES = (("mlid", "MLID reassignment"), ("port", "Port remap"),
              ("lmc", "Prior art: LMC takeover"))
COLUMNS = ("Strategy", "Delivered", "Lost", "Duplicated", "Outage (us)", "MADs",
           "Remote peers touched", "Problem")
BAR_COLOURS = ("#0072B2", "#009E73", "#D55E00")


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    """One row of the comparison from a session report."""
    flows = report.get("flows", [])
    fails = [f for f in report.get("failover", []) if f.get("kind") == "failover"]
    outages = [f["outage_us"] for f in fails if f.get("outage_us") is not None]
    problems = [f["problem"] for f in fails if f.get("problem")]
    return {"delivered": sum(f.get("delivered", 0) for f in flows),
            "lost": sum(f.get("lost", 0) for f in flows),
            "duplicated": sum(f.get("duplicated", 0) for f in flows),
            "outage_us": max(outages) if outages else None,
            "mads": sum(f.get("mads", 0) for f in fails),
            "remote_peers": sum(f.get("remote_peers_touched", 0) for f in fails),
            "problem": "; ".join(problems)}


def run_comparison(spec: str, seed: int | None, progress) -> dict[str, dict[str, Any]]:
    """Run ``spec`` once per strategy to its end; returns mode -> summary row."""
    from ibviz.topology.scenarios import open_session

    rows: dict[str, dict[str, Any]] = {}
    for i, (mode, _title) in enumerate(STRATEGIES):
        progress(i, len(STRATEGIES))
        try:
            session = open_session(spec, mode=mode, seed=seed)
            session.run_until(session.duration_us)
            rows[mode] = summarise(session.report())
        except ValueError as exc:  # a strategy this fabric cannot use (e.g. port remap)
            rows[mode] = {"problem": str(exc)}
    progress(len(STRATEGIES), len(STRATEGIES))
    return rows


class ComparisonView(QWidget):
    """A Run button, a table and a bar chart of packets lost per strategy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source: dict[str, Any] = {}
        self.task: BackgroundTask | None = None
        self.rows: dict[str, dict[str, Any]] = {}
        self.run_button = QPushButton("Run all three strategies", self)
        self.run_button.setObjectName("compareRun")
        self.run_button.clicked.connect(self.run)
        self.status = QLabel("", self)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("compareTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.
                                                           ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.chart = pg.PlotWidget(self)
        self.chart.setLabel("left", "packets lost")
        self.chart.setMouseEnabled(x=False, y=False)
        self.chart.getAxis("bottom").setTicks([[(i, t) for i, (_, t) in enumerate(STRATEGIES)]])
        top = QHBoxLayout()
        top.addWidget(self.run_button)
        top.addWidget(self.status, 1)
        body = QHBoxLayout()
        body.addWidget(self.table, 3)
        body.addWidget(self.chart, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(body, 1)

    def set_theme(self, dark: bool) -> None:
        self.chart.setBackground("#1E1E1E" if dark else "w")

    def set_source(self, source: dict[str, Any]) -> None:
        """Where the shown session came from; only scenarios can be re-run."""
        self.source = dict(source)
        runnable = source.get("kind") == "scenario"
        self.run_button.setEnabled(runnable)
        self.status.setText("" if runnable else
                            "Only a scenario (built-in or YAML) can be compared.")
        self.rows = {}
        self._fill()

    def run(self) -> None:
        if self.task is not None and self.task.running():
            return
        spec, seed = self.source.get("spec"), self.source.get("seed")
        if not spec:
            return
        self.run_button.setEnabled(False)
        self.status.setText("running the scenario three times...")
        self.task = BackgroundTask(lambda progress: run_comparison(spec, seed, progress), self)
        self.task.progress.connect(lambda done, total: self.status.setText(
            f"running strategy {min(done + 1, total)} of {total}..."))
        self.task.done.connect(self._finished)
        self.task.failed.connect(self._failed)
        self.task.start()

    def _finished(self, rows: dict[str, dict[str, Any]]) -> None:
        self.rows = rows
        self.run_button.setEnabled(True)
        self.status.setText(f"{self.source.get('spec')}: same scenario, three strategies")
        self._fill()

    def _failed(self, exc: BaseException) -> None:
        self.run_button.setEnabled(True)
        self.status.setText(f"comparison failed: {exc}")

    def _fill(self) -> None:
        self.table.setRowCount(len(self.rows))
        self.chart.clear()
        for r, (mode, title) in enumerate((m, t) for m, t in STRATEGIES if m in self.rows):
            row = self.rows[mode]
            outage = row.get("outage_us")
            cells = (title, row.get("delivered", ""), row.get("lost", ""),
                     row.get("duplicated", ""), "" if outage is None else f"{outage:,.1f}",
                     row.get("mads", ""), row.get("remote_peers", ""), row.get("problem", ""))
            for c, value in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(str(value)))
        lost = [(i, self.rows[m].get("lost")) for i, (m, _) in enumerate(STRATEGIES)
                if m in self.rows and isinstance(self.rows[m].get("lost"), int)]
        if lost:
            self.chart.addItem(pg.BarGraphItem(
                x=[i for i, _ in lost], height=[v for _, v in lost], width=0.6,
                brushes=[BAR_COLOURS[i] for i, _ in lost]))
