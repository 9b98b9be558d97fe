"""Child-process helpers (output collectors, process-group killing) and lookup of the
Debian tools (ibsim, ibnetdiscover, libumad2sim.so, opensm).

Pure standard library; used by :mod:`ibviz.backends.ibsim_process`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

__all__ = [
    "MissingToolsError",
    "OutputCollector",
    "check_tools",
    "estimate_limits",
    "find_umad2sim",
    "kill_group",
    "reap_orphans",
    "signal_group",
    "which_tool",
]

IBSIM_DEFAULTS = (2048, 256, 13312)  # nodes, switches, ports (ibsim 0.10)
_SBIN = "/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin"


class OutputCollector:
    """Read a binary pipe in a daemon thread and keep everything in a buffer.

    Parameters
    ----------
    stream : IO[bytes]
        The read end of a pipe (``Popen.stdout`` / ``Popen.stderr``).
    name : str
        Thread name, for debugging.
    """

    def __init__(self, stream: IO[bytes], name: str = "collector") -> None:
        self._stream = stream
        self._buf = bytearray()
        self._cond = threading.Condition()
        self.eof = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        fd = self._stream.fileno()
        try:
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                with self._cond:
                    if not chunk:
                        self.eof = True
                        self._cond.notify_all()
                        return
                    self._buf += chunk
                    self._cond.notify_all()
        finally:
            self._stream.close()

    def __len__(self) -> int:
        with self._cond:
            return len(self._buf)

    def data(self, start: int = 0) -> bytes:
        """Return a copy of the bytes collected so far, from offset ``start``."""
        with self._cond:
            return bytes(self._buf[start:])

    def text(self, start: int = 0) -> str:
        """Return the collected output from ``start`` decoded as UTF-8 (errors replaced)."""
        return self.data(start).decode("utf-8", errors="replace")

    def wait_for(
        self, predicate: Callable[[bytes], object], timeout: float, start: int = 0
    ) -> bool:
        """Wait until ``predicate(buffer[start:])`` is true or the stream ends.

        Parameters
        ----------
        predicate : callable
            Called with the bytes collected from offset ``start`` whenever data arrives.
        timeout : float
            Seconds to wait at most.
        start : int
            Offset into the buffer where the data of interest begins.

        Returns
        -------
        bool
            True when the predicate holds, False on end of stream or timeout.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if predicate(bytes(self._buf[start:])):
                    return True
                remaining = deadline - time.monotonic()
                if self.eof or remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.5))

    def join(self, timeout: float = 2.0) -> None:
        """Wait for the reader thread to finish (it ends at end of stream)."""
        self._thread.join(timeout)


def signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Send ``sig`` to the process group led by ``proc`` if ``proc`` is not reaped yet.

    While the leader is unreaped its pid, and so its group id, cannot be reused.
    """
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def kill_group(proc: subprocess.Popen, term_timeout: float = 2.0) -> int:
    """Terminate the process group of ``proc`` (SIGTERM, then SIGKILL) and reap ``proc``.

    ``proc`` must have been started with ``start_new_session=True``.

    Parameters
    ----------
    proc : subprocess.Popen
        The group leader.
    term_timeout : float
        Seconds to wait after SIGTERM before SIGKILL.

    Returns
    -------
    int
        The leader's return code.
    """
    if proc.poll() is None:
        signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(term_timeout)
        except subprocess.TimeoutExpired:
            signal_group(proc, signal.SIGKILL)
            proc.wait()
    return proc.returncode


def reap_orphans(prefix: str = "ibviz", command: str = "ibsim") -> list[int]:
    """SIGKILL ``command`` processes (ibsim, opensm) whose creator died without stopping
    them.

    Our socket names are ``f"{prefix}{creator pid}_{hex}"``: a process carrying such an
    ``IBSIM_SOCKNAME`` whose creator pid no longer exists is an orphan (an OpenSM whose
    ibsim is gone hangs and ignores SIGTERM).

    Returns
    -------
    list of int
        The pids killed.
    """
    pat = re.compile(rb"IBSIM_SOCKNAME=" + re.escape(prefix.encode()) + rb"(\d+)_[0-9a-f]+\Z")
    killed = []
    for proc_dir in Path("/proc").glob("[0-9]*"):
        try:
            if (proc_dir / "comm").read_text().strip() != command:
                continue
            for item in (proc_dir / "environ").read_bytes().split(b"\0"):
                m = pat.match(item)
                if m and not Path(f"/proc/{int(m.group(1))}").exists():
                    os.kill(int(proc_dir.name), signal.SIGKILL)
                    killed.append(int(proc_dir.name))
        except OSError:
            continue
    return killed


class MissingToolsError(RuntimeError):
    """Debian packages needed for the real tools are missing; ``.packages`` names them."""

    def __init__(self, packages: list[str], missing: list[str]) -> None:
        self.packages = packages
        self.missing = missing
        fix = "apt-get install -y " + " ".join(packages)
        super().__init__(f"missing {', '.join(missing)}; install with: {fix}")


def which_tool(name: str) -> str | None:
    """``shutil.which`` that also looks in the sbin directories (ibnetdiscover, opensm)."""
    return shutil.which(name) or shutil.which(name, path=_SBIN)


def find_umad2sim() -> Path | None:
    """Locate ``libumad2sim.so`` (package libumad2sim0), or return None."""
    if shutil.which("dpkg"):
        try:
            out = subprocess.run(
                ["dpkg", "-L", "libumad2sim0"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        for line in out.splitlines():
            if line.endswith("/libumad2sim.so") and Path(line).is_file():
                return Path(line)
    for pattern in (
        "/usr/lib/*/umad2sim/libumad2sim.so",
        "/usr/lib/*/libumad2sim.so",
        "/usr/lib/umad2sim/libumad2sim.so",
        "/usr/lib64/umad2sim/libumad2sim.so",
    ):
        for hit in sorted(Path("/").glob(pattern.lstrip("/"))):
            if hit.is_file():
                return hit
    return None


def check_tools(need_opensm: bool = False) -> None:
    """Raise :class:`MissingToolsError` unless ibsim, ibnetdiscover, libumad2sim (and opensm).

    Parameters
    ----------
    need_opensm : bool
        Also require the ``opensm`` binary.
    """
    packages: list[str] = []
    missing: list[str] = []
    if not which_tool("ibsim"):
        packages.append("ibsim-utils")
        missing.append("ibsim")
    if not which_tool("ibnetdiscover"):
        packages.append("infiniband-diags")
        missing.append("ibnetdiscover")
    if find_umad2sim() is None:
        missing.append("libumad2sim.so")
        if "ibsim-utils" not in packages:
            packages.append("libumad2sim0")
    if need_opensm and not which_tool("opensm"):
        packages.append("opensm")
        missing.append("opensm")
    if packages:
        raise MissingToolsError(packages, missing)


def estimate_limits(net_file: Path) -> tuple[int, int, int]:
    """Return ``(nodes, switches, ports)`` ibsim limits, with headroom, for ``net_file``.

    Counts node header lines (``Switch``/``Ca``/``Hca``/``Rt``) and their declared port
    counts, follows ``include "file"`` lines, and never goes below ibsim's defaults.
    """
    nodes = switches = ports = 0
    pending, seen = [Path(net_file)], set()
    while pending:
        path = pending.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        for line in path.read_text(errors="replace").splitlines():
            kind = next((k for k in ("Switch", "Hca", "Ca", "Rt") if line.startswith(k)), None)
            if kind:
                m = re.match(r"\w+\s+(\d+)", line)
                nports = int(m.group(1)) if m else 1
                nodes += 1
                switches += kind == "Switch"
                ports += nports + (kind == "Switch")
            elif line.startswith("include"):
                m = re.search(r'"([^"]+)"', line)
                if m:
                    pending.append(Path(net_file).parent / m.group(1))
    counts = (nodes, switches, ports)
    n, s, p = (max(d, c + c // 4 + 16) for d, c in zip(IBSIM_DEFAULTS, counts, strict=True))
    return n, s, p


class ChildProcess:
    """Mixin for wrappers that own one child process in ``self._proc``."""

    _proc: subprocess.Popen | None

    @property
    def pid(self) -> int | None:
        """The child's process id (None before start)."""
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        """True while the child process is alive."""
        return self._proc is not None and self._proc.poll() is None
