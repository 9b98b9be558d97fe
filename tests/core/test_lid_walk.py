"""The vectorised unicast walk (``ibviz check``, ``ibviz whatif``) ends every (switch, LID)
pair where a hop-by-hop walk of the LFTs ends, on fabrics broken in the ways it reports:
wrong or missing entries, a port down, a duplicate LID, a switch without its LFT."""

from __future__ import annotations

import random

import numpy as np
import pytest

from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef, PortState
from ibviz.core.problems.unicast import (
    DEAD_PORT,
    DELIVERED,
    FORWARD,
    NO_PATH,
    NO_ROUTE,
    WRONG_NODE,
    lid_walk,
)
from ibviz.core.sm.manager import SmConfig, SubnetManager
from ibviz.topology.generators import fat_tree, leaf_spine


def walk_one(fabric: Fabric, lfts: dict[int, np.ndarray], sw: int, lid: int,
             owners: dict[int, list[PortRef]]) -> tuple[int, int]:
    """(end code, end switch) of one LID from one switch, hop by hop."""
    seen = set()
    while sw not in seen:
        seen.add(sw)
        table = lfts[sw]
        port = int(table[lid]) if lid < len(table) else NO_PATH
        if port == NO_PATH:
            return NO_ROUTE, sw
        if port == 0:
            return (DELIVERED if PortRef(sw, 0) in owners.get(lid, ()) else WRONG_NODE), sw
        ref = PortRef(sw, port)
        peer = fabric.peer(ref) if port in fabric.nodes[sw].ports else None
        if peer is None or PortState.DOWN in (fabric.port(ref).state,
                                              fabric.port(peer).state):
            return DEAD_PORT, sw
        if fabric.nodes[peer.node].kind is NodeKind.SWITCH:
            if peer.node not in lfts:
                return DEAD_PORT, sw
            sw = peer.node
            continue
        return (DELIVERED if peer in owners.get(lid, ()) else WRONG_NODE), sw
    return FORWARD, sw  # a loop


@pytest.mark.parametrize("seed", range(8))
def test_ends_where_a_hop_by_hop_walk_ends(seed: int):
    rnd = random.Random(seed)
    fabric = fat_tree(4, 3) if seed % 2 else leaf_spine(24, hcas_per_leaf=4, spines=2,
                                                          switch_ports=8)
    sm = SubnetManager(fabric, SmConfig(sm_port=PortRef(min(
        n.guid for n in fabric.switches()), 0)))
    sm.sweep()
    lfts = {g: t.copy() for g, t in sm.lfts.items()}
    switches = sorted(lfts)
    for _ in range(20):
        table = lfts[rnd.choice(switches)]
        table[rnd.randrange(1, len(table))] = rnd.choice([0, 255, 1, 2, 3, rnd.randrange(40)])
    link = rnd.choice(list(fabric.links.values()))
    fabric.port(link.a).state = PortState.DOWN
    a, b = rnd.sample(list(fabric.cas()), 2)
    b.ports[1].lid = a.ports[1].lid
    if seed % 3 == 0:
        del lfts[rnd.choice(switches)]
    lids = sorted(set(fabric.lid_owners()) | {rnd.randrange(1, 300) for _ in range(4)})
    got_switches, got_lids, code, end = lid_walk(fabric, lfts, lids)
    owners = fabric.lid_owners()
    assert got_switches == sorted(lfts) and got_lids.tolist() == lids
    for row, sw in enumerate(got_switches):
        for col, lid in enumerate(lids):
            want_code, want_end = walk_one(fabric, lfts, sw, lid, owners)
            assert int(code[row, col]) == want_code, (sw, lid)
            if want_code != FORWARD:  # in a loop, any switch of it may be named
                assert got_switches[end[row, col]] == want_end, (sw, lid)
