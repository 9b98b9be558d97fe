"""OpenSM's own LFT dumps (``opensm-lfts.dump``, ``opensm.fdbs``) read a section at a time
with numpy, straight from the file.

A 12,100-node fabric's ``opensm-lfts.dump`` holds 17.5 M rows (1.3 GB): read as lines of
text it took minutes and gigabytes. Here each switch's rows are parsed as byte columns
(the LID's four hex digits, the port's three digits) and the file is never held whole.
Only the plain layout OpenSM writes is read so; anything else in a file (other spacing, a
carriage return, bytes that are not ASCII, a row this code does not know) makes
:func:`parse_fast` return None, and the line-by-line reader of
:mod:`ibviz.topology.state.unicast` reads the file and names what is wrong. The result is
the state that reader gives, warnings included (pinned by tests).

A row's destination (``# Channel Adapter portguid 0x...: 'desc'``) gives the LIDs of its
port: a switch section whose rows, ports aside, are byte for byte those of the section
last looked at adds nothing, so the destinations are read only where a section differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

import numpy as np

from ibviz.core.addressing import UNICAST_LID_MAX
from ibviz.topology.errors import TopologyError
from ibviz.topology.state._byte_rows import (
    _DEC,
    FDBS_HEAD,
    LFT_HEAD,
    Layout,
    fdbs_rows,
    fixed_fdbs,
    layout_end,
    lft_rows,
    pieces,
)
from ibviz.topology.state._reader import MAX_PORT, StateReader
from ibviz.topology.state.model import FabricState
from ibviz.topology.state.unicast import (
    _FDBS_COLUMNS_RE,
    _FOOTER_RE,
    _NEW,
    _SWITCH_LID_RE,
    _UNICAST_HEADER_RE,
    _lids_from_destinations,
    _new_destination,
)

FAST_FORMATS = ("opensm-lfts", "opensm-fdbs")
_HEADS = {"opensm-lfts": LFT_HEAD, "opensm-fdbs": FDBS_HEAD}


class _Fallback(Exception):
    """The input is not in the plain layout: the line reader reads it."""


class _Tables:
    """The switch being read and what the file said so far."""

    def __init__(self, reader: StateReader) -> None:
        self.reader = reader
        self.switch: int | None = None
        self.lids: list[np.ndarray] = []
        self.ports: list[np.ndarray] = []
        self.rows = 0
        self.last_lid = -1

    def start(self, switch: int) -> None:
        self.finish()
        self.switch, self.lids, self.ports, self.rows, self.last_lid = switch, [], [], 0, -1

    def add(self, lids: np.ndarray, ports: np.ndarray) -> None:
        if self.switch is None or (len(lids) and (
                lids[0] <= self.last_lid or (len(lids) > 1 and (np.diff(lids) <= 0).any()))):
            raise _Fallback  # rows before a header, or LIDs not ascending: the line reader
        if len(lids):
            self.last_lid = int(lids[-1])
        keep = ports != -3  # UNREACHABLE in opensm.fdbs
        self.lids.append(lids[keep])
        self.ports.append(ports[keep])
        self.rows += len(lids)

    def finish(self) -> None:
        if self.switch is None:
            return
        lids = np.concatenate(self.lids) if self.lids else np.zeros(0, np.int64)
        ports = np.concatenate(self.ports) if self.ports else np.zeros(0, np.int64)
        self.reader.state.set_lft_rows(self.switch, lids, ports, self.reader.file)
        self.switch = None


class _Destinations:
    """The port GUIDs LIDs lead to, read from sections that differ from the last one read."""

    def __init__(self, reader: StateReader) -> None:
        self.reader = reader
        self.seen: dict[int, list[int]] = {}
        self.cache: dict[str, list[int] | None] = {}
        self.last: np.ndarray | None = None
        self.layout: Layout | None = None
        """The rows of the last switch section read line by line."""

    def rows(self, arr: np.ndarray, buf: bytes, starts: np.ndarray, ends: np.ndarray,
             lids: np.ndarray, first_line: int) -> None:
        if not len(starts):
            return
        block = arr[starts[0]:ends[-1] + 1]
        last = self.last
        if last is not None and len(last) == len(block):
            differ = block != last
            at = starts - starts[0]
            differ[at + 7] = differ[at + 8] = differ[at + 9] = False  # the port's digits
            if not differ.any():
                return
        self.last = block
        for i, (s, e) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
            lid = int(lids[i])
            if not lid:
                continue
            dest = buf[s + 12:e].decode().strip()
            seen = self.cache.get(dest, _NEW)
            if seen is _NEW:
                seen = self.cache[dest] = _new_destination(self.reader, first_line + i, dest,
                                                           self.seen)
            if seen is not None:
                seen.append(lid)


def _lft_line(reader: StateReader, tables: _Tables, line: str, idx: int) -> None:
    """A line of ``opensm-lfts.dump`` other than a row, as the line reader takes it."""
    if m := _UNICAST_HEADER_RE.match(line):
        switch = reader.guid(m["guid"], idx)
        tables.start(switch)
        where = _SWITCH_LID_RE.match(m["where"].strip())
        if where:
            reader.state.set_lid(switch,
                                 reader.unicast_lid(where[1], idx, base=10, allow_zero=True))
        reader.state.descriptions[switch] = m["desc"].strip("'")
        return
    if tables.switch is None:
        raise _Fallback
    if m := _FOOTER_RE.match(line.strip()):
        if m["valid"] and int(m["n"]) != tables.rows:
            reader.warn(f"footer says {m['n']} LIDs but {tables.rows} rows were read "
                        "(truncated output?)", idx, "count")
        return
    raise _Fallback


def _fdbs_line(reader: StateReader, tables: _Tables, line: str, idx: int) -> None:
    """A line of ``opensm.fdbs`` other than a row."""
    if line.startswith("dump_ucast_routes: Switch 0x"):
        guid = line[28:]
        if not (0 < len(guid) <= 16 and guid.isascii() and guid.isalnum()):
            raise _Fallback
        tables.start(reader.guid(guid, idx))
        return
    if tables.switch is None or not _FDBS_COLUMNS_RE.match(line.strip()):
        raise _Fallback


def parse_fast(source: BinaryIO, fmt: str, file: str,
               progress: Callable[[int], None] | None = None) -> FabricState | None:
    """The state of an ``opensm-lfts.dump`` / ``opensm.fdbs`` (``fmt``) read from
    ``source`` (a file open for binary reading, at its start), as :func:`~ibviz.topology.state.load.
    parse_state` gives it; None when the file is not in OpenSM's plain layout (then read
    it line by line). ``progress`` gets the bytes read so far."""
    state = FabricState()
    reader = StateReader([], file, state)
    try:
        _parse(source, fmt, reader, progress)
    except (_Fallback, TopologyError, UnicodeDecodeError):
        return None
    state.lfts_complete = True
    state.sources.append((file, fmt))
    return state


def _lft_piece(buf: bytes, n: int, reader: StateReader, tables: _Tables,
               dests: _Destinations, line_of: int) -> int:
    """The switch sections of a piece of ``opensm-lfts.dump``; returns its lines."""
    head = _HEADS["opensm-lfts"]
    arr = np.frombuffer(buf, np.uint8)
    at, lines = 0, 0
    while at < n:
        guess = layout_end(buf, n, at, dests.layout)  # without scanning the rows
        got = None if guess is None else \
            _same_layout(buf, arr, at, guess, reader, tables, dests.layout, line_of + lines)
        if got is not None and guess is not None:
            end = guess
        else:
            nxt = buf.find(b"\n" + head, at, n)
            end = n if nxt < 0 else nxt + 1
            got, layout = _lines(buf, at, end, True, reader, tables, dests, line_of + lines)
            dests.layout = layout or dests.layout
        lines += got
        at = end
    return lines


def _same_layout(buf: bytes, arr: np.ndarray, lo: int, hi: int, reader: StateReader,
                 tables: _Tables, layout: Layout | None, line_of: int) -> int | None:
    """A section laid out as the last one read line by line (its rows the same bytes
    but for the ports: the same LIDs and destinations), read from that layout without
    looking for its lines; None for any other."""
    head_end = buf.find(b"\n", lo, hi)
    foot = buf.rfind(b"\n", lo, hi - 1) + 1
    if layout is None or head_end < 0 or foot - head_end - 1 != len(layout.block):
        return None
    block = arr[head_end + 1:foot]
    differ = block != layout.block
    for k in (7, 8, 9):
        differ[layout.at + k] = False
    if differ.any():
        return None
    ports = (_DEC[block[layout.at + 7]] * 10 + _DEC[block[layout.at + 8]]) * 10 \
        + _DEC[block[layout.at + 9]]
    if (ports > MAX_PORT).any():
        return None
    _lft_line(reader, tables, buf[lo:head_end].decode().rstrip(), line_of)
    tables.add(layout.lids, ports)
    footer = buf[foot:hi - 1].decode().rstrip()
    if footer.strip() and footer.lstrip()[0] != "#":
        _lft_line(reader, tables, footer, line_of + layout.lines - 1)
    return layout.lines


def _lines(buf: bytes, lo: int, hi: int, lft: bool, reader: StateReader, tables: _Tables,
           dests: _Destinations, line_of: int) -> tuple[int, Layout | None]:
    """``buf[lo:hi]`` line by line (rows as byte columns): its number of lines, and for
    a switch section of ``opensm-lfts.dump`` (a header, rows, a footer) its layout."""
    arr = np.frombuffer(buf, np.uint8)
    ends = lo + np.flatnonzero(arr[lo:hi] == 10)
    starts = np.concatenate(([lo], ends[:-1] + 1))
    row, lids, ports = (lft_rows if lft else fdbs_rows)(buf, starts, ends - starts)
    row &= lids >= 0
    if ((lids[row] > UNICAST_LID_MAX) | (ports[row] > MAX_PORT)).any() \
            or (not lft and (lids[row] == 0).any()) or (lft and (ports[row] < 0).any()):
        raise _Fallback  # the line reader names what is wrong
    other = np.flatnonzero(~row).tolist()
    begin = 0
    for at in [*other, len(starts)]:
        if at > begin:
            part = slice(begin, at)
            tables.add(lids[part], ports[part])
            if lft:
                dests.rows(arr, buf, starts[part], ends[part], lids[part], line_of + begin)
        if at < len(starts):
            text = buf[starts[at]:ends[at]].decode().rstrip()
            stripped = text.lstrip()
            if stripped and stripped[0] != "#":
                (_lft_line if lft else _fdbs_line)(reader, tables, text, line_of + at)
        begin = at + 1
    layout = None
    if lft and len(starts) > 2 and other == [0, len(starts) - 1]:
        layout = Layout(arr[starts[1]:ends[-2] + 1], starts[1:-1] - starts[1], lids[1:-1],
                         len(starts))
    return len(starts), layout


def _parse(source: BinaryIO, fmt: str, reader: StateReader,
           progress: Callable[[int], None] | None) -> None:
    tables, dests = _Tables(reader), _Destinations(reader)
    lft = fmt == "opensm-lfts"
    line_of, done = 0, 0
    for buf, n in pieces(source, _HEADS[fmt]):
        if buf[n - 1] != 10 or not buf.isascii() or b"\r" in buf \
                or (done == 0 and b"\x00" in buf[:4096]):
            raise _Fallback
        fixed = None if lft or done == 0 and not buf.startswith(FDBS_HEAD) \
            else fixed_fdbs(buf, n)
        if fixed is not None:
            for guid, lids, ports in fixed[0]:
                tables.start(guid)
                tables.add(lids, ports)
            line_of += fixed[1]
            done += n
            if progress is not None:
                progress(done)
            continue
        if lft:
            line_of += _lft_piece(buf, n, reader, tables, dests, line_of)
        else:
            line_of += _lines(buf, 0, n, False, reader, tables, dests, line_of)[0]
        done += n
        if progress is not None:
            progress(done)
    if tables.switch is None:
        raise _Fallback  # no switch at all: the line reader says so
    tables.finish()
    if lft:
        _lids_from_destinations(reader, dests.seen)
