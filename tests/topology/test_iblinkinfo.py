"""Tests for the ``iblinkinfo`` reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_file
from ibviz.core.model import NodeKind, PortRef, PortState
from ibviz.core.phy import LinkSpeed, LinkWidth
from ibviz.topology.errors import TopologyError
from ibviz.topology.iblinkinfo import parse_iblinkinfo


def _write(tmp_path: Path, text: str, name: str = "iblinkinfo.txt") -> Path:
    return write_file(tmp_path, text, name)


def _kinds(warnings: list) -> list[str]:
    return [w.kind for w in warnings]


UP = "==( 4X      25.78125 Gbps Active/  LinkUp)==>"
DOWN = '==(                Down/ Polling)==>             [  ] "" ( )'


# --------------------------------------------------------------------- real files
def test_linpack_truncated_switch(corpus: Path) -> None:
    f = parse_iblinkinfo(corpus / "linpack-iblinkinfo-sb7700-edr.excerpt.txt")
    assert f.source_format == "iblinkinfo"
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA), len(f.links)) == (1, 3, 3)
    sw = f.nodes[0x506B4B0300820910]
    assert sw.description == "MF0;SB7700:MSB7700/U1" and sw.ports[0].lid == 2
    assert sw.num_ports == 36 and sorted(sw.ports) == list(range(37))
    assert all(sw.ports[n].state is PortState.DOWN for n in range(1, 17))
    n02 = f.nodes[0xEC0D9A03003D62BE]  # keyed by its port GUID
    assert n02.description == "n02 HCA-1" and n02.ports[1].lid == 4
    link = f.link_at(PortRef(n02.guid, 1))
    assert link.other(PortRef(n02.guid, 1)) == PortRef(sw.guid, 17)
    assert (link.width, link.speed) == (LinkWidth.X4, LinkSpeed.EDR)
    # mgt links to port 36, which the (truncated) switch section never lists
    mgt = f.nodes[0x248A070300928186]
    assert f.peer(PortRef(mgt.guid, 1)) == PortRef(sw.guid, 36)
    assert sw.ports[36].state is PortState.ACTIVE and mgt.ports[1].lid == 3
    # n01 has no section: synthetic, deterministic GUID from its LID
    n01 = f.nodes[0xFFFFFF0000010000]
    assert n01.description == "n01 HCA-1" and not n01.declared and n01.kind is NodeKind.CA
    assert n01.ports[1].lid == 1 and f.peer(PortRef(n01.guid, 1)) == PortRef(sw.guid, 18)
    kinds = _kinds(f.warnings)
    assert {"truncated-section", "synthetic-guid", "port-guid-as-node-guid"} <= set(kinds)


def test_blogpost_hdr_sharp(corpus: Path) -> None:
    f = parse_iblinkinfo(corpus / "blogpost-iblinkinfo-hdr-quantum-sharp.excerpt.txt")
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA), len(f.links)) == (1, 22, 22)
    assert _kinds(f.warnings) == ["port-guid-as-node-guid"]
    sw = f.nodes[0x0C42A103008982A4]
    assert sw.num_ports == 41 and sw.ports[0].lid == 3
    assert sum(p.state is PortState.DOWN for n, p in sw.ports.items() if n) == 19
    assert all((ln.width, ln.speed) == (LinkWidth.X4, LinkSpeed.HDR) for ln in f.links.values())
    an = f.nodes[0x0C42A103008982AC]
    assert an.description == "Mellanox Technologies Aggregation Node" and an.ports[1].lid == 4
    assert f.peer(PortRef(sw.guid, 41)) == PortRef(an.guid, 1)
    # cu02 is printed after the switch section and is still matched by LID
    assert f.peer(PortRef(sw.guid, 39)) == PortRef(0xB8CEF60300025B90, 1)


# --------------------------------------------------------------------- inline quirks
FABRIC = f"""\
```
$ iblinkinfo
Switch: 0x0000000000000a00 leaf one:
           5    1[ 7] ==( 4X 10.0 Gbps (FDR10)  Active/  LinkUp)==>       9    1[  ] "host a" ( )
           5    2[  ] ==( 4X        14.0625 Gbps Active/  LinkUp) (HOQ:14 VL_Stall:7)==>       \
6    3[  ] "spine" ( Could be 25.78125 Gbps)
           5    3[  ] ==( 1X           2.5 Gbps Initialize/  LinkUp)==>       0    1[  ] \
"rtr" ( )
           5    4[  ] {DOWN}
...
           5    5[  ] ==( 4X      25.78125 Gbps Armed/  LinkUp)==>    "Port not available"
Switch: 0x0000000000000b00 spine:
           6    3[  ] ==( 4X        14.0625 Gbps Active/  LinkUp)==>       5    2[  ] \
"leaf one" ( )
CA: host a:
      0x0000000000000c01      9    1[  ] ==( 4X 10.0 Gbps (FDR10)  Active/  LinkUp)==>       5\
    1[ 7] "leaf one" ( )
      0x0000000000000c02      0    2[  ] {DOWN}
Router: rtr:
      0x0000000000000d01      0    1[  ] ==( 1X           2.5 Gbps Initialize/  LinkUp)==>\
       5    3[  ] "leaf one" ( )
```
"""


def test_inline_markdown_quote_fdr10_init_router(tmp_path: Path) -> None:
    quoted = "".join(f"> {ln}\n" for ln in FABRIC.splitlines())
    f = parse_iblinkinfo(_write(tmp_path, quoted))
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA), f.count(NodeKind.ROUTER)) == (2, 1, 1)
    assert len(f.links) == 3
    leaf, host, rtr = f.nodes[0xA00], f.nodes[0xC01], f.nodes[0xD01]
    assert leaf.description == "leaf one" and leaf.num_ports == 5 and leaf.ports[0].lid == 5
    assert leaf.ports[1].label == "7" and leaf.ports[2].label is None
    fdr10 = f.link_at(PortRef(leaf.guid, 1))
    assert fdr10.other(PortRef(leaf.guid, 1)) == PortRef(host.guid, 1)
    assert (fdr10.width, fdr10.speed) == (LinkWidth.X4, LinkSpeed.FDR10)
    assert f.link_at(PortRef(leaf.guid, 2)).speed is LinkSpeed.FDR
    assert host.num_ports == 2 and host.ports[2].guid == 0xC02 and host.ports[1].lid == 9
    assert host.ports[2].state is PortState.DOWN
    # the router has LID 0: matched by its description
    assert f.peer(PortRef(rtr.guid, 1)) == PortRef(leaf.guid, 3)
    assert f.link_at(PortRef(rtr.guid, 1)).width is LinkWidth.X1
    assert rtr.ports[1].state is PortState.INIT and leaf.ports[3].state is PortState.INIT
    assert leaf.ports[5].state is PortState.ARMED and f.peer(PortRef(leaf.guid, 5)) is None
    kinds = _kinds(f.warnings)
    assert kinds.count("link-below-capability") == 1
    assert "preamble" in kinds and "elided-lines" in kinds and "synthetic-guid" not in kinds


def test_inline_peer_switch_without_section(tmp_path: Path) -> None:
    text = (f"CA: h1:\n      0x00000000000000a1      3    1[  ] {UP}       7   10[  ] \"core\" ( )\n"
            f"CA: h2:\n      0x00000000000000a2      4    1[  ] {UP}       7   11[  ] \"core\" ( )\n")
    f = parse_iblinkinfo(_write(tmp_path, text))
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA), len(f.links)) == (1, 2, 2)
    core = f.nodes[0xFFFFFF0000070000]  # one synthetic switch for LID 7, both cables on it
    assert core.kind is NodeKind.SWITCH and core.ports[0].lid == 7 and core.num_ports == 11
    assert _kinds(f.warnings).count("synthetic-guid") == 1


def test_inline_one_sided_and_conflict(tmp_path: Path) -> None:
    text = (f"Switch: 0x0000000000000001 s1:\n           1    1[  ] {UP}       2    1[  ] \"s2\" ( )\n"
            f"           1    2[  ] {UP}       2    1[  ] \"s2\" ( )\n"
            f"Switch: 0x0000000000000002 s2:\n           2    1[  ] {DOWN}\n")
    f = parse_iblinkinfo(_write(tmp_path, text))
    assert len(f.links) == 1 and f.peer(PortRef(1, 1)) == PortRef(2, 1)
    assert {"conflicting-cable", "one-sided-cable"} <= set(_kinds(f.warnings))


@pytest.mark.parametrize(("text", "line", "expected"), [
    ("Switch: 0x01 s:\n           1    1[  ] ==( 4X 25.78125 Gbps Active/ LinkUp)==>"
     "  2 1[  ] \"x\" ( )\nnot a port line\n", 3, "a node header"),
    ("CA: h:\n           1    1[  ] " + DOWN + "\n", 2, "the port GUID (0x...)"),
    ("Switch: 0x01 s:\n      0x0000000000000001      1    1[  ] " + DOWN + "\n", 2,
     "no GUID on switch port lines"),
    ("Switch: 0x01 s:\n           1    1[  ] ==( 4X 25.78125 Gbps Sleeping/ LinkUp)==>"
     "  2 1[  ] \"x\" ( )\n", 2, "WIDTH SPEED STATE/PHYSSTATE"),
    ("Switch: 0x01 s:\n           1    1[  ] ==( 4X 26.0 Gbps Active/ LinkUp)==>"
     "  2 1[  ] \"x\" ( )\n", 2, "25.78125, 53.125"),
    ("Switch: 0x01 s:\n           1    1[  ] ==( 4X 25.78125 Gbps Active/ LinkUp)==>"
     "  2 1 \"x\"\n", 2, "LID PORT[ext] \"description\""),
    ('0x0000000000000001 "                         host" 1 1[  ] ==( 4X)==> ...\n', 1,
     "the default iblinkinfo output with node headers"),
    ("Switch: 0x01 s:\n           1    0[  ] " + DOWN + "\n", 2, "a port number 1-255"),
    ("Switch: 0x01 s:\n           1    1[  ] " + UP + "  2    0[  ] \"x\" ( )\n", 2,
     "a port number 1-255"),
    ("Switch: 0x0 s:\n           1    1[  ] " + DOWN + "\n", 1, "a non-zero GUID"),
    ("just some text\n", 1, "'Switch: 0xGUID name:' or 'CA: name:' headers"),
])
def test_malformed_input_raises(tmp_path: Path, text: str, line: int, expected: str) -> None:
    path = _write(tmp_path, text, "bad-linkinfo.txt")
    with pytest.raises(TopologyError) as info:
        parse_iblinkinfo(path)
    msg = str(info.value)
    assert "bad-linkinfo.txt" in msg and f":{line}" in msg and expected in msg


def test_undefined_speed_is_kept_unknown(tmp_path: Path) -> None:
    text = ("Switch: 0x01 s:\n           1    1[  ] ==( 4X undefined (64) Active/ LinkUp)==>"
            "  2 1[  ] \"x\" ( )\n")
    f = parse_iblinkinfo(_write(tmp_path, text))
    link = f.link_at(PortRef(1, 1))
    assert link.width is LinkWidth.X4 and link.speed is None
    assert "unknown-speed" in _kinds(f.warnings)
