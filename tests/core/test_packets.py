"""Wire-level packet codec: round trips, CRCs, SMP/SA MAD layouts, the pcapng writer."""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibviz.core.model import PortRef
from ibviz.core.packets import (
    OP_RC_ACK,
    OP_RC_SEND_ONLY,
    OP_UC_SEND_ONLY,
    OP_UD_SEND_ONLY,
    Aeth,
    Bth,
    Deth,
    Grh,
    IbPacket,
    Lrh,
    PacketDecodeError,
    PcapWriter,
    decode,
    encode,
    mad_packet,
    vcrc,
)
from ibviz.core.packets.codec import icrc
from ibviz.core.packets.smp import decode_dr_smp, mad_bytes, mft_mads
from ibviz.core.sm.mad_codec import decode_sa_mad
from ibviz.core.sm.mads import SA_CLASS, SMP_CLASS, Mad


def u(bits: int) -> st.SearchStrategy[int]:
    return st.integers(0, (1 << bits) - 1)


lrhs = st.builds(Lrh, vl=u(4), lver=u(4), sl=u(4), dlid=u(16), slid=u(16))
grhs = st.builds(Grh, sgid=u(128), dgid=u(128), ipver=u(4), tclass=u(8), flow_label=u(20),
                 nxthdr=u(8), hop_limit=u(8))


@st.composite
def packets(draw: st.DrawFn) -> IbPacket:
    opcode = draw(st.sampled_from([OP_RC_SEND_ONLY, OP_RC_ACK, OP_UC_SEND_ONLY,
                                   OP_UD_SEND_ONLY, 0x10, 0x00, 0x2A]))
    bth = Bth(opcode=opcode, se=draw(st.booleans()), migreq=draw(st.booleans()),
              tver=draw(u(4)), pkey=draw(u(16)), dest_qp=draw(u(24)),
              ack_req=draw(st.booleans()), psn=draw(u(24)))
    return IbPacket(
        lrh=draw(lrhs), bth=bth, grh=draw(st.none() | grhs),
        deth=Deth(draw(u(32)), draw(u(24))) if opcode == OP_UD_SEND_ONLY else None,
        aeth=Aeth(draw(u(8)), draw(u(24))) if opcode in (OP_RC_ACK, 0x10) else None,
        payload=draw(st.binary(max_size=600)))


@given(packets())
@settings(max_examples=300, deadline=None)
def test_round_trip(packet: IbPacket) -> None:
    raw = encode(packet)
    assert len(raw) == packet.wire_size and len(raw) % 4 == 2
    assert decode(raw) == packet.finalized()


@given(packets(), st.data())
@settings(max_examples=100, deadline=None)
def test_any_bit_flip_is_caught(packet: IbPacket, data: st.DataObject) -> None:
    raw = bytearray(encode(packet))
    bit = data.draw(st.integers(0, len(raw) * 8 - 1))
    raw[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(PacketDecodeError):
        decode(bytes(raw))


@given(packets(), u(4), u(8), u(20), u(8))
@settings(max_examples=100, deadline=None)
def test_icrc_ignores_variant_fields(packet: IbPacket, vl: int, tc: int, fl: int,
                                     hop: int) -> None:
    """A switch rewrites VL (and a router TClass/FlowLabel/HopLmt): the ICRC stays valid."""
    moved = replace(packet, lrh=replace(packet.lrh, vl=vl), grh=None if packet.grh is None
                    else replace(packet.grh, tclass=tc, flow_label=fl, hop_limit=hop))
    a, b = encode(packet), encode(moved)
    assert a[-6:-2] == b[-6:-2]
    if a[:-6] != b[:-6]:
        assert a[-2:] != b[-2:] or vcrc(a[:-2]) == vcrc(b[:-2])


def test_known_bytes_ud_multicast() -> None:
    p = IbPacket(lrh=Lrh(vl=1, sl=3, dlid=0xC001, slid=0xC001),
                 grh=Grh(sgid=0xFE80 << 112 | 2, dgid=0xFF12601BFFFF << 80 | 1, tclass=0x5A,
                         flow_label=0x12345, hop_limit=7),
                 bth=Bth(opcode=OP_UD_SEND_ONLY, dest_qp=0xFFFFFF, psn=0x000102, pkey=0x8001),
                 deth=Deth(qkey=0x11111111, src_qp=0x48), payload=b"abc")
    raw = encode(p)
    assert raw[:8] == bytes([0x10, 0x33, 0xC0, 0x01, 0x00, 0x13, 0xC0, 0x01])  # 19 words
    assert raw[8:16] == bytes([0x65, 0xA1, 0x23, 0x45, 0x00, 0x1C, 0x1B, 0x07])  # PayLen 28
    assert raw[48:60] == bytes([0x64, 0x10, 0x80, 0x01, 0, 0xFF, 0xFF, 0xFF, 0, 0, 1, 2])
    assert raw[60:68] == bytes([0x11, 0x11, 0x11, 0x11, 0, 0, 0, 0x48])
    assert raw[68:72] == b"abc\0"
    masked = bytearray(raw[:72])
    masked[0] |= 0xF0
    masked[8:12] = bytes([0x6F, 0xFF, 0xFF, 0xFF])
    masked[15] = masked[52] = 0xFF
    assert raw[72:76] == struct.pack("<I", zlib.crc32(masked))
    assert icrc(raw[:72], True) == zlib.crc32(masked)


def test_vcrc_reference_value() -> None:
    """Reflected CRC-16 0x100B (0xD008), init/xorout 0xFFFF: bit-by-bit reference."""
    def slow(data: bytes) -> int:
        crc = 0xFFFF
        for byte in data:
            for i in range(8):
                bit = (byte >> i) & 1
                top = (crc >> 15) & 1
                crc = (crc << 1) & 0xFFFF
                if bit ^ top:
                    crc ^= 0x100B
        return int(f"{crc ^ 0xFFFF:016b}"[::-1], 2)
    for data in (b"", b"123456789", bytes(range(256))):
        assert vcrc(data) == slow(data)


def test_encode_checks_headers() -> None:
    with pytest.raises(ValueError, match="DETH"):
        encode(IbPacket(Lrh(), Bth(opcode=OP_UD_SEND_ONLY)))
    with pytest.raises(ValueError, match="AETH"):
        encode(IbPacket(Lrh(), Bth(opcode=OP_RC_ACK)))
    with pytest.raises(ValueError, match="dlid"):
        encode(IbPacket(Lrh(dlid=0x10000), Bth(opcode=OP_RC_SEND_ONLY)))
    with pytest.raises(ValueError, match="PktLen"):
        encode(IbPacket(Lrh(), Bth(opcode=OP_RC_SEND_ONLY), payload=bytes(8200)))
    with pytest.raises(PacketDecodeError):
        decode(b"\0" * 10)


def _smp(attr: str, modifier: int = 0, **fields: object) -> Mad:
    return Mad(SMP_CLASS, 2, attr, modifier, PortRef(1, 1), PortRef(2, 0), 0.0, 1.0,
               "test", 0, dict(fields))


def test_switchinfo_set() -> None:
    raw = mad_bytes(_smp("SwitchInfo", default_mcast_primary_port=2,
                         default_mcast_not_primary_port=5, linear_fdb_top=0x40), tid=9,
                    path=[1, 3])
    assert len(raw) == 256 and raw[:4] == bytes([1, 0x81, 1, 2])
    smp = decode_dr_smp(raw)
    assert (smp.attr_id, smp.tid, smp.hop_count) == (0x12, 9, 2)
    assert smp.initial_path[:3] == bytes([0, 1, 3])
    assert smp.data[6:8] == b"\x00\x40" and smp.data[9] == 2 and smp.data[10] == 5


def test_lft_mft_portinfo() -> None:
    lft = decode_dr_smp(mad_bytes(_smp("LinearForwardingTable", 2, lid=130, port=7)))
    assert lft.attr_mod == 2 and lft.data[2] == 7 and lft.data.count(0xFF) == 63
    mft_rec = _smp("MulticastForwardingTable", 0, mlid=0xC021, ports=[1, 3, 17])
    blocks = [decode_dr_smp(b) for b in mft_mads(mft_rec)]
    assert [b.attr_mod for b in blocks] == [1, 1 << 28 | 1]
    assert blocks[0].data[2:4] == struct.pack(">H", 0b1010)
    assert blocks[1].data[2:4] == struct.pack(">H", 0b10)
    assert mad_bytes(mft_rec) == mft_mads(mft_rec)[0]
    pi = decode_dr_smp(mad_bytes(_smp("PortInfo", 1, lid=0x20, lmc=2)))
    assert pi.attr_id == 0x15 and pi.data[16:18] == b"\x00\x20" and pi.data[34] & 7 == 2
    assert pi.data[28] == 1


def test_sa_mad_uses_mad_codec() -> None:
    mad = Mad(SA_CLASS, 2, "MCMemberRecord", 0, PortRef(0x1234, 1), PortRef(1, 1), 0, 1, "",
              0, {"mgid": 0xFF12601BFFFF << 80 | 1, "join_state": 1, "mlid": 0xC001,
                  "comp_mask": 0x130C7, "qkey": 0x1E1E, "pkey": 0xFFFF, "tclass": 0,
                  "sl": 0, "flow_label": 0})
    sa = decode_sa_mad(mad_bytes(mad, tid=5))
    assert (sa.method, sa.tid, sa.comp_mask) == (2, 5, 0x130C7)
    assert sa.record.mlid == 0xC001 and sa.record.join_state == 1
    assert sa.record.port_gid == 0xFE80 << 112 | 0x1234
    assert (sa.record.qkey, sa.record.pkey) == (0x1E1E, 0xFFFF)


def test_sa_mad_mask_claims_only_what_the_record_carries() -> None:
    """A record without Q_Key/P_Key/TClass/SL/FlowLabel values does not claim them."""
    mad = Mad(SA_CLASS, 2, "MCMemberRecord", 0, PortRef(0x1234, 1), PortRef(1, 1), 0, 1, "",
              0, {"mgid": 0xFF12601BFFFF << 80 | 1, "join_state": 1, "comp_mask": 0x130C7})
    sa = decode_sa_mad(mad_bytes(mad))
    assert sa.comp_mask == 0x10003 and (sa.record.qkey, sa.record.pkey) == (0, 0)


def _pcapng_packets(data: bytes) -> list[IbPacket]:
    """The packets of a pcapng written by :class:`PcapWriter` (EPB, ERF record)."""
    out, at = [], 0
    while at < len(data):
        kind, size = struct.unpack_from("<II", data, at)
        if kind == 6:
            caplen = struct.unpack_from("<I", data, at + 20)[0]
            out.append(decode(data[at + 28 + 16:at + 28 + caplen]))
        at += size
    return out


def test_pcap_sa_joins_carry_the_qkey_and_pkey_of_the_data(tmp_path) -> None:
    """The SA joins in a run's pcapng claim Q_Key and P_Key and carry the values the
    group's UD packets use (they had 0 and 0)."""
    from ibviz.core.scenario.wire import write_pcap
    from ibviz.topology.scenarios import open_session

    s = open_session("fig10")
    s.run()
    write_pcap(s, tmp_path / "f.pcapng")
    packets = _pcapng_packets((tmp_path / "f.pcapng").read_bytes())
    joins = [decode_sa_mad(p.payload) for p in packets if p.bth.dest_qp == 1]
    joins = [j for j in joins if j.method == 2]
    data = [p for p in packets if p.deth is not None and p.bth.dest_qp > 1]
    assert joins and data
    assert {p.deth.qkey for p in data if p.deth} == {0x1E1E}
    assert {p.bth.pkey for p in data} == {0xFFFF}
    for sa in joins:
        assert sa.comp_mask & 0x84 == 0x84  # claims Q_Key and P_Key
        assert (sa.record.qkey, sa.record.pkey) == (0x1E1E, 0xFFFF)



def test_mad_packet_and_pcapng(tmp_path) -> None:
    pkt = mad_packet(bytes(256), dlid=0xFFFF, slid=0xFFFF)
    assert pkt.lrh.vl == 15 and pkt.deth == Deth(0, 0)
    gsi = mad_packet(bytes(256), dlid=1, slid=2, dest_qp=1)
    assert gsi.deth == Deth(0x80010000, 1)
    raw = encode(pkt)
    path = tmp_path / "x.pcapng"
    with PcapWriter(path) as w:
        w.write(1_500_000.0, raw, "mode 1: takeover join")
        w.write(2.0, raw)
    data = path.read_bytes()
    assert data[:4] == b"\x0a\x0d\x0d\x0a"
    assert struct.unpack_from("<IIH", data, 32)[2] == 197  # IDB link type
    assert b"mode 1: takeover join" in data and data.count(raw) == 2
    i = data.index(raw) - 16
    assert data[i + 8] == 21 and struct.unpack_from(">H", data, i + 14)[0] == len(raw)
    assert struct.unpack_from("<Q", data, i)[0] == 1 << 32 | 1 << 31  # 1.5 s
    assert struct.unpack_from("<HHB", data, 48) == (9, 1, 9)  # if_tsresol: nanoseconds
    assert struct.unpack_from("<II", data, i - 16) == (0, 1_500_000_000)  # EPB time, ns


def test_pcapng_keeps_sub_microsecond_times(tmp_path) -> None:
    """Hops 0.16 us apart keep distinct timestamps (nanoseconds, in the EPB and ERF)."""
    raw = encode(mad_packet(bytes(256), dlid=0xFFFF, slid=0xFFFF))
    path = tmp_path / "ns.pcapng"
    with PcapWriter(path) as w:
        for t in (62.0, 62.16, 62.32):
            w.write(t, raw)
    data = path.read_bytes()
    at = [m for m in range(len(data)) if data.startswith(raw, m)]
    epb = [struct.unpack_from("<II", data, m - 32) for m in at]
    assert [hi << 32 | lo for hi, lo in epb] == [62_000, 62_160, 62_320]
    erf = [struct.unpack_from("<Q", data, m - 16)[0] & 0xFFFFFFFF for m in at]
    assert [f * 1_000_000_000 >> 32 for f in erf] == [61_999, 62_159, 62_319]
    with pytest.raises(ValueError):
        PcapWriter(path).write(0, raw)
