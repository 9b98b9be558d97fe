"""Read what one OpenSM process wrote (its dump files and log) into the lab's mirror."""

from __future__ import annotations

import time
from collections.abc import Collection

from ibviz.backends._lab_mirror import Mirror
from ibviz.backends._lab_parse import (
    DumpIncomplete,
    parse_lfts_dump,
    parse_sa_dump,
    parse_subnet_lst,
)
from ibviz.backends._lab_watch import DumpWatcher
from ibviz.backends.base import BackendError
from ibviz.backends.opensm_process import OpenSm, parse_guid2lid, parse_mcfdbs

__all__ = ["STATE_FILES", "StateReader"]

STATE_FILES = ("guid2lid", "opensm.mcfdbs", "opensm-sa.dump", "opensm-subnet.lst",
               "opensm-lfts.dump")
"""OpenSM's files the lab reads, in the order one read applies them (multicast first: the
MFTs are what a failover changes; the LFTs are by far the biggest file)."""


class StateReader:
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
            try:
                changed = self._apply(name, *got) or changed
            except DumpIncomplete as exc:  # read again when OpenSM rewrites it
                self.problems.append(f"{name}: {exc}")
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

    def _apply(self, name: str, text: str, mtime_ns: int) -> bool:
        mirror = self.mirror
        if name == "guid2lid":
            return mirror.apply_lids(parse_guid2lid(text))
        if name == "opensm-subnet.lst":
            lst = parse_subnet_lst(text)
            return mirror.apply_links(lst.nodes, lst.ports)
        if name == "opensm-lfts.dump":
            return mirror.apply_lfts(parse_lfts_dump(text))
        if name == "opensm.mcfdbs":
            if text and not text.endswith("\n"):
                raise DumpIncomplete("opensm.mcfdbs ends in the middle of a line")
            return mirror.apply_mfts({sw: {m: frozenset(p) for m, p in t.items()}
                                      for sw, t in parse_mcfdbs(text).items()})
        return mirror.apply_groups(parse_sa_dump(text, mirror.port_of), mtime_ns)
