"""apply_state fills a mirror SubnetManager: LIDs, LFTs, MFTs and groups with events, and
the packet simulator forwards through the mirrored tables; sync_fabric and ChangeLog."""

from __future__ import annotations

from test_state_readers import IBROUTE, LFTS_DUMP, MCFDBS, MGID, SA_DUMP, SW1, SW2, A, B, D

from ibviz.core import events as ev
from ibviz.core.model import PortRef
from ibviz.core.sim.engine import Engine
from ibviz.core.sim.network import NetworkSim
from ibviz.core.sim.packet import DataPacket
from ibviz.core.sim.receive import GROUP_QP
from ibviz.core.sm.manager import SubnetManager
from ibviz.topology import open_fabric
from ibviz.topology.state import FabricState, apply_state, parse_state
from ibviz.topology.state.apply import port_index
from ibviz.topology.state.sync import ChangeLog, sync_fabric

CA_NODE = {A: 0x0002_C903_0000_0000, B: 0x0002_C903_0000_0010, D: 0x0002_C903_0000_0030}
SENDER = PortRef(0x0002_C903_0000_0020, 1)


def captured_state() -> FabricState:
    state = FabricState()
    for text, fmt in ((IBROUTE, "ibroute"), (LFTS_DUMP, "opensm-lfts"), (MCFDBS, "opensm-mcfdbs"),
                      (SA_DUMP, "opensm-sa-dump")):
        state.merge(parse_state(text.splitlines(), fmt, fmt))
    return state


def mirror():
    fabric = open_fabric("fig8")
    for node in fabric.nodes.values():  # a mirror starts from a topology without LIDs
        for port in node.lid_ports():
            port.lid = 0
    sm = SubnetManager(fabric)
    seen: list[ev.Event] = []
    fabric.events.subscribe(ev.Event, seen.append)
    return fabric, sm, seen


def test_apply_fills_the_mirror_and_reports_every_change():
    fabric, sm, seen = mirror()
    assert apply_state(captured_state(), fabric, sm) == []
    assert fabric.port(PortRef(CA_NODE[D], 1)).lid == 6
    assert sm.lfts[SW1].tolist()[1:] == [0, 4, 1, 2, 3, 4]
    assert sm.mfts == {SW1: {0xC001: frozenset({1, 2, 4})}, SW2: {0xC001: frozenset({1, 4})}}
    group = sm.sa.groups[MGID]
    assert group.mlid == 0xC001 and group.qkey == 0x12345
    assert group.receivers == sorted(PortRef(CA_NODE[g], 1) for g in (A, B, D))
    kinds = [type(e).__name__ for e in seen]
    assert kinds.count("LidAssigned") == 6 and kinds.count("MftChanged") == 2
    assert kinds.count("GroupCreated") == 2 and kinds.count("MemberJoined") == 3
    seen.clear()
    assert apply_state(captured_state(), fabric, sm) == [] and seen == []  # nothing new


def test_a_smaller_tree_and_a_member_leaving_are_events():
    fabric, sm, seen = mirror()
    apply_state(captured_state(), fabric, sm)
    seen.clear()
    later = captured_state()
    later.merge(parse_state(MCFDBS.replace("0x001  0x002  0x004", "0x001  0x002")
                            .replace("0xC001 : 0x001  0x004", "").splitlines(),
                            "opensm-mcfdbs", "later"))
    later.groups[MGID].members.pop((0xFE80_0000_0000_0000 << 64) | D)
    apply_state(later, fabric, sm)
    assert ev.MftChanged(SW1, 0xC001, frozenset({1, 2, 4}), frozenset({1, 2})) in seen
    assert ev.MftChanged(SW2, 0xC001, frozenset({1, 4}), frozenset()) in seen
    assert ev.MemberLeft(MGID, PortRef(CA_NODE[D], 1), 0) in seen
    assert sm.mfts[SW2] == {}


def test_packet_simulator_forwards_through_the_mirrored_tables():
    fabric, sm, _ = mirror()
    apply_state(captured_state(), fabric, sm)
    engine = Engine()
    net = NetworkSim(sm, engine)
    net.attach_group_receivers()
    net.send(SENDER, DataPacket("mc", dlid=0xC001, slid=5, dest_qp=GROUP_QP))
    net.send(SENDER, DataPacket("uc", dlid=6, slid=5, dest_qp=GROUP_QP))
    engine.run()
    got = {(d.flow, d.port) for d in net.deliveries}
    assert got == {("mc", PortRef(CA_NODE[g], 1)) for g in (A, B, D)} | \
        {("uc", PortRef(CA_NODE[D], 1))}


def test_members_inferred_from_the_mft_when_the_sa_hides_them():
    fabric, sm, _ = mirror()
    state = captured_state()
    state.groups[MGID].members.clear()
    state.groups[MGID].members_known = False
    notes = apply_state(state, fabric, sm)
    assert sm.sa.groups[MGID].receivers == sorted(PortRef(CA_NODE[g], 1) for g in (A, B, D))
    assert any("taken from its MFT" in n for n in notes)


def test_sync_fabric_and_change_log_name_gone_nodes():
    fabric, new = open_fabric("fig8"), open_fabric("fig8")
    log = ChangeLog(fabric)
    new.remove_node(CA_NODE[D])
    diff = sync_fabric(fabric, new)
    assert diff.nodes_removed == [CA_NODE[D]] and len(diff.links_removed) == 1
    texts = [c.text for c in log.entries]
    assert texts[0].startswith("link down: ") and "sender-2" in texts[0]
    assert texts[1] == f"node gone: sender-2 (remote peer) ({CA_NODE[D]:#018x})"
    sync_fabric(fabric, open_fabric("fig8"))
    assert fabric == open_fabric("fig8")
    assert [c.text.split(":")[0] for c in log.entries[2:]] == ["node appeared", "link up"]
    assert port_index(fabric)[D] == PortRef(CA_NODE[D], 1)
