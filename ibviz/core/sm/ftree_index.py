"""Leaf marking, switch indexing (tuples) and topology validation of OpenSM's ftree.

``fabric_set_leaf_rank``, ``fabric_mark_leaf_switches``, ``fabric_make_indexing``
(BFS from the first leaf switch in table order, tuples ``rank.d1.d2...``, port groups
sorted by the remote switch's tuple), ``fabric_create_leaf_switch_array``,
``fabric_set_max_cn_per_leaf`` and ``fabric_validate_topology``, in that order.
"""

from __future__ import annotations

from collections import deque

from ibviz.core.sm.ftree_build import FtFabric
from ibviz.core.sm.ftree_model import TUPLE_LEN, FtGroup, FtreeUnsupported, FtSwitch

MIN_RANK, MAX_RANK = 2, 8


def _by_index(groups: list[FtGroup]) -> None:
    """``qsort`` by ``compare_port_groups_by_remote_switch_index`` (tuples are unique)."""
    groups.sort(key=FtGroup.index_key)


def set_leaf_rank(ft: FtFabric) -> None:
    """Leaf rank = deepest rank, or with a root file the rank of the first CN's switch."""
    if not ft.roots_given:
        ft.leaf_rank = ft.max_rank
    else:
        hca = next(h for h in ft.hcas.values() if h.cn_num)
        group = next(g for g in hca.up if g.is_cn)
        ft.leaf_rank = group.remote.rank
    rank = ft.leaf_rank + 1
    if not MIN_RANK <= rank <= MAX_RANK:
        raise FtreeUnsupported(f"Fabric rank is {rank} (should be between {MIN_RANK} "
                               f"and {MAX_RANK})")


def mark_leaves(ft: FtFabric) -> None:
    """Switches with compute nodes are leaves; all must have the leaf rank."""
    for hca in ft.hcas.values():
        if not hca.cn_num:
            continue
        for group in hca.up:
            if not group.is_cn:
                continue
            sw = group.remote
            if sw.is_leaf:
                continue
            sw.is_leaf = True
            if sw.rank != ft.leaf_rank:
                port = ft.port_guid(hca.guid, group.ports[0].num)
                raise FtreeUnsupported(
                    f"ERR AB26: CN port {port:#x} is connected to switch {sw.guid:#x} with "
                    f"rank {sw.rank}, while FatTree leaf rank is {ft.leaf_rank}")


def _new_tuple(used: set[tuple[int, ...]], start: tuple[int, ...], down: bool
               ) -> tuple[int, ...]:
    """``fabric_get_new_tuple``: first free value of the digit the move changes."""
    temp = list(start)
    if down:
        temp[0] += 1
        var = start[0] + 1
    else:
        temp[0] -= 1
        var = start[0]
    for i in range(0xFF):
        temp[var] = i
        if tuple(temp) not in used:
            return tuple(temp)
    return (0xFF,) * TUPLE_LEN


def make_indexing(ft: FtFabric) -> None:
    """``fabric_make_indexing`` (``quasi_ftree_indexing`` off, OpenSM's default)."""
    first = next((s for s in ft.switches.values() if s.is_leaf), None)
    if first is None:
        return
    used: set[tuple[int, ...]] = set()
    if ft.leaf_rank < TUPLE_LEN:
        start = [0xFF] * TUPLE_LEN
        start[0] = first.rank
        for i in range(1, ft.leaf_rank + 1):
            start[i] = 0
        first.tuple = tuple(start)
        used.add(first.tuple)
    queue: deque[FtSwitch] = deque([first])
    while queue:
        sw = queue.popleft()
        if sw.rank < ft.leaf_rank:
            _index_neighbours(sw, sw.down, True, used, queue)
        if sw.rank != 0:
            _index_neighbours(sw, sw.up, False, used, queue)


def _index_neighbours(sw: FtSwitch, groups: list[FtGroup], down: bool,
                      used: set[tuple[int, ...]], queue: deque[FtSwitch]) -> None:
    """Give the switches behind ``groups`` not yet indexed their tuples (in group order),
    queue them, then sort ``groups`` by the remote switch's tuple."""
    for group in groups:
        if not group.remote_is_sw:
            continue
        remote = group.remote
        if remote.tuple[0] != 0xFF:
            continue
        remote.tuple = _new_tuple(used, sw.tuple, down=down)
        used.add(remote.tuple)
        queue.append(remote)
    _by_index(groups)


def leaf_array(ft: FtFabric) -> None:
    """Switches of leaf rank sorted by tuple, from the first to the last real leaf."""
    level = sorted((s for s in ft.switches.values() if s.rank == ft.leaf_rank),
                   key=lambda s: s.tuple)
    real = [i for i, s in enumerate(level) if s.is_leaf]
    if not real or real[0] >= real[-1]:
        raise FtreeUnsupported("Failed to find leaf switches - topology is not fat-tree")
    ft.leaves = level[real[0]:real[-1] + 1]
    for sw in ft.leaves:
        cns = 0
        for group in sw.down:
            if group.hca is not None:
                up = group.hca.group_by_lid(group.remote_lid)
                cns += bool(up is not None and up.is_cn)
        ft.max_cn_per_leaf = max(ft.max_cn_per_leaf, cns)


def validate(ft: FtFabric) -> None:
    """``fabric_validate_topology``: every switch of a rank looks like the first one
    (same number of up groups, of down groups above the leaves, same group widths)."""
    tree_rank = ft.leaf_rank + 1
    ref: dict[int, FtSwitch] = {}
    for sw in ft.switches.values():
        first = ref.setdefault(sw.rank, sw)
        if first is sw:
            continue
        why = None
        if len(first.up) != len(sw.up):
            why = "AB09: Different number of upward port groups"
        elif sw.rank != tree_rank - 1 and len(first.down) != len(sw.down):
            why = "AB0A: Different number of downward port groups"
        elif first.up and any(len(g.ports) != len(first.up[0].ports) for g in sw.up):
            why = "AB0B: Different number of ports in an upward port group"
        elif (first.down and sw.rank != tree_rank - 1 and sw.down
              and len(sw.down[0].ports) != len(first.down[0].ports)):
            # OpenSM compares only the first down group of each switch (sic)
            why = "AB0C: Different number of ports in an downward port group"
        if why:
            raise FtreeUnsupported(
                f"ERR {why} on switches {first.guid:#018x} and {sw.guid:#018x} (rank "
                f"{sw.rank}): Fabric topology hasn't been identified as FatTree")


def build_index(ft: FtFabric) -> None:
    """Everything ``construct_fabric`` does after the port groups exist."""
    set_leaf_rank(ft)
    mark_leaves(ft)
    make_indexing(ft)
    leaf_array(ft)
    if not ft.roots_given:
        validate(ft)
