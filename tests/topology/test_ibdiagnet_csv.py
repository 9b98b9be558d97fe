"""Tests for the ibdiagnet2 ``.db_csv`` reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_file
from ibviz.core.model import NodeKind, PortRef, PortState
from ibviz.core.phy import LinkSpeed, LinkWidth
from ibviz.topology.errors import TopologyError
from ibviz.topology.ibdiagnet_csv import parse_ibdiagnet_csv

GARYLI = "garyli-ndr-quantum2.ibdiagnet2"


def _write(tmp_path: Path, text: str, name: str = "ibdiagnet2.db_csv") -> Path:
    return write_file(tmp_path, text, name)


def _kinds(warnings: list) -> list[str]:
    return [w.kind for w in warnings]


# --------------------------------------------------------------------- real file
def test_garyli_ndr(corpus: Path) -> None:
    f = parse_ibdiagnet_csv(corpus / f"{GARYLI}.db_csv")
    assert f.source_format == "ibdiagnet-csv" and f.warnings == []
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA), len(f.links)) == (9, 263, 271)
    assert all((ln.width, ln.speed) == (LinkWidth.X4, LinkSpeed.NDR) for ln in f.links.values())
    sm = f.nodes[0xB0CF0E0300D33FC0]
    assert sm.description == "MF0;ib-switch-sequoia:MQM9700/U1" and sm.num_ports == 65
    assert (sm.device_id, sm.vendor_id, sm.revision) == (54002, 0x2C9, 160)
    assert sm.ports[0].lid == 180 and sm.ports[0].state is PortState.ACTIVE
    assert sm.enhanced_port0 is True and f.nodes[0xFC6A1C030091CF00].enhanced_port0 is False
    assert sm.ports[1].label == "1/1/1" and sm.ports[1].state is PortState.ACTIVE
    assert f.master_sm == PortRef(sm.guid, 0)
    # switch port 0 rows with PortState 0 keep port 0 ACTIVE and take the LID
    leaf = f.nodes[0xFC6A1C030091CF00]
    assert leaf.ports[0].lid == 13 and leaf.ports[0].state is PortState.ACTIVE
    an = f.nodes[0xFC6A1C030091F608]
    assert an.description == "Mellanox Technologies Aggregation Node"
    assert an.system_guid == 0xFC6A1C030091F600 and an.device_id == 53001
    assert f.peer(PortRef(0xFC6A1C030091FC00, 65)) == PortRef(0xFC6A1C030091FC08, 1)
    gpu = f.nodes[0x5C25730300F42086]
    assert gpu.description == "is-north-7-compute-31 mlx5_3" and gpu.device_id == 0x1021
    assert gpu.ports[1].guid == gpu.guid and gpu.ports[1].lmc == 0


def test_garyli_agrees_with_ibnetdiscover(corpus: Path) -> None:
    """The same ibdiagnet run, read from its .db_csv and from its .ibnetdiscover."""
    from ibviz.topology.ibnetdiscover import parse_ibnetdiscover

    csv_f = parse_ibdiagnet_csv(corpus / f"{GARYLI}.db_csv")
    ref = parse_ibnetdiscover(corpus / f"{GARYLI}.ibnetdiscover")
    assert set(csv_f.nodes) == set(ref.nodes)
    assert set(csv_f.links) == set(ref.links)
    for key, link in csv_f.links.items():
        assert (link.width, link.speed) == (ref.links[key].width, ref.links[key].speed)
    label_only_in_ref = 0
    for guid, node in csv_f.nodes.items():
        other = ref.nodes[guid]
        assert (node.kind, node.num_ports, node.description) == \
            (other.kind, other.num_ports, other.description)
        assert (node.system_guid, node.vendor_id, node.device_id) == \
            (other.system_guid, other.vendor_id, other.device_id)
        assert node.enhanced_port0 == other.enhanced_port0
        for num, port in node.ports.items():
            theirs = other.ports[num]
            assert (port.guid, port.lid, port.lmc, port.state) == \
                (theirs.guid, theirs.lid, theirs.lmc, theirs.state), (hex(guid), num)
            if ref.peer(PortRef(guid, num)) is not None and port.label != theirs.label:
                # PORT_HIERARCHY_INFO has no row for the SHARP ports (switch port 65 and
                # the Aggregation Node's port 1); ibdiagnet's .ibnetdiscover prints the
                # port number there instead
                assert port.label is None and theirs.label == str(num)
                label_only_in_ref += 1
    assert label_only_in_ref == 14  # 7 switch port 65 + 7 Aggregation Node port 1


# --------------------------------------------------------------------- inline quirks
def _db(nodes: str, ports: str, links: str, extra: str = "",
        ports_header: str = "NodeGuid,PortGuid,PortNum,LID,LMC,PortState,LinkWidthActv,"
                            "LinkSpeedActv") -> str:
    return (
        "# INDEX_TABLE offset: 0, line: 0\n\n\n"
        "START_RUN_INFO\nIBDIAGNET_Version\n\"2.10\"\nEND_RUN_INFO\n\n"
        "START_NODES\n"
        "NodeDesc,NumPorts,NodeType,SystemImageGUID,NodeGUID,PortGUID,DeviceID,revision,"
        f"VendorID\n{nodes}END_NODES\n\n"
        "# In the next section LinkSpeedActv packs regular/extended/mlnx speeds\n\n"
        f"START_PORTS\n{ports_header}\n{ports}END_PORTS\n\n"
        f"START_LINKS\nNodeGuid1,PortNum1,NodeGuid2,PortNum2\n{links}END_LINKS\n{extra}"
    )


NODES = (
    '"sw, one ",8,2,0x0000000000000a00,0x0000000000000a00,0x0000000000000a00,0xc738,0xa0,713\n'
    '" host a",2,1,0xb00,0x0000000000000b00,0x0000000000000b01,4123,0,0x2c9\n'
    '"rtr",1,3,0xd00,0xd00,0xd01,1,0,713\n'
)
PORTS = (
    "0xa00,0xa00,0,5,0,0,0,0\n"            # switch port 0: PortState 0 (not read)
    "0xa00,0xa00,1,0,0,4,2,0x10000\n"       # 4x FDR10 (mlnx byte)
    "0xa00,0xa00,2,0,0,4,16,4\n"            # 2x QDR (regular byte)
    "0xa00,0xa00,3,0,0,2,1,0x0201\n"        # 1x EDR (extended byte), INIT
    "0xb00,0xb01,1,16,2,4,2,0x10000\n"      # LID 16, LMC 2
    "0xb00,0xb02,2,20,0,1,0,0\n"            # down, no link
    "0xd00,0xd01,1,0,0,2,1,0x0201\n"
)
LINKS = "0xa00,1,0xb00,1\n0x0000000000000a00,3,0xd00,1\n"


def test_inline_hex_decimal_speeds_states(tmp_path: Path) -> None:
    extra = ("\nSTART_SWITCHES\nNodeGUID,ENP0\n0xa00,1\nEND_SWITCHES\n"
             "START_PORT_HIERARCHY_INFO\nNodeGUID,PortGUID,PortNum,Label\n"
             '0xa00,0xa00,1,"1/1"\n0xb00,0xb01,1,N/A\nEND_PORT_HIERARCHY_INFO\n'
             "START_SM_INFO\nNodeGUID,PortGUID,PortNumber,SmState\n0xb00,0xb01,1,3\n"
             "END_SM_INFO\n")
    f = parse_ibdiagnet_csv(_write(tmp_path, _db(NODES, PORTS, LINKS, extra)))
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA), f.count(NodeKind.ROUTER)) == (1, 1, 1)
    assert len(f.links) == 2 and f.warnings == []
    sw, host, rtr = f.nodes[0xA00], f.nodes[0xB00], f.nodes[0xD00]
    assert sw.description == "sw, one " and host.description == " host a"
    assert (sw.device_id, sw.revision, sw.vendor_id) == (0xC738, 0xA0, 0x2C9)
    assert (host.device_id, host.vendor_id) == (4123, 0x2C9)
    assert sw.ports[0].lid == 5 and sw.ports[0].state is PortState.ACTIVE
    assert sw.enhanced_port0 is True and sw.ports[1].label == "1/1"
    assert host.ports[1].label is None
    assert (host.ports[1].lid, host.ports[1].lmc, host.ports[1].guid) == (16, 2, 0xB01)
    assert host.ports[2].state is PortState.DOWN and host.ports[2].guid == 0xB02
    link = f.link_at(PortRef(sw.guid, 1))
    assert (link.width, link.speed) == (LinkWidth.X4, LinkSpeed.FDR10)
    rlink = f.link_at(PortRef(rtr.guid, 1))
    assert (rlink.width, rlink.speed) == (LinkWidth.X1, LinkSpeed.EDR)
    assert rtr.ports[1].state is PortState.INIT and sw.ports[3].state is PortState.INIT
    assert f.master_sm == PortRef(host.guid, 1)


def test_inline_separate_ext_speed_column_and_mismatch(tmp_path: Path) -> None:
    header = ("NodeGuid,PortGuid,PortNum,LID,LMC,PortState,LinkWidthActv,LinkSpeedActv,"
              "LinkSpeedExtActv")
    ports = ("0xa00,0xa00,0,5,0,4,2,1,0\n0xa00,0xa00,1,0,0,4,2,1,4\n"
             "0xb00,0xb01,1,16,0,4,2,1,2\n")
    f = parse_ibdiagnet_csv(_write(tmp_path, _db(NODES, ports, "0xa00,1,0xb00,1\n",
                                                 ports_header=header)))
    assert f.link_at(PortRef(0xA00, 1)).speed is LinkSpeed.EDR  # HDR vs EDR: the slower
    assert "link-mismatch" in _kinds(f.warnings)


def test_inline_link_without_port_rows_is_active_by_lid(tmp_path: Path) -> None:
    ports = "0xa00,0xa00,0,5,0,4,0,0\n0xb00,0xb01,1,0,0,0,0,0\n"
    f = parse_ibdiagnet_csv(_write(tmp_path, _db(NODES, ports, "0xa00,2,0xb00,1\n")))
    assert f.nodes[0xA00].ports[2].state is PortState.ACTIVE  # switch LID 5
    assert f.nodes[0xB00].ports[1].state is PortState.INIT  # CA port LID 0
    link = f.link_at(PortRef(0xA00, 2))
    assert link.width is None and link.speed is None


def test_inline_duplicate_and_conflicting_rows(tmp_path: Path) -> None:
    nodes = NODES + '"sw, one again",8,2,0xa00,0xa00,0xa00,1,1,1\n'
    links = LINKS + "0xa00,1,0xd00,1\n"
    f = parse_ibdiagnet_csv(_write(tmp_path, _db(nodes, PORTS, links)))
    assert f.nodes[0xA00].description == "sw, one " and len(f.links) == 2
    assert _kinds(f.warnings) == ["duplicate-node", "conflicting-cable"]


@pytest.mark.parametrize(("text", "line", "expected"), [
    (_db(NODES, PORTS, LINKS).replace("START_NODES", "START_NOPE").replace("END_NODES",
                                                                         "END_NOPE"),
     None, "a NODES table"),
    (_db(NODES, PORTS, LINKS).replace("NumPorts,", "Ports,"), 10, "columns NodeDesc, NumPorts"),
    (_db(NODES.replace(",713\n", ",7x3\n", 1), PORTS, LINKS), 11, "0x-hex number for VendorID"),
    (_db(NODES.replace(",2,0x", ",5,0x", 1), PORTS, LINKS), 11, "1 (CA), 2 (switch)"),
    (_db(NODES, PORTS.replace("0xa00,0xa00,1,0,0,4,2", "0xa00,0xa00,1,0,0,4"), LINKS), 21,
     "8 fields as in the header"),
    (_db(NODES, PORTS, LINKS + "0xeee,1,0xb00,2\n"), 33, "a NodeGuid from START_NODES"),
    (_db(NODES, PORTS, LINKS + "0xa00,9,0xb00,2\n"), 33, "a port 1-8"),
    (_db(NODES, PORTS, LINKS + "0xa00,0,0xb00,2\n"), 33, "a port 1-8"),
    (_db(NODES, PORTS, LINKS).replace("END_LINKS\n", ""), 32, "END_LINKS"),
    (_db(NODES, PORTS, LINKS).replace("END_PORTS\n", ""), 28, "END_PORTS first"),
    ("START_NODES\nEND_LINKS\n", 2, "END_NODES"),
])
def test_malformed_input_raises(tmp_path: Path, text: str, line: int | None,
                                expected: str) -> None:
    path = _write(tmp_path, text, "bad.db_csv")
    with pytest.raises(TopologyError) as info:
        parse_ibdiagnet_csv(path)
    msg = str(info.value)
    assert "bad.db_csv" in msg and expected in msg
    assert info.value.line == line
    if line is not None:
        assert f":{line}" in msg


def test_bad_number_names_its_column(tmp_path: Path) -> None:
    text = _db(NODES.replace(",713\n", ",7x3\n", 1), PORTS, LINKS)
    with pytest.raises(TopologyError) as info:
        parse_ibdiagnet_csv(_write(tmp_path, text))
    row = text.splitlines()[10]
    assert info.value.column == row.rindex("7x3") + 1
