"""Guided lessons: steps of narration, an optional learner action and typed checks on
the session's model (no Qt). Files are read by :mod:`ibviz.topology.lesson_yaml`;
:func:`~ibviz.core.lessons.runner.verify` plays a lesson headless."""

from ibviz.core.lessons.checks import Check, CheckResult
from ibviz.core.lessons.checks_run import CHECKS
from ibviz.core.lessons.model import ActionSpec, Lesson, LessonError, Step
from ibviz.core.lessons.progress import LessonProgress
from ibviz.core.lessons.runner import LessonVerdict, StepVerdict, perform, play, verify

__all__ = ["CHECKS", "ActionSpec", "Check", "CheckResult", "Lesson", "LessonError",
           "LessonProgress", "LessonVerdict", "Step", "StepVerdict", "perform", "play", "verify"]
