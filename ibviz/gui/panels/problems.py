"""Problems panel: the checks of ``ibviz check`` on what the window shows (a read-only
attach of dump files, a lab, the simulation), run in a worker thread with a busy bar; one
row per problem (severity icon, kind, subject, detail). Clicking a row emits
:attr:`ProblemsPanel.problemChosen` with a :class:`~ibviz.app.problems.Target`: the window
selects and centres its node and selects its group (whose tree the canvas highlights)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ibviz.app.problems import check_shown, problem_target
from ibviz.core.problems import Report, Severity
from ibviz.gui.panels.tables import KEY_ROLE, cells, fill, on_screen, text_table
from ibviz.gui.worker import BackgroundTask

COLUMNS = ("Severity", "Kind", "Subject", "Detail")
SUBJECT_WIDTH = 240
STALE = "; the state changed since: press Check again"
ICONS = {Severity.ERROR: QStyle.StandardPixmap.SP_MessageBoxCritical,
         Severity.WARNING: QStyle.StandardPixmap.SP_MessageBoxWarning}


class ProblemsPanel(QWidget):
    """``run()`` checks the session given to :meth:`set_session` (with its backend)."""

    problemChosen = Signal(object)
    """A :class:`~ibviz.app.problems.Target` (GUIDs are Python ints: ``object``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: Any = None
        self.backend: Any = None
        self.report: Report | None = None
        self.model: Any = None
        """A what-if :class:`~ibviz.app.whatif_view.ModelView` checked instead of the
        session's state."""
        self.task: BackgroundTask | None = None
        self._tasks: list[BackgroundTask] = []
        self._generation = 0
        self.button = QPushButton("Check", self)
        self.button.setObjectName("problemsCheck")
        self.button.setToolTip("Run ibviz check on the fabric shown: multicast reach on the "
                               "MFTs, MFT branches, unicast LFT paths, LIDs, link rates")
        self.button.clicked.connect(self.run)
        self.busy = QProgressBar(self)
        self.busy.setObjectName("problemsBusy")
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setVisible(False)
        self.status = QLabel("Not checked yet: press Check.", self)
        self.status.setObjectName("problemsStatus")
        self.status.setWordWrap(True)
        self.table = text_table(COLUMNS, "problemsTable", self)
        # the subject (a link names two nodes) gets a fixed share, the detail the rest;
        # each cell's tooltip holds its whole text
        self.table.horizontalHeader().setSectionResizeMode(
            COLUMNS.index("Subject"), QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(COLUMNS.index("Subject"), SUBJECT_WIDTH)
        self._just_selected: int | None = None
        self.table.itemSelectionChanged.connect(self._chosen)
        self.table.cellClicked.connect(self._clicked)
        # one line, read-only, scrolls sideways: a chosen problem's long detail never
        # grows the dock (at 1280x720 two wrapped lines pushed the status bar off screen)
        self.detail = QLineEdit("", self)
        self.detail.setObjectName("problemDetail")
        self.detail.setReadOnly(True)
        self.detail.setFrame(False)
        self.detail.setPlaceholderText("Choose a problem to see it whole here")
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.button)
        top.addWidget(self.busy)
        top.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)

    def set_session(self, session: Any, backend: Any = None) -> None:
        """A new session: forget the old report (a running check's result is dropped)."""
        self.session, self.backend, self.report = session, backend, None
        self.model = None
        self._generation += 1  # a running check's result is for the old session
        self.task = None
        self._show_busy(False)
        fill(self.table, [])
        self.detail.setText("")
        self.status.setText("Not checked yet: press Check.")

    def set_model(self, model: Any) -> None:
        """Check what-if ``model`` (None: the session's state again): the old report goes,
        a new check starts."""
        if model is None and self.model is None:
            return
        self.model, self.report = model, None
        fill(self.table, [])
        self.detail.setText("")
        self.status.setText("Not checked yet: press Check.")
        if on_screen(self):
            self.run()

    def run(self) -> bool:
        """Start the checks in a worker thread; False when one runs or nothing is shown."""
        s = self.session
        if s is None or (self.task is not None and self.task.running()):
            return False
        fabric, sm, backend = s.fabric, s.sm, self.backend
        if self.model is not None:  # the what-if model, not the files
            fabric, sm, backend = self.model.fabric, self.model.sm, None
        self._generation += 1
        generation = self._generation

        def work(_progress: object) -> tuple[int, Report | Exception]:
            try:
                return generation, check_shown(fabric, sm, backend)
            except Exception as exc:  # noqa: BLE001 - shown in the status line
                return generation, exc

        # no Qt parent: a task outlives a panel closed mid-check (its thread still emits;
        # Qt drops the bound slot with the panel). Finished tasks are let go here, in the
        # GUI thread that made them.
        task = BackgroundTask(work)
        task.done.connect(self._done)
        self._tasks = [t for t in self._tasks if t.running()] + [task]
        self.task = task
        self._show_busy(True)
        self.status.setText(f"Checking {fabric.name}...")
        task.start()
        return True

    def _show_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.button.setEnabled(not busy)

    def _done(self, result: tuple[int, Report | Exception]) -> None:
        self._tasks = [t for t in self._tasks if t.running()]
        generation, outcome = result
        if generation != self._generation:  # a check of a session no longer shown
            return
        self.task = None
        self._show_busy(False)
        if isinstance(outcome, Exception):
            self.status.setText(f"The check failed: {outcome}")
        else:
            self.show_report(outcome)

    def mark_stale(self) -> None:
        """The shown state changed since the check (a failover, a poll): say so once."""
        text = self.status.text()
        if self.report is not None and not text.endswith(STALE):
            self.status.setText(text + STALE)

    def show_report(self, report: Report) -> None:
        """One row per problem, errors first; the status line counts and says what was
        checked, the notes go in its tooltip."""
        self.report = report
        self.detail.setText("")
        order = sorted(range(len(report.problems)),
                       key=lambda i: report.problems[i].severity is not Severity.ERROR)
        problems = [report.problems[i] for i in order]
        fill(self.table, [(p.severity.value, p.kind, p.subject, p.detail) for p in problems],
             keys=[str(i) for i in order])
        style = self.style()
        for row, p in enumerate(problems):
            item = self.table.item(row, 0)
            if item is not None:
                item.setIcon(style.standardIcon(ICONS[p.severity]))
        c = report.checked
        what = (f"{c.get('switches', 0)} switches, {c.get('cas', 0)} CAs, "
                f"{c.get('groups', 0)} groups, {c.get('lft_paths', 0)} LFT paths")
        errors = sum(1 for p in problems if p.severity is Severity.ERROR)
        self.status.setText(("What-if model: " if self.model is not None else "")
                            + (f"Healthy: no problems ({what})" if report.healthy else
                               f"{len(problems)} problems, {errors} errors ({what})")
                            + (f"; {len(report.notes)} notes" if report.notes else ""))
        self.status.setToolTip("\n".join(report.notes))

    def _clicked(self, row: int, _column: int) -> None:
        """A click on the selected row chooses it again (to go back to it); the click
        that selected it was already handled as a selection change."""
        if self._just_selected == row:
            self._just_selected = None
            return
        self.choose(row)

    def _chosen(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._just_selected = rows[0].row()
            self.choose(rows[0].row())

    def choose(self, row: int) -> None:
        """Emit :attr:`problemChosen` for the problem shown on ``row``."""
        item = self.table.item(row, 0)
        if self.report is None or self.session is None or item is None:
            return
        key = item.data(KEY_ROLE)
        problem = self.report.problems[int(key)]
        self.detail.setText(f"{problem.subject}: {problem.detail}")
        self.detail.setCursorPosition(0)
        self.detail.setToolTip(self.detail.text())
        sm = self.model.sm if self.model is not None else self.session.sm
        self.problemChosen.emit(problem_target(problem, sm.sa.groups))

    def rows(self) -> list[list[str]]:
        return cells(self.table)
