"""Port balancing of ``osm_switch_recommend_path``, vectorised over all switches.

OpenSM routes LID after LID; at each switch it picks, among the ports with the fewest
hops to the LID, the one that has carried the fewest LIDs so far, scanning the ports
from ``start_from`` (port 1 for a port's base LID) so that ties go to the first port
in scan order. Per switch this is a greedy water-filling: assigning ``k`` LIDs with the
same candidate ports one by one gives LID ``j`` the ``j``-th smallest pair
``(load_p + t, scan rank of p)``, ``t >= 0``. :func:`fill_group` computes that for a
whole group of LIDs (all LIDs behind one destination switch share the candidate set at
every switch) and for every switch at once. :func:`pick_lmc` is the single-LID step of
the LMC-aware mode, used for the LIDs above a port's base LID.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Candidates:
    """Candidate edges of every switch towards one destination, grouped by switch."""

    edge: np.ndarray
    """Edge numbers, sorted by (source switch, port)."""
    src: np.ndarray
    """Source switch of each segment (one segment per switch that has candidates)."""
    starts: np.ndarray
    counts: np.ndarray
    seg: np.ndarray
    """Segment of each candidate."""

    @classmethod
    def of(cls, edge: np.ndarray, e_src: np.ndarray) -> Candidates:
        s = e_src[edge]
        if len(s):
            brk = np.flatnonzero(s[1:] != s[:-1]) + 1
            starts = np.concatenate(([0], brk))
        else:
            starts = np.zeros(0, dtype=np.int64)
        counts = np.diff(np.append(starts, len(s)))
        seg = np.repeat(np.arange(len(starts)), counts)
        return cls(edge, s[starts], starts, counts, seg)

    @classmethod
    def of_mask(cls, mask: np.ndarray, seg_starts: np.ndarray) -> Candidates:
        """:meth:`of` the edges where ``mask`` is set; ``seg_starts``: each switch's
        first edge (edges sorted by source switch, length switches + 1)."""
        edge = np.flatnonzero(mask)
        lo = seg_starts[:-1]
        has = lo < seg_starts[1:]  # switches with edges (reduceat needs non-empty runs)
        per = np.zeros(len(lo), dtype=np.int64)
        if len(edge):
            per[has] = np.add.reduceat(mask.view(np.uint8), lo[has], dtype=np.int64)
        src = np.flatnonzero(per)
        counts = per[src]
        starts = np.cumsum(counts) - counts
        seg = np.repeat(np.arange(len(src)), counts)
        return cls(edge, src, starts, counts, seg)

    def __len__(self) -> int:
        return len(self.src)


def fill_group(load: np.ndarray, cand: Candidates, k: int) -> np.ndarray:
    """Assign ``k`` LIDs at every candidate switch; update ``load``; return chosen edges.

    Parameters
    ----------
    load:
        LIDs routed so far through each edge (updated in place).
    cand:
        Candidate edges (ports with the fewest hops) of each switch; within a switch
        they are in port order, which is the scan order for base LIDs.
    k:
        Number of LIDs, in routing order.

    Returns
    -------
    numpy.ndarray
        ``(len(cand), k)`` edge numbers: the port chosen at switch ``cand.src[i]`` for
        the ``j``-th LID.
    """
    n = len(cand)
    if n == 0 or k == 0:
        return np.zeros((n, k), dtype=np.int64)
    lo = load[cand.edge]
    low = np.minimum.reduceat(lo, cand.starts)
    even = np.maximum.reduceat(lo, cand.starts) == low
    if even.all():  # equal loads everywhere (the common case): round robin in port order
        return _round_robin(load, cand, k)
    if even.any():
        out = np.empty((n, k), dtype=np.int64)
        for segs, fill in ((np.flatnonzero(even), _round_robin),
                           (np.flatnonzero(~even), _water_fill)):
            keep = np.zeros(n, dtype=bool)
            keep[segs] = True
            out[segs] = fill(load, Candidates.of(cand.edge[keep[cand.seg]], cand_src_of(cand)), k)
        return out
    return _water_fill(load, cand, k, lo, low)


def fill_group_ports(load: np.ndarray, cand: Candidates, k: int,
                     e_port: np.ndarray, e_port_u8: np.ndarray | None = None) -> np.ndarray:
    """:func:`fill_group`, answered as the chosen ports (uint8, ``(len(cand), k)``).
    With equal loads at every switch (the common case) the round robin is read from a
    sliding window over the candidates' ports: no index array per entry. ``e_port_u8``:
    ``e_port`` as uint8, if the caller keeps it."""
    n = len(cand)
    if n and k:
        lo = np.take(load, cand.edge)
        even = np.maximum.reduceat(lo, cand.starts) == np.minimum.reduceat(lo, cand.starts)
        counts = cand.counts
        wide = counts >= k
        if even.all() and (wide | (counts == 1)).all():
            m = len(cand.edge)
            pe = np.zeros(m + k, dtype=np.uint8)
            np.take(e_port.astype(np.uint8) if e_port_u8 is None else e_port_u8, cand.edge,
                    out=pe[:m])
            win = np.lib.stride_tricks.sliding_window_view(pe, k)
            ports = win[cand.starts]
            if not wide.all():
                ports[~wide] = pe[cand.starts[~wide]][:, None]
            # +1 on the first min(count, k) candidates of each switch, +k on a lone one
            mark = np.zeros(len(cand.edge) + 1, dtype=np.int64)
            mark[cand.starts] += 1  # starts and ends are each distinct: no repeats
            mark[cand.starts + np.minimum(counts, k)] -= 1
            inc = np.cumsum(mark[:-1])
            inc[cand.starts[~wide]] = k
            load[cand.edge] = lo + inc  # (each edge once)
            return ports
    return e_port[fill_group(load, cand, k)].astype(np.uint8)


def cand_src_of(cand: Candidates) -> np.ndarray:
    """A lookup giving each candidate edge's source switch (for :meth:`Candidates.of`)."""
    src = np.zeros(int(cand.edge.max()) + 1 if len(cand.edge) else 0, dtype=np.int64)
    src[cand.edge] = cand.src[cand.seg]
    return src


def _round_robin(load: np.ndarray, cand: Candidates, k: int) -> np.ndarray:
    """:func:`fill_group` where every candidate of a switch has the same load."""
    j = np.arange(k)
    counts = cand.counts
    if (counts >= k).all():
        picked = cand.starts[:, None] + j[None, :]
    elif ((counts == 1) | (counts >= k)).all():  # a fat tree: one port down, or k up
        picked = cand.starts[:, None] + np.where(counts[:, None] == 1, 0, j[None, :])
    else:
        picked = cand.starts[:, None] + j[None, :] % counts[:, None]
    pos = np.arange(len(cand.edge)) - cand.starts[cand.seg]
    each = counts[cand.seg]
    load[cand.edge] += k // each + (pos < k % each)
    return cand.edge[picked]


def _water_fill(load: np.ndarray, cand: Candidates, k: int, lo: np.ndarray | None = None,
                low: np.ndarray | None = None) -> np.ndarray:
    """:func:`fill_group` in general: LID ``j`` takes the ``j``-th smallest
    ``(load + t, scan rank)``."""
    if lo is None or low is None:
        lo = load[cand.edge]
        low = np.minimum.reduceat(lo, cand.starts)
    rel = lo - low[cand.seg]
    at_min = np.add.reduceat((rel == 0).astype(np.int64), cand.starts)
    top = (k - 1) // at_min  # no switch needs a level above this
    reps = np.maximum(top[cand.seg] - rel + 1, 0)
    total = int(reps.sum())
    which = np.repeat(np.arange(len(cand.edge)), reps)
    first = np.cumsum(reps) - reps
    level = rel[which] + (np.arange(total) - np.repeat(first, reps))
    key = (cand.seg[which] << 40) | (level << 20) | which
    order = np.argsort(key, kind="stable")
    per_seg = np.add.reduceat(reps, cand.starts)
    seg_first = np.cumsum(per_seg) - per_seg
    picked = which[order[seg_first[:, None] + np.arange(k)[None, :]]]
    load[cand.edge] += np.bincount(picked.ravel(), minlength=len(cand.edge))
    return cand.edge[picked]


def pick_lmc(load: np.ndarray, cand: Candidates, port: np.ndarray, dst: np.ndarray,
             system: np.ndarray, nports: np.ndarray, start: np.ndarray,
             used: list[np.ndarray]) -> np.ndarray:
    """One LID of an LMC range at every candidate switch (routing_for_lmc mode).

    Preference, as in ``osm_switch_recommend_path``: a port to a system none of the
    port's earlier LIDs went to; else to a node none of them went to; else any port, the
    least used one, ties to fewer of this port's LIDs already sent that way. Within a
    preference: fewest LIDs so far, first in scan order from ``start``.

    Parameters
    ----------
    load:
        Per-edge LID counts (updated in place).
    cand:
        Candidate edges.
    port, dst, system, nports:
        Edge ports, edge destination switches, switch systems, switch port counts.
    start:
        Per segment: scan start (port of the previous LID + 1).
    used:
        Per earlier LID of the same port: per segment, the switch the LID was sent to
        (-1 if none).

    Returns
    -------
    numpy.ndarray
        Chosen edge per segment.
    """
    e = cand.edge
    seg = cand.seg
    nbr = dst[e]
    rot = (port[e] - start[seg]) % nports[cand.src][seg]
    sys_found = np.zeros(len(e), dtype=bool)
    node_found = np.zeros(len(e), dtype=bool)
    fwd = np.zeros(len(e), dtype=np.int64)
    for prev in used:
        p = prev[seg]
        same = p == nbr
        node_found |= same
        fwd += same
        sys_found |= (p >= 0) & (system[np.maximum(p, 0)] == system[nbr])
    klass = np.where(~sys_found, 0, np.where(~node_found, 1, 2))
    key = (klass << 52) | (load[e] << 20) | rot
    best = np.minimum.reduceat(key, cand.starts)
    chosen = np.empty(len(cand), dtype=np.int64)
    flat = np.flatnonzero(key == best[seg])
    chosen[seg[flat]] = e[flat]
    tricky = (best >> 52 == 2) & (np.maximum.reduceat(fwd, cand.starts)
                                  != np.minimum.reduceat(fwd, cand.starts))
    for i in np.flatnonzero(tricky).tolist():
        chosen[i] = _fold(e, rot, load, fwd, cand.starts[i], cand.counts[i])
    load[chosen] += 1  # one edge per switch: no repeats
    return chosen


def _fold(e: np.ndarray, rot: np.ndarray, load: np.ndarray, fwd: np.ndarray, lo: int,
          n: int) -> int:
    """OpenSM's scan when every candidate leads to an already used node (exact quirks)."""
    idx = sorted(range(lo, lo + n), key=lambda i: int(rot[i]))
    best = idx[0]
    least, least_fwd = int(load[e[best]]), int(fwd[best])
    for i in idx[1:]:
        count = int(load[e[i]])
        if count < least:
            best, least, least_fwd = i, count, min(least_fwd, int(fwd[i]))
        elif count == least and fwd[i] < least_fwd:
            best, least_fwd = i, int(fwd[i])
    return int(e[best])


def fill_pinned(load: np.ndarray, cand: Candidates, pins: np.ndarray) -> np.ndarray:
    """:func:`fill_group` where some LIDs keep the port they had (``ignore_existing_lfts``
    FALSE): LID ``j`` at segment ``i`` goes to edge ``pins[i, j]`` when that is >= 0,
    else to the least loaded candidate (first in port order on ties). Kept routes count
    in the loads as they come, in routing order, as ``ucast_mgr_process_port`` counts
    them; so the LIDs are taken one at a time (for all segments at once).

    Returns
    -------
    numpy.ndarray
        ``(len(cand), k)`` chosen edges; ``load`` is updated in place.
    """
    n, k = pins.shape
    out = pins.copy()
    if n == 0 or k == 0:
        return out
    pos = np.arange(len(cand.edge)) - cand.starts[cand.seg]
    rows = np.arange(n)
    for j in range(k):
        col = pins[:, j]
        kept = col >= 0
        load[col[kept]] += 1  # one edge per segment (switch): no repeats
        if kept.all():
            continue
        key = (load[cand.edge] << 20) | pos
        best = np.minimum.reduceat(key, cand.starts)
        free = rows[~kept]
        chosen = cand.edge[cand.starts[free] + (best[free] & 0xFFFFF)]
        load[chosen] += 1
        out[free, j] = chosen
    return out
