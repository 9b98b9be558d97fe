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
    """The narration strip's sentence for a read-only backend."""
    facts = sm_facts(backend.state, backend.fabric)
    if getattr(backend, "live", False):
        taken = f"polled live, last poll {clock(backend.last_poll)}"
    else:
        taken = f"files dated {clock(files_time(backend.sources), with_date=True)}"
    text = (f"Read-only: the state of a real fabric ({taken}); nothing is simulated. "
            f"{facts.line()}.")
    if what_if:
        return text + " What-if is on: a failed node is recomputed on a copy, as the SM would."
    return text + " Node > What-if mode: fail a node on a model of it to see what breaks."
