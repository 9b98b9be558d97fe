"""InfiniBand header dataclasses (IBA vol. 1, ch. 9: LRH, GRH, BTH, DETH, AETH).

Pure data: the byte layout lives in :mod:`ibviz.core.packets.codec`. Every field is a plain
int; GIDs are 128-bit ints. Fields the encoder computes (LRH.LNH, LRH.PktLen, GRH.PayLen,
BTH.PadCnt) are filled in by :meth:`IbPacket.finalized` and by the decoder.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

# LRH.LNH: what follows the LRH
LNH_RAW = 0x0
LNH_IP_NON_IBA = 0x1
LNH_IBA_LOCAL = 0x2  # BTH follows
LNH_IBA_GLOBAL = 0x3  # GRH, then BTH

GRH_NXTHDR_IBA = 0x1B
IPVER_IBA = 6

# BTH opcodes: bits 7-5 transport, bits 4-0 operation
OP_RC_SEND_ONLY = 0x04
OP_RC_RDMA_READ_RESPONSE_FIRST = 0x0D
OP_RC_RDMA_READ_RESPONSE_LAST = 0x0F
OP_RC_RDMA_READ_RESPONSE_ONLY = 0x10
OP_RC_ACK = 0x11
OP_UC_SEND_ONLY = 0x24
OP_RD_SEND_ONLY = 0x44  # constant only: RDETH is not encoded (see codec)
OP_UD_SEND_ONLY = 0x64
OP_UD_SEND_ONLY_IMM = 0x65  # constant only: ImmDt is not encoded

TRANSPORT_RC = 0x00
TRANSPORT_UC = 0x20
TRANSPORT_RD = 0x40
TRANSPORT_UD = 0x60

AETH_OPCODES = frozenset({OP_RC_ACK, OP_RC_RDMA_READ_RESPONSE_FIRST,
                          OP_RC_RDMA_READ_RESPONSE_LAST, OP_RC_RDMA_READ_RESPONSE_ONLY})

QP0_SMI = 0
QP1_GSI = 1
QKEY_GSI = 0x8001_0000
"""Well-known Q_Key of QP1 (IBA 10.2.4.1)."""
VL_MANAGEMENT = 15
PKEY_DEFAULT = 0xFFFF

LRH_SIZE, GRH_SIZE, BTH_SIZE, DETH_SIZE, AETH_SIZE = 8, 40, 12, 8, 4
ICRC_SIZE, VCRC_SIZE = 4, 2


def has_deth(opcode: int) -> bool:
    """UD (and RD) packets carry a DETH after the BTH; RD is not supported here."""
    return opcode & 0xE0 == TRANSPORT_UD


def has_aeth(opcode: int) -> bool:
    return opcode in AETH_OPCODES


@dataclass(frozen=True, slots=True)
class Lrh:
    """Local Route Header (8 bytes). ``pktlen`` counts 4-byte words from LRH to ICRC."""

    vl: int = 0
    lver: int = 0
    sl: int = 0
    lnh: int = LNH_IBA_LOCAL
    dlid: int = 0
    pktlen: int = 0
    slid: int = 0


@dataclass(frozen=True, slots=True)
class Grh:
    """Global Route Header (40 bytes). ``paylen``: bytes after the GRH up to the ICRC."""

    sgid: int = 0
    dgid: int = 0
    ipver: int = IPVER_IBA
    tclass: int = 0
    flow_label: int = 0
    paylen: int = 0
    nxthdr: int = GRH_NXTHDR_IBA
    hop_limit: int = 255


@dataclass(frozen=True, slots=True)
class Bth:
    """Base Transport Header (12 bytes)."""

    opcode: int = OP_UD_SEND_ONLY
    se: bool = False
    migreq: bool = False
    padcnt: int = 0
    tver: int = 0
    pkey: int = PKEY_DEFAULT
    dest_qp: int = 0
    ack_req: bool = False
    psn: int = 0


@dataclass(frozen=True, slots=True)
class Deth:
    """Datagram Extended Transport Header (8 bytes)."""

    qkey: int = 0
    src_qp: int = 0


@dataclass(frozen=True, slots=True)
class Aeth:
    """ACK Extended Transport Header (4 bytes)."""

    syndrome: int = 0
    msn: int = 0


@dataclass(frozen=True, slots=True)
class IbPacket:
    """One packet from the LRH to the payload (ICRC/VCRC are computed by the encoder)."""

    lrh: Lrh
    bth: Bth
    grh: Grh | None = None
    deth: Deth | None = None
    aeth: Aeth | None = None
    payload: bytes = field(default=b"")

    @property
    def header_size(self) -> int:
        return (LRH_SIZE + BTH_SIZE + (GRH_SIZE if self.grh else 0)
                + (DETH_SIZE if self.deth else 0) + (AETH_SIZE if self.aeth else 0))

    @property
    def pad(self) -> int:
        return -len(self.payload) % 4

    @property
    def wire_size(self) -> int:
        """Bytes on the wire: headers, payload, pad, ICRC and VCRC."""
        return self.header_size + len(self.payload) + self.pad + ICRC_SIZE + VCRC_SIZE

    def finalized(self) -> IbPacket:
        """This packet with LNH, PktLen, PayLen and PadCnt set as the encoder sets them."""
        words = (self.wire_size - VCRC_SIZE) // 4
        lrh = replace(self.lrh, lnh=LNH_IBA_GLOBAL if self.grh else LNH_IBA_LOCAL,
                      pktlen=words)
        grh = None if self.grh is None else replace(
            self.grh, paylen=self.wire_size - VCRC_SIZE - LRH_SIZE - GRH_SIZE)
        return replace(self, lrh=lrh, grh=grh, bth=replace(self.bth, padcnt=self.pad))


def mad_packet(mad: bytes, *, dlid: int, slid: int, dest_qp: int = QP0_SMI,
               src_qp: int | None = None, psn: int = 0, pkey: int = PKEY_DEFAULT,
               sl: int = 0, grh: Grh | None = None) -> IbPacket:
    """A management packet: UD SEND_ONLY to QP0 (SMP, on VL15, Q_Key 0) or QP1 (GSI)."""
    if dest_qp not in (QP0_SMI, QP1_GSI):
        raise ValueError(f"MADs go to QP0 or QP1, not QP {dest_qp}")
    smi = dest_qp == QP0_SMI
    return IbPacket(
        lrh=Lrh(vl=VL_MANAGEMENT if smi else 0, sl=sl, dlid=dlid, slid=slid),
        grh=grh,
        bth=Bth(opcode=OP_UD_SEND_ONLY, pkey=pkey, dest_qp=dest_qp, psn=psn),
        deth=Deth(qkey=0 if smi else QKEY_GSI, src_qp=dest_qp if src_qp is None else src_qp),
        payload=mad,
    )
