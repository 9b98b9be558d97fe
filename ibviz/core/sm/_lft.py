"""Fill linear forwarding tables the way OpenSM's ``ucast_mgr_build_lfts`` does.

OpenSM fills each switch's table independently (the port loads are per switch), taking
destination ports in ``port_order_list`` order: the end ports of each switch, switches
sorted by their number of end ports (most first, ties in ``sw_guid_tbl`` order) and
each switch's end ports by port number, then every other port (switch port 0s) in
``port_guid_tbl`` order. With an LMC it makes one pass per LID offset: first every
port's base LID, then every port's base + 1, and so on. Switch LIDs are routed but not
counted in the port loads (``port_profile_switch_nodes`` is off by default).

Here every switch is handled at once: all LIDs behind one destination switch have the
same candidate ports at a given switch, so a whole group is balanced in one vectorised
step (:func:`~ibviz.core.sm._balance.fill_group`); the switch LIDs, which change no
load, are routed for all switches and destinations in a few matrix operations.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ibviz.core.sm import progress
from ibviz.core.sm._balance import Candidates, fill_group_ports, fill_pinned, pick_lmc
from ibviz.core.sm._graph import NO_PATH, SwitchGraph

_CHUNK_CELLS = 500_000
_BIG = np.int64(1) << 62


class LftBuilder:
    """Writes the rows of ``table`` (switch x LID, uint8) for one component at a time.

    Parameters
    ----------
    graph:
        The switch graph.
    hops:
        ``hops[s, d]``: hops from switch ``s`` to switch ``d`` as the routing engine
        counts them (min-hop or up/down).
    table:
        The LFTs to fill, initialised to :data:`NO_PATH`.
    down, down_only:
        Up/down routing only: per edge, whether it is a down move; per (switch,
        destination), whether the switch's path is down-only (see
        :func:`~ibviz.core.sm._hops.updown_hops`).
    old:
        The LFTs the switches hold now (same shape as ``table``), or None to route
        afresh. An entry whose port is still a candidate (cabled, fewest hops, legal) is
        kept, as ``osm_switch_recommend_path`` keeps it when ``ignore_existing_lfts``
        is FALSE; the others are balanced around the kept ones.
    """

    def __init__(self, graph: SwitchGraph, hops: np.ndarray, table: np.ndarray,
                 down: np.ndarray | None = None, down_only: np.ndarray | None = None,
                 old: np.ndarray | None = None) -> None:
        g = self.g = graph
        self.hops_t = np.ascontiguousarray(hops.T).astype(np.int16)
        self.hops_u8 = self.hops_t.astype(np.uint8)  # the same, one byte (255: no path)
        self.table = table
        self.down = down
        self.down_only_t = None if down_only is None else np.ascontiguousarray(down_only.T)
        self.load = np.zeros(len(g.e_src), dtype=np.int64)
        width = max(int(g.nports.max()) if g.size else 1, NO_PATH + 1)
        self.nbr_of = np.full((g.size, width), -1, dtype=np.int64)
        self.nbr_of[g.e_src, g.e_port] = g.e_dst
        self.old = old
        if old is not None:
            self.edge_of = np.full((g.size, width), -1, dtype=np.int64)
            self.edge_of[g.e_src, g.e_port] = np.arange(len(g.e_src))
        self.seg_starts = g.seg_starts()
        self.degree = np.diff(self.seg_starts)
        self.e_port_u8 = g.e_port.astype(np.uint8)
        self._cand: dict[int, Candidates] = {}

    def candidates(self, d: int) -> Candidates:
        """Edges on a fewest-hop (or legal up/down) path towards switch ``d``."""
        cand = self._cand.get(d)
        if cand is None:
            g = self.g
            col = self.hops_u8[d]
            hs = np.repeat(col, self.degree)  # col[e_src]: the edges are sorted by source
            mask = col[g.e_dst]
            mask += 1  # 255 (no path) wraps to 0, which only switch d itself has: excluded
            mask = (mask == hs) & (hs != NO_PATH) & (hs != 0)
            if self.down is not None:
                assert self.down_only_t is not None
                a = self.down_only_t[d]
                mask &= np.where(self.down, a[g.e_src] & a[g.e_dst], ~a[g.e_src])
            cand = Candidates.of_mask(mask, self.seg_starts)
        return cand

    def route_component(self, members: np.ndarray) -> None:
        """Fill the rows of the switches in ``members`` (one connected component)."""
        g, table = self.g, self.table
        in_comp = np.zeros(g.size, dtype=bool)
        in_comp[members] = True
        eps = [x for x in np.flatnonzero(in_comp[g.ep_sw]).tolist() if g.ep_lids[x]]
        if eps:
            owner, lid = _expand([g.ep_lids[x] for x in eps])
            ep = np.array(eps)[owner]
            table[g.ep_sw[ep], lid] = g.ep_swport[ep]
        sw_owner, sw_lid = _expand([g.lids[s] for s in members.tolist()])
        table[members[sw_owner], sw_lid] = 0
        count = np.bincount(g.ep_sw[eps], minlength=g.size) if eps else np.zeros(g.size, int)
        order = sorted((s for s in members.tolist() if count[s]), key=lambda s: -count[s])
        by_sw: dict[int, list[int]] = {s: [] for s in order}
        for x in eps:  # already sorted by (switch, switch port)
            by_sw[int(g.ep_sw[x])].append(x)
        groups = [(s, by_sw[s]) for s in order]
        multi_pass = any(len(g.ep_lids[x]) > 1 for x in eps) or \
            any(len(g.lids[s]) > 1 for s in members.tolist())  # LMC: keep candidates
        self._cand = {}
        offsets = max([len(g.ep_lids[x]) for x in eps] + [len(g.lids[s]) for s in members],
                      default=0)
        whole = len(members) == g.size  # one component: no other component's entries
        tick = progress.span("destinations")  # None: no one listens
        for i in range(offsets):
            stage = None
            if i == 0 and self.old is None:  # the whole fabric stages inside the table
                width = sum(len(xs) for _, xs in groups)
                stage = _Stage(table if whole else None, g.size, width)
            for n, (d, xs) in enumerate(groups):
                if tick is not None and n % progress.CHUNK == 0:
                    tick(i * len(groups) + n, offsets * len(groups))
                todo = [x for x in xs if len(g.ep_lids[x]) > i]
                if not todo:
                    continue
                cand = self.candidates(d)
                if multi_pass:
                    self._cand[d] = cand
                if len(cand) == 0:
                    continue
                if i == 0:
                    lids = np.array([g.ep_lids[x][0] for x in todo])
                    if stage is not None:
                        stage.put(cand.src, lids, fill_group_ports(
                            self.load, cand, len(lids), g.e_port, self.e_port_u8))
                        continue
                    ports = g.e_port[self._fill_kept(cand, lids)]
                    if lids[-1] - lids[0] == len(lids) - 1 and (np.diff(lids) == 1).all():
                        table[cand.src, lids[0]:lids[-1] + 1] = ports  # rows, no scatter
                    else:  # a flat scatter: cheaper than a 2-D fancy index
                        flat = cand.src[:, None] * table.shape[1] + lids[None, :]
                        table.ravel()[flat.ravel()] = ports.ravel()
                else:
                    for x in todo:
                        self._route_offset(cand, g.ep_lids[x], i)
            if stage is not None and whole:
                stage.unfold(table)
                if eps:  # the entries set above, which the stage wrote over
                    table[g.ep_sw[ep], lid] = g.ep_swport[ep]
                table[members[sw_owner], sw_lid] = 0
            elif stage is not None:
                stage.merge(table)
            progress.reached("switch lids")
            self._route_switch_lids(members, i)
        self._cand = {}

    def _pins(self, cand: Candidates, lids: np.ndarray) -> np.ndarray:
        """Per segment and LID: the edge of the LID's existing entry if it is still one
        of the candidates (the route OpenSM keeps), else -1."""
        assert self.old is not None
        ports = self.old[cand.src[:, None], lids[None, :]]
        edge = self.edge_of[cand.src[:, None], ports]
        is_cand = np.zeros(len(self.g.e_src) + 1, dtype=bool)
        is_cand[cand.edge] = True
        return np.where(is_cand[edge], edge, -1)  # edge -1 reads the False sentinel

    def _subset(self, cand: Candidates, segs: np.ndarray) -> Candidates:
        """The candidates of segments ``segs`` (indices, ascending) only."""
        keep = np.zeros(len(cand), dtype=bool)
        keep[segs] = True
        return Candidates.of(cand.edge[keep[cand.seg]], self.g.e_src)

    def _fill_kept(self, cand: Candidates, lids: np.ndarray) -> np.ndarray:
        """Base LIDs of one group, keeping still-valid existing entries."""
        pins = self._pins(cand, lids)
        mixed = (pins < 0).any(axis=1)
        whole = pins[~mixed]
        if whole.size:
            self.load += np.bincount(whole.ravel(), minlength=len(self.load))
        if mixed.any():
            pins[mixed] = fill_pinned(self.load, self._subset(cand, np.flatnonzero(mixed)),
                                      pins[mixed])
        return pins

    def _route_offset(self, cand: Candidates, lids: range, i: int) -> None:
        g, table = self.g, self.table
        lid = lids[i]
        if self.old is not None:
            pins = self._pins(cand, np.array([lid]))[:, 0]
            kept = pins >= 0
            self.load[pins[kept]] += 1
            table[cand.src[kept], lid] = g.e_port[pins[kept]]
            if kept.all():
                return
            cand = self._subset(cand, np.flatnonzero(~kept))
        src = cand.src
        start = table[src, lid - 1].astype(np.int64) + 1
        used = [self.nbr_of[src, table[src, lids[j]]] for j in range(i)]
        chosen = pick_lmc(self.load, cand, g.e_port, g.e_dst, g.system, g.nports, start, used)
        table[src, lid] = g.e_port[chosen]

    def _route_switch_lids(self, members: np.ndarray, i: int) -> None:
        """Route offset ``i`` of every switch LID in ``members`` (loads stay as they are)."""
        g, table = self.g, self.table
        dests = [d for d in members.tolist() if len(g.lids[d]) > i]
        if not dests or not len(g.e_src):
            return
        if i == 0 and self.down is None and self.old is None and \
                int(self.load.max(initial=0)) < 1 << 22:
            self._route_base_switch_lids(members, dests)
            return
        srcs = np.flatnonzero(np.diff(self.seg_starts))
        starts = self.seg_starts[srcs]
        step = max(1, _CHUNK_CELLS // len(g.e_src))
        nports = g.nports[g.e_src]
        for lo in range(0, len(dests), step):
            chunk = np.array(dests[lo:lo + step])
            lid = np.array([g.lids[d][i] for d in chunk])
            h = self.hops_t[chunk]
            hs = h[:, g.e_src]
            mask = (hs != NO_PATH) & (h[:, g.e_dst] + 1 == hs)
            if self.down is not None:
                assert self.down_only_t is not None
                a = self.down_only_t[chunk]
                mask &= np.where(self.down[None, :], a[:, g.e_src] & a[:, g.e_dst],
                                 ~a[:, g.e_src])
            if i:
                begin = table[g.e_src[None, :], lid[:, None] - 1].astype(np.int64) + 1
            else:
                begin = np.ones((1, 1), dtype=np.int64)
            rot = (g.e_port[None, :] - begin) % nports[None, :]
            key = np.where(mask, (self.load[None, :] << 20) | rot, _BIG)
            best = np.minimum.reduceat(key, starts, axis=1)
            rows, cols = np.nonzero(best != _BIG)
            sw = srcs[cols]
            first = begin[rows, starts[cols]] if i else 1
            table[sw, lid[rows]] = ((best[rows, cols] & 0xFFFFF) + first) % g.nports[sw]
            if self.old is not None:  # existing entries on a candidate port stay
                old = self.old[srcs[None, :], lid[:, None]]
                edge = self.edge_of[srcs[None, :], old]
                r, c = np.nonzero(edge >= 0)
                ok = mask[r, edge[r, c]]
                table[srcs[c[ok]], lid[r[ok]]] = old[r[ok], c[ok]]


    def _route_base_switch_lids(self, members: np.ndarray, dests: list[int]) -> None:
        """:meth:`_route_switch_lids` for base LIDs, min-hop, routing afresh (the common
        case), one source switch at a time: its edges sorted by (load, scan rank), the
        first whose far end is one hop closer wins, for every destination at once."""
        g, table = self.g, self.table
        dest = np.array(dests)
        lid = np.array([g.lids[d][0] for d in dests])
        far = np.ascontiguousarray(self.hops_t[dest].T).astype(np.uint8)  # [switch, dest]
        rot = (g.e_port - 1) % g.nports[g.e_src]
        key = (self.load << 8) | rot
        cols = np.arange(len(dest))
        for s in members.tolist():  # (a member switch without a LID still routes)
            lo, hi = int(self.seg_starts[s]), int(self.seg_starts[s + 1])
            if lo == hi:
                continue
            edges = lo + np.argsort(key[lo:hi], kind="stable")
            here = far[s]
            closer = far[g.e_dst[edges]] == (here - np.uint8(1))  # 0 - 1 wraps to 255
            first = closer.argmax(axis=0)
            ok = closer[first, cols] & (here != 0) & (here != NO_PATH)
            table[s, lid[ok]] = g.e_port[edges[first[ok]]]


class _Stage:
    """The base-LID entries of a fresh min-hop pass, gathered column block by column
    block (each group's LIDs side by side, so a group writes one short run per switch
    instead of one scattered byte per switch and LID), then moved to their LIDs.

    ``inside``: the table itself, when one component is the whole fabric: its first
    columns hold the stage (no second table-sized array), :meth:`unfold` moves them
    out; the caller then sets again the entries it had set in the table."""

    def __init__(self, inside: np.ndarray | None, switches: int, lids: int) -> None:
        if inside is not None:
            self.cells = inside[:, :lids]
            self.cells[...] = NO_PATH
        else:
            self.cells = np.full((switches, lids), NO_PATH, dtype=np.uint8)
        self.lids: list[np.ndarray] = []
        self.used = 0

    def put(self, rows: np.ndarray, lids: np.ndarray, ports: np.ndarray) -> None:
        k = len(lids)
        self.cells[rows, self.used:self.used + k] = ports
        self.lids.append(lids)
        self.used += k

    def unfold(self, table: np.ndarray) -> None:
        """Move the staged columns (inside ``table``) to their LIDs, a slice of rows at a
        time; the rest of the staged area becomes 255."""
        if not self.used:
            return
        cols = np.concatenate(self.lids)
        step = max(1, _CHUNK_CELLS // len(cols))
        for lo in range(0, table.shape[0], step):
            staged = table[lo:lo + step, : self.used].copy()
            table[lo:lo + step, : self.used] = NO_PATH
            table[lo:lo + step, cols] = staged
        self.cells = np.zeros((0, 0), dtype=np.uint8)

    def merge(self, table: np.ndarray) -> None:
        """Write the staged entries that are not 255 (other components keep theirs)."""
        if not self.used:
            return
        cols = np.concatenate(self.lids)
        order = np.argsort(cols)
        cols = cols[order]
        step = max(1, _CHUNK_CELLS // len(cols))
        for lo in range(0, table.shape[0], step):
            new = self.cells[lo:lo + step, : self.used][:, order]
            part = table[lo:lo + step, cols]
            table[lo:lo + step, cols] = np.where(new != NO_PATH, new, part)
        self.cells = np.zeros((0, 0), dtype=np.uint8)


def _expand(ranges: list[range]) -> tuple[np.ndarray, np.ndarray]:
    """Every LID of ``ranges`` with the index of its range, in order."""
    lens = np.array([len(r) for r in ranges], dtype=np.int64)
    first = np.array([r.start if len(r) else 0 for r in ranges], dtype=np.int64)
    owner = np.repeat(np.arange(len(ranges)), lens)
    offset = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
    return owner, first[owner] + offset


def old_table(guids: list[int], existing: Mapping[int, np.ndarray],
               shape: tuple[int, int]) -> np.ndarray:
    """The existing LFTs as one array in switch order, cut or padded (255) to ``shape``."""
    old = np.full(shape, NO_PATH, dtype=np.uint8)
    for i, guid in enumerate(guids):
        t = existing.get(guid)
        if t is not None:
            n = min(len(t), shape[1])
            old[i, :n] = np.asarray(t[:n], dtype=np.uint8)
    return old
