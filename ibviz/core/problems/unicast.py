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
    kind = np.int32 if n * m < 1 << 31 else np.int64  # half the memory where it fits
    ends: dict[PortRef, int] = {}  # a port a walk may end at -> its number
    first = _first_steps(fabric, switches, index, ends)
    owner, shared = _owner_ids(lid_list, owners, ends)
    code = np.empty((n, m), np.int8)
    nxt = np.empty((n, m), kind)
    for lo in range(0, n, _ROWS):  # a block of switches at a time: bounded temporaries
        rows = range(lo, min(n, lo + _ROWS))
        ports = np.full((len(rows), m), NO_PATH, np.int64)
        for r, i in enumerate(rows):
            table = np.asarray(lfts[switches[i]])
            inside = lid_list < len(table)
            ports[r, inside] = table[lid_list[inside]]
        at = ports + (np.arange(lo, rows.stop, dtype=np.int64) * 256)[:, None]
        block = first.code[at]
        nxt[rows.start:rows.stop] = first.next[at]
        end = block == _END
        if end.any():
            reached = first.end[at]
            block[end] = np.where(reached[end] == np.broadcast_to(owner, block.shape)[end],
                                  DELIVERED, WRONG_NODE)
            for col in shared:  # a LID several ports answer to: any of them delivers
                hit = end[:, col] & np.isin(reached[:, col], shared[col])
                block[hit, col] = DELIVERED
        code[rows.start:rows.stop] = block
    if not m or not n:
        return switches, lid_list, code, nxt
    flat = np.add(nxt * m, np.arange(m, dtype=kind)[None, :]).reshape(-1)
    for _ in range(int(np.ceil(np.log2(max(n, 2)))) + 1):
        step = flat[flat]
        if np.array_equal(step, flat):  # every walk has ended: more steps change nothing
            break
        flat = step
    last = (flat // m).reshape(n, m).astype(np.int64)
    return switches, lid_list, code[last, np.arange(m)[None, :]], last


_ROWS = 64
_END = -1
"""First step onto a port a LID may belong to (port 0, or a CA or router port): delivered
when the LID is that port's, else the wrong node."""


class _Steps:
    """Per (switch row, out port): the code of the first step, the next switch row, and
    for an end, the number of the port it reaches (-1 otherwise)."""

    def __init__(self, n: int) -> None:
        self.code = np.full(n * 256, DEAD_PORT, np.int8)
        self.next = np.repeat(np.arange(n, dtype=np.int64), 256)
        self.end = np.full(n * 256, -1, np.int64)


def _first_steps(fabric: Fabric, switches: list[int], index: dict[int, int],
                 ends: dict[PortRef, int]) -> _Steps:
    """The first step out of every port of every switch (see :class:`_Steps`)."""
    steps = _Steps(len(switches))
    for row, sw in enumerate(switches):
        base = row * 256
        node = fabric.nodes[sw]
        steps.code[base + NO_PATH] = NO_ROUTE
        steps.code[base] = _END
        steps.end[base] = ends.setdefault(PortRef(sw, 0), len(ends))
        for port in node.ports:
            if not 0 < port < NO_PATH:
                continue
            ref = PortRef(sw, port)
            peer = fabric.peer(ref)
            if peer is None or PortState.DOWN in (fabric.port(ref).state,
                                                  fabric.port(peer).state):
                continue  # a dead port
            if fabric.nodes[peer.node].kind is NodeKind.SWITCH:
                if peer.node in index:
                    steps.code[base + port] = FORWARD
                    steps.next[base + port] = index[peer.node]
                continue  # else a switch whose LFT we do not have: a dead end
            steps.code[base + port] = _END
            steps.end[base + port] = ends.setdefault(peer, len(ends))
    return steps


def _owner_ids(lid_list: np.ndarray, owners: dict[int, list[PortRef]],
               ends: dict[PortRef, int]) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Per LID column: the number (in ``ends``) of the one port the LID belongs to (-2:
    none a walk can reach); and, for LIDs several ports answer to, all their numbers."""
    owner = np.full(len(lid_list), -2, np.int64)
    shared: dict[int, np.ndarray] = {}
    for col, lid in enumerate(lid_list.tolist()):
        refs = [ends[r] for r in owners.get(lid, ()) if r in ends]
        if refs:
            owner[col] = refs[0]
        if len(refs) > 1:
            shared[col] = np.array(refs)
    return owner, shared


def check_unicast(fabric: Fabric, lfts: dict[int, np.ndarray]) -> tuple[list[Problem], int]:
    """LIDs some switch cannot deliver (no route, dead port, wrong node, loop); and the
    number of (switch, LID) pairs checked."""
    lids = [lid for lid, refs in fabric.lid_owners().items()
            if any(fabric.port(r).state is not PortState.DOWN for r in refs)]
    switches, lid_list, final, end = lid_walk(fabric, lfts, lids)
    problems: list[Problem] = []
    bad_cols = np.nonzero((final != DELIVERED).any(axis=0))[0]
    owners = fabric.lid_owners()
    secondary = _secondary_only(fabric, switches, lid_list, final, owners)
    for col in bad_cols:
        lid = int(lid_list[col])
        rows = np.nonzero(final[:, col] != DELIVERED)[0]
        owner = owners[lid][0]
        if col in secondary:
            continue
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
    if secondary:
        problems.append(_secondary_warning(fabric, switches, lid_list, final, owners, secondary))
    return problems, len(switches) * len(lid_list)


def _switches_with_cas(fabric: Fabric, switches: list[int]) -> np.ndarray:
    """Per switch row: a CA (or router) is cabled to it, so its LFT routes that CA's MADs."""
    out = np.zeros(len(switches), bool)
    for row, sw in enumerate(switches):
        for port in fabric.nodes[sw].ports:
            peer = fabric.peer(PortRef(sw, port)) if port else None
            if peer is not None and fabric.nodes[peer.node].kind is not NodeKind.SWITCH:
                out[row] = True
                break
    return out


def _secondary_only(fabric: Fabric, switches: list[int], lid_list: np.ndarray,
                    final: np.ndarray, owners: dict[int, list[PortRef]]) -> set[int]:
    """LID columns left unrouted the way OpenSM's ftree leaves switch LIDs: the LID is a
    switch's port 0, the only failure is "no route" (port 255) on switches without CAs,
    and every CA LID is delivered from every switch. Such a gap stops only LID-routed MADs
    sent from those switches; every CA still reaches the switch through its own leaf."""
    is_switch = np.array([fabric.nodes[owners[lid][0].node].kind is NodeKind.SWITCH
                          and owners[lid][0].port == 0 for lid in lid_list.tolist()], bool)
    if not len(switches) or not is_switch.any():
        return set()
    if (final[:, ~is_switch] != DELIVERED).any():
        return set()  # CAs cannot all reach each other: every gap is an error
    with_cas = _switches_with_cas(fabric, switches)
    failed = final != DELIVERED
    fits = (~failed | (final == NO_ROUTE)).all(axis=0) & ~(failed & with_cas[:, None]).any(axis=0)
    return {int(c) for c in np.nonzero(fits & failed.any(axis=0) & is_switch)[0]}


def _secondary_warning(fabric: Fabric, switches: list[int], lid_list: np.ndarray,
                       final: np.ndarray, owners: dict[int, list[PortRef]],
                       cols: set[int]) -> Problem:
    """One warning for every switch LID routed only as a secondary path (see
    :func:`_secondary_only`)."""
    ordered = sorted(cols)
    lids = [int(lid_list[c]) for c in ordered]
    targets = [owners[lid][0].node for lid in lids]
    counts = [int((final[:, c] != DELIVERED).sum()) for c in ordered]
    named = ", ".join(f"{node_name(fabric.nodes[g])} LID {lid:#06x}"
                      for g, lid in zip(targets[:EXAMPLES], lids[:EXAMPLES], strict=True))
    more = f" and {len(lids) - EXAMPLES} more" if len(lids) > EXAMPLES else ""
    spread = (f"{min(counts)}" if min(counts) == max(counts)
              else f"{min(counts)}-{max(counts)}")
    return Problem(
        "switch-lid-unrouted", Severity.WARNING,
        f"{plural(len(lids), 'switch LID')} ({named}{more})",
        f"no route (port 255) from {spread} of {plural(len(switches), 'switch')}, none of "
        "which has a CA cabled; every switch with a CA routes them and every CA LID is "
        "delivered from every switch, so traffic between CAs is unaffected, and a CA's "
        "LID-routed MADs to these switches (perfquery or ibroute by LID) pass through its "
        "own leaf, which routes them; only such MADs sent from the switches without the "
        "route would be lost. OpenSM's ftree routing "
        "(-R ftree) leaves exactly these gaps: it routes switch LIDs as secondary paths only",
        tuple(targets))
