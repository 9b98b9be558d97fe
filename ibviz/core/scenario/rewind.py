"""Time travel for a :class:`~ibviz.core.scenario.session.Session`: the user's steps, the
scenario's script and what a step taken in the past drops.

The view time is the session's time. Seeking back re-simulates from the start (the core is
deterministic for a seed), replaying the script and the user's steps; each user step runs
after everything else at its instant, whichever way that instant is reached (played,
replayed, or re-simulated), so every path to a time gives the same state.

A user step taken at time ``t`` replaces the user's own later steps, and, where it conflicts
with the script's future (they touch the same node, or both change the fabric: fail, fail
back, links, remap), the script's entries after ``t`` too. Undoing the step restores both.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ibviz.core import actions as act
from ibviz.core.scenario.model import Scenario

FABRIC_KINDS = frozenset({"fail", "failback", "link_down", "link_up", "remap"})
"""Actions that change the fabric: a user's one conflicts with any scripted one later."""
FAILURE_KINDS = frozenset({"fail", "failback", "link_down", "link_up"})
"""What free play leaves out of a scenario's script."""


@dataclass
class Step:
    """One undoable user action and what it dropped."""

    timed: act.Timed
    script_cut_us: float | None = None
    """The script's entries after this time are dropped (None: the script goes on)."""
    dropped_script: list[tuple[float, act.Action]] = field(default_factory=list)
    replaced: list[Step] = field(default_factory=list)
    """The user's own later steps this one replaced (restored by undo)."""

    @property
    def at_us(self) -> float:
        return self.timed.at_us

    @property
    def drops(self) -> bool:
        return bool(self.dropped_script or self.replaced)


def free_play(scenario: Scenario) -> Scenario:
    """``scenario`` without its scripted failures, failbacks and link changes (joins and
    the rest of its set-up stay): the trainer decides what fails, and when."""
    kept = [e for e in scenario.timeline if e.kind not in FAILURE_KINDS]
    return dataclasses.replace(scenario, timeline=kept,
                               description=f"{scenario.description} (free play)")


def script_cut(steps: list[Step]) -> float:
    """The time after which the script is dropped (``inf``: it plays in full)."""
    cuts = [s.script_cut_us for s in steps if s.script_cut_us is not None]
    return min(cuts, default=math.inf)


def nodes_of(action: act.Action) -> set[int]:
    node = getattr(action, "node", None)
    nodes = {node} if isinstance(node, int) else set()
    for name in ("primary", "takeover"):
        value = getattr(action, name, None)
        if isinstance(action, act.Protect) and isinstance(value, int):
            nodes.add(value)
    return nodes


def conflicts(action: act.Action, scripted: act.Action) -> bool:
    """Whether a user's ``action`` now makes the script's later ``scripted`` entry stale."""
    if action.kind in FABRIC_KINDS and scripted.kind in FABRIC_KINDS:
        return True
    return bool(nodes_of(action) & nodes_of(scripted))


def plan(action: act.Action, at_us: float, steps: list[Step],
         script: list[tuple[float, act.Action]]) -> Step:
    """The step for ``action`` taken at ``at_us``: which of the user's later steps it
    replaces and which of the script's later entries it drops (none unless one conflicts).
    ``script`` is the whole script; ``steps`` the user's steps so far."""
    replaced = [s for s in steps if s.at_us > at_us]
    kept = [s for s in steps if s.at_us <= at_us]
    cut = script_cut(kept)
    future = [(t, a) for t, a in script if at_us < t <= cut]
    if any(conflicts(action, a) for _t, a in future):
        return Step(act.Timed(at_us, action), at_us, future, replaced)
    return Step(act.Timed(at_us, action), None, [], replaced)


def drop_sentence(step: Step, label: Callable[[int], str]) -> str:
    """One short sentence saying what ``step`` dropped (narration and event log); the
    timeline bar shows the dropped steps themselves."""
    dropped = []
    n = len(step.dropped_script)
    if n == 1:
        what = act.describe(step.dropped_script[0][1], label)
        dropped.append(f"the script's {what[0].lower()}{what[1:]}")
    elif n > 1:
        dropped.append(f"the rest of the script ({n} steps)")
    if step.replaced:
        k = len(step.replaced)
        dropped.append(f"your {k} later action{'s' if k > 1 else ''}")
    them = "them" if n > 1 or len(step.replaced) > 1 or len(dropped) > 1 else "it"
    return (f"Your {act.describe(step.timed.action, label)} replaces "
            f"{' and '.join(dropped)}; Undo brings {them} back.")
