"""What a read-only backend's files say, in words for the window (no Qt): when the state
was taken (the files' modification times, or the poll time of a live attach) and the
sentence the narration strip shows instead of a simulation's "Press Play" (the subnet
manager as :mod:`ibviz.topology.state.sm_facts` reads it)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ibviz.core.scenario.session import LogEntry
from ibviz.topology.state.sm_facts import clock, sm_facts


def files_time(sources: list[Path]) -> float | None:
    """When a snapshot was taken: the newest modification time of its files."""
    times = []
    for src in sources:
        files = [p for p in src.iterdir() if p.is_file()] if src.is_dir() else [src]
        times += [p.stat().st_mtime for p in files if p.exists()]
    return max(times, default=None)


def read_only_intro(backend: Any, what_if: bool = False) -> str:
    """The narration strip's sentence for a read-only backend: the most telling first
    (the strip may show one line at 1280x720)."""
    facts = sm_facts(backend.state, backend.fabric)
    if getattr(backend, "live", False):
        taken = f"Read-only live fabric, polled {clock(backend.last_poll)}"
    else:
        taken = f"Read-only dumps of {clock(files_time(backend.sources), with_date=True)}"
    where = facts.shown or facts.where  # LIDs as the canvas draws them
    sm = f"SM {facts.state}" + (f" on {where}" if where else "")
    parts = [taken, sm]
    if facts.priority is not None:
        parts.append(f"priority {facts.priority}")
    if facts.last_sweep:
        parts.append(f"last sweep {clock(facts.last_sweep)}")
    parts.append("What-if on: a model, the fabric untouched" if what_if
                 else "nothing simulated (What-if: Node menu)")
    return " \u00b7 ".join(parts)


def read_only_detail(backend: Any) -> str:
    """Where each fact came from (the strip's tooltip)."""
    return sm_facts(backend.state, backend.fabric).line()


class SeenLogMixin:
    """The log of a live session as a read-only backend needs it (mixed into
    :class:`~ibviz.app.live_session.LiveSession`): each entry's wall-clock time, a change
    logged once per poll, a node that disappeared still named, and the narration's
    sentence (no "Press Play")."""

    read_only: bool
    what_if: bool
    backend: Any
    fabric: Any
    log: list
    engine: Any

    def init_seen_log(self) -> None:
        self.wall: list[float] = []
        """Wall-clock time (epoch seconds) of each log entry: a read-only backend's
        entries carry no simulated time (nothing is simulated), these say when it was seen."""
        self._names = {g: n.label for g, n in self.fabric.nodes.items()}
        self._noted: set[tuple[str, str]] = set()

    @property
    def idle_text(self) -> str | None:
        """The narration strip's sentence before anything happened: on a read-only backend
        what the files say (no "Press Play": nothing plays)."""
        if not self.read_only:
            return None
        return read_only_intro(self.backend, self.what_if)

    def log_stamp(self, index: int) -> str:
        """When log entry ``index`` was seen: wall-clock time on a read-only backend, else
        the simulated time in microseconds."""
        if self.read_only and index < len(self.wall):
            return time.strftime("%H:%M:%S", time.localtime(self.wall[index]))
        return f"{self.log[index].t_us:,.3f}"

    def note(self, kind: str, text: str, node: int | None = None,
             group: str | None = None) -> None:
        """Log one change; on a read-only backend a change already logged in this poll
        (the same words) is not logged again."""
        if self.read_only:
            if (kind, text) in self._noted:
                return
            self._noted.add((kind, text))
        self.log.append(LogEntry(self.engine.now, kind, text, node, group))
        self.wall.append(time.time())

    def new_poll(self) -> None:
        """A poll begins: remember the names of the nodes (one that disappears in it is
        still named) and let a change seen again later be logged again."""
        self._noted.clear()
        self._names.update({g: n.label for g, n in self.fabric.nodes.items()})

    def _label(self, guid: int) -> str:
        node = self.fabric.nodes.get(guid)
        if node is not None:
            return node.label
        return self._names.get(guid, f"{guid:#018x}")

