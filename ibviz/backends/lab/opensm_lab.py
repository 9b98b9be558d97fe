"""The OpenSM lab: the real OpenSM managing a simulated fabric, shown live by ibviz.

:class:`OpenSmLab` writes the fabric with ibviz's own ibsim writer, starts ``ibsim`` and the
real OpenSM against it (under umad2sim, with a private ``IBSIM_SOCKNAME`` and private
working, cache and dump directories, no root), waits for SUBNET UP and mirrors what OpenSM
programmed into ``self.sm``: LIDs from ``guid2lid``, links and port states from
``opensm-subnet.lst``, LFTs from ``opensm-lfts.dump``, MFTs from ``opensm.mcfdbs`` and
groups from ``opensm-sa.dump`` (ibsim has no RMPP, so multi-record SA answers are cut).
:meth:`OpenSmLab.poll` re-reads whatever OpenSM rewrote (never a half-written file, see
:mod:`ibviz.backends.lab.watch`) and emits the core events the built-in SM emits.

Actions are real: joins and leaves go to OpenSM's SA from the member's own port, a node
fails and comes back through ibsim's console (``Unlink`` / ``ReLink``), and OpenSM reacts
on its own (trap 128, heavy sweep). Mode 1 failover (MLID reassignment) runs fully on the
real OpenSM. Mode 2 does not exist as such in the lab: ibsim keeps no
SwitchInfo.DefaultMulticastPrimaryPort and OpenSM never sets it, so the lab carries it out
as the controller's own SMP writes of the MFT entry of a controller-owned MLID (see
:mod:`ibviz.backends.lab.failover`). ibsim forwards no data packets: packets are animated
by ibviz's simulator fed with the tables read back. Details: ``docs/lab.md``.

The lab is composed of parts that know only a shared
:class:`~ibviz.backends.lab.context.LabContext`: the programs
(:class:`~ibviz.backends.lab.processes.LabProcesses`), the reader of OpenSM's files
(:class:`~ibviz.backends.lab.state.LabReader`) into the
:class:`~ibviz.backends.lab.mirror.Mirror`, the actions
(:class:`~ibviz.backends.lab.actions.LabActions`) and the failover
(:class:`~ibviz.backends.lab.failover.LabFailover`); :class:`OpenSmLab` is the backend
that composes them and offers their methods.
"""

from __future__ import annotations

import atexit
import time
from collections.abc import Callable, Collection
from pathlib import Path

from ibviz.backends.base import Backend, BackendError, BackendStatus, Progress
from ibviz.backends.ibsim_process import IbsimError, IbsimFabric
from ibviz.backends.lab.actions import LabActions
from ibviz.backends.lab.apply import LAB_CAPABILITIES, apply_to_lab
from ibviz.backends.lab.clients import LabClients
from ibviz.backends.lab.context import LabContext
from ibviz.backends.lab.failover import OWNED_MLID, LabFailover
from ibviz.backends.lab.mirror import Mirror
from ibviz.backends.lab.processes import SM_GONE, LabProcesses
from ibviz.backends.lab.state import LabReader
from ibviz.backends.lab.tools import reap_orphan_workdirs, require_lab_tools
from ibviz.backends.opensm_process import OpenSm, reap_orphan_opensm
from ibviz.core import actions as act
from ibviz.core.fabric import Fabric
from ibviz.core.failover.model import Outcome
from ibviz.core.model import PortRef
from ibviz.core.sm.manager import SmConfig, SubnetManager
from ibviz.core.sm.records import JoinState
from ibviz.topology import dumps
from ibviz.topology.ibnetdiscover_writer import ibsim_node_ids

__all__ = ["OpenSmLab", "PHASES"]

PHASES = ("writing the ibsim net file", "starting ibsim", "starting OpenSM: waiting for "
          "SUBNET UP", "reading OpenSM's state", "SUBNET UP")


class OpenSmLab(Backend):
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
        """See :func:`ibviz.backends.lab.apply.apply_to_lab`."""
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
        self.procs = LabProcesses(self.node_ids, self.node_ids[self.sm_node],
                                  ["-R", routing, "-l", str(lmc)], sweep,
                                  Path(workdir) if workdir is not None else None)
        self.ctx = LabContext(fabric, self.sm, self.node_ids, self.sm_node, self.mirror,
                              self.procs, self.wait_until)
        self.actions = LabActions(self.ctx)
        self.failover = LabFailover(self.ctx, self.actions)
        self._sm_gone_seen = False
        self.phase = "not started"
        self.up_seconds: float | None = None
        """Seconds from OpenSM's start to SUBNET UP (last start)."""
        self.start_seconds: float | None = None
        """Seconds from :meth:`start` to the first full state read."""
        self.problems: list[str] = []
        """Files OpenSM wrote that could not be read, and what failed while closing."""

    # -- the parts' objects, by their old names ----------------------------------------------
    @property
    def workdir(self) -> Path | None:
        return self.procs.workdir

    @property
    def ibsim(self) -> IbsimFabric | None:
        return self.procs.ibsim

    @property
    def opensm(self) -> OpenSm | None:
        return self.procs.opensm

    @property
    def clients(self) -> LabClients | None:
        return self.procs.clients

    @property
    def reader(self) -> LabReader | None:
        return self.ctx.reader

    @property
    def _lock(self):  # noqa: ANN202 - the context's RLock
        return self.ctx.lock

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
            if self.procs.ibsim is not None or self.procs.closed:
                raise BackendError("an OpenSM lab can be started once")
            require_lab_tools()
            reap_orphan_opensm()
            reap_orphan_workdirs()
            atexit.register(self.close)
            t0 = time.monotonic()
            try:
                self._phase(report, 0)
                net = self.procs.make_workdir() / "fabric.net"
                net.write_text(dumps(self.fabric, "ibsim") + "\n")
                self._phase(report, 1)
                self.procs.start_ibsim(net)
                self._phase(report, 2)
                self._start_opensm()
                self._phase(report, 3)
                assert self.ctx.reader is not None
                self.ctx.reader.read_all()
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
        opensm = self.procs.start_opensm(30.0 + len(self.fabric.nodes) / 50, sa_db_file)
        self.up_seconds = opensm.up_seconds
        self.ctx.reader = LabReader(opensm, self.mirror, self.problems)
        self._sm_gone_seen = False

    def restart_sm(self) -> None:
        """Start OpenSM again (after it died or was killed): it reloads the groups from the
        last ``opensm-sa.dump`` and the lab reads its state; the old state stays shown
        until then."""
        with self._lock:
            self.procs.require(sm=False)
            restore = self.procs.stop_opensm()
            if self.ctx.reader is not None:
                self.ctx.reader.close()
            try:
                self._start_opensm(restore)
            except IbsimError as exc:
                raise BackendError(f"OpenSM did not start again: {exc}") from exc
            assert self.ctx.reader is not None
            self.ctx.reader.read_all()

    def close(self) -> None:
        """Stop the clients, OpenSM and ibsim; remove the private directory. Idempotent."""
        with self._lock:
            if self.procs.closed:
                return
            atexit.unregister(self.close)
            if self.ctx.reader is not None:
                self.ctx.reader.close()
            self.procs.close(self.problems)

    def __enter__(self) -> OpenSmLab:
        """``with OpenSmLab(fabric) as lab: lab.start()``: closed on the way out."""
        return self

    def child_pids(self) -> list[int]:
        """Process ids of every child the lab started that may still run."""
        return self.procs.child_pids()

    # -- state ------------------------------------------------------------------------------
    @property
    def sm_running(self) -> bool:
        return self.procs.sm_running

    def poll(self, files: Collection[str] | None = None) -> bool:
        """Apply what OpenSM rewrote since the last poll; True when something changed
        (or OpenSM just went away: :meth:`status` then says "gone").

        Parameters
        ----------
        files : collection of str, optional
            Read only these of :data:`~ibviz.backends.lab.state.STATE_FILES` now (the
            others stay pending).

        Raises
        ------
        BackendError
            ibsim is gone.
        """
        with self._lock:
            self.procs.require(sm=False)
            if not self.sm_running:
                first, self._sm_gone_seen = not self._sm_gone_seen, True
                if first:
                    self.sm.state = "gone"
                return first
            assert self.ctx.reader is not None
            return self.ctx.reader.read(files)

    def status(self) -> BackendStatus:
        procs = self.procs
        if procs.ibsim is None:
            return BackendStatus(self.name, "stopped" if procs.closed else "not started")
        if procs.closed:
            return BackendStatus(self.name, "stopped")
        if not procs.ibsim_running:
            return BackendStatus(self.name, "gone", "ibsim (the simulated fabric) exited")
        if not self.sm_running:
            return BackendStatus(self.name, "gone", SM_GONE)
        reader, opensm = self.ctx.reader, procs.opensm
        assert opensm is not None and reader is not None
        return BackendStatus(
            self.name, self.sm.state,
            f"OpenSM {reader.version} (pid {opensm.pid}) at "
            f"{self.node_ids[self.sm_node]}, {self.routing}, LMC {self.lmc}, "
            f"{reader.sweeps} heavy sweep(s)")

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str,
                   files: Collection[str] | None = None) -> float:
        """Poll (``files``: see :meth:`poll`) until ``predicate()`` holds; return the
        seconds it took.

        Raises
        ------
        BackendError
            Not within ``timeout`` seconds (the message says what was awaited), or at once
            when ibsim or OpenSM is gone (OpenSM's changes cannot come any more).
        """
        t0 = time.monotonic()
        while True:
            self.poll(files)
            if predicate():
                return time.monotonic() - t0
            if not self.sm_running:
                raise BackendError(f"{SM_GONE} (while waiting for {what})")
            if time.monotonic() - t0 > timeout:
                raise BackendError(f"waited {timeout} s for {what}")
            time.sleep(0.005)

    # -- actions (see LabActions and LabFailover) --------------------------------------------
    def fail_node(self, guid: int, timeout: float = 10.0) -> None:
        self.actions.fail_node(guid, timeout)
    fail_node.__doc__ = LabActions.fail_node.__doc__

    def recover_node(self, guid: int, timeout: float = 10.0) -> None:
        self.actions.recover_node(guid, timeout)
    recover_node.__doc__ = LabActions.recover_node.__doc__

    def join(self, guid: int, mgid: int, join_state: JoinState = JoinState.FULL) -> None:
        self.actions.join(guid, mgid, join_state)
    join.__doc__ = LabActions.join.__doc__

    def leave(self, guid: int, mgid: int) -> None:
        self.actions.leave(guid, mgid)
    leave.__doc__ = LabActions.leave.__doc__

    def resweep(self, timeout: float = 30.0) -> None:
        self.actions.resweep(timeout)
    resweep.__doc__ = LabActions.resweep.__doc__

    def member_port(self, guid: int) -> PortRef:
        return self.actions.member_port(guid)
    member_port.__doc__ = LabActions.member_port.__doc__

    def failover_mlid(self, group_mgid: int, primary_guid: int, takeover_guid: int,
                      timeout: float = 10.0) -> Outcome:
        return self.failover.failover_mlid(group_mgid, primary_guid, takeover_guid, timeout)
    failover_mlid.__doc__ = LabFailover.failover_mlid.__doc__

    def failback_mlid(self, group_mgid: int, primary_guid: int, takeover_guid: int,
                      timeout: float = 10.0) -> Outcome:
        return self.failover.failback_mlid(group_mgid, primary_guid, takeover_guid, timeout)
    failback_mlid.__doc__ = LabFailover.failback_mlid.__doc__

    def failover_port(self, primary_guid: int, takeover_guid: int,
                      mlid: int = OWNED_MLID) -> Outcome:
        return self.failover.failover_port(primary_guid, takeover_guid, mlid)
    failover_port.__doc__ = LabFailover.failover_port.__doc__

    def failback_port(self, primary_guid: int, takeover_guid: int,
                      mlid: int = OWNED_MLID) -> Outcome:
        return self.failover.failback_port(primary_guid, takeover_guid, mlid)
    failback_port.__doc__ = LabFailover.failback_port.__doc__

    def program_owned_mlid(self, target_guid: int, mlid: int = OWNED_MLID
                           ) -> dict[int, frozenset[int]]:
        return self.failover.program_owned_mlid(target_guid, mlid)
    program_owned_mlid.__doc__ = LabFailover.program_owned_mlid.__doc__

    def read_mft_entry(self, switch: int, mlid: int) -> frozenset[int]:
        return self.failover.read_mft_entry(switch, mlid)
    read_mft_entry.__doc__ = LabFailover.read_mft_entry.__doc__

    def write_mft_entry(self, switch: int, mlid: int, ports: set[int]) -> None:
        self.failover.write_mft_entry(switch, mlid, ports)
    write_mft_entry.__doc__ = LabFailover.write_mft_entry.__doc__

    def default_mcast_port_kept(self, switch: int, port: int = 1) -> bool:
        return self.failover.default_mcast_port_kept(switch, port)
    default_mcast_port_kept.__doc__ = LabFailover.default_mcast_port_kept.__doc__
