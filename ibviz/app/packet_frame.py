"""What the canvas draws of the packets at one instant, as numpy arrays (no Qt).

:class:`PacketFrames` follows one session's hop log and MAD log incrementally (every
hop's packet id, end nodes and glyph kind are read once, when the hop is new) and
answers, for a view time, the position and glyph of every packet on the wire: data hops
interpolated along their link, multicast copies one per egress port (so they fork at
each switch), ACK/NAK, and management datagrams (SMPs and SA MADs, drawn straight from
sender to receiver over their modelled latency, the model not keeping their route).
It also gives the visual clock (:mod:`ibviz.app.visual_clock`) the spans that set its pace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ibviz.core.sim.packet import ACK
from ibviz.core.sm.mads import SA_CLASS

UNICAST, MULTICAST, ACK_GLYPH, NAK_GLYPH, SMP_GLYPH, SA_GLYPH = range(6)
GLYPH_NAMES = ("Unicast data", "Multicast data", "ACK", "NAK", "SMP (subnet management)",
               "SA MAD (subnet administration)")
MULTICAST_LID = 0xC000
PERMISSIVE_LID = 0xFFFF
XY = Any
"""``FabricView.node_xy``: node GUIDs (uint64/int64 array) -> ``(K, 2)`` positions."""


@dataclass
class Frame:
    """The packets on the wire at one instant: one row per marker."""

    xy: np.ndarray
    """``(K, 2)`` scene positions."""
    glyph: np.ndarray
    """``(K,)`` int8 glyph kinds (:data:`GLYPH_NAMES`)."""
    ref: np.ndarray
    """``(K,)`` int64: the packet id of a hop, or ``-1 - i`` for MAD number ``i``."""
    hop: np.ndarray
    """``(K,)`` int64: the hop log index (global, counting forgotten hops), -1 for MADs."""

    def __len__(self) -> int:
        return len(self.ref)


def _grow(have: np.ndarray, new: list, dtype: Any) -> np.ndarray:
    return np.concatenate([have, np.array(new, dtype)]) if new else have


class PacketFrames:
    """Incremental arrays over ``session.hops`` and ``session.sm.mads``."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._reset_hops()
        self._mad_seen = 0
        self.mad_t0 = np.zeros(0)
        self.mad_t1 = np.zeros(0)
        self.mad_src = np.zeros(0, np.uint64)
        self.mad_dst = np.zeros(0, np.uint64)
        self.mad_glyph = np.zeros(0, np.int8)
        self.mad_index = np.zeros(0, np.int64)
        self.mad_drawn = np.zeros(0, bool)
        """Per MAD: drawn (False for a MAD identical in ends, times and kind to one read
        with it: an SM sweep sends thousands of those, drawn on top of each other)."""
        self._flow_multicast: dict[int, bool] = {}
        self._spans: tuple[tuple[int, int, int], np.ndarray, np.ndarray] | None = None

    def _reset_hops(self) -> None:
        self._hops_first, self._hops_seen = 0, 0
        self.pid = np.zeros(0, np.int64)
        self.src = np.zeros(0, np.uint64)
        self.dst = np.zeros(0, np.uint64)
        self.glyph = np.zeros(0, np.int8)

    # --------------------------------------------------------------- follow
    def update(self) -> None:
        """Read the hops and MADs logged since the last call."""
        hops = self.session.hops
        if hops is not None:
            if hops.first != self._hops_first or len(hops) < self._hops_seen:
                self._reset_hops()  # a bounded session forgot old hops: re-read
                self._hops_first = hops.first
            n0, n = self._hops_seen, len(hops)
            if n > n0:
                self._read_hops(hops, n0, n)
        mads = getattr(getattr(self.session, "sm", None), "mads", None)
        if mads is not None and hasattr(mads, "columns") and len(mads) > self._mad_seen:
            self._read_mads(mads)

    def _read_hops(self, hops: Any, n0: int, n: int) -> None:
        ends = hops.endpoints(np.arange(n0, n))
        pids = [hops.pid(i) for i in range(n0, n)]
        kinds = hops.kind_index[n0:n].tolist()
        flows = hops.flow_index[n0:n].tolist()
        glyphs = [self._glyph_of(pid, kind, flow) for pid, kind, flow in
                  zip(pids, kinds, flows, strict=True)]
        self.pid = _grow(self.pid, pids, np.int64)
        self.src = _grow(self.src, [a.node for a, _ in ends], np.uint64)
        self.dst = _grow(self.dst, [b.node for _, b in ends], np.uint64)
        self.glyph = _grow(self.glyph, glyphs, np.int8)
        self._hops_seen = n

    def _glyph_of(self, pid: int, kind: int, flow: int) -> int:
        packets = self.session.net.packets
        if kind == 1:  # an RC acknowledgement: ACK or NAK by its AETH syndrome
            packet = packets.get(pid)
            return ACK_GLYPH if packet is None or packet.syndrome == ACK else NAK_GLYPH
        if kind == 2:
            return SMP_GLYPH
        multicast = self._flow_multicast.get(flow)
        if multicast is None:
            packet = packets.get(pid)
            if packet is None:
                return UNICAST
            multicast = self._flow_multicast[flow] = (
                MULTICAST_LID <= packet.dlid < PERMISSIVE_LID)
        return MULTICAST if multicast else UNICAST

    def _read_mads(self, log: Any) -> None:
        cols = log.columns(self._mad_seen)
        self._mad_seen = len(log)
        src, dst = cols["src_node"], cols["dst_node"]
        keep = (src != 0) & (dst != 0) & (src != dst)  # drawn from one node to another
        self.mad_index = np.concatenate([self.mad_index, cols["index"][keep]])
        t0 = cols["time_us"][keep]
        self.mad_t0 = np.concatenate([self.mad_t0, t0])
        self.mad_t1 = np.concatenate([self.mad_t1,
                                      t0 + np.maximum(cols["latency_us"][keep], 1e-3)])
        self.mad_src = np.concatenate([self.mad_src, src[keep]])
        self.mad_dst = np.concatenate([self.mad_dst, dst[keep]])
        glyph = np.where(cols["mgmt_class"][keep] == SA_CLASS, SA_GLYPH, SMP_GLYPH)
        self.mad_glyph = np.concatenate([self.mad_glyph, glyph.astype(np.int8)])
        same = np.stack([src[keep].astype(np.float64), dst[keep].astype(np.float64), t0,
                         self.mad_t1[-len(t0):] if len(t0) else t0, glyph], axis=1)
        drawn = np.zeros(len(t0), bool)
        drawn[np.unique(same, axis=0, return_index=True)[1]] = True
        self.mad_drawn = np.concatenate([self.mad_drawn, drawn])

    # ---------------------------------------------------------------- pacing
    def pace_spans(self, watched: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(t0, t1)`` of what sets the visual clock's pace: the watched packet's hops
        (every copy), else every data hop, else (none in flight) every MAD."""
        self.update()
        hops = self.session.hops
        if hops is None or not len(hops):
            return self.mad_t0, self.mad_t1
        t0, t1 = hops.t0, hops.t1
        if watched is not None:
            mine = self.pid == watched
            if mine.any():
                return t0[mine], t1[mine]
        key = (len(t0), hops.first, len(self.mad_t0))
        if self._spans is None or self._spans[0] != key:  # asked several times a frame
            self._spans = (key, np.concatenate([t0, self.mad_t0]),
                           np.concatenate([t1, self.mad_t1]))
        return self._spans[1], self._spans[2]

    # ----------------------------------------------------------------- frame
    def at(self, t_us: float, node_xy: XY, span_us: float = 0.0) -> Frame:
        """The markers at ``t_us``. With ``span_us`` a hop that ended in the last
        ``span_us`` stays drawn at its end (at a fast pace a hop is shorter than a frame)."""
        self.update()
        hops = self.session.hops
        src, dst, frac, glyph, ref, hop = [], [], [], [], [], []
        if hops is not None and len(hops):
            t0, t1 = hops.t0, hops.t1
            idx = np.flatnonzero((t0 <= t_us) & (t1 > t_us - span_us))
            src.append(self.src[idx])
            dst.append(self.dst[idx])
            frac.append(np.clip((t_us - t0[idx]) / np.maximum(t1[idx] - t0[idx], 1e-12),
                                0.0, 1.0))
            glyph.append(self.glyph[idx])
            ref.append(self.pid[idx])
            hop.append(idx + hops.first)
        if len(self.mad_t0):
            idx = np.flatnonzero((self.mad_t0 <= t_us) & (self.mad_t1 > t_us) & self.mad_drawn)
            src.append(self.mad_src[idx])
            dst.append(self.mad_dst[idx])
            frac.append((t_us - self.mad_t0[idx]) / (self.mad_t1[idx] - self.mad_t0[idx]))
            glyph.append(self.mad_glyph[idx])
            ref.append(-1 - self.mad_index[idx])
            hop.append(np.full(len(idx), -1, np.int64))
        if not src or not sum(len(a) for a in src):
            return Frame(np.zeros((0, 2)), np.zeros(0, np.int8), np.zeros(0, np.int64),
                         np.zeros(0, np.int64))
        columns = [np.concatenate(c) for c in (src, dst, frac, glyph, ref, hop)]
        try:
            xy = self._along(node_xy, *columns[:3])
        except KeyError:  # a node the canvas does not show (yet): leave its packets out
            drawn = [g for g in np.unique(np.concatenate(columns[:2])) if _drawn(node_xy, g)]
            known = np.isin(columns[0], drawn) & np.isin(columns[1], drawn)
            columns = [c[known] for c in columns]
            xy = self._along(node_xy, *columns[:3])
        return Frame(xy, *columns[3:])

    @staticmethod
    def _along(node_xy: XY, src: np.ndarray, dst: np.ndarray, frac: np.ndarray) -> np.ndarray:
        """Points ``frac`` of the way from node ``src`` to node ``dst`` (one lookup)."""
        ends = node_xy(np.concatenate([src, dst]))
        a, b = ends[:len(src)], ends[len(src):]
        return a + (b - a) * frac[:, None]


def _drawn(node_xy: XY, guid: np.uint64) -> bool:
    try:
        node_xy(np.array([guid], np.uint64))
    except KeyError:
        return False
    return True
