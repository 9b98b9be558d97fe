"""A pcapng writer for InfiniBand packets, readable by Wireshark/tshark 4.0.

Link type 197 (ERF): every packet is a 16-byte ERF record header of type 21 (INFINIBAND)
followed by the packet from the LRH on, as Mellanox ibdump writes it (tshark 4.0 does not
open LINKTYPE_INFINIBAND 247). Each Enhanced Packet Block can carry an opt_comment.
Timestamps have nanosecond resolution (if_tsresol 9), so the hops of one packet, a
fraction of a microsecond apart, keep distinct times.

ERF header (wiretap/erf.c, little-endian timestamp, the rest big-endian)::

    0 timestamp: u64 LE, seconds << 32 | binary fraction of a second
    8 type (21)  9 flags (0x04: varying-length record)  10 rlen  12 lctr  14 wlen
"""

from __future__ import annotations

import struct
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

__all__ = ["ERF_TYPE_INFINIBAND", "LINKTYPE_ERF", "PcapWriter", "erf_record"]

LINKTYPE_ERF = 197
ERF_TYPE_INFINIBAND = 21
ERF_FLAG_VLEN = 0x04
ERF_HEADER_SIZE = 16
OPT_ENDOFOPT, OPT_COMMENT, IF_TSRESOL = 0, 1, 9
TSRESOL_NS = 9
"""if_tsresol 9: timestamps count 10^-9 s (pcapng's nanosecond files, as magic
0xa1b23c4d marks them in classic pcap)."""
_SHB, _IDB, _EPB = 0x0A0D0D0A, 0x00000001, 0x00000006


def _pad4(data: bytes) -> bytes:
    return data + bytes(-len(data) % 4)


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + _pad4(value)


def _block(block_type: int, body: bytes) -> bytes:
    total = 12 + len(body)
    return struct.pack("<II", block_type, total) + body + struct.pack("<I", total)


def _nanoseconds(time_us: float) -> int:
    """``time_us`` as whole nanoseconds (the file's resolution: hops take fractions of a
    microsecond, each keeps its own time)."""
    return round(time_us * 1000)


def erf_record(time_us: float, packet: bytes) -> bytes:
    """The 16-byte ERF header (type INFINIBAND) plus ``packet``."""
    seconds, nanos = divmod(_nanoseconds(time_us), 1_000_000_000)
    fraction = (nanos << 32) // 1_000_000_000
    rlen = ERF_HEADER_SIZE + len(packet)
    if rlen > 0xFFFF:
        raise ValueError(f"ERF record of {rlen} bytes exceeds rlen (16 bits)")
    header = struct.pack("<Q", seconds << 32 | fraction) + struct.pack(
        ">BBHHH", ERF_TYPE_INFINIBAND, ERF_FLAG_VLEN, rlen, 0, len(packet))
    return header + packet


class PcapWriter:
    """``with PcapWriter(path) as w: w.write(time_us, packet_bytes, comment)``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: BinaryIO | None = None
        self.count = 0

    def __enter__(self) -> PcapWriter:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def open(self) -> None:
        self._file = self.path.open("wb")
        shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + struct.pack("<HH", OPT_ENDOFOPT, 0)
        idb = struct.pack("<HHI", LINKTYPE_ERF, 0, 0) + _option(IF_TSRESOL, bytes([TSRESOL_NS])) \
            + struct.pack("<HH", OPT_ENDOFOPT, 0)
        self._file.write(_block(_SHB, shb) + _block(_IDB, idb))

    def write(self, time_us: float, packet_bytes: bytes, comment: str = "") -> None:
        """One Enhanced Packet Block: ERF record of ``packet_bytes`` at ``time_us``."""
        if self._file is None:
            raise ValueError("PcapWriter is not open (use it as a context manager)")
        if time_us < 0:
            raise ValueError(f"negative timestamp {time_us}")
        record = erf_record(time_us, packet_bytes)
        ts = _nanoseconds(time_us)
        body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(record), len(record))
        body += _pad4(record)
        if comment:
            body += _option(OPT_COMMENT, comment.encode()) + struct.pack("<HH", OPT_ENDOFOPT, 0)
        self._file.write(_block(_EPB, body))
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
