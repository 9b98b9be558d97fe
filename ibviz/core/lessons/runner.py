"""Playing a lesson headless: each step's action is performed, the session runs the
step's time, and every check is read. :func:`verify` also replays each step with its
action skipped and requires every check of that step to fail then: a check that holds
without the learner's action teaches nothing.

:func:`perform` is the one place that maps a lesson's action onto a session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ibviz.core.lessons.checks import CheckResult, Probe
from ibviz.core.lessons.model import ActionSpec, Lesson, LessonError
from ibviz.core.lessons.progress import first_step_since
from ibviz.core.scenario.model import ScenarioError

SessionFactory = Callable[[], Any]
"""Builds a fresh session for the lesson (see ``ibviz.topology.lessons``)."""


def perform(session: Any, action: ActionSpec) -> None:
    """Do ``action`` on ``session`` now, as the learner's click would: the lesson's action
    (kind + node names) becomes the typed action of :mod:`ibviz.core.actions` the way a
    scenario's timeline entry does, and goes through the session's one entry point."""
    from ibviz.core.scenario.model import Action as Entry
    from ibviz.core.scenario.timeline import resolve_entry

    try:
        entry = Entry(session.now_us, action.kind, action.node, action.group, action.port,
                      action.join, action.primary, action.not_primary)
        session.apply(resolve_entry(session, entry, action.key))
    except LessonError:
        raise
    except ScenarioError as exc:
        raise LessonError(exc.detail, action.key) from None


@dataclass
class StepVerdict:
    index: int
    title: str
    action: str | None
    results: list[tuple[str, CheckResult]]
    """(check description, result with the action taken)."""
    skipped: list[tuple[str, CheckResult]] = field(default_factory=list)
    """The same checks with the action skipped (steps with an action)."""

    @property
    def ok(self) -> bool:
        return all(r.ok for _d, r in self.results) and not any(r.ok for _d, r in self.skipped)


@dataclass
class LessonVerdict:
    lesson: Lesson
    steps: list[StepVerdict]

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)


def play(lesson: Lesson, new_session: SessionFactory, *, skip: int | None = None,
         upto: int | None = None) -> list[list[tuple[str, CheckResult]]]:
    """Run the lesson's steps (through step ``upto``), skipping the action of step
    ``skip``; returns each step's (check description, result) pairs."""
    session = new_session()
    session.run_until(lesson.start_us)
    out = []
    last = len(lesson.steps) - 1 if upto is None else upto
    for i, step in enumerate(lesson.steps[:last + 1]):
        since = session.now_us
        counted = first_step_since(since) if i == 0 else since  # as the window counts
        if step.action is not None and i != skip:
            try:
                perform(session, step.action)
            except LessonError as exc:
                raise lesson.error(exc.key or step.action.key, exc.detail) from None
        session.run_until(since + step.wait_us)
        probe = Probe(session, counted)
        results = []
        for check in step.checks:
            try:
                results.append((check.describe(), check.evaluate(probe)))
            except LessonError as exc:
                raise lesson.error(exc.key or check.key, exc.detail) from None
        out.append(results)
    return out


def verify(lesson: Lesson, new_session: SessionFactory) -> LessonVerdict:
    """Every check holds when the actions are taken, and fails when its step's action
    is skipped (steps without an action only observe)."""
    taken = play(lesson, new_session)
    steps = []
    for i, step in enumerate(lesson.steps):
        verdict = StepVerdict(i + 1, step.title,
                              step.action.text() if step.action else None, taken[i])
        if step.action is not None:
            verdict.skipped = play(lesson, new_session, skip=i, upto=i)[i]
        steps.append(verdict)
    return LessonVerdict(lesson, steps)
