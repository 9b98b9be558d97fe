"""Encode and decode the 256-byte SA MAD that carries one MCMemberRecord (SA attribute 0x0038).

Pure Python, byte-exact with OpenSM 3.3.23 on x86-64. All fields are big-endian.

MAD layout (offsets in bytes)::

    0  BaseVersion (1)   1  MgmtClass (0x03)   2  ClassVersion (2)   3  Method
    4  Status (16)       6  ClassSpecific      8  TransactionID (64)
    16 AttributeID (0x0038)   18 reserved      20 AttributeModifier (32)
    24-35 RMPP header (zero: ibsim has no RMPP)
    36 SM_Key (64)       44 AttributeOffset (16, in 8-byte words)   46 reserved
    48 ComponentMask (64)     56 MCMemberRecord (52 bytes used, 56 with padding)

MCMemberRecord (offsets from 56)::

    0 MGID[16]  16 PortGID[16]  32 Q_Key  36 MLID  38 MTUSelector:2|MTU:6  39 TClass
    40 P_Key  42 RateSelector:2|Rate:6  43 PacketLifeTimeSelector:2|PacketLifeTime:6
    44 SL:4|FlowLabel:20|HopLimit:8  48 Scope:4|JoinState:4  49 ProxyJoin:1|reserved:7

ProxyJoin: the IBA spec puts ProxyJoin at bit offset 392 of the record, i.e. the most
significant bit of byte 49 (0x80). OpenSM declares it as ``uint8_t proxy_join:1`` in
``ib_member_rec_t``; GCC on little-endian x86 allocates that bit field from the least
significant bit, so OpenSM reads and writes ProxyJoin as 0x01 of byte 49. Measured against
the real OpenSM 3.3.23 on ibsim (tests/backends/test_opensm_sa.py): a trusted Get of a proxy
membership returns byte 49 = 0x01. Hence :data:`PROXY_JOIN_OPENSM` is the default bit here;
:data:`PROXY_JOIN_IBA` is what the specification says.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ibviz.core.sm.records import McMemberRecord

__all__ = [
    "ATTR_MCMEMBER_RECORD",
    "BASE_VERSION",
    "CLASS_VERSION_SA",
    "MAD_SIZE",
    "MCMEMBER_ATTR_OFFSET",
    "MCMEMBER_RECORD_SIZE",
    "MGMT_CLASS_SA",
    "PROXY_JOIN_IBA",
    "PROXY_JOIN_OPENSM",
    "MadDecodeError",
    "SaMad",
    "decode_mcmember_mad",
    "decode_mcmember_record",
    "decode_sa_mad",
    "encode_mcmember_mad",
    "encode_mcmember_record",
    "gid_from_bytes",
    "gid_to_bytes",
]

MAD_SIZE = 256
BASE_VERSION = 1
MGMT_CLASS_SA = 0x03
CLASS_VERSION_SA = 2
ATTR_MCMEMBER_RECORD = 0x0038
SA_HEADER_SIZE = 56
MCMEMBER_RECORD_SIZE = 52
"""Bytes of the record that carry fields (IBA: 416 bits)."""
MCMEMBER_ATTR_OFFSET = 7
"""AttributeOffset OpenSM uses for MCMemberRecord: sizeof(ib_member_rec_t) = 56 bytes / 8."""
PROXY_JOIN_IBA = 0x80
PROXY_JOIN_OPENSM = 0x01

_HDR = struct.Struct(">BBBBHHQHHI12sQHHQ")  # common + RMPP + SA header, 56 bytes
_REC = struct.Struct(">16s16sIHBBHBBIBB")  # 50 bytes, then 2 reserved
assert _HDR.size == SA_HEADER_SIZE and _REC.size == 50


class MadDecodeError(ValueError):
    """The bytes are not a 256-byte SA MAD carrying an MCMemberRecord."""


@dataclass(frozen=True, slots=True)
class SaMad:
    """The header fields of an SA MAD plus its (decoded) MCMemberRecord."""

    method: int
    status: int
    tid: int
    comp_mask: int
    record: McMemberRecord
    attr_id: int = ATTR_MCMEMBER_RECORD
    attr_mod: int = 0
    sm_key: int = 0
    attr_offset: int = MCMEMBER_ATTR_OFFSET
    class_specific: int = 0


def gid_to_bytes(gid: int) -> bytes:
    """128-bit GID as 16 network-order bytes."""
    if not 0 <= gid < 1 << 128:
        raise ValueError(f"GID out of range: {gid:#x}")
    return gid.to_bytes(16, "big")


def gid_from_bytes(raw: bytes) -> int:
    """16 network-order bytes as a 128-bit int."""
    return int.from_bytes(raw[:16], "big")


def _field(name: str, value: int, bits: int) -> int:
    if not 0 <= value < 1 << bits:
        raise ValueError(f"{name}={value!r} does not fit in {bits} bits")
    return value


def encode_mcmember_record(rec: McMemberRecord, proxy_bit: int = PROXY_JOIN_OPENSM) -> bytes:
    """The 56-byte MCMemberRecord (52 bytes of fields + 4 bytes of padding)."""
    mtu = _field("mtu_selector", rec.mtu_selector, 2) << 6 | _field("mtu", rec.mtu, 6)
    rate = _field("rate_selector", rec.rate_selector, 2) << 6 | _field("rate", rec.rate, 6)
    life = _field("pkt_life_selector", rec.pkt_life_selector, 2) << 6 \
        | _field("pkt_life", rec.pkt_life, 6)
    sfh = _field("sl", rec.sl, 4) << 28 | _field("flow_label", rec.flow_label, 20) << 8 \
        | _field("hop_limit", rec.hop_limit, 8)
    scope_state = _field("scope", rec.scope, 4) << 4 | _field("join_state", rec.join_state, 4)
    body = _REC.pack(
        gid_to_bytes(rec.mgid), gid_to_bytes(rec.port_gid), _field("qkey", rec.qkey, 32),
        _field("mlid", rec.mlid, 16), mtu, _field("tclass", rec.tclass, 8),
        _field("pkey", rec.pkey, 16), rate, life, sfh, scope_state,
        proxy_bit if rec.proxy_join else 0,
    )
    return body + bytes(6)


def decode_mcmember_record(
    raw: bytes, proxy_bits: int = PROXY_JOIN_OPENSM | PROXY_JOIN_IBA
) -> McMemberRecord:
    """Decode an MCMemberRecord (at least 50 bytes).

    ``proxy_bits`` selects which bits of byte 49 count as ProxyJoin; by default either
    OpenSM's 0x01 or the specification's 0x80.
    """
    if len(raw) < _REC.size:
        raise MadDecodeError(f"MCMemberRecord needs {_REC.size} bytes, got {len(raw)}")
    mgid, pgid, qkey, mlid, mtu, tclass, pkey, rate, life, sfh, ss, proxy = \
        _REC.unpack_from(raw)
    return McMemberRecord(
        mgid=gid_from_bytes(mgid), port_gid=gid_from_bytes(pgid), qkey=qkey, mlid=mlid,
        mtu_selector=mtu >> 6, mtu=mtu & 0x3F, tclass=tclass, pkey=pkey,
        rate_selector=rate >> 6, rate=rate & 0x3F,
        pkt_life_selector=life >> 6, pkt_life=life & 0x3F,
        sl=sfh >> 28, flow_label=(sfh >> 8) & 0xFFFFF, hop_limit=sfh & 0xFF,
        scope=ss >> 4, join_state=ss & 0x0F, proxy_join=bool(proxy & proxy_bits),
    )


def encode_mcmember_mad(
    method: int,
    record: McMemberRecord,
    comp_mask: int,
    tid: int,
    *,
    status: int = 0,
    sm_key: int = 0,
    attr_mod: int = 0,
    attr_offset: int = MCMEMBER_ATTR_OFFSET,
    class_specific: int = 0,
    proxy_bit: int = PROXY_JOIN_OPENSM,
) -> bytes:
    """A complete 256-byte SA MAD (request or response) carrying ``record``."""
    header = _HDR.pack(
        BASE_VERSION, MGMT_CLASS_SA, CLASS_VERSION_SA, _field("method", method, 8),
        _field("status", status, 16), _field("class_specific", class_specific, 16),
        _field("tid", tid, 64), ATTR_MCMEMBER_RECORD, 0,
        _field("attr_mod", attr_mod, 32), bytes(12), _field("sm_key", sm_key, 64),
        _field("attr_offset", attr_offset, 16), 0, _field("comp_mask", int(comp_mask), 64),
    )
    mad = header + encode_mcmember_record(record, proxy_bit)
    return mad + bytes(MAD_SIZE - len(mad))


def decode_sa_mad(data: bytes, proxy_bits: int = PROXY_JOIN_OPENSM | PROXY_JOIN_IBA) -> SaMad:
    """Decode a whole SA MAD carrying an MCMemberRecord.

    Raises
    ------
    MadDecodeError
        Wrong length, base version, management class or attribute.
    """
    if len(data) != MAD_SIZE:
        raise MadDecodeError(f"an SA MAD is {MAD_SIZE} bytes, got {len(data)}")
    (base, mclass, cver, method, status, cspec, tid, attr_id, _r1, attr_mod, _rmpp, sm_key,
     attr_offset, _r2, comp_mask) = _HDR.unpack_from(data)
    if base != BASE_VERSION or mclass != MGMT_CLASS_SA:
        raise MadDecodeError(f"not an SA MAD: BaseVersion {base}, MgmtClass {mclass:#04x}")
    if cver != CLASS_VERSION_SA:
        raise MadDecodeError(f"SA ClassVersion {cver}, expected {CLASS_VERSION_SA}")
    if attr_id != ATTR_MCMEMBER_RECORD:
        raise MadDecodeError(f"AttributeID {attr_id:#06x} is not MCMemberRecord (0x0038)")
    record = decode_mcmember_record(data[SA_HEADER_SIZE:], proxy_bits)
    return SaMad(method, status, tid, comp_mask, record, attr_id, attr_mod, sm_key,
                 attr_offset, cspec)


def decode_mcmember_mad(
    data: bytes, proxy_bits: int = PROXY_JOIN_OPENSM | PROXY_JOIN_IBA
) -> tuple[int, int, int, int, McMemberRecord]:
    """``(method, status, tid, comp_mask, record)`` of a 256-byte SA MCMemberRecord MAD."""
    mad = decode_sa_mad(data, proxy_bits)
    return mad.method, mad.status, mad.tid, mad.comp_mask, mad.record
