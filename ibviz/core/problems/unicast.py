"""Unicast health: from every switch, does every LID's LFT path end at the port owning it?

Each (switch, LID) pair takes one step (out port -> next switch, or an end: delivered, no
route, a dead port, the wrong node); the ends are absorbing, and the walks are followed for
all pairs at once by pointer doubling in numpy: ceil(log2(switches)) + 1 gathers over a
switches x LIDs array. A pair still not at an end afterwards is in a loop.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef, PortState
from ibviz.core.naming import describe_node, node_name, plural
from ibviz.core.problems.model import Problem, Severity

NO_PATH = 255
FORWARD, DELIVERED, NO_ROUTE, DEAD_PORT, WRONG_NODE = range(5)
_WHY = {NO_ROUTE: "has no route (port 255)",
        DEAD_PORT: "sends it to a port that is not up", WRONG_NODE: "delivers it to another node"}
_WHY_MANY = {NO_ROUTE: "have no route (port 255)",
             DEAD_PORT: "send it to a port that is not up", WRONG_NODE: "deliver it to another node"}
EXAMPLES = 3


def lid_walk(fabric: Fabric, lfts: dict[int, np.ndarray], lids: Iterable[int]
             ) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
    """Walk every LID from every switch that has an LFT.

    Returns (switch GUIDs, LIDs, end code per [switch, LID], end switch index per pair).
    """
    switches = sorted(sw for sw in lfts if sw in fabric.nodes)
    lid_list = np.array(sorted(lids), dtype=np.int64)
    index = {sw: i for i, sw in enumerate(switches)}
    owners = fabric.lid_owners()
    n, m = len(switches), len(lid_list)
    code = np.full((n, m), NO_ROUTE, np.int8)
    kind = np.int32 if n * m < 1 << 31 else np.int64  # half the memory where it fits
    nxt = np.repeat(np.arange(n, dtype=kind)[:, None], m, axis=1)
    for i, sw in enumerate(switches):
        table = np.asarray(lfts[sw])
        ports = np.full(m, NO_PATH, np.int64)
        inside = lid_list < len(table)
        ports[inside] = table[lid_list[inside]]
        order = np.argsort(ports, kind="stable")  # each port's LIDs, ascending
        values, first = np.unique(ports[order], return_index=True)
        for port, cols in zip(values.tolist(), np.split(order, first[1:]), strict=True):
            _step(fabric, sw, port, lid_list[cols], cols, i, code, nxt, index, owners)
    if not m or not n:
        return switches, lid_list, code, nxt
    flat = np.add(nxt * m, np.arange(m, dtype=kind)[None, :]).reshape(-1)
    for _ in range(int(np.ceil(np.log2(max(n, 2)))) + 1):
        step = flat[flat]
        if np.array_equal(step, flat):  # every walk has ended: more steps change nothing
            break
        flat = step
    end = (flat // m).reshape(n, m).astype(np.int64)
    return switches, lid_list, code[end, np.arange(m)[None, :]], end


def _step(fabric: Fabric, sw: int, port: int, lids: np.ndarray, cols: np.ndarray, row: int,
          code: np.ndarray, nxt: np.ndarray, index: dict[int, int],
          owners: dict[int, list[PortRef]]) -> None:
    if port == NO_PATH:
        code[row, cols] = NO_ROUTE
        return
    if port == 0:
        here = [PortRef(sw, 0) in owners.get(int(lid), ()) for lid in lids]
        code[row, cols] = np.where(here, DELIVERED, WRONG_NODE)
        return
    ref = PortRef(sw, port)
    node = fabric.nodes[sw]
    peer = fabric.peer(ref) if port in node.ports else None
    if peer is None or PortState.DOWN in (fabric.port(ref).state, fabric.port(peer).state):
        code[row, cols] = DEAD_PORT
        return
    if fabric.nodes[peer.node].kind is NodeKind.SWITCH and peer.node in index:
        code[row, cols] = FORWARD
        nxt[row, cols] = index[peer.node]
        return
    if fabric.nodes[peer.node].kind is NodeKind.SWITCH:  # a switch whose LFT we do not have
        code[row, cols] = DEAD_PORT
        return
    mine = [peer in owners.get(int(lid), ()) for lid in lids]
    code[row, cols] = np.where(mine, DELIVERED, WRONG_NODE)


def check_unicast(fabric: Fabric, lfts: dict[int, np.ndarray]) -> tuple[list[Problem], int]:
    """LIDs some switch cannot deliver (no route, dead port, wrong node, loop); and the
    number of (switch, LID) pairs checked."""
    lids = [lid for lid, refs in fabric.lid_owners().items()
            if any(fabric.port(r).state is not PortState.DOWN for r in refs)]
    switches, lid_list, final, end = lid_walk(fabric, lfts, lids)
    problems: list[Problem] = []
    bad_cols = np.nonzero((final != DELIVERED).any(axis=0))[0]
    owners = fabric.lid_owners()
    for col in bad_cols:
        lid = int(lid_list[col])
        rows = np.nonzero(final[:, col] != DELIVERED)[0]
        owner = owners[lid][0]
        by_why: dict[int, list[int]] = {}
        for r in rows:
            by_why.setdefault(int(final[r, col]), []).append(int(r))
        parts = []
        for why, rs in sorted(by_why.items()):
            ends = list(dict.fromkeys(switches[end[r, col]] for r in rs))
            names = [describe_node(fabric, g) for g in ends[:EXAMPLES]]
            more = f" and {len(ends) - EXAMPLES} more" if len(ends) > EXAMPLES else ""
            starts = [node_name(fabric.nodes[switches[r]]) for r in rs[:EXAMPLES]]
            start = f"from {plural(len(rs), 'switch')} ({', '.join(starts)}" + \
                (", ...)" if len(rs) > EXAMPLES else ")")
            where = "switch" if len(ends) == 1 else "switches"
            if why == FORWARD:
                parts.append(f"{start}: the path loops through {where} {', '.join(names)}{more}")
            else:
                parts.append(f"{start}: the path ends at {where} {', '.join(names)}{more}, "
                             f"which {(_WHY if len(ends) == 1 else _WHY_MANY)[why]}")
        kind = "lid-loop" if FORWARD in by_why else "lid-unreachable"
        problems.append(Problem(
            kind, Severity.ERROR, f"LID {lid:#06x} of {describe_node(fabric, owner.node, owner.port)}",
            f"not delivered from {len(rows)} of {plural(len(switches), 'switch')}; "
            + "; ".join(parts),
            (owner.node, *sorted({switches[end[r, col]] for r in rows})), lid=lid))
    return problems, len(switches) * len(lid_list)
