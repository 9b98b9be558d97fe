"""A real fabric, read-only: from state files, or polled live with infiniband-diags.

``RealFabric(source)`` reads a directory or a list of state files (topology, LIDs, LFTs,
MFTs, groups: see :mod:`ibviz.topology.state`); ``RealFabric(live=True)`` runs
``ibnetdiscover``, ``dump_fts`` (``ibroute`` for every switch), ``dump_fts -M``,
``saquery -g``/``-m`` and ``sminfo`` as child processes (argument lists, no shell). Every
:meth:`RealFabric.poll` takes a new snapshot, applies the difference to the fabric and the
mirror subnet manager (core events for every change) and appends to :attr:`changes`.

The tools are looked up in ``LiveTools.tool_dir``, else ``$IBVIZ_DIAG_DIR``, else ``PATH``
and the sbin directories; ``LiveTools.env`` replaces their environment (the tests attach
them to ibsim with ``IbsimFabric.client_env``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ibviz.backends._proc import signal_group, which_tool
from ibviz.backends.base import Backend, BackendError, BackendStatus, Capabilities, Progress
from ibviz.core.fabric import Fabric
from ibviz.core.sm.manager import SubnetManager
from ibviz.topology._text import decode_lines
from ibviz.topology.errors import TopologyError, TopologyWarning
from ibviz.topology.state import FabricState, apply_state, parse_state
from ibviz.topology.state.directory import DirectoryRead, read_state_files
from ibviz.topology.state.sm_facts import sm_facts
from ibviz.topology.state.sync import ChangeLog, LoggedChange, sync_fabric

__all__ = ["DEFAULT_INTERVAL", "TOOLS_DIR_ENV", "LiveTools", "RealFabric"]

DEFAULT_INTERVAL = 10.0
"""Seconds between live polls unless told otherwise."""
TOOLS_DIR_ENV = "IBVIZ_DIAG_DIR"
_INSTALL = "apt-get install -y infiniband-diags"
LIVE_WORKERS = 3
"""Tools run at once in live mode (ibsim serves at most 10 clients, OpenSM included)."""


@dataclass
class LiveTools:
    """How live mode runs the infiniband-diags tools.

    Parameters
    ----------
    tool_dir : Path, optional
        Directory holding the tools (default: ``$IBVIZ_DIAG_DIR``, else ``PATH`` and sbin).
    env : dict, optional
        The tools' whole environment (default: this process's).
    ca, port : optional
        Local HCA and port to query from (``-C`` / ``-P``).
    sa_key : int, optional
        SA SM_Key for ``saquery -m`` (``--smkey``): without it the SA hides members' GIDs.
    timeout : float
        Seconds one tool may run.
    """

    tool_dir: Path | None = None
    env: dict[str, str] | None = None
    ca: str | None = None
    port: int | None = None
    sa_key: int | None = None
    timeout: float = 120.0

    def path(self, name: str) -> str:
        folder = self.tool_dir or os.environ.get(TOOLS_DIR_ENV)
        if folder:
            found = Path(folder) / name
            if found.is_file():
                return str(found)
            raise BackendError(f"{name} not found in {folder}")
        found_on_path = which_tool(name)
        if found_on_path is None:
            raise BackendError(f"{name} is not installed; install with: {_INSTALL}")
        return found_on_path

    def argv(self, name: str, *args: str) -> list[str]:
        local = (["-C", self.ca] if self.ca else []) + \
            (["-P", str(self.port)] if self.port is not None else [])
        return [self.path(name), *local, *args]

    def run(self, argv: list[str], cwd: Path) -> str:
        """Run one tool; its stdout, or :class:`BackendError` with its stderr."""
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, errors="replace", cwd=cwd,
                                env=self.env, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=self.timeout)
        except BaseException as exc:
            signal_group(proc, signal.SIGKILL)
            proc.communicate()
            if isinstance(exc, subprocess.TimeoutExpired):
                raise BackendError(f"{Path(argv[0]).name} did not finish within "
                                   f"{self.timeout} s (killed)") from None
            raise
        if proc.returncode != 0:
            raise BackendError(f"{' '.join([Path(argv[0]).name, *argv[1:]])} exited "
                               f"{proc.returncode}: {err.strip()[-500:]}")
        return out


def _lines(text: str) -> list[str]:
    return decode_lines(text.encode())


class RealFabric(Backend):
    """A real subnet, observed only.

    Parameters
    ----------
    source : path or sequence of paths, optional
        A directory of state files, or the files themselves (file mode).
    live : bool
        Poll the fabric with infiniband-diags instead of reading files.
    interval : float
        Seconds between polls the caller should keep (the GUI timer, ``ibviz attach``).
    tools : LiveTools, optional
        Where and how the tools run (live mode).
    """

    name = "real fabric (read-only)"

    @property
    def capabilities(self) -> Capabilities:  # type: ignore[override]
        """Read-only; in live mode a poll runs the tools (slow: in a worker)."""
        return Capabilities(external=True, polls=True, slow_poll=self.live)

    def __init__(self, source: str | Path | Sequence[str | Path] | None = None, *,
                 live: bool = False, interval: float = DEFAULT_INTERVAL,
                 tools: LiveTools | None = None) -> None:
        if source is None and not live:
            raise BackendError("give a directory or state files, or use live mode")
        if interval <= 0:
            raise BackendError("the poll interval must be positive")
        self.sources = [Path(source)] if isinstance(source, (str, Path)) else \
            [Path(p) for p in source or ()]
        self.live, self.interval = live, interval
        self.tools = tools or LiveTools()
        self.fabric = Fabric("real fabric")
        self.sm = SubnetManager(self.fabric)
        self.state: FabricState | None = None
        self.notes: list[str] = []
        """What the last snapshot could not place on the fabric."""
        self.last_error: str | None = None
        self.last_poll: float | None = None
        self.log: ChangeLog | None = None
        self.directory: DirectoryRead | None = None
        """What the last file snapshot read, skipped (one note each) and found disagreeing."""
        self._workdir: Path | None = None
        self._signature: tuple | None = None

    @property
    def changes(self) -> list[LoggedChange]:
        """Every change seen since :meth:`start`, oldest first."""
        return self.log.entries if self.log is not None else []

    # -- life cycle ------------------------------------------------------------------------
    def start(self, progress: Progress | None = None) -> None:
        if self.live and self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="ibviz-attach-"))
        state = self._snapshot(progress)
        if state.topology is None:
            raise BackendError("none of the files describes the topology: add ibnetdiscover "
                               "output, opensm-subnet.lst, an ibdiagnet .lst/.db_csv or "
                               "iblinkinfo output")
        self.fabric.name = state.topology.name
        self.fabric.subnets = dict(state.topology.subnets)
        self.fabric.warnings = list(state.warnings)
        self._apply(state)
        self.log = ChangeLog(self.fabric)

    def poll(self) -> bool:
        """Take a new snapshot and apply it; True when something changed. A failing snapshot
        keeps the last state and sets :attr:`last_error`."""
        return self.apply_snapshot(self.take_snapshot())

    def take_snapshot(self) -> FabricState | None:
        """Run the tools or read the files (slow in live mode; touches no shared state, so
        a GUI runs it in a worker thread); None when nothing changed or it failed."""
        if self.log is None:
            raise BackendError("RealFabric.poll() before start()")
        if not self.live and self._signature == self._file_signature():
            self.last_poll = time.time()
            return None
        try:
            return self._snapshot(None)
        except (BackendError, TopologyError) as exc:
            self.last_error = str(exc)
            return None

    def apply_snapshot(self, state: FabricState | None) -> bool:
        """Apply a snapshot to the fabric and the mirror (in the thread that owns them);
        True when something changed."""
        if state is None or self.log is None:
            return False
        before = len(self.log.entries)
        self.log.remember_names()
        self._apply(state)
        return len(self.log.entries) > before

    def _apply(self, state: FabricState) -> None:
        if state.topology is not None:
            sync_fabric(self.fabric, state.topology)
        self.notes = apply_state(state, self.fabric, self.sm)
        self.state, self.last_error, self.last_poll = state, None, time.time()
        self.sm.state = sm_facts(state, self.fabric).state  # the mirror is never swept

    def status(self) -> BackendStatus:
        sm = self.state.sm if self.state is not None else None
        detail = f"{len(self.fabric.nodes)} nodes, {len(self.fabric.links)} links"
        detail += "; live" if self.live else f"; {len(self.sources)} source(s)"
        if self.last_poll is not None:
            detail += f"; read {time.strftime('%H:%M:%S', time.localtime(self.last_poll))}"
        if self.last_error:
            detail += f"; last poll failed: {self.last_error}"
        if self.state is not None:
            detail += f"; {sm_facts(self.state, self.fabric).line()}"
        return BackendStatus(self.name, self.sm.state if sm is None else sm.state, detail)

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
        workdir, self._workdir = self._workdir, None
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)

    # -- snapshots -------------------------------------------------------------------------
    def _snapshot(self, progress: Progress | None) -> FabricState:
        return self._live_snapshot(progress) if self.live else self._file_snapshot(progress)

    def _files(self) -> list[Path]:
        files: list[Path] = []
        for src in self.sources:
            if src.is_dir():
                files += sorted(p for p in src.iterdir()
                                if p.is_file() and not p.name.startswith("."))
            elif src.is_file():
                files.append(src)
            else:
                raise BackendError(f"{src}: no such file or directory")
        return files

    def _file_signature(self) -> tuple:
        with contextlib.suppress(BackendError, OSError):
            return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in self._files())
        return ()

    def _file_snapshot(self, progress: Progress | None) -> FabricState:
        """Every file of the sources through the one directory reader: recognised files
        (gzipped too) read, others skipped with a note, disagreeing tables reported
        (both in the state's warnings); OpenSM rewrites its dumps in place, so each file
        is read until it is settled."""
        signature = self._file_signature()
        try:
            got = read_state_files(self._files(), settle=True, progress=progress)
        except TopologyError as exc:
            if exc.message.startswith("no subnet state"):
                raise BackendError(
                    f"no subnet state files in {', '.join(map(str, self.sources))}: "
                    "expected OpenSM's dumps (opensm-subnet.lst, guid2lid, opensm-lfts.dump, "
                    "opensm.mcfdbs, opensm-sa.dump), ibnetdiscover, ibroute, saquery or "
                    "ibdiagnet output") from None
            raise
        self.directory = got
        if progress is not None:
            progress(len(got.read), len(got.read))
        self._signature = signature
        return got.state

    def _live_snapshot(self, progress: Progress | None) -> FabricState:
        """Run the tools (a few at a time: they mostly wait for the fabric), then parse."""
        assert self._workdir is not None
        t, cwd = self.tools, self._workdir
        smkey = ["--smkey", str(t.sa_key)] if t.sa_key is not None else []
        steps = [("ibnetdiscover", [], "ibnetdiscover", True),
                 ("dump_fts", [], "ibroute", True),
                 ("dump_fts", ["-M"], "ibroute-mcast", True),
                 ("saquery", ["-g"], "saquery-mcmember", False),
                 ("saquery", ["-m", *smkey], "saquery-mcmember", False),
                 ("sminfo", [], "sminfo", False)]
        with ThreadPoolExecutor(max_workers=LIVE_WORKERS) as pool:
            runs = [pool.submit(lambda tool=tool, args=args: t.run(t.argv(tool, *args), cwd))
                    for tool, args, _, _ in steps]
        state = FabricState()
        for done, ((tool, args, fmt, needed), run) in enumerate(zip(steps, runs, strict=True)):
            name = " ".join([tool, *args[:1]])
            try:
                text = run.result()
                if text.strip():
                    state.merge(parse_state(_lines(text), fmt, name))
            except (BackendError, TopologyError) as exc:
                if needed:
                    raise
                state.warnings.append(TopologyWarning(f"{name}: {exc}", name, None, "tool"))
            if progress is not None:
                progress(done + 1, len(steps))
        state.lfts_complete = state.mfts_complete = True
        return state
