"""Invariants of the subnet manager under any sequence of user actions (hypothesis).

After every join, leave, node failure, failback or link change on a random fabric:
- every group's MFT entries form a loop-free tree;
- a packet sent by any live member port reaches every live receiving member port
  exactly once (and no other CA), provided the group has two or more member ports;
- unicast LIDs stay unique.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ibviz.core import checks
from ibviz.core.addressing import link_local_gid, make_mgid
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.multicast import multicast_out_ports
from ibviz.core.sm.records import REQUIRED_FOR_CREATE, JoinState, McMemberRecord, SaMethod
from ibviz.topology.generators import fat_tree, leaf_spine, torus

STATES = [JoinState.FULL, JoinState.NON_MEMBER, JoinState.SEND_ONLY_NON_MEMBER,
          JoinState.SEND_ONLY_FULL, JoinState.FULL | JoinState.NON_MEMBER]


def flood(sm: SubnetManager, mlid: int, src: PortRef) -> tuple[Counter, int]:
    """Deliveries per CA port of one packet from ``src``, and switch re-visits (loops)."""
    f = sm.fabric
    got: Counter = Counter()
    revisits = 0
    seen: set[PortRef] = set()
    todo = [f.peer(src)] if f.link_at(src) and sm.usable(f.link_at(src)) else []
    while todo:
        at = todo.pop()
        if f.nodes[at.node].kind is not NodeKind.SWITCH:
            got[at] += 1
            continue
        if at in seen:
            revisits += 1
            continue
        seen.add(at)
        if any(s.node == at.node and s != at for s in seen):
            revisits += 1
        for p in multicast_out_ports(sm.switch_info[at.node],
                                     sm.mfts.get(at.node, {}).get(mlid), at.port):
            link = f.link_at(PortRef(at.node, p))
            if link is not None and sm.usable(link):
                todo.append(link.other(PortRef(at.node, p)))
    return got, revisits


def component(sm: SubnetManager, start: int) -> set[int]:
    """Nodes reachable from ``start`` over live cables (a cut fabric has several parts)."""
    seen, todo = {start}, [start]
    while todo:
        guid = todo.pop()
        for link in sm.fabric.node_links(guid):
            if sm.usable(link):
                for end in (link.a.node, link.b.node):
                    if end not in seen:
                        seen.add(end)
                        todo.append(end)
    return seen


def check_invariants(sm: SubnetManager) -> None:
    live_lids = {lid: refs for lid, refs in checks.duplicate_lids(sm.fabric).items()}
    assert not live_lids, f"duplicate LIDs {live_lids}"
    for group in sm.sa.groups.values():
        live = [p for p in group.member_ports if sm.port_in_subnet(p)]
        assert live == group.member_ports, "members outside the subnet must be dropped"
        receivers = set(group.receivers)
        if len(group.member_ports) < 2:
            continue
        for src in live:
            got, revisits = flood(sm, group.mlid, src)
            assert revisits == 0, f"MLID {group.mlid:#x}: loop from {src}"
            reach = component(sm, src.node)
            expected = {r for r in receivers if r.node in reach} - {src}
            assert set(got) == expected, (group.mlid, src, got, expected)
            assert all(n == 1 for n in got.values()), f"duplicates {got}"


fabrics = st.sampled_from([
    lambda: leaf_spine(12, hcas_per_leaf=4, spines=2),
    lambda: leaf_spine(10, hcas_per_leaf=4, oversubscription=2, dual_port=True),
    lambda: fat_tree(2, 3),
    lambda: torus((3, 3), hcas_per_switch=1),
    lambda: torus((4,), hcas_per_switch=2),
])
actions = st.lists(st.tuples(st.sampled_from(["join", "leave", "fail", "recover", "link"]),
                             st.integers(0, 10_000), st.integers(0, 2), st.integers(0, 4)),
                   min_size=1, max_size=14)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fabrics, actions)
def test_mfts_stay_loop_free_and_reach_exactly_the_live_members(make, steps):
    fabric = make()
    sm = SubnetManager(fabric)
    sm.sweep()
    cas = sorted(n.guid for n in fabric.cas())
    mgids = [make_mgid(group_id=i + 1) for i in range(3)]
    for action, pick, g, s in steps:
        guid = cas[pick % len(cas)]
        node = fabric.nodes[guid]
        port = PortRef(guid, 1 + pick % node.num_ports)
        if action in ("join", "leave") and guid not in sm.failed:
            rec = McMemberRecord(mgid=mgids[g], port_gid=link_local_gid(node.ports[port.port].guid),
                                 qkey=1, pkey=0xFFFF, join_state=int(STATES[s]))
            method = SaMethod.SET if action == "join" else SaMethod.DELETE
            sm.sa_request(method, port, rec, int(REQUIRED_FOR_CREATE))
        elif action == "fail":
            sm.fail_node(guid)
            sm.sweep()
        elif action == "recover" and sm.failed:
            sm.recover_node(sorted(sm.failed)[pick % len(sm.failed)])
            sm.sweep()
        elif action == "link":
            links = sorted(fabric.links)
            key = links[pick % len(links)]
            sm.set_link(key[0], up=key in sm.down_links)
            sm.sweep()
        check_invariants(sm)
