"""The record of every packet hop, for animation, stepping back and pcap export.

Times live in growable numpy arrays so a view can ask, for any time ``t`` already
simulated, which hops are on the wire (``t0 <= t < t1``) with one vectorised test: that
is how stepping back works, by replaying the record rather than the simulation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ibviz.core.model import PortRef

KINDS = ("data", "ack", "mad")


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
    """Append-only (a long session forgets old ones, see :meth:`keep_packets`). Appending is plain list appends (the simulator's hot path);
    ``t0``/``t1``/``flow_index``/``kind_index`` are numpy arrays built on demand and
    extended incrementally, so a view asking every frame pays only for new hops."""

    def __init__(self) -> None:
        self._t0: list[float] = []
        self._t1: list[float] = []
        self._flow: list[int] = []
        self._kind: list[int] = []
        self._rows: list[tuple[int, PortRef, PortRef]] = []
        self.flow_names: list[str] = []
        self._flow_ids: dict[str, int] = {}
        self._arrays: dict[str, np.ndarray] = {}
        self.first = 0
        """Hops forgotten from the front (a bounded session's old ones)."""

    def flow_id(self, flow: str) -> int:
        fid = self._flow_ids.get(flow)
        if fid is None:
            fid = self._flow_ids[flow] = len(self.flow_names)
            self.flow_names.append(flow)
        return fid

    def add(self, pid: int, flow: str, src: PortRef, dst: PortRef, t0: float, t1: float,
            kind: int = 0) -> None:
        fid = self._flow_ids.get(flow)
        if fid is None:
            fid = self.flow_id(flow)
        self._t0.append(t0)
        self._t1.append(t1)
        self._flow.append(fid)
        self._kind.append(kind)
        self._rows.append((pid, src, dst))

    def __len__(self) -> int:
        return len(self._rows)

    def keep_packets(self, kept) -> int:
        """Forget the hops of packets not in ``kept`` (a long session keeps only its
        recent packets); returns how many went. Indices shift down, and :attr:`first`
        counts the hops forgotten so far."""
        rows = self._rows
        keep = [i for i, row in enumerate(rows) if row[0] in kept]
        gone = len(rows) - len(keep)
        if gone:
            for name in ("_t0", "_t1", "_flow", "_kind", "_rows"):
                values = getattr(self, name)
                setattr(self, name, [values[i] for i in keep])
            self._arrays.clear()
            self.first += gone
        return gone

    def __getitem__(self, i: int) -> Hop:
        pid, src, dst = self._rows[i]
        return Hop(pid, self.flow_names[self._flow[i]], src, dst, self._t0[i], self._t1[i],
                   KINDS[self._kind[i]])

    def _array(self, name: str, values: list, dtype: type) -> np.ndarray:
        have = self._arrays.get(name)
        n = len(values)
        if have is None or len(have) > n:
            have = np.array(values, dtype)
        elif len(have) < n:
            have = np.concatenate([have, np.array(values[len(have):], dtype)])
        self._arrays[name] = have
        return have

    @property
    def t0(self) -> np.ndarray:
        return self._array("t0", self._t0, np.float64)

    @property
    def t1(self) -> np.ndarray:
        return self._array("t1", self._t1, np.float64)

    @property
    def flow_index(self) -> np.ndarray:
        return self._array("flow", self._flow, np.int32)

    @property
    def kind_index(self) -> np.ndarray:
        return self._array("kind", self._kind, np.int8)

    def endpoints(self, indices: np.ndarray) -> list[tuple[PortRef, PortRef]]:
        return [self._rows[i][1:] for i in indices.tolist()]

    def pid(self, i: int) -> int:
        return self._rows[i][0]

    def in_flight(self, t: float) -> np.ndarray:
        """Indices of the hops on the wire at time ``t``."""
        t0, t1 = self.t0, self.t1
        return np.flatnonzero((t0 <= t) & (t < t1))
