"""``ibnetdiscover -p`` from the real tools: the ports of a dual-port HCA are grouped into
one CA (shared NodeDescription, port GUID - port number equal), with a warning that the
node GUID was inferred; single-port HCAs stay one node each."""

from __future__ import annotations

import pytest

from ibviz.core.model import NodeKind
from ibviz.topology import load
from ibviz.topology.ports_report import parse_ports_report

pytestmark = pytest.mark.realtools

SINGLE, DUAL = 40, 4


def net_text() -> str:
    """Two 36-port switches joined by one cable; 40 single-port HCAs split over them and
    4 dual-port HCAs with a port on each switch."""
    sw = {1: [], 2: []}
    cas = []
    for i in range(SINGLE):
        s = 1 + i % 2
        port = len(sw[s]) + 1
        sw[s].append(f'[{port}] "h{i}"[1]')
        cas.append(f'Hca 1 "h{i}"\n[1] "sw{s}"[{port}]\n')
    for i in range(DUAL):
        ports = []
        for s in (1, 2):
            port = len(sw[s]) + 1
            sw[s].append(f'[{port}] "d{i}"[{s}]')
            ports.append(f'[{s}] "sw{s}"[{port}]')
        cas.append(f'Hca 2 "d{i}"\n' + "\n".join(ports) + "\n")
    sw[1].append('[36] "sw2"[36]')
    sw[2].append('[36] "sw1"[36]')
    switches = "".join(f'Switch 36 "sw{s}"\n' + "\n".join(lines) + "\n\n"
                       for s, lines in sw.items())
    return switches + "\n".join(cas)


def test_dual_port_hcas_are_one_ca_each_under_the_real_tools(tmp_path):
    ibsim_process = pytest.importorskip("ibviz.backends.ibsim_process")
    try:
        ibsim_process.check_tools()
    except ibsim_process.MissingToolsError as exc:
        pytest.skip(str(exc))
    net = tmp_path / "mixed.net"
    net.write_text(net_text())
    expected = load(net, "ibsim")
    with ibsim_process.IbsimFabric(net) as sim:
        text = sim.ibnetdiscover(["-p"])
    out = tmp_path / "ports.out"
    out.write_text(text)
    got = parse_ports_report(out)
    assert got.count(NodeKind.CA) == expected.count(NodeKind.CA) == SINGLE + DUAL
    duals = {n.guid for n in expected.cas() if n.num_ports == 2}
    assert {n.guid for n in got.cas() if n.num_ports == 2} == duals
    for guid in duals:  # the inferred node GUID is ibsim's, the port GUIDs are kept
        assert {k: p.guid for k, p in got.nodes[guid].ports.items()} == {
            k: p.guid for k, p in expected.nodes[guid].ports.items()}
    inferred = [w for w in got.warnings if w.kind == "inferred-node-guid"]
    assert len(inferred) == DUAL and all("inferred" in w.message for w in inferred)
    assert len(got.links) == len(expected.links)
