"""Wire-level InfiniBand packets: headers, codec (ICRC/VCRC), SMP/SA MADs, pcapng export."""

from ibviz.core.packets.codec import PacketDecodeError, decode, encode, icrc, vcrc
from ibviz.core.packets.headers import (
    OP_RC_ACK,
    OP_RC_SEND_ONLY,
    OP_RD_SEND_ONLY,
    OP_UC_SEND_ONLY,
    OP_UD_SEND_ONLY,
    QP0_SMI,
    QP1_GSI,
    Aeth,
    Bth,
    Deth,
    Grh,
    IbPacket,
    Lrh,
    mad_packet,
)
from ibviz.core.packets.pcap import PcapWriter

__all__ = [
    "OP_RC_ACK",
    "OP_RC_SEND_ONLY",
    "OP_RD_SEND_ONLY",
    "OP_UC_SEND_ONLY",
    "OP_UD_SEND_ONLY",
    "QP0_SMI",
    "QP1_GSI",
    "Aeth",
    "Bth",
    "Deth",
    "Grh",
    "IbPacket",
    "Lrh",
    "PacketDecodeError",
    "PcapWriter",
    "decode",
    "encode",
    "icrc",
    "mad_packet",
    "vcrc",
]
