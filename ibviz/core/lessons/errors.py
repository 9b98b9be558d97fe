"""The lesson error, apart so that the checks and the lesson model can both raise it."""

from __future__ import annotations

from ibviz.core.scenario.model import ScenarioError


class LessonError(ScenarioError):
    """A lesson that cannot be read or run; names the file, the line and the key."""
