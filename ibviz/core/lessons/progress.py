"""A learner's way through a lesson on a live session: the model a window shows.

The window plays the session and lets the learner act; :class:`LessonProgress` reads
the current step's checks against the session whenever asked, and moves on only once
they all hold. Nothing here runs the session or takes actions.
"""

from __future__ import annotations

from typing import Any

from ibviz.core.lessons.checks import CheckResult, Probe
from ibviz.core.lessons.model import Lesson, LessonError, Step


def first_step_since(now_us: float) -> float:
    """The first step counts from the session's start (time 0), not from the lesson's
    ``start_us``: the packets delivered before the lesson opened are on the screen."""
    return 0.0 if now_us >= 0 else now_us


class LessonProgress:
    def __init__(self, lesson: Lesson, session: Any) -> None:
        self.lesson, self.session = lesson, session
        self.index = 0
        self.since_us = first_step_since(session.now_us)
        """When the current step began: "during the step" checks count from here (the
        first step from the session's start: what the learner sees when the lesson opens)."""
        self.hints_shown = 0
        self.completed = False
        """Every check of the current step held at some point: the step is done and stays
        done (shown ticked) until the learner moves on."""

    @property
    def step(self) -> Step:
        return self.lesson.steps[self.index]

    @property
    def finished(self) -> bool:
        return self.index >= len(self.lesson.steps) - 1 and self.holds()

    def status(self) -> list[tuple[str, CheckResult]]:
        """Each check of the current step, described, with its result now."""
        probe = Probe(self.session, self.since_us)
        out = []
        for check in self.step.checks:
            try:
                out.append((check.describe(), check.evaluate(probe)))
            except LessonError as exc:
                raise self.lesson.error(exc.key or check.key, exc.detail) from None
        return out

    def holds(self) -> bool:
        return all(r.ok for _d, r in self.status())

    def complete(self) -> bool:
        """Whether the current step is done: its checks hold now or held once."""
        if not self.completed and self.holds():
            self.completed = True
        return self.completed

    def advance(self) -> bool:
        """Move to the next step if this one is done (its checks held)."""
        if self.index + 1 >= len(self.lesson.steps) or not self.complete():
            return False
        self.index += 1
        self.since_us = self.session.now_us
        self.hints_shown = 0
        self.completed = False
        return True

    def next_hint(self) -> str | None:
        """The next hint of the current step (None when all were shown)."""
        if self.hints_shown >= len(self.step.hints):
            return None
        self.hints_shown += 1
        return self.step.hints[self.hints_shown - 1]
