"""Live side of the main window: File > Connect..., starting a backend in a worker thread,
polling it on a timer, node actions on the OpenSM lab (in a worker: a failover takes about
half a second), Restart SM, and closing the backend on every way out."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QProgressDialog

from ibviz.app.connect import mode2_note, start_backend
from ibviz.app.live_bus import GuiThreadBus
from ibviz.app.live_session import LiveSession
from ibviz.backends.base import Backend
from ibviz.core import actions as act
from ibviz.gui import dialogs
from ibviz.gui.window.connect_dialog import BUILTIN, ConnectChoice, ConnectDialog
from ibviz.gui.window.readonly import OpsMixin
from ibviz.gui.worker import BackgroundTask, Cancelled

CLOSE_WAIT_S = 30.0


class LiveMixin(OpsMixin):
    """Mixed into :class:`~ibviz.gui.window.main.MainWindow`."""

    backend: Any = None
    last_choice: ConnectChoice | None = None
    _connect_task: BackgroundTask | None = None
    _connect_progress: QProgressDialog | None = None
    _starting: list | None = None
    _poll_timer: QTimer | None = None
    _poll_task: BackgroundTask | None = None
    _backend_dead: str | None = None
    _sm_gone_shown = False

    # ---------------------------------------------------------------- state
    def live_busy(self) -> bool:
        """An action runs (until its outcome is recorded) or a backend is connecting (until
        the connection's result is recorded in the GUI thread: not merely until its worker
        thread ended, since the result is a queued signal that arrives later)."""
        return (self.controller.busy or self._connect_task is not None
                or self._compare_task is not None or self._whatif_task is not None)

    def block_reason(self) -> str | None:
        """Why node actions are unavailable now (None: they are)."""
        if self.controller.capabilities.read_only:
            return f"{self.backend_name()} is read-only: ibviz only observes it"
        if self._backend_dead:
            return f"{self.backend_name()} is gone ({self._backend_dead}): connect again"
        return None

    # -------------------------------------------------------------- connect
    def ask_connect(self) -> None:
        dialog = ConnectDialog(self, mode2_note())
        if self.last_choice is not None:
            dialog.set_choice(self.last_choice)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.connect_to(dialog.choice())

    def connect_to(self, choice: ConnectChoice) -> bool:
        """Close the backend in use and connect to ``choice`` (a lab or a real fabric
        starts in a worker thread behind a progress dialog); False when busy."""
        if self.live_busy() or (self._task is not None and self._task.running()):
            self.statusBar().showMessage("Busy: wait for the running step to finish", 4000)
            return False
        self.last_choice = choice
        self.controller.pause()
        self.disconnect_backend()
        if choice.kind == BUILTIN:
            from ibviz.app.opening import DEMO

            return self.open_spec(DEMO)
        bus = GuiThreadBus()  # made here: it delivers in this (the GUI) thread
        starting: list = []
        self._starting = starting

        def work(progress) -> Backend:
            return start_backend(choice, bus, starting, progress)

        task = BackgroundTask(work, self)
        task.done.connect(lambda result: self._connected(result, choice))
        task.failed.connect(lambda exc: self._connect_failed(exc, choice))
        self._connect_task = task
        progress = dialogs.progress_dialog(self, f"Connecting to {choice.describe()}...", 300)
        progress.canceled.connect(task.cancel)
        task.progress.connect(lambda done, total: self._connect_step(done, total, starting))
        self._connect_progress = progress
        task.start()
        return True

    def _connect_step(self, done: int, total: int, starting: list) -> None:
        progress = self._connect_progress
        if progress is None:
            return
        phase = getattr(starting[0], "phase", "") if starting else ""
        if total == 0 and done:
            phase = "setting up the demo group through OpenSM's SA"
        progress.setMaximum(max(total, 1))
        progress.setValue(min(done, max(total, 1)))
        if phase:
            progress.setLabelText(f"Connecting: {phase}...")

    def _finish_connect(self) -> None:
        if self._connect_progress is not None:
            self._connect_progress.reset()
            self._connect_progress.deleteLater()
            self._connect_progress = None
        self._starting = None

    def _connected(self, backend: Backend, choice: ConnectChoice) -> None:
        self._finish_connect()
        task, self._connect_task = self._connect_task, None
        if task is None or task.cancelled:  # cancelled, or the window moved on meanwhile
            backend.close()
            self.statusBar().showMessage("Connecting cancelled", 5000)
            return
        self.show_read_only(backend, choice.describe(), choice.poll_ms, None,
                            {"kind": choice.kind, "spec": choice.fabric})

    def show_read_only(self, backend: Backend, title: str, poll_ms: int | None,
                       positions: dict | None, source: dict | None = None) -> None:
        """Show a started ``backend`` (polled every ``poll_ms``; None: a fixed snapshot),
        laid out at ``positions`` where given. Despite the name, any live backend."""
        if self.backend is not None and self.backend is not backend:
            self.disconnect_backend()
        self.backend, self._backend_dead, self._sm_gone_shown = backend, None, False
        session = LiveSession(backend, title)
        session.deliver_pending()
        self.loaded = None
        self.selected_node = None
        self.view.set_fabric(backend.fabric, positions)
        self.controller.set_session(session, backend, source or {"kind": "real"})
        demo = next(iter(backend.protection.groups.values()), None)
        mgid = demo.mgid if demo is not None else next(iter(backend.sm.sa.groups), 0)
        self.groups.select_group(mgid)
        self.setWindowTitle(f"{title} - ibviz")
        self.view.fit()
        if poll_ms is not None:
            self._poll_timer = QTimer(self)
            self._poll_timer.timeout.connect(self.poll_backend)
            self._poll_timer.start(poll_ms)
        self.ops_connected(backend)
        self.show_backend_status()
        self._update_enabled()
        self.statusBar().showMessage(f"Connected to {title}", 8000)

    def _connect_failed(self, exc: BaseException, choice: ConnectChoice) -> None:
        for backend in self._starting or ():
            backend.close()
        self._finish_connect()
        self._connect_task = None
        if isinstance(exc, Cancelled):
            self.statusBar().showMessage("Connecting cancelled", 5000)
        elif self.batch:
            import sys

            print(f"ibviz: cannot connect to {choice.describe()}: {exc}", file=sys.stderr)
        else:
            dialogs.show_error(self, f"Cannot connect to {choice.describe()}", exc)
        if self.session is None or self.controller.capabilities.external:  # never a dead one
            from ibviz.app.opening import DEMO

            QTimer.singleShot(0, lambda: self.open_spec(DEMO))

    def disconnect_backend(self) -> None:
        """Stop polling and close the live backend (its processes and files); the last
        state stays shown until something else is opened."""
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None
        self.controller.cancel_action(CLOSE_WAIT_S)
        for task in (self._connect_task, self._poll_task):
            if task is not None and task.running():
                task.cancel()
                task.wait(CLOSE_WAIT_S)
        for backend in [self.backend, *(self._starting or ())]:
            if backend is not None:
                backend.close()
        self.backend = None
        self.ops_disconnected()

    # ----------------------------------------------------------------- poll
    def poll_backend(self) -> bool:
        """Pick up the backend's changes (the timer calls this); True if any."""
        backend = self.backend
        caps = self.controller.capabilities
        if backend is None or not caps.polls or self.live_busy():
            return False
        from ibviz.backends.base import BackendError

        if caps.slow_poll:
            return self._poll_in_worker(backend)
        self.session.new_poll()
        try:
            changed = self._poll_files(backend)
        except BackendError as exc:
            self._backend_gone(exc)
            return False
        return self._after_poll(changed)

    def _poll_in_worker(self, backend) -> bool:
        """Live real fabric: the tools (ibnetdiscover, ibroute, saquery) run in a worker;
        the snapshot is applied here, in the GUI thread that owns the model."""
        if self._poll_task is not None and self._poll_task.running():
            return False
        task = BackgroundTask(lambda _progress: backend.take_snapshot(), self)
        task.done.connect(lambda state: self._after_poll(
            self.backend is backend and self._apply_polled(backend, state)))
        task.failed.connect(lambda exc: self.statusBar().showMessage(
            f"polling the fabric failed: {exc}", 8000))
        self._poll_task = task
        task.start()
        return False

    def _apply_polled(self, backend: Any, state: Any) -> bool:
        self.session.new_poll()
        if state is not None and self._recorder is not None:
            self._recorder.before_change()
        return bool(backend.apply_snapshot(state))

    def _poll_files(self, backend: Any) -> bool:
        """A poll in this thread; a recorded one in two steps, to keep the state a new
        snapshot replaces (a backend that snapshots; otherwise one ``poll``)."""
        take = getattr(backend, "take_snapshot", None)
        if self._recorder is None or take is None:
            return bool(backend.poll())
        state = take()
        if state is None:
            return False
        self._recorder.before_change()
        return bool(backend.apply_snapshot(state))

    def _after_poll(self, changed: bool) -> bool:
        session = self.session
        if not self.controller.capabilities.polls:
            return False
        delivered = session.deliver_pending()
        session.extend_horizon()
        self.show_backend_status()
        if changed or delivered:
            self.controller.refresh()
            self.ops_after_poll()
            if session.read_only:
                self.show_intro()  # the poll time it names
        return bool(changed or delivered)

    def _backend_gone(self, exc: BaseException) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
        self._backend_dead = "ibsim exited"
        self.status_backend.setText(f"backend: {self.backend.name} (ibsim gone)")
        self.status_sm.setText("SM: gone")
        self.statusBar().showMessage(str(exc), 15000)
        self._update_enabled()
        if not self.batch:
            dialogs.show_warning(self, "The lab is gone", str(exc))

    def show_backend_status(self) -> None:
        if self.backend is None:
            return
        st, caps = self.backend.status(), self.controller.capabilities
        text = st.backend if caps.read_only else f"{st.backend} ({st.sm_state})"
        self.status_backend.setText(f"backend: {text}")
        self.status_backend.setToolTip(st.detail)
        gone = st.sm_state == "gone" and self._backend_dead is None and caps.restart_sm
        self.status_sm.setText(f"SM: {st.sm_state}" if not caps.read_only
                               else f"SM: {self.backend.sm.state}")
        self.actions_.restart_sm.setVisible(caps.restart_sm)
        self.actions_.restart_sm.setEnabled(gone and not self.live_busy())
        if gone and not self._sm_gone_shown:
            self._sm_gone_shown = True
            self.statusBar().showMessage("OpenSM is gone: the last state is kept; "
                                         "File > Restart SM starts it again", 15000)

    # -------------------------------------------------------------- actions
    def act(self, action: act.Action) -> bool:
        """Take a user action on whatever backend is shown (the controller runs a slow
        one in a worker); False, with the reason in the status bar, when refused."""
        if self.session is None:
            return False
        if self.whatif_intercepts(action):
            return True
        reason = self.block_reason()
        if reason is not None or self.live_busy():
            self.statusBar().showMessage(reason or "Busy: wait for the running step", 5000)
            return False
        return self.controller.apply(action)

    def _action_started(self, what: str) -> None:
        self.statusBar().showMessage(f"{what}: {self.backend_name()} is working...")
        self._update_enabled()

    def _action_done(self, what: str, seconds: float) -> None:
        self.statusBar().showMessage(f"{what}: done in {seconds:.2f} s", 8000)
        self.show_backend_status()
        self._update_enabled()

    def backend_name(self) -> str:
        backend = self.controller.backend
        return backend.name if backend is not None else "ibviz"

    def restart_sm(self) -> bool:
        """Start the subnet manager again after it died (File > Restart SM)."""
        if not self.controller.capabilities.restart_sm:
            return False
        self._sm_gone_shown = False
        return self.act(act.RestartSm())
