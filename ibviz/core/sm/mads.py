"""Every management action as the MAD it would be on the wire, with a modelled latency.

The subnet manager and the failover controller append :class:`Mad` records to a
:class:`MadLog`; cost is then counted (how many, of which kind), timed (each MAD's
latency grows with the directed-route hops it crosses) and, later, exported to pcap.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ibviz.core.history import MAD_WINDOW
from ibviz.core.model import PortRef

SMP_CLASS = 0x81  # directed-route SMP
SA_CLASS = 0x03

ATTR = {"NodeInfo": 0x0011, "SwitchInfo": 0x0012, "PortInfo": 0x0015,
        "LinearForwardingTable": 0x0019, "MulticastForwardingTable": 0x001B,
        "PathRecord": 0x0035, "MCMemberRecord": 0x0038}


@dataclass(frozen=True)
class LatencyModel:
    """Per-hop and processing delays in microseconds (defaults: typical EDR/HDR hardware)."""

    per_hop_us: float = 0.3
    sma_processing_us: float = 2.0
    sa_processing_us: float = 15.0

    def smp(self, hops: int) -> float:
        """Round trip of a directed-route SMP over ``hops`` links."""
        return 2 * hops * self.per_hop_us + self.sma_processing_us

    def sa(self, hops: int) -> float:
        """Round trip of an SA query from a port ``hops`` links away from the SM."""
        return 2 * hops * self.per_hop_us + self.sa_processing_us


@dataclass(frozen=True, slots=True)
class Mad:
    """One management datagram (request) and what it cost."""

    mgmt_class: int
    method: int
    attribute: str
    modifier: int
    src: PortRef | None
    dst: PortRef | None
    time_us: float
    latency_us: float
    reason: str = ""
    status: int = 0
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "SA" if self.mgmt_class == SA_CLASS else "SMP"

    @property
    def done_us(self) -> float:
        return self.time_us + self.latency_us


class _Interned:
    """Values stored once, referred to by a small integer (reasons, ports, fields)."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._ids: dict[Any, int] = {}

    def id(self, value: Any, key: Any = None) -> int:
        key = value if key is None else key
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self.values)
            self.values.append(value)
        return found


def _fields_key(fields: dict[str, Any]) -> tuple:
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in fields.items())


_COLUMNS = (("mgmt_class", "B"), ("method", "B"), ("attribute", "H"), ("modifier", "I"),
            ("src", "I"), ("dst", "I"), ("time_us", "d"), ("latency_us", "d"),
            ("reason", "I"), ("status", "H"), ("fields", "I"))


class MadLog:
    """Every MAD sent, compactly: counters over all of them, and the newest ``window``
    as columns of numbers (about 50 bytes a MAD; reasons, ports and field sets are
    stored once and referred to by number). ``mads[i]`` rebuilds MAD ``i`` (its global
    position) while it is kept; see :class:`~ibviz.core.history.Window` for the
    sequence rules. Appending costs no Python object per MAD, so a long session or a
    large sweep stays small."""

    def __init__(self, window: int = MAD_WINDOW) -> None:
        self.window = window
        self._cols: dict[str, array[Any]] = {name: array(code) for name, code in _COLUMNS}
        self._reasons, self._ports, self._fields, self._attrs = (
            _Interned(), _Interned(), _Interned(), _Interned())
        self._dropped = 0
        self.by_attribute: Counter[str] = Counter()
        self.by_kind: Counter[str] = Counter()
        self.mads = MadView(self)

    def add(self, mad: Mad) -> Mad:
        c = self._cols
        c["mgmt_class"].append(mad.mgmt_class)
        c["method"].append(mad.method)
        c["attribute"].append(self._attrs.id(mad.attribute))
        c["modifier"].append(mad.modifier & 0xFFFFFFFF)
        c["src"].append(self._ports.id(mad.src))
        c["dst"].append(self._ports.id(mad.dst))
        c["time_us"].append(mad.time_us)
        c["latency_us"].append(mad.latency_us)
        c["reason"].append(self._reasons.id(mad.reason))
        c["status"].append(mad.status & 0xFFFF)
        try:
            key: Any = _fields_key(mad.fields)
            hash(key)
        except TypeError:
            key = object()
        c["fields"].append(self._fields.id(mad.fields, key))
        self.by_attribute[mad.attribute] += 1
        self.by_kind["SA" if mad.mgmt_class == SA_CLASS else "SMP"] += 1
        kept = len(c["time_us"])
        if kept > self.window + self.window // 4:
            drop = kept - self.window
            for col in c.values():
                del col[:drop]
            self._dropped += drop
        return mad

    def port_id(self, ref: PortRef | None) -> int:
        """The number :meth:`add_columns` takes for a source or destination port."""
        return self._ports.id(ref)

    def fields_id(self, fields: dict[str, Any]) -> int:
        """The number :meth:`add_columns` takes for a MAD's fields (stored once)."""
        try:
            key: Any = _fields_key(fields)
            hash(key)
        except TypeError:
            key = object()
        return self._fields.id(fields, key)

    def add_columns(self, mgmt_class: int, method: int, attributes: list[str],
                    attribute: np.ndarray, modifier: np.ndarray, src: PortRef | None,
                    dst: np.ndarray, time_us: float, latency_us: np.ndarray, reason: str,
                    fields: np.ndarray) -> None:
        """Append many MADs at once, given as columns (one row per MAD, in sending order):
        ``attribute`` indexes ``attributes``; ``dst`` and ``fields`` are numbers from
        :meth:`port_id` and :meth:`fields_id`. Same result as :meth:`add` row by row,
        without a Python object per MAD; only the rows the window keeps are stored."""
        n = len(modifier)
        if n == 0:
            return
        names = np.asarray([self._attrs.id(a) for a in attributes], dtype=np.uint16)
        counts = np.bincount(attribute, minlength=len(attributes))
        for name, count in zip(attributes, counts.tolist(), strict=True):
            if count:
                self.by_attribute[name] += count
        self.by_kind["SA" if mgmt_class == SA_CLASS else "SMP"] += n
        c = self._cols
        drop, skip = self._trim(n)
        if drop:
            for col in c.values():
                del col[:drop]
        self._dropped += drop + skip
        rows = slice(skip, n)
        m = n - skip
        const = {"mgmt_class": mgmt_class, "method": method, "src": self._ports.id(src),
                 "time_us": time_us, "reason": self._reasons.id(reason)}
        given = {"attribute": names[np.asarray(attribute)[rows]],
                 "modifier": np.asarray(modifier)[rows] & 0xFFFFFFFF,
                 "dst": np.asarray(dst)[rows], "latency_us": np.asarray(latency_us)[rows],
                 "status": np.zeros(m), "fields": np.asarray(fields)[rows]}
        for name, code in _COLUMNS:
            data = given[name] if name in given else np.full(m, const[name])
            c[name].frombytes(np.ascontiguousarray(data, dtype=np.dtype(code)).tobytes())

    def _trim(self, n: int) -> tuple[int, int]:
        """Appending ``n`` rows: (kept rows to drop, new rows never kept), as row-by-row
        :meth:`add` would have dropped them."""
        kept, limit = len(self._cols["time_us"]), self.window + self.window // 4
        final = kept + n if kept + n <= limit else \
            self.window + (kept + n - limit - 1) % (limit - self.window + 1)
        drop = min(kept, kept + n - final)
        return drop, kept + n - final - drop

    def unkept(self, n: int) -> int:
        """How many of ``n`` rows appended at once the window would not keep (their
        fields need not be stored)."""
        return self._trim(n)[1]

    def _get(self, local: int) -> Mad:
        c = self._cols
        fields = self._fields.values[c["fields"][local]]
        return Mad(c["mgmt_class"][local], c["method"][local],
                   self._attrs.values[c["attribute"][local]], c["modifier"][local],
                   self._ports.values[c["src"][local]], self._ports.values[c["dst"][local]],
                   c["time_us"][local], c["latency_us"][local],
                   self._reasons.values[c["reason"][local]], c["status"][local],
                   {k: list(v) if isinstance(v, list) else v for k, v in fields.items()})

    def count(self, attribute: str | None = None, since: int = 0) -> int:
        if since <= 0:
            return len(self) if attribute is None else self.by_attribute[attribute]
        return sum(1 for m in self.mads[since:] if attribute is None or m.attribute == attribute)

    def done_since(self, mark: int, default: float) -> float:
        """When the last of the MADs sent since ``mark`` completes (``default``: none)."""
        c = self._cols
        start = max(mark - self._dropped, 0)
        times, lat = c["time_us"], c["latency_us"]
        return max((times[j] + lat[j] for j in range(start, len(times))), default=default)

    def touched_since(self, mark: int) -> tuple[int, set[int]]:
        """(MADs sent since ``len(self)`` was ``mark``, nodes they touched: every
        destination, and the requester of SA MADs), read from the columns."""
        c, ports = self._cols, self._ports.values
        start = max(mark - self._dropped, 0)
        nodes = {ports[i].node for i in set(c["dst"][start:]) if ports[i] is not None}
        sa = [c["src"][j] for j in range(start, len(c["src"]))
              if c["mgmt_class"][j] == SA_CLASS]
        nodes |= {ports[i].node for i in set(sa) if ports[i] is not None}
        return len(self) - mark, nodes

    def since(self, mark: int) -> list[Mad]:
        """The MADs sent since ``len(self)`` was ``mark`` (kept ones)."""
        return self.mads[mark:]

    def __len__(self) -> int:
        return self._dropped + len(self._cols["time_us"])

    def columns(self, since: int = 0) -> dict[str, np.ndarray]:
        """The kept MADs from global position ``since`` on, as numpy arrays (no object per
        MAD): ``index`` (global position), ``mgmt_class``, ``time_us``, ``latency_us``,
        ``src_node`` and ``dst_node`` (GUIDs; 0 where the MAD names no port)."""
        c = self._cols
        start = max(since - self._dropped, 0)
        nodes = np.array([0 if p is None else p.node for p in self._ports.values], np.uint64)
        src, dst = (np.frombuffer(c[k], f"u{c[k].itemsize}")[start:] if len(c[k])
                    else np.zeros(0, np.int64) for k in ("src", "dst"))
        return {
            "index": np.arange(self._dropped + start, len(self), dtype=np.int64),
            "mgmt_class": np.array(c["mgmt_class"][start:], np.uint8),
            "time_us": np.array(c["time_us"][start:], np.float64),
            "latency_us": np.array(c["latency_us"][start:], np.float64),
            "src_node": nodes[src] if len(nodes) else np.zeros(len(src), np.uint64),
            "dst_node": nodes[dst] if len(nodes) else np.zeros(len(dst), np.uint64),
        }


class MadView:
    """``MadLog.mads``: the kept MADs as a sequence under global positions."""

    def __init__(self, log: MadLog) -> None:
        self._log = log

    @property
    def first(self) -> int:
        return self._log._dropped

    def __len__(self) -> int:
        return len(self._log)

    def __iter__(self) -> Iterator[Mad]:
        log = self._log
        return (log._get(i) for i in range(len(log._cols["time_us"])))

    def __getitem__(self, i):
        log, n = self._log, len(self._log)
        if isinstance(i, slice):
            start, stop, step = i.indices(n)
            start, stop = max(start, log._dropped), max(stop, log._dropped)
            return [log._get(j - log._dropped) for j in range(start, stop, step)]
        if i < 0:
            i += n
        if not log._dropped <= i < n:
            raise IndexError(f"MAD {i} is not kept (kept: {log._dropped}..{n - 1})")
        return log._get(i - log._dropped)

    def get(self, i: int) -> Mad | None:
        try:
            return self[i]
        except IndexError:
            return None
