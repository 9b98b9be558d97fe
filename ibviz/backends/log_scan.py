"""Following a growing log file for a line that matches, reading each byte once.

OpenSM's log at ``-D 0x43`` grows by gigabytes while it sweeps a 46,550-node fabric; a
wait that re-read the whole file at every look held several copies of it at once (a
benchmark was killed at 20 GB). :class:`LogScanner` keeps its place, reads what was
appended since the last look in bounded chunks and searches only complete lines (the
unfinished last line is kept for the next look).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 22
"""Bytes read at a time (4 MiB): the memory a look takes, whatever the log's size."""


class LogScanner:
    """The lines appended to ``path`` from byte offset ``start`` on, looked at once each."""

    def __init__(self, path: Path, start: int = 0) -> None:
        self.path = path
        self.pos = start
        self._carry = ""
        self._decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode

    def find(self, rx: re.Pattern[str]) -> str | None:
        """The first complete line appended since the last look that ``rx`` matches (its
        text, without the newline), or None; reads to the end of the file as it is now."""
        try:
            with open(self.path, "rb") as fh:
                return self._read(fh, rx)
        except FileNotFoundError:
            return None

    def _read(self, fh: BinaryIO, rx: re.Pattern[str]) -> str | None:
        fh.seek(self.pos)
        while True:
            data = fh.read(CHUNK)
            if not data:
                return None
            self.pos += len(data)
            text = self._carry + self._decode(data)
            cut = text.rfind("\n") + 1
            self._carry = text[cut:]
            found = rx.search(text, 0, cut)
            if found is not None:
                begin = text.rfind("\n", 0, found.start()) + 1
                end = text.find("\n", found.end())
                return text[begin:end if end >= 0 else cut]


def log_tail(path: Path, size: int = 3000) -> str:
    """The last ``size`` bytes of the log, decoded ('' when there is none)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - size))
            return fh.read().decode(errors="replace")
    except FileNotFoundError:
        return ""
