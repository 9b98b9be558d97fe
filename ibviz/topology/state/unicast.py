"""Readers for unicast forwarding tables (LFTs).

``ibroute`` / ``dump_fts`` output and OpenSM's ``opensm-lfts.dump`` share one layout::

    Unicast lids [0x0-0x6] of switch Lid 1 guid 0x0002c90400000000 (switch-1):
      Lid  Out   Destination
           Port     Info
    0x0001 000 : (Switch portguid 0x0002c90400000000: 'switch-1')
    0x0003 001 : (Channel Adapter portguid 0x0002c90300000001: 'first-node')
    6 valid lids dumped

(``dump_fts`` names the switch by ``DR path slid 0; dlid 0; 0,4`` instead of ``Lid N``;
``opensm-lfts.dump`` has no column header, writes ``# Type portguid ...: 'desc'`` after the
port and ends with ``N lids dumped``). LIDs past a base LID print
``(path #2 out of 4: portguid 0x...)``. Destinations give each LID's port GUID.

OpenSM's ``opensm.fdbs`` (and ibdiagnet's old ``.fdbs``) list every LID with port, hops
and whether the hop count is optimal::

    dump_ucast_routes: Switch 0x0002c90400000000
    LID    : Port : Hops : Optimal
    0x0001 : 000  : 00   : yes
    0x0006 : UNREACHABLE
"""

from __future__ import annotations

import re

from ibviz.core.addressing import UNICAST_LID_MAX
from ibviz.topology.state._reader import MAX_PORT, StateReader

_UNICAST_HEADER_RE = re.compile(
    r"^Unicast lids \[(?:0x)?(?P<lo>[0-9A-Fa-f]+)-(?:0x)?(?P<hi>[0-9A-Fa-f]+)\] of switch "
    r"(?P<where>.*?)\s*guid 0x(?P<guid>[0-9A-Fa-f]{1,16})\s*\((?P<desc>.*)\):\s*$")
_SWITCH_LID_RE = re.compile(r"^Lid (\d+)$")
_COLUMNS_RE = re.compile(r"^\s*(Lid\s+Out\s+Destination|Port\s+Info)\s*$")
_ROW_RE = re.compile(r"^(?P<lid>0x[0-9A-Fa-f]+|\d+)\s+(?P<port>\d{1,3})(?:\s*(?P<sep>[:#])\s*"
                     r"(?P<dest>.*?))?\s*$")
_DEST_RE = re.compile(r"^\(?\s*(?P<type>Switch|Channel Adapter|Router|\w[\w ]*?) portguid "
                      r"0x(?P<guid>[0-9A-Fa-f]{1,16}):?\s*'(?P<desc>.*)'\s*\)?$")
_PATH_RE = re.compile(r"^\(path #(?P<n>\d+) out of (?P<of>\d+): portguid "
                      r"0x(?P<guid>[0-9A-Fa-f]{1,16})\)$")
_FOOTER_RE = re.compile(r"^(?P<n>\d+) (?P<valid>valid )?lids dumped\s*$")
_ROW_EXPECTED = "a row 'LID PORT : (Type portguid 0x...: 'description')' or 'N valid lids dumped'"
_HEADER_EXPECTED = "'Unicast lids [LO-HI] of switch Lid N guid 0x... (description):'"

_FDBS_SWITCH_RE = re.compile(r"^(?:\w+_)?dump_ucast_routes: Switch (?:0x)?([0-9A-Fa-f]{1,16})\s*$")
_FDBS_COLUMNS_RE = re.compile(r"^LID\s*: Port : Hops : Optimal\s*$")
_FDBS_ROW_RE = re.compile(
    r"^0x(?P<lid>[0-9A-Fa-f]{1,4})\s*:\s*(?:(?P<unreachable>UNREACHABLE)|(?P<port>\d{1,3})\s*:\s*"
    r"(?:HOPS UNKNOWN|(?P<hops>\d+)\s*:\s*(?P<opt>.*)))\s*$")
_FDBS_EXPECTED = ("a row '0xLID : PORT : HOPS : yes' or '0xLID : UNREACHABLE', or "
                  "'dump_ucast_routes: Switch 0x...'")


def parse_unicast_tables(reader: StateReader) -> None:
    """``ibroute``, ``dump_fts`` or ``opensm-lfts.dump`` output (one or more switches)."""
    state = reader.state
    switch: int | None = None
    table: dict[int, int] = {}
    rows = 0
    lids_seen: dict[int, list[int]] = {}  # port GUID -> LIDs it was printed for
    span = (0, 0)  # the header's [LO-HI]
    closed = True  # the switch's table ended with its 'N lids dumped' line

    def finish(idx: int) -> None:
        if switch is None:
            return
        if reader.strict and not closed:
            raise reader.incomplete(f"the table of switch {switch:#018x} has no closing "
                                    "line", idx, "'N lids dumped' after the table")
        state.set_lft(switch, table, reader.file)

    dest_cache: dict[str, list[int] | None] = {}
    body = reader.body()
    at = 0
    while at < len(body):
        idx, line = body[at]
        at += 1
        if switch is not None and line[:2] == "0x" and \
                (run := _plain_run(body, at - 1)) is not None:  # a whole table at once
            at += len(run) - 1
            rows += len(run)
            for row_at, (lid, port, dest) in enumerate(run):
                table[lid] = port
                if lid:
                    seen = dest_cache.get(dest, _NEW)
                    if seen is _NEW:
                        seen = dest_cache[dest] = _new_destination(
                            reader, body[at - len(run) + row_at][0], dest, lids_seen)
                    if seen is not None:
                        seen.append(lid)
            continue
        if switch is not None and (row := _plain_row(line)) is not None:  # most lines
            lid, port, dest = row
            table[lid] = port
            rows += 1
            _destination(reader, idx, lid, dest, lids_seen, dest_cache)
            continue
        m = _ROW_RE.match(line)
        if m is not None and switch is not None:
            base = 16 if m["lid"][:2] in ("0x", "0X") else 10
            lid = reader.unicast_lid(m["lid"], idx, base=base, allow_zero=True)
            port = int(m["port"])
            table[lid] = port if port <= MAX_PORT else reader.port(
                m["port"], idx, column=line.index(m["port"]) + 1)
            rows += 1
            _destination(reader, idx, lid, (m["dest"] or "").strip(), lids_seen, dest_cache)
            continue
        if m := _UNICAST_HEADER_RE.match(line):
            finish(idx)
            switch, table, rows, closed = reader.guid(m["guid"], idx), {}, 0, False
            decimal = line[m.start("lo") - 2: m.start("lo")] not in ("0x", "0X") and \
                (m["lo"] + m["hi"]).isdigit()  # OpenSM prints [0-1099], ibroute [0x0-0x44b]
            span = (int(m["lo"], 10 if decimal else 16), int(m["hi"], 10 if decimal else 16))
            where = _SWITCH_LID_RE.match(m["where"].strip())
            if where:
                state.set_lid(switch, reader.unicast_lid(where[1], idx, base=10, allow_zero=True))
            state.descriptions[switch] = m["desc"].strip("'")
            continue
        if switch is None:
            raise reader.error("table rows before a switch header", idx, _HEADER_EXPECTED)
        if _COLUMNS_RE.match(line):
            continue
        if m := _FOOTER_RE.match(line.strip()):
            if m["valid"] and int(m["n"]) != rows:
                reader.warn(f"footer says {m['n']} LIDs but {rows} rows were read "
                            "(truncated output?)", idx, "count")
            if reader.strict:
                _check_closed(reader, idx, int(m["n"]), bool(m["valid"]), rows, span, table)
            closed = True
            continue
        raise reader.error(f"cannot read {line.strip()!r}", idx, _ROW_EXPECTED)
    finish(len(reader.lines))
    if switch is None:
        raise reader.error("no switch table found", 0, _HEADER_EXPECTED)
    _lids_from_destinations(reader, lids_seen)


_PLAIN_RUN_RE = re.compile(r"^0x([0-9A-Fa-f]{4}) (\d{3}) [:#](.*)$", re.M)
PLAIN_RUN_MIN = 8
"""Tables of fewer rows are read line by line."""


def _plain_run(body: list[tuple[int, str]], start: int) -> list[tuple[int, int, str]] | None:
    """The rows ``0xLLLL PPP # destination`` from ``body[start]`` to the next line of
    another kind, read with one regular expression; None when any of them is not that
    plain (then they are read line by line, by the rules that name what is wrong)."""
    end = start
    while end < len(body) and body[end][1][:2] == "0x":
        end += 1
    if end - start < PLAIN_RUN_MIN:
        return None
    found = _PLAIN_RUN_RE.findall("\n".join(line for _, line in body[start:end]))
    if len(found) != end - start:
        return None
    rows = [(int(lid, 16), int(port), dest.strip()) for lid, port, dest in found]
    if max(r[0] for r in rows) > UNICAST_LID_MAX or max(r[1] for r in rows) > MAX_PORT:
        return None
    return rows


def _plain_row(line: str) -> tuple[int, int, str] | None:
    """``0xLLLL PPP : destination`` read without a regular expression (the LFT dumps of
    big fabrics hold ~100k such rows); None for anything else (read by the full rules)."""
    digits, hexa = line[7:10], line[2:6]
    if len(line) < 10 or line[0] != "0" or line[1] not in "xX" or line[6] != " " or \
            not (digits.isascii() and digits.isdigit() and hexa.isascii() and hexa.isalnum()) \
            or (len(line) > 10 and line[10] != " "):
        return None
    try:
        lid = int(hexa, 16)
    except ValueError:
        return None
    port = int(digits)
    rest = line[10:].strip()
    if lid > UNICAST_LID_MAX or port > MAX_PORT or (rest and rest[0] not in ":#"):
        return None  # the full rules name what is wrong
    return lid, port, rest[1:].strip()


def _check_closed(reader: StateReader, idx: int, count: int, valid: bool, rows: int,
                  span: tuple[int, int], table: dict[int, int]) -> None:
    """Strict mode: a table's footer must match it (OpenSM's ``opensm-lfts.dump`` prints
    ``HI - LO lids dumped``, ``ibroute`` the number of rows)."""
    low, top = span
    if (valid and count != rows) or (not valid and (count != top - low or rows > count + 1)):
        raise reader.incomplete(f"footer says {count} LIDs, the table has {rows} rows for "
                                f"[{low:#x}-{top:#x}]", idx, "a whole table")
    if table and (min(table) < low or max(table) > top):
        raise reader.incomplete(f"LIDs outside [{low:#x}-{top:#x}]", idx, "a whole table")


def _destination(reader: StateReader, idx: int, lid: int, dest: str,
                 lids_seen: dict[int, list[int]],
                 cache: dict[str, list[int] | None]) -> None:
    """Note the port GUID a LID leads to (each switch repeats the same destinations, so
    ``cache`` maps a destination to the list of LIDs its port was printed for)."""
    if not lid:
        return
    seen = cache.get(dest, _NEW)
    if seen is _NEW:
        seen = cache[dest] = _new_destination(reader, idx, dest, lids_seen)
    if seen is not None:
        seen.append(lid)


_NEW: list[int] = []


def _new_destination(reader: StateReader, idx: int, dest: str,
                     lids_seen: dict[int, list[int]]) -> list[int] | None:
    if not dest or dest in ("unknown node and type", "(no description yet)"):
        return None
    if m := _DEST_RE.match(dest):
        guid, desc = reader.guid(m["guid"], idx), m["desc"]
    elif m := _PATH_RE.match(dest):
        guid, desc = reader.guid(m["guid"], idx), ""
    elif dest.startswith("(") or dest.endswith(")"):
        return None  # "(illegal port)" and other notes without a port
    else:
        raise reader.error(f"cannot read the destination {dest!r}", idx,
                           "'(Type portguid 0x...: 'description')'")
    if desc:
        reader.state.descriptions.setdefault(guid, desc)
    return lids_seen.setdefault(guid, [])


def _lids_from_destinations(reader: StateReader, lids_seen: dict[int, list[int]]) -> None:
    """A port printed for LIDs base..base+2**k-1 has LMC k (one table is enough)."""
    for guid, lids in lids_seen.items():
        unique = sorted(set(lids))
        base, count = unique[0], len(unique)
        lmc = count.bit_length() - 1
        if count == 1 << lmc and unique == list(range(base, base + count)) and \
                base % count == 0 and lmc <= 7:
            reader.state.set_lid(guid, base, lmc)
        else:
            reader.state.set_lid(guid, base, 0)
            reader.warn(f"port {guid:#018x} is the destination of LIDs {unique[:8]}, not one "
                        "LMC range; took the lowest as its LID", None, "lmc",
                        once=f"lmc{guid}")


def parse_fdbs(reader: StateReader) -> None:
    """OpenSM ``opensm.fdbs`` / ibdiagnet ``.fdbs`` (LID : port : hops : optimal)."""
    fast = _plain_fdbs(reader)
    if fast is not None:
        for guid, rows in fast:
            reader.state.set_lft(guid, rows, reader.file)
        return
    switch: int | None = None
    table: dict[int, int] = {}
    for idx, line in reader.body():
        if m := _FDBS_SWITCH_RE.match(line.strip()):
            if switch is not None:
                reader.state.set_lft(switch, table, reader.file)
            switch, table = reader.guid(m[1], idx), {}
            continue
        if _FDBS_COLUMNS_RE.match(line.strip()):
            continue
        if switch is None:
            raise reader.error("rows before a switch line", idx,
                               "'dump_ucast_routes: Switch 0x<GUID>'")
        m = _FDBS_ROW_RE.match(line.strip())
        if m is None:
            raise reader.error(f"cannot read {line.strip()!r}", idx, _FDBS_EXPECTED)
        lid = reader.unicast_lid(m["lid"], idx)
        if m["unreachable"]:
            table.pop(lid, None)
            continue
        table[lid] = reader.port(m["port"], idx)
        if m["opt"] is not None and m["opt"].strip() not in ("yes", "") and \
                not m["opt"].startswith("No "):
            raise reader.error(f"cannot read the Optimal column {m['opt']!r}", idx,
                               "'yes' or 'No N hop path possible via port P!'")
    if switch is None:
        raise reader.error("no switch section found", 0, "'dump_ucast_routes: Switch 0x<GUID>'")
    reader.state.set_lft(switch, table, reader.file)



_FDBS_HEAD = "dump_ucast_routes: Switch 0x"
_FDBS_PLAIN_RE = re.compile(r"^0x([0-9A-Fa-f]{4}) : (\d{3})  : \d+ *: yes$", re.M)


def _plain_fdbs(reader: StateReader) -> list[tuple[int, dict[int, int]]] | None:
    """``opensm.fdbs`` as OpenSM writes it (every row ``0xLLLL : PPP  : HH   : yes``), read
    one switch section at a time with one regular expression (a 1,500-HCA file holds
    ~180k rows); None when any line differs (then the line-by-line rules read it and name
    what is wrong)."""
    lines = reader.lines
    heads = [i for i, line in enumerate(lines) if line.startswith(_FDBS_HEAD)]
    if not heads or any(line.strip() for line in lines[:heads[0]]):
        return None
    out = []
    for at, end in zip(heads, heads[1:] + [len(lines)], strict=True):
        guid = lines[at][len(_FDBS_HEAD):].strip()
        if not (0 < len(guid) <= 16 and guid.isascii() and guid.isalnum()) or \
                at + 1 >= len(lines) or not _FDBS_COLUMNS_RE.match(lines[at + 1].strip()):
            return None
        rows = lines[at + 2:end]
        while rows and not rows[-1].strip():
            rows = rows[:-1]
        found = _FDBS_PLAIN_RE.findall("\n".join(rows))
        if len(found) != len(rows):
            return None
        try:
            table = {int(lid, 16): int(port) for lid, port in found}
            switch = int(guid, 16)
        except ValueError:
            return None
        if table and (min(table) < 1 or max(table) > UNICAST_LID_MAX
                      or max(table.values()) > MAX_PORT):
            return None
        out.append((switch, table))
    return out
