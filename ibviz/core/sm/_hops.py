"""Switch-to-switch hop counts for every pair at once (BFS on bit sets), and up/down set-up.

Row ``s`` of a frontier holds one bit per destination switch, packed in 64-bit words;
one BFS level for all sources is a gather of the neighbours' rows and an OR-reduction
per source switch (``np.bitwise_or.reduceat``), so the cost is O(levels x edges x
switches / 64) word operations instead of a Python BFS per switch.
"""

from __future__ import annotations

import numpy as np

from ibviz.core.sm._graph import NO_PATH, SwitchGraph

MAX_HOPS = 254
HOPS_MAX = 64
"""IB_SUBNET_PATH_HOPS_MAX: size of OpenSM's hop histogram."""


def _packed_eye(n: int) -> np.ndarray:
    """Row ``s`` has bit ``s`` set: bits packed big-endian in bytes, the bytes (padded
    with zeros) viewed as 64-bit words, so that the ORs run a word at a time."""
    words = (n + 63) // 64
    rows = np.zeros((n, words * 8), dtype=np.uint8)
    rows[np.arange(n), np.arange(n) >> 3] = np.uint8(0x80) >> (np.arange(n) & 7).astype(np.uint8)
    return rows.view(np.uint64)


class _Expander:
    """OR of the neighbours' bit rows, per source switch, over a subset of edges."""

    def __init__(self, n: int, src: np.ndarray, dst: np.ndarray) -> None:
        self.n = n
        self.dst = dst
        self.srcs, self.starts = np.unique(src, return_index=True)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros_like(rows)
        if len(self.dst):
            out[self.srcs] = np.bitwise_or.reduceat(rows[self.dst], self.starts, axis=0)
        return out


def _unpack(bits: np.ndarray, n: int) -> np.ndarray:
    return np.unpackbits(bits.view(np.uint8), axis=1, count=n).view(bool)


def min_hops(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """``H[s, t]`` = fewest switch-to-switch links from switch ``s`` to ``t``.

    Parameters
    ----------
    n:
        Number of switches.
    src, dst:
        Directed edges, sorted by ``src`` (both directions of every cable present).

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` uint8, 0 on the diagonal, :data:`NO_PATH` where unreachable.
    """
    hops = np.full((n, n), NO_PATH, dtype=np.uint8)
    np.fill_diagonal(hops, 0)
    if n == 0:
        return hops
    expand = _Expander(n, src, dst)
    reached = _packed_eye(n)
    frontier = reached.copy()
    for level in range(1, MAX_HOPS + 1):
        new = expand(frontier) & ~reached
        if not new.any():
            break
        reached |= new
        hops[_unpack(new, n)] = level
        frontier = new
    return hops


def updown_hops(n: int, src: np.ndarray, dst: np.ndarray, down: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Up/down-legal hop counts for every (switch, destination switch) pair.

    A legal path takes zero or more *up* links, then zero or more *down* links. For
    each destination the search runs outwards from it, like OpenSM's
    ``updn_bfs_by_node``, but keeps two kinds of switch: *down-only* switches (their
    path to the destination uses down links only; a neighbour may enter them on a down
    link) and *up-first* switches (their path starts with an up link; nobody may enter
    them on a down link, which would make a down->up turn). A switch reachable both
    ways at the same distance is down-only, the kind more neighbours can use.

    Parameters
    ----------
    n, src, dst:
        As for :func:`min_hops`.
    down:
        Per edge: True when going from ``src`` to ``dst`` is a down move.

    Returns
    -------
    tuple of numpy.ndarray
        ``(H, down_only)``: ``(n, n)`` uint8 hop counts (:data:`NO_PATH` when no legal
        path exists) and a bool matrix, ``down_only[s, t]`` for the first kind.
    """
    hops = np.full((n, n), NO_PATH, dtype=np.uint8)
    np.fill_diagonal(hops, 0)
    down_only = np.eye(n, dtype=bool)
    if n == 0:
        return hops, down_only
    via_down = _Expander(n, src[down], dst[down])
    via_up = _Expander(n, src[~down], dst[~down])
    reached = _packed_eye(n)
    front_a = reached.copy()
    front_all = reached.copy()
    for level in range(1, MAX_HOPS + 1):
        new_a = via_down(front_a) & ~reached
        new_b = via_up(front_all) & ~reached & ~new_a
        new_all = new_a | new_b
        if not new_all.any():
            break
        reached |= new_all
        hops[_unpack(new_all, n)] = level
        down_only |= _unpack(new_a, n)
        front_a, front_all = new_a, new_all
    return hops, down_only


def rank_switches(n: int, src: np.ndarray, dst: np.ndarray, roots: np.ndarray) -> np.ndarray:
    """Rank of every switch: hops from the nearest root (``updn_subn_rank``); -1 if none."""
    rank = np.full(n, -1, dtype=np.int64)
    rank[roots] = 0
    frontier = np.zeros(n, dtype=bool)
    frontier[roots] = True
    level = 0
    while frontier.any():
        level += 1
        nxt = np.zeros(n, dtype=bool)
        nxt[dst[frontier[src]]] = True
        nxt &= rank < 0
        rank[nxt] = level
        frontier = nxt
    return rank


# --- up/down set-up, as osm_ucast_updn.c does it ------------------------------------------
def detect_roots(graph: SwitchGraph, hops: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Root switches of one component, by ``updn_find_root_nodes_by_min_hop``.

    For every switch, a histogram of the min-hop distances to the switches the CAs and
    routers hang on (one count per end port). A switch is a root when exactly one bar
    holds more than 90% of the end ports and no other bar more than 5%: almost every end
    port is equally far away, as seen from the top of a fat tree.

    Parameters
    ----------
    graph:
        The switch graph.
    hops:
        Min-hop switch distances.
    members:
        Switches of the component.

    Returns
    -------
    numpy.ndarray
        Switch numbers of the roots (possibly none).
    """
    per_switch = np.bincount(graph.ep_sw, minlength=graph.size)[members]
    total = int(per_switch.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    sub = hops[np.ix_(members, members)]
    top = min(int(sub.max()), HOPS_MAX - 1)  # one component: every entry is finite
    hist = np.stack([(sub == h).astype(np.int64) @ per_switch for h in range(top + 1)],
                    axis=1)
    over1 = (hist > total * 0.9).sum(axis=1)
    over2 = (hist > total * 0.05).sum(axis=1)
    return members[(over1 == 1) & (over2 == 1)]


def edge_directions(graph: SwitchGraph, roots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank every switch from ``roots`` and mark each edge that is a down move.

    A packet going from switch ``s`` to ``n`` moves *down* when ``n`` is further from the
    roots (higher rank); between equal ranks, when ``n`` has the bigger GUID; between two
    roots, always (``updn_get_dir``'s root hack, seen from the packet's side).

    Returns
    -------
    tuple of numpy.ndarray
        ``(rank, down)``: rank per switch (-1 where no root is reachable) and a bool per
        edge.
    """
    rank = rank_switches(graph.size, graph.e_src, graph.e_dst, roots)
    guid = np.array(graph.guids, dtype=np.uint64)
    rs, rn = rank[graph.e_src], rank[graph.e_dst]
    down = (rn > rs) | ((rn == rs) & (guid[graph.e_dst] > guid[graph.e_src]))
    down |= (rs == 0) & (rn == 0)
    return rank, down


def roots_per_component(graph: SwitchGraph, hops: np.ndarray, groups: list[np.ndarray],
                        roots: set[int] | None) -> list[np.ndarray]:
    """Root switches of every component: the given GUIDs that are switches of it (others
    are ignored, as OpenSM's ``rank_root_node`` ignores them), or :func:`detect_roots`.
    An empty array means no root: OpenSM's updn then fails and minhop routes instead.
    """
    index = {guid: i for i, guid in enumerate(graph.guids)}
    out: list[np.ndarray] = []
    for members in groups:
        if roots is None:
            out.append(np.sort(detect_roots(graph, hops, members)))
        else:
            member_set = set(members.tolist())
            out.append(np.array(sorted(index[r] for r in roots if index.get(r) in member_set),
                                dtype=np.int64))
    return out
