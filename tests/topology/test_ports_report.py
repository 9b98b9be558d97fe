"""Tests for the ``ibnetdiscover -p`` (ports report) reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_file
from ibviz.core.model import NodeKind, PortRef, PortState
from ibviz.core.phy import LinkSpeed, LinkWidth
from ibviz.topology.errors import TopologyError
from ibviz.topology.ports_report import parse_ports_report


def _write(tmp_path: Path, text: str, name: str = "ports.out") -> Path:
    return write_file(tmp_path, text, name)


def _kinds(warnings: list) -> list[str]:
    return [w.kind for w in warnings]


# --------------------------------------------------------------------- real files
def test_treydock_edr(corpus: Path) -> None:
    f = parse_ports_report(corpus / "treydock-ibnetdiscover-p-edr.out")
    assert f.source_format == "ibnetdiscover-ports"
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA), len(f.links)) == (4, 3, 4)
    sw = f.nodes[0x7CFE9003009CE5B0]
    assert sw.description == "ib-i1l1s01" and sw.ports[0].lid == 1719
    assert sw.num_ports == 11  # highest port seen
    ca = f.nodes[0x7CFE9003003B4BDE]  # keyed by its port GUID
    assert ca.kind is NodeKind.CA and ca.description == "o0001 HCA-1"
    assert ca.ports[1].lid == 134 and ca.ports[1].guid == 0x7CFE9003003B4BDE
    assert ca.ports[1].state is PortState.ACTIVE
    link = f.link_at(PortRef(ca.guid, 1))
    assert link is not None and link.other(PortRef(ca.guid, 1)) == PortRef(sw.guid, 10)
    assert (link.width, link.speed) == (LinkWidth.X4, LinkSpeed.EDR)
    # unconnected ports: the port exists, DOWN, and the node is kept
    s2052 = f.nodes[0x506B4B03005C2740]
    assert s2052.num_ports == 37 and s2052.ports[37].state is PortState.DOWN
    lonely = f.nodes[0x08C0EB0300ADD20E]
    assert lonely.num_ports == 80 and lonely.ports[0].lid == 1781
    assert lonely.description == "ib-i7l2s01" and f.peer(PortRef(lonely.guid, 80)) is None
    # a switch seen only as a peer (trimmed extract)
    peer_only = f.nodes[0x7CFE900300B07320]
    assert not peer_only.declared and peer_only.ports[0].lid == 1516
    assert peer_only.description == "ib-i1l2s01"
    kinds = _kinds(f.warnings)
    assert kinds.count("port-guid-as-node-guid") == 1
    assert "undeclared-node" in kinds


def test_treydock_hdr_sharp_spaces_and_conflict(corpus: Path) -> None:
    f = parse_ports_report(corpus / "treydock-ibnetdiscover-p-hdr-sharp.out")
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA), len(f.links)) == (5, 2, 2)
    assert f.nodes[0x946DAE0300618C82].description == "5FB0406-spine-IB01 "
    assert f.nodes[0x946DAE0300618C83].description == " 5FB0406-spine-IB02 "
    assert f.nodes[0x946DAE030053EC1A].description == " 5FB0406-spine-IB03 "
    assert f.nodes[0x946DAE0300630BF6].description == "5FB0405-leaf-IB01 "
    an = f.nodes[0x946DAE0300630BFE]
    assert an.description == "Mellanox Technologies Aggregation Node"
    assert an.ports[1].lid == 78  # reported with 78 and with 60: first kept, warned
    assert f.peer(PortRef(an.guid, 1)) == PortRef(0x946DAE0300630BF6, 81)
    assert f.link_at(PortRef(an.guid, 1)).speed is LinkSpeed.HDR
    kinds = _kinds(f.warnings)
    assert "lid-mismatch" in kinds and "conflicting-cable" in kinds
    assert f.nodes[0x0002C9020040F160].description == "Infiniscale-IV Mellanox Technologies"


def test_treydock_unquoted(corpus: Path) -> None:
    f = parse_ports_report(corpus / "treydock-ibnetdiscover-p-unquoted.out")
    (node,) = f.nodes.values()
    assert node.guid == 0x0002C9020040F161 and node.kind is NodeKind.SWITCH
    assert node.description == "Infiniscale-IV Mellanox Technologies"
    assert node.num_ports == 22 and node.ports[0].lid == 479
    assert "unquoted-description" in _kinds(f.warnings)


# --------------------------------------------------------------------- inline quirks
TWO_ENDS = (
    "CA    12  2 0x0002c90300a1b2c2 4x FDR10 - SW     3  5 0x0002c90300000001 "
    "( 'node1 HCA-1' - ' sw one ' )\n"
    "SW     3  5 0x0002c90300000001 4x FDR10 - CA    12  2 0x0002c90300a1b2c2 "
    "( ' sw one ' - 'node1 HCA-1' )\n"
    "SW     3  6 0x0002c90300000001 1x SDR - RT     7  1 0x0002c90300000777 "
    "( ' sw one ' - 'router' )\n"
    "RT     7  1 0x0002c90300000777 1x SDR - SW     3  6 0x0002c90300000001 "
    "( 'router' - ' sw one ' )\n"
)


def test_inline_two_ends_ca_port2_router(tmp_path: Path) -> None:
    f = parse_ports_report(_write(tmp_path, TWO_ENDS))
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA), f.count(NodeKind.ROUTER)) == (1, 1, 1)
    assert len(f.links) == 2
    ca = f.nodes[0x0002C90300A1B2C2]
    assert ca.num_ports == 2 and ca.ports[2].lid == 12 and ca.ports[2].guid == ca.guid
    assert ca.ports[2].state is PortState.ACTIVE and ca.ports[1].state is PortState.DOWN
    sw = f.nodes[0x0002C90300000001]
    assert sw.description == " sw one " and sw.num_ports == 6 and sw.ports[0].lid == 3
    link = f.link_at(PortRef(sw.guid, 5))
    assert (link.width, link.speed) == (LinkWidth.X4, LinkSpeed.FDR10)
    assert f.link_at(PortRef(sw.guid, 6)).width is LinkWidth.X1
    assert "one-sided-cable" not in _kinds(f.warnings)


def test_inline_lid0_peer_is_init(tmp_path: Path) -> None:
    text = ("SW     3  1 0x0000000000000001 4x HDR - SW     0  1 0x0000000000000002 "
            "( 'a' - 'b' )\n")
    f = parse_ports_report(_write(tmp_path, text))
    assert f.nodes[1].ports[1].state is PortState.ACTIVE
    assert f.nodes[2].ports[1].state is PortState.INIT


def test_inline_unknown_speed_on_cable_is_warned(tmp_path: Path) -> None:
    text = ("SW     3  1 0x0000000000000001 4x ??? - SW     4  1 0x0000000000000002 "
            "( 'a' - 'b' )\n")
    f = parse_ports_report(_write(tmp_path, text))
    link = next(iter(f.links.values()))
    assert link.width is LinkWidth.X4 and link.speed is None
    assert "unknown-speed" in _kinds(f.warnings)


def test_inline_one_sided_and_speed_mismatch(tmp_path: Path) -> None:
    text = ("SW     3  1 0x0000000000000001 4x EDR - SW     4  1 0x0000000000000002 "
            "( 'a' - 'b' )\n"
            "SW     4  1 0x0000000000000002 4x HDR - SW     3  1 0x0000000000000001 "
            "( 'b' - 'a' )\n"
            "SW     4  2 0x0000000000000002 4x HDR - SW     3  2 0x0000000000000001 "
            "( 'b' - 'a' )\n")
    f = parse_ports_report(_write(tmp_path, text))
    assert f.link_at(PortRef(1, 1)).speed is LinkSpeed.EDR  # the slower end wins
    kinds = _kinds(f.warnings)
    assert "link-mismatch" in kinds and "one-sided-cable" in kinds


@pytest.mark.parametrize(("text", "line", "expected"), [
    ("SW     3  1 0x0000000000000001 4x EDR                                    'a'\n"
     "this is not a port line\n", 2, "TYPE LID PORT 0xGUID WIDTH SPEED"),
    ("XX     3  1 0x0000000000000001 4x EDR                                    'a'\n",
     1, "TYPE LID PORT 0xGUID"),
    ("??     3  1 0x0000000000000001 4x EDR                                    'a'\n",
     1, "CA, SW or RT"),
    ("SW     3  1 0x0000000000000001 5x EDR                                    'a'\n",
     1, "1x, 2x, 4x, 8x, 12x"),
    ("SW     3  1 0x0000000000000001 4x ZDR                                    'a'\n",
     1, "SDR, DDR, QDR"),
    ("SW     3  0 0x0000000000000001 4x EDR                                    'a'\n",
     1, "a port number 1-255"),
    ("SW     3  1 0x0000000000000001 4x EDR - SW     4  0 0x0000000000000002 "
     "( 'a' - 'b' )\n", 1, "a port 1-255"),
    ("SW     3  1 0x0000000000000000 4x EDR                                    'a'\n",
     1, "a non-zero GUID"),
    ("SW     3  1 0x0000000000000001 4x EDR - SW 4 1 0x02 'a' - 'b'\n", 1,
     "( 'local desc' - 'peer desc' )"),
])
def test_malformed_lines_raise(tmp_path: Path, text: str, line: int, expected: str) -> None:
    path = _write(tmp_path, text, "bad-ports.out")
    with pytest.raises(TopologyError) as info:
        parse_ports_report(path)
    msg = str(info.value)
    assert "bad-ports.out" in msg and f":{line}" in msg and expected in msg
    assert info.value.line == line


def test_empty_file_raises(tmp_path: Path) -> None:
    with pytest.raises(TopologyError, match="no port lines"):
        parse_ports_report(_write(tmp_path, "\n\n"))


def test_same_guid_two_kinds_raises(tmp_path: Path) -> None:
    text = ("SW     3  1 0x0000000000000001 4x EDR - CA     4  1 0x0000000000000001 "
            "( 'a' - 'b' )\n")
    with pytest.raises(TopologyError, match="one node type per GUID"):
        parse_ports_report(_write(tmp_path, text))


def test_lines_argument_is_used(tmp_path: Path) -> None:
    lines = ["SW     3  4 0x0000000000000009 4x SDR                                    'x'"]
    f = parse_ports_report(tmp_path / "never-read.out", lines)
    assert f.nodes[9].num_ports == 4 and f.nodes[9].description == "x"
    assert f.source == str(tmp_path / "never-read.out")


# ------------------------------------------------------------- multi-port CA grouping
GROUPING = """\
CA     5  1 0x0002c90300001001 4x QDR - SW     1  1 0x0002c90200000001 ( 'node1 HCA-1' - 'sw' )
CA     6  2 0x0002c90300001002 4x QDR - SW     1  2 0x0002c90200000001 ( 'node1 HCA-1' - 'sw' )
CA     7  1 0x0002c90300002001 4x QDR - SW     1  3 0x0002c90200000001 ( 'node2 HCA-1' - 'sw' )
CA     8  2 0x0002c90300003002 4x QDR - SW     1  4 0x0002c90200000001 ( 'node2 HCA-1' - 'sw' )
CA     9  1 0x0002c90300004001 4x QDR - SW     1  5 0x0002c90200000001 ( 'node3 HCA-1' - 'sw' )
CA    10  2 0x0002c90300004002 4x QDR - SW     1  6 0x0002c90200000001 ( 'node4 HCA-1' - 'sw' )
"""


def test_ports_of_one_ca_are_grouped_only_with_shared_description_and_base(tmp_path):
    f = parse_ports_report(_write(tmp_path, GROUPING))
    node1 = f.nodes[0x0002C90300001000]  # ports 1 and 2: same description, same base
    assert node1.num_ports == 2 and node1.description == "node1 HCA-1"
    assert {k: p.guid for k, p in node1.ports.items()} == {1: 0x0002C90300001001,
                                                           2: 0x0002C90300001002}
    assert [p.lid for p in node1.lid_ports()] == [5, 6]
    assert f.count(NodeKind.CA) == 5  # node2 (bases differ), node3/node4 (descriptions) stay
    inferred = [w for w in f.warnings if w.kind == "inferred-node-guid"]
    assert len(inferred) == 1 and "node1 HCA-1" in inferred[0].message and inferred[0].line == 1
    assert f.peer(PortRef(node1.guid, 2)) == PortRef(0x0002C90200000001, 2)
