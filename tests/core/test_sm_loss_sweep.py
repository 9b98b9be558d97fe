"""The sweep after lost HCAs (:mod:`ibviz.core.sm._loss_sweep`) equals a full sweep.

Two subnet managers run the same story on two copies of a fabric; one sweeps the quick
way, the other is forced to sweep in full. Tables, port states, hop counts, SwitchInfo,
MFTs, every recorded MAD and every event must be the same.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from ibviz.core import events as ev
from ibviz.core.addressing import link_local_gid, make_mgid
from ibviz.core.fabric import Fabric
from ibviz.core.model import NO_PATH, PortRef
from ibviz.core.sm import _loss_sweep
from ibviz.core.sm.manager import SmConfig, SubnetManager
from ibviz.core.sm.records import REQUIRED_FOR_CREATE, JoinState, McMemberRecord, SaMethod
from ibviz.topology.generators import fat_tree, leaf_spine, torus

FABRICS: dict[str, Callable[[], Fabric]] = {
    "fat tree 4,3": lambda: fat_tree(4, 3),
    "leaf/spine 96": lambda: leaf_spine(96, hcas_per_leaf=8),
    "torus 3x3": lambda: torus((3, 3), hcas_per_switch=2),
}


def _join(sm: SubnetManager, group: int, members: list[int]) -> None:
    for guid in members:
        port = PortRef(guid, 1)
        rec = McMemberRecord(mgid=make_mgid(group_id=group),
                             port_gid=link_local_gid(sm.fabric.port(port).guid), qkey=1,
                             pkey=0xFFFF, join_state=int(JoinState.FULL))
        sm.sa_request(SaMethod.SET, port, rec, int(REQUIRED_FOR_CREATE))


def _state(sm: SubnetManager, seen: list) -> dict:
    fabric = sm.fabric
    width = max(len(t) for t in sm.lfts.values())
    lfts = {sw: np.pad(np.asarray(t), (0, width - len(t)), constant_values=NO_PATH).tolist()
            for sw, t in sm.lfts.items()}
    mads = [(m.attribute, m.modifier, m.dst, m.reason, m.latency_us, sorted(m.fields.items()))
            for m in sm.mads.mads]
    return {"lfts": lfts, "last": np.asarray(sm.last_lfts.table).tolist(),
            "ports": {(g, n): (p.lid, p.lmc, p.state) for g, node in fabric.nodes.items()
                      for n, p in node.ports.items()},
            "hops": sm._hops, "reach": sm.reachable, "links": sm.routed_links,
            "info": {sw: repr(i) for sw, i in sm.switch_info.items()},
            "mfts": sm.mfts, "mads": mads, "count": len(sm.mads),
            "by": dict(sm.mads.by_attribute), "guids": sm._port_guids,
            "events": [repr(e) for e in seen]}


def _run(build: Callable[[], Fabric], story: list[str], quick: bool, lmc: int,
         events: bool) -> tuple[dict, int]:
    fabric = build()
    sm = SubnetManager(fabric, SmConfig(lmc=lmc))
    seen: list = []
    if events:
        fabric.events.subscribe(ev.Event, seen.append)
    sm.sweep()
    cas = sorted(n.guid for n in fabric.cas())
    _join(sm, 1, cas[::5][:6])
    _join(sm, 2, cas[1::7][:4])
    quick_sweeps = 0
    for step in story:
        if step == "sweep":
            if not quick:
                sm._pending = None
            quick_sweeps += _loss_sweep.applicable(sm) is not None and quick
            sm.sweep(reason="trap")
        else:
            where = {"first": 0, "member": 5, "last": -1, "next": 1}[step]
            sm.fail_node(cas[where])
    return _state(sm, seen), quick_sweeps


STORIES = [["first", "sweep"], ["member", "sweep", "next", "sweep"],
           ["last", "sweep"], ["first", "member", "sweep", "sweep"]]


@pytest.mark.parametrize("name", list(FABRICS))
@pytest.mark.parametrize("story", STORIES, ids="-".join)
@pytest.mark.parametrize("lmc", [0, 1])
def test_loss_sweep_equals_full_sweep(name: str, story: list[str], lmc: int) -> None:
    quick, used = _run(FABRICS[name], story, True, lmc, events=lmc == 0)
    full, _ = _run(FABRICS[name], story, False, lmc, events=lmc == 0)
    assert used == story.count("sweep")  # the quick path did run every time
    for key in full:
        assert quick[key] == full[key], key


def test_other_changes_sweep_in_full() -> None:
    fabric = fat_tree(4, 3)
    sm = SubnetManager(fabric)
    sm.sweep()
    switch = next(iter(fabric.switches())).guid
    sm.fail_node(switch)
    assert _loss_sweep.applicable(sm) is None
    sm.recover_node(switch)
    sm.sweep()
    ca = min(n.guid for n in fabric.cas())
    sm.fail_node(ca)
    assert _loss_sweep.applicable(sm) == [ca]
    sm.recover_node(ca)
    assert _loss_sweep.applicable(sm) is None
    sm.sweep()
    sm.fail_node(ca)
    sm.lfts[switch] = np.array(sm.lfts[switch])  # written behind the SM's back
    assert _loss_sweep.applicable(sm) is None
    updn = SubnetManager(fat_tree(4, 3), SmConfig(routing="updn"))
    updn.sweep()
    updn.fail_node(min(n.guid for n in updn.fabric.cas()))
    assert _loss_sweep.applicable(updn) is None


def _held_by(sm: SubnetManager, kind: str) -> object:
    if kind == "row":
        return sm.lfts[min(sm.lfts)]
    if kind == "table":
        return sm.last_lfts.table
    if kind == "view":
        return sm.last_lfts.table[:, 1:]
    return sm.last_lfts


@pytest.mark.parametrize("kind", ["nothing", "row", "table", "view", "lfts"])
def test_tables_held_elsewhere_keep_their_entries(kind: str) -> None:
    """The lost LIDs are cleared in the last sweep's own table only when nothing but the
    SM holds it (no whole-table copy); a row, the table, a view of it or the Lfts kept
    by someone else (a simulator's data plane, ``ibviz sm``) keep the old entries."""
    fabric = fat_tree(4, 3)
    sm = SubnetManager(fabric)
    sm.sweep()
    ca = min(n.guid for n in fabric.cas())
    lid = fabric.port(PortRef(ca, 1)).lid
    table_id = id(sm.last_lfts.table.base)
    held = None if kind == "nothing" else _held_by(sm, kind)
    kept = None if held is None else np.array(getattr(held, "table", held))
    sm.fail_node(ca)
    sm.sweep(reason="trap")
    assert sm.last_lfts.incremental
    assert (sm.last_lfts.table[:, lid] == NO_PATH).all()
    assert (id(sm.last_lfts.table.base) == table_id) is (held is None)
    if held is not None:
        assert (np.asarray(getattr(held, "table", held)) == kept).all()
        assert (kept != NO_PATH).any()
