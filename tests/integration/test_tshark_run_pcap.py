"""``ibviz run --pcap`` opened with the real tshark (Debian package tshark): the frames of
a FIG. 10 failover and of an RC run decode to the fields the simulator used."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tshark_pcap import _run, _tshark, n  # noqa: I001 (shared helpers, same dir)

from ibviz.cli.main import main
from ibviz.core.addressing import MULTICAST_QPN
from ibviz.core.model import PortRef

pytestmark = pytest.mark.realtools


def frames(tmp_path: Path, scenario: str) -> list[dict[str, str]]:
    path = tmp_path / f"{scenario}.pcapng"
    assert main(["run", scenario, "--pcap", str(path)]) == 0
    return _run(_tshark(), path)


def test_port_remap_run_decodes_with_switchinfo_and_mcmember_records(tmp_path, capsys):
    from ibviz.topology.scenarios import open_session

    s = open_session("fig10")
    s.run()
    mlid = s.controller.mlids["svc"]
    rows = frames(tmp_path, "fig10")
    capsys.readouterr()
    assert not any(r["_ws.malformed"] for r in rows)
    data = [r for r in rows if r["frame.comment"].startswith("flow requests:")]
    assert len(data) == len(s.hops)
    sender_lid = s.fabric.port(s.port_of(s.controller.groups["svc"].senders[0])).lid
    for r in data[:20]:
        assert n(r, "infiniband.lrh.dlid") == mlid and n(r, "infiniband.lrh.slid") == sender_lid
        assert n(r, "infiniband.bth.opcode") == 0x64
        assert n(r, "infiniband.bth.destqp") == MULTICAST_QPN
        assert r["infiniband.grh.dgid"] == "ff15::1:10"  # the MGID
    switch = s.fabric.nodes[s.controller.groups["svc"].switch].name
    remaps = [r for r in rows if r["frame.comment"] == f"SMP SwitchInfo to {switch}: mode 2: "
              "primary multicast port"]
    assert [n(r, "infiniband.switchinfo.defaultmulticastprimaryport") for r in remaps] == [2]
    back = [r for r in rows if "mode 2 failback" in r["frame.comment"]]
    assert n(back[0], "infiniband.switchinfo.defaultmulticastprimaryport") == 1
    joins = [r for r in rows if r["frame.comment"].startswith("SA MCMemberRecord")]
    assert joins and all(r["infiniband.mcmemberrecord.mgid"] == "ff15::1:10" for r in joins)
    assert {n(r, "infiniband.mcmemberrecord.joinstate") for r in joins} == {1, 8}
    assert {n(r, "infiniband.mcmemberrecord.mlid") for r in joins} == {mlid}
    times = [float(r["frame.time_epoch"]) for r in rows]
    assert times == sorted(times)


def test_rc_run_decodes_psns_and_acks(tmp_path, capsys):
    rows = frames(tmp_path, "rc-unicast-group-lid")
    capsys.readouterr()
    rpc = [r for r in rows if r["frame.comment"].startswith("flow rpc: ")]
    acks = [r for r in rows if r["frame.comment"].startswith("flow rpc/ack: ")]
    assert {n(r, "infiniband.lrh.dlid") for r in rpc} == {0x100}
    assert {n(r, "infiniband.bth.opcode") for r in rpc} == {0x04}
    assert {n(r, "infiniband.bth.opcode") for r in acks} == {0x11}
    psns = [n(r, "infiniband.bth.psn") for r in rpc if "sender[1] ->" in r["frame.comment"]]
    assert psns[:5] == [0, 1, 2, 3, 4] and len(psns) > 200  # retransmissions repeat PSNs


def test_smps_name_their_target_and_follow_a_directed_route_to_it(tmp_path, capsys):
    """Every SMP's comment names the node it goes to; its hop count is the SM's hop count
    to that node and its initial path, port by port from the SM's node, ends there."""
    from ibviz.topology.scenarios import open_session

    s = open_session("prior-art-lmc")
    s.run()
    rows = frames(tmp_path, "prior-art-lmc")
    capsys.readouterr()
    fabric = s.fabric
    names = {node.name: node.guid for node in fabric.nodes.values()}
    smps = [r for r in rows if r["frame.comment"].startswith("SMP ")]
    assert smps and all(r["infiniband.smpdirected.hopcount"] for r in smps)
    far = 0
    for r in smps:
        target = names[r["frame.comment"].split(" to ", 1)[1].split(":", 1)[0]]
        hops = n(r, "infiniband.smpdirected.hopcount")
        assert hops == s.sm._hops_to(target), r["frame.comment"]
        path = bytes.fromhex(r["infiniband.smpdirected.initialpath"])[1:hops + 1]
        node = s.sm.sm_port.node
        for port in path:
            peer = fabric.peer(PortRef(node, port))
            assert peer is not None, r["frame.comment"]
            node = peer.node
        assert node == target, r["frame.comment"]
        far += hops > 0
    assert far > 5
