"""ibsim net files as ibsim 0.10 reads them (``sim_net.c``): ``caguid=``/``switchguid=``
bases are net-wide and stay until the next such line (``+N`` is relative to the last
absolute base), ``devid=`` holds for every later node, ``vendid=`` and ``sysimgguid=`` for
the next node only, and ``width=``/``speed=``/``extspeed=`` set the enabled masks of the
nodes declared after them. The file is loaded by the real ibsim and discovered by the
real ibnetdiscover: the GUIDs, IDs and link speeds equal what ibviz's reader gives."""

from __future__ import annotations

import pytest

from ibviz.core.phy import LinkSpeed
from ibviz.topology import load
from ibviz.topology.ibnetdiscover import parse_ibnetdiscover

NET = """\
caguid=0x0002c90300a00000
vendid=0x2c9
devid=0xc738
switchguid=0x0002c90200b00000
Switch 8 "sw1"
[1] "h1"[1]
[2] "h2"[1]
[3] "sw2"[3]
[4] "h4"[1]

sysimgguid=0x0002c90300c00000
speed=7
extspeed=2
Switch 8 "sw2"
[1] "h3"[1]
[3] "sw1"[3]
[4] "h5"[1]

Hca 1 "h1"
[1] "sw1"[1]

vendid=0x119f
Hca 2 "h2"
[1] "sw1"[2]

caguid+0x100
Hca 1 "h3"
[1] "sw2"[1]

switchguid=0x0002c90200b00100
width=3
Hca 1 "h4"
[1] "sw1"[4]

extspeed=0
Hca 1 "h5"
[1] "sw2"[4]
"""
# What the real ibsim 0.10 + ibnetdiscover 44 report for NET: description -> (node GUID,
# vendor ID, system image GUID); every node has device ID 0xc738.
REAL = {
    "sw1": (0x2C90200B00000, 0x2C9, 0x2C90200B00000),
    "sw2": (0x2C90200B00001, 0x0, 0x2C90300C00000),
    "h1": (0x2C90300A00000, 0x0, 0x2C90300A00000),
    "h2": (0x2C90300A00002, 0x119F, 0x2C90300A00002),
    "h3": (0x2C90300A00100, 0x0, 0x2C90300A00100),
    "h4": (0x2C90300A00102, 0x0, 0x2C90300A00102),
    "h5": (0x2C90300A00104, 0x0, 0x2C90300A00104),
}
REAL_SPEEDS = {("sw2", "h3"): LinkSpeed.EDR, ("sw2", "h5"): LinkSpeed.QDR}  # others SDR


def facts(fabric):
    nodes = {n.description: (n.guid, n.vendor_id, n.system_guid) for n in fabric.nodes.values()}
    ports = {(n.description, k): p.guid for n in fabric.nodes.values()
             for k, p in n.ports.items() if p.guid and (k == 0 or not n.is_switch)}
    speeds = {}
    for link in fabric.links.values():
        a, b = (fabric.nodes[e.node].description for e in (link.a, link.b))
        speeds[tuple(sorted((a, b), key=lambda d: (not d.startswith("sw"), d)))] = link.speed
    devids = {n.device_id for n in fabric.nodes.values()}
    return nodes, ports, speeds, devids


def test_ibviz_reads_the_keys_as_ibsim_does(tmp_path):
    path = tmp_path / "keys.net"
    path.write_text(NET)
    nodes, ports, speeds, devids = facts(load(path, "ibsim"))
    assert nodes == REAL and devids == {0xC738}
    assert ports[("h2", 1)] == 0x2C90300A00003 and ports[("h3", 1)] == 0x2C90300A00101
    assert {k: v for k, v in speeds.items() if v is not LinkSpeed.SDR} == REAL_SPEEDS


@pytest.mark.realtools
def test_the_real_ibsim_and_ibnetdiscover_give_the_same_guids(tmp_path):
    ibsim_process = pytest.importorskip("ibviz.backends.ibsim_process")
    try:
        ibsim_process.check_tools()
    except ibsim_process.MissingToolsError as exc:
        pytest.skip(str(exc))
    path = tmp_path / "keys.net"
    path.write_text(NET)
    with ibsim_process.IbsimFabric(path) as sim:
        text = sim.ibnetdiscover()
    theirs = parse_ibnetdiscover(tmp_path / "x.out", lines=text.splitlines())
    assert facts(theirs) == facts(load(path, "ibsim"))
    assert facts(theirs)[0] == REAL
