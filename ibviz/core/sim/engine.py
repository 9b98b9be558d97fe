"""A small, deterministic discrete-event core.

Events sit in a heap of plain tuples ``(time, priority, sequence, action, args)``; the
sequence number is a tie-break counter, so events at the same time and priority run in
the order they were scheduled, and the heap never compares two actions. ``peek`` /
``step`` / ``run(until)`` as in SimPy. Pacing against wall time lives outside (the GUI
drives :meth:`Engine.run` up to whatever simulated time it shows).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

INF = float("inf")


class Engine:
    """Simulated time in microseconds."""

    __slots__ = ("now", "_heap", "_seq", "_cancelled", "events_run", "limit", "fast")

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._heap: list[tuple[float, int, int, Callable[..., Any], tuple]] = []
        self._seq = 0
        self._cancelled: set[int] = set()
        self.events_run = 0
        self.limit = INF
        """The time the current :meth:`run` stops at: an action that runs events of its
        own (the packet simulator's batch) must not go past it."""
        self.fast: tuple[Callable[..., None], Callable[..., Any], object] | None = None
        """(loop, function, owner): a compiled :meth:`run` loop that takes the same steps
        and runs ``owner``'s bound ``function`` events without leaving C (the packet
        simulator's batches, when its compiled hop loop is in use); None: the loop below."""

    def at(self, time: float, action: Callable[..., Any], label: str = "",
           priority: int = 0, args: tuple = ()) -> int:
        """Schedule ``action(*args)`` at absolute ``time`` (not in the past).

        Returns a handle for :meth:`cancel`. ``label`` documents the call site only.
        """
        if time < self.now:
            raise ValueError(f"cannot schedule at {time} us, before now ({self.now} us)")
        seq = self._seq
        self._seq = seq + 1
        heapq.heappush(self._heap, (time, priority, seq, action, args))
        return seq

    def after(self, delay: float, action: Callable[..., Any], label: str = "",
              priority: int = 0, args: tuple = ()) -> int:
        return self.at(self.now + (delay if delay > 0 else 0.0), action, label, priority, args)

    def push(self, time: float, action: Callable[..., Any], args: tuple) -> None:
        """:meth:`at` without the checks, for the packet simulator's hot path (``time``
        must not be in the past)."""
        seq = self._seq
        self._seq = seq + 1
        heapq.heappush(self._heap, (time, 0, seq, action, args))

    def cancel(self, handle: int) -> None:
        self._cancelled.add(handle)

    def peek(self) -> float:
        """Time of the next event (``inf`` when there is none)."""
        heap = self._heap
        while heap and heap[0][2] in self._cancelled:
            self._cancelled.discard(heapq.heappop(heap)[2])
        return heap[0][0] if heap else INF

    def step(self) -> bool:
        """Run the next event; False when there is none."""
        if self.peek() == INF:
            return False
        time, _, _, action, args = heapq.heappop(self._heap)
        self.now = self.limit = time
        self.events_run += 1
        try:
            action(*args)
        finally:
            self.limit = INF
        return True

    def run(self, until: float | None = None) -> None:
        """Run events up to and including time ``until`` (all of them when None)."""
        limit = INF if until is None else until
        if self.fast is not None:
            loop, function, owner = self.fast
            loop(self, limit, function, owner)  # sets limit, resets it, counts events
            if until is not None and until > self.now:
                self.now = until
            return
        heap, pop, cancelled = self._heap, heapq.heappop, self._cancelled
        self.limit = limit
        done = 0
        try:
            while heap and heap[0][0] <= limit:
                time, _, seq, action, args = pop(heap)
                if cancelled and seq in cancelled:
                    cancelled.discard(seq)
                    continue
                self.now = time
                done += 1
                action(*args)
        finally:
            self.limit = INF
            self.events_run += done
        if until is not None and until > self.now:
            self.now = until

    def __len__(self) -> int:
        return sum(1 for e in self._heap if e[2] not in self._cancelled)

    def __bool__(self) -> bool:
        """An engine is always truthy (even with nothing queued), so ``engine or
        Engine()`` never swaps a caller's engine."""
        return True
