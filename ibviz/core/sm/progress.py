"""How far a long SM sweep is, for whoever waits on it (the GUI's progress dialog while a
46,550-LID fat tree is routed, seconds of work).

The caller that waits sets a receiver around the work, which need not pass it down::

    with reporting(progress):      # a ibviz.core.bulk.Progress: progress(done, total)
        Session(scenario, fabric)  # its first sweep reports as it goes

The sweep reports in thousandths of the whole (:data:`WHOLE`): each of its phases owns a
span of them (:data:`SPANS`, shares measured on ``fat-tree:k=35,n=3``) and its loops
report how far into the span they are, once per chunk of switches. Reports never go
backwards (a fabric of several components routes each through the same span). With no
receiver, :func:`span` returns None and a loop costs one ``is None`` test per chunk. The
receiver lives in a context variable: a worker thread's open never reports into another
thread's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ibviz.core.bulk import Progress

WHOLE = 1000
"""A sweep reports ``progress(done, WHOLE)``."""
CHUNK = 64
"""Loops over switches report once per this many."""
SPANS = {
    "ports": (0, 100),           # port states, hops from the SM
    "lids": (100, 140),          # LIDs assigned
    "port info": (140, 190),     # PortInfo Sets recorded
    "hops": (190, 410),          # the switch graph and its fewest-hop matrix
    "destinations": (410, 800),  # each destination switch's LIDs balanced everywhere
    "switch lids": (800, 930),   # the switches' own LIDs
    "program": (930, 985),       # LFT blocks sent
    "groups": (985, 1000),       # multicast groups programmed
    "done": (WHOLE, WHOLE),
}
"""The thousandths each phase of a first sweep owns: its share of the sweep's time on
``fat-tree:k=35,n=3`` (4.6 s here), so the bar moves at an even pace."""

Tick = Callable[[int, int], None]
"""``tick(done, total)``: how far into one phase."""


class _Monotonic:
    """Forwards ``done`` thousandths to the receiver only when they grew."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.done = -1

    def __call__(self, done: int) -> None:
        if done > self.done:
            self.done = done
            self.progress(done, WHOLE)


_RECEIVER: ContextVar[_Monotonic | None] = ContextVar("ibviz_sm_progress", default=None)


@contextmanager
def reporting(progress: Progress | None) -> Iterator[None]:
    """Sweeps inside this block report to ``progress`` (None: to no one); it is told
    ``(0, WHOLE)`` at once, so a dialog shows a fraction from the start."""
    receiver = _Monotonic(progress) if progress is not None else None
    token = _RECEIVER.set(receiver)
    try:
        if receiver is not None:
            receiver(0)
        yield
    finally:
        _RECEIVER.reset(token)


def span(phase: str) -> Tick | None:
    """``tick(done, total)`` for a loop of phase ``phase`` (a key of :data:`SPANS`), or
    None when no one listens."""
    receiver = _RECEIVER.get()
    if receiver is None:
        return None
    low, high = SPANS[phase]

    def tick(done: int, total: int) -> None:
        receiver(low + (high - low) * min(done, total) // max(total, 1))

    return tick


def reached(phase: str) -> None:
    """Phase ``phase`` starts (its span's low end is reported)."""
    tick = span(phase)
    if tick is not None:
        tick(0, 1)
