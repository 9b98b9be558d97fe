"""Operator side of the main window on a read-only backend (a real fabric's dumps or a live
attach): no play or fail controls unless What-if is on, the SM and times from the files;
File > Compare snapshots... (two dump directories, one layout, ghosts and rings, the
Changes panel); every poll's changes recorded there with its time; What-if (fail a node,
switch or link on a model of the real state, as ``ibviz whatif``; undo)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QToolBar

from ibviz.app.live_changes import ChangeMarks, PollRecorder, change_marks, compare_dirs
from ibviz.core import actions as act
from ibviz.core.model import PortRef
from ibviz.gui import dialogs
from ibviz.gui.panels.changes import ChangesPanel
from ibviz.gui.panels.whatif import WhatIfPanel
from ibviz.gui.window.whatif import WhatIfMixin
from ibviz.gui.worker import BackgroundTask, Cancelled

PLAYBACK = ("restart", "step_back", "play", "step_forward", "next_failover")
NOTHING_PLAYS = "Read-only: the files' state is shown as it is; nothing is simulated"


class OpsMixin(WhatIfMixin):
    """Mixed into the main window (through :class:`~ibviz.gui.window.backend.LiveMixin`)."""

    _recorder: PollRecorder | None = None
    _last_xy: dict[int, tuple[float, float]] | None = None
    _compare_task: BackgroundTask | None = None
    _playback_hidden = False
    _marks_shown = False
    _time_hooked = False

    def install_ops(self) -> None:
        """The Changes and What-if docks, File > Compare snapshots..., Node > What-if mode."""
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.changes = ChangesPanel(self)
        self.whatif_panel = WhatIfPanel(self)
        self.docks["changes"] = self._dock("Changes", "changesDock", self.changes, bottom)
        self.docks["whatif"] = self._dock("What-if", "whatIfDock", self.whatif_panel, bottom)
        for name in ("changes", "whatif"):
            self.tabifyDockWidget(self.docks["metrics"], self.docks[name])
            self.docks[name].hide()
            self.actions_.view_menu.addAction(self.docks[name].toggleViewAction())
        self.changes.nodeChosen.connect(self.select_node)
        self.compare_action = QAction("Compare &snapshots...", self)
        self.compare_action.setToolTip("Open two dump directories (before, after) and show "
                                       "what changed on one layout")
        self.compare_action.triggered.connect(lambda _c=False: self.ask_compare())
        file_menu = self.menuBar().actions()[0].menu()  # File
        assert isinstance(file_menu, QMenu)
        file_menu.insertAction(self.actions_.restart_sm, self.compare_action)
        self.install_whatif()

    # ------------------------------------------------------------- controls
    def read_only_shown(self) -> bool:
        """A read-only backend's state is shown (its capabilities say so)."""
        caps = self.controller.capabilities
        return self.session is not None and caps.read_only and caps.external

    def _update_enabled(self) -> None:
        super()._update_enabled()
        if not hasattr(self, "whatif_panel"):
            return
        ro = self.read_only_shown()
        for name in PLAYBACK:
            action = getattr(self.actions_, name)
            if ro:
                action.setEnabled(False)
                action.setToolTip(NOTHING_PLAYS)
        if ro != self._playback_hidden:
            self._playback_hidden = ro
            toolbar = self.findChild(QToolBar, "playbackToolbar")
            if toolbar is not None:
                toolbar.setVisible(not ro)
            timeline = getattr(self, "timeline", None)  # nothing is simulated: no clock
            if timeline is not None:
                timeline.setVisible(not ro)
        for label in (self.status_time, self.status_flight):
            label.setVisible(not ro)
        pace = getattr(self, "pace", None)  # the visual clock's pace controls, if any
        if pace is not None:
            pace.setEnabled(not ro)
        self.update_whatif_enabled(ro)

    def _ops_time_changed(self, t_us: float) -> None:
        """After the window drew the states of ``t_us``: what-if failures on top."""
        states = self.whatif_states()
        if states and self.session is not None:
            self.view.set_node_states({**self.failures.states(self.session, t_us), **states})

    # ---------------------------------------------------------------- polls
    def ops_connected(self, backend: Any) -> None:
        """A backend is shown: record its polls when read-only."""
        if not self._time_hooked:  # after the window's own slot, which draws the states
            self._time_hooked = True
            self.controller.timeChanged.connect(self._ops_time_changed)
        self.clear_whatif()
        self.show_marks(None)
        self._recorder = None
        if not self.read_only_shown():
            return
        self.show_intro()
        self.docks["changes"].show()  # what changes is what a read-only view has to say
        self.docks["changes"].raise_()
        if self.controller.capabilities.polls:
            self._recorder = PollRecorder(backend)
            self._last_xy = self.view.positions()

    def show_intro(self) -> None:
        """The narration strip: what the files say (and whether What-if is on)."""
        from ibviz.app.live_readonly import read_only_detail

        if not self.read_only_shown() or self.backend is None:
            return
        self.session.what_if = self.whatif_on
        self.narration.set_session(self.session)
        self.narration.tip = read_only_detail(self.backend)
        self.narration.text.setToolTip(self.narration.tip)

    def ops_disconnected(self) -> None:
        """The backend is gone: no marks, no recorder, What-if off."""
        self._recorder = None
        if hasattr(self, "whatif_panel"):
            if self._marks_shown:
                self.show_marks(None)
            self.set_whatif(False)

    def ops_after_poll(self) -> None:
        """A poll changed something: its differences to the Changes panel, dated, and
        on the canvas (a gone node's ghost where it was)."""
        if self._recorder is None:
            return
        record = self._recorder.after_poll(getattr(self.backend, "last_poll", None))
        if record is None:
            return
        now_xy = self.view.positions()
        self.show_marks(change_marks(record.diff, self._last_xy or {}, now_xy))
        self._last_xy = now_xy
        self.changes.add(record)
        self.docks["changes"].show()
        if self.whatif_on and self._whatif:
            self._whatif_run()  # the analysis was of the state before this poll

    def show_marks(self, marks: ChangeMarks | None) -> None:
        fabric = self.session.fabric if self.session is not None else None
        if marks is not None and fabric is not None:
            marks.added = {g for g in marks.added if g in fabric.nodes}
            marks.changed = {g for g in marks.changed if g in fabric.nodes}
        shown = None if marks is None or marks.empty else marks
        self._marks_shown = shown is not None
        self.view.set_change_marks(shown)

    # -------------------------------------------------------------- compare
    def ask_compare(self) -> None:
        old = QFileDialog.getExistingDirectory(self, "Earlier snapshot (A): a dump directory")
        if not old:
            return
        new = QFileDialog.getExistingDirectory(self, "Later snapshot (B): a dump directory")
        if new:
            self.compare_snapshots(old, new)

    def compare_snapshots(self, old: str, new: str) -> bool:
        """Read both directories in a worker, then show B on A's layout with the changes."""
        if self.live_busy() or self._compare_task is not None:
            self.statusBar().showMessage("Busy: wait for the running step to finish", 4000)
            return False
        task = BackgroundTask(lambda progress: compare_dirs(old, new, progress), self)
        progress = dialogs.progress_dialog(self, f"Reading {old} and {new}...", 300)
        progress.canceled.connect(task.cancel)

        def step(done: int, total: int) -> None:
            progress.setMaximum(max(total, 1))
            progress.setValue(done)

        def finish() -> None:
            progress.reset()
            progress.deleteLater()
            self._compare_task = None

        def done(result: Any) -> None:
            finish()
            self._compared(result)

        def failed(exc: BaseException) -> None:
            finish()
            self._compare_failed(exc, old, new)

        task.progress.connect(step)
        task.done.connect(done)
        task.failed.connect(failed)
        self._compare_task = task
        task.start()
        return True

    def _compare_failed(self, exc: BaseException, old: str, new: str) -> None:
        if isinstance(exc, Cancelled):
            self.statusBar().showMessage("Comparing cancelled", 5000)
        elif self.batch:
            import sys

            print(f"ibviz: cannot compare {old} and {new}: {dialogs.error_text(exc)}",
                  file=sys.stderr)
        else:
            dialogs.show_error(self, f"Cannot compare {old} and {new}", exc)

    def _compared(self, comparison: Any) -> None:
        record = comparison.record
        self.view.set_fabric(comparison.old.fabric, None)
        old_xy = self.view.positions()
        comparison.close()
        title = f"{record.old} -> {record.new}"
        self.show_read_only(comparison.new, title, None, old_xy)
        self.show_marks(change_marks(record.diff, old_xy, self.view.positions()))
        self.changes.clear()
        self.changes.add(record)
        self.docks["changes"].show()
        self.docks["changes"].raise_()
        self.statusBar().showMessage(f"Compared: {len(record.lines())} changes", 8000)

    def link_clicked(self, a: PortRef, b: PortRef) -> None:
        """What-if on: a click on a cable fails it on the model (again: takes it back)."""
        if self.read_only_shown() and self.whatif_on:
            self.whatif_toggle_link(a)
            return
        super().link_clicked(a, b)

    def whatif_intercepts(self, action: act.Action) -> bool:
        """Fail / Fail back on a read-only backend with What-if on go to the model."""
        if not (self.read_only_shown() and self.whatif_on):
            return False
        if isinstance(action, act.Fail):
            self.whatif_fail(action.node)
            return True
        if isinstance(action, act.FailBack):
            self.whatif_failback(action.node)
            return True
        return False
