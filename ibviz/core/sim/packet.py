"""What forwarding and the receive checks look at; the wire form is built by
:func:`ibviz.core.sim.wire.to_wire` (LRH/GRH/BTH/DETH/AETH as in :mod:`ibviz.core.packets`)."""

from __future__ import annotations

from dataclasses import dataclass

ACK = 0
"""AETH syndrome: positive acknowledgement."""
NAK_SEQUENCE = 0x60
"""AETH syndrome: NAK, PSN sequence error (the requester goes back to the expected PSN)."""


@dataclass(slots=True, unsafe_hash=True)
class DataPacket:
    """A packet as sent; never changed once made (:func:`dataclasses.replace` makes a
    changed copy). Not ``frozen``: that makes construction, once per send, five times
    slower; it hashes and compares the same."""

    flow: str
    dlid: int
    slid: int
    dest_qp: int
    size: int = 256
    """Bytes on the wire, headers included (serialization time)."""
    has_grh: bool = False
    transport: str = "UD"
    """UD, RC, UC, RD or raw."""
    kind: str = "data"
    """``data``, or ``ack`` for an RC acknowledgement (AETH)."""
    psn: int = 0
    src_qp: int = 0
    sgid: int = 0
    dgid: int = 0
    qkey: int = 0
    syndrome: int = ACK
    """``ack`` packets: AETH syndrome (ACK or NAK_SEQUENCE)."""
    seq: int = 0
    """The application message number (RC retransmissions repeat it)."""
