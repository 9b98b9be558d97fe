"""Run the real OpenSM (Debian ``opensm`` 3.3.23) against an :class:`IbsimFabric`.

OpenSM runs under umad2sim with ``SIM_HOST`` = the node it is attached at, a private
``OSM_CACHE_DIR``/``OSM_TMP_DIR``/dump directory inside the fabric's workdir and the command
line measured to work (``-f DIR/opensm.log -e -d 2 -D 0x43 --dump_files_dir DIR/ -s 10``,
plus ``-F opensm.conf`` with ``sa_db_dump TRUE`` when asked). :class:`OpenSm` waits for
"SUBNET UP" in the log and always stops the process (SIGTERM, then SIGKILL: OpenSM started
with no answering ibsim hangs in its attach and ignores SIGTERM; one whose ibsim dies later
still exits on SIGTERM).
"""

from __future__ import annotations

import atexit
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from ibviz.backends._proc import (
    ChildProcess,
    OutputCollector,
    check_tools,
    kill_group,
    reap_orphans,
    which_tool,
)
from ibviz.backends.ibsim_process import IbsimError, IbsimFabric
from ibviz.backends.log_scan import LogScanner, log_tail
from ibviz.topology.errors import TopologyError
from ibviz.topology.state import parse_dump
from ibviz.topology.state.directory import read_settled

__all__ = ["OpenSm", "OpenSmError", "reap_orphan_opensm"]

SUBNET_UP = "SUBNET UP"


class OpenSmError(IbsimError):
    """OpenSM failed to start, exited, or did not bring the subnet up in time."""


class OpenSm(ChildProcess):
    """OpenSM attached at ``sim_host`` of a started :class:`IbsimFabric`; a context manager.

    Parameters
    ----------
    fabric : IbsimFabric
        The running simulator.
    sim_host : str, optional
        ibsim node id OpenSM is attached at (default: ibsim's first node).
    sweep : int
        ``-s``: seconds between light sweeps.
    sa_db_dump : bool
        Write ``opensm-sa.dump`` (via a config file with ``sa_db_dump TRUE``).
    extra_args : sequence of str
        Further OpenSM options.
    timeout : float
        Seconds to wait for "SUBNET UP".
    """

    def __init__(self, fabric: IbsimFabric, sim_host: str | None = None, *, sweep: int = 10,
                 sa_db_dump: bool = False, extra_args: tuple[str, ...] | list[str] = (),
                 timeout: float = 60.0) -> None:
        self.fabric, self.sim_host = fabric, sim_host
        self.sweep, self.sa_db_dump, self.extra_args = sweep, sa_db_dump, list(extra_args)
        self.timeout = timeout
        self.dir: Path | None = None
        self.up_seconds: float | None = None
        """Seconds from process start to "SUBNET UP" in the log."""
        self._proc: subprocess.Popen | None = None
        self._out: OutputCollector | None = None

    # -- paths ---------------------------------------------------------------------------------
    def _path(self, name: str) -> Path:
        if self.dir is None:
            raise OpenSmError("OpenSM not started")
        return self.dir / name

    @property
    def log_path(self) -> Path:
        return self._path("opensm.log")

    @property
    def subnet_lst_path(self) -> Path:
        return self._path("opensm-subnet.lst")

    @property
    def mcfdbs_path(self) -> Path:
        return self._path("opensm.mcfdbs")

    @property
    def fdbs_path(self) -> Path:
        return self._path("opensm.fdbs")

    @property
    def lfts_path(self) -> Path:
        return self._path("opensm-lfts.dump")

    @property
    def lid_matrix_path(self) -> Path:
        return self._path("opensm-lid-matrix.dump")

    @property
    def sa_dump_path(self) -> Path:
        return self._path("opensm-sa.dump")

    @property
    def guid2lid_path(self) -> Path:
        return self._path("guid2lid")


    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> OpenSm:
        """Start OpenSM and wait for "SUBNET UP" (raises :class:`OpenSmError` otherwise)."""
        if self._proc is not None:
            raise OpenSmError("OpenSm.start() called twice")
        check_tools(need_opensm=True)
        self.dir = self.fabric.new_scratch_dir()
        d = str(self.dir)
        argv = [which_tool("opensm") or "opensm", "-f", f"{d}/opensm.log", "-e", "-d", "2",
                "-D", "0x43", "--dump_files_dir", f"{d}/", "-s", str(self.sweep)]
        if self.sa_db_dump:
            (self.dir / "opensm.conf").write_text("sa_db_dump TRUE\n")
            argv += ["-F", f"{d}/opensm.conf"]
        env = self.fabric.client_env(self.sim_host, {"OSM_CACHE_DIR": d, "OSM_TMP_DIR": d})
        atexit.register(self.stop)
        t0 = time.monotonic()
        try:
            self._proc = subprocess.Popen(argv + self.extra_args, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                          cwd=d, env=env, start_new_session=True)
            self._out = OutputCollector(self._proc.stdout, f"opensm-{self._proc.pid}")
            self.wait_for_log(SUBNET_UP, self.timeout)
            self.up_seconds = time.monotonic() - t0
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 3 s; free OpenSM's ibsim client slot. Idempotent."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None and kill_group(proc, term_timeout=3.0) == -9:
            self.fabric._free_client_slot(proc.pid)
        if self._out is not None:
            self._out.join(2.0)

    def __enter__(self) -> OpenSm:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- log -----------------------------------------------------------------------------------
    def log_text(self, start: int = 0) -> str:
        """The OpenSM log from byte offset ``start`` ('' before it exists)."""
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(start)
                return fh.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def wait_for_log(self, pattern: str, timeout: float, start: int = 0) -> str:
        """Wait until a line of the log (from byte offset ``start``) matches ``pattern``
        (a regex); return that line. Each look reads only what was appended since the
        last one (:class:`~ibviz.backends.log_scan.LogScanner`: a large sweep logs
        gigabytes)."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        scanner = LogScanner(self.log_path, start)
        while True:
            line = scanner.find(rx)
            if line is not None:
                return line
            if self._proc is None or self._proc.poll() is not None:
                line = scanner.find(rx)  # what it wrote before it exited
                if line is not None:
                    return line
                out = self._out.text() if self._out else ""
                raise OpenSmError(f"OpenSM exited before {pattern!r} in its log:\n{out[-2000:]}"
                                  f"\nlog:\n{log_tail(self.log_path)}")
            if time.monotonic() > deadline:
                raise OpenSmError(f"no {pattern!r} in the OpenSM log within {timeout} s:\n"
                                  f"{log_tail(self.log_path)}")
            time.sleep(0.01)

    def errors(self, start: int = 0) -> list[str]:
        """``ERR xxxx`` codes logged since byte offset ``start``, in order."""
        return re.findall(r"ERR ([0-9A-F]{4})", self.log_text(start))

    # -- dump files ----------------------------------------------------------------------------
    @staticmethod
    def read_stable(path: Path, timeout: float = 5.0, interval: float = 0.02) -> str:
        """Read a file OpenSM rewrites in place (truncate, then write) until two reads
        ``interval`` seconds apart agree and each read all the bytes the file then had.

        Returns '' for a missing file; raises :class:`OpenSmError` after ``timeout``.
        """
        try:
            return read_settled(path, timeout, interval).decode(errors="replace")
        except TopologyError as exc:
            raise OpenSmError(f"{path.name}: {exc.message}") from None

    def mcfdbs(self, timeout: float = 5.0) -> dict[int, dict[int, tuple[int, ...]]]:
        """The current ``opensm.mcfdbs``: {switch GUID: {MLID: (ports, ...)}}.

        OpenSM writes only switches with multicast entries: a file with no group of two or
        more member ports is empty (then this returns {}).
        """
        state = parse_dump(self.read_stable(self.mcfdbs_path, timeout), "opensm-mcfdbs",
                           str(self.mcfdbs_path), strict=False)
        return {sw: {mlid: tuple(sorted(ports)) for mlid, ports in table.items()}
                for sw, table in state.mfts.items()}

    def wait_mcfdbs(self, predicate: Callable[[dict[int, dict[int, tuple[int, ...]]]], bool],
                    timeout: float = 5.0) -> dict[int, dict[int, tuple[int, ...]]]:
        """Poll :meth:`mcfdbs` until ``predicate(tables)`` holds; return the tables.

        Raises
        ------
        OpenSmError
            The predicate still fails after ``timeout`` seconds (message shows the tables).
        """
        deadline = time.monotonic() + timeout
        while True:
            tables = self.mcfdbs(timeout)
            if predicate(tables):
                return tables
            if time.monotonic() > deadline:
                raise OpenSmError(f"opensm.mcfdbs did not reach the expected state within "
                                  f"{timeout} s; last read: {tables}")
            time.sleep(0.01)

    def guid2lid(self) -> dict[int, tuple[int, int]]:
        """OpenSM's LID assignment: {port GUID: (base LID, top LID)}."""
        state = parse_dump(self.read_stable(self.guid2lid_path), "guid2lid",
                           str(self.guid2lid_path), strict=False)
        return {guid: (base, base + (1 << lmc) - 1) for guid, (base, lmc) in state.lids.items()}


def reap_orphan_opensm(prefix: str = "ibviz") -> list[int]:
    """SIGKILL OpenSM processes whose creator died without stopping them."""
    return reap_orphans(prefix, "opensm")
