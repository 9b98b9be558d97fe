"""OpenSM's fat-tree route assignment (``do_routing`` of ``osm_ucast_ftree.c``), step by step.

Routes go to compute nodes leaf by leaf in index order (plus "dummy" routes for the CNs
a leaf lacks, so every leaf loads the tree alike), then to the other CA ports (I/O
nodes may use reverse hops), then to the switches. For each target the walk climbs from
its leaf along the least loaded up group (``downgoing_by_going_up``) and, at every
switch reached, descends through all other down groups (``upgoing_by_going_down``).
The port counters and the order in which groups are re-sorted decide every later
choice, so this is a literal transcription, recursion included; it runs in plain
Python over ``__slots__`` objects and ``bytearray`` tables.
"""

from __future__ import annotations

from operator import attrgetter

from ibviz.core.sm import progress
from ibviz.core.sm.ftree_build import FtFabric
from ibviz.core.sm.ftree_model import NO_PATH, FtGroup, FtPort, FtSwitch


def _least(ports: list[FtPort], up: bool) -> FtPort:
    """First port with the fewest up-going (or down-going) routes."""
    best = ports[0]
    if up:
        for p in ports:
            if p.counter_up < best.counter_up:
                best = p
    else:
        for p in ports:
            if p.counter_down < best.counter_down:
                best = p
    return best


LEAVES_PER_TICK = 4
"""Leaves routed between two progress reports (a leaf of a 12k-node fat tree: ~0.2 s)."""
_LOAD_UP = attrgetter("counter_up", "rkey")
_LOAD_DOWN = attrgetter("counter_down", "rkey")


def _sort_down(groups: list[FtGroup], loads_differ: bool) -> None:
    """``bubble_sort_down`` with ``port_group_compare_load_down``.

    That comparison looks at the remote switches' ``min_counter_down`` when two groups
    carry as many routes, and then is not a total order (a less loaded remote switch
    does not win), so only the same bubble passes give the same order. While every
    ``min_counter_down`` is still 0 (``loads_differ`` false: OpenSM never counts routes
    on down groups, so in practice always) it orders by (routes, index), and the bubble
    sort is a stable sort by that key."""
    if not loads_differ:
        groups.sort(key=_LOAD_DOWN)
        return
    n = len(groups)
    i = 0
    swapped = True
    while swapped:
        swapped = False
        for j in range(1, n - i):
            a, b = groups[j], groups[j - 1]
            if a.counter_down != b.counter_down:
                less = a.counter_down < b.counter_down
            elif a.remote.min_counter_down - b.remote.min_counter_down > 0:
                less = False
            else:
                less = a.rkey < b.rkey
            if less:
                groups[j - 1], groups[j] = a, b
                swapped = True
        i += 1


class _Chain:
    """Down groups then sibling groups, each read live by index (like OpenSM's loop)."""

    def __init__(self, first: list[FtGroup], second: list[FtGroup]) -> None:
        self.first, self.second = first, second

    def __iter__(self):
        first, second = self.first, self.second
        n = len(first)
        for k in range(n + len(second)):
            yield first[k] if k < n else second[k - n]


class Router:
    """Fills the ``lft`` of every switch of ``ft`` (built and indexed)."""

    def __init__(self, ft: FtFabric, max_reverse_hops: int = 0) -> None:
        self.ft = ft
        self.max_reverse_hops = max_reverse_hops
        self.loads_differ = False
        """Whether some switch's ``min_counter_down`` is not 0 (see :func:`_sort_down`)."""
        for sw in ft.switches.values():
            sw.down_sw = sum(g.remote_is_sw for g in sw.down)
            sw.plain_leaf = bool(sw.down) and not sw.down_sw and not sw.sibling
            for group in (*sw.down, *sw.up, *sw.sibling):
                group.rkey = group.index_key()

    # --------------------------------------------------------------- the walks
    def going_down(self, sw: FtSwitch, prev: FtSwitch | None, lid: int, hops: int) -> bool:
        """``fabric_route_upgoing_by_going_down``: route ``lid`` on the switches below."""
        down = sw.down
        if not down:
            return False
        if sw.counter_up_changed:
            down.sort(key=_LOAD_UP)
            sw.counter_up_changed = False
        sibling = sw.sibling
        if sibling:
            sibling.sort(key=_LOAD_UP)
        n_down = len(down)
        if not sw.down_sw and (lid == 0 or not sibling):
            # only CAs below (a leaf): every group "creates a route", nothing else happens
            sw.down_idx = (sw.down_idx + 1) % n_down
            return True
        created = False
        prev_lid = -1 if prev is None else prev.lid
        next_hops = hops + 1  # < NO_PATH: a hop count of NO_PATH never stops the walk
        # lists are read live, by index, as OpenSM does (a list iterator does too)
        groups = down if lid == 0 or not sibling else _Chain(down, sibling)
        for group in groups:
            if not group.remote_is_sw:
                created = True
                continue
            if group.remote_lid == prev_lid:
                continue
            remote = group.remote
            if next_hops >= remote.hops[lid]:
                continue
            ports = group.ports
            if not ports:
                continue
            port = ports[0] if len(ports) == 1 else _least(ports, up=True)
            remote.lft[lid] = port.remote_num
            remote.hops[lid] = next_hops
            if remote.plain_leaf:  # what going_down would do there, without the call
                remote.down_idx = (remote.down_idx + 1) % len(remote.down)
                routed = True
            else:
                routed = self.going_down(remote, None, lid, next_hops)
            if routed:
                created = True
                port.counter_up += 1
                group.counter_up += 1
                sw.counter_up_changed = True
        if created:
            sw.down_idx = (sw.down_idx + 1) % len(down)
        return created

    def going_up(self, sw: FtSwitch, prev: FtSwitch | None, lid: int, main: bool,
                 credit: int, hops: int) -> bool:
        """``fabric_route_downgoing_by_going_up``: route ``lid`` on the switches above
        (and, through :meth:`going_down`, on everything below them)."""
        created = self.going_down(sw, prev, lid, hops)
        if sw.rank == 0:
            if credit > 0 and sw.down:
                n = len(sw.down)
                sw.down_idx = (sw.down_idx + 1) % n
                i = sw.down_idx
                for _ in range(n):
                    group = sw.down[i]
                    i = (i + 1) % n
                    if group.remote_is_sw:
                        created |= self.going_up(group.remote, sw, lid, main, credit - 1,
                                                 hops + 1)
            return created
        up = sw.up
        _sort_down(up, self.loads_differ)
        min_group = up[0]
        min_port = _least(min_group.ports, up=False)
        if main:
            remote = min_group.remote
            min_group.counter_down += 1
            min_port.counter_down += 1
            if min_group.counter_down == remote.min_counter_down + 1:
                remote.min_counter_down = min((g.counter_down for g in remote.down),
                                              default=1 << 30)
                self.loads_differ |= remote.min_counter_down != 0
            if remote.lft[lid] == NO_PATH or hops + 1 < remote.hops[lid]:
                remote.lft[lid] = min_port.remote_num
                remote.hops[lid] = hops + 1
            created |= self.going_up(remote, sw, lid, main, credit, hops + 1)
        # the group lists are read live by index, as OpenSM does: reverse hops can come
        # back to this switch and re-sort them during the recursion
        for i in range(1 if main else 0, len(up)):
            if self._secondary(sw, up[i], lid, credit, hops) is not None:
                created = True
        if sw.sibling:
            _sort_down(sw.sibling, self.loads_differ)
            for i in range(len(sw.sibling)):
                port = self._secondary(sw, sw.sibling[i], lid, credit, hops)
                if port is not None:
                    created = True
                    min_group.counter_down += 1
                    port.counter_down += 1
        if credit == 0 or sw.is_leaf:
            return created
        for i in range(len(sw.down)):
            group = sw.down[i]
            if group.remote_is_sw:
                created |= self.going_up(group.remote, sw, lid, True, credit - 1, hops + 1)
        return created

    def _secondary(self, sw: FtSwitch, group: FtGroup, lid: int, credit: int,
                   hops: int) -> FtPort | None:
        """A secondary path through an up (not the least loaded) or sibling group: route
        there unless the remote switch already has an as short route, and climb on.
        Returns the port used if that created a route, else None."""
        remote = group.remote
        if remote.lft[lid] != NO_PATH and hops + 1 >= remote.hops[lid]:
            return None
        if not group.ports:
            return None
        port = _least(group.ports, up=False)
        remote.lft[lid] = port.remote_num
        remote.hops[lid] = hops + 1
        return port if self.going_up(remote, sw, lid, False, credit, hops + 1) else None

    # ------------------------------------------------------------ the targets
    def route_to_cns(self) -> None:
        """``fabric_route_to_cns``: CNs leaf by leaf, then the leaf's dummy CNs (the
        bulk of the work: progress is told once per :data:`LEAVES_PER_TICK` leaves)."""
        ft = self.ft
        tick = progress.span("destinations")  # None: no one listens
        for n, sw in enumerate(ft.leaves):
            if tick is not None and n % LEAVES_PER_TICK == 0:
                tick(n, len(ft.leaves))
            routed = 0
            j = 0
            while j < len(sw.down):  # read live, as OpenSM does
                group = sw.down[j]
                j += 1
                hca = group.hca
                if hca is None or not hca.cn_num:
                    continue
                own = hca.group_by_lid(group.remote_lid)
                if own is None or not own.is_cn:
                    continue
                lid = group.remote_lid
                sw.lft[lid] = group.ports[0].num
                sw.hops[lid] = 1
                self.going_up(sw, None, lid, True, 0, 1)
                routed += 1
            for _ in range(ft.max_cn_per_leaf - routed):
                sw.hops[0] = 1
                self.going_up(sw, None, 0, True, 0, 1)
                for other in ft.switches.values():
                    other.hops[0] = NO_PATH
                    other.lft[0] = NO_PATH

    def route_to_non_cns(self) -> None:
        """``fabric_route_to_non_cns``: other CA ports, counted like CNs."""
        for hca in self.ft.hcas.values():
            for group in hca.up:
                if group.is_cn or not group.remote_is_sw:
                    continue
                sw = group.remote
                sw.lft[group.lid] = group.ports[0].remote_num
                sw.hops[group.lid] = 1
                credit = self.max_reverse_hops if group.is_io else 0
                self.going_up(sw, None, group.lid, True, credit, 1)

    def route_to_switches(self) -> None:
        """``fabric_route_to_switches``: every switch LID, as a secondary path."""
        for sw in self.ft.switches.values():
            sw.lft[sw.lid] = 0
            sw.hops[sw.lid] = 0
            self.going_up(sw, None, sw.lid, False, 0, 0)

    def run(self) -> None:
        self.route_to_cns()
        self.route_to_non_cns()
        progress.reached("switch lids")
        self.route_to_switches()
