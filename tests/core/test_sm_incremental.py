"""Incremental re-routing as OpenSM does it (``ignore_existing_lfts`` FALSE): after losses the
still-valid existing LFT entries stay and only the rest is re-balanced; after a port comes
back the tables are computed afresh. Checked against the real OpenSM on ibsim."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ibviz.backends.sm_compare import agreement, ibviz_stages, opensm_stages
from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.sm.lids import LidManager
from ibviz.core.sm.manager import SmConfig, SubnetManager
from ibviz.core.sm.routing import compute_lfts, hop_counts, route
from ibviz.topology.generators import fat_tree, leaf_spine, torus

NO_PATH = 255


def hcas(fabric: Fabric) -> list[int]:
    return sorted(n.guid for n in fabric.cas())


def spines(fabric: Fabric) -> list[int]:
    return sorted(n.guid for n in fabric.switches() if n.name.startswith("spine"))


def isls(fabric: Fabric) -> list[PortRef]:
    return sorted(lk.a if lk.a.node < lk.b.node else lk.b for lk in fabric.links.values()
                  if fabric.nodes[lk.a.node].kind is NodeKind.SWITCH
                  and fabric.nodes[lk.b.node].kind is NodeKind.SWITCH)


def isl(fabric: Fabric, i: int) -> PortRef:
    return isls(fabric)[i]


def manager(fabric: Fabric, **kw) -> SubnetManager:
    sm = SubnetManager(fabric, SmConfig(sm_port=PortRef(hcas(fabric)[0], 1),
                                        broadcast_group=False, **kw))
    sm.sweep()
    return sm


def ca_lids(fabric: Fabric, sm: SubnetManager) -> list[int]:
    return [lid for g in hcas(fabric) if g in (sm.reachable or ())
            for p in fabric.nodes[g].lid_ports() for lid in p.lids()]


# ------------------------------------------------------------------ without the real SM
def test_a_ca_loss_keeps_every_other_entry():
    fabric = leaf_spine(40, hcas_per_leaf=5, spines=3, switch_ports=12)
    sm = manager(fabric)
    before = {sw: t.copy() for sw, t in sm.lfts.items()}
    gone = hcas(fabric)[3]
    gone_lid = fabric.nodes[gone].ports[1].lid
    sm.fail_node(gone)
    sm.sweep()
    assert sm.last_lfts.incremental
    for sw, table in sm.lfts.items():
        assert table[gone_lid] == NO_PATH
        keep = np.ones(len(table), bool)
        keep[gone_lid] = False
        assert (table[keep] == before[sw][: len(table)][keep]).all(), hex(sw)
    afresh = compute_lfts(sm.live_fabric())
    assert any((afresh[sw] != sm.lfts[sw]).any() for sw in afresh)  # balance differs


def test_after_losses_routes_stay_minimal_and_loop_free():
    fabric = fat_tree(3, 3)
    sm = manager(fabric)
    sm.fail_node(hcas(fabric)[4])
    sm.set_link(isl(fabric, 2), False)
    sm.sweep()
    assert sm.last_lfts.incremental
    view = sm.live_fabric()
    hops = hop_counts(view)
    lfts = sm.last_lfts
    ports = [PortRef(g, 1) for g in hcas(fabric) if g in view.nodes]
    for src in ports[::3]:
        for dst in ports:
            path = route(lfts, src, view.port(dst).lid)
            assert path[-1] == dst
            crossed = sum(a.node != b.node for a, b in zip(path, path[1:], strict=False))
            if src != dst:
                assert crossed == 1 + hops[view.peer(src).node, view.port(dst).lid]


def test_a_port_coming_back_routes_afresh_and_a_quiet_sweep_changes_nothing():
    fabric = leaf_spine(40, hcas_per_leaf=5, spines=3, switch_ports=12)
    sm = manager(fabric)
    fresh = {sw: t.copy() for sw, t in sm.lfts.items()}
    sm.sweep()
    assert sm.last_lfts.incremental
    assert all((sm.lfts[sw] == fresh[sw]).all() for sw in fresh)
    guid = hcas(fabric)[3]
    sm.fail_node(guid)
    sm.sweep()
    sm.recover_node(guid)
    sm.sweep()
    assert not sm.last_lfts.incremental
    assert all((sm.lfts[sw] == fresh[sw]).all() for sw in fresh)


def test_lmc_and_switch_lids_keep_their_entries():
    fabric = leaf_spine(40, hcas_per_leaf=5, spines=3, switch_ports=12)
    sm = manager(fabric, lmc=2)
    before = {sw: t.copy() for sw, t in sm.lfts.items()}
    sm.set_link(isl(fabric, 0), False)
    sm.sweep()
    lost = isl(fabric, 0)
    for sw, table in sm.lfts.items():
        changed = np.flatnonzero(table != before[sw][: len(table)])
        if sw != lost.node and sw != fabric.peer(lost).node:
            assert len(changed) == 0, hex(sw)  # spines and other leaves: nothing to redo
        else:
            assert set(before[sw][changed].tolist()) == {fabric.peer(lost).port
                                                         if sw != lost.node else lost.port}


def test_existing_tables_of_another_shape_are_accepted():
    fabric = leaf_spine(8, hcas_per_leaf=4, spines=1, switch_ports=8)
    LidManager().assign(fabric)
    fresh = compute_lfts(fabric)
    short = {sw: t[:3] for sw, t in fresh.items()}
    again = compute_lfts(fabric, existing=short)
    assert again.incremental
    assert all((again[sw] == fresh[sw]).all() for sw in fresh)
    longer = {sw: np.concatenate([t, np.full(70, 7, np.uint8)]) for sw, t in fresh.items()}
    assert all((compute_lfts(fabric, existing=longer)[sw] == fresh[sw]).all() for sw in fresh)


# ------------------------------------------------------------ the real OpenSM (realtools)
def _need_tools() -> None:
    from ibviz.backends._proc import MissingToolsError, check_tools

    try:
        check_tools(need_opensm=True)
    except MissingToolsError as exc:
        pytest.skip(f"real InfiniBand tools not installed: {exc}")


def _events(fabric: Fabric, spine: bool) -> list:
    a, b = hcas(fabric)[3], hcas(fabric)[7]
    out: list = [("fail", a), ("fail", b)]
    if spine:
        out.append(("fail", spines(fabric)[0]))
    gone = spines(fabric)[0] if spine else None
    link = next(e for e in isls(fabric)[1:] if gone not in (e.node, fabric.peer(e).node))
    return out + [("recover", a), ("unlink", link), ("relink", link)] + \
        ([("recover", spines(fabric)[0])] if spine else [])


@pytest.mark.realtools
@pytest.mark.slow
@pytest.mark.parametrize("build, routing, lmc, spine", [
    (lambda: leaf_spine(8, hcas_per_leaf=4, spines=1, switch_ports=8), "minhop", 0, False),
    (lambda: leaf_spine(40, hcas_per_leaf=5, spines=3, switch_ports=12), "minhop", 1, True),
    (lambda: leaf_spine(30, hcas_per_leaf=6, dual_port=True, oversubscription=2),
     "minhop", 0, True),
    (lambda: leaf_spine(40, hcas_per_leaf=5, spines=3, switch_ports=12), "updn", 2, True),
    (lambda: fat_tree(3, 3), "updn", 0, False),
    (lambda: torus((3, 3), hcas_per_switch=2), "minhop", 0, False),
    (lambda: torus((3, 3), hcas_per_switch=2), "updn", 0, False),  # no root: minhop
])
def test_same_lfts_as_opensm_after_unlink_and_relink(build, routing, lmc, spine, tmp_path):
    _need_tools()
    fabric = build()
    sm = PortRef(hcas(fabric)[0], 1)
    events = _events(fabric, spine)
    theirs = opensm_stages(fabric.copy(), tmp_path, sm, events,
                           ("-R", routing, "-l", str(lmc)))
    ours = ibviz_stages(fabric, sm, events, routing=routing, lmc=lmc).stages
    for stage, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        equal, total = agreement(a, b)
        assert equal == total > 0, f"stage {stage} ({(['fresh'] + events)[stage]})"


@pytest.mark.realtools
@pytest.mark.slow
def test_updn_with_two_given_roots_leaves_the_same_lids_unrouted(tmp_path: Path):
    _need_tools()
    fabric = torus((5, 5))
    corners = sorted(n.guid for n in fabric.switches())
    roots = {corners[0], corners[12]}
    root_file = tmp_path / "roots"
    root_file.write_text("".join(f"0x{g:016x}\n" for g in sorted(roots)))
    sm = PortRef(hcas(fabric)[0], 1)
    theirs = opensm_stages(fabric.copy(), tmp_path / "osm", sm, [],
                           ("-R", "updn", "-a", str(root_file)))[0]
    LidManager().assign(fabric, sm_port=sm)
    lfts = compute_lfts(fabric, algorithm="updn", roots=roots)
    ours = {sw: {lid: int(p) for lid, p in enumerate(lfts[sw]) if p != NO_PATH}
            for sw in lfts}
    assert {sw: set(t) for sw, t in ours.items()} == {sw: set(t) for sw, t in theirs.items()}
    assert sum(map(len, theirs.values())) < len(theirs) * (len(fabric.nodes))  # holes
    # Known gap (not routing holes): 19 of 1,106 entries take another of the equal ports
    # than OpenSM on this two-root torus; fat trees agree entry for entry.
    equal, total = agreement(ours, theirs)
    assert equal >= 0.98 * total


def test_a_new_sm_or_engine_routes_afresh():
    fabric = leaf_spine(40, hcas_per_leaf=5, spines=3, switch_ports=12)
    sm = SubnetManager(fabric, SmConfig(broadcast_group=False))  # SM on the lowest switch
    sm.sweep()
    sm.fail_node(hcas(fabric)[3])
    sm.sweep()
    assert sm.last_lfts.incremental
    sm.fail_node(sm.sm_port.node)  # the SM's switch dies: another switch takes over
    sm.sweep()
    assert not sm.last_lfts.incremental
    sm.config.routing = "updn"
    sm.sweep()
    assert not sm.last_lfts.incremental
