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
    OpenSM's updn. Identical to OpenSM on fat trees; where up/down cannot connect every
    pair of switches with CAs (a torus with two roots) this raises :class:`UpDownError`,
    whereas OpenSM quietly leaves such LIDs unrouted. LFTs are always computed afresh, as
    OpenSM does on the first sweep and after any port change (``ignore_existing_lfts``).

Speed
    Nothing loops over (switch, LID) pairs in Python. Hop counts come from a bit-set BFS
    for all switches at once (:mod:`ibviz.core.sm._hops`); the LIDs behind one
    destination switch share their candidate ports at every switch, so each such group
    is balanced for all switches in one vectorised water-filling step
    (:mod:`ibviz.core.sm._balance`). A 10,000-HCA leaf/spine routes in about 0.5 s.
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
from ibviz.core.sm import _hops
from ibviz.core.sm._graph import NO_PATH, SwitchGraph, components, duplicate_lid, extract
from ibviz.core.sm._hops import min_hops, updown_hops
from ibviz.core.sm._lft import LftBuilder
from ibviz.core.sm._walk import walk
from ibviz.core.sm.ftree import FtreeOptions, route_subnets

ALGORITHMS = ("minhop", "updn", "ftree")
MAX_LFT_PORT = 254
"""LFT entries are one byte; 255 means no path."""


class RoutingError(ValueError):
    """The fabric cannot be routed as asked (duplicate LIDs, unknown algorithm, ...)."""


class UpDownError(RoutingError):
    """Up/down routing found no roots or leaves a destination unreachable.

    OpenSM falls back to min-hop routing then; callers can catch this and call
    :func:`compute_lfts` with ``algorithm="minhop"``.
    """


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
        Routing engine used and, for ``updn``, the root switch GUIDs.
    """

    def __init__(self, fabric: Fabric, switches: list[int], table: np.ndarray,
                 algorithm: str, roots: frozenset[int] = frozenset(),
                 switch_hops: np.ndarray | None = None) -> None:
        self.fabric = fabric
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
                 roots: set[int] | None = None, ftree: FtreeOptions | None = None) -> Lfts:
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
        that are not switches of the fabric are ignored, as OpenSM does.

    Returns
    -------
    Lfts

    Raises
    ------
    RoutingError
        Unknown algorithm, a LID used twice within one component, or a switch with more
        ports than an 8-bit LFT entry can name (a generated director of 625 ports).
    UpDownError
        ``updn`` found no root in a component, or some switch with CAs or routers cannot
        reach another one under the up/down rule. (Switch LIDs that no legal path
        reaches, such as one root from another, stay 255 without error, as in OpenSM.)
    """
    if algorithm not in ALGORITHMS:
        raise RoutingError(f"unknown routing algorithm {algorithm!r}; "
                           f"available: {', '.join(ALGORITHMS)}")
    _check_port_numbers(fabric)
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
    used_roots: frozenset[int] = frozenset()
    if algorithm == "ftree":  # where OpenSM's ftree gives up, its default engine routes
        used = route_subnets(fabric, g.guids, groups, table, ftree,
                             LftBuilder(g, hops, table).route_component)
        return Lfts(fabric, g.guids, table, used, used_roots, switch_hops)
    if algorithm == "updn":
        root_idx, rootless = _hops.pick_roots(g, hops, groups, roots)
        if rootless is not None:
            what = "were detected" if roots is None else "of the given roots are"
            raise UpDownError(f"no root switches {what} in the subnet of "
                              f"{_name(fabric, PortRef(g.guids[rootless], 0))}; "
                              "give roots=... or use minhop")
        used_roots = frozenset(g.guids[i] for i in root_idx.tolist())
        _, down = _hops.edge_directions(g, root_idx)
        hops, down_only = updown_hops(g.size, g.e_src, g.e_dst, down)
        with_eps = np.zeros(g.size, dtype=bool)
        with_eps[g.ep_sw] = True
        for members in groups:
            bad = _hops.unreachable_pairs(hops, members[with_eps[members]])
            if bad:
                pairs = "; ".join(f"{_name(fabric, PortRef(g.guids[a], 0))} -> "
                                  f"{_name(fabric, PortRef(g.guids[b], 0))}" for a, b in bad)
                raise UpDownError(f"up/down routing leaves switches unreachable ({pairs}); "
                                  "pick other roots or use minhop")
        builder = LftBuilder(g, hops, table, down, down_only)
    else:
        builder = LftBuilder(g, hops, table)
    for members in groups:
        builder.route_component(members)
    return Lfts(fabric, g.guids, table, algorithm, used_roots, switch_hops)


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
