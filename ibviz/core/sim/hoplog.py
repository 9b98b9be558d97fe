"""The record of every packet hop, for animation, stepping back and pcap export.

Times live in growable numpy arrays so a view can ask, for any time ``t`` already
simulated, which hops are on the wire (``t0 <= t < t1``) with one vectorised test: that
is how stepping back works, by replaying the record rather than the simulation.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

import numpy as np

from ibviz.core.model import PortRef
from ibviz.core.sim.pidcolumn import PidColumn

KINDS = ("data", "ack", "mad")
KIND_CODE = {k: i for i, k in enumerate(KINDS)}
_FLOW = itemgetter(1)


@dataclass(frozen=True, slots=True)
class Hop:
    pid: int
    flow: str
    src: PortRef
    dst: PortRef
    t0: float
    t1: float
    kind: str


class Drop(NamedTuple):
    """Where and why a packet copy ended without being delivered."""

    t_us: float
    port: PortRef
    pid: int
    flow: str
    reason: str


class HopLog:
    """Append-only (a long session forgets old ones, see :meth:`keep_packets`).

    The simulator's hot path appends one plain tuple per hop to :attr:`rows` through
    :attr:`record` (``(pid, flow, kind, src, dst, t0, t1)``, ``kind`` the packet's kind
    name); the numpy columns ``t0``/``t1``/``flow_index``/``kind_index``/``pids`` and
    :attr:`flow_names` are materialised lazily and extended incrementally, so a view
    asking every frame pays only for new hops. Flow ids number the flows in the order
    of their first hop. With the compiled hop loop the simulator keeps the same record
    as columns instead (:class:`~ibviz.core.sim.hopcolumns.ColumnHopLog`)."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, str, str, PortRef, PortRef, float, float]] = []
        self.record = self.rows.append
        """The hot path's append (the list is only ever changed in place)."""
        self.sink: object = self.rows
        """What the hop loop records into (see :mod:`ibviz.core.sim.hopcolumns`)."""
        self._names: list[str] = []
        self._flow_ids: dict[str, int] = {}
        self._cols: dict[str, np.ndarray] = {}
        self._done = 0
        """Rows already in :attr:`_cols`."""
        self._named = 0
        """Rows whose flows have ids."""
        self._pids = PidColumn(self.rows, 0)
        """Packet id of every row (for :meth:`keep_packets`)."""
        self.first = 0
        """Hops forgotten from the front (a bounded session's old ones)."""

    @property
    def flow_names(self) -> list[str]:
        self._sync()
        return self._names

    def flow_id(self, flow: str) -> int:
        self._sync()
        fid = self._flow_ids.get(flow)
        if fid is None:
            fid = self._flow_ids[flow] = len(self._names)
            self._names.append(flow)
        return fid

    def add(self, pid: int, flow: str, src: PortRef, dst: PortRef, t0: float, t1: float,
            kind: int = 0) -> None:
        self.record((pid, flow, KINDS[kind], src, dst, t0, t1))

    def __len__(self) -> int:
        return len(self.rows)

    def _name_flows(self) -> None:
        """Number the flows of the rows appended since the last call, in row order."""
        rows, n = self.rows, self._named
        if n == len(rows):
            return
        ids, names = self._flow_ids, self._names
        for flow in dict.fromkeys(map(_FLOW, rows[n:])):
            if flow not in ids:
                ids[flow] = len(names)
                names.append(flow)
        self._named = len(rows)

    def _sync(self) -> None:
        """Extend the columns over the rows appended since the last call."""
        rows, n = self.rows, self._done
        if n == len(rows):
            return
        self._name_flows()
        pids, flows, kinds, _, _, t0, t1 = zip(*rows[n:], strict=True)
        ids = self._flow_ids
        new: dict[str, np.ndarray] = {"pid": np.array(pids, np.int64),
                                      "flow": np.array([ids[f] for f in flows], np.int32),
                                      "kind": np.array([KIND_CODE[k] for k in kinds], np.int8),
                                      "t0": np.array(t0, np.float64),
                                      "t1": np.array(t1, np.float64)}
        cols = self._cols
        for name, values in new.items():
            have = cols.get(name)
            cols[name] = values if have is None or not n else np.concatenate([have, values])
        self._done = len(rows)

    def _col(self, name: str) -> np.ndarray:
        self._sync()
        col = self._cols.get(name)
        if col is None:
            return np.zeros(0, np.int8 if name == "kind" else np.int32 if name == "flow"
                            else np.int64 if name == "pid" else np.float64)
        return col

    def keep_packets(self, kept, below: int | None = None) -> int:
        """Forget the hops of packets not in ``kept`` (a set or dict of packet ids: a
        long session keeps only its recent packets); returns how many went. With
        ``below``, every packet id from ``below`` on is known to be kept, so only the
        rows up to the last one of an older packet are looked at. Indices shift down,
        and :attr:`first` counts the hops forgotten so far."""
        self._name_flows()  # flow ids follow first hops, forgotten ones included
        end, head = self._pids.trim(kept, below)
        gone = end - int(np.count_nonzero(head))
        if gone:
            cols = self._cols
            for name in cols:
                cols[name] = self._compress(cols[name], head)
            done = self._done
            shared = min(done, end)
            self._done = int(np.count_nonzero(head[:shared])) + done - shared
            self._named = len(self.rows)
            self.first += gone
        return gone

    def keep_from(self, below: int, held: list[int]) -> int:
        """:meth:`keep_packets` of the packets from id ``below`` on and those of
        ``held`` (every one below ``below``): a retirement pass's trim."""
        return self.keep_packets(set(held), below)

    @staticmethod
    def _compress(col: np.ndarray, head: np.ndarray) -> np.ndarray:
        """``col`` without the rows ``head`` (a mask over its first rows) leaves out."""
        n = min(len(col), len(head))
        return np.concatenate([col[:n][head[:n]], col[n:]])

    def __getitem__(self, i: int) -> Hop:
        pid, flow, kind, src, dst, t0, t1 = self.rows[i]
        return Hop(pid, flow, src, dst, t0, t1, kind)

    @property
    def t0(self) -> np.ndarray:
        return self._col("t0")

    @property
    def t1(self) -> np.ndarray:
        return self._col("t1")

    @property
    def flow_index(self) -> np.ndarray:
        return self._col("flow")

    @property
    def kind_index(self) -> np.ndarray:
        return self._col("kind")

    @property
    def pids(self) -> np.ndarray:
        return self._col("pid")

    def endpoints(self, indices: np.ndarray) -> list[tuple[PortRef, PortRef]]:
        rows = self.rows
        return [rows[i][3:5] for i in indices.tolist()]

    def pid(self, i: int) -> int:
        return self.rows[i][0]

    def in_flight(self, t: float) -> np.ndarray:
        """Indices of the hops on the wire at time ``t``."""
        t0, t1 = self.t0, self.t1
        return np.flatnonzero((t0 <= t) & (t < t1))
