"""A learner's way through a lesson on a live session: the model a window shows.

The window plays the session and lets the learner act; :class:`LessonProgress` reads
the current step's checks against the session whenever asked, and moves on only once
they all hold. Nothing here runs the session or takes actions.
"""

from __future__ import annotations

from typing import Any

from ibviz.core.lessons.checks import CheckResult, Probe
from ibviz.core.lessons.model import Lesson, LessonError, Step


class LessonProgress:
    def __init__(self, lesson: Lesson, session: Any) -> None:
        self.lesson, self.session = lesson, session
        self.index = 0
        self.since_us = session.now_us
        """When the current step began: "during the step" checks count from here."""
        self.hints_shown = 0

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

    def advance(self) -> bool:
        """Move to the next step if every check of this one holds now."""
        if self.index + 1 >= len(self.lesson.steps) or not self.holds():
            return False
        self.index += 1
        self.since_us = self.session.now_us
        self.hints_shown = 0
        return True

    def next_hint(self) -> str | None:
        """The next hint of the current step (None when all were shown)."""
        if self.hints_shown >= len(self.step.hints):
            return None
        self.hints_shown += 1
        return self.step.hints[self.hints_shown - 1]
