"""The order of MFT writes when a group's tree changes: never a transient loop.

The SM programs one switch (one MFT block) at a time, and packets are forwarded on
whatever the tables hold at that moment, so every intermediate state must be loop-free,
not only the old and the new tree. A multicast copy leaves a switch on every port of
the entry but the one it came in on; if the switch-to-switch cables that carry a port of
some entry form a forest, no copy can reach a switch twice (a walk that never turns back
in a forest visits no node twice), hence no loop and no duplicate delivery.

Order (make before break where that is loop-free):

1. If the union of the old and the new entries is a forest, any order is safe: the
   switches are written in GUID order, each straight to its new entry.
2. Otherwise the writes are chosen greedily: new entries are written leaf to root of the
   new tree (deepest first) whenever the states before and after the write *together*
   still form a forest (the new branch is made before the old one is broken, and a copy
   in flight across the write, forwarded partly by the one and partly by the other,
   cannot loop either); when no such write remains, the shallowest switch (root first)
   that still has ports only the old tree uses is written to old & new (a break, always
   safe: it only removes), and the makes resume. This always ends: once every old-only
   port is gone, each state is part of the new tree, a forest.

The property test (tests/core/test_mft_order.py) checks every intermediate state on
rings, tori, meshes and fat trees.
"""

from __future__ import annotations

from collections.abc import Callable

Entry = frozenset[int]
PeerSwitch = Callable[[int, int], "tuple[int, tuple] | None"]
"""(switch, port) -> (peer switch, cable key), or None when the port leads to no switch."""


def is_forest(entries: dict[int, Entry], peer: PeerSwitch) -> bool:
    """Whether the cables carrying a port of some entry form a forest of switches."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    cables: set[tuple] = set()
    for sw, ports in entries.items():
        for p in ports:
            hit = peer(sw, p)
            if hit is None or hit[1] in cables:
                continue
            cables.add(hit[1])
            a, b = find(sw), find(hit[0])
            if a == b:
                return False
            parent[a] = b
    return True


def _depths(entries: dict[int, Entry], peer: PeerSwitch, root: int | None) -> dict[int, int]:
    if root is None:
        return {}
    depth, frontier = {root: 0}, [root]
    while frontier:
        nxt = []
        for sw in frontier:
            for p in sorted(entries.get(sw, ())):
                hit = peer(sw, p)
                if hit is not None and hit[0] not in depth:
                    depth[hit[0]] = depth[sw] + 1
                    nxt.append(hit[0])
        frontier = nxt
    return depth


def mft_writes(old: dict[int, Entry], new: dict[int, Entry], peer: PeerSwitch,
               new_root: int | None = None, old_root: int | None = None
               ) -> list[tuple[int, Entry]]:
    """The writes ``(switch, entry)`` taking ``old`` to ``new``, every state loop-free when
    both ends are (see the module docstring). Switches missing from a dict have no entry."""
    changed = sorted(sw for sw in set(old) | set(new)
                     if old.get(sw, frozenset()) != new.get(sw, frozenset()))
    union = {sw: old.get(sw, frozenset()) | new.get(sw, frozenset())
             for sw in set(old) | set(new)}
    if not changed or is_forest(union, peer):
        return [(sw, new.get(sw, frozenset())) for sw in changed]
    d_new, d_old = _depths(new, peer, new_root), _depths(old, peer, old_root)
    far = len(union) + 1
    make_order = sorted(changed, key=lambda sw: (-d_new.get(sw, -1), sw))
    break_order = sorted(changed, key=lambda sw: (d_old.get(sw, far), sw))
    cur = {sw: e for sw, e in old.items() if e}
    pending = set(changed)
    writes: list[tuple[int, Entry]] = []

    def write(sw: int, entry: Entry) -> None:
        writes.append((sw, entry))
        if entry:
            cur[sw] = entry
        else:
            cur.pop(sw, None)
        if entry == new.get(sw, frozenset()):
            pending.discard(sw)

    while pending:
        made = False
        for sw in make_order:
            if sw in pending:
                want = new.get(sw, frozenset())
                trial = dict(cur)
                trial[sw] = cur.get(sw, frozenset()) | want  # before and after together
                if is_forest(trial, peer):
                    write(sw, want)
                    made = True
        if made or not pending:
            continue
        victim = next((sw for sw in break_order if sw in pending and
                       cur.get(sw, frozenset()) - new.get(sw, frozenset())), None)
        if victim is None:  # cannot happen when ``new`` is a forest; finish in order
            for sw in make_order:
                if sw in pending:
                    write(sw, new.get(sw, frozenset()))
            break
        write(victim, cur.get(victim, frozenset()) & new.get(victim, frozenset()))
    return writes
