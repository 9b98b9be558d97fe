"""What a read-only backend's files say, in words for the window (no Qt): when the state
was taken (the files' modification times, or the poll time of a live attach) and the
sentence the narration strip shows instead of a simulation's "Press Play" (the subnet
manager as :mod:`ibviz.topology.state.sm_facts` reads it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    sm = f"SM {facts.state}" + (f" on {facts.where}" if facts.where else "")
    parts = [taken, sm]
    if facts.priority is not None:
        parts.append(f"priority {facts.priority}")
    if facts.last_sweep:
        parts.append(f"last sweep {clock(facts.last_sweep)}")
    parts.append("What-if on: failures are tried on a model, the fabric is untouched"
                 if what_if else "nothing is simulated; Node > What-if mode tries a failure")
    return " \u00b7 ".join(parts)


def read_only_detail(backend: Any) -> str:
    """Where each fact came from (the strip's tooltip)."""
    return sm_facts(backend.state, backend.fabric).line()
