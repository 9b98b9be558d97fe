"""What the operator panels show, without Qt: node details (GUIDs as unsigned hex text,
ports with peers, groups joined), the route to a node on the LFTs, one MLID's tree with
the members reached, and which node and group a problem is about."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import corpus_file
from ibviz.app.mlid_tree import mlid_tree
from ibviz.app.node_details import node_details, route
from ibviz.app.opening import open_any
from ibviz.app.problems import check_shown, problem_target
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.naming import node_name
from ibviz.core.resolve import NodeNotFound, resolve_node


@pytest.fixture
def fig8():
    """FIG. 8: two switches, group 0xc001 (first-node receives, senders on both switches)."""
    return open_any("fig8").session


def group_of(session, mlid: int):
    return next(g for g in session.sm.sa.groups.values() if g.mlid == mlid)


def test_node_details_name_ports_peers_and_groups(fig8):
    f, sm = fig8.fabric, fig8.sm
    guid = resolve_node(f, "first-node")
    d = node_details(f, sm, guid)
    assert d.guid == f"{guid:#018x}" and d.name == "first-node" and d.kind == "ca"
    port = f.nodes[guid].ports[1]
    row = next(p for p in d.ports if p.num == 1)
    peer = f.peer(PortRef(guid, 1))
    assert row.guid == f"{port.guid:#018x}" and row.lid == str(port.lid)
    assert row.peer == f"{node_name(f.nodes[peer.node])} port {peer.port}"
    group = group_of(fig8, 0xC001)
    assert [(g.mlid, g.port) for g in d.groups] == [("0xc001", 1)]
    assert d.groups[0].join_state == group.members[PortRef(guid, 1)].join_state


def test_guids_above_2_63_are_hex_text():
    session = open_any(str(corpus_file("hyungkwang-dgxa100-superpod-hdr-bom-crlf.txt"))).session
    f = session.fabric
    big = max(f.nodes)
    assert big >= 1 << 63
    d = node_details(f, session.sm, big)
    assert d.guid == f"{big:#018x}" and int(d.guid, 16) == big
    assert all(p.guid == "-" or int(p.guid, 16) < 1 << 64 for p in d.ports)
    cabled = [p for p in d.ports if p.peer]
    assert cabled and all(p.width and p.speed for p in cabled)


def walk_hops(fabric, hops, src_guid: int, dest: int) -> None:
    """Each hop's egress port is cabled to the next hop's switch and in-port; the first
    hop is the source's switch, the last egress reaches the destination."""
    names = {node_name(n): n.guid for n in fabric.nodes.values()}
    first = fabric.peer(PortRef(src_guid, 1))
    assert names[hops[0].switch] == first.node and hops[0].in_port == first.port
    for a, b in zip(hops, hops[1:], strict=False):
        peer = fabric.peer(PortRef(names[a.switch], a.out_port))
        assert peer == PortRef(names[b.switch], b.in_port)
    last = fabric.peer(PortRef(names[hops[-1].switch], hops[-1].out_port))
    assert last.node == dest


def test_route_follows_the_lfts_and_reports_a_dead_end(fig8):
    f, sm = fig8.fabric, fig8.sm
    dest, src = resolve_node(f, "first-node"), resolve_node(f, "sender-2")
    r = route(f, sm, "sender-2", dest)
    assert r.error == "" and r.dest == "first-node" and len(r.hops) >= 2
    walk_hops(f, r.hops, src, dest)
    # the source's switch loses its entry for the destination's LID: a dead end there
    sw = f.peer(PortRef(src, 1)).node
    sm.lfts[sw] = np.array(sm.lfts[sw])
    sm.lfts[sw][r.dlid] = 255
    broken = route(f, sm, "sender-2", dest)
    assert "dead end" in broken.error and node_name(f.nodes[sw]) in broken.error
    with pytest.raises(NodeNotFound):
        route(f, sm, "no-such-node", dest)


def test_mlid_tree_rows_are_the_mfts_and_a_cut_branch_is_unreached(fig8):
    f, sm = fig8.fabric, fig8.sm
    group = group_of(fig8, 0xC001)
    tree = mlid_tree(f, sm, group.mgid)
    want = {(sw, p) for sw, t in sm.mfts.items() for p in t.get(0xC001, ())}
    assert {(b.switch, p) for b in tree.branches for p in b.ports} == want
    for b in tree.branches:
        for port, lead in zip(b.ports, b.leads_to, strict=True):
            peer = f.peer(PortRef(b.switch, port))
            assert lead == f"{node_name(f.nodes[peer.node])} port {peer.port}"
    assert [r[0] for r in tree.reached] == list(group.receivers) and tree.unreached == []
    # the receiver's own switch stops forwarding to it
    receiver = group.receivers[0]
    leaf = f.peer(receiver).node
    sm.mfts[leaf] = dict(sm.mfts[leaf])
    sm.mfts[leaf][0xC001] = sm.mfts[leaf][0xC001] - {f.peer(receiver).port}
    cut = mlid_tree(f, sm, group.mgid)
    others = len(group.member_ports) - 1
    assert [(r[0], r[2]) for r in cut.unreached] == \
        [(receiver, f"missed by {others} of {others} others")]
    # the check names the same member, and its target is that node in that group
    report = check_shown(f, sm)
    unreached = [p for p in report.problems if p.kind == "member-unreached"]
    assert len(unreached) == 1
    target = problem_target(unreached[0], sm.sa.groups)
    assert target.node == receiver.node and target.mgid == group.mgid
    assert f.nodes[target.node].kind is NodeKind.CA
