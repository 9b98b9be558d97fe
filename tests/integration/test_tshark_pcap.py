"""ibviz's packet encoder and pcapng writer against the real tshark (Wireshark 4.0).

Debian package: ``tshark``. A pcapng with link type ERF (197), one ERF INFINIBAND record per
packet, is decoded by tshark and every field is compared with what ibviz encoded. Wireshark
4.0 shows but does not verify ICRC/VCRC, so the CRC fields are compared with ibviz's values
only (the CRC rules themselves are tested in tests/core/test_packets.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ibviz.core.model import PortRef
from ibviz.core.packets import (
    OP_RC_SEND_ONLY,
    OP_UD_SEND_ONLY,
    Bth,
    Deth,
    Grh,
    IbPacket,
    Lrh,
    PcapWriter,
    encode,
    mad_packet,
)
from ibviz.core.packets.smp import mad_bytes
from ibviz.core.sm.mad_codec import encode_mcmember_mad
from ibviz.core.sm.mads import SMP_CLASS, Mad
from ibviz.core.sm.records import McMemberRecord

pytestmark = pytest.mark.realtools

MGID = 0xFF12_601B_FFFF << 80 | 1
PORT_GID = 0xFE80 << 112 | 0x0002_C903_0000_1001
FIELDS = [
    "frame.number", "frame.time_epoch", "frame.comment", "erf.types.type", "infiniband.lrh.vl",
    "infiniband.lrh.sl", "infiniband.lrh.lnh", "infiniband.lrh.dlid", "infiniband.lrh.pktlen",
    "infiniband.lrh.slid", "infiniband.grh.paylen", "infiniband.grh.nxthdr",
    "infiniband.grh.hoplmt", "infiniband.grh.sgid", "infiniband.grh.dgid",
    "infiniband.bth.opcode", "infiniband.bth.padcnt", "infiniband.bth.p_key",
    "infiniband.bth.destqp", "infiniband.bth.psn", "infiniband.deth.q_key",
    "infiniband.deth.srcqp", "infiniband.mad.mgmtclass", "infiniband.mad.method",
    "infiniband.mad.attributeid", "infiniband.mad.attributemodifier",
    "infiniband.smpdirected.hopcount", "infiniband.smpdirected.initialpath",
    "infiniband.switchinfo.linearfdbtop",
    "infiniband.switchinfo.defaultmulticastprimaryport",
    "infiniband.switchinfo.defaultmulticastnotprimaryport",
    "infiniband.mcmemberrecord.mgid", "infiniband.mcmemberrecord.portgid",
    "infiniband.mcmemberrecord.mlid", "infiniband.mcmemberrecord.joinstate",
    "infiniband.mcmemberrecord.q_key", "infiniband.mcmemberrecord.p_key",
    "infiniband.multicastforwardingtable.portmask", "infiniband.invariant.crc",
    "infiniband.variant.crc", "infiniband.sa.componentmask", "_ws.malformed",
    "_ws.expert.severity",
]


def _tshark() -> str:
    path = shutil.which("tshark")
    if path is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "tshark"], env=env, capture_output=True,
                       timeout=600, check=False)
        path = shutil.which("tshark")
    if path is None:
        pytest.skip("tshark is not installed and could not be installed (Debian: tshark)")
    return path


def _smp(attr: str, modifier: int, reason: str, **fields: object) -> Mad:
    return Mad(SMP_CLASS, 0x02, attr, modifier, PortRef(1, 1), PortRef(2, 0), 0.0, 1.0,
               reason, 0, dict(fields))


def _packets() -> list[tuple[float, IbPacket, str]]:
    ud = IbPacket(
        lrh=Lrh(sl=2, dlid=0xC001, slid=0xC001),
        grh=Grh(sgid=PORT_GID, dgid=MGID, hop_limit=1),
        bth=Bth(opcode=OP_UD_SEND_ONLY, pkey=0xFFFF, dest_qp=0xFFFFFF, psn=77),
        deth=Deth(qkey=0x0B1B, src_qp=0x48), payload=b"multicast data!")
    rc = IbPacket(lrh=Lrh(dlid=0x0005, slid=0x0003),
                  bth=Bth(opcode=OP_RC_SEND_ONLY, pkey=0x8001, dest_qp=0x000123, psn=0xABCDEF,
                          ack_req=True), payload=bytes(range(32)))
    si = mad_packet(mad_bytes(_smp("SwitchInfo", 0, "", default_mcast_primary_port=2,
                                   default_mcast_not_primary_port=3, linear_fdb_top=9),
                              tid=0x1001, path=[1]), dlid=0xFFFF, slid=0xFFFF)
    rec = McMemberRecord(mgid=MGID, port_gid=PORT_GID, qkey=0x0B1B, mlid=0xC001,
                         pkey=0xFFFF, join_state=1)
    sa = mad_packet(encode_mcmember_mad(0x02, rec, 0x130C7, tid=0x2002), dlid=1, slid=5,
                    dest_qp=1)
    mft = mad_packet(mad_bytes(_smp("MulticastForwardingTable", 0, "", mlid=0xC001,
                                    ports=[1, 4]), tid=0x3003), dlid=0xFFFF, slid=0xFFFF)
    return [(10.0, ud, "mode 1: takeover sends"), (12.5, rc, "rc to unicast lid"),
            (20.0, si, "mode 2: remap primary port"), (30.0, sa, "mode 1: takeover join"),
            (41.0, mft, "mft block 0")]


def n(row: dict[str, str], key: str) -> int:
    """tshark prints decimal or 0x-hex depending on the field's display base."""
    return int(row[key], 0)


def _run(tshark: str, path: Path) -> list[dict[str, str]]:
    cmd = [tshark, "-r", str(path), "-T", "fields", "-E", "header=y", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    lines = out.splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, line.split("\t"), strict=True)) for line in lines[1:]]


def test_tshark_decodes_every_field(tmp_path: Path) -> None:
    tshark = _tshark()
    path = tmp_path / "ibviz.pcapng"
    packets = _packets()
    raws = [encode(p) for _, p, _ in packets]
    with PcapWriter(path) as w:
        for (t, _, why), raw in zip(packets, raws, strict=True):
            w.write(t, raw, why)
    rows = _run(tshark, path)
    assert len(rows) == 5
    for row, (t, p, why), raw in zip(rows, packets, raws, strict=True):
        fp = p.finalized()
        assert row["frame.comment"] == why
        assert abs(float(row["frame.time_epoch"]) * 1e6 - t) <= 0.5
        assert row["erf.types.type"] == "21"
        assert n(row, "infiniband.lrh.dlid") == p.lrh.dlid
        assert n(row, "infiniband.lrh.slid") == p.lrh.slid
        assert n(row, "infiniband.lrh.vl") == p.lrh.vl
        assert n(row, "infiniband.lrh.sl") == p.lrh.sl
        assert n(row, "infiniband.lrh.lnh") == fp.lrh.lnh
        assert n(row, "infiniband.lrh.pktlen") == fp.lrh.pktlen == (len(raw) - 2) // 4
        assert n(row, "infiniband.bth.opcode") == p.bth.opcode
        assert n(row, "infiniband.bth.destqp") == p.bth.dest_qp
        assert n(row, "infiniband.bth.psn") == p.bth.psn
        assert n(row, "infiniband.bth.p_key") == p.bth.pkey
        assert n(row, "infiniband.bth.padcnt") == fp.bth.padcnt
        if p.bth.dest_qp != 1:  # Wireshark 4.0's SA (GSI) branch does not show the CRCs
            assert n(row, "infiniband.invariant.crc") == int.from_bytes(raw[-6:-2], "big")
            assert n(row, "infiniband.variant.crc") == int.from_bytes(raw[-2:], "big")
        assert row["_ws.malformed"] == "" and row["_ws.expert.severity"] in ("", "1048576")
        if p.deth is not None:
            assert n(row, "infiniband.deth.q_key") == p.deth.qkey
            assert n(row, "infiniband.deth.srcqp") == p.deth.src_qp

    ud, rc, si, sa, mft = rows
    assert ud["infiniband.bth.destqp"] == "0xffffff"
    assert ud["infiniband.grh.dgid"] == "ff12:601b:ffff::1"
    assert ud["infiniband.grh.sgid"] == "fe80::2:c903:0:1001"
    assert n(ud, "infiniband.grh.paylen") == len(raws[0]) - 2 - 48
    assert (ud["infiniband.grh.nxthdr"], ud["infiniband.grh.hoplmt"]) == ("27", "1")
    assert rc["infiniband.grh.dgid"] == "" and rc["infiniband.mad.mgmtclass"] == ""

    assert (si["infiniband.mad.mgmtclass"], si["infiniband.mad.method"]) == ("0x81", "0x02")
    assert si["infiniband.mad.attributeid"] == "0x0012"
    assert si["infiniband.smpdirected.hopcount"] == "0x01"
    assert n(si, "infiniband.switchinfo.defaultmulticastprimaryport") == 2
    assert n(si, "infiniband.switchinfo.defaultmulticastnotprimaryport") == 3
    assert n(si, "infiniband.switchinfo.linearfdbtop") == 9

    assert (sa["infiniband.mad.mgmtclass"], sa["infiniband.mad.method"]) == ("0x03", "0x02")
    assert sa["infiniband.mad.attributeid"] == "0x0038"
    assert sa["infiniband.mcmemberrecord.mgid"] == "ff12:601b:ffff::1"
    assert sa["infiniband.mcmemberrecord.portgid"] == "fe80::2:c903:0:1001"
    assert n(sa, "infiniband.mcmemberrecord.mlid") == 0xC001
    assert n(sa, "infiniband.mcmemberrecord.joinstate") == 1
    assert n(sa, "infiniband.mcmemberrecord.q_key") == 0x0B1B

    assert mft["infiniband.mad.attributeid"] == "0x001b"
    assert n(mft, "infiniband.mad.attributemodifier") == 0
    # Wireshark 4.0 shows only the first 16 of the block's 32 port masks
    masks = [int(m, 16) for m in mft["infiniband.multicastforwardingtable.portmask"].split(",")]
    assert masks == [0, 0b10010] + [0] * 14
