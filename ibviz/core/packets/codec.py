"""Encode and decode InfiniBand packets as real wire bytes, ICRC and VCRC included.

Layout (all big-endian, IBA vol. 1, ch. 9)::

    LRH  0 VL:4|LVer:4  1 SL:4|rsv:2|LNH:2  2 DLID  4 rsv:5|PktLen:11  6 SLID
    GRH  0 IPVer:4|TClass:8|FlowLabel:20  4 PayLen  6 NxtHdr  7 HopLmt  8 SGID  24 DGID
    BTH  0 OpCode  1 SE:1|M:1|PadCnt:2|TVer:4  2 P_Key  4 resv8a  5 DestQP:24
         8 AckReq:1|rsv:7  9 PSN:24
    DETH 0 Q_Key  4 rsv:8  5 SrcQP:24
    AETH 0 Syndrome  1 MSN:24

CRCs (IBA 7.8; NOT checked by Wireshark 4.0, which only shows them, so they follow the
specification and the conventions of Linux rdma_rxe rather than a tool's verdict):

* ICRC: Ethernet CRC-32 (``zlib.crc32``: reflected, init and final XOR 0xFFFFFFFF) over LRH
  to the end of the payload (pad included) with the variant fields set to all ones: LRH.VL,
  GRH.TClass, GRH.FlowLabel, GRH.HopLmt and BTH.resv8a. Sent least significant byte first,
  like the Ethernet FCS (rdma_rxe stores it the same way).
* VCRC: CRC-16, polynomial 0x100B, processed reflected (0xD008) like the ICRC, init 0xFFFF,
  final XOR 0xFFFF, over LRH to ICRC inclusive; sent least significant byte first.
"""

from __future__ import annotations

import struct
import zlib

from ibviz.core.packets.headers import (
    AETH_SIZE,
    BTH_SIZE,
    DETH_SIZE,
    GRH_SIZE,
    ICRC_SIZE,
    LNH_IBA_GLOBAL,
    LNH_IBA_LOCAL,
    LRH_SIZE,
    VCRC_SIZE,
    Aeth,
    Bth,
    Deth,
    Grh,
    IbPacket,
    Lrh,
    has_aeth,
    has_deth,
)

__all__ = ["PacketDecodeError", "decode", "encode", "icrc", "vcrc"]

_LRH = struct.Struct(">BBHHH")
_GRH = struct.Struct(">IHBB16s16s")
_BTH = struct.Struct(">BBHII")
_DETH = struct.Struct(">II")
_AETH = struct.Struct(">I")
MAX_PKTLEN_WORDS = 0x7FF


class PacketDecodeError(ValueError):
    """The bytes are not an IBA local/global packet this codec understands."""


def _vcrc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xD008 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_VCRC_TABLE = _vcrc_table()


def vcrc(data: bytes) -> int:
    """The 16-bit variant CRC of ``data`` (LRH through ICRC)."""
    crc, table = 0xFFFF, _VCRC_TABLE
    for b in data:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFF


def icrc(data: bytes, has_grh: bool) -> int:
    """The 32-bit invariant CRC of ``data`` (LRH to the end of the padded payload)."""
    masked = bytearray(data)
    masked[0] |= 0xF0  # LRH.VL
    bth = LRH_SIZE
    if has_grh:
        masked[8] |= 0x0F  # TClass, high nibble
        masked[9:12] = b"\xff\xff\xff"  # TClass low nibble + FlowLabel
        masked[15] = 0xFF  # HopLmt
        bth += GRH_SIZE
    masked[bth + 4] = 0xFF  # BTH.resv8a
    return zlib.crc32(masked)


def _check(name: str, value: int, bits: int) -> int:
    if not 0 <= value < 1 << bits:
        raise ValueError(f"{name}={value!r} does not fit in {bits} bits")
    return value


def encode(packet: IbPacket) -> bytes:
    """The packet's wire bytes: headers, payload, pad, ICRC, VCRC.

    LNH, PktLen, GRH.PayLen and PadCnt are computed; the values in ``packet`` are ignored.
    """
    if has_deth(packet.bth.opcode) != (packet.deth is not None):
        raise ValueError(f"opcode {packet.bth.opcode:#04x}: DETH must be present exactly "
                         "for UD opcodes")
    if has_aeth(packet.bth.opcode) != (packet.aeth is not None):
        raise ValueError(f"opcode {packet.bth.opcode:#04x}: AETH must be present exactly "
                         "for ACK / RDMA read response opcodes")
    p = packet.finalized()
    lrh, bth = p.lrh, p.bth
    if lrh.pktlen > MAX_PKTLEN_WORDS:
        raise ValueError(f"packet of {lrh.pktlen} words exceeds PktLen (11 bits)")
    out = bytearray(_LRH.pack(
        _check("vl", lrh.vl, 4) << 4 | _check("lver", lrh.lver, 4),
        _check("sl", lrh.sl, 4) << 4 | lrh.lnh, _check("dlid", lrh.dlid, 16), lrh.pktlen,
        _check("slid", lrh.slid, 16)))
    if p.grh is not None:
        g = p.grh
        out += _GRH.pack(
            _check("ipver", g.ipver, 4) << 28 | _check("tclass", g.tclass, 8) << 20
            | _check("flow_label", g.flow_label, 20), g.paylen, _check("nxthdr", g.nxthdr, 8),
            _check("hop_limit", g.hop_limit, 8), _check("sgid", g.sgid, 128).to_bytes(16, "big"),
            _check("dgid", g.dgid, 128).to_bytes(16, "big"))
    out += _BTH.pack(
        _check("opcode", bth.opcode, 8),
        bool(bth.se) << 7 | bool(bth.migreq) << 6 | bth.padcnt << 4 | _check("tver", bth.tver, 4),
        _check("pkey", bth.pkey, 16), _check("dest_qp", bth.dest_qp, 24),
        bool(bth.ack_req) << 31 | _check("psn", bth.psn, 24))
    if p.deth is not None:
        out += _DETH.pack(_check("qkey", p.deth.qkey, 32), _check("src_qp", p.deth.src_qp, 24))
    if p.aeth is not None:
        out += _AETH.pack(_check("syndrome", p.aeth.syndrome, 8) << 24
                          | _check("msn", p.aeth.msn, 24))
    out += p.payload
    out += bytes(p.pad)
    out += icrc(out, p.grh is not None).to_bytes(ICRC_SIZE, "little")
    out += vcrc(out).to_bytes(VCRC_SIZE, "little")
    return bytes(out)


def decode(data: bytes, verify: bool = True) -> IbPacket:
    """Parse wire bytes made by :func:`encode` (or a real LNH 2/3 packet).

    Raises
    ------
    PacketDecodeError
        Too short, unsupported LNH, PktLen disagreeing with the length, or (with
        ``verify``) a wrong ICRC/VCRC.
    """
    if len(data) < LRH_SIZE + BTH_SIZE + ICRC_SIZE + VCRC_SIZE:
        raise PacketDecodeError(f"{len(data)} bytes is shorter than LRH+BTH+CRCs")
    b0, b1, dlid, pktlen, slid = _LRH.unpack_from(data)
    lnh = b1 & 0x3
    if lnh not in (LNH_IBA_LOCAL, LNH_IBA_GLOBAL):
        raise PacketDecodeError(f"LNH {lnh} (raw / non-IBA) is not supported")
    pktlen &= MAX_PKTLEN_WORDS
    if pktlen * 4 + VCRC_SIZE != len(data):
        raise PacketDecodeError(f"PktLen {pktlen} words does not match {len(data)} bytes")
    body_end = len(data) - VCRC_SIZE - ICRC_SIZE
    if body_end < LRH_SIZE + BTH_SIZE + (GRH_SIZE if lnh == LNH_IBA_GLOBAL else 0):
        raise PacketDecodeError(f"{len(data)} bytes is too short for LNH {lnh}")
    if verify:
        want_i = icrc(data[:body_end], lnh == LNH_IBA_GLOBAL)
        got_i = int.from_bytes(data[body_end:body_end + ICRC_SIZE], "little")
        if want_i != got_i:
            raise PacketDecodeError(f"ICRC {got_i:#010x}, expected {want_i:#010x}")
        got_v = int.from_bytes(data[-VCRC_SIZE:], "little")
        if vcrc(data[:-VCRC_SIZE]) != got_v:
            raise PacketDecodeError(f"VCRC {got_v:#06x} is wrong")
    lrh = Lrh(b0 >> 4, b0 & 0xF, b1 >> 4, lnh, dlid, pktlen, slid)
    off, grh = LRH_SIZE, None
    if lnh == LNH_IBA_GLOBAL:
        word, paylen, nxthdr, hop, sgid, dgid = _GRH.unpack_from(data, off)
        grh = Grh(int.from_bytes(sgid, "big"), int.from_bytes(dgid, "big"), word >> 28,
                  (word >> 20) & 0xFF, word & 0xFFFFF, paylen, nxthdr, hop)
        off += GRH_SIZE
    opcode, flags, pkey, qp, apsn = _BTH.unpack_from(data, off)
    bth = Bth(opcode, bool(flags & 0x80), bool(flags & 0x40), (flags >> 4) & 0x3, flags & 0xF,
              pkey, qp & 0xFFFFFF, bool(apsn >> 31), apsn & 0xFFFFFF)
    off += BTH_SIZE
    deth = aeth = None
    if has_deth(opcode):
        qkey, src = _DETH.unpack_from(data, off)
        deth, off = Deth(qkey, src & 0xFFFFFF), off + DETH_SIZE
    if has_aeth(opcode):
        (word,) = _AETH.unpack_from(data, off)
        aeth, off = Aeth(word >> 24, word & 0xFFFFFF), off + AETH_SIZE
    if off + bth.padcnt > body_end:
        raise PacketDecodeError("headers and pad run past the ICRC")
    payload = bytes(data[off:body_end - bth.padcnt])
    return IbPacket(lrh=lrh, bth=bth, grh=grh, deth=deth, aeth=aeth, payload=payload)
