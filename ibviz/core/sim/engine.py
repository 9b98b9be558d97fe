"""A small, deterministic discrete-event core.

Events sit in a heap ordered by ``(time, priority, sequence)``; the sequence number is a
tie-break counter so events at the same time run in the order they were scheduled.
``peek``/``step``/``run(until)`` as in SimPy; pacing against wall time lives outside.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(order=True)
class Scheduled:
    time: float
    priority: int
    seq: int
    action: Callable[[], Any] = field(compare=False)
    label: str = field(default="", compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class Engine:
    """Simulated time in microseconds."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._heap: list[Scheduled] = []
        self._seq = 0

    def at(self, time: float, action: Callable[[], Any], label: str = "",
           priority: int = 0) -> Scheduled:
        """Schedule ``action`` at absolute ``time`` (not in the past)."""
        if time < self.now:
            raise ValueError(f"cannot schedule at {time} us, before now ({self.now} us)")
        item = Scheduled(time, priority, self._seq, action, label)
        self._seq += 1
        heapq.heappush(self._heap, item)
        return item

    def after(self, delay: float, action: Callable[[], Any], label: str = "",
              priority: int = 0) -> Scheduled:
        return self.at(self.now + max(0.0, delay), action, label, priority)

    def peek(self) -> float:
        """Time of the next event (``inf`` when there is none)."""
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].time if self._heap else float("inf")

    def step(self) -> Scheduled | None:
        """Run the next event; None when there is none."""
        if self.peek() == float("inf"):
            return None
        item = heapq.heappop(self._heap)
        self.now = item.time
        item.action()
        return item

    def run(self, until: float | None = None) -> None:
        """Run events up to and including time ``until`` (all of them when None)."""
        while self.peek() != float("inf") and (until is None or self.peek() <= until):
            self.step()
        if until is not None and until > self.now:
            self.now = until

    def __len__(self) -> int:
        return sum(1 for e in self._heap if not e.cancelled)
