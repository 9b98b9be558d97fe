"""File side of the main window: open (in a worker thread, with a progress dialog),
built-in scenarios, save/restore a session, export PNG/SVG/pcap, screenshots."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QProgressBar, QProgressDialog

from ibviz.app import opening
from ibviz.core import actions as act
from ibviz.core.bulk import gc_paused
from ibviz.gui import dialogs
from ibviz.gui.canvas.model import CanvasModel
from ibviz.gui.worker import BackgroundTask, Cancelled, Reporter

AFTER_RESTORE_US = 150.0
"""The after-failover screenshot shows packets flowing to the takeover node."""
FREE_PLAY_FAIL_US = 1000.0
"""In free play the after-failover screenshot fails the primary here (traffic flows)."""
PROGRESS_DELAY_MS = 300
"""Loads that finish faster never flash a progress dialog."""


NOTHING_OPEN = "Nothing is open: File > Open (Ctrl+O) opens a fabric, a scenario or a saved session."
DRAWING = "Drawing"
"""The open's last step, in the GUI thread: the window shows the session."""


def open_in_worker(spec: str, progress: Reporter) -> opening.Loaded:
    """Everything of an open that needs no Qt, in the worker thread: read or generate,
    route (:func:`ibviz.app.opening.open_any`), and lay out the canvas arrays."""
    with gc_paused():  # hundreds of thousands of long-lived objects: no rescans
        loaded = opening.open_any(spec, progress, stage=progress.stage)
        fabric = loaded.session.fabric
        progress.stage(f"Laying out {len(fabric.nodes):,} nodes")
        loaded.canvas = CanvasModel.build(fabric, loaded.positions)
    return loaded


class FilesMixin:
    """Mixed into :class:`~ibviz.gui.window.main.MainWindow`."""

    _task: BackgroundTask | None = None
    _progress: QProgressDialog | None = None
    _opening = ""
    open_stages: list[str]
    """The steps of the last open, as the progress dialog named them."""
    batch = False
    """True when no user is present (``--screenshot``): errors go to stderr."""

    # ------------------------------------------------------------------- open
    def open_spec(self, spec: str, background: bool = True) -> bool:
        """Open a file, built-in scenario or generator spec.

        In the background (the default) a worker thread loads it behind a progress
        dialog and the window stays responsive; returns True once started. In the
        foreground it returns whether the load succeeded (errors still get a dialog).
        """
        if self._task is not None and self._task.running():
            return False
        self.controller.pause()
        task = BackgroundTask(lambda progress: open_in_worker(spec, progress), self)
        task.done.connect(lambda loaded: self._loaded(loaded, spec))
        task.failed.connect(lambda exc: self._load_failed(exc, spec))
        self._task = task
        self.open_stages = []
        task.stage.connect(self.open_stages.append)
        if background:
            self._opening = f"Opening {Path(spec).name}"
            self._say_while_empty(f"{self._opening}: the window fills in once it is ready "
                                  "(the progress dialog names each step).")
            self._progress = dialogs.progress_dialog(self, self._opening + "...",
                                                     PROGRESS_DELAY_MS)
            self._progress.canceled.connect(task.cancel)
            task.progress.connect(self._load_progress)
            task.stage.connect(self._load_stage)
            task.start()
            return True
        loop = QEventLoop()
        task.done.connect(loop.quit)     # queued: delivered inside loop.exec(), even when
        task.failed.connect(loop.quit)   # the worker finishes before the loop starts
        task.start()
        loop.exec()
        task.wait()
        return task.error is None

    def _load_progress(self, done: int, total: int) -> None:
        """The fraction on the dialog's bar. Set on the bar itself: the window-modal
        dialog's ``setValue`` runs the event loop when the value changes, which could
        deliver the open's end (and delete the dialog) inside the call."""
        if self._progress is not None:
            self._progress.setMaximum(max(total, 1))
            bar = self._progress.findChild(QProgressBar)
            if bar is not None:
                bar.setValue(min(done, max(total, 1)))

    def _say_while_empty(self, text: str) -> None:
        """What the narration strip says while no session is shown (the first open of
        ``ibviz gui SPEC``): not 'Press Play' over an empty canvas."""
        if self.session is None:
            self.narration.text.setText(text)

    def _load_stage(self, text: str) -> None:
        """A step starts: its name under the title, the bar busy until it counts."""
        if self._progress is not None:
            self._progress.setLabelText(f"{self._opening}\n{text}...")
            self._progress.setRange(0, 0)
            self._progress.setValue(0)

    def _finish_progress(self) -> None:
        if self._progress is not None:
            self._progress.reset()
            self._progress.deleteLater()
            self._progress = None

    def _loaded(self, loaded: opening.Loaded, spec: str) -> None:
        if self._task is not None and self._task.cancelled:  # finished before it noticed
            self._finish_progress()
            self.statusBar().showMessage(f"Opening {spec} cancelled", 5000)
            self._say_while_empty(NOTHING_OPEN)
            return
        self.open_stages.append(DRAWING)
        if self._progress is not None:  # the last step runs here: say so before it
            self._load_stage(DRAWING)
            if self._progress.isVisible():
                self._progress.repaint()
        self.install(loaded)
        self._finish_progress()
        note = f"; {len(loaded.warnings)} warning(s) while reading" if loaded.warnings else ""
        self.statusBar().showMessage(f"Opened {spec}{note}", 8000)

    def _load_failed(self, exc: BaseException, spec: str) -> None:
        self._finish_progress()
        if isinstance(exc, Cancelled):
            self.statusBar().showMessage(f"Opening {spec} cancelled", 5000)
            self._say_while_empty(NOTHING_OPEN)
            return
        if self.batch:  # --screenshot: nobody is there to close a dialog
            print(f"ibviz: cannot open {spec}: {dialogs.error_text(exc)}", file=sys.stderr)
            return
        dialogs.show_error(self, f"Cannot open {spec}", exc)
        if self.session is None and spec != opening.DEMO:  # never leave an empty window
            QTimer.singleShot(0, lambda: self.open_spec(opening.DEMO))

    def cancel_loading(self) -> None:
        if self._task is not None and self._task.running():
            self._task.cancel()
            self._task.wait(5.0)

    def ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open fabric, scenario or session",
                                              str(self.settings.value("lastDir", "")),
                                              opening.FILE_FILTER)
        if path:
            self.settings.setValue("lastDir", str(Path(path).parent))
            self.open_spec(path)

    def fill_builtin_menu(self) -> None:
        menu = self.actions_.builtin_menu
        if menu.actions():
            return
        try:
            scenarios = opening.builtin_scenarios()
        except (OSError, ValueError) as exc:  # the menu says what is wrong instead
            menu.addAction(f"(built-in scenarios unavailable: {exc})").setEnabled(False)
            return
        for name, description in scenarios:
            action = QAction(f"{name} - {description}", menu)
            action.triggered.connect(lambda _c=False, n=name: self.open_spec(n))
            menu.addAction(action)

    # ------------------------------------------------------------ save/export
    def _ask_path(self, title: str, suggestion: str, filter_: str) -> str | None:
        start = str(Path(str(self.settings.value("lastDir", ""))) / suggestion)
        path, _ = QFileDialog.getSaveFileName(self, title, start, filter_)
        if path:
            self.settings.setValue("lastDir", str(Path(path).parent))
        return path or None

    def _stem(self) -> str:
        return Path(self.session.scenario.name).stem if self.session is not None else "ibviz"

    def ask_save_session(self) -> None:
        if self.session is None:
            return
        path = self._ask_path("Save session", self._stem() + ".ibviz.json",
                              "ibviz sessions (*.ibviz.json)")
        if path:
            self.save_session(path)

    def save_session(self, path: str) -> None:
        try:
            opening.save_session(path, self.controller.source, self.session,
                                 self.controller.view_time_us, self.view.positions(),
                                 self.selected_group)
        except OSError as exc:
            dialogs.show_error(self, f"Cannot save {path}", exc)
            return
        self.statusBar().showMessage(f"Session saved to {path}", 5000)

    def ask_export(self, fmt: str) -> None:
        if self.session is None:
            return
        path = self._ask_path(f"Export view as {fmt.upper()}", f"{self._stem()}.{fmt}",
                              f"{fmt.upper()} images (*.{fmt})")
        if path:
            try:
                (self.view.render_svg if fmt == "svg" else self.view.render_png)(path)
            except OSError as exc:
                dialogs.show_error(self, f"Cannot write {path}", exc)

    def ask_export_pcap(self) -> None:
        if self.session is None:
            return
        path = self._ask_path("Export trace to pcap", self._stem() + ".pcapng",
                              "pcapng captures (*.pcapng *.pcap)")
        if path:
            try:
                self.session.write_pcap(path)
            except (OSError, ValueError) as exc:
                dialogs.show_error(self, f"Cannot write {path}", exc)
                return
            self.statusBar().showMessage(f"Trace written to {path}", 5000)

    def show_about(self) -> None:
        dialogs.show_about(self)

    # ------------------------------------------------------------- screenshot
    def play_through_failover(self) -> bool:
        """Run until the first failover completed and show that instant (for
        ``--screenshot --after-failover``): the scenario's own timeline fails a node in
        the first half of its run, else (free play) the first protected group's primary is
        failed at :data:`FREE_PLAY_FAIL_US`."""
        s: Any = self.session
        group = next(iter(s.controller.groups.values()), None) if s is not None else None
        if group is None:
            return False
        self.groups.select_group(group.mgid)
        if not self._run_to_restore(s.duration_us / 2):
            self.controller.seek(min(self.controller.view_time_us, FREE_PLAY_FAIL_US))
            self.controller.apply(act.Fail(group.primary))
            if not self._run_to_restore(s.duration_us):
                return False
        restored = max(o.restored_us or o.started_us for o in s.controller.outcomes)
        self.controller.seek(min(s.duration_us, restored + AFTER_RESTORE_US))
        return True

    def _run_to_restore(self, until_us: float) -> bool:
        """Advance until a failover outcome is restored (or failed); False at ``until_us``."""
        ctl = self.controller
        while ctl.view_time_us < until_us:
            ctl.seek(min(until_us, ctl.view_time_us + 100.0))
            if any(o.kind == "failover" and (o.restored_us is not None or o.problem)
                   for o in self.session.controller.outcomes):
                return True
        return False

    def save_screenshot(self, path: str) -> bool:
        """The whole window as a PNG (works offscreen)."""
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()
        return self.grab().save(str(path), "PNG")
