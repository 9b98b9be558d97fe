"""How the OpenSM lab reads OpenSM's files and mirrors them, without the real tools: the
state readers in strict mode on excerpts of real OpenSM 3.3.23 output (FIG. 8 fabric), the
half-written-file guard, and the events the mirror emits."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

import pytest

from ibviz.backends.lab import watch as _lab_watch
from ibviz.backends.lab.mirror import Mirror
from ibviz.backends.lab.tools import reap_orphan_workdirs
from ibviz.backends.lab.watch import DumpWatcher
from ibviz.backends.smp_client import SmpError, dr_path
from ibviz.core import events as ev
from ibviz.core.model import PortRef, PortState
from ibviz.core.sm.manager import SmConfig, SubnetManager
from ibviz.topology import open_fabric
from ibviz.topology.builtin import FAILOVER_ROLES
from ibviz.topology.state import DumpIncomplete, FabricState, parse_dump

ROLES = FAILOVER_ROLES["fig8"]
SW1, SW2 = 0x0002_C904_0000_0000, 0x0002_C904_0000_0001

LFTS = """\
Unicast lids [0-6] of switch Lid 1 guid 0x0002c90400000000 ('switch-1'):
0x0001 000 # Switch portguid 0x0002c90400000000: 'switch-1'
0x0002 004 # Switch portguid 0x0002c90400000001: 'switch-2'
0x0004 002 # Channel Adapter portguid 0x0002c90300000011: 'second-node (takeover)'
0x0005 003 # Channel Adapter portguid 0x0002c90300000021: 'sender (remote peer)'
0x0006 004 # Channel Adapter portguid 0x0002c90300000031: 'sender-2 (remote peer)'
6 lids dumped
Unicast lids [0-6] of switch Lid 2 guid 0x0002c90400000001 ('switch-2'):
0x0001 004 # Switch portguid 0x0002c90400000000: 'switch-1'
0x0002 000 # Switch portguid 0x0002c90400000001: 'switch-2'
0x0006 001 # Channel Adapter portguid 0x0002c90300000031: 'sender-2 (remote peer)'
6 lids dumped
"""

SA_DUMP = """\
MC Group 0xc001 : mgid=0xff12000100000000:0x0000000000000077 port_gid=0xfe80000000000000:\
0x0002c90300000001 qkey=0x00001e1e mlid=0xc001 mtu=0x84 tclass=0x00 pkey=0xffff rate=0x91 \
pkt_life=0x80 sl_flow_hop=0x00000000 scope_state=0x01 proxy_join=0x0

mcm_port: port_gid=0xfe80000000000000:0x0002c90300000021 scope_state=0x08 proxy_join=0x0

mcm_port: port_gid=0xfe80000000000000:0x0002c90300000031 scope_state=0x08 proxy_join=0x1

MC Group 0xc000  (well known): mgid=0xff12401bffff0000:0x00000000ffffffff port_gid=\
0x0000000000000000:0x0000000000000000 qkey=0x00000b1b mlid=0xc000 mtu=0x84 tclass=0x00 \
pkey=0xffff rate=0x83 pkt_life=0x92 sl_flow_hop=0x00000000 scope_state=0x21 proxy_join=0x0

"""
MGID = 0xFF12_0001_0000_0000_0000_0000_0000_0077

SUBNET_LST = """\
{ SW-SM Ports:08 SystemGUID:0002c90400000000 NodeGUID:0002c90400000000 PortGUID:\
0002c90400000000 VenID:0002C9 DevID:D2F0 Rev:000000A1 {switch-1} LID:0001 PN:04 } { SW \
Ports:08 SystemGUID:0002c90400000001 NodeGUID:0002c90400000001 PortGUID:0002c90400000001 \
VenID:000002C9 DevID:D2F00000 Rev:000000A1 {switch-2} LID:0002 PN:04 } PHY=4x LOG=ACT SPD=50
{ CA Ports:01 SystemGUID:0002c90300000010 NodeGUID:0002c90300000010 PortGUID:\
0002c90300000011 VenID:0002C9 DevID:101B Rev:000000A1 {second-node (takeover)} LID:0004 \
PN:01 } { SW-SM Ports:08 SystemGUID:0002c90400000000 NodeGUID:0002c90400000000 PortGUID:\
0002c90400000000 VenID:000002C9 DevID:D2F00000 Rev:000000A1 {switch-1} LID:0001 PN:02 } \
PHY=4x LOG=INI SPD=50
"""


@pytest.fixture
def mirror() -> Mirror:
    fabric = open_fabric("fig8")
    return Mirror(SubnetManager(fabric, SmConfig(sm_port=PortRef(SW1, 0))))


def test_lfts_dump_with_a_removed_lid_reads_to_tables():
    state = parse_dump(LFTS, "opensm-lfts", "opensm-lfts.dump")
    assert state.lfts[SW1].tolist() == [255, 0, 4, 255, 2, 3, 4]  # LID 3 (failed) unrouted
    assert state.lfts[SW2].tolist() == [255, 4, 0, 255, 255, 255, 1]
    assert state.lfts_complete


@pytest.mark.parametrize("cut", [-20, -1, len(LFTS) // 3, 30, LFTS.index("0x0002 004")])
def test_lfts_dump_cut_short_is_refused_in_strict_mode(cut):
    with pytest.raises(DumpIncomplete, match="opensm-lfts.dump:"):
        parse_dump(LFTS[:cut], "opensm-lfts", "opensm-lfts.dump")
    if LFTS[:cut].endswith("\n"):  # a cut at a line end: the lenient reader takes it
        parse_dump(LFTS[:cut], "opensm-lfts", "opensm-lfts.dump", strict=False)


def test_a_cut_between_two_switches_looks_whole():
    """Why the lab also watches the writer (inotify): a file cut at the end of one switch's
    table reads as a whole, shorter dump."""
    cut = LFTS[:LFTS.index("Unicast lids", 10)]
    assert list(parse_dump(cut, "opensm-lfts", "opensm-lfts.dump").lfts) == [SW1]


def test_lfts_dump_footer_must_match_the_header_in_strict_mode():
    wrong = LFTS.replace("6 lids dumped", "5 lids dumped", 1)
    with pytest.raises(DumpIncomplete, match="footer says 5"):
        parse_dump(wrong, "opensm-lfts", "opensm-lfts.dump")


def test_mcfdbs_switch_without_entries_is_refused_in_strict_mode():
    whole = "Switch 0x0002c90400000000\nLID    : Out Port(s)\n0xC001 : 0x001  0x003\n"
    assert parse_dump(whole, "opensm-mcfdbs").mfts == {SW1: {0xC001: {1, 3}}}
    assert parse_dump("", "opensm-mcfdbs").mfts == {}  # no group with two members
    cut = whole + "Switch 0x0002c90400000001\n"
    with pytest.raises(DumpIncomplete, match="no MFT entry"):
        parse_dump(cut, "opensm-mcfdbs", "opensm.mcfdbs")
    with pytest.raises(DumpIncomplete, match="middle of a line"):
        parse_dump(whole[:-3], "opensm-mcfdbs", "opensm.mcfdbs")


def test_sa_dump_groups_members_and_fields(mirror):
    state = parse_dump(SA_DUMP, "opensm-sa-dump", "opensm-sa.dump")
    assert mirror.apply_file("opensm-sa-dump", state, time.time_ns())
    group = mirror.sm.sa.groups[MGID]
    assert (group.mlid, group.qkey, group.pkey, group.mtu, group.rate) == (0xC001, 0x1E1E,
                                                                         0xFFFF, 4, 0x11)
    assert {p.node: (m.join_state, m.proxy) for p, m in group.members.items()} == {
        ROLES["senders"][0]: (0x8, False), ROLES["senders"][1]: (0x8, True)}
    broadcast = mirror.sm.sa.groups[0xFF12_401B_FFFF_0000_0000_0000_FFFF_FFFF]
    assert broadcast.well_known and broadcast.mlid == 0xC000 and not broadcast.members
    assert broadcast.name == "ipoib-broadcast"
    with pytest.raises(DumpIncomplete):
        parse_dump(SA_DUMP[:-40], "opensm-sa-dump", "opensm-sa.dump")


def test_subnet_lst_nodes_ports_and_states(mirror):
    state = parse_dump(SUBNET_LST, "opensm-subnet-lst", "opensm-subnet.lst")
    assert mirror.apply_file("opensm-subnet-lst", state, time.time_ns())
    assert mirror.sm.reachable == {SW1, SW2, ROLES["takeover"]}
    assert mirror.fabric.port(PortRef(SW1, 4)).state is PortState.ACTIVE
    assert mirror.fabric.port(PortRef(ROLES["takeover"], 1)).state is PortState.INIT
    assert mirror.fabric.port(PortRef(ROLES["primary"], 1)).state is PortState.DOWN
    with pytest.raises(DumpIncomplete):
        parse_dump(SUBNET_LST[:-30], "opensm-subnet-lst", "opensm-subnet.lst")


@pytest.fixture
def clock(monkeypatch):
    """``clock(path, settled)``: the watcher's "now" is ``path``'s mtime (just written) or
    SETTLE_NS after it (settled), whatever the loaded machine's real timing."""
    def at(path, settled: bool) -> None:
        now = path.stat().st_mtime_ns + (_lab_watch.SETTLE_NS if settled else 0)
        monkeypatch.setattr(_lab_watch, "time", SimpleNamespace(time_ns=lambda: now))
    return at


def test_watcher_never_hands_out_a_file_being_written(tmp_path, clock):
    watcher = DumpWatcher(tmp_path, ["opensm.mcfdbs"])
    assert watcher.uses_inotify
    path = tmp_path / "opensm.mcfdbs"
    with open(path, "w") as fh:  # truncated, then written piece by piece, as fopen/fclose do
        fh.write("Switch 0x0002c90400000000\nLID    : Out Port(s)\n")
        fh.flush()
        clock(path, settled=True)  # older than the settle time: only inotify knows it is open
        assert watcher.changed() == [] and watcher.read("opensm.mcfdbs") is None
        fh.write("0xC001 : 0x001  0x003\n")
    clock(path, settled=False)
    assert watcher.changed() == ["opensm.mcfdbs"]
    assert watcher.read("opensm.mcfdbs") is None  # closed just now: a rewrite may follow
    clock(path, settled=True)
    text, _ = watcher.read("opensm.mcfdbs")
    assert text.endswith(b"0x003\n")
    assert watcher.changed() == []  # read once per rewrite
    os.rename(_write(tmp_path / "x.tmp", "new\n"), path)  # replaced by rename (SA dump)
    clock(path, settled=True)
    assert watcher.changed() == ["opensm.mcfdbs"] and watcher.read("opensm.mcfdbs")[0] == b"new\n"
    watcher.close()


def test_a_rewrite_begun_but_not_yet_reported_is_not_read(tmp_path, monkeypatch, clock):
    """The kernel updates the mtime at the truncation, before it queues the inotify event:
    a file whose mtime is fresh is not read even when no event says it is being written."""
    path = _write(tmp_path / "opensm.mcfdbs", "Switch 0x0002c90400000000\n")
    watcher = DumpWatcher(tmp_path, ["opensm.mcfdbs"])
    monkeypatch.setattr(watcher, "_drain", lambda: set())  # the event is not queued yet
    path.write_text("")
    clock(path, settled=False)
    assert watcher.read("opensm.mcfdbs") is None
    clock(path, settled=True)
    assert watcher.read("opensm.mcfdbs") == (b"", path.stat().st_mtime_ns)


def _write(path, text):
    path.write_text(text)
    return path


def test_without_inotify_a_file_must_settle_first(tmp_path, monkeypatch, clock):
    monkeypatch.setattr(_lab_watch, "_inotify", lambda directory: -1)
    path = _write(tmp_path / "guid2lid", "0x0002c90400000000 0x0001 0x0001\n")
    watcher = DumpWatcher(tmp_path, ["guid2lid"])
    assert not watcher.uses_inotify
    clock(path, settled=False)
    assert watcher.read("guid2lid") is None  # modified just now: may still be written
    clock(path, settled=True)
    assert watcher.read("guid2lid")[0].startswith(b"0x0002c904")
    assert watcher.changed() == []
    _write(tmp_path / "guid2lid", "0x0002c90400000000 0x0001 0x0001\n\n")
    assert watcher.changed() == ["guid2lid"]


def _mfts(tables):
    return FabricState(mfts=tables, mfts_complete=True)


def test_mirror_emits_mft_changes_and_keeps_owned_entries(mirror):
    seen: list[ev.Event] = []
    mirror.sm.events.subscribe(ev.MftChanged, seen.append)
    assert mirror.apply_file("opensm-mcfdbs", _mfts({SW1: {0xC001: frozenset({1, 3, 4})}}), 0)
    mirror.owned[SW1] = {0xC3F0: frozenset({2})}
    assert mirror.apply_file("opensm-mcfdbs", _mfts({SW1: {0xC001: frozenset({3, 4})}}), 0)
    assert mirror.sm.mfts[SW1] == {0xC001: {3, 4}, 0xC3F0: {2}}
    assert not mirror.apply_file("opensm-mcfdbs", _mfts({SW1: {0xC001: frozenset({3, 4})}}), 0)
    assert [(e.mlid, set(e.old), set(e.new)) for e in seen] == [
        (0xC001, set(), {1, 3, 4}), (0xC001, {1, 3, 4}, {3, 4}), (0xC3F0, set(), {2})]


def _sa_dump():
    return parse_dump(SA_DUMP, "opensm-sa-dump", "opensm-sa.dump")


def test_own_join_survives_an_older_sa_dump_not_a_newer_one(mirror):
    seen: list[ev.Event] = []
    mirror.sm.events.subscribe(ev.Event, seen.append)
    before = time.time_ns()
    assert mirror.apply_file("opensm-sa-dump", _sa_dump(), before - 1)
    takeover = PortRef(ROLES["takeover"], 1)
    assert mirror.note_member(mirror.sm.sa.groups[MGID], takeover, 0x1)
    assert mirror.unconfirmed == {MGID}
    assert not mirror.apply_file("opensm-sa-dump", _sa_dump(), before)
    assert takeover in mirror.sm.sa.groups[MGID].members  # the older dump does not undo it
    assert mirror.unconfirmed == {MGID}
    assert mirror.apply_file("opensm-sa-dump", _sa_dump(), time.time_ns())
    assert takeover not in mirror.sm.sa.groups[MGID].members  # a newer dump is the truth
    assert mirror.unconfirmed == set()
    joined = [e.port.node for e in seen if isinstance(e, ev.MemberJoined)]
    assert joined == [*ROLES["senders"], ROLES["takeover"]]
    assert [(e.port, e.join_state) for e in seen if isinstance(e, ev.MemberLeft)] == [
        (takeover, 0)]
    assert sorted(e.mlid for e in seen if isinstance(e, ev.GroupCreated)) == [0xC000, 0xC001]


def test_mirror_lids_only_from_guid2lid(mirror):
    seen: list[ev.Event] = []
    mirror.fabric.events.subscribe(ev.Event, seen.append)
    takeover = PortRef(ROLES["takeover"], 1)
    guid = mirror.fabric.port(takeover).guid
    state = parse_dump(f"0x{guid:016x} 0x0008 0x000b\n", "guid2lid", "guid2lid")
    assert mirror.apply_file("guid2lid", state, 0)
    assert (mirror.fabric.port(takeover).lid, mirror.fabric.port(takeover).lmc) == (8, 2)
    assert not mirror.apply_file("guid2lid", state, 0)  # nothing new, no event
    assert [type(e).__name__ for e in seen] == ["LidAssigned"]
    lst = parse_dump(SUBNET_LST, "opensm-subnet-lst", "opensm-subnet.lst")
    assert mirror.apply_file("opensm-subnet-lst", lst, 0)
    assert mirror.fabric.port(takeover).lmc == 2  # subnet.lst's LIDs are not taken
    assert any(isinstance(e, ev.PortStateChanged) and e.port == PortRef(SW1, 1) for e in seen)


def test_directed_routes_for_the_controllers_smps():
    fabric = open_fabric("fig8")
    assert dr_path(fabric, SW1, SW1) == []
    assert dr_path(fabric, SW1, SW2) == [4]  # out of switch-1 port 4
    assert dr_path(fabric, ROLES["takeover"], SW2) == [1, 4]  # CA port 1, then port 4
    with pytest.raises(SmpError, match="no directed route"):
        dr_path(fabric, ROLES["takeover"], SW2, avoid={SW1})


def test_directories_of_killed_labs_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    orphan = tmp_path / f"ibviz-lab-{dead}-abc"
    mine = tmp_path / f"ibviz-lab-{os.getpid()}-def"
    for path in (orphan / "ibsim", mine):
        path.mkdir(parents=True)
    assert reap_orphan_workdirs() == [orphan]
    assert not orphan.exists() and mine.is_dir()
