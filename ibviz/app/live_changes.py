"""Snapshots of a read-only fabric compared (no Qt): two dump directories (File > Compare
snapshots...) or every poll of a live attach, each difference found by
:func:`~ibviz.core.state_diff.diff_states` exactly as ``ibviz diff`` finds it, dated with
the files' modification times or the poll time; and what the canvas marks for it (ghosts
of what went, rings on what came or changed)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ibviz.app.connect import open_read_only
from ibviz.app.live_readonly import files_time
from ibviz.core.bulk import Progress
from ibviz.core.state_diff import StateDiff, Tables, diff_states

XY = tuple[float, float]


@dataclass
class ChangeRecord:
    """One comparison: from ``old`` (dated ``old_at``) to ``new`` (dated ``at``)."""

    old: str
    new: str
    old_at: float | None
    at: float | None
    diff: StateDiff

    def lines(self) -> list[str]:
        return self.diff.lines()


@dataclass
class Comparison:
    """Two snapshots read: ``old`` and ``new`` are started read-only backends."""

    old: Any
    new: Any
    record: ChangeRecord

    def close(self) -> None:
        self.old.close()


def compare_dirs(old: str | Path, new: str | Path, progress: Progress | None = None
                 ) -> Comparison:
    """Read both snapshots (directories or files) and compare them as ``ibviz diff``."""
    steps = [0, 0]

    def half(i: int):
        def report(done: int, total: int) -> None:
            steps[i] = int(50 * done / max(total, 1))
            if progress is not None:
                progress(sum(steps), 100)
        return report

    a = open_read_only(old, half(0))
    try:
        b = open_read_only(new, half(1))
    except BaseException:
        a.close()
        raise
    found = diff_states(a.fabric, a.sm, b.fabric, b.sm)
    record = ChangeRecord(str(old), str(new), files_time([Path(old)]),
                          files_time([Path(new)]), found)
    return Comparison(a, b, record)


class PollRecorder:
    """Records what each poll of a backend changed. :meth:`before_change` copies the
    backend's state just before a new snapshot is applied (only then: copying a 10k-node
    fabric takes seconds); :meth:`after_poll` compares the copy with the state now,
    records the difference once and lets the copy go."""

    def __init__(self, backend: Any, name: str = "connected") -> None:
        self.backend = backend
        self.records: list[ChangeRecord] = []
        self._name = name
        self._at: float | None = getattr(backend, "last_poll", None) or time.time()
        self._kept: tuple[Any, Tables] | None = None

    def before_change(self) -> None:
        """A snapshot is about to be applied: keep the state it replaces."""
        if self._kept is None:
            self._kept = (self.backend.fabric.copy(), Tables.of(self.backend.sm))

    def after_poll(self, at: float | None = None) -> ChangeRecord | None:
        """The difference the applied snapshot made, dated ``at`` (default: now), or None
        (nothing kept, or nothing differs)."""
        if self._kept is None:
            return None
        (fabric, tables), self._kept = self._kept, None
        found = diff_states(fabric, tables, self.backend.fabric, self.backend.sm)
        if found.is_empty:
            return None
        at = at or time.time()
        stamp = time.strftime("%H:%M:%S", time.localtime(at))
        record = ChangeRecord(self._name, f"poll {stamp}", self._at, at, found)
        self.records.append(record)
        self._name, self._at = record.new, at
        return record


@dataclass
class ChangeMarks:
    """What the canvas draws over the fabric for a comparison."""

    ghosts: list[tuple[XY, str]] = field(default_factory=list)
    """Removed nodes: where they were, and their name."""
    ghost_links: list[tuple[XY, XY]] = field(default_factory=list)
    added: set[int] = field(default_factory=set)
    """Nodes that came (ringed)."""
    changed: set[int] = field(default_factory=set)
    """Switches whose MFT or LFT changed, and members that joined or left (ringed)."""
    added_links: list[tuple[XY, XY]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.ghosts or self.ghost_links or self.added or self.changed
                    or self.added_links)


def _guid(text: str) -> int:
    return int(text.split(":")[0], 16)


def change_marks(diff: StateDiff, old_xy: dict[int, XY], new_xy: dict[int, XY]
                 ) -> ChangeMarks:
    """Marks of ``diff``: ``old_xy`` places the old snapshot's nodes, ``new_xy`` the new's
    (one layout: a node present in both is where the new snapshot has it)."""
    marks = ChangeMarks()

    def where(guid: int) -> XY | None:
        xy = new_xy.get(guid, old_xy.get(guid))
        return None if xy is None else (float(xy[0]), float(xy[1]))

    for n in diff.nodes_removed:
        xy = where(_guid(n["guid"]))
        if xy is not None:
            marks.ghosts.append((xy, n["name"]))
    marks.added = {_guid(n["guid"]) for n in diff.nodes_added}
    for link in diff.links_changed:
        a, b = where(_guid(link["a"])), where(_guid(link["b"]))
        if a is None or b is None:
            continue
        if link["change"] == "removed":
            marks.ghost_links.append((a, b))
        elif link["change"] == "added":
            marks.added_links.append((a, b))
    marks.changed = {_guid(e["switch"]) for e in diff.mft_changed + diff.lft_changed}
    marks.changed |= {_guid(m["node"]) for m in diff.members_changed}
    marks.changed -= marks.added
    return marks
