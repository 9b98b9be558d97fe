"""Lesson panel: one guided lesson (``ibviz gui --lesson NAME``, the Lessons menu) a step
at a time: the step's narration with the patent paragraphs it cites, the action the
learner must take in the window, each check on the live model, and hints.

The panel never acts and never runs a timer: :meth:`LessonPanel.evaluate` reads the
step's checks through :class:`~ibviz.core.lessons.LessonProgress` when a step is shown
and each time the session reports a change: the window's controller emits
``stateChanged`` after every action and every batch of core events, and ``timeChanged``
when the simulation ran on (packets delivered raise no core event); the checks are read
once per new simulated instant. Once a step's checks hold it is done: they stay ticked
with a "Done" line (the window pauses after the learner's action) and "Next step" moves
on; on the last step the lesson is complete and its hints are cleared.
"""

from __future__ import annotations

import html
import re
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ibviz.core.lessons import Lesson, LessonError, LessonProgress
from ibviz.core.lessons.model import ActionSpec

HOW = {"fail": "right-click {node} and choose Fail (or select it and press Ctrl+K)",
       "failback": "right-click {node} and choose Fail back (Ctrl+B)",
       "join": "right-click {node} and choose Join group...",
       "leave": "right-click {node} and choose Leave group...",
       "remap": "remap {node}'s multicast ports",
       "link_down": "click the cable at {node}'s port to take it down",
       "link_up": "click the cable at {node}'s port to bring it up"}
CITE = re.compile(r"\b((?:[Pp]aragraphs?|para\.) \d+(?:\s*-\s*\d+)?|FIG\. \d+|"
                  r"method \d+|step \d+)")


def action_text(action: ActionSpec) -> str:
    """What the learner does, in words (``Fail first-node: right-click it ...``)."""
    how = HOW.get(action.kind, "{node}").format(node=action.node)
    return f"<b>{html.escape(action.text())}</b>: {html.escape(how)}"


def cited(text: str) -> str:
    """The narration as rich text, the patent's paragraphs, figures and steps in bold."""
    return CITE.sub(r"<b>\1</b>", html.escape(" ".join(text.split())))


class LessonPanel(QWidget):
    changed = Signal()
    """The step changed (or the lesson started or stopped)."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lessonPanel")
        self.progress: LessonProgress | None = None
        self.controller: Any = None
        self._read_at = -1.0
        """The session's time when the checks were last read."""
        self.title = self._label("lessonTitle", bold=True)
        self.cites = self._label("lessonCites", rich=True)
        self.step_title = self._label("lessonStep", bold=True)
        self.narration = self._label("lessonNarration", rich=True)
        big = QFont(self.narration.font())
        big.setPointSizeF(big.pointSizeF() * 1.1)
        self.narration.setFont(big)
        self.action = self._label("lessonAction", rich=True)
        self.checks = self._label("lessonChecks", rich=True)
        self.hint = self._label("lessonHint")
        self.hint_button = QPushButton("H&int", self)
        self.hint_button.setObjectName("lessonHintButton")
        self.hint_button.clicked.connect(self.show_hint)
        self.next_button = QPushButton("Ne&xt step", self)
        self.next_button.setObjectName("lessonNextButton")
        self.next_button.clicked.connect(self.next_step)
        close = QPushButton("Close lesson", self)
        close.clicked.connect(self.closed.emit)
        body = QWidget(self)
        inner = QVBoxLayout(body)
        self.title.hide()  # in a short dock one line less: the title leads the cites
        for w in (self.cites, self.step_title, self.narration):
            inner.addWidget(w)
        inner.addStretch(1)
        scroll = self.narration_scroll = QScrollArea(self)  # the narration scrolls in a short dock
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        buttons = QHBoxLayout()
        for b in (self.hint_button, self.next_button, close):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scroll, 1)
        for w in (self.action, self.checks, self.hint):  # what to do stays in view
            w.setContentsMargins(6, 0, 6, 0)
            layout.addWidget(w)
        layout.addLayout(buttons)

    def _label(self, name: str, bold: bool = False, rich: bool = False) -> QLabel:
        label = QLabel("", self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if bold:
            font = QFont(label.font())
            font.setBold(True)
            label.setFont(font)
        return label

    # ------------------------------------------------------------------ lesson
    def start(self, lesson: Lesson, controller: Any) -> None:
        """Begin ``lesson`` on the session ``controller`` shows (already opened)."""
        self.stop()
        self.controller = controller
        self.progress = LessonProgress(lesson, controller.session)
        self.title.setText(lesson.title)
        self.cites.setText(f"<b>{html.escape(lesson.title)}</b> &nbsp;(patent: "
                           f"{html.escape(', '.join(lesson.cites))})")
        controller.stateChanged.connect(self.evaluate)
        controller.timeChanged.connect(self._time_changed)
        controller.sessionChanged.connect(self._session_changed)
        self._show_step()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stateChanged.disconnect(self.evaluate)
            self.controller.timeChanged.disconnect(self._time_changed)
            self.controller.sessionChanged.disconnect(self._session_changed)
        self.controller, self.progress = None, None
        self.changed.emit()

    def _time_changed(self, _t_us: float) -> None:
        if self.progress is not None and self.progress.session.now_us != self._read_at:
            self.evaluate()  # the session ran on: new deliveries, new MADs

    def _session_changed(self) -> None:
        if self.progress is not None and self.controller.session is not self.progress.session:
            self.closed.emit()  # another file was opened: the lesson is over

    @property
    def index(self) -> int:
        """The current step (0-based; -1 without a lesson)."""
        return self.progress.index if self.progress is not None else -1

    def sentences(self) -> list[str]:
        """The text shown that names nodes (for the labels that stay)."""
        if self.progress is None:
            return []
        step = self.progress.step
        return [step.narration] + ([step.action.node] if step.action else [])

    def _show_step(self) -> None:
        p = self.progress
        if p is None:
            return
        step, n = p.step, len(p.lesson.steps)
        self.step_title.setText(f"Step {p.index + 1} of {n}: {step.title}")
        self.narration.setText(cited(step.narration))
        self.action.setText("Your action: " + action_text(step.action) if step.action else
                            "Watch: press Play (space) and read the checks below; "
                            "then Next step.")
        self.hint.setText("")
        self.hint.hide()
        self.hint_button.setEnabled(bool(step.hints))
        QTimer.singleShot(0, self._scroll_to_step)  # once laid out: the step's top in view
        self.changed.emit()
        self.evaluate()

    def _scroll_to_step(self) -> None:
        """The step's title at the top when the heading above it can go whole out of view;
        else the top (never a heading cut in half)."""
        bar, target = self.narration_scroll.verticalScrollBar(), self.step_title.y() - 4
        bar.setValue(target if target <= bar.maximum() else 0)

    def evaluate(self) -> bool:
        """Read the step's checks on the model now. Once they all hold the step is done:
        its checks stay shown ticked with a "Done" line (the window pauses after the
        learner's action, so they see it) and Next step moves on. Returns whether the
        step is done."""
        p = self.progress
        if p is None:
            return False
        if p.completed:
            return True  # done: its ticks stay as they were when it completed
        self._read_at = p.session.now_us
        try:
            status = p.status()
        except LessonError as exc:
            self.checks.setText(f"<i>{html.escape(str(exc))}</i>")
            return False
        holds = all(r.ok for _d, r in status)
        self.checks.setText("<br>".join(  # one short line each; what the model shows:
            f"{'&#10003;' if r.ok else '&#9675;'} {html.escape(d)}" for d, r in status))
        self.checks.setToolTip("\n".join(f"{d}: now {r.observed}" for d, r in status))
        last = p.index + 1 >= len(p.lesson.steps)
        self.next_button.setEnabled(holds and not last)
        if holds:
            p.completed = True
            self._show_done(last)
        return holds

    def _show_done(self, last: bool) -> None:
        """The step's "Done" line; the hints are over (and the lesson, on the last step)."""
        p = self.progress
        assert p is not None
        step = p.step
        did = html.escape(step.action.text()) if step.action else "every check holds"
        then = "The lesson is complete." if last else "Press <b>Next step</b> when ready."
        self.action.setText(f"&#10003; <b>Done</b>: {did}. {then}")
        self.hint.setText("")
        self.hint.hide()
        self.hint_button.setEnabled(False)
        if last:
            self.step_title.setText(f"Lesson complete: {p.lesson.title}")
        if step.action is not None and self.controller is not None:
            self.controller.pause()  # the learner sees the step's checks ticked
        self.changed.emit()

    def next_step(self) -> None:
        if self.progress is not None and self.progress.advance():
            if self.controller is not None:
                self.controller.pause()  # let the learner read the next step
            self._show_step()

    def show_hint(self) -> None:
        if self.progress is None:
            return
        text = self.progress.next_hint()
        if text is not None:
            shown = self.hint.text()
            self.hint.setText((shown + "\n" if shown else "") + "Hint: " + text)
            self.hint.show()
        self.hint_button.setEnabled(self.progress.hints_shown < len(self.progress.step.hints))
