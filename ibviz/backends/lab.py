"""The OpenSM lab: the real OpenSM managing a simulated fabric, shown live by ibviz.

:class:`OpenSmLab` writes the fabric with ibviz's own ibsim writer, starts ``ibsim`` and the
real OpenSM against it (under umad2sim, with a private ``IBSIM_SOCKNAME`` and private
working, cache and dump directories, no root), waits for SUBNET UP and mirrors what OpenSM
programmed into ``self.sm``: LIDs from ``guid2lid``, links and port states from
``opensm-subnet.lst``, LFTs from ``opensm-lfts.dump``, MFTs from ``opensm.mcfdbs`` and
groups from ``opensm-sa.dump`` (ibsim has no RMPP, so multi-record SA answers are cut).
:meth:`OpenSmLab.poll` re-reads whatever OpenSM rewrote (never a half-written file, see
:mod:`ibviz.backends._lab_watch`) and emits the core events the built-in SM emits.

Actions are real: joins and leaves go to OpenSM's SA from the member's own port, a node
fails and comes back through ibsim's console (``Unlink`` / ``ReLink``), and OpenSM reacts
on its own (trap 128, heavy sweep). Mode 1 failover (MLID reassignment) runs fully on the
real OpenSM. Mode 2 does not exist as such in the lab: ibsim keeps no
SwitchInfo.DefaultMulticastPrimaryPort and OpenSM never sets it, so the lab carries it out
as the controller's own SMP writes of the MFT entry of a controller-owned MLID (see
:mod:`ibviz.backends._lab_failover`). ibsim forwards no data packets: packets are animated
by ibviz's simulator fed with the tables read back. Details: ``docs/lab.md``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path

from ibviz.backends._lab_actions import LabActions
from ibviz.backends._lab_clients import (
    WORKDIR_PREFIX,
    LabClients,
    MissingLabTools,
    reap_orphan_workdirs,
    require_lab_tools,
)
from ibviz.backends._lab_failover import MODE2_NOTE, OWNED_MLID, LabFailover
from ibviz.backends._lab_mirror import Mirror
from ibviz.backends._lab_scenarios import LAB_MGID, LAB_SCENARIOS, run_lab_scenario
from ibviz.backends._lab_state import STATE_FILES, StateReader
from ibviz.backends.base import Backend, BackendError, BackendStatus, Progress
from ibviz.backends.ibsim_process import IbsimError, IbsimFabric
from ibviz.backends.lab_apply import LAB_CAPABILITIES, apply_to_lab
from ibviz.backends.opensm_process import OpenSm, reap_orphan_opensm
from ibviz.core import actions as act
from ibviz.core.fabric import Fabric
from ibviz.core.failover.model import Outcome
from ibviz.core.model import PortRef
from ibviz.core.sm.manager import SmConfig, SubnetManager
from ibviz.topology import dumps
from ibviz.topology.ibnetdiscover_writer import ibsim_node_ids

__all__ = ["LAB_MGID", "LAB_SCENARIOS", "MODE2_NOTE", "OWNED_MLID", "STATE_FILES", "MissingLabTools",
           "OpenSmLab", "run_lab_scenario"]

PHASES = ("writing the ibsim net file", "starting ibsim", "starting OpenSM: waiting for "
          "SUBNET UP", "reading OpenSM's state", "SUBNET UP")


class OpenSmLab(LabActions, LabFailover, Backend):
    """The real OpenSM on ibsim, mirrored into ``self.sm`` (a context manager).

    Parameters
    ----------
    fabric : Fabric
        The fabric to simulate; its ports get the LIDs OpenSM assigns.
    workdir : Path, optional
        Where the lab keeps its files (kept after :meth:`close`); a private temporary
        directory, removed on close, when None.
    lmc : int
        OpenSM's ``-l``: every CA port gets 2**lmc LIDs.
    routing : str
        OpenSM's routing engine (``-R``): minhop, updn, ftree, ...
    sweep : int
        Seconds between OpenSM's light sweeps (``-s``); the SA dump follows within one.
    """

    name = "OpenSM lab"
    capabilities = LAB_CAPABILITIES

    def apply(self, action: act.Action) -> list[Outcome]:
        """See :func:`ibviz.backends.lab_apply.apply_to_lab`."""
        return apply_to_lab(self, action)

    def __init__(self, fabric: Fabric, *, workdir: Path | None = None, lmc: int = 0,
                 routing: str = "minhop", sweep: int = 1) -> None:
        self.fabric = fabric
        self.node_ids = ibsim_node_ids(fabric)
        switches = sorted(n.guid for n in fabric.switches())
        self.sm_node = switches[0] if switches else min(n.guid for n in fabric.cas())
        sm_port = PortRef(self.sm_node, 0 if switches else 1)
        self.sm = SubnetManager(fabric, SmConfig(lmc=lmc, routing=routing, sm_port=sm_port,
                                                 broadcast_group=False))
        self.sm.reachable = set(fabric.nodes)
        self.mirror = Mirror(self.sm)
        self.lmc, self.routing, self.sweep = lmc, routing, sweep
        self._given_workdir = Path(workdir) if workdir is not None else None
        self.workdir: Path | None = None
        self.ibsim: IbsimFabric | None = None
        self.opensm: OpenSm | None = None
        self.clients: LabClients | None = None
        self.reader: StateReader | None = None
        self._lock = threading.RLock()
        self._closed = False
        self._sm_gone_seen = False
        self.phase = "not started"
        self.up_seconds: float | None = None
        """Seconds from OpenSM's start to SUBNET UP (last start)."""
        self.start_seconds: float | None = None
        """Seconds from :meth:`start` to the first full state read."""
        self.problems: list[str] = []
        """Files OpenSM wrote that could not be read, and what failed while closing."""

    # -- life cycle -------------------------------------------------------------------------
    def start(self, progress: Progress | None = None) -> None:
        """Start ibsim and OpenSM, wait for SUBNET UP and read the first state.

        Raises
        ------
        MissingLabTools
            Debian packages are missing (the message holds the ``apt-get`` command).
        BackendError
            ibsim or OpenSM failed to start (everything started is stopped again).
        """
        report = progress or (lambda done, total: None)
        with self._lock:
            if self.ibsim is not None or self._closed:
                raise BackendError("an OpenSM lab can be started once")
            require_lab_tools()
            reap_orphan_opensm()
            reap_orphan_workdirs()
            atexit.register(self.close)
            t0 = time.monotonic()
            try:
                self._phase(report, 0)
                self.workdir = self._given_workdir or Path(
                    tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-"))
                self.workdir.mkdir(parents=True, exist_ok=True)
                net = self.workdir / "fabric.net"
                net.write_text(dumps(self.fabric, "ibsim") + "\n")
                self._phase(report, 1)
                self.ibsim = IbsimFabric(net, workdir=self.workdir / "ibsim").start()
                self.clients = LabClients(self.ibsim, self.node_ids)
                self._phase(report, 2)
                self._start_opensm()
                self._phase(report, 3)
                assert self.reader is not None
                self.reader.read_all()
                self._phase(report, 4)
            except IbsimError as exc:
                self.close()
                raise BackendError(f"the OpenSM lab did not start: {exc}") from exc
            except BaseException:
                self.close()
                raise
            self.start_seconds = time.monotonic() - t0

    def _phase(self, report: Progress, index: int) -> None:
        self.phase = PHASES[index]
        report(index, len(PHASES) - 1)

    def _start_opensm(self, sa_db_file: Path | None = None) -> None:
        assert self.ibsim is not None and self.workdir is not None
        conf = self.workdir / "opensm.conf"
        conf.write_text("sa_db_dump TRUE\n" + (f"sa_db_file {sa_db_file}\n" if sa_db_file else ""))
        timeout = 30.0 + len(self.fabric.nodes) / 50
        self.opensm = OpenSm(self.ibsim, self.node_ids[self.sm_node], sweep=self.sweep,
                             extra_args=["-F", str(conf), "-R", self.routing, "-l",
                                         str(self.lmc)], timeout=timeout).start()
        self.up_seconds = self.opensm.up_seconds
        self.reader = StateReader(self.opensm, self.mirror, self.problems)
        self._sm_gone_seen = False

    def restart_sm(self) -> None:
        """Start OpenSM again (after it died or was killed): it reloads the groups from the
        last ``opensm-sa.dump`` and the lab reads its state; the old state stays shown
        until then."""
        with self._lock:
            self._check_ibsim()
            old = self.opensm
            restore: Path | None = None
            if old is not None:
                dump = old.sa_dump_path
                if dump.is_file() and self.workdir is not None:
                    restore = self.workdir / "sa-restore.dump"
                    shutil.copyfile(dump, restore)
                pid = old.pid
                old.stop()
                if pid is not None and self.ibsim is not None:
                    self.ibsim._free_client_slot(pid)
            if self.reader is not None:
                self.reader.close()
            try:
                self._start_opensm(restore)
            except IbsimError as exc:
                raise BackendError(f"OpenSM did not start again: {exc}") from exc
            assert self.reader is not None
            self.reader.read_all()

    def close(self) -> None:
        """Stop the clients, OpenSM and ibsim; remove the private directory. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            atexit.unregister(self.close)
            for stop in (self.clients.close if self.clients else None,
                         self.reader.close if self.reader else None,
                         self.opensm.stop if self.opensm else None,
                         self.ibsim.stop if self.ibsim else None):
                if stop is not None:
                    try:
                        stop()
                    except Exception as exc:  # keep cleaning up; say what failed
                        self.problems.append(f"while closing: {exc}")
            if self.workdir is not None and self._given_workdir is None:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> OpenSmLab:
        """``with OpenSmLab(fabric) as lab: lab.start()``: closed on the way out."""
        return self

    def child_pids(self) -> list[int]:
        """Process ids of every child the lab started that may still run."""
        pids = [proc.pid for proc in (self.ibsim, self.opensm) if proc is not None]
        return [pid for pid in pids if pid is not None] + (
            self.clients.pids() if self.clients else [])

    # -- state ------------------------------------------------------------------------------
    def _check_ibsim(self) -> None:
        if self.ibsim is None or self._closed:
            raise BackendError("the OpenSM lab is not running")
        if not self.ibsim.running:
            rc = self.ibsim._proc.returncode if self.ibsim._proc else None
            raise BackendError(f"ibsim, the simulated fabric, exited (status {rc}): the lab "
                               "is gone; close it and start a new one")

    @property
    def sm_running(self) -> bool:
        return self.opensm is not None and self.opensm.running

    def poll(self, files: Collection[str] | None = None) -> bool:
        """Apply what OpenSM rewrote since the last poll; True when something changed
        (or OpenSM just went away: :meth:`status` then says "gone").

        Parameters
        ----------
        files : collection of str, optional
            Read only these of :data:`STATE_FILES` now (the others stay pending).

        Raises
        ------
        BackendError
            ibsim is gone.
        """
        with self._lock:
            self._check_ibsim()
            if not self.sm_running:
                first, self._sm_gone_seen = not self._sm_gone_seen, True
                if first:
                    self.sm.state = "gone"
                return first
            assert self.reader is not None
            return self.reader.read(files)

    def status(self) -> BackendStatus:
        if self.ibsim is None:
            return BackendStatus(self.name, "stopped" if self._closed else "not started")
        if self._closed:
            return BackendStatus(self.name, "stopped")
        if not self.ibsim.running:
            return BackendStatus(self.name, "gone", "ibsim (the simulated fabric) exited")
        if not self.sm_running:
            return BackendStatus(self.name, "gone", "OpenSM exited: the last state is kept; "
                                 "restart it to manage the subnet again")
        assert self.opensm is not None and self.reader is not None
        return BackendStatus(
            self.name, self.sm.state,
            f"OpenSM {self.reader.version} (pid {self.opensm.pid}) at "
            f"{self.node_ids[self.sm_node]}, {self.routing}, LMC {self.lmc}, "
            f"{self.reader.sweeps} heavy sweep(s)")

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str,
                   files: Collection[str] | None = None) -> float:
        """Poll (``files``: see :meth:`poll`) until ``predicate()`` holds; return the
        seconds it took.

        Raises
        ------
        BackendError
            Not within ``timeout`` seconds (the message says what was awaited).
        """
        t0 = time.monotonic()
        while True:
            self.poll(files)
            if predicate():
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise BackendError(f"waited {timeout} s for {what}")
            time.sleep(0.005)
