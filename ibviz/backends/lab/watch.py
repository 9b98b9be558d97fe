"""Know when OpenSM has finished rewriting one of its dump files, and read it whole.

OpenSM rewrites ``opensm.mcfdbs``, ``opensm-lfts.dump`` ... in place: ``fopen(path, "w")``
truncates the file, stdio writes it in 4 KiB pieces and ``fclose`` ends it. A reader in
between sees a half-written (or empty) file. :class:`DumpWatcher` follows the directory with
Linux inotify (through ctypes): a file is being written from its first ``IN_MODIFY`` (the
truncation) to its ``IN_CLOSE_WRITE``; ``IN_MOVED_TO`` marks a file replaced by rename
(``opensm-sa.dump`` is written to a ``.tmp`` file and renamed). A file is read only when

* no rewrite is in progress (inotify; a writer stalled half-way is still "in progress"),
* its modification time is at least :data:`SETTLE_NS` old: the kernel updates it when the
  truncation happens, a moment *before* it queues the inotify event, so a rewrite that has
  just begun is seen here even when its event is not queued yet,
* and its size and modification time are the same before and after the read, with no
  inotify event for it meanwhile (the read did not overlap a rewrite).

Without inotify the last two rules alone apply.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import struct
import time
from collections.abc import Iterable
from pathlib import Path

__all__ = ["DumpWatcher", "SETTLE_NS"]

IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_TO, IN_Q_OVERFLOW = 0x2, 0x8, 0x80, 0x4000
IN_NONBLOCK, IN_CLOEXEC = os.O_NONBLOCK, 0o2000000
_EVENT = struct.Struct("iIII")
SETTLE_NS = 30_000_000
"""A file must have been unchanged for this long (by its mtime) before it is read."""


def _inotify(directory: Path) -> int:
    """An inotify descriptor watching ``directory``; -1 where inotify is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
    except (OSError, AttributeError):
        return -1
    if fd < 0:
        return -1
    if libc.inotify_add_watch(fd, os.fsencode(directory),
                              IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO) < 0:
        os.close(fd)
        return -1
    return fd


class DumpWatcher:
    """Which of ``names`` in ``directory`` were rewritten completely since last read.

    Parameters
    ----------
    directory : Path
        OpenSM's dump directory.
    names : iterable of str
        The files of interest (others are ignored).
    """

    def __init__(self, directory: Path, names: Iterable[str]) -> None:
        self.directory = Path(directory)
        self.names = tuple(names)
        self._fd = _inotify(self.directory)
        self._writing: set[str] = set()
        self._fresh: set[str] = {n for n in self.names if (self.directory / n).exists()}
        self._followed: set[str] = set()
        """Files whose last rewrite inotify saw end."""
        self._stamps: dict[str, tuple[int, int]] = {}

    @property
    def uses_inotify(self) -> bool:
        return self._fd >= 0

    def close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1

    def _drain(self) -> set[str]:
        """Apply queued events; return the names of interest they touched."""
        touched: set[str] = set()
        while self._fd >= 0:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                break
            except OSError:
                self.close()
                break
            offset = 0
            while offset < len(data):
                _wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                raw = data[offset + _EVENT.size: offset + _EVENT.size + length]
                offset += _EVENT.size + length
                if mask & IN_Q_OVERFLOW:  # events lost: trust nothing seen so far
                    self._fresh.update(self.names)
                    self._followed.clear()
                    touched.update(self.names)
                    continue
                name = raw.rstrip(b"\0").decode(errors="replace")
                if name not in self.names:
                    continue
                touched.add(name)
                self._fresh.add(name)
                if mask & IN_MODIFY:
                    self._writing.add(name)
                    self._followed.discard(name)
                if mask & (IN_CLOSE_WRITE | IN_MOVED_TO):
                    self._writing.discard(name)
                    self._followed.add(name)
        return touched

    def _stat(self, name: str) -> tuple[int, int] | None:
        try:
            st = (self.directory / name).stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size

    def changed(self) -> list[str]:
        """Names rewritten (and not being written now) since their last successful read."""
        self._drain()
        if self._fd < 0:
            for name in self.names:
                if self._stat(name) != self._stamps.get(name):
                    self._fresh.add(name)
        return [n for n in self.names if n in self._fresh and n not in self._writing]

    def read(self, name: str) -> tuple[bytes, int] | None:
        """``(data, mtime_ns)`` of a complete ``name``, or None if it is being rewritten
        (or missing); a None leaves the file pending, to be read at the next call."""
        self._drain()
        if name in self._writing:
            return None
        before = self._stat(name)
        if before is None or time.time_ns() - before[0] < SETTLE_NS:
            return None
        try:
            raw = (self.directory / name).read_bytes()
        except FileNotFoundError:
            return None
        if name in self._drain() or self._stat(name) != before:
            self._fresh.add(name)
            return None
        self._fresh.discard(name)
        self._stamps[name] = before
        return raw, before[0]
