"""The three failover strategies side by side on the same scenario.

The scenario is run three times headless (MLID reassignment, port remap, prior-art LMC
takeover) in a background thread. The table has one row per figure that tells the
strategies apart (outage, packets lost, MADs, LFT and MFT blocks written, remote peers
touched, the takeover's lost LIDs, broken connections), each explained in its last
column, and below it what each strategy needs from the fabric: the figures and words of
:mod:`ibviz.core.scenario.compare`, the same as ``ibviz run --compare``. "Open in a
window" shows the same comparison in a window of its own, for a small screen.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ibviz.core.scenario.compare import (
    METRICS,
    NEEDS,
    SOURCES,
    STRATEGIES,
    cell_text,
    invariants_text,
    summarise,
)
from ibviz.gui.worker import BackgroundTask

MODES = tuple(STRATEGIES)


def run_comparison(spec: str, seed: int | None, progress) -> dict[str, dict[str, Any]]:
    """Run ``spec`` once per strategy to its end; returns mode -> summarised figures."""
    from ibviz.topology.scenarios import open_session

    rows: dict[str, dict[str, Any]] = {}
    for i, mode in enumerate(MODES):
        progress(i, len(MODES))
        try:
            session = open_session(spec, mode=mode, seed=seed, record_hops=False)
            session.run_until(session.duration_us)
            rows[mode] = summarise(session.report())
        except ValueError as exc:  # a strategy this fabric cannot use (e.g. port remap)
            rows[mode] = {"problems": [], "invariants_ok": False, "not_applicable": str(exc)}
    progress(len(MODES), len(MODES))
    return rows


def _best(metric_key: str, rows: dict[str, dict[str, Any]]) -> set[str]:
    """The strategies with the best value of a figure (None, not restored, is worst)."""
    values = {m: r.get(metric_key) for m, r in rows.items()
              if metric_key in r and not r.get("not_applicable")}
    known = {m: v for m, v in values.items() if v is not None}
    if not known or len(set(known.values())) == 1:
        return set()
    low = min(known.values())
    return {m for m, v in known.items() if v == low}


class ComparisonTable(QTableWidget):
    """One row per figure, one column per strategy, the figure's meaning last."""

    def __init__(self, parent: QWidget | None = None, compact: bool = False) -> None:
        super().__init__(len(METRICS) + 1, len(MODES) + 2, parent)
        self.setObjectName("compareTable")
        self.setHorizontalHeaderLabels(["Figure", *(STRATEGIES[m] for m in MODES),
                                        "What it means"])
        for c, mode in enumerate(MODES, start=1):
            header_item = self.horizontalHeaderItem(c)
            if header_item is not None:
                header_item.setToolTip(f"{STRATEGIES[mode]} ({SOURCES[mode]}) needs "
                                       f"{NEEDS[mode]}")
        rows = self.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + (4 if compact else 8))
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(MODES) + 1, QHeaderView.ResizeMode.Stretch)
        self.setWordWrap(not compact)  # the window wraps a long meaning; the dock elides
        if not compact:
            rows.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        # in the dock the meaning is each figure's tooltip; the window shows the column
        self.setColumnHidden(len(MODES) + 1, compact)
        self.fill({})

    def fill(self, rows: dict[str, dict[str, Any]]) -> None:
        bold = QFont(self.font())
        bold.setBold(True)
        for r, metric in enumerate(METRICS):
            self._set(r, 0, metric.label, metric.explain)
            best = _best(metric.key, rows)
            for c, mode in enumerate(MODES, start=1):
                row = rows.get(mode)
                text = "" if row is None or (metric.key not in row and
                                             not row.get("not_applicable")) else \
                    cell_text(row, metric.key)
                why = (row or {}).get("not_applicable")
                item = self._set(r, c, text, f"not applicable: {why}" if why
                                 else metric.explain)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight |
                                      Qt.AlignmentFlag.AlignVCenter)
                if mode in best:
                    item.setFont(bold)
            self._set(r, len(MODES) + 1, metric.explain, metric.explain)
        last = len(METRICS)
        self._set(last, 0, "invariants", "conservation, no loops or duplicates, exactly-once "
                  "delivery to every live member")
        for c, mode in enumerate(MODES, start=1):
            row = rows.get(mode)
            text = "" if row is None else invariants_text(row)
            tip = "" if row is None else f"not applicable: {row['not_applicable']}" \
                if row.get("not_applicable") else "; ".join(
                    [*row.get("invariants_broken", []), *row.get("invariant_problems", [])])
            self._set(last, c, text, tip).setTextAlignment(
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._set(last, len(MODES) + 1, "conservation, loops, duplicates, exactly-once", "")

    def _set(self, r: int, c: int, text: str, tip: str) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        if tip:
            item.setToolTip(tip)
        self.setItem(r, c, item)
        return item

    def value(self, label: str, mode: str) -> str:
        """The shown value of the figure labelled ``label`` for ``mode`` (tests, export)."""
        for r in range(self.rowCount()):
            name = self.item(r, 0)
            if name is not None and name.text() == label:
                cell = self.item(r, MODES.index(mode) + 1)
                return cell.text() if cell is not None else ""
        raise KeyError(label)


class ComparisonSheet(QWidget):
    """The table and, below it, what each strategy needs (shown in the dock and in the
    comparison's own window)."""

    def __init__(self, parent: QWidget | None = None, compact: bool = False) -> None:
        super().__init__(parent)
        self.compact = compact
        self.table = ComparisonTable(self, compact)
        self.needs = QLabel(needs_text({}, compact), self)
        self.needs.setObjectName("compareNeeds")
        self.needs.setWordWrap(True)
        self.needs.setTextFormat(Qt.TextFormat.RichText)
        self.needs.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        if compact:  # the dock: the table first; at most two lines of findings, scrolled
            scroll = QScrollArea(self)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(self.needs)
            scroll.setMaximumHeight(2 * self.needs.fontMetrics().lineSpacing() + 6)
            self.needs.setToolTip("What each strategy needs: its column header's tooltip, "
                                  "or Open in a window. Each figure's meaning: its tooltip.")
            box.addWidget(self.table, 1)
            box.addWidget(scroll)
        else:
            box.addWidget(self.table, 1)
            box.addWidget(self.needs)

    def fill(self, rows: dict[str, dict[str, Any]]) -> None:
        self.table.fill(rows)
        self.needs.setText(needs_text(rows, self.compact))


def needs_text(rows: dict[str, dict[str, Any]], compact: bool = False) -> str:
    """What each strategy needs, and what went wrong where a strategy could not work
    (``compact``, the dock: what went wrong first, the needs in the headers' tooltips)."""
    lines = []
    for mode in MODES:
        why = rows.get(mode, {}).get("not_applicable")
        if why:
            lines.append(f"<b>{STRATEGIES[mode]}</b>: not applicable: {why}")
    if not compact:
        lines += [f"<b>{STRATEGIES[m]}</b> ({SOURCES[m]}) needs {NEEDS[m]}." for m in MODES]
    for mode in MODES:
        if rows.get(mode, {}).get("not_applicable"):
            continue
        for problem in rows.get(mode, {}).get("problems", []):
            lines.append(f"<b>{STRATEGIES[mode]}</b>: {problem}")
    if compact and not lines:
        lines.append("What each strategy needs: hover its column header, or "
                     "<b>Open in a window</b>.")
    return "<br>".join(lines)


class ComparisonView(QWidget):
    """A Run button, the comparison table, and what each strategy needs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source: dict[str, Any] = {}
        self.task: BackgroundTask | None = None
        self.rows: dict[str, dict[str, Any]] = {}
        self.run_button = QPushButton("Run all three strategies", self)
        self.run_button.setObjectName("compareRun")
        self.run_button.clicked.connect(self.run)
        self.pop_button = QPushButton("Open in a window", self)
        self.pop_button.setObjectName("comparePopOut")
        self.pop_button.clicked.connect(self.open_window)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.sheet = ComparisonSheet(self, compact=True)
        self.table = self.sheet.table
        self.window_view: QDialog | None = None
        self.window_sheet: ComparisonSheet | None = None
        top = QHBoxLayout()
        top.addWidget(self.run_button)
        top.addWidget(self.pop_button)
        top.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.sheet, 1)

    def set_theme(self, dark: bool) -> None:
        """The table and labels follow the application palette; nothing to redraw."""

    def open_window(self) -> QDialog:
        """The same comparison in a window of its own (large enough to read everything)."""
        if self.window_view is None:
            dialog = QDialog(self.window())
            dialog.setWindowTitle("Compare strategies")
            dialog.setObjectName("compareWindow")
            self.window_sheet = ComparisonSheet(dialog)
            QVBoxLayout(dialog).addWidget(self.window_sheet)
            dialog.resize(1100, 470)
            self.window_view = dialog
        self._fill()
        self.window_view.show()
        self.window_view.raise_()
        return self.window_view

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
        self.sheet.fill(self.rows)
        if self.window_sheet is not None:
            self.window_sheet.fill(self.rows)
