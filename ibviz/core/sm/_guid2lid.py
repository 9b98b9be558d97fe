"""OpenSM's ``guid2lid`` cache file (``OSM_CACHE_DIR/guid2lid``), read and written exactly.

OpenSM stores each entry as ``0x%016x 0x%04x 0x%04x`` (port GUID, first LID, last LID)
followed by an empty line (``osm_db_store``: ``"%s %s\\n\\n"``); it writes a ``.tmp``
file and renames it over the old one. The reader here accepts what OpenSM writes and is
lenient where that costs nothing: missing empty lines, CRLF line ends, extra blank
lines, leading blanks and ``#`` comment lines. Anything else is an error naming the
file and line. Range checks (alignment, overlaps) are the LID manager's business, as in
OpenSM, which drops such entries when it validates the database.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

MAX_GUID = (1 << 64) - 1
MAX_LID = 0xFFFF
_OCTAL = re.compile(r"0[0-7]+")


class Guid2LidError(ValueError):
    """A malformed line in a guid2lid file; the message names the file and line."""

    def __init__(self, path: str | os.PathLike[str], line: int, message: str) -> None:
        super().__init__(f"{os.fspath(path)}:{line}: {message}")
        self.path = os.fspath(path)
        self.line = line


def _number(token: str) -> int:
    """A number as ``strtoull(..., 0)`` reads it: ``0x`` hex, leading-0 octal or decimal."""
    if "_" in token:
        raise ValueError(token)
    if _OCTAL.fullmatch(token):
        return int(token, 8)
    return int(token, 0)


def parse_guid2lid(text: str, path: str | os.PathLike[str] = "<guid2lid>"
                   ) -> tuple[dict[int, tuple[int, int]], list[str]]:
    """Parse guid2lid text.

    Returns
    -------
    tuple
        ``({port GUID: (first LID, last LID)}, warnings)``; a GUID listed twice keeps its
        last entry, as OpenSM does, with a warning.

    Raises
    ------
    Guid2LidError
        A line that is not ``GUID FIRST LAST`` with numbers in range.
    """
    entries: dict[int, tuple[int, int]] = {}
    warnings: list[str] = []
    for num, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        if len(words) != 3:
            raise Guid2LidError(path, num, f"expected '0xGUID 0xFIRST 0xLAST', got {raw!r}")
        try:
            guid, first, last = (_number(w) for w in words)
        except ValueError:
            raise Guid2LidError(path, num, f"not a number in {raw!r}") from None
        if not 0 <= guid <= MAX_GUID:
            raise Guid2LidError(path, num, f"GUID {words[0]} does not fit in 64 bits")
        if not (0 <= first <= MAX_LID and 0 <= last <= MAX_LID):
            raise Guid2LidError(path, num, f"LID out of range 0-0xffff in {raw!r}")
        if guid in entries:
            warnings.append(f"{os.fspath(path)}:{num}: GUID {guid:#018x} listed again; "
                            "the later entry wins")
        entries[guid] = (first, last)
    return entries, warnings


def format_guid2lid(entries: dict[int, tuple[int, int]]) -> str:
    """The file text OpenSM writes, entries sorted by GUID."""
    return "".join(f"0x{guid:016x} 0x{first:04x} 0x{last:04x}\n\n"
                   for guid, (first, last) in sorted(entries.items()))


def write_guid2lid(path: str | os.PathLike[str], entries: dict[int, tuple[int, int]]) -> None:
    """Write ``entries`` to ``path`` through ``path.tmp`` and a rename, like OpenSM."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(format_guid2lid(entries), encoding="ascii")
    os.replace(tmp, target)


def read_guid2lid(path: str | os.PathLike[str]
                  ) -> tuple[dict[int, tuple[int, int]], list[str]]:
    """Read and parse a guid2lid file (see :func:`parse_guid2lid`)."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise Guid2LidError(path, line, "not ASCII text") from None
    return parse_guid2lid(text, path)
