"""The lab's programs: ibsim, the real OpenSM and the management clients.

:class:`LabProcesses` starts and stops them and says, before every request, whether the
one the request needs is still alive (:meth:`LabProcesses.require`): a request to a lab
whose OpenSM or ibsim died fails at once with a :class:`BackendError` that says what to do,
instead of waiting for an SA timeout or a table that never changes. Every child carries
the lab's ``IBSIM_SOCKNAME`` and dies with the process that started it
(:mod:`ibviz.backends._watchdog`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from ibviz.backends.base import BackendError
from ibviz.backends.ibsim_process import IbsimError, IbsimFabric
from ibviz.backends.lab.clients import LabClients
from ibviz.backends.lab.tools import WORKDIR_PREFIX
from ibviz.backends.opensm_process import OpenSm

__all__ = ["LabProcesses", "SM_GONE"]

SM_GONE = ("OpenSM exited: the last state is kept; restart it (File > Restart SM, "
           "OpenSmLab.restart_sm) to manage the subnet again")


class LabProcesses:
    """ibsim, OpenSM and the clients of one lab.

    Parameters
    ----------
    node_ids : dict
        Node GUID -> ibsim node id.
    sm_at : str
        ibsim node id OpenSM is attached at.
    opensm_args : list of str
        OpenSM's routing options (``-R``, ``-l``).
    sweep : int
        OpenSM's ``-s``.
    workdir : Path, optional
        Kept after :meth:`close`; a private temporary directory otherwise.
    """

    def __init__(self, node_ids: dict[int, str], sm_at: str, opensm_args: list[str],
                 sweep: int, workdir: Path | None = None) -> None:
        self.node_ids, self.sm_at = node_ids, sm_at
        self.opensm_args, self.sweep = opensm_args, sweep
        self._given_workdir = workdir
        self.workdir: Path | None = None
        self.ibsim: IbsimFabric | None = None
        self.opensm: OpenSm | None = None
        self.clients: LabClients | None = None
        self.closed = False

    # -- life cycle -------------------------------------------------------------------------
    def make_workdir(self) -> Path:
        self.workdir = self._given_workdir or Path(
            tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        return self.workdir

    def start_ibsim(self, net: Path) -> None:
        assert self.workdir is not None
        self.ibsim = IbsimFabric(net, workdir=self.workdir / "ibsim").start()
        self.clients = LabClients(self.ibsim, self.node_ids)

    def start_opensm(self, timeout: float, sa_db_file: Path | None = None) -> OpenSm:
        """Start OpenSM (with ``sa_db_dump``; loading the groups of ``sa_db_file``)."""
        assert self.ibsim is not None and self.workdir is not None
        conf = self.workdir / "opensm.conf"
        conf.write_text("sa_db_dump TRUE\n" + (f"sa_db_file {sa_db_file}\n" if sa_db_file else ""))
        self.opensm = OpenSm(self.ibsim, self.sm_at, sweep=self.sweep,
                             extra_args=["-F", str(conf), *self.opensm_args],
                             timeout=timeout).start()
        return self.opensm

    def stop_opensm(self) -> Path | None:
        """Stop OpenSM (dead or alive); return a copy of its last SA dump, if any."""
        old, self.opensm = self.opensm, None
        if old is None:
            return None
        restore: Path | None = None
        dump = old.sa_dump_path
        if dump.is_file() and self.workdir is not None:
            restore = self.workdir / "sa-restore.dump"
            shutil.copyfile(dump, restore)
        pid = old.pid
        old.stop()
        if pid is not None and self.ibsim is not None:
            with contextlib.suppress(IbsimError):
                self.ibsim._free_client_slot(pid)
        return restore

    def close(self, problems: list[str]) -> None:
        """Stop the clients, OpenSM and ibsim; remove a private workdir. Idempotent."""
        if self.closed:
            return
        self.closed = True
        for stop in (self.clients.close if self.clients else None,
                     self.opensm.stop if self.opensm else None,
                     self.ibsim.stop if self.ibsim else None):
            if stop is not None:
                try:
                    stop()
                except Exception as exc:  # keep cleaning up; say what failed
                    problems.append(f"while closing: {exc}")
        if self.workdir is not None and self._given_workdir is None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def child_pids(self) -> list[int]:
        """Process ids of every child the lab started that may still run."""
        pids = [proc.pid for proc in (self.ibsim, self.opensm) if proc is not None]
        return [pid for pid in pids if pid is not None] + (
            self.clients.pids() if self.clients else [])

    # -- liveness ---------------------------------------------------------------------------
    @property
    def ibsim_running(self) -> bool:
        return self.ibsim is not None and self.ibsim.running

    @property
    def sm_running(self) -> bool:
        return self.opensm is not None and self.opensm.running

    def ibsim_gone(self) -> str | None:
        """Why the fabric is unusable (not started, closed, ibsim exited), or None."""
        if self.ibsim is None or self.closed:
            return "the OpenSM lab is not running"
        if not self.ibsim.running:
            proc = self.ibsim._proc
            rc = proc.returncode if proc is not None else None
            return (f"ibsim, the simulated fabric, exited (status {rc}): the lab is gone; "
                    "close it and start a new one")
        return None

    def require(self, sm: bool = True) -> None:
        """Raise :class:`BackendError` at once unless ibsim (and, with ``sm``, OpenSM) runs.

        Called before every request: a dead program would otherwise show only as a
        timeout seconds later.
        """
        gone = self.ibsim_gone()
        if gone is not None:
            raise BackendError(gone)
        if sm and not self.sm_running:
            raise BackendError(SM_GONE)
