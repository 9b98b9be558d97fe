"""Glue between one core :class:`~ibviz.core.scenario.Session` and the Qt widgets.

The controller owns the session, paces simulated time against wall time with a
:class:`QTimer` (the core never sleeps), turns the core's synchronous events into one
coalesced Qt signal per frame, and mirrors the session's undo stack to two QActions.
Panels only read the session; every user action goes through the methods here.

The *view time* (:attr:`SessionController.view_time_us`, announced by ``timeChanged``) is
THE time of the window. On the built-in simulation it is the session's own time: seeking
back re-simulates deterministically (:meth:`ibviz.core.scenario.session.Session.seek`), so
every panel reads the state at the view time, and a user action happens at the view time
(dropping the future it conflicts with, see :mod:`ibviz.core.scenario.rewind`). Over a
live backend, which only runs forward, the view time may lag behind the session and the
hop log replays the past for the canvas.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, cast

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence

from ibviz.app import clock
from ibviz.app.shown import Rewinds, ShownSession
from ibviz.app.view_sync import with_node_names
from ibviz.app.visual_clock import Spans, VisualClock
from ibviz.backends.base import Backend, Capabilities
from ibviz.core import actions as act
from ibviz.core import events as ev
from ibviz.core.model import PortRef
from ibviz.gui.worker import BackgroundTask

FRAME_MS = 16
SPEED_MIN = 0.01
"""Slowest pace: simulated microseconds per wall-clock second (packets crawl along links)."""
SPEED_MAX = 100_000.0
"""Fastest pace: a 10 ms scenario plays in a tenth of a second."""
DEFAULT_SPEED = 500.0
STEP_WALL_S = 0.25
"""A step covers what a quarter second of play would, or less when something happens."""


def clamp_speed(speed: float) -> float:
    return min(SPEED_MAX, max(SPEED_MIN, float(speed)))


def speed_to_slider(speed: float, steps: int = 1000) -> int:
    """Position of ``speed`` on a log-scale slider of ``steps`` steps."""
    lo, hi = math.log10(SPEED_MIN), math.log10(SPEED_MAX)
    return round((math.log10(clamp_speed(speed)) - lo) / (hi - lo) * steps)


def slider_to_speed(value: int, steps: int = 1000) -> float:
    lo, hi = math.log10(SPEED_MIN), math.log10(SPEED_MAX)
    return clamp_speed(10 ** (lo + (hi - lo) * value / steps))


class SessionController(QObject):
    """Owns the session being shown and everything that changes it.

    Signals
    -------
    sessionChanged
        A different session was loaded: re-read everything (fabric included).
    sessionReset
        Undo or redo rebuilt the session (new fabric, SM and controller objects, same
        GUIDs): re-read everything but keep positions and selections.
    stateChanged
        The model changed (core events, an action, undo/redo): re-read tables and states.
    timeChanged(float)
        The view time moved (every animation frame while playing): the one clock every
        view follows; :meth:`seek` moves it.
    playingChanged(bool)
    """

    sessionChanged = Signal()
    sessionReset = Signal()
    stateChanged = Signal()
    timeChanged = Signal(float)
    playingChanged = Signal(bool)
    actionFailed = Signal(str, str)
    """(action, why) when the backend refused or failed a user action."""
    actionStarted = Signal(str)
    """(action) a slow action started in a worker thread."""
    actionDone = Signal(str, float)
    """(action, wall-clock seconds) a slow action finished and its outcome is recorded."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session: ShownSession | None = None
        self.backend: Backend | None = None
        self._task: BackgroundTask | None = None
        self.source: dict[str, Any] = {}
        """How the session was opened (for saving): spec, kind, mode, seed."""
        self.view_time_us = 0.0
        self.speed = DEFAULT_SPEED
        self._dirty = False
        self._reset = False
        self._unsubscribe: Any = None
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._tick)
        self._last_tick = 0.0
        self.visual_clock = VisualClock(enabled=False)
        """Simulation mode's hop pacing (the main window turns it on; see :meth:`advance_target`)."""
        self.pace_spans: Callable[[int | None], tuple] | None = None
        """What sets the hop pace: watched packet id -> ``(t0, t1)`` arrays (the window's
        :class:`~ibviz.app.packet_frame.PacketFrames`)."""
        self.undo_action = QAction("&Undo", self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.triggered.connect(self.undo)
        self.redo_action = QAction("&Redo", self)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.triggered.connect(self.redo)
        self._sync_undo_actions()

    # ------------------------------------------------------------------ session
    def set_session(self, session: ShownSession, backend: Backend,
                    source: dict[str, Any] | None = None) -> None:
        """Show ``session``, driven by ``backend``, from its start (stops playing)."""
        self.pause()
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.session, self.backend = session, backend
        self.source = dict(source or {})
        self._unsubscribe = session.events.subscribe(ev.Event, self._on_core_event)
        self.view_time_us = float(session.now_us)
        self._dirty = self._reset = False
        self._sync_undo_actions()
        self.sessionChanged.emit()
        self.timeChanged.emit(self.view_time_us)

    def _on_core_event(self, event: ev.Event) -> None:
        self._dirty = True  # cheap: MadSent fires thousands of times in a sweep
        if isinstance(event, ev.SessionReset):
            self._reset = True

    def _flush(self) -> None:
        if self._reset:
            self._reset = False
            self.sessionReset.emit()
        if self._dirty:
            self._dirty = False
            self.stateChanged.emit()

    def refresh(self) -> None:
        """The session changed outside an action (a live backend's poll): re-read it."""
        if self.session is None:
            return
        self._dirty = True
        self._sync_undo_actions()
        self._flush()
        self.timeChanged.emit(self.view_time_us)

    @property
    def shown(self) -> ShownSession:
        """The session shown (callers check first that there is one)."""
        if self.session is None:
            raise RuntimeError("no session is shown")
        return self.session

    @property
    def capabilities(self) -> Capabilities:
        """What the backend shown can do (nothing before a session is shown)."""
        return self.backend.capabilities if self.backend is not None else Capabilities()

    @property
    def duration_us(self) -> float:
        return float(self.session.duration_us) if self.session is not None else 0.0

    # ------------------------------------------------------------------- pacing
    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def play(self) -> None:
        if self.session is None or self.playing:
            return
        if self.view_time_us >= self.duration_us:
            self.seek(0.0)
        self._last_tick = time.monotonic()
        self._timer.start()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if self.playing:
            self._timer.stop()
            self.playingChanged.emit(False)

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, speed: float) -> None:
        self.speed = clamp_speed(speed)

    def _tick(self) -> None:
        now = time.monotonic()
        wall = min(now - self._last_tick, 0.1)  # a stalled frame does not jump ahead
        self._last_tick = now
        target = self.advance_target(wall)
        if target >= self.duration_us:
            target = self.duration_us
            self.pause()
        self.seek(target)

    @property
    def rewinds(self) -> bool:
        """The session goes back in time by re-simulating: the view time is its time."""
        return self.capabilities.step_back and isinstance(self.session, Rewinds)

    def advance_target(self, wall_s: float) -> float:
        """The view time ``wall_s`` seconds of play lead to: paced by hops when the
        visual clock is on (idle gaps at :attr:`speed`), else :attr:`speed` us per second."""
        s, clock, pace = self.session, self.visual_clock, self.pace_spans
        if s is None or not clock.enabled or pace is None:
            return self.view_time_us + wall_s * self.speed
        spans: Spans = lambda: pace(clock.watched)  # noqa: E731

        return clock.advance(self.view_time_us, wall_s, self.speed, spans,
                             lambda t: self.run_ahead(t, lambda: spans()[0]),
                             self.duration_us)

    def seek(self, t_us: float) -> None:
        """Show simulated time ``t_us``: the session runs forward to it or, on a session
        that rewinds, is re-simulated back to it; every panel then shows that instant."""
        if self.session is None:
            return
        s = self.session
        t = max(0.0, min(float(t_us), max(self.duration_us, float(s.now_us))))
        if self.rewinds:
            cast(Rewinds, s).seek(t)
            t = float(s.now_us)
        elif t > s.now_us:
            s.run_until(t)
        self.view_time_us = t
        self._flush()
        self.timeChanged.emit(t)

    def run_ahead(self, t_us: float, starts: clock.Starts | None = None) -> None:
        """Run the session toward ``t_us`` to look ahead (the visual clock finding the next
        hop) without moving the view time; on a session that rewinds, never past a start
        the look-ahead could then pick (see :func:`ibviz.app.clock.run_ahead`)."""
        if self.session is not None:
            clock.run_ahead(self.session, t_us, self.rewinds, self.duration_us, starts)

    def _step_target(self, forward: bool) -> float:
        span = max(self.speed * STEP_WALL_S, 1e-3)
        pace, visual = self.pace_spans, self.visual_clock
        if pace is not None and visual.enabled:  # one hop of the paced packets
            if forward:
                self.run_ahead(self.view_time_us + span, lambda: pace(visual.watched)[0])
            t0, t1 = pace(visual.watched)
            found = clock.paced_step_target(t0, t1, self.view_time_us, forward)
            if found is not None and abs(found - self.view_time_us) <= span:
                return found
        return clock.step_target(self.shown, self.view_time_us, span, forward, self.rewinds,
                                 self.duration_us)

    def step_forward(self) -> None:
        if self.session is not None:
            self.pause()
            self.seek(self._step_target(True))

    def step_back(self) -> None:
        if self.session is not None:
            self.pause()
            self.seek(max(0.0, self._step_target(False)))

    def next_failover_time(self) -> float | None:
        """The next failure, detection or restore instant after the view time (the
        session runs forward only as far as needed to find it; one that rewinds comes
        back to the view time)."""
        if self.session is None:
            return None
        found = clock.find_next_failover(self.shown, self.view_time_us, self.duration_us,
                                         self.rewinds)
        if self.rewinds and self.session.now_us > self.view_time_us:
            self.seek(self.view_time_us)
        return found

    def jump_to_next_failover(self) -> bool:
        if self.session is None:
            return False
        found = clock.find_next_failover(self.shown, self.view_time_us, self.duration_us,
                                         self.rewinds)
        self.seek(self.view_time_us if found is None else found)
        return found is not None

    # ------------------------------------------------------------------ actions
    def apply(self, action: act.Action) -> bool:
        """Apply a user action through the backend: at the head of the simulation (undo
        kept in step), or in a worker thread when the backend's actions are slow."""
        if self.session is None or self.backend is None or self.busy:
            return False
        if not self.capabilities.can(action):
            self.actionFailed.emit(action.title.lower(), f"{self.backend.name} cannot "
                                   f"{self.describe(action).lower()}")
            return False
        if self.rewinds and self.session.now_us != self.view_time_us:
            self.seek(self.view_time_us)  # the action happens at the view time
        else:
            self._catch_up()  # a session that cannot rewind acts at its head
        if self.capabilities.slow_actions:
            return self._apply_in_worker(action)
        try:
            self.backend.apply(action)
        except (ValueError, KeyError) as exc:  # e.g. a scenario error naming the problem
            self.actionFailed.emit(action.title.lower(), str(exc.args[0] if isinstance(
                exc, KeyError) and exc.args else exc))
        self._after_change()
        return True

    def _catch_up(self) -> None:
        """The view time moves to the session's head (a live session acts there; a paced
        play may have left the view behind it)."""
        if self.session is not None and self.view_time_us < self.session.now_us:
            self.view_time_us = float(self.session.now_us)

    @property
    def busy(self) -> bool:
        """A slow action is under way: from its start until its outcome is recorded."""
        return (self.session is not None and self.session.busy) or (
            self._task is not None and self._task.running())

    def _apply_in_worker(self, action: act.Action) -> bool:
        session, what, t0 = self.shown, self.describe(action), time.monotonic()
        work = session.begin(action)
        task = BackgroundTask(lambda _progress: work(), self)
        task.done.connect(lambda result: self._worker_done(session, what, result, t0))
        task.failed.connect(lambda exc: self._worker_done(session, what, exc, t0))
        self._task = task
        self.actionStarted.emit(what)
        task.start()
        return True

    def _worker_done(self, session: ShownSession, what: str, result: object, t0: float) -> None:
        session.finish(None if isinstance(result, BaseException) else result)
        if session is not self.session:
            return
        if not self.rewinds:
            self._catch_up()  # the outcome is at the head: show it, however slow the pace
        if isinstance(result, BaseException):
            self.actionFailed.emit(what, str(result))
        else:
            self.actionDone.emit(what, time.monotonic() - t0)
        self.refresh()

    def cancel_action(self, wait_s: float) -> None:
        """Stop waiting for a slow action (the backend is being closed)."""
        task, self._task = self._task, None
        if task is not None and task.running():
            task.cancel()
            task.wait(wait_s)
        if self.session is not None and self.session.busy:
            self.session.finish(None)

    def _after_change(self) -> None:
        now = float(self.shown.now_us)
        self.view_time_us = now if self.rewinds else min(self.view_time_us, now)
        self._dirty = True
        self._sync_undo_actions()
        self._flush()
        self.timeChanged.emit(self.view_time_us)

    def link_action(self, a: PortRef, b: PortRef) -> act.Action:
        """Fail a link that is up, restore one that is down (a click on a link)."""
        key = (a, b) if a <= b else (b, a)
        down = key in self.shown.sm.down_links
        return (act.LinkUp if down else act.LinkDown)(a.node, a.port)

    def undo(self) -> None:
        if self.session is not None and self.session.undo_name:
            self.session.undo()
            self._after_change()

    def redo(self) -> None:
        if self.session is not None and self.session.redo_name:
            self.session.redo()
            self._after_change()

    def describe(self, action: act.Action) -> str:
        """An action's display name with node names (``Fail first-node``)."""
        return self.readable(act.describe(action)) or action.title

    def readable(self, name: str | None) -> str | None:
        """An action name with node GUIDs replaced by node names (``Fail first-node``)."""
        if not name or self.session is None:
            return name
        return with_node_names(name, self.session.fabric)

    def _sync_undo_actions(self) -> None:
        undo = self.readable(self.session.undo_name) if self.session is not None else None
        redo = self.readable(self.session.redo_name) if self.session is not None else None
        self.undo_action.setEnabled(bool(undo))
        self.undo_action.setText(f"&Undo {undo}" if undo else "&Undo")
        self.redo_action.setEnabled(bool(redo))
        self.redo_action.setText(f"&Redo {redo}" if redo else "&Redo")
        # the toolbar keeps a short, fixed label (a long one shifted the toolbar and
        # squeezed the find box); the menu and the tooltip say what would be undone
        for action, verb, what in ((self.undo_action, "Undo", undo),
                                   (self.redo_action, "Redo", redo)):
            action.setIconText(verb)
            action.setToolTip(f"{verb} {what}" if what else verb)
