"""Unicast routing: linear forwarding tables (LFTs) as OpenSM 3.3 computes them.

``compute_lfts(fabric)`` returns, per switch GUID, a uint8 array indexed by LID whose
value is the output port (0 for the switch's own LIDs, 255 = ``OSM_NO_PATH`` for LIDs it
cannot reach or that nobody owns). Every LID of an LMC range gets its own entry.
:func:`route` walks the tables hop by hop and :func:`hop_counts` gives the fewest-hop
distances, so callers (and the tests) can prove routes minimal and loop-free.

Engines
    ``minhop``, OpenSM's default: every LID goes along a fewest-hop path; among the equal
    ports a switch takes the one that carries the fewest LIDs so far, ties to the first
    port in scan order (port 1 up for a base LID, from the previous LID's port + 1 for the
    others of an LMC range); with an LMC it prefers ports to systems, then nodes, the
    port's other LIDs do not use yet (``osm_switch_recommend_path``). Destinations are
    taken in OpenSM's ``port_order_list`` order (:mod:`ibviz.core.sm._lft`), so the
    tables are the very ones OpenSM writes: checked against OpenSM 3.3.23 on ibsim for
    leaf/spine (parallel links, dual-port HCAs), fat trees, tori and rings, LMC 0-3 and
    ``lmc_esp0``. ``updn``: the same, over up*/down* paths only (no down->up turn, the
    deadlock-free rule for fat trees) relative to root switches, given or detected like
    OpenSM's updn. Identical to OpenSM on fat trees and leaf/spines; on a torus with two
    given roots, where OpenSM's breadth-first search marks directions in queue order, 19
    of 1,106 entries take another of the equal ports (same LIDs routed). Where no root is found (none
    detected, or none of the given GUIDs is a switch of the subnet) it falls back to
    ``minhop`` for that subnet, as ``osm_ucast_mgr_process`` falls back to the default
    engine when updn's ``build_lid_matrices`` fails; LIDs that up/down cannot reach from
    a switch (a torus with two roots) stay unrouted (255), as OpenSM leaves them.

Incremental re-routing
    OpenSM recomputes from scratch only when ``ignore_existing_lfts`` is set: on the
    first sweep, and when a port comes up (a new node, a link back: the switch port is
    seen in INIT, ``need_update``). When ports only go away (a CA, a switch or an
    inter-switch link lost) it keeps every existing entry whose port is still cabled and
    on a fewest-hop (legal up/down) path, counts it in the port loads as it comes in
    routing order, and balances only the other LIDs (``osm_switch_recommend_path``).
    Pass the tables the switches hold as ``existing`` for that;
    :class:`~ibviz.core.sm.manager.SubnetManager` decides which case a sweep is.

Speed
    Nothing loops over (switch, LID) pairs in Python. Hop counts come from a bit-set BFS
    for all switches at once (:mod:`ibviz.core.sm._hops`); the LIDs behind one
    destination switch share their candidate ports at every switch, so each such group
    is balanced for all switches in one vectorised water-filling step
    (:mod:`ibviz.core.sm._balance`): with equal loads (the usual case) that is a round
    robin read through a sliding window, and a fresh pass stages each group's entries
    side by side per switch before one merge into the table. Switch LIDs are routed per
    source switch, its edges sorted by (load, scan rank), for all destinations at once.
    ``benchmarks/bench_sm.py`` prints the cost per LFT entry up to 46,550 LIDs.
    The LIDs above a port's base LID (LMC > 0) take one vectorised step each.

Subnets
    Each connected component of the switch graph is routed on its own (routers are end
    ports, as in OpenSM, so subnets joined by routers are separate components). LIDs must
    be unique within a component and may repeat across components. Cables with a DOWN
    end and switches whose port 0 is DOWN are not used; loopback cables never carry a
    route.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from ibviz.core.fabric import Fabric
from ibviz.core.model import PortRef
from ibviz.core.sm import _hops, progress
from ibviz.core.sm._graph import NO_PATH, SwitchGraph, components, duplicate_lid, extract
from ibviz.core.sm._hops import min_hops, updown_hops
from ibviz.core.sm._lft import LftBuilder, old_table
from ibviz.core.sm._walk import walk
from ibviz.core.sm.ftree import FtreeOptions, route_subnets

ALGORITHMS = ("minhop", "updn", "ftree")
MAX_LFT_PORT = 254
"""LFT entries are one byte; 255 means no path."""


class RoutingError(ValueError):
    """The fabric cannot be routed as asked (duplicate LIDs, unknown algorithm, ...)."""


class UpDownError(RoutingError):
    """Kept for callers that catch it: up/down routing no longer raises it (it falls
    back to min-hop and leaves unreachable LIDs unrouted, as OpenSM does)."""


class RouteError(RoutingError):
    """A walk through the LFTs hit a dead end or a loop; ``path`` is the walk so far."""

    def __init__(self, message: str, path: list[PortRef]) -> None:
        super().__init__(message)
        self.path = path


class Lfts(Mapping[int, np.ndarray]):
    """Switch GUID -> LFT (read-only uint8 array indexed by LID, length ``max_lid + 1``).

    Attributes
    ----------
    fabric:
        The fabric the tables were computed for (used by :meth:`route`).
    table:
        All LFTs as one ``(switches, max_lid + 1)`` array; rows in :attr:`switches` order.
    algorithm, roots:
        Routing engine asked for and, for ``updn``, the root switch GUIDs.
    fallback:
        ``updn`` only: True when some subnet had no root and was routed ``minhop``.
    incremental:
        Whether existing entries were kept (``ignore_existing_lfts`` FALSE).
    route_hops:
        Switch-to-switch hops as the engine counts them (up/down-legal for ``updn``):
        OpenSM's hop matrix, which ``opensm.fdbs`` prints.
    """

    def __init__(self, fabric: Fabric, switches: list[int], table: np.ndarray,
                 algorithm: str, roots: frozenset[int] = frozenset(),
                 switch_hops: np.ndarray | None = None, *, fallback: bool = False,
                 incremental: bool = False, route_hops: np.ndarray | None = None) -> None:
        self.fabric = fabric
        self.route_hops = switch_hops if route_hops is None else route_hops
        self.fallback = fallback
        self.incremental = incremental
        self.switch_hops = switch_hops
        """Fewest hops between switches (rows/columns in :attr:`switches` order)."""
        self.switches = list(switches)
        self.table = table.view()
        self.table.flags.writeable = False
        self.algorithm = algorithm
        self.roots = roots
        self._row = {guid: i for i, guid in enumerate(self.switches)}

    def __getitem__(self, guid: int) -> np.ndarray:
        return self.table[self._row[guid]]

    def __iter__(self) -> Iterator[int]:
        return iter(self.switches)

    def __len__(self) -> int:
        return len(self.switches)

    @property
    def max_lid(self) -> int:
        return self.table.shape[1] - 1

    def route(self, src: PortRef, dlid: int) -> list[PortRef]:
        """See :func:`route`."""
        return route(self, src, dlid)

    def __repr__(self) -> str:
        return f"Lfts({self.algorithm}: {len(self)} switches, max LID {self.max_lid:#x})"


@dataclass(frozen=True)
class HopCounts:
    """Fewest hops from every switch to every switch and LID (OpenSM's LID matrix minimum).

    ``table[i, lid]``: links from switch ``switches[i]`` to the port owning ``lid``
    (0 for its own LIDs, switch distance + 1 for a CA or router port, 255 unreachable).
    ``switch_hops[i, j]``: links between switches ``i`` and ``j``.
    """

    switches: list[int]
    switch_hops: np.ndarray
    table: np.ndarray

    def __getitem__(self, key: tuple[int, int]) -> int:
        """``hops[switch_guid, lid]``."""
        guid, lid = key
        row = self.__dict__.get("_row")
        if row is None:
            row = {g: i for i, g in enumerate(self.switches)}
            object.__setattr__(self, "_row", row)
        return int(self.table[row[guid], lid])


def _max_lid(g: SwitchGraph) -> int:
    tops = [r[-1] for r in g.lids if r] + [r[-1] for r in g.ep_lids if r]
    return max(tops, default=0)


def _name(fabric: Fabric, ref: PortRef) -> str:
    return f"{fabric.nodes[ref.node].label} port {ref.port}"


def _check_port_numbers(fabric: Fabric) -> None:
    """LFT entries are 8 bits: a switch with more ports cannot be routed (a generated
    625-port director would wrap port 500 to 244 and make loops)."""
    wide = [n for n in fabric.switches() if n.num_ports > MAX_LFT_PORT]
    if wide:
        raise RoutingError(f"{wide[0].label} has {wide[0].num_ports} ports, but an LFT entry "
                           f"is 8 bits (ports 1..{MAX_LFT_PORT}): this fabric cannot be "
                           "routed (for 10,000 HCAs use a fat tree, e.g. fat-tree:k=22,n=3)")


def compute_lfts(fabric: Fabric, *, algorithm: str = "minhop",
                 roots: set[int] | None = None,
                 existing: Mapping[int, np.ndarray] | None = None,
                 ftree: FtreeOptions | None = None) -> Lfts:
    """Compute the unicast LFT of every switch.

    Parameters
    ----------
    fabric:
        The fabric with LIDs assigned (e.g. by :class:`~ibviz.core.sm.lids.LidManager`).
        Cables with a DOWN end and switches whose port 0 is DOWN are not used.
    algorithm:
        ``"minhop"``, ``"updn"`` or ``"ftree"`` (:mod:`ibviz.core.sm.ftree`; a subnet
        where OpenSM's ftree gives up is routed with minhop, as OpenSM does, and the
        result's ``algorithm`` says ``"minhop"``, or ``"ftree+minhop"`` if only some
        subnets are fat trees).
    ftree:
        ``ftree`` only: root, compute-node and I/O-node GUIDs (OpenSM's guid files).
    roots:
        ``updn`` only: GUIDs of the root switches. Default: detected per component the
        way OpenSM's updn does (switches from which more than 90% of the CAs and routers
        are at one single distance, and no other distance holds more than 5%). GUIDs
        that are not switches of the fabric are ignored, as OpenSM does; a component
        left without a root is routed ``minhop`` (OpenSM's fallback).
    existing:
        Switch GUID -> the LFT it holds now. Entries still valid and minimal are kept
        and only the rest re-balanced (OpenSM with ``ignore_existing_lfts`` FALSE).
        None (default): route afresh.

    Returns
    -------
    Lfts

    Raises
    ------
    RoutingError
        Unknown algorithm, a LID used twice within one component, or a switch with more
        ports than an 8-bit LFT entry can name (a generated director of 625 ports).
    """
    if algorithm not in ALGORITHMS:
        raise RoutingError(f"unknown routing algorithm {algorithm!r}; "
                           f"available: {', '.join(ALGORITHMS)}")
    _check_port_numbers(fabric)
    progress.reached("hops")
    g = extract(fabric)
    hops = min_hops(g.size, g.e_src, g.e_dst)
    switch_hops = hops
    comp = components(hops)
    groups = [np.flatnonzero(comp == c) for c in np.unique(comp)]
    for members in groups:
        clash = duplicate_lid(g, members)
        if clash:
            lid, a, b = clash
            raise RoutingError(f"LID {lid:#06x} is used by both {_name(fabric, a)} "
                               f"and {_name(fabric, b)}")
    table = np.full((g.size, _max_lid(g) + 1), NO_PATH, dtype=np.uint8)
    old = None if existing is None else old_table(g.guids, existing, table.shape)
    used_roots: frozenset[int] = frozenset()
    minhop_groups = groups
    route_hops = hops
    if algorithm == "ftree":  # where OpenSM's ftree gives up, its default engine routes
        # (ftree itself recomputes from scratch after a change, as OpenSM's does; the minhop
        # fallback keeps still-valid entries like OpenSM's minhop)
        used = route_subnets(fabric, g.guids, groups, table, ftree,
                             LftBuilder(g, hops, table, old=old).route_component)
        return Lfts(fabric, g.guids, table, used, used_roots, switch_hops,
                    fallback=used != "ftree", incremental=old is not None and used != "ftree",
                    route_hops=route_hops)
    if algorithm == "updn":
        per_comp = _hops.roots_per_component(g, hops, groups, roots)
        updn_groups = [m for m, r in zip(groups, per_comp, strict=True) if len(r)]
        minhop_groups = [m for m, r in zip(groups, per_comp, strict=True) if not len(r)]
        if updn_groups:
            root_idx = np.sort(np.concatenate([r for r in per_comp if len(r)]))
            used_roots = frozenset(g.guids[i] for i in root_idx.tolist())
            _, down = _hops.edge_directions(g, root_idx)
            up_hops, down_only = updown_hops(g.size, g.e_src, g.e_dst, down)
            builder = LftBuilder(g, up_hops, table, down, down_only, old)
            in_updn = np.zeros(g.size, dtype=bool)
            in_updn[np.concatenate(updn_groups)] = True
            route_hops = np.where(in_updn[:, None], up_hops, hops)
            for members in updn_groups:
                builder.route_component(members)
    if minhop_groups:
        builder = LftBuilder(g, hops, table, old=old)
        for members in minhop_groups:
            builder.route_component(members)
    fallback = algorithm == "updn" and bool(minhop_groups)
    return Lfts(fabric, g.guids, table, algorithm, used_roots, switch_hops,
                fallback=fallback, incremental=old is not None, route_hops=route_hops)


def hop_counts(fabric: Fabric) -> HopCounts:
    """Fewest-hop counts from every switch to every switch and every assigned LID."""
    _check_port_numbers(fabric)
    g = extract(fabric)
    hops = min_hops(g.size, g.e_src, g.e_dst)
    table = np.full((g.size, _max_lid(g) + 1), NO_PATH, dtype=np.uint8)
    for s, lids in enumerate(g.lids):
        if lids:
            table[:, lids.start:lids.stop] = np.minimum(table[:, lids.start:lids.stop],
                                                        hops[:, s:s + 1])
    plus_one = np.where(hops == NO_PATH, NO_PATH, hops.astype(np.int16) + 1)
    plus_one = np.minimum(plus_one, NO_PATH).astype(np.uint8)
    for x, lids in enumerate(g.ep_lids):
        if lids:
            s = int(g.ep_sw[x])
            table[:, lids.start:lids.stop] = np.minimum(table[:, lids.start:lids.stop],
                                                        plus_one[:, s:s + 1])
    return HopCounts(list(g.guids), hops, table)


def route(lfts: Lfts, src: PortRef, dlid: int) -> list[PortRef]:
    """Follow the LFTs from ``src`` to the port owning ``dlid``.

    Parameters
    ----------
    lfts:
        Tables from :func:`compute_lfts` (their ``fabric`` supplies the cabling).
    src:
        A CA or router port, or port 0 of a switch.
    dlid:
        Destination LID.

    Returns
    -------
    list of PortRef
        The ports the packet passes: ``src``, then each switch's input and output port,
        then the destination port (port 0 when ``dlid`` is a switch's). Links crossed =
        consecutive entries on different nodes.

    Raises
    ------
    RouteError
        No LFT entry (255 or beyond the table), an output port with no usable cable, a
        switch visited twice (loop), or a delivery to a port that does not own ``dlid``.
    """
    return walk(lfts.fabric, lfts.get, src, dlid, RouteError)
