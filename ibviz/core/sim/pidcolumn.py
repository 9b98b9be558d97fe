"""The packet ids of a growing list of rows, as a numpy column, so that forgetting the
rows of retired packets looks only at the rows of old packets.

A long session keeps its recent packets in detail and forgets the rows (hops, drops,
deliveries) of older ones in passes. The rows come in time order, so those of old
packets sit at the front: with every packet id from ``below`` on known to be kept, a
pass finds the last row of an older packet with one vectorised test and asks the kept
set only about the distinct old ids before it, instead of about every row.
"""

from __future__ import annotations

from collections.abc import Container
from itertools import compress
from operator import itemgetter

import numpy as np

RANGE_PER_ROW = 8
"""Old ids spread wider than this many per row are told apart by sorting instead."""


class PidColumn:
    """The ids (field ``field`` of each row) of ``rows``, extended on use; the list is
    only appended to, apart from :meth:`trim`."""

    def __init__(self, rows: list, field: int) -> None:
        self.rows = rows
        self._get = itemgetter(field)
        self.pids = np.zeros(0, np.int64)

    def sync(self) -> np.ndarray:
        """The column over every row (reads only the rows appended since the last call)."""
        rows, have = self.rows, self.pids
        n = len(have)
        if n > len(rows):  # changed underneath: read it again
            n, have = 0, have[:0]
        if n < len(rows):
            new = np.fromiter(map(self._get, rows[n:]), np.int64, len(rows) - n)
            have = self.pids = np.concatenate([have, new]) if n else new
        return have

    def mask(self, kept: Container[int], below: int | None) -> np.ndarray:
        """Which rows to keep, over the rows up to the last one of a packet below
        ``below`` (every row when it is None), asking ``kept`` once per distinct id."""
        return head_mask(self.sync(), kept, below)

    def trim(self, kept: Container[int], below: int | None) -> tuple[int, np.ndarray]:
        """Forget the rows of packets not in ``kept`` (see :meth:`mask`) from both the
        list and the column; returns (rows looked at, their keep mask)."""
        head = self.mask(kept, below)
        self.apply(head)
        return len(head), head

    def keep_from(self, below: int, held: list[int], forgotten: bool = False) -> list:
        """Forget the rows of packets below ``below`` but those of ``held`` (the ledger's
        trim: no set is asked); returns the rows forgotten if asked (else [])."""
        pids = self.sync()
        keep = pids >= below
        if held:
            keep |= np.isin(pids, held)
        gone = np.flatnonzero(~keep)
        if not len(gone):
            return []
        head = keep[:int(gone[-1]) + 1]
        out = [self.rows[i] for i in gone.tolist()] if forgotten else []
        self.apply(head)
        return out

    def apply(self, head: np.ndarray) -> None:
        """Keep of the first ``len(head)`` rows those ``head`` marks (and the rest)."""
        end = len(head)
        if end and not head.all():
            first = int(head.argmax()) if head.any() else end  # the rows before it all go
            del self.rows[:first]
            head, end = head[first:], end - first
            self.rows[:end] = compress(self.rows[:end], head.tolist())
            pids = self.pids[first:]
            self.pids = np.concatenate([pids[:end][head], pids[end:]])


def head_mask(pids: np.ndarray, kept: Container[int], below: int | None) -> np.ndarray:
    """Which of the rows up to the last one of a packet below ``below`` (every row when
    it is None) to keep, asking ``kept`` once per distinct id."""
    if below is not None:
        older = np.flatnonzero(pids < below)
        pids = pids[:int(older[-1]) + 1] if len(older) else pids[:0]
    return kept_mask(pids, kept, below)


def kept_mask(pids: np.ndarray, kept: Container[int], below: int | None) -> np.ndarray:
    """Which of ``pids`` are in ``kept``, asking ``kept`` once per distinct id (only
    about those below ``below``: every id from it on is kept)."""
    old = pids < below if below is not None else np.ones(len(pids), bool)
    ids = pids[old]
    mask = ~old
    if not len(ids):
        return mask
    low = int(ids.min())
    span = int(ids.max()) - low + 1
    if span > RANGE_PER_ROW * len(ids) + 1024:  # sparse ids: sort them apart
        distinct = np.unique(ids)
        yes = distinct[_asked(kept, distinct)]
        mask[old] = np.isin(ids, yes)
        return mask
    table = np.zeros(span, bool)  # a table over the ids' range: no sorting
    table[ids - low] = True
    distinct = np.flatnonzero(table) + low
    table[distinct - low] = _asked(kept, distinct)
    mask[old] = table[ids - low]
    return mask


def _asked(kept: Container[int], ids: np.ndarray) -> np.ndarray:
    return np.fromiter(map(kept.__contains__, ids.tolist()), bool, len(ids))
