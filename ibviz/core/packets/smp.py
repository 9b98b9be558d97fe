"""Directed-route SMPs the subnet manager sends, as real 256-byte MADs, and
:func:`mad_bytes` turning the SM's :class:`~ibviz.core.sm.mads.Mad` records into bytes.

Directed-route SMP layout (IBA 14.2.1.2), big-endian::

    0 BaseVersion 1  1 MgmtClass 0x81  2 ClassVersion 1  3 Method
    4 D:1|Status:15  6 HopPointer  7 HopCount  8 TransactionID
    16 AttributeID  18 reserved  20 AttributeModifier  24 M_Key  32 DrSLID  34 DrDLID
    36 reserved[28]  64 SMP data[64]  128 InitialPath[64]  192 ReturnPath[64]

Attribute data (offsets inside the 64-byte SMP data)::

    SwitchInfo 0x0012: 0 LinearFDBCap 2 RandomFDBCap 4 MulticastFDBCap 6 LinearFDBTop
        8 DefaultPort 9 DefaultMulticastPrimaryPort 10 DefaultMulticastNotPrimaryPort
        11 LifeTimeValue:5|PortStateChange:1|OptSLtoVL:2 12 LIDsPerPort
        14 PartitionEnforcementCap 16 enforcement caps 18 MulticastFDBTop
    PortInfo 0x0015: 0 M_Key 8 GidPrefix 16 LID 18 MasterSMLID 20 CapabilityMask
        28 LocalPortNum 32 LinkSpeedSupported:4|PortState:4
        33 PortPhysicalState:4|LinkDownDefaultState:4 34 M_KeyProtectBits:2|rsv:3|LMC:3
    LinearForwardingTable 0x0019: 64 one-byte ports, modifier = block (LID // 64)
    MulticastForwardingTable 0x001B: 32 16-bit port masks, modifier = position << 28 | block
        (block = (MLID - 0xC000) // 32, position = port // 16)
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from ibviz.core.addressing import LINK_LOCAL_PREFIX, MULTICAST_LID_MIN
from ibviz.core.sm.mad_codec import encode_mcmember_mad
from ibviz.core.sm.mads import ATTR, SA_CLASS, SMP_CLASS, Mad
from ibviz.core.sm.records import McComp, McMemberRecord

__all__ = ["SA_WIRE_FIELDS", "DrSmp", "decode_dr_smp", "encode_dr_smp", "lft_block", "mad_bytes", "mft_block",
           "mft_mads", "port_info", "switch_info"]

MAD_SIZE = 256
SMP_DATA_OFFSET, SMP_DATA_SIZE = 64, 64
METHOD_GET, METHOD_SET = 0x01, 0x02
LFT_PORTS_PER_BLOCK, MFT_ENTRIES_PER_BLOCK, MFT_PORTS_PER_POSITION = 64, 32, 16
NO_PORT = 0xFF
_HDR = struct.Struct(">BBBBHBBQHHIQHH28s")
SA_WIRE_FIELDS = {"qkey": McComp.QKEY, "pkey": McComp.PKEY, "tclass": McComp.TCLASS,
                  "sl": McComp.SL, "flow_label": McComp.FLOW_LABEL}
"""MCMemberRecord fields (besides MGID, PortGID, MLID, JoinState) a Mad record's
``fields`` may carry for its wire MAD, with their ComponentMask bits."""
assert _HDR.size == SMP_DATA_OFFSET


@dataclass(frozen=True, slots=True)
class DrSmp:
    """The header fields and data of one directed-route SMP."""

    method: int
    attr_id: int
    attr_mod: int
    data: bytes
    tid: int = 0
    status: int = 0
    direction: bool = False
    hop_pointer: int = 0
    hop_count: int = 0
    mkey: int = 0
    dr_slid: int = 0xFFFF
    dr_dlid: int = 0xFFFF
    initial_path: bytes = b""
    return_path: bytes = b""


def encode_dr_smp(smp: DrSmp) -> bytes:
    """256 bytes of a directed-route SMP (class 0x81, class version 1)."""
    if len(smp.data) > SMP_DATA_SIZE or len(smp.initial_path) > 64 \
            or len(smp.return_path) > 64:
        raise ValueError("SMP data and paths are at most 64 bytes each")
    if not 0 <= smp.hop_count <= 63:
        raise ValueError(f"hop count {smp.hop_count} out of range 0-63")
    head = _HDR.pack(1, SMP_CLASS, 1, smp.method, bool(smp.direction) << 15 | smp.status,
                     smp.hop_pointer, smp.hop_count, smp.tid, smp.attr_id, 0, smp.attr_mod,
                     smp.mkey, smp.dr_slid, smp.dr_dlid, bytes(28))
    return (head + smp.data.ljust(SMP_DATA_SIZE, b"\0") + smp.initial_path.ljust(64, b"\0")
            + smp.return_path.ljust(64, b"\0"))


def decode_dr_smp(raw: bytes) -> DrSmp:
    if len(raw) != MAD_SIZE:
        raise ValueError(f"an SMP is {MAD_SIZE} bytes, got {len(raw)}")
    (_base, mclass, _cver, method, dstatus, hop_ptr, hop_cnt, tid, attr_id, _r, attr_mod,
     mkey, slid, dlid, _rsv) = _HDR.unpack_from(raw)
    if mclass != SMP_CLASS:
        raise ValueError(f"MgmtClass {mclass:#04x} is not a directed-route SMP")
    return DrSmp(method, attr_id, attr_mod, raw[64:128], tid, dstatus & 0x7FFF,
                 bool(dstatus >> 15), hop_ptr, hop_cnt, mkey, slid, dlid,
                 raw[128:192], raw[192:256])


def switch_info(*, linear_fdb_cap: int = 0xC000, random_fdb_cap: int = 0,
                multicast_fdb_cap: int = 0x400, linear_fdb_top: int = 0, default_port: int = 0,
                default_mcast_primary_port: int = 0, default_mcast_not_primary_port: int = 0,
                lifetime: int = 0x12, lids_per_port: int = 0, pkey_enforcement_cap: int = 0,
                multicast_fdb_top: int = 0) -> bytes:
    """64 bytes of SwitchInfo attribute data."""
    return struct.pack(">HHHHBBBBHHBBH", linear_fdb_cap, random_fdb_cap, multicast_fdb_cap,
                       linear_fdb_top, default_port, default_mcast_primary_port,
                       default_mcast_not_primary_port, (lifetime & 0x1F) << 3, lids_per_port,
                       pkey_enforcement_cap, 0, 0, multicast_fdb_top).ljust(64, b"\0")


def port_info(*, lid: int = 0, lmc: int = 0, local_port: int = 1, port_state: int = 0,
              phys_state: int = 0, master_sm_lid: int = 0,
              gid_prefix: int = LINK_LOCAL_PREFIX) -> bytes:
    """64 bytes of PortInfo attribute data; state 0 means "no change" in a Set."""
    data = bytearray(64)
    struct.pack_into(">QQHH", data, 0, 0, gid_prefix, lid, master_sm_lid)
    data[28] = local_port
    data[32] = port_state & 0xF
    data[33] = (phys_state & 0xF) << 4
    data[34] = lmc & 0x7
    return bytes(data)


def lft_block(ports: Sequence[int]) -> bytes:
    """64 bytes: egress port of each of the block's 64 LIDs (0xFF: no route)."""
    if len(ports) > LFT_PORTS_PER_BLOCK:
        raise ValueError("an LFT block holds 64 LIDs")
    return bytes(ports).ljust(LFT_PORTS_PER_BLOCK, bytes([NO_PORT]))


def mft_block(masks: Sequence[int]) -> bytes:
    """64 bytes: 32 16-bit port masks (bit i = port position*16 + i)."""
    if len(masks) > MFT_ENTRIES_PER_BLOCK:
        raise ValueError("an MFT block holds 32 MLIDs")
    return struct.pack(f">{len(masks)}H", *masks).ljust(64, b"\0")


def _dr(method: int, attr: str, modifier: int, data: bytes, tid: int,
        path: Sequence[int]) -> bytes:
    return encode_dr_smp(DrSmp(method, ATTR[attr], modifier, data, tid, hop_count=len(path),
                               initial_path=bytes([0, *path]) if path else b""))


def mft_mads(mad: Mad, tid: int = 0, path: Sequence[int] = ()) -> list[bytes]:
    """Every MFT block Set a Mad record stands for: one per 16-port position in use
    (at least position 0). Only the record's MLID is set in each block; the other 31
    entries are zero because a Mad record carries just one MLID."""
    mlid = int(mad.fields.get("mlid", MULTICAST_LID_MIN + (mad.modifier & 0xFFFFFFF) * 32))
    ports = [int(p) for p in mad.fields.get("ports", ())]
    block, index = divmod(mlid - MULTICAST_LID_MIN, MFT_ENTRIES_PER_BLOCK)
    positions = sorted({p // MFT_PORTS_PER_POSITION for p in ports}) or [0]
    out = []
    for pos in positions:
        masks = [0] * MFT_ENTRIES_PER_BLOCK
        masks[index] = sum(1 << (p % 16) for p in ports if p // 16 == pos)
        out.append(_dr(mad.method, "MulticastForwardingTable", pos << 28 | block,
                       mft_block(masks), tid, path))
    return out


def mad_bytes(mad: Mad, tid: int = 0, path: Sequence[int] = ()) -> bytes:
    """The 256-byte MAD of one SM :class:`Mad` record.

    SMPs are directed-route with the initial ``path`` (port numbers; empty: hop count 0).
    An SA MCMemberRecord uses :func:`~ibviz.core.sm.mad_codec.encode_mcmember_mad` with the
    record's ``mgid``/``mlid``/``join_state``/``comp_mask`` and the request's Q_Key, P_Key,
    TClass, SL and FlowLabel (:data:`SA_WIRE_FIELDS`; a mask bit whose field the record
    lacks is cleared, so the mask claims only what is set); PortGID is fe80::/64 + the
    ``port_guid`` field, else the requester's node GUID (the record has no port GUID).
    MFT records give the position-0 block; use :func:`mft_mads` for ports above 15.
    """
    f = mad.fields
    if mad.mgmt_class == SA_CLASS:
        if mad.attribute != "MCMemberRecord":
            raise ValueError(f"no encoder for SA attribute {mad.attribute}")
        guid = int(f.get("port_guid", mad.src.node if mad.src else 0))
        gid = int(f["port_gid"]) if "port_gid" in f else LINK_LOCAL_PREFIX << 64 | guid
        rec = McMemberRecord(mgid=int(f.get("mgid", 0)), mlid=int(f.get("mlid", 0)),
                             join_state=int(f.get("join_state", 0)), port_gid=gid
                             ).with_(**{k: int(f[k]) for k in SA_WIRE_FIELDS if k in f})
        mask = int(f.get("comp_mask", 0))
        for name, bit in SA_WIRE_FIELDS.items():  # claim only what the record carries
            if name not in f:
                mask &= ~int(bit)
        return encode_mcmember_mad(mad.method, rec, mask, tid, status=mad.status)
    if mad.attribute == "SwitchInfo":
        keys = ("linear_fdb_top", "default_mcast_primary_port",
                "default_mcast_not_primary_port", "default_port", "multicast_fdb_top")
        data = switch_info(**{k: int(f[k]) for k in keys if k in f})
    elif mad.attribute == "PortInfo":
        data = port_info(lid=int(f.get("lid", 0)), lmc=int(f.get("lmc", 0)),
                         local_port=mad.modifier & 0xFF)
    elif mad.attribute == "LinearForwardingTable":
        ports = [int(p) for p in f.get("ports", [NO_PORT] * LFT_PORTS_PER_BLOCK)]
        if "lid" in f:
            ports[int(f["lid"]) % LFT_PORTS_PER_BLOCK] = int(f.get("port", NO_PORT))
        data = lft_block(ports)
    elif mad.attribute == "MulticastForwardingTable":
        return mft_mads(mad, tid, path)[0]
    else:
        data = bytes(SMP_DATA_SIZE)
    return _dr(mad.method, mad.attribute, mad.modifier, data, tid, path)
