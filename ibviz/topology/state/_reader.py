"""Shared plumbing of the state readers: line access, numbers, errors and warnings."""

from __future__ import annotations

import re

from ibviz.core.addressing import MULTICAST_LID_MAX, MULTICAST_LID_MIN, UNICAST_LID_MAX
from ibviz.topology._text import strip_markdown_quote
from ibviz.topology.errors import TopologyError, TopologyWarning
from ibviz.topology.state.model import FabricState

MAX_PORT = 254
"""Highest port number an LFT or MFT entry can name (255 means "no port")."""

ELLIPSIS_RE = re.compile(r"^\s*(\.\.\.|…)\s*$")
"""A line a person put in place of omitted output (README excerpts)."""


class DumpIncomplete(TopologyError):
    """Strict mode: the file does not hold a whole dump (caught while its writer, e.g.
    OpenSM rewriting a file in place, was still writing it); read it again later."""


class StateReader:
    """One file being read into a :class:`FabricState`.

    Lines are stripped of a Markdown ``> `` quote; :meth:`error` builds a
    :class:`TopologyError` naming the file, the 1-based line and what was expected.
    With ``strict`` a reader also refuses what a half-written file looks like (a table
    without its closing line, a switch without entries) with :meth:`incomplete`.
    """

    def __init__(self, lines: list[str], file: str, state: FabricState,
                 strict: bool = False) -> None:
        self.lines = strip_markdown_quote(lines)
        self.file = file
        self.state = state
        self.strict = strict
        self._warned: set[str] = set()

    def incomplete(self, message: str, idx: int, expected: str) -> DumpIncomplete:
        """A :class:`DumpIncomplete` naming the file and the 1-based line."""
        return DumpIncomplete(message, file=self.file, line=idx + 1, expected=expected)

    def error(self, message: str, idx: int, expected: str,
              column: int | None = None) -> TopologyError:
        """``idx`` is the 0-based line index."""
        return TopologyError(message, file=self.file, line=idx + 1, column=column,
                             expected=expected)

    def warn(self, message: str, idx: int | None, kind: str = "warning",
             once: str | None = None) -> None:
        """Record a warning; with ``once`` only the first warning of that key is kept."""
        if once is not None:
            if once in self._warned:
                return
            self._warned.add(once)
        line = None if idx is None else idx + 1
        self.state.warnings.append(TopologyWarning(message, self.file, line, kind))

    def body(self) -> list[tuple[int, str]]:
        """(index, text) of the lines that carry content: blank lines and ``#`` comments are
        skipped, and so are ``...`` elision lines (with one warning)."""
        out = []
        for idx, raw in enumerate(self.lines):
            line = raw.strip("\ufeff").rstrip() if "\ufeff" in raw else raw.rstrip()
            text = line.lstrip()  # one copy per line: dumps of big fabrics hold 200k lines
            if not text or text[0] == "#":
                continue
            if ("..." in line or "…" in line) and ELLIPSIS_RE.match(line):
                self.warn("'...' lines (output someone left out) were skipped", idx,
                          "elided", once="ellipsis")
                continue
            out.append((idx, line))
        return out

    # ------------------------------------------------------------------ numbers
    def number(self, text: str, idx: int, what: str, base: int = 16,
               limit: int | None = None, column: int | None = None) -> int:
        """``text`` as an int (hex by default; ``0x`` optional), at most ``limit``."""
        try:
            value = int(text, base)
        except ValueError:
            raise self.error(f"{what} {text!r} is not a number", idx,
                             f"a {'hexadecimal' if base == 16 else 'decimal'} {what}",
                             column) from None
        if value < 0 or (limit is not None and value > limit):
            raise self.error(f"{what} {text} is out of range", idx,
                             f"a {what} of at most {limit:#x}" if limit else f"a {what}",
                             column)
        return value

    def unicast_lid(self, text: str, idx: int, base: int = 16, allow_zero: bool = False,
                    column: int | None = None) -> int:
        lid = self.number(text, idx, "LID", base, UNICAST_LID_MAX, column)
        if lid == 0 and not allow_zero:
            raise self.error("LID 0 is not a unicast LID", idx, "a LID from 0x1 to 0xbfff",
                             column)
        return lid

    def multicast_lid(self, text: str, idx: int, column: int | None = None) -> int:
        mlid = self.number(text, idx, "MLID", 16, 0xFFFF, column)
        if not MULTICAST_LID_MIN <= mlid <= MULTICAST_LID_MAX:
            raise self.error(f"MLID {text} is not a multicast LID", idx,
                             "an MLID from 0xc000 to 0xfffe", column)
        return mlid

    def port(self, text: str, idx: int, base: int = 10, column: int | None = None) -> int:
        return self.number(text, idx, "port number", base, MAX_PORT, column)

    def guid(self, text: str, idx: int, column: int | None = None) -> int:
        return self.number(text, idx, "GUID", 16, (1 << 64) - 1, column)
