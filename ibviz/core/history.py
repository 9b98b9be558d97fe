"""Bounded history: a sequence that counts everything appended but keeps only the newest.

Long sessions (thousands of fail/failback cycles) must not grow without bound, yet the
views address log entries, MADs and outcomes by their position since the session began.
:class:`Window` keeps those global positions: ``len()`` is the number ever appended,
``w[i]`` is entry ``i`` while it is still kept (``IndexError`` once it was dropped),
``w.first`` is the oldest position kept, and iteration yields only what is kept. Negative
indices and slices work on global positions too (``w[-1]`` is the newest entry,
``w[since:]`` the kept entries from ``since`` on).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from itertools import islice
from typing import Generic, TypeVar, overload

T = TypeVar("T")

LOG_WINDOW = 20_000
"""Event log entries kept (the GUI's event log shows these)."""
MAD_WINDOW = 20_000
"""MADs kept (as compact columns: pcap export and the MAD inspector); counters cover all."""
OUTCOME_WINDOW = 1_000
"""Failover/failback outcomes kept in full (the report lists these)."""
CHANGE_WINDOW = 5_000
"""MFT changes and checkpoints kept."""


class Window(Generic[T]):
    """Append-only, keeps the newest ``size`` items under their global positions."""

    __slots__ = ("_items", "_dropped", "size")

    def __init__(self, size: int) -> None:
        self._items: deque[T] = deque()
        self._dropped = 0
        self.size = size

    @property
    def first(self) -> int:
        """Global position of the oldest item kept."""
        return self._dropped

    @property
    def dropped(self) -> int:
        return self._dropped

    def append(self, item: T) -> None:
        self._items.append(item)
        if len(self._items) > self.size:
            self._items.popleft()
            self._dropped += 1

    def __len__(self) -> int:
        return self._dropped + len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items) or self._dropped > 0

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def _local(self, i: int) -> int:
        n = len(self)
        if i < 0:
            i += n
        if not self._dropped <= i < n:
            raise IndexError(f"position {i} is not kept (kept: {self._dropped}..{n - 1})")
        return i - self._dropped

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            start = max(start, self._dropped) - self._dropped
            stop = max(stop, self._dropped) - self._dropped
            n = len(self._items)
            if step != 1 or start >= stop:
                return list(self._items)[start:stop:step]
            tail = list(islice(reversed(self._items), n - stop, n - start))  # O(n - start)
            tail.reverse()
            return tail
        return self._items[self._local(i)]

    def get(self, i: int) -> T | None:
        """Item ``i``, or None when it was dropped or does not exist."""
        try:
            return self[i]
        except IndexError:
            return None

    def clear(self) -> None:
        self._items.clear()
        self._dropped = 0
