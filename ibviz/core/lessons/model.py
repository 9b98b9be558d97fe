"""A lesson: a scenario (or a bare fabric) and steps, each with narration, an optional
action the learner takes, typed checks on the model, and hints. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ibviz.core.lessons.errors import LessonError

if TYPE_CHECKING:
    from ibviz.core.lessons.checks import Check

ACTION_KINDS = ("fail", "failback", "join", "leave", "remap", "link_down", "link_up")
"""What a learner can do in the window, by the name of the menu action."""


@dataclass(frozen=True)
class ActionSpec:
    """One learner action by kind and node names (``{fail: first-node}``)."""

    kind: str
    node: str
    group: str | None = None
    port: int | None = None
    join: str = "full"
    primary: int | None = None
    not_primary: int | None = None
    key: str = field(default="", compare=False)
    """The lesson key it came from (``steps[1].action``), for error messages."""

    def text(self) -> str:
        extra = {"group": self.group, "port": self.port, "primary": self.primary,
                 "not_primary": self.not_primary}
        args = " ".join(f"{k}={v}" for k, v in extra.items() if v is not None)
        return f"{self.kind} {self.node}" + (f" ({args})" if args else "")


@dataclass
class Step:
    title: str
    narration: str
    action: ActionSpec | None = None
    checks: list[Check] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    wait_us: float = 2000.0
    """Simulated time the step runs (after its action) before its checks are read."""


@dataclass
class Lesson:
    name: str
    title: str
    cites: list[str]
    """The patent's paragraphs, figures and method steps the lesson teaches."""
    steps: list[Step]
    scenario: str | None = None
    """A scenario name or file (relative to the lesson file); or else ``fabric``."""
    fabric: str | None = None
    mode: str | None = None
    """Override of the scenario's failover mode (``auto``, ``mlid``, ``port``, ``lmc``)."""
    keep_script: bool = False
    """Keep the scenario's scripted timeline; by default the learner acts alone."""
    start_us: float = 1000.0
    """Simulated time run before the first step (the SM sweeps, traffic starts)."""
    source: str = ""
    lines: dict[str, int] = field(default_factory=dict)

    def error(self, key: str, message: str) -> LessonError:
        probe = key
        line = self.lines.get(probe)
        while line is None and probe:
            probe = probe.rsplit(".", 1)[0] if "." in probe else probe.rsplit("[", 1)[0] \
                if "[" in probe else ""
            line = self.lines.get(probe)
        return LessonError(message, key, line, self.source)
