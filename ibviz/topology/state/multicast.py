"""Readers for multicast forwarding tables (MFTs).

OpenSM's ``opensm.mcfdbs`` (and ibdiagnet's ``.mcfdbs``) list each switch's MLIDs with
their out ports in hex; OpenSM writes only switches that have an entry::

    Switch 0x0002c90400000000
    LID    : Out Port(s)
    0xC001 : 0x001  0x002  0x004

``ibroute -M`` / ``dump_fts -M`` draw one row per MLID with an ``x`` under each port of
a ruler (ports >= 10 show their last digit; a line of tens digits may stand above)::

    Multicast mlids [0xc000-0xc3ff] of switch Lid 1 guid 0x0002c90400000000 (switch-1):
         Ports: 0 1 2 3 4 5 6 7 8
     MLid
    0xc001        x x   x
    1 valid mlids dumped

The ``x`` columns are matched against the ruler's digit columns.
"""

from __future__ import annotations

import re

from ibviz.topology.state._reader import StateReader

_SWITCH_RE = re.compile(r"^Switch (?:0x)?([0-9A-Fa-f]{1,16})\s*$")
_COLUMNS_RE = re.compile(r"^LID\s*:\s*Out Port\(s\)\s*$")
_ENTRY_RE = re.compile(r"^0x([0-9A-Fa-f]{1,4})\s*:?((?:\s+0x[0-9A-Fa-f]+)*)\s*$")
_ENTRY_EXPECTED = "an entry '0xMLID : 0xPORT 0xPORT ...', 'Switch 0x<GUID>' or 'LID : Out Port(s)'"

_MCAST_HEADER_RE = re.compile(
    r"^Multicast mlids \[0x(?P<lo>[0-9A-Fa-f]+)-0x(?P<hi>[0-9A-Fa-f]+)\] of switch "
    r"(?P<where>.*?)\s*guid 0x(?P<guid>[0-9A-Fa-f]{1,16})\s*\((?P<desc>.*)\):\s*$")
_RULER_RE = re.compile(r"^\s*Ports:")
_TENS_RE = re.compile(r"^[\s\d]+$")
_MLID_TITLE_RE = re.compile(r"^\s*MLid\s*$")
_MROW_RE = re.compile(r"^(0x[0-9A-Fa-f]{1,4})(\s.*)?$")
_MFOOTER_RE = re.compile(r"^(\d+) (valid )?mlids dumped\s*$")
_MHEADER_EXPECTED = "'Multicast mlids [0xc000-0xHHHH] of switch Lid N guid 0x... (description):'"


def parse_mcfdbs(reader: StateReader) -> None:
    """``opensm.mcfdbs`` / ibdiagnet ``.mcfdbs``; an empty file means no MFT entries."""
    switch: int | None = None
    entries: dict[int, frozenset[int]] = {}
    rows = 0

    def finish(idx: int) -> None:
        if switch is None:
            return
        if reader.strict and not rows:  # OpenSM writes only switches with entries
            raise reader.incomplete(f"switch {switch:#018x} has no MFT entry", idx,
                                    "'0xMLID : 0xPORT ...' lines after 'Switch 0x<GUID>'")
        reader.state.set_mft(switch, entries, reader.file)

    body = reader.body()
    last = body[-1][0] if body else -1
    for idx, line in body:
        text = line.strip()
        if m := _SWITCH_RE.match(text):
            finish(idx)
            switch, entries, rows = reader.guid(m[1], idx), {}, 0
            continue
        if _COLUMNS_RE.match(text):
            if switch is None:
                raise reader.error("column header before a switch line", idx,
                                   "'Switch 0x<GUID>'")
            continue
        m = _ENTRY_RE.match(text)
        if m is None:
            raise reader.error(f"cannot read {text!r}", idx, _ENTRY_EXPECTED)
        if switch is None:
            raise reader.error("an MFT entry before a switch line", idx, "'Switch 0x<GUID>'")
        mlid = reader.multicast_lid(m[1], idx)
        ports = frozenset(reader.port(p, idx, base=16) for p in m[2].split())
        if not ports and idx == last:  # OpenSM writes no entry without ports
            raise reader.error(f"MLID {mlid:#06x} has no ports: the file ends mid-entry", idx,
                               "'0xMLID : 0xPORT ...' with at least one port")
        rows += 1
        if ports:
            entries[mlid] = ports
    finish(len(reader.lines))


def parse_ibroute_mcast(reader: StateReader) -> None:
    """``ibroute -M`` / ``dump_fts -M`` output (one or more switches)."""
    state = reader.state
    switch: int | None = None
    entries: dict[int, frozenset[int]] = {}
    columns: dict[int, int] | None = None  # text column -> port
    rows = 0

    def finish() -> None:
        if switch is not None:
            state.set_mft(switch, entries, reader.file)

    for idx, line in reader.body():
        if m := _MCAST_HEADER_RE.match(line):
            finish()
            switch, entries, columns, rows = reader.guid(m["guid"], idx), {}, None, 0
            lo, hi = reader.multicast_lid(m["lo"], idx), reader.multicast_lid(m["hi"], idx)
            state.info(switch).multicast_fdb_cap = hi - lo + 1 if hi >= lo else 0
            where = m["where"].strip()
            if where.startswith("Lid ") and where[4:].isdigit():
                state.set_lid(switch, reader.unicast_lid(where[4:], idx, base=10,
                                                         allow_zero=True))
            state.descriptions[switch] = m["desc"]
            continue
        if switch is None:
            raise reader.error("table rows before a switch header", idx, _MHEADER_EXPECTED)
        if _RULER_RE.match(line):
            columns = _ruler_columns(reader, idx, line)
            continue
        if _MLID_TITLE_RE.match(line) or (columns is None and _TENS_RE.match(line)):
            continue
        if m := _MFOOTER_RE.match(line.strip()):
            if m[2] and int(m[1]) != rows:
                reader.warn(f"footer says {m[1]} MLIDs but {rows} rows were read "
                            "(truncated output?)", idx, "count")
            continue
        m = _MROW_RE.match(line)
        if m is None:
            raise reader.error(f"cannot read {line.strip()!r}", idx,
                               "a row '0xMLID   x   x' under the 'Ports:' ruler")
        if columns is None:
            raise reader.error("an MLID row before the 'Ports:' ruler", idx,
                               "'     Ports: 0 1 2 ...'")
        mlid = reader.multicast_lid(m[1], idx)
        ports = set()
        for col, char in enumerate(line[len(m[1]):], len(m[1])):
            if char == " ":
                continue
            if char not in "xX" or col not in columns:
                raise reader.error(f"unexpected {char!r} in an MLID row", idx,
                                   "'x' marks under the port numbers of the ruler", col + 1)
            ports.add(columns[col])
        entries[mlid] = frozenset(ports)
        rows += 1
    finish()
    if switch is None:
        raise reader.error("no switch table found", 0, _MHEADER_EXPECTED)


def _ruler_columns(reader: StateReader, idx: int, line: str) -> dict[int, int]:
    """Text column of every port digit on the ``Ports:`` ruler -> port number."""
    start = line.index("Ports:") + len("Ports:")
    columns: dict[int, int] = {}
    for m in re.finditer(r"\d+", line[start:]):
        port = len(columns)
        if int(m.group()) % 10 != port % 10:
            raise reader.error(f"ruler digit {m.group()} where port {port} belongs", idx,
                               "port numbers 0 1 2 ... in order", start + m.start() + 1)
        columns[start + m.end() - 1] = port
    if not columns:
        raise reader.error("empty 'Ports:' ruler", idx, "'     Ports: 0 1 2 ...'")
    return columns
