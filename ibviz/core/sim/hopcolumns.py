"""The hop record as columns, filled by the compiled hop loop.

:class:`~ibviz.core.sim.hoplog.HopLog` keeps one Python tuple per hop; making, keeping and
freeing them cost about a fifth of a busy simulation. :class:`ColumnHopLog` keeps the same
record in the compiled extension's ``HopRecord`` (packet id, flow id, kind code, t0, t1 as
C arrays; the two ports as references): the loop appends without making an object, the
columns a view asks for are copied out as numpy arrays, a row is made only for a hop a view
or the pcap asks about, and the ledger's trims (:meth:`ColumnHopLog.keep_from`) drop the
old hops at the front in C, moving only the few kept among them. Same API, same
answers (``tests/core/test_sim_fingerprint.py`` runs both).
"""

from __future__ import annotations

from collections.abc import Container

import numpy as np

from ibviz.core.model import PortRef
from ibviz.core.sim.hoplog import KINDS, Hop, HopLog
from ibviz.core.sim.pidcolumn import head_mask

_DTYPES = (("pid", np.int64), ("flow", np.int32), ("kind", np.int8), ("t0", np.float64),
           ("t1", np.float64))


class ColumnHopLog(HopLog):
    """A :class:`HopLog` whose record is a compiled ``HopRecord``."""

    def __init__(self) -> None:
        from ibviz.core.sim import _cpump

        self._store = _cpump.HopRecord(KINDS)
        super().__init__()
        self.record = self._store.record
        self.sink = self._store
        self._names = self._store.names  # flows are numbered as the loop records them
        self._flow_ids = self._store.ids

    @property
    def rows(self) -> list[tuple[int, str, str, PortRef, PortRef, float, float]]:
        """Every hop as a row (made on each call: for tests and tools, not the hot path)."""
        row = self._store.row
        return [row(i) for i in range(len(self._store))]

    @rows.setter
    def rows(self, _value: list) -> None:  # HopLog.__init__ sets it
        pass

    def __len__(self) -> int:
        return len(self._store)

    def _name_flows(self) -> None:
        pass  # the record numbers each flow at its first hop

    def _sync(self) -> None:
        n, have = self._done, len(self._store)
        if n == have:
            return
        cols = self._cols
        for (name, dtype), raw in zip(_DTYPES, self._store.columns(n), strict=True):
            values = np.frombuffer(raw, dtype)
            old = cols.get(name)
            cols[name] = values.copy() if old is None or not n else \
                np.concatenate([old, values])
        self._done = have

    def keep_packets(self, kept: Container[int], below: int | None = None) -> int:
        self._sync()
        head = head_mask(self._cols["pid"], kept, below) if len(self._store) else \
            np.zeros(0, bool)
        gone = len(head) - int(np.count_nonzero(head))
        if gone:
            self._store.keep(head.tobytes())
            cols = self._cols
            for name in cols:
                cols[name] = self._compress(cols[name], head)
            self._done = len(self._store)
            self.first += gone
        return gone

    def keep_from(self, below: int, held: list[int]) -> int:
        """In one compiled pass, without a mask; the columns a view asked for are
        forgotten (its next ask copies them again, as any new hop makes it do)."""
        gone = self._store.keep_from(below, np.array(sorted(held), np.int64).tobytes())
        if gone:
            self._cols, self._done = {}, 0
            self.first += gone
        return gone

    def __getitem__(self, i: int) -> Hop:
        pid, flow, kind, src, dst, t0, t1 = self._store.row(i)
        return Hop(pid, flow, src, dst, t0, t1, kind)

    def endpoints(self, indices: np.ndarray) -> list[tuple[PortRef, PortRef]]:
        return self._store.endpoints(indices.tolist())

    def pid(self, i: int) -> int:
        return self._store.pid(i)
