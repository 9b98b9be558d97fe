"""Byte columns of the lines of OpenSM's LFT dumps, read with numpy (see
:mod:`ibviz.topology.state._fast_lfts`): the file in pieces of whole switch sections;
which lines are plain rows, and their LIDs and ports; whole ``opensm.fdbs`` sections read
as a matrix of fixed-width rows; the layout of an ``opensm-lfts.dump`` section, which the
next sections mostly share."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from ibviz.core.addressing import UNICAST_LID_MAX
from ibviz.topology.state._reader import MAX_PORT

CHUNK = 1 << 25
"""Bytes read at a time (a piece always ends before a switch header)."""
PAD = 32
_PAD = b"\n" * PAD
LFT_HEAD = b"Unicast lids ["
_BAD = 1 << 40
_HEX = np.full(256, _BAD, np.int64)
_DEC = np.full(256, _BAD, np.int64)
for _c in b"0123456789":
    _HEX[_c] = _DEC[_c] = _c - 48
for _c in b"abcdef":
    _HEX[_c] = _HEX[_c - 32] = _c - 87


def _words(buf: bytes) -> np.ndarray:
    """``words[i]``: the 8 bytes of ``buf`` from offset ``i`` as one little-endian number."""
    return np.ndarray((len(buf) - 7,), np.dtype("<u8"), buf, 0, (1,))


def _byte(word: np.ndarray, k: int) -> np.ndarray:
    return word.view(np.uint8).reshape(-1, 8)[:, k]


def _text(text: bytes) -> tuple[np.uint64, np.uint64]:
    """(mask, value) that ``word & mask == value`` tests for 8 bytes of ``text``
    (``?`` in it: any byte)."""
    keep = bytes(0 if c == 63 else 255 for c in text)
    return (np.uint64(int.from_bytes(keep, "little")),
            np.uint64(int.from_bytes(text.replace(b"?", b"\0"), "little")))


def _number(word: np.ndarray, first: int, width: int, base: int) -> np.ndarray:
    """The number of ``width`` digits (hex or decimal: ``base``) from byte ``first`` of
    each word; -1 where one of them is not a digit."""
    table = _HEX if base == 16 else _DEC
    columns = word.view(np.uint8).reshape(-1, 8)
    value = table[columns[:, first]]
    for k in range(first + 1, first + width):
        value = value * base + table[columns[:, k]]
    value[value >= base ** width] = -1  # a non-digit counts _BAD, more than any number
    return value


_LFT0 = _text(b"0x???? ?")
_LFT1 = _text(b"?? ? ???")


def lft_rows(buf: bytes, starts: np.ndarray, length: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which lines are plain rows ``0xLLLL PPP # ...`` and their LIDs and ports."""
    words = _words(buf)
    w0, w1 = words[starts], words[starts + 8]
    sep = _byte(w1, 3)
    row = (length >= 13) & ((w0 & _LFT0[0]) == _LFT0[1]) & ((w1 & _LFT1[0]) == _LFT1[1]) \
        & ((sep == 35) | (sep == 58)) & (_byte(w1, 2) == 32) & (_byte(w1, 4) == 32)
    high, low = _number(w0, 7, 1, 10), _number(w1, 0, 2, 10)
    ports = np.where((high < 0) | (low < 0), -1, high * 100 + low)
    return row, _number(w0, 2, 4, 16), ports


_FDBS0 = _text(b"0x???? :")
_FDBS1 = _text(b" ???  : ")
_FDBS2 = _text(b"??   : y")
_FDBS3 = _text(b"   : yes")
_GONE1 = _text(b" UNREACH")
_GONE2 = _text(b"ACHABLE\n")


def fdbs_rows(buf: bytes, starts: np.ndarray, length: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which lines are rows ``0xLLLL : PPP  : HH   : yes`` or ``0xLLLL : UNREACHABLE``
    (``ports`` -3), and their LIDs and ports."""
    words = _words(buf)
    w0, w1, w2 = words[starts], words[starts + 8], words[starts + 16]
    head = (w0 & _FDBS0[0]) == _FDBS0[1]
    ports, hops = _number(w1, 1, 3, 10), _number(w2, 0, 2, 10)
    plain = head & (length == 26) & ((w1 & _FDBS1[0]) == _FDBS1[1]) & (ports >= 0) \
        & (hops >= 0) & ((w2 & _FDBS2[0]) == _FDBS2[1]) \
        & ((words[starts + 18] & _FDBS3[0]) == _FDBS3[1])
    gone = head & (length == 20) & ((w1 & _GONE1[0]) == _GONE1[1]) \
        & ((words[starts + 13] & _GONE2[0]) == _GONE2[1])
    return plain | gone, _number(w0, 2, 4, 16), np.where(gone, -3, ports)


_ROW = b"0x0000 : 000  : 00   : yes\n"
_ROW_MASK = bytes(0 if c == 48 else 255 for c in _ROW)  # the digits: any byte
_ROW_TEXT = bytes(0 if c == 48 else c for c in _ROW)


class _Tiles:
    """The mask and text of ``count`` rows, grown as needed."""

    mask = np.zeros(0, np.uint8)
    text = np.zeros(0, np.uint8)

    @classmethod
    def of(cls, count: int) -> tuple[np.ndarray, np.ndarray]:
        size = count * len(_ROW)
        if len(cls.mask) < size:
            cls.mask = np.frombuffer(_ROW_MASK * count, np.uint8)
            cls.text = np.frombuffer(_ROW_TEXT * count, np.uint8)
        return cls.mask[:size], cls.text[:size]
FDBS_HEAD = b"dump_ucast_routes: Switch 0x"
_COLUMNS = b"LID    : Port : Hops : Optimal\n"


def fixed_fdbs(buf: bytes, n: int) -> tuple[list[tuple[int, np.ndarray, np.ndarray]], int] \
        | None:
    """``buf[:n]``, a piece of ``opensm.fdbs`` in which every switch section is OpenSM's
    exactly (its header with a 16-digit GUID, the column line, rows
    ``0xLLLL : PPP  : HH   : yes`` of 27 bytes), read as a matrix of rows: (switch GUID,
    LIDs, ports) per section and the number of lines; None for any other piece."""
    sections = []
    at = 0
    while at < n:
        nxt = buf.find(b"\n" + FDBS_HEAD, at, n)
        end = n if nxt < 0 else nxt + 1
        digits = buf[at + 28:at + 44]
        rows = end - at - 45 - len(_COLUMNS)
        if not buf.startswith(FDBS_HEAD, at) or buf[at + 44] != 10 or rows < 0 \
                or rows % len(_ROW) or not (digits.isalnum() and len(digits) == 16) \
                or not buf.startswith(_COLUMNS, at + 45):
            return None
        sections.append((int(digits, 16), at + 45 + len(_COLUMNS), rows // len(_ROW)))
        at = end
    found = []
    for guid, start, count in sections:
        flat = np.frombuffer(buf, np.uint8, count * len(_ROW), start)
        mask, text = _Tiles.of(count)
        if not np.array_equal(flat & mask, text):
            return None
        matrix = flat.reshape(count, -1)
        lids = _HEX[matrix[:, 2]]
        for k in (3, 4, 5):
            lids = lids * 16 + _HEX[matrix[:, k]]
        ports = (_DEC[matrix[:, 9]] * 10 + _DEC[matrix[:, 10]]) * 10 + _DEC[matrix[:, 11]]
        hops = _DEC[matrix[:, 16]] * 10 + _DEC[matrix[:, 17]]
        if (lids > UNICAST_LID_MAX).any() or (lids == 0).any() or (ports > MAX_PORT).any() or (hops >= 100).any():
            return None
        found.append((guid, lids, ports))
    return found, sum(2 + count for _, _, count in sections)


def pieces(source: BinaryIO, head: bytes) -> Iterator[tuple[bytes, int]]:
    """The input from where ``source`` is, in pieces of about :data:`CHUNK` bytes, each
    ending just before a line that starts with ``head`` (or at the end). Yields
    (buffer, n): the piece is ``buffer[:n]``, and the buffer holds at least :data:`PAD`
    more bytes (what follows, or newlines at the end). ``source`` must be seekable: the
    rest of a buffer is read again as the start of the next piece (one copy, not two)."""
    marker = b"\n" + head
    size = CHUNK
    while True:
        at = source.tell()
        data = source.read(size)
        if len(data) < size:  # the end
            if data:
                yield data + _PAD, len(data)
            return
        cut = data.rfind(marker)
        if cut < 0:  # no next section in it: read more at once
            size *= 2
            source.seek(at)
            continue
        source.seek(at + cut + 1)
        yield (data if len(data) > cut + PAD else data + _PAD), cut + 1
        size = CHUNK


@dataclass
class Layout:
    """The rows of a switch section of ``opensm-lfts.dump`` as read line by line: a
    section whose rows are the same bytes but for the ports has the same lines."""

    block: np.ndarray
    at: np.ndarray
    """Where each row starts in ``block``."""
    lids: np.ndarray
    lines: int
    """Lines of the section, its header and footer included."""


def layout_end(buf: bytes, n: int, lo: int, layout: Layout | None) -> int | None:
    """Where the switch section at ``lo`` ends if its rows take as many bytes as those
    of ``layout`` (the next section's header, or the end), else None."""
    head = LFT_HEAD
    if layout is None or not buf.startswith(head, lo):
        return None
    head_end = buf.find(b"\n", lo, n)
    foot = head_end + 1 + len(layout.block)
    foot_end = buf.find(b"\n", foot, n) if head_end >= 0 and foot < n else -1
    end = foot_end + 1
    return end if foot_end >= 0 and (end == n or buf.startswith(head, end)) else None
