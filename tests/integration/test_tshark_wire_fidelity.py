"""The two-subnets run's pcapng as tshark (Debian package tshark) decodes it: each hop at
its own nanosecond time, the LRH a router writes on the far side, ACK source GIDs."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from test_tshark_pcap import n  # noqa: I001 (shared helpers, same dir)
from test_tshark_run_pcap import frames

from ibviz.core.model import NodeKind, PortRef
from ibviz.core.sim.packet import DataPacket
from ibviz.core.sim.router import ports_by_guid, route_by_grh
from ibviz.topology.scenarios import open_session

pytestmark = pytest.mark.realtools


@pytest.fixture(scope="module")
def two_subnets(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, list[dict[str, str]]]:
    s = open_session("two-subnets")
    s.run()
    return s, frames(Path(tmp_path_factory.mktemp("pcap")), "two-subnets")


def test_each_hop_keeps_its_own_time(two_subnets) -> None:
    """One packet's four hops are 0.16 us apart: nanosecond timestamps keep them apart,
    each at its hop's departure time."""
    s, rows = two_subnets
    first = [r for r in rows if r["frame.comment"].startswith("flow a-to-b: UD seq 0 PSN 0:")]
    want = [h.t0 for h in s.hops if s.net.packets[h.pid].flow == "a-to-b"][:len(first)]
    got = [float(r["frame.time_epoch"]) * 1e6 for r in first]
    assert len(got) == 4 and len(set(got)) == 4 and got == sorted(got)
    assert all(abs(g - w) < 0.002 for g, w in zip(got, want, strict=True))



def _ports(s) -> dict[str, PortRef]:
    """'name[port]' (as frame comments write it) -> port."""
    return {f"{n.name}[{p}]": PortRef(n.guid, p) for n in s.fabric.nodes.values()
            for p in n.ports}


def _hop(row: dict[str, str]) -> tuple[str, str]:
    """(the packet's label, the hop's source) from a frame comment."""
    label, hop = row["frame.comment"].rsplit(": ", 1)
    return label, hop.split(" -> ")[0]


def _unicast_grh_frames(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [r for r in rows if r["frame.comment"].startswith("flow ")
            and r["infiniband.grh.dgid"] and not r["infiniband.grh.dgid"].startswith("ff")]


def test_routed_hops_carry_the_lrh_the_router_writes(two_subnets) -> None:
    """Past a router, a packet's frames have the LRH of the next subnet as the simulator's
    router computes it (DLID: the DGID's port, SLID: the router's egress port) and HopLmt
    one lower; before it, the sender's LRH (DLID: the router's port in its subnet)."""
    s, rows = two_subnets
    ports, fabric = _ports(s), s.fabric
    by_guid = ports_by_guid(fabric)
    router_ports = {p for p in ports.values() if fabric.node(p.node).kind is NodeKind.ROUTER}
    past: dict[str, tuple[int, int, int]] = {}
    counts = {"before": 0, "past": 0}
    for r in _unicast_grh_frames(rows):
        label, source = _hop(r)
        src = ports[source]
        got = (n(r, "infiniband.lrh.dlid"), n(r, "infiniband.lrh.slid"),
               n(r, "infiniband.grh.hoplmt"))
        if src in router_ports:  # what the simulator's router sends on: the oracle
            gid = int(ipaddress.IPv6Address(r["infiniband.grh.dgid"]))
            into = next(p for p in router_ports if p.node == src.node and p != src)
            sent = DataPacket("x", fabric.port(into).lid, got[1], 0, has_grh=True, dgid=gid)
            out, routed = route_by_grh(s.sm, sent, into, by_guid)
            assert out == src and isinstance(routed, DataPacket)
            past[label] = (routed.dlid, routed.slid, 254)
        elif fabric.node(src.node).kind is NodeKind.CA:
            past.pop(label, None)  # a new copy (retransmissions repeat the label)
        if label in past:
            assert got == past[label], r["frame.comment"]
            counts["past"] += 1
        elif any(fabric.port(p).lid == got[0] for p in router_ports):
            assert got[2] == 255, r["frame.comment"]
            counts["before"] += 1
    assert counts["past"] > 100 and counts["before"] > 100, counts


def test_routed_acks_carry_the_acknowledging_ports_gid(two_subnets) -> None:
    """An RC ACK with a GRH has the GID of the port that sent it (the responder's) as
    SGID on every hop, as a real HCA fills it (it was ``::``)."""
    s, rows = two_subnets
    ports = _ports(s)
    acks = [r for r in _unicast_grh_frames(rows) if n(r, "infiniband.bth.opcode") == 0x11]
    sgid: dict[str, str] = {}
    for r in acks:
        label, source = _hop(r)
        src = ports[source]
        if s.fabric.node(src.node).kind is NodeKind.CA:  # the acknowledging port sends it
            sgid[label] = str(ipaddress.IPv6Address(s.gid_of(src)))
        assert r["infiniband.grh.sgid"] == sgid[label] != "::", r["frame.comment"]
    assert len(acks) > 100 and len(sgid) > 20


def test_sa_joins_claim_the_qkey_and_pkey_the_data_packets_use(two_subnets) -> None:
    """Each Set MCMemberRecord's ComponentMask claims Q_Key and P_Key, and the record has
    the values the group's UD data packets carry (it had 0 and 0)."""
    _, rows = two_subnets
    joins = [r for r in rows if r["frame.comment"].startswith("SA MCMemberRecord")
             and n(r, "infiniband.mad.method") == 0x02]
    data = [r for r in rows if r["frame.comment"].startswith("flow ")
            and r["infiniband.deth.q_key"] and r["infiniband.grh.dgid"].startswith("ff")]
    assert joins and data
    qkeys = {n(r, "infiniband.deth.q_key") for r in data}
    pkeys = {n(r, "infiniband.bth.p_key") for r in data}
    for r in joins:
        assert n(r, "infiniband.sa.componentmask") & 0x84 == 0x84  # Q_Key, P_Key
        assert {n(r, "infiniband.mcmemberrecord.q_key")} == qkeys == {0x1E1E}
        assert {n(r, "infiniband.mcmemberrecord.p_key")} == pkeys == {0xFFFF}


def test_directed_routes_stay_in_the_sms_subnet(two_subnets) -> None:
    """A directed-route SMP does not cross a router: the switches of the SM's subnet past
    the first get a route (hop count > 0), the other subnet's keep hop count 0 (the model
    runs one SM for both subnets, a real fabric one per subnet)."""
    s, rows = two_subnets
    names = {node.name: node.guid for node in s.fabric.nodes.values()}
    home = s.fabric.subnet_of(s.sm.sm_port)
    seen = {True: 0, False: 0}
    for r in rows:
        if r["frame.comment"].startswith("SMP SwitchInfo to "):
            target = names[r["frame.comment"].split(" to ", 1)[1].split(":", 1)[0]]
            mine = s.fabric.subnet_of(PortRef(target, 0)) == home
            hops = n(r, "infiniband.smpdirected.hopcount")
            assert hops == (s.sm._hops_to(target) if mine else 0), r["frame.comment"]
            seen[mine] += 1
    assert seen[True] >= 2 and seen[False] >= 2
