"""OpenSM-format writers: formats checked against files OpenSM 3.3.23 wrote (the full
byte-for-byte comparison with a live OpenSM is in tests/cli/test_cli_sm.py)."""

from __future__ import annotations

from ibviz.core.addressing import link_local_gid
from ibviz.core.model import PortRef
from ibviz.core.sm.manager import SmConfig, SubnetManager
from ibviz.core.sm.records import REQUIRED_FOR_CREATE, McMemberRecord, SaMethod
from ibviz.topology.generators import leaf_spine
from ibviz.topology.state import parse_dump
from ibviz.topology.state.opensm_writers import format_guid2lid, format_mcfdbs, st_order

# guid2lid OpenSM 3.3.23 wrote for leaf_spine(8, hcas_per_leaf=4, spines=1, switch_ports=8),
# SM on node0001: the order is its st hash table's, not the GUIDs'.
REAL_GUID2LID = """\
0x0002c90300000021 0x0006 0x0006

0x0002c90300000001 0x0001 0x0001

0x0002c90300000071 0x000b 0x000b

0x0002c90300000051 0x0009 0x0009

0x0002c90400000000 0x0002 0x0002

0x0002c90300000031 0x0007 0x0007

0x0002c90300000011 0x0005 0x0005

0x0002c90400000001 0x0003 0x0003

0x0002c90400000002 0x0004 0x0004

0x0002c90300000061 0x000a 0x000a

0x0002c90300000041 0x0008 0x0008

"""


def manager() -> SubnetManager:
    fabric = leaf_spine(8, hcas_per_leaf=4, spines=1, switch_ports=8)
    ca = min(n.guid for n in fabric.cas())
    sm = SubnetManager(fabric, SmConfig(sm_port=PortRef(ca, 1)))
    sm.sweep()
    return sm


def test_guid2lid_in_opensms_hash_order():
    sm = manager()
    assert format_guid2lid(sm.lid_manager.guid2lid_in_order) == REAL_GUID2LID


def test_st_order_rehashes_past_density_five():
    keys = [f"0x{i:016x}" for i in range(200)]
    order = st_order(keys)
    assert sorted(order) == sorted(keys) and order != keys


def test_mcfdbs_lines_read_back():
    sm = manager()
    members = sorted(n.guid for n in sm.fabric.cas())[:3] + [max(n.guid for n in
                                                                 sm.fabric.cas())]
    mgid = 0xFF12_401B_FFFF_0000_0000_0000_0000_0042
    for guid in members:
        port = PortRef(guid, 1)
        rec = McMemberRecord(mgid=mgid, port_gid=link_local_gid(sm.fabric.port(port).guid),
                             qkey=0x0B1B, pkey=0xFFFF, join_state=1, mlid=0, sl=0, tclass=0)
        sm.sa_request(SaMethod.SET, port, rec, int(REQUIRED_FOR_CREATE))
    text = format_mcfdbs(sm)
    assert text.startswith("\nSwitch 0x")
    assert "\nLID    : Out Port(s)\n0xC001 : 0x0" in text
    back = parse_dump(text.encode(), "opensm-mcfdbs", "opensm.mcfdbs").mfts
    want = {sw: {m: frozenset(p) for m, p in t.items() if p} for sw, t in sm.mfts.items()}
    assert {sw: t for sw, t in back.items() if t} == {sw: t for sw, t in want.items() if t}
