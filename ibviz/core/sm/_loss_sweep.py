"""The heavy sweep after HCAs were lost, done as a difference instead of from scratch.

When the only change since the last sweep is that some HCAs (CAs cabled to one switch,
each by a single cable) failed, OpenSM's heavy sweep with ``ignore_existing_lfts`` FALSE
keeps every LFT entry (no switch-to-switch hop count changes, so every existing port is
still a fewest-hop candidate) except those of the lost LIDs, which become unrouted (255).
No other LID, port state or hop count moves. :func:`loss_sweep` computes exactly that
from the last sweep's tables: the lost LIDs' columns cleared, the LFT blocks holding them
programmed, LinearFDBTop moved where the top LID was lost, and the multicast trees
rebuilt as a full sweep rebuilds them. It gives the same tables, port states, MADs and
events as :meth:`~ibviz.core.sm.manager.SubnetManager.sweep` from scratch (checked by
``tests/core/test_sm_loss_sweep.py``) in milliseconds instead of seconds at 10,000 HCAs.
Anything else (a switch, an inter-switch cable, a port coming up, LFTs or LIDs written
behind the SM's back, up/down or ftree routing, a group's unicast LID) sweeps in full.
The new :class:`~ibviz.core.sm.routing.Lfts` keeps the previous sweep's fabric view (the
lost HCAs are still in it; no LFT entry leads to them). Its table is the last one with the
lost columns cleared in place when only the SM holds it (a whole-table copy, the first new
large allocation of the process, stalled on page faults: 150 ms at 24,000 LIDs); anything
else holding those read-only rows gets them unchanged, the SM then clearing a copy.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from ibviz.core import events as ev
from ibviz.core.model import NO_PATH, Link, NodeKind, PortRef, PortState
from ibviz.core.sm._smp_batch import SmpBatch
from ibviz.core.sm.multicast import SwitchHops
from ibviz.core.sm.switchinfo import SwitchInfo

if TYPE_CHECKING:
    from ibviz.core.sm.routing import Lfts


def lone_hca_links(sm: Any, guid: int) -> list[Link] | None:
    """The cables of CA ``guid`` if it hangs on switches by exactly one cable (a loss
    that changes no hop count), else None."""
    fabric = sm.fabric
    node = fabric.nodes.get(guid)
    if node is None or node.kind is not NodeKind.CA:
        return None
    links = fabric.node_links(guid)
    if len(links) != 1:
        return None
    far = links[0].other(links[0].a if links[0].a.node == guid else links[0].b)
    if far is None or fabric.nodes[far.node].kind is not NodeKind.SWITCH:
        return None
    return links


def applicable(sm: Any) -> list[int] | None:
    """The HCAs lost since the last sweep, if :func:`loss_sweep` can do this sweep."""
    lost, last = sm._pending, sm.last_lfts
    if lost is None or last is None or sm.reachable is None or sm.routed_links is None:
        return None
    if sm.config.routing != "minhop" or last.algorithm != "minhop" or \
            sm._routed_as != sm._routing_key() or sm._shape != sm._fabric_shape():
        return None
    if any(g.unicast_lid for g in sm.sa.groups.values()):
        return None
    if sm.config.sm_port is not None and sm.config.sm_port.node in lost:
        return None
    base = last.table.base if last.table.base is not None else last.table
    for sw in last.switches:  # the switches still hold what the last sweep programmed
        row = sm.lfts.get(sw)
        if row is None or row.base is not base:
            return None
    if len(sm.lfts) != len(last.switches):
        return None
    for guid in lost:
        if lone_hca_links(sm, guid) is None:
            return None
    return [g for g in dict.fromkeys(lost) if g in sm.reachable]


def loss_sweep(sm: Any, lost: list[int], reason: str) -> None:
    """Sweep after losing the HCAs ``lost`` (see the module docstring)."""
    fabric, last = sm.fabric, sm.last_lfts
    assert last is not None and sm.reachable is not None and sm.routed_links is not None
    ports = [PortRef(g, n) for g in lost for n in fabric.nodes[g].ports]
    cut = [link for g in lost for link in fabric.node_links(g)]
    far = [link.other(link.a if link.a.node in lost else link.b) for link in cut]
    affected = sorted(set(ports) | {f for f in far if f is not None},
                      key=lambda r: (sm._node_order()[r.node], r.port))
    before = [(r.node, r.port, p, p.lid, p.lmc, p.state) for r in affected
              for p in [fabric.port(r)]]
    for ref in affected:
        fabric.set_port_state(ref, PortState.DOWN)
    sm.reachable = sm.reachable - set(lost)
    for guid in lost:
        sm._hops.pop(guid, None)
        for p in fabric.nodes[guid].lid_ports():
            sm._port_guids.pop(p.guid or guid, None)
    sm.lid_manager.warnings = []
    batch = SmpBatch(sm, reason)  # PortInfo, then LFT blocks: sent at once
    sm._record_port_info(before, reason, batch)
    sm.routed_links = sm.routed_links - {link.key for link in cut}
    lids = sorted({lid for r in ports for lid in fabric.port(r).lids() if lid})
    cols = np.array([x for x in lids if x < last.table.shape[1]], dtype=np.int64)
    held = last.table[:, cols] != NO_PATH  # the entries that change, before they do
    del last  # (a name holding the old tables would make _sole_holder copy them)
    new = _cleared(sm, cols)
    sm.last_lfts = new
    sm.switch_hops = SwitchHops(new.switches, new.switch_hops) \
        if new.switch_hops is not None else None
    _program(sm, new, cols, held, batch)
    sm._drop_departed_members()
    sm.reprogram_groups(sm.sa.groups.values(), reason)
    sm.state = "SUBNET UP"


def _sole_holder(sm: Any) -> np.ndarray | None:
    """The last sweep's table, writable, if the SM alone holds it (its rows in ``sm.lfts``
    and ``sm.last_lfts``), else None. Everything else that kept a row, the table or the
    :class:`Lfts` (a simulator's data plane, ``ibviz sm``'s before/after count) relies on
    them never changing, so then the table is copied instead (CPython reference counts,
    as :meth:`numpy.ndarray.resize` checks them)."""
    last = sm.last_lfts
    base = last.table.base
    if not isinstance(base, np.ndarray) or base.base is not None or \
            not base.flags.writeable or sys.getrefcount(last) != _LFTS_REFS or \
            sys.getrefcount(last.table) != 2:
        return None
    for sw in last.switches:
        if sys.getrefcount(sm.lfts[sw]) != 2:  # the SM's dict and the call's argument
            return None
    # each row's view, last.table, the local name and the call's argument
    return base if sys.getrefcount(base) == len(last.switches) + 3 else None


_LFTS_REFS = 3  # sm.last_lfts, the local name and the call's argument


def _cleared(sm: Any, cols: np.ndarray) -> Lfts:
    """The last sweep's tables with the columns ``cols`` unrouted (and cut after the new
    top LID): written in place when nothing else holds them (:func:`_sole_holder`), so the
    cost follows the lost LIDs, not the table; else on a copy."""
    from ibviz.core.sm.routing import Lfts

    table = _sole_holder(sm)
    last = sm.last_lfts
    if table is None:
        table = np.array(last.table)
    table[:, cols] = NO_PATH
    if len(cols) and cols[-1] == table.shape[1] - 1:
        used = np.flatnonzero((table != NO_PATH).any(axis=0))
        table = np.array(table[:, : int(used[-1]) + 1 if len(used) else 1])
    return Lfts(last.fabric, last.switches, table, last.algorithm, last.roots,
                last.switch_hops, fallback=last.fallback, incremental=True,
                route_hops=last.route_hops)


def _program(sm: Any, new: Lfts, cols: np.ndarray, held: np.ndarray,
             batch: SmpBatch) -> None:
    """The LFT blocks holding a lost LID (``held``: which switches had an entry for each
    of the columns ``cols``), then LinearFDBTop where it moved."""
    dirty = np.flatnonzero(held.any(axis=1)).tolist()
    lost_set, blocks = set(cols.tolist()), cols // 64
    same = sorted(set(blocks.tolist())) if len(set(blocks.tolist())) == 1 else None
    listening = sm.events.active
    for i in dirty:
        sw = new.switches[i]
        batch.add("LinearForwardingTable", sw,
                  same if same is not None else sorted(set(blocks[held[i]].tolist())))
        info = sm.switch_info.setdefault(sw, SwitchInfo())
        if info.linear_fdb_top in lost_set or info.linear_fdb_top >= new.table.shape[1]:
            routed = np.flatnonzero(new.table[i] != NO_PATH)
            top = int(routed[-1]) if len(routed) else 0
            if top != info.linear_fdb_top:
                info.linear_fdb_top = top
                batch.add("SwitchInfo", sw, 0, {"linear_fdb_top": top})
        if listening:
            batch.event(ev.LftChanged, sw, int(held[i].sum()))
    for i, sw in enumerate(new.switches):
        sm.lfts[sw] = new.table[i]
    batch.send()
