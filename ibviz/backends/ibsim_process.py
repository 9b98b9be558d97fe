"""Run the real ``ibsim`` fabric simulator and libibumad clients (ibnetdiscover, ...) against it.

Pure standard library. Clients reach the simulator through ``LD_PRELOAD=libumad2sim.so`` and
a private ``IBSIM_SOCKNAME``, so several fabrics run side by side.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from typing import IO

from ibviz.backends._proc import (
    ChildProcess,
    MissingToolsError,
    OutputCollector,
    check_tools,
    estimate_limits,
    find_umad2sim,
    kill_group,
    reap_orphans,
    signal_group,
    which_tool,
)
from ibviz.backends._watchdog import SOCKNAME_PREFIX, ensure_watchdog, marked_processes

__all__ = [
    "IbsimError",
    "IbsimFabric",
    "MissingToolsError",
    "check_tools",
    "estimate_limits",
    "fabric_processes",
    "find_umad2sim",
]

PROMPT_RE = re.compile(rb"sim(?: \(inactive\))?> \Z")


class IbsimError(RuntimeError):
    """ibsim failed to start, died, or a client against it failed or timed out."""


class IbsimFabric(ChildProcess):
    """One running ``ibsim`` instance with a private socket name and work directory.

    Parameters
    ----------
    net_file : Path
        ibsim net file (ibnetdiscover syntax plus ``include``/``do`` lines).
    workdir : Path, optional
        Directory for client scratch dirs; a private temp dir (removed on stop) if None.
    max_nodes, max_switches, max_ports : int, optional
        ibsim ``-N``/``-S``/``-P``; estimated from the net file when None.
    timeout : float
        Seconds to wait for ibsim to become ready.
    """

    def __init__(
        self,
        net_file: Path,
        *,
        workdir: Path | None = None,
        max_nodes: int | None = None,
        max_switches: int | None = None,
        max_ports: int | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.net_file = Path(net_file).resolve()
        self._given_workdir = Path(workdir) if workdir is not None else None
        self.workdir: Path | None = None
        self.limits = (max_nodes, max_switches, max_ports)
        self.timeout = timeout
        self.sockname = f"{SOCKNAME_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.umad2sim: Path | None = None
        self.startup_output = ""
        self._proc: subprocess.Popen | None = None
        self._stdin: IO[bytes] | None = None
        self._out: OutputCollector | None = None
        self._err: OutputCollector | None = None
        self._lock = threading.RLock()
        self._stopped = False

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> IbsimFabric:
        """Start ibsim and wait until its console and sockets are ready.

        Raises
        ------
        MissingToolsError
            The Debian packages are not installed.
        IbsimError
            ibsim exited (parse error, limits, duplicate socket) or was not ready in time.
        """
        if self._proc is not None:
            raise IbsimError("IbsimFabric.start() called twice")
        check_tools()
        reap_orphans()
        ensure_watchdog()  # ibsim and every client die with this process, however it ends
        self.umad2sim = find_umad2sim()
        if not self.net_file.is_file():
            raise IbsimError(f"net file not found: {self.net_file}")
        est = estimate_limits(self.net_file)
        n, sw, p = (v if v is not None else e for v, e in zip(self.limits, est, strict=True))
        argv = [which_tool("ibsim") or "ibsim", "-s", "-N", str(n), "-S", str(sw), "-P", str(p)]
        argv.append(str(self.net_file))
        atexit.register(self.stop)
        try:
            if self._given_workdir is not None:
                self._given_workdir.mkdir(parents=True, exist_ok=True)
                self.workdir = self._given_workdir
            else:
                self.workdir = Path(tempfile.mkdtemp(prefix="ibviz-ibsim-"))
            env = dict(os.environ, IBSIM_SOCKNAME=self.sockname)
            # ibsim spins at ~90% CPU once its stdin reaches EOF, so it gets a pipe whose write
            # end it holds itself: no EOF even if we die without stop() (it then idles).
            rfd, wfd = os.pipe()
            self._stdin = os.fdopen(wfd, "wb")
            try:
                self._proc = subprocess.Popen(
                    argv,
                    stdin=rfd,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    cwd=self.net_file.parent,
                    env=env,
                    pass_fds=(wfd,),
                    start_new_session=True,
                )
            finally:
                os.close(rfd)
            self._out = OutputCollector(self._proc.stdout, f"ibsim-{self._proc.pid}-out")
            self._err = OutputCollector(self._proc.stderr, f"ibsim-{self._proc.pid}-err")
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        assert self._out is not None
        if not self._out.wait_for(PROMPT_RE.search, self.timeout):
            raise self._died("ibsim did not show its console prompt")
        self.startup_output = self._out.text()
        # The first prompt comes before the sockets are bound; a second prompt, answered from
        # the main loop, proves they are (a duplicate name dies here).
        self.console("", timeout=self.timeout)

    def _died(self, what: str) -> IbsimError:
        assert self._proc is not None and self._out is not None and self._err is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(1.0)
        self._out.join(1.0)
        self._err.join(1.0)
        rc = self._proc.returncode
        state = f"exit status {rc}" if rc is not None else "still running"
        return IbsimError(
            f"{what} ({state}; net file {self.net_file}).\n"
            f"ibsim stdout:\n{self._out.text()}\nibsim stderr:\n{self._err.text()}"
        )

    def stop(self) -> None:
        """Quit ibsim, kill its process group if needed, remove the private workdir.

        Idempotent; also registered with :mod:`atexit`.
        """
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        atexit.unregister(self.stop)
        proc, stdin = self._proc, self._stdin
        if proc is not None:
            try:
                if proc.poll() is None and stdin is not None:
                    with contextlib.suppress(OSError, ValueError):
                        stdin.write(b"Quit\n")
                        stdin.flush()
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(1.0)
            finally:
                kill_group(proc, term_timeout=2.0)
                for coll in (self._out, self._err):
                    if coll is not None:
                        coll.join(2.0)
        if stdin is not None:
            with contextlib.suppress(OSError):
                stdin.close()
        if self.workdir is not None and self._given_workdir is None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> IbsimFabric:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- console and clients ------------------------------------------------------------------
    def console(self, cmd: str, timeout: float = 5.0) -> str:
        """Send one console command (e.g. ``Unlink "Switch1"[3]``); return its output.

        The output is what ibsim printed up to the next ``sim> `` prompt, prompt excluded.
        ``Quit`` returns once ibsim has exited.
        """
        if "\n" in cmd or len(cmd.encode()) > 126:
            raise ValueError("console command must be one line of at most 126 bytes")
        with self._lock:
            if not self.running:
                raise self._died(f"ibsim is not running (console {cmd!r})")
            assert self._proc is not None and self._stdin is not None and self._out is not None
            start = len(self._out)
            self._stdin.write(cmd.encode() + b"\n")
            self._stdin.flush()
            if self._out.wait_for(PROMPT_RE.search, timeout, start=start):
                return PROMPT_RE.sub(b"", self._out.data(start)).decode(errors="replace")
            if cmd.strip()[:1] in ("q", "Q") and self._out.eof:
                self._proc.wait(timeout)
                return self._out.text(start)
            raise self._died(f"no prompt after console command {cmd!r} within {timeout} s")

    def client_env(
        self, sim_host: str | None = None, env: dict[str, str] | None = None
    ) -> dict[str, str]:
        """Environment for a libibumad client attached to this fabric (at ``sim_host``)."""
        if self.umad2sim is None:
            raise IbsimError("fabric not started")
        full = {**os.environ, **(env or {}), "IBSIM_SOCKNAME": self.sockname}
        full["LD_PRELOAD"] = f"{self.umad2sim} {full.get('LD_PRELOAD', '')}".strip()
        full.pop("SIM_HOST", None)
        full.update({"SIM_HOST": sim_host} if sim_host is not None else {})
        return full

    def new_scratch_dir(self) -> Path:
        """A fresh directory under the workdir (umad2sim writes ``./sys-<pid>/`` there)."""
        if self.workdir is None:
            raise IbsimError("fabric not started")
        return Path(tempfile.mkdtemp(prefix="client-", dir=self.workdir))

    def run_client(
        self,
        argv: list[str],
        *,
        sim_host: str | None = None,
        timeout: float = 60.0,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess:
        """Run a libibumad client against this fabric and capture its output as text.

        Raises
        ------
        IbsimError
            ibsim is not running, or the client timed out (its process group is killed and
            its ibsim client slot freed).
        """
        if not self.running:
            raise self._died(f"ibsim is not running (client {argv!r})")
        argv = [which_tool(argv[0]) or argv[0], *argv[1:]]
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            cwd=self.new_scratch_dir(),
            env=self.client_env(sim_host, env),
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException as exc:
            signal_group(proc, signal.SIGKILL)
            out, err = proc.communicate()
            self._free_client_slot(proc.pid)
            if isinstance(exc, subprocess.TimeoutExpired):
                raise IbsimError(
                    f"{argv!r} timed out after {timeout} s (killed); stderr:\n{err}"
                ) from None
            raise
        return subprocess.CompletedProcess(argv, proc.returncode, out, err)

    def _free_client_slot(self, pid: int) -> None:
        """Drop the ibsim client slot a killed client kept (at most 10 slots exist)."""
        with contextlib.suppress(IbsimError, OSError, ValueError):
            for m in re.finditer(r"Client (\d+): pid (\d+)", self.console("Attached")):
                if int(m.group(2)) == pid:
                    self.console(f"X {m.group(1)}")

    def ibnetdiscover(
        self,
        extra_args: tuple[str, ...] | list[str] = (),
        *,
        sim_host: str | None = None,
        timeout: float = 60.0,
    ) -> str:
        """Run ``ibnetdiscover`` against the fabric and return its stdout."""
        res = self.run_client(["ibnetdiscover", *extra_args], sim_host=sim_host, timeout=timeout)
        if res.returncode != 0:
            raise IbsimError(f"ibnetdiscover exited {res.returncode}:\n{res.stderr}")
        return res.stdout


def fabric_processes(sockname_prefix: str) -> list[int]:
    """Pids of the live processes (ibsim, OpenSM, umad clients) whose environment carries an
    ``IBSIM_SOCKNAME`` starting with ``sockname_prefix``: what is left of a fabric (pass
    its ``sockname``) or of every fabric one process created (``f"ibviz{pid}_"``)."""
    return marked_processes(sockname_prefix)
