"""Many SMPs recorded at once, and which LFT blocks a sweep must program.

A heavy sweep at 10,000 HCAs sends some 340,000 LinearForwardingTable blocks; building a
Python :class:`~ibviz.core.sm.mads.Mad` (and a dict) for each took more time than the
routing itself. :class:`SmpBatch` collects the SMPs of a sweep step as columns and
appends them to the :class:`~ibviz.core.sm.mads.MadLog` in one go (the log keeps only
its window of them; counters count them all). When someone listens for
:class:`~ibviz.core.events.MadSent`, the SMPs are sent one by one as before, so the
events and the log are exactly what row-by-row recording gives.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np

from ibviz.core import events as ev
from ibviz.core.model import NO_PATH, PortRef
from ibviz.core.sm.mads import SMP_CLASS
from ibviz.core.sm.records import SaMethod

LFT_BLOCK = 64
_CHUNK_CELLS = 4_000_000


class SmpBatch:
    """SMP Sets of one sweep step, in sending order; :meth:`send` records them.

    ``sm`` is the :class:`~ibviz.core.sm.manager.SubnetManager` (typed loosely: the
    manager imports this module)."""

    def __init__(self, sm: Any, reason: str) -> None:
        self.sm, self.reason = sm, reason
        self.attributes: list[str] = []
        self._attr: dict[str, int] = {}
        self._calls: list[tuple[int, int, int, dict[str, Any] | None]] = []
        """Per :meth:`add`: attribute number, destination, how many SMPs, fields."""
        self._mod: list[list[int] | np.ndarray] = []
        """The modifiers, in runs: lists of single ones, arrays of an add's many."""
        self._count = 0
        self._rows: list[tuple[str, int, Any, Any]] = []

    def add(self, attribute: str, dst: int, modifiers: np.ndarray | list[int] | int,
            fields: dict[str, Any] | None = None) -> None:
        """SMPs ``attribute`` to switch or node ``dst``, one per modifier."""
        if self.sm.events.active:
            self._rows.append((attribute, dst, modifiers, fields or {}))
            return
        a = self._attr.get(attribute)
        if a is None:
            a = self._attr[attribute] = len(self.attributes)
            self.attributes.append(attribute)
        if isinstance(modifiers, int):
            self._one(modifiers)
            self._calls.append((a, dst, 1, fields))
            return
        mods = np.asarray(modifiers, dtype=np.int64).ravel()
        self._mod.append(mods)
        self._count += len(mods)
        self._calls.append((a, dst, len(mods), fields))

    def _one(self, modifier: int) -> None:
        if self._mod and isinstance(self._mod[-1], list):
            self._mod[-1].append(modifier)
        else:
            self._mod.append([modifier])
        self._count += 1

    def add_many(self, attribute: str, dsts: list[int], modifiers: list[int],
                 fields: list[dict[str, Any]]) -> None:
        """One SMP ``attribute`` per ``(dst, modifier, fields)``, in that order: what
        calling :meth:`add` for each does, in one go."""
        if self.sm.events.active:
            self._rows += zip(itertools.repeat(attribute), dsts, modifiers, fields)
            return
        if not dsts:
            return
        a = self._attr.get(attribute)
        if a is None:
            a = self._attr[attribute] = len(self.attributes)
            self.attributes.append(attribute)
        self._mod.append(np.asarray(modifiers, dtype=np.int64))
        self._count += len(modifiers)
        self._calls += zip(itertools.repeat(a), dsts, itertools.repeat(1), fields)

    def event(self, kind: type[ev.Event], *args: object) -> None:
        """Emit ``kind(*args)`` at this point of the sending order (if anyone listens)."""
        if self.sm.events.active:
            self._rows.append(("", 0, kind, args))

    def send(self) -> None:
        sm = self.sm
        for attribute, dst, mods, fields in self._rows:
            if not attribute:
                sm.events.emit(mods(*fields))
                continue
            for mod in np.atleast_1d(mods).tolist():
                sm.smp(attribute, dst, int(mod), self.reason, **fields)
        self._rows = []
        n = self._count
        if not n:
            return
        log, calls = sm.mads, self._calls
        slot: dict[int, int] = {}  # destination -> its row in ``port`` and ``latency``
        where = np.array([slot.setdefault(c[1], len(slot)) for c in calls], dtype=np.int64)
        port = np.array([log.port_id(PortRef(dst, 0)) for dst in slot], dtype=np.int64)
        latency = np.array([sm.config.latency.smp(sm._hops_to(dst)) for dst in slot],
                           dtype=np.float64)
        sizes = np.array([c[2] for c in calls], dtype=np.int64)
        # rows the window drops at once: their fields are not stored
        first_kept = int(np.searchsorted(np.cumsum(sizes), log.unkept(n), side="right"))
        empty = log.fields_id({})
        fields = [empty] * first_kept + [empty if f is None else log.fields_id(f)
                                         for _, _, _, f in calls[first_kept:]]
        log.add_columns(SMP_CLASS, int(SaMethod.SET), self.attributes,
                        np.repeat(np.array([c[0] for c in calls], dtype=np.int64), sizes),
                        np.concatenate([np.asarray(m, dtype=np.int64) for m in self._mod]),
                        sm.sm_port,
                        np.repeat(port[where], sizes), sm.now_us,
                        np.repeat(latency[where], sizes), self.reason,
                        np.repeat(np.array(fields, dtype=np.int64), sizes))
        self._calls, self._mod, self._count = [], [], 0


def _padded(rows: list[np.ndarray | None], width: int) -> np.ndarray:
    out = np.full((len(rows), width), NO_PATH, dtype=np.uint8)
    for i, row in enumerate(rows):
        if row is not None:
            out[i, : len(row)] = row
    return out


def lft_changes(old: Mapping[int, np.ndarray], new: Mapping[int, np.ndarray]
                ) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
    """What programming ``new`` over ``old`` takes, per switch of ``new`` (in its order).

    Returns (switch GUIDs, changed-block mask ``(switches, blocks)``, top entry per
    switch (last LID with a port, 0 if none), changed entries per switch), tables
    padded with 255 to a common length, as a switch reads entries beyond its table.
    Done a slice of switches at a time, so the temporaries stay small at 46k LIDs."""
    guids = list(new)
    matrix = getattr(new, "table", None)
    if matrix is None or getattr(new, "switches", None) != guids:
        width = max((len(new[g]) for g in guids), default=0)
        matrix = _padded([new[g] for g in guids], width)
    width = max([matrix.shape[1]] + [len(t) for g in guids if (t := old.get(g)) is not None])
    width = -(-width // LFT_BLOCK) * LFT_BLOCK
    n = len(guids)
    blocks = np.zeros((n, width // LFT_BLOCK), dtype=bool)
    top = np.zeros(n, dtype=np.int64)
    changed = np.zeros(n, dtype=np.int64)
    step = max(1, _CHUNK_CELLS // max(width, 1))
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        if all(old.get(g) is None for g in guids[lo:hi]):  # a first sweep: new vs 255
            routed = matrix[lo:hi] != NO_PATH
            cut = np.arange(0, routed.shape[1], LFT_BLOCK)
            if len(cut):
                blocks[lo:hi, : len(cut)] = np.logical_or.reduceat(routed, cut, axis=1)
            changed[lo:hi] = routed.sum(axis=1)
            last = routed.shape[1] - 1 - np.argmax(routed[:, ::-1], axis=1)
            top[lo:hi] = np.where(changed[lo:hi] > 0, last, 0)
            continue
        b = np.full((hi - lo, width), NO_PATH, dtype=np.uint8)
        b[:, : matrix.shape[1]] = matrix[lo:hi]
        diff = _padded([old.get(g) for g in guids[lo:hi]], width) != b
        blocks[lo:hi] = diff.reshape(hi - lo, -1, LFT_BLOCK).any(axis=2)
        changed[lo:hi] = diff.sum(axis=1)
        routed = b != NO_PATH
        last = width - 1 - np.argmax(routed[:, ::-1], axis=1)
        top[lo:hi] = np.where(routed.any(axis=1), last, 0)
    return guids, blocks, top, changed
