"""Read what one OpenSM process wrote (its dump files and log) into the lab's mirror.

Every file is read by the one reader of its format in :mod:`ibviz.topology.state`, in
strict mode: a file caught half-written (cut mid-line, a table without its closing line)
raises :class:`~ibviz.topology.state.DumpIncomplete` and is read again after OpenSM's next
rewrite. :class:`~ibviz.backends.lab.watch.DumpWatcher` says which files were rewritten
and never hands out one that is being written (inotify): strict parsing alone cannot
tell a file cut at a line boundary between two switches from a whole one.
"""

from __future__ import annotations

import time
from collections.abc import Collection

from ibviz.backends.base import BackendError
from ibviz.backends.lab.mirror import Mirror
from ibviz.backends.lab.watch import DumpWatcher
from ibviz.backends.opensm_process import OpenSm
from ibviz.topology.errors import TopologyError
from ibviz.topology.state import OPENSM_DUMPS, parse_dump

__all__ = ["LabReader", "STATE_FILES"]

STATE_FILES = ("guid2lid", "opensm.mcfdbs", "opensm-sa.dump", "opensm-subnet.lst",
               "opensm-lfts.dump")
"""OpenSM's files the lab reads, in the order one read applies them (multicast first: the
MFTs are what a failover changes; the LFTs are by far the biggest file)."""


class LabReader:
    """Applies every file ``opensm`` rewrote completely since the last :meth:`read`.

    Parameters
    ----------
    opensm : OpenSm
        A started OpenSM (its directory holds the dumps, its cache and its log).
    mirror : Mirror
        Where the state goes.
    problems : list of str, optional
        Where to note the files that could not be read (and why).
    """

    def __init__(self, opensm: OpenSm, mirror: Mirror,
                 problems: list[str] | None = None) -> None:
        assert opensm.dir is not None
        self.opensm, self.mirror = opensm, mirror
        self.watch = DumpWatcher(opensm.dir, STATE_FILES)
        self._log_offset = 0
        self.sweeps = 0
        """Heavy sweeps OpenSM finished ("SUBNET UP" in its log)."""
        self.version = ""
        self.problems = problems if problems is not None else []

    def close(self) -> None:
        self.watch.close()

    def _read_log(self) -> None:
        text = self.opensm.log_text(self._log_offset)
        complete = text[: text.rfind("\n") + 1]
        if not self._log_offset and "OpenSM " in complete:
            self.version = complete.split("OpenSM ", 1)[1].split()[0]
        self._log_offset += len(complete.encode())
        ups = complete.count("SUBNET UP")
        self.sweeps += ups
        if ups:
            self.mirror.sm.state = "SUBNET UP"

    def read(self, files: Collection[str] | None = None) -> bool:
        """Apply what changed (of ``files`` only, if given); True when the mirror changed."""
        self._read_log()
        changed = False
        for name in self.watch.changed():
            if files is not None and name not in files:
                continue
            got = self.watch.read(name)
            if got is None:
                continue
            text, mtime_ns = got
            fmt = OPENSM_DUMPS[name]
            try:
                state = parse_dump(text, fmt, str(self.watch.directory / name), strict=True)
            except TopologyError as exc:  # read again when OpenSM rewrites it
                self.problems.append(str(exc))
                continue
            changed = self.mirror.apply_file(fmt, state, mtime_ns) or changed
        return changed

    def read_all(self, timeout: float = 10.0) -> None:
        """Read until no file is left pending (the first read after OpenSM started)."""
        deadline = time.monotonic() + timeout
        while True:
            self.read()
            pending = self.watch.changed()
            if not pending:
                return
            if time.monotonic() > deadline:
                raise BackendError(f"OpenSM kept rewriting {pending} for {timeout} s")
            time.sleep(0.01)
