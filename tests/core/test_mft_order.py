"""Make-before-break MFT programming: every intermediate table state is loop-free.

The SM writes one MFT block at a time. After *each* write (observed through the
``MftChanged`` event, emitted once the switch's table holds the new entry) a multicast
packet injected anywhere is walked through the switches by the real forwarding rule
(:func:`multicast_out_ports`, over live cables only, as the packet simulator forwards):
it must reach no switch twice (a loop) and no CA port twice (a duplicate delivery).
Random join/leave/fail/recover/link sequences run on rings, tori, meshes and fat trees.

CI runs a small fixed number (the ci profile); by hand, for thousands of sequences:
``IBVIZ_MFT_EXAMPLES=2000 python3 -m pytest tests/core/test_mft_order.py -q -s``
(prints the number of sequences, intermediate states and loops seen).
"""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ibviz.core import events as ev
from ibviz.core.addressing import link_local_gid, make_mgid
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.sm import manager as manager_mod
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.mft_order import is_forest, mft_writes
from ibviz.core.sm.multicast import multicast_out_ports
from ibviz.core.sm.records import REQUIRED_FOR_CREATE, JoinState, McMemberRecord, SaMethod
from ibviz.topology.generators import fat_tree, mesh, ring, torus

EXAMPLES = int(os.environ.get("IBVIZ_MFT_EXAMPLES", "40"))
TOTALS: Counter = Counter()


def walk(sm: SubnetManager, mlid: int, switch: int, in_port: int) -> tuple[int, int]:
    """(switch re-visits, CA duplicate deliveries) of one packet arriving at ``switch``
    on ``in_port``, forwarded by the tables as they are now."""
    f = sm.fabric
    seen: set[int] = set()
    got: Counter = Counter()
    loops = 0
    todo = [PortRef(switch, in_port)]
    while todo:
        at = todo.pop()
        if f.nodes[at.node].kind is not NodeKind.SWITCH:
            got[at] += 1
            continue
        if at.node in seen:
            loops += 1
            continue
        seen.add(at.node)
        for p in multicast_out_ports(sm.switch_info[at.node],
                                     sm.mfts.get(at.node, {}).get(mlid), at.port):
            link = f.link_at(PortRef(at.node, p))
            if link is not None and sm.usable(link):
                todo.append(link.other(PortRef(at.node, p)))
    return loops, sum(n - 1 for n in got.values())


def state_problems(sm: SubnetManager, mlid: int) -> list[str]:
    """Loops or duplicates of a packet injected at any switch holding an entry, from
    the switch itself (port 0) or from any port of its entry."""
    problems = []
    for sw, table in sm.mfts.items():
        entry = table.get(mlid)
        if entry is None or not sm.in_subnet(sw):
            continue
        for port in {0} | set(entry):
            loops, dups = walk(sm, mlid, sw, port)
            if loops or dups:
                problems.append(f"MLID {mlid:#x} injected at {sw:#x} port {port}: "
                                f"{loops} loop(s), {dups} duplicate(s)")
    return problems


class Watcher:
    """Checks the tables after every single MFT write."""

    def __init__(self, sm: SubnetManager) -> None:
        self.sm = sm
        self.states = 0
        self.problems: list[str] = []
        sm.events.subscribe(ev.MftChanged, self.changed)

    def changed(self, e: ev.MftChanged) -> None:
        self.states += 1
        self.problems += state_problems(self.sm, e.mlid)
        # a copy in flight across this write may be forwarded by both states: their
        # union must be loop-free too
        entries = {sw: t[e.mlid] for sw, t in self.sm.mfts.items() if e.mlid in t}
        entries[e.switch] = e.old | e.new
        if not is_forest(entries, self.sm._mft_peer):
            self.problems.append(f"MLID {e.mlid:#x}: the states before and after the write "
                                 f"to {e.switch:#x} together close a loop")


FABRICS = [lambda: ring(6), lambda: ring(8, hcas_per_switch=2), lambda: torus((3, 3)),
           lambda: torus((4, 3)), lambda: mesh((3, 3)), lambda: mesh((2, 2, 2)),
           lambda: fat_tree(2, 3), lambda: fat_tree(4, 2)]
STATES = [JoinState.FULL, JoinState.NON_MEMBER, JoinState.SEND_ONLY_FULL]
steps_strategy = st.lists(
    st.tuples(st.sampled_from(["join", "join", "join", "leave", "fail", "recover", "link"]),
              st.integers(0, 10_000), st.integers(0, 1), st.integers(0, 2)),
    min_size=2, max_size=16)
members_strategy = st.lists(st.integers(0, 10_000), min_size=2, max_size=6)


def run_sequence(make, steps, members=()) -> Watcher:
    fabric = make()
    sm = SubnetManager(fabric)
    sm.sweep()
    watch = Watcher(sm)
    cas = sorted(n.guid for n in fabric.cas())
    nodes = sorted(fabric.nodes)
    mgids = [make_mgid(group_id=i + 1) for i in range(2)]
    for action, pick, g, s in [("join", m, i % 2, 0) for i, m in enumerate(members)] + steps:
        guid = cas[pick % len(cas)]
        node = fabric.nodes[guid]
        port = PortRef(guid, 1)
        if action in ("join", "leave") and guid not in sm.failed:
            rec = McMemberRecord(mgid=mgids[g], port_gid=link_local_gid(node.ports[1].guid),
                                 qkey=1, pkey=0xFFFF, join_state=int(STATES[s]))
            sm.sa_request(SaMethod.SET if action == "join" else SaMethod.DELETE, port, rec,
                          int(REQUIRED_FOR_CREATE))
        elif action == "fail":
            victim = nodes[pick % len(nodes)]  # switches too: trees re-root around them
            if victim != sm.sm_port.node:
                sm.fail_node(victim)
                sm.sweep()
        elif action == "recover" and sm.failed:
            sm.recover_node(sorted(sm.failed)[pick % len(sm.failed)])
            sm.sweep()
        elif action == "link":
            links = sorted(k for k, lk in fabric.links.items()
                           if all(fabric.nodes[e.node].kind is NodeKind.SWITCH
                                  for e in (lk.a, lk.b)))
            if links:
                key = links[pick % len(links)]
                sm.set_link(key[0], up=key in sm.down_links)
                sm.sweep()
    return watch


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FABRICS), members_strategy, steps_strategy)
def test_every_intermediate_mft_state_is_loop_free(make, members, steps):
    watch = run_sequence(make, steps, members)
    TOTALS["sequences"] += 1
    TOTALS["states"] += watch.states
    TOTALS["loops"] += len(watch.problems)
    assert not watch.problems, watch.problems[:3]


def test_report_totals():
    """Prints what the property test saw (run it with ``-s``)."""
    print(f"\nMFT order: {TOTALS['sequences']} sequences, {TOTALS['states']} intermediate "
          f"states checked, {TOTALS['loops']} loops or duplicates")


def test_ring_reroute_in_guid_order_would_loop_and_the_chosen_order_does_not():
    """A tree moving around a ring: written switch by switch in GUID order (the old way)
    an intermediate state closes the ring; the chosen order never does."""
    ring_peers = {(i, 1): ((i + 1) % 4, ("c", min(i, (i + 1) % 4), max(i, (i + 1) % 4)))
                  for i in range(4)}
    ring_peers.update({(i, 2): ((i - 1) % 4, ("c", min(i, (i - 1) % 4), max(i, (i - 1) % 4)))
                       for i in range(4)})
    def peer(sw, p):
        return ring_peers.get((sw, p))
    fs = frozenset
    old = {0: fs({1}), 1: fs({2, 1}), 2: fs({2, 1}), 3: fs({2})}   # path 0-1-2-3
    new = {0: fs({2, 1}), 1: fs({2}), 2: fs({1}), 3: fs({1, 2})}   # path 1-0-3-2
    assert is_forest(old, peer) and is_forest(new, peer)
    naive, cur = [], dict(old)
    for sw in sorted(old):
        cur[sw] = new[sw]
        naive.append(is_forest(cur, peer))
    assert not all(naive)
    cur = dict(old)
    for sw, entry in mft_writes(old, new, peer, new_root=0, old_root=0):
        cur[sw] = entry
        assert is_forest({k: v for k, v in cur.items() if v}, peer)
    assert cur == new


def test_the_property_check_catches_loops_when_writes_go_in_guid_order(monkeypatch):
    """The checker is not blind: with plain GUID order, some ring re-route loops."""
    def guid_order(old, new, peer, new_root=None, old_root=None):
        return [(sw, new.get(sw, frozenset())) for sw in sorted(set(old) | set(new))
                if old.get(sw, frozenset()) != new.get(sw, frozenset())]
    monkeypatch.setattr(manager_mod, "mft_writes", guid_order)
    found = 0
    for make in (lambda: ring(6), lambda: ring(8, hcas_per_switch=2), lambda: torus((3, 3))):
        for pick in range(0, 60, 3):
            steps = [("join", pick, 0, 0), ("join", pick * 7 + 5, 0, 0),
                     ("join", pick * 3 + 2, 0, 0), ("fail", pick * 5 + 1, 0, 0),
                     ("recover", 0, 0, 0), ("link", pick, 0, 0), ("link", pick, 0, 0)]
            found += len(run_sequence(make, steps).problems)
    assert found > 0
