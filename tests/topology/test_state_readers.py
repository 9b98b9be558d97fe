"""State readers on real tool output (captured from OpenSM 3.3.23 / infiniband-diags 44 on
ibsim, built-in fig8 fabric, group ff12:1::1 joined by first-node, second-node, sender-2),
their errors, and detection. The same output is produced live by
tests/backends/test_attach_opensm.py."""

from __future__ import annotations

import pytest

from ibviz.topology.errors import TopologyError
from ibviz.topology.state import NO_PORT, detect_state, load_state, load_state_dir, parse_state


def real(text: str) -> str:
    """Tool output as printed: ``~`` stands for a trailing space the tool wrote."""
    return text.replace("~", " ")


SW1, SW2 = 0x0002_C904_0000_0000, 0x0002_C904_0000_0001
A, B, D = 0x0002_C903_0000_0001, 0x0002_C903_0000_0011, 0x0002_C903_0000_0031
LINK_LOCAL = 0xFE80_0000_0000_0000 << 64
MGID = 0xFF12_0001_0000_0000_0000_0000_0000_0001

IBROUTE = real("""\
Unicast lids [0x0-0x6] of switch Lid 1 guid 0x0002c90400000000 (switch-1):
  Lid  Out   Destination
       Port     Info~
0x0001 000 : (Switch portguid 0x0002c90400000000: 'switch-1')
0x0002 004 : (Switch portguid 0x0002c90400000001: 'switch-2')
0x0003 001 : (Channel Adapter portguid 0x0002c90300000001: 'first-node (primary)')
0x0004 002 : (Channel Adapter portguid 0x0002c90300000011: 'second-node (takeover)')
0x0005 003 : (Channel Adapter portguid 0x0002c90300000021: 'sender (remote peer)')
0x0006 004 : (Channel Adapter portguid 0x0002c90300000031: 'sender-2 (remote peer)')
6 valid lids dumped~
""")
LFTS_DUMP = """\
Unicast lids [0-6] of switch Lid 2 guid 0x0002c90400000001 ('switch-2'):
0x0001 004 # Switch portguid 0x0002c90400000000: 'switch-1'
0x0002 000 # Switch portguid 0x0002c90400000001: 'switch-2'
0x0003 004 # Channel Adapter portguid 0x0002c90300000001: 'first-node (primary)'
0x0004 004 # Channel Adapter portguid 0x0002c90300000011: 'second-node (takeover)'
0x0005 004 # Channel Adapter portguid 0x0002c90300000021: 'sender (remote peer)'
0x0006 001 # Channel Adapter portguid 0x0002c90300000031: 'sender-2 (remote peer)'
6 lids dumped
"""
DUMP_FTS_M = real("""
Multicast mlids [0xc000-0xc3ff] of switch DR path slid 0; dlid 0; 0,4 guid 0x0002c90400000001 (switch-2):
     Ports: 0 1 2 3 4 5 6 7 8~
 MLid
0xc001        x     x~~~~~~~~~
1 valid mlids dumped~
Multicast mlids [0xc000-0xc3ff] of switch DR path slid 0; dlid 0; 0 guid 0x0002c90400000000 (switch-1):
     Ports: 0 1 2 3 4 5 6 7 8~
 MLid
0xc001        x x   x~~~~~~~~~
1 valid mlids dumped~

""")
MCFDBS = real("""
Switch 0x0002c90400000000
LID    : Out Port(s)
0xC001 : 0x001  0x002  0x004~

Switch 0x0002c90400000001
LID    : Out Port(s)
0xC001 : 0x001  0x004~
""")
FDBS = """\
dump_ucast_routes: Switch 0x0002c90400000000
LID    : Port : Hops : Optimal
0x0001 : 000  : 00   : yes
0x0002 : 004  : 01   : yes
0x0003 : 001  : 01   : yes
0x0006 : UNREACHABLE
"""
SA_DUMP = """\
MC Group 0xc001 : mgid=0xff12000100000000:0x0000000000000001 port_gid=0xfe80000000000000:0x0002c90300000001 qkey=0x00012345 mlid=0xc001 mtu=0x84 tclass=0x00 pkey=0xffff rate=0x91 pkt_life=0x80 sl_flow_hop=0x00000000 scope_state=0x01 proxy_join=0x0

mcm_port: port_gid=0xfe80000000000000:0x0002c90300000001 scope_state=0x01 proxy_join=0x0

mcm_port: port_gid=0xfe80000000000000:0x0002c90300000011 scope_state=0x01 proxy_join=0x0

mcm_port: port_gid=0xfe80000000000000:0x0002c90300000031 scope_state=0x01 proxy_join=0x0

MC Group 0xc000  (well known): mgid=0xff12401bffff0000:0x00000000ffffffff port_gid=0x0000000000000000:0x0000000000000000 qkey=0x00000b1b mlid=0xc000 mtu=0x84 tclass=0x00 pkey=0xffff rate=0x83 pkt_life=0x92 sl_flow_hop=0x00000000 scope_state=0x21 proxy_join=0x0

"""
SAQUERY_M = """\
MCMemberRecord member dump:
\t\tMGID....................ff12:1::1
\t\tMlid....................0xC001
\t\tPortGid.................fe80::2:c903:0:1
\t\tScopeState..............0x1
\t\tProxyJoin...............0x0
\t\tNodeDescription.........first-node (primary)
MCMemberRecord member dump:
\t\tMGID....................ff12:1::1
\t\tMlid....................0xC001
\t\tPortGid.................fe80::2:c903:0:11
\t\tScopeState..............0x1
\t\tProxyJoin...............0x0
\t\tNodeDescription.........<unknown>
"""
SAQUERY_M_UNTRUSTED = """\
MCMemberRecord member dump:
\t\tMGID....................ff12:401b:ffff::ffff:ffff
\t\tMlid....................0xC000
\t\tPortGid.................::
\t\tScopeState..............0x20
\t\tProxyJoin...............0x0
\t\tNodeDescription.........<unknown>
"""
GUID2LID = "0x0002c90300000021 0x0005 0x0005\n\n0x0002c90300000001 0x0004 0x0005\n\n"
SMINFO = "sminfo: sm lid 1 sm guid 0x2c90400000000, activity count 118 priority 0 state 3 " \
         "SMINFO_MASTER\n"


def lines(text: str) -> list[str]:
    return text.splitlines()


def test_ibroute_gives_the_lft_and_the_lid_of_every_destination():
    state = parse_state(lines(IBROUTE), "ibroute", "ibroute")
    assert state.lfts[SW1].tolist() == [NO_PORT, 0, 4, 1, 2, 3, 4]
    assert state.lids[A] == (3, 0) and state.lids[D] == (6, 0) and state.lids[SW1] == (1, 0)
    assert state.descriptions[B] == "second-node (takeover)"
    assert not state.warnings


def test_opensm_lfts_dump_has_no_column_header_and_hash_rows():
    state = parse_state(lines(LFTS_DUMP), "opensm-lfts", "opensm-lfts.dump")
    assert state.lfts[SW2].tolist() == [NO_PORT, 4, 0, 4, 4, 4, 1]
    assert state.switch_info[SW2].linear_fdb_top == 6
    assert state.lids[SW2] == (2, 0)


def test_dump_fts_multicast_columns_map_to_ports():
    state = parse_state(lines(DUMP_FTS_M), "ibroute-mcast", "dump_fts -M")
    assert state.mfts == {SW1: {0xC001: frozenset({1, 2, 4})}, SW2: {0xC001: frozenset({1, 4})}}
    assert state.switch_info[SW1].multicast_fdb_cap == 1024


def test_mcfdbs_agrees_with_dump_fts_and_empty_file_is_empty_state(tmp_path):
    assert parse_state(lines(MCFDBS), "opensm-mcfdbs").mfts == \
        parse_state(lines(DUMP_FTS_M), "ibroute-mcast").mfts
    empty = tmp_path / "opensm.mcfdbs"
    empty.write_text("")
    assert detect_state(empty) == "opensm-mcfdbs"
    state = load_state(empty)
    assert state.mfts == {} and state.mfts_complete


def test_fdbs_unreachable_lids_have_no_port():
    state = parse_state(lines(FDBS), "opensm-fdbs")
    assert state.lfts[SW1].tolist() == [NO_PORT, 0, 4, 1]
    assert state.lfts_complete


def test_sa_dump_groups_members_and_fields():
    state = parse_state(lines(SA_DUMP), "opensm-sa-dump")
    group = state.groups[MGID]
    assert group.mlid == 0xC001 and not group.well_known
    assert group.members == {LINK_LOCAL | A: 1, LINK_LOCAL | B: 1, LINK_LOCAL | D: 1}
    assert group.proxies == set()
    proxied = parse_state(lines(SA_DUMP.replace("0031 scope_state=0x01 proxy_join=0x0",
                                                 "0031 scope_state=0x01 proxy_join=0x1")),
                          "opensm-sa-dump")
    assert proxied.groups[MGID].proxies == {LINK_LOCAL | D}
    assert group.fields["qkey"] == 0x12345 and group.fields["mtu"] == 4
    assert group.fields["rate"] == 0x11 and group.fields["pkey"] == 0xFFFF
    broadcast = state.groups[0xFF12_401B_FFFF_0000_0000_0000_FFFF_FFFF]
    assert broadcast.well_known and broadcast.members == {} and broadcast.fields["scope"] == 2


def test_saquery_member_dump_and_hidden_members():
    state = parse_state(lines(SAQUERY_M), "saquery-mcmember")
    assert state.groups[MGID].members == {LINK_LOCAL | A: 1, LINK_LOCAL | B: 1}
    hidden = parse_state(lines(SAQUERY_M_UNTRUSTED), "saquery-mcmember")
    group = hidden.groups[0xFF12_401B_FFFF_0000_0000_0000_FFFF_FFFF]
    assert group.members == {} and not group.members_known
    assert any("--smkey" in w.message for w in hidden.warnings)


def test_guid2lid_lmc_from_the_range_and_sminfo():
    state = parse_state(lines(GUID2LID), "guid2lid")
    assert state.lids == {0x0002_C903_0000_0021: (5, 0), A: (4, 1)}
    sm = parse_state(lines(SMINFO), "sminfo").sm
    assert (sm.lid, sm.guid, sm.state, sm.priority) == (1, SW1, "MASTER", 0)


@pytest.mark.parametrize(("text", "fmt"), [
    (IBROUTE, "ibroute"), (LFTS_DUMP, "opensm-lfts"), (DUMP_FTS_M, "ibroute-mcast"),
    (MCFDBS, "opensm-mcfdbs"), (FDBS, "opensm-fdbs"), (SA_DUMP, "opensm-sa-dump"),
    (SAQUERY_M, "saquery-mcmember"), (GUID2LID, "guid2lid"), (SMINFO, "sminfo"),
    ("> " + IBROUTE.replace("\n", "\n> "), "ibroute"),
])
def test_detect_state(text, fmt):
    assert detect_state(lines(text)) == fmt


def test_detect_state_rejects_non_state_and_ibsim_files():
    assert detect_state(["Switch 8 \"Switch1\"", "[1] \"Hca1\"[1]"]) is None
    assert detect_state(["hello world"]) is None


@pytest.mark.parametrize(("text", "fmt", "line", "expected"), [
    (IBROUTE.replace("0x0003 001", "0x0003 x01"), "ibroute", 6, "LID PORT"),
    (IBROUTE.replace("0x0004 002", "0xc004 002"), "ibroute", 7, "LID of at most"),
    (IBROUTE.replace("0x0005 003", "0x0005 300"), "ibroute", 8, "port number of at most"),
    (DUMP_FTS_M.replace("0xc001        x x", "0xc001        x y"), "ibroute-mcast", 10,
     "'x' marks"),
    (DUMP_FTS_M.replace("0xc001      ", "0x0001      ", 1), "ibroute-mcast", 5,
     "MLID from 0xc000"),
    (MCFDBS.replace("0x002  0x004", "0x002 0xFFF"), "opensm-mcfdbs", 4, "port number"),
    (MCFDBS.replace("Switch 0x0002c90400000000\n", ""), "opensm-mcfdbs", 2, "Switch 0x"),
    (FDBS.replace(": 01   : yes", ": 01   : maybe", 1), "opensm-fdbs", 4, "yes"),
    (SA_DUMP.replace("mlid=0xc001", "mlid=0xc002"), "opensm-sa-dump", 1, "same MLID"),
    (SA_DUMP.replace("0031 scope_state=0x01", "0031"), "opensm-sa-dump", 7, "mcm_port"),
    (SAQUERY_M.replace("ff12:1::1", "ff12:1::z", 1), "saquery-mcmember", 2, "IPv6"),
    (GUID2LID.replace("0x0004 0x0005", "0x0004 0x0006"), "guid2lid", 3, "2**LMC"),
    (SMINFO.replace("state 3", "state x"), "sminfo", 1, "SMINFO_STATE"),
])
def test_bad_input_names_file_line_and_expectation(text, fmt, line, expected):
    with pytest.raises(TopologyError) as err:
        parse_state(lines(text), fmt, "f.txt")
    assert (err.value.file, err.value.line) == ("f.txt", line)
    assert expected in (err.value.expected or "")


def test_load_state_dir_merges_and_skips_other_files(tmp_path):
    for name, text in (("ibroute-1", IBROUTE), ("opensm.mcfdbs", MCFDBS),
                       ("opensm-sa.dump", SA_DUMP), ("saquery-m", SAQUERY_M),
                       ("sminfo", SMINFO), ("opensm.log", "SUBNET UP\n")):
        (tmp_path / name).write_text(text)
    state = load_state_dir(tmp_path)
    assert set(state.mfts) == {SW1, SW2} and set(state.lfts) == {SW1}
    # saquery (cut by ibsim's missing RMPP) lists A and B; the SA dump, applied after it, all
    assert set(state.groups[MGID].member_guids()) == {A, B, D}
    assert state.sm is not None and state.groups_complete and state.mfts_complete
    assert any("opensm.log" in w.message for w in state.warnings)


def test_conflicting_tables_are_reported(tmp_path):
    (tmp_path / "a").write_text(MCFDBS)
    (tmp_path / "b").write_text(DUMP_FTS_M.replace("x x   x", "x     x"))
    state = load_state_dir(tmp_path)
    assert any(w.kind == "conflict" for w in state.warnings)


def test_load_state_dir_without_state_files(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here\n")
    with pytest.raises(TopologyError, match="no subnet state files"):
        load_state_dir(tmp_path)
