"""Every state file of the public corpus (../shared/fabrics/public) read as subnet state."""

from __future__ import annotations

import pytest

from conftest import corpus_file
from ibviz.core.events import Event, LftChanged, MftChanged
from ibviz.core.sm.manager import SubnetManager
from ibviz.topology import load
from ibviz.topology.state import (
    NO_PORT,
    apply_state,
    detect_state,
    load_state,
    load_state_files,
)

FORMATS = {
    "ibutils-opensm.fdbs": "opensm-fdbs",
    "ibflitsim-ibdiagnet-unreachable.fdbs": "opensm-fdbs",
    "ibsim-tutorial-ibroute-unicast.excerpt.txt": "ibroute",
    "ukharon-ibroute-M-msb7700.excerpt.txt": "ibroute-mcast",
    "ukharon-saquery-g-mcmemberrecord.excerpt.txt": "saquery-mcmember",
    "ibutils-opensm-subnet.lst": "opensm-subnet-lst",
    "garyli-ndr-quantum2.ibdiagnet2.lst": "opensm-subnet-lst",
    "garyli-ndr-quantum2.ibdiagnet2.db_csv": "ibdiagnet-csv",
    "linpack-iblinkinfo-sb7700-edr.excerpt.txt": "iblinkinfo",
    "blogpost-iblinkinfo-hdr-quantum-sharp.excerpt.txt": "iblinkinfo",
}


@pytest.mark.parametrize(("name", "fmt"), sorted(FORMATS.items()))
def test_corpus_state_files_are_recognised(name, fmt):
    assert detect_state(corpus_file(name)) == fmt


def test_ibutils_fdbs_routes_all_65_lids_on_62_switches():
    state = load_state(corpus_file("ibutils-opensm.fdbs"))
    assert len(state.lfts) == 62 and state.lfts_complete
    assert {len(t) for t in state.lfts.values()} == {66}
    assert sum(int((t != NO_PORT).sum()) for t in state.lfts.values()) == 62 * 65
    assert state.lfts[0x0002_C901_09FB_0000][:6].tolist() == [NO_PORT, 5, 0, 8, 7, 5]


def test_ibutils_fdbs_applies_to_its_subnet_lst():
    """The two files describe the same 2008 fabric: every switch of one is in the other, and
    every switch's own LID is routed to its port 0."""
    state = load_state_files([corpus_file("ibutils-opensm.fdbs"),
                              corpus_file("ibutils-opensm-subnet.lst")])
    fabric = state.topology
    assert fabric is not None and fabric.source_format == "opensm-subnet-lst"
    sm = SubnetManager(fabric)
    seen: list[Event] = []
    fabric.events.subscribe(LftChanged, seen.append)
    assert apply_state(state, fabric, sm) == []
    assert len(sm.lfts) == 62 and len(seen) == 62
    for switch in fabric.switches():
        assert sm.lfts[switch.guid][switch.ports[0].lid] == 0


def test_ibdiagnet_fdbs_unreachable_rows():
    state = load_state(corpus_file("ibflitsim-ibdiagnet-unreachable.fdbs"))
    table = state.lfts[0x0008_F105_0020_0134]
    assert {lid: int(p) for lid, p in enumerate(table) if p != NO_PORT} == {1: 0, 3: 4, 8: 5}


def test_ibroute_tutorial_excerpt():
    state = load_state(corpus_file("ibsim-tutorial-ibroute-unicast.excerpt.txt"))
    assert state.lfts[0x20_0000].tolist() == [NO_PORT, 0, 1, 3, NO_PORT, 3]
    assert state.lids == {0x20_0000: (1, 0), 0x10_0001: (2, 0), 0x20_0001: (3, 0),
                          0x10_0004: (5, 0)}
    assert not state.warnings  # 4 rows, "4 valid lids dumped"


def test_ibroute_multicast_excerpt_with_markdown_quotes():
    state = load_state(corpus_file("ukharon-ibroute-M-msb7700.excerpt.txt"))
    switch = 0x248A_0703_00F8_8040
    hosts = frozenset({0, 3, 6, 7, 8, 13, 15, 33, 34})
    assert state.mfts == {switch: {0xC000: hosts, 0xC004: hosts, 0xC005: hosts,
                                   0xC00B: frozenset({13, 15, 33, 34})}}
    assert state.lids[switch] == (1, 0)
    assert state.switch_info[switch].multicast_fdb_cap == 32  # [0xc000-0xc01f]


def test_saquery_group_excerpt_with_elided_records():
    state = load_state(corpus_file("ukharon-saquery-g-mcmemberrecord.excerpt.txt"))
    assert {g.mlid for g in state.groups.values()} == {0xC004, 0xC006}
    group = state.groups[0xFF12_401B_FFFF_0000_0000_0000_0000_0001]
    assert group.fields == {"mtu": 4, "pkey": 0xFFFF, "rate": 3, "sl": 0}
    assert not group.members_known
    assert [w.kind for w in state.warnings] == ["elided"]


@pytest.mark.parametrize(("name", "lids", "highest"), [
    ("ibutils-opensm-subnet.lst", 65, 65),
    ("garyli-ndr-quantum2.ibdiagnet2.lst", 272, 274),
    ("garyli-ndr-quantum2.ibdiagnet2.db_csv", 272, 274),
    ("linpack-iblinkinfo-sb7700-edr.excerpt.txt", 3, 4),
    ("blogpost-iblinkinfo-hdr-quantum-sharp.excerpt.txt", 23, 23),
])
def test_lids_from_topology_files(name, lids, highest):
    state = load_state(corpus_file(name))
    assert len(state.lids) == lids
    assert max(lid for lid, _ in state.lids.values()) == highest
    assert state.topology is not None


def test_ibdiagnet_lst_and_db_csv_agree_on_every_lid():
    lst = load_state(corpus_file("garyli-ndr-quantum2.ibdiagnet2.lst"))
    csv = load_state(corpus_file("garyli-ndr-quantum2.ibdiagnet2.db_csv"))
    assert lst.lids == csv.lids


def test_tables_of_switches_the_fabric_lacks_are_reported_not_applied():
    """The ibroute -M excerpt is from another MSB7700 than the iblinkinfo excerpt's."""
    fabric = load(corpus_file("linpack-iblinkinfo-sb7700-edr.excerpt.txt"))
    state = load_state(corpus_file("ukharon-ibroute-M-msb7700.excerpt.txt"))
    sm = SubnetManager(fabric)
    seen: list[MftChanged] = []
    fabric.events.subscribe(MftChanged, seen.append)
    notes = apply_state(state, fabric, sm)
    assert notes == ["1 port GUIDs with a LID are not in the fabric (first 0x248a070300f88040)",
                     "1 MFTs of switches not in the fabric (first 0x248a070300f88040)"]
    assert seen == [] and sm.mfts == {}
