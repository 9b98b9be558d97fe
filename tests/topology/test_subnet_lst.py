"""Tests for the ``opensm-subnet.lst`` / ibdiagnet ``.lst`` reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_file
from ibviz.core.model import NodeKind, PortRef, PortState
from ibviz.core.phy import LinkSpeed, LinkWidth
from ibviz.topology.errors import TopologyError
from ibviz.topology.subnet_lst import parse_subnet_lst


def _write(tmp_path: Path, text: str, name: str = "subnet.lst") -> Path:
    return write_file(tmp_path, text, name)


def _kinds(warnings: list) -> list[str]:
    return [w.kind for w in warnings]


def _end(typ: str = "SW", ports: str = "08", guid: str = "0000000000000001",
         port_guid: str | None = None, dev: str = "A87C", desc: str = "switch",
         lid: str = "0002", pn: str = "01", ven: str = "0002C9") -> str:
    return (f"{{ {typ} Ports:{ports} SystemGUID:{guid} NodeGUID:{guid} "
            f"PortGUID:{port_guid or guid} VenID:{ven} DevID:{dev} Rev:000000A0 {{{desc}}} "
            f"LID:{lid} PN:{pn} }}")


# --------------------------------------------------------------------- real files
def test_ibutils_2005_opensm(corpus: Path) -> None:
    f = parse_subnet_lst(corpus / "ibutils-opensm-subnet.lst")
    assert f.source_format == "opensm-subnet-lst"
    # 344 lines = 172 cables, each listed from both ends
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA), len(f.links)) == (62, 3, 172)
    assert all((ln.width, ln.speed) == (LinkWidth.X4, None) for ln in f.links.values())
    no_spd = [w for w in f.warnings if w.kind == "no-speed"]
    assert len(no_spd) == 1 and "344" in no_spd[0].message and len(f.warnings) == 1
    # Ports: is hex: the MT47396 has 0x18 = 24 ports
    big = f.nodes[0x0000000000000001]
    assert big.num_ports == 24 and big.device_id == 47396 and big.ports[0].lid == 5
    sw = f.nodes[0x0002C90109FB0000]
    assert sw.device_id == 0xA87C and sw.vendor_id == 0x2C9 and sw.num_ports == 8
    assert sw.ports[0].lid == 2 and sw.system_guid == 0xA22029083222F0FF
    assert f.peer(PortRef(sw.guid, 5)) == PortRef(0x0002C90109FB0018, 4)
    # description with parentheses; CA keyed by node GUID, port GUID on the port
    ca = f.nodes[0x0002C901093DC5D0]
    assert ca.description == "swlab225 HCA-1 (Topspin HCA)" and ca.num_ports == 2
    assert ca.ports[1].guid == 0x0002C901093DC5D1 and ca.ports[1].lid == 0x3B
    assert ca.ports[1].state is PortState.ACTIVE and ca.ports[2].state is PortState.DOWN
    # CA-SM marks the master SM's port
    assert f.master_sm == PortRef(0x0002C90109769A00, 1)


def test_garyli_ibdiagnet_lst(corpus: Path) -> None:
    f = parse_subnet_lst(corpus / "garyli-ndr-quantum2.ibdiagnet2.lst")
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA), len(f.links)) == (9, 263, 271)
    assert f.warnings == []
    assert all((ln.width, ln.speed) == (LinkWidth.X4, LinkSpeed.NDR) for ln in f.links.values())
    ca = f.nodes[0x5C257303009AB1C0]
    assert ca.description == "is-north-7-compute-12 mlx5_0" and ca.device_id == 0x1021
    assert ca.ports[1].lid == 0xB5
    sw = f.nodes[0xFC6A1C030091F9C0]
    assert sw.num_ports == 65 and sw.ports[0].lid == 0xB6  # Ports:41 and PN:41 are hex
    assert f.peer(PortRef(ca.guid, 1)) == PortRef(sw.guid, 12)  # PN:0c
    an = f.nodes[0xFC6A1C030091F9C8]
    assert an.description == "Mellanox Technologies Aggregation Node"
    assert f.peer(PortRef(sw.guid, 65)) == PortRef(an.guid, 1)


def test_agrees_with_ibnetdiscover(corpus: Path) -> None:
    from ibviz.topology.ibnetdiscover import parse_ibnetdiscover

    lst = parse_subnet_lst(corpus / "garyli-ndr-quantum2.ibdiagnet2.lst")
    ref = parse_ibnetdiscover(corpus / "garyli-ndr-quantum2.ibdiagnet2.ibnetdiscover")
    assert set(lst.nodes) == set(ref.nodes) and set(lst.links) == set(ref.links)
    for guid, node in lst.nodes.items():
        assert node.kind is ref.nodes[guid].kind
        assert [p.lid for p in node.lid_ports()] == [p.lid for p in ref.nodes[guid].lid_ports()]


# --------------------------------------------------------------------- inline quirks
def test_inline_states_speeds_devid_and_sm(tmp_path: Path) -> None:
    text = (
        "# a comment\n\n"
        + _end("SW-SM", ports="10", guid="00000000000000aa", dev="C7380000",
                   lid="000a", pn="0b")
        + " " + _end("CA", ports="02", guid="00000000000000b0", port_guid="00000000000000b2",
                     dev="1021", desc="host {x} (y)", lid="000C", pn="02", ven="000002c9")
        + " PHY=4x LOG=ARM SPD=FDR10\n"
        + _end("SW", ports="10", guid="00000000000000aa", dev="C738", lid="000a", pn="0c") + " "
        + _end("Rt", ports="02", guid="00000000000000cc", dev="0000", desc="rtr", lid="0000",
               pn="01")
        + " PHY=1x LOG=INI SPD=??\n"
        + _end("SW", ports="10", guid="00000000000000aa", lid="000a", pn="0d") + " "
        + _end("SW", guid="00000000000000dd", lid="0014", pn="01") + " PHY=12x LOG=DWN SPD=25\n"
    )
    f = parse_subnet_lst(_write(tmp_path, text))
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA), f.count(NodeKind.ROUTER)) == (2, 1, 1)
    sw = f.nodes[0xAA]
    assert sw.device_id == 0xC738 and sw.ports[0].lid == 10 and sw.num_ports == 16
    assert f.master_sm == PortRef(0xAA, 11)
    ca = f.nodes[0xB0]
    assert ca.description == "host {x} (y)" and ca.ports[2].guid == 0xB2
    assert ca.ports[2].lid == 12 and ca.device_id == 0x1021
    link = f.link_at(PortRef(0xAA, 11))
    assert (link.width, link.speed) == (LinkWidth.X4, LinkSpeed.FDR10)
    assert sw.ports[11].state is PortState.ARMED and ca.ports[2].state is PortState.ARMED
    rt = f.link_at(PortRef(0xAA, 12))
    assert rt.width is LinkWidth.X1 and rt.speed is None
    assert f.nodes[0xCC].ports[1].state is PortState.INIT
    assert f.link_at(PortRef(0xAA, 13)).speed is LinkSpeed.EDR
    assert f.nodes[0xDD].ports[1].state is PortState.DOWN
    assert _kinds(f.warnings) == ["unknown-speed"]


def test_inline_double_listing_and_mismatch(tmp_path: Path) -> None:
    a = _end(guid="0000000000000001", pn="01")
    b = _end(guid="0000000000000002", lid="0003", pn="02")
    c = _end(guid="0000000000000002", lid="0003", pn="0A")
    text = (f"{a} {b} PHY=4x LOG=ACT SPD=50\n{b} {a} PHY=4x LOG=ACT SPD=25\n"
            f"{a} {c} PHY=4x LOG=ACT SPD=50\n")
    f = parse_subnet_lst(_write(tmp_path, text))
    assert len(f.links) == 1 and f.link_at(PortRef(1, 1)).speed is LinkSpeed.HDR
    assert f.peer(PortRef(1, 1)) == PortRef(2, 2) and f.nodes[2].num_ports == 10
    assert _kinds(f.warnings) == ["link-mismatch", "port-count", "conflicting-cable"]


def test_inline_unknown_node_type(tmp_path: Path) -> None:
    text = (_end(guid="0000000000000001") + " "
            + _end("**", ports="01", guid="0000000000000009", dev="0000", lid="0000")
            + " PHY=4x LOG=INI SPD=5\n")
    f = parse_subnet_lst(_write(tmp_path, text))
    assert f.nodes[9].kind is NodeKind.CA and "unknown-node-type" in _kinds(f.warnings)
    assert f.link_at(PortRef(1, 1)).speed is LinkSpeed.DDR


@pytest.mark.parametrize(("text", "line", "expected"), [
    ("# header\n{ SW Ports:08 broken } { } PHY=4x LOG=ACT\n", 2, "{ TYPE Ports:XX"),
    (_end() + " PHY=4x LOG=ACT\n", 1, "{ TYPE Ports:XX"),
    (_end() + " " + _end(guid="0000000000000002") + " PHY=4x\n", 1, "PHY=4x LOG=ACT"),
    (_end() + " " + _end(guid="0000000000000002") + " PHY=3x LOG=ACT\n", 1, "1x, 2x, 4x"),
    (_end() + " " + _end(guid="0000000000000002") + " PHY=4x LOG=UP\n", 1, "ACT, ARM, INI"),
    (_end() + " " + _end(guid="0000000000000002") + " PHY=4x LOG=ACT SPD=7\n", 1,
     "2.5, 5, 10, 14"),
    (_end() + " " + _end("CA", guid="0000000000000002", pn="00") + " PHY=4x LOG=ACT\n", 1,
     "PN:01 or higher"),
    (_end(guid="0000000000000000") + " " + _end(guid="0000000000000002")
     + " PHY=4x LOG=ACT\n", 1, "a non-zero GUID"),
    (_end() + " " + _end("CA", guid="0000000000000001") + " PHY=4x LOG=ACT\n", 1,
     "one node type per GUID"),
])
def test_malformed_lines_raise(tmp_path: Path, text: str, line: int, expected: str) -> None:
    path = _write(tmp_path, text, "bad-subnet.lst")
    with pytest.raises(TopologyError) as info:
        parse_subnet_lst(path)
    msg = str(info.value)
    assert "bad-subnet.lst" in msg and f":{line}:" in msg and expected in msg


def test_only_comments_raises(tmp_path: Path) -> None:
    with pytest.raises(TopologyError, match="no link lines"):
        parse_subnet_lst(_write(tmp_path, "# IBDIAG\n\n# File closed\n"))
