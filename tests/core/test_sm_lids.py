"""The SM's LID manager: OpenSM's rules, guid2lid persistence and its file format."""

from __future__ import annotations

import pytest

from ibviz.core.events import LidAssigned
from ibviz.core.fabric import Fabric
from ibviz.core.model import Node, NodeKind, PortRef, PortState
from ibviz.core.sm._guid2lid import format_guid2lid, parse_guid2lid
from ibviz.core.sm.lids import Guid2LidError, LidError, LidManager
from ibviz.topology.generators import fat_tree, leaf_spine, torus


def small() -> Fabric:
    """The fabric the golden OpenSM runs below were made on (8 switches, 24 HCAs)."""
    return leaf_spine(24, hcas_per_leaf=4, spines=2, switch_ports=10)


def first_hca_port(fabric: Fabric) -> PortRef:
    return PortRef(min(n.guid for n in fabric.cas()), 1)


def lid_ports(fabric: Fabric) -> dict[PortRef, tuple[int, int, NodeKind]]:
    return {PortRef(n.guid, p.num): (p.lid, p.lmc, n.kind)
            for n in fabric.nodes.values() for p in n.lid_ports()}


def loaded(tmp_path, entries: dict[int, tuple[int, int]]) -> LidManager:
    """A manager that read ``entries`` from a guid2lid file."""
    path = tmp_path / "guid2lid"
    path.write_text(format_guid2lid(entries))
    manager = LidManager()
    manager.load_guid2lid(path)
    return manager


def assert_unique_and_aligned(fabric: Fabric, lmc: int, esp0: bool = False) -> None:
    owners = fabric.lid_owners()
    assert all(len(refs) == 1 for refs in owners.values()), "duplicate LIDs"
    for (lid, port_lmc, kind) in lid_ports(fabric).values():
        assert lid, "every port of these fabrics is present and must have a LID"
        want = lmc if kind is not NodeKind.SWITCH or esp0 else 0
        assert port_lmc == want
        assert lid % (1 << want) == 0


# OpenSM 3.3.23 on ibsim, small() with the SM on node0001 (`opensm -l 0` and `-l 1`):
# $OSM_CACHE_DIR/guid2lid, sorted, the empty lines between entries left out.
OPENSM_LMC0 = """\
0x0002c90300000001 0x0001 0x0001
0x0002c90300000011 0x000b 0x000b
0x0002c90300000021 0x000d 0x000d
0x0002c90300000031 0x000f 0x000f
0x0002c90300000041 0x0011 0x0011
0x0002c90300000051 0x0013 0x0013
0x0002c90300000061 0x0015 0x0015
0x0002c90300000071 0x0017 0x0017
0x0002c90300000081 0x0019 0x0019
0x0002c90300000091 0x001a 0x001a
0x0002c903000000a1 0x001b 0x001b
0x0002c903000000b1 0x001c 0x001c
0x0002c903000000c1 0x001d 0x001d
0x0002c903000000d1 0x001e 0x001e
0x0002c903000000e1 0x001f 0x001f
0x0002c903000000f1 0x0020 0x0020
0x0002c90300000101 0x0004 0x0004
0x0002c90300000111 0x000c 0x000c
0x0002c90300000121 0x000e 0x000e
0x0002c90300000131 0x0010 0x0010
0x0002c90300000141 0x0012 0x0012
0x0002c90300000151 0x0014 0x0014
0x0002c90300000161 0x0016 0x0016
0x0002c90300000171 0x0018 0x0018
0x0002c90400000000 0x0002 0x0002
0x0002c90400000001 0x0003 0x0003
0x0002c90400000002 0x0005 0x0005
0x0002c90400000003 0x0006 0x0006
0x0002c90400000004 0x0007 0x0007
0x0002c90400000005 0x0008 0x0008
0x0002c90400000006 0x0009 0x0009
0x0002c90400000007 0x000a 0x000a
"""
OPENSM_LMC1_CA = {  # CA port GUID low 12 bits -> first LID (ranges are 2 LIDs)
    0x001: 2, 0x011: 14, 0x021: 18, 0x031: 22, 0x041: 26, 0x051: 30, 0x061: 34, 0x071: 38,
    0x081: 42, 0x091: 44, 0x0a1: 46, 0x0b1: 48, 0x0c1: 50, 0x0d1: 52, 0x0e1: 54, 0x0f1: 56,
    0x101: 6, 0x111: 16, 0x121: 20, 0x131: 24, 0x141: 28, 0x151: 32, 0x161: 36, 0x171: 40}
OPENSM_LMC1_SW = [4, 5, 8, 9, 10, 11, 12, 13]  # switch i (GUID 0x0002c904000000ii)


def test_first_sweep_matches_opensm_guid2lid():
    fabric = small()
    manager = LidManager()
    manager.assign(fabric, sm_port=first_hca_port(fabric))
    assert manager.guid2lid == parse_guid2lid(OPENSM_LMC0)[0]


def test_first_sweep_with_lmc_1_matches_opensm():
    fabric = small()
    manager = LidManager()
    manager.assign(fabric, 1, sm_port=first_hca_port(fabric))
    got = manager.guid2lid
    for low, first in OPENSM_LMC1_CA.items():
        assert got[0x0002C903_00000000 + low] == (first, first + 1)
    for i, lid in enumerate(OPENSM_LMC1_SW):
        assert got[0x0002C904_00000000 + i] == (lid, lid)


def test_order_is_sm_port_first_then_byte_reversed_port_guids():
    fabric = small()
    manager = LidManager()
    result = manager.assign(fabric, sm_port=first_hca_port(fabric))
    order = list(result)
    assert order[0] == first_hca_port(fabric)
    # leaf01 (...00) before leaf02 (...01) before node0017 (...0101): low bytes count first
    assert [result[PortRef(0x0002C904_00000000, 0)], result[PortRef(0x0002C904_00000001, 0)],
            result[PortRef(0x0002C903_00000100, 1)]] == [range(2, 3), range(3, 4), range(4, 5)]


@pytest.mark.parametrize("lmc", [0, 1, 2, 3])
@pytest.mark.parametrize("build", [lambda: leaf_spine(64, dual_port=True),
                                   lambda: fat_tree(4, 2), lambda: torus((3, 3), hcas_per_switch=2)])
def test_lids_unique_and_aligned(build, lmc):
    fabric = build()
    LidManager().assign(fabric, lmc)
    assert_unique_and_aligned(fabric, lmc)


def test_enhanced_port0_gets_an_lmc_range_only_with_lmc_esp0():
    fabric = small()
    base = next(fabric.switches())
    base.enhanced_port0 = False
    LidManager().assign(fabric, 2, lmc_esp0=True)
    for node in fabric.switches():
        port0 = node.ports[0]
        assert port0.lmc == (0 if node is base else 2)
        assert len(port0.lids()) == (1 if node is base else 4)
        assert port0.lid % len(port0.lids()) == 0
    assert all(len(refs) == 1 for refs in fabric.lid_owners().values())


def test_stable_across_sweeps_and_quiet_when_nothing_changes():
    fabric = small()
    manager = LidManager()
    first = manager.assign(fabric, 1)
    seen: list[LidAssigned] = []
    fabric.events.subscribe(LidAssigned, seen.append)
    assert manager.assign(fabric, 1) == first
    assert seen == []


def test_events_name_every_port_that_gets_a_lid():
    fabric = small()
    seen: list[LidAssigned] = []
    fabric.events.subscribe(LidAssigned, seen.append)
    result = LidManager().assign(fabric, 2)
    assert {e.port for e in seen} == set(result)
    assert all(e.old_lid == 0 and e.lid == result[e.port].start for e in seen)
    assert all(e.lmc == (0 if fabric.nodes[e.port.node].is_switch else 2) for e in seen)


def test_removed_node_keeps_its_entry_and_lids_and_gets_them_back():
    fabric = small()
    manager = LidManager()
    before = manager.assign(fabric)
    victim = PortRef(0x0002C903_00000050, 1)
    peer = fabric.peer(victim)
    fabric.disconnect(victim)
    after = manager.assign(fabric)
    assert victim not in after
    assert {r: v for r, v in before.items() if r != victim} == after
    assert manager.guid2lid[0x0002C903_00000051] == (before[victim].start,) * 2
    newcomer = fabric.add_node(Node(0x0002C903_0000FFF0, NodeKind.CA, 1, "newcomer"))
    newcomer.ports[1].guid = 0x0002C903_0000FFF1
    fabric.connect(PortRef(newcomer.guid, 1), peer)
    fabric.set_port_state(PortRef(newcomer.guid, 1), PortState.INIT)
    fabric.set_port_state(peer, PortState.INIT)
    third = manager.assign(fabric)
    assert third[PortRef(newcomer.guid, 1)].start not in {r.start for r in before.values()}
    fabric.disconnect(peer)
    fabric.connect(victim, peer)
    fabric.set_port_state(victim, PortState.INIT)
    fourth = manager.assign(fabric)
    assert fourth[victim] == before[victim]
    assert all(fourth[r] == v for r, v in before.items())


def test_down_ports_are_not_assigned_and_keep_their_lid():
    fabric = small()
    manager = LidManager()
    before = manager.assign(fabric)
    host = PortRef(0x0002C903_00000020, 1)
    fabric.set_port_state(host, PortState.DOWN)
    switch = PortRef(0x0002C904_00000003, 0)
    fabric.set_port_state(switch, PortState.DOWN)
    after = manager.assign(fabric)
    assert host not in after and switch not in after
    assert fabric.port(host).lid == before[host].start


def test_save_load_round_trip_and_exact_file_format(tmp_path):
    fabric = small()
    manager = LidManager()
    manager.assign(fabric, 1)
    path = tmp_path / "guid2lid"
    manager.save_guid2lid(path)
    text = path.read_text()
    assert text == format_guid2lid(manager.guid2lid)
    assert text.startswith("0x0002c90300000001 0x0002 0x0003\n\n0x0002c90300000011 ")
    assert not (tmp_path / "guid2lid.tmp").exists()
    other = LidManager()
    other.load_guid2lid(path)
    assert other.guid2lid == manager.guid2lid
    fresh = small()  # the same fabric, but its ports know no LIDs: the file decides
    assert other.assign(fresh, 1) == {r: range(p[0], p[0] + (2 if p[2] is not NodeKind.SWITCH
                                                           else 1))
                                      for r, p in lid_ports(fabric).items()}


def test_loaded_opensm_file_is_honoured_in_any_entry_order(tmp_path):
    fabric = small()
    path = tmp_path / "guid2lid"
    path.write_text("\n\n".join(reversed(OPENSM_LMC0.splitlines())) + "\n\n")
    manager = LidManager()
    manager.load_guid2lid(path)
    manager.assign(fabric)  # no sm_port: the file alone fixes every LID
    assert manager.guid2lid == parse_guid2lid(OPENSM_LMC0)[0]


@pytest.mark.parametrize("text", [
    OPENSM_LMC0,  # no empty lines
    OPENSM_LMC0.replace("\n", "\n\n"),  # as OpenSM writes it
    OPENSM_LMC0.replace("\n", "\r\n"),
    "# comment\n\n  " + OPENSM_LMC0.replace("\n", "\n\n\n"),
])
def test_reader_is_lenient_about_layout(text, tmp_path):
    path = tmp_path / "guid2lid"
    path.write_bytes(text.encode())
    manager = LidManager()
    manager.load_guid2lid(path)
    assert len(manager.guid2lid) == 32
    assert manager.guid2lid[0x0002C904_00000007] == (10, 10)


@pytest.mark.parametrize("line, what", [
    ("0x0002c90300000001 0x0001", "expected"),
    ("0x0002c90300000001 0x0001 0x0001 0x0002", "expected"),
    ("0x0002c9030000000g 0x0001 0x0001", "not a number"),
    ("0x0002c90300000001 1_0 0x0001", "not a number"),
    ("0x10002c90300000001 0x0001 0x0001", "64 bits"),
    ("0x0002c90300000001 0x10000 0x10000", "out of range"),
    ("0x0002c90300000001 -1 0x0001", "out of range"),
])
def test_malformed_lines_name_file_and_line(line, what, tmp_path):
    path = tmp_path / "guid2lid"
    path.write_text("0x0002c90300000011 0x0002 0x0002\n\n" + line + "\n\n")
    with pytest.raises(Guid2LidError, match=rf"guid2lid:3: .*{what}") as info:
        LidManager().load_guid2lid(path)
    assert info.value.line == 3 and info.value.path == str(path)
    assert isinstance(info.value, ValueError)


def test_numbers_as_strtoull_reads_them_and_duplicate_keys():
    entries, warnings = parse_guid2lid("0x11 010 12\n0x11 0x0004 0x0004\n", "f")
    assert entries == {0x11: (4, 4)}
    assert warnings and "f:2" in warnings[0]
    assert parse_guid2lid("17 010 12\n")[0] == {17: (8, 12)}


def test_invalid_entries_are_dropped_with_warnings_like_lid_mgr_validate_db(tmp_path):
    fabric = small()
    manager = loaded(tmp_path, {
                    0x0002C903_00000001: (5, 6),  # unaligned for LMC 1
                    0x0002C903_00000011: (8, 9),
                    0x0002C903_00000021: (8, 9),  # overlaps the previous entry
                    0x0002C903_00000031: (9, 7),  # illegal
                    0x0002C903_00000041: (20, 20),  # too narrow for LMC 1
                    0x0000DEAD_00000001: (30, 31)})  # a port that is gone: kept
    result = manager.assign(fabric, 1)
    assert len(manager.warnings) == 4
    assert result[PortRef(0x0002C903_00000010, 1)] == range(8, 10)
    assert result[PortRef(0x0002C903_00000020, 1)] != range(8, 10)
    assert manager.guid2lid[0x0000DEAD_00000001] == (30, 31)
    assert all(30 not in r and 31 not in r for r in result.values())
    assert_unique_and_aligned(fabric, 1)


def test_current_lids_are_kept_when_aligned_and_free():
    fabric = leaf_spine(32, assign_lids=True, lmc=1)
    before = {r: v[0] for r, v in lid_ports(fabric).items()}
    manager = LidManager()
    result = manager.assign(fabric, 1)
    assert {r: v.start for r, v in result.items()} == before


def test_conflicting_current_lids_move_and_reassign_starts_afresh(tmp_path):
    fabric = small()
    a, b = PortRef(0x0002C903_00000000, 1), PortRef(0x0002C903_00000100, 1)
    fabric.assign_lid(a, 40, 0)
    fabric.assign_lid(b, 40, 0)
    fabric.assign_lid(PortRef(0x0002C903_00000010, 1), 41, 0)
    result = LidManager().assign(fabric)
    assert result[a] == range(40, 41)  # first in port_guid_tbl order keeps it
    assert result[b] != range(40, 41)
    assert_unique_and_aligned(fabric, 0)
    again = loaded(tmp_path, {0x0002C903_00000001: (100, 100)})
    fresh = again.assign(fabric, reassign=True, sm_port=a)
    assert fresh[a] == range(1, 2)
    assert max(r.stop for r in fresh.values()) == len(fresh) + 1


def test_lmc_change_renumbers_single_lid_entries():
    fabric = small()
    manager = LidManager()
    manager.assign(fabric, 0)
    manager.assign(fabric, 2)
    assert_unique_and_aligned(fabric, 2)
    assert all(last - first == 3 for guid, (first, last) in manager.guid2lid.items()
               if guid >> 32 == 0x0002C903)


def test_running_out_of_lids():
    fabric = leaf_spine(400)
    with pytest.raises(LidError, match="ran out of LIDs"):
        LidManager().assign(fabric, 7)  # 400 x 128 LIDs > 49151


def test_removed_and_new_nodes_leave_everybody_else_alone():
    fabric = fat_tree(3, 2)
    manager = LidManager()
    before = manager.assign(fabric)
    gone = min(n.guid for n in fabric.cas())
    socket = fabric.peer(PortRef(gone, 1))
    fabric.remove_node(gone)
    after = manager.assign(fabric)
    assert after == {r: v for r, v in before.items() if r.node != gone}
    assert manager.guid2lid[gone + 1] == (before[PortRef(gone, 1)].start,) * 2  # kept
    new = PortRef(0x0002C903_0000FFF0, 1)
    fabric.add_node(Node(new.node, NodeKind.CA, 1, "newcomer")).ports[1].guid = new.node + 1
    fabric.connect(new, socket)
    fabric.set_port_state(new, PortState.INIT)
    third = manager.assign(fabric)
    assert third[new].start not in {r.start for r in before.values()}
    assert {r: v for r, v in third.items() if r != new} == after
