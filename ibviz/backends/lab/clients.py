"""The lab's management clients: one SA client per member node, one SMP client.

An SA request must come from the member's own port (OpenSM lets only the port that
joined remove its membership), so every node that joins or leaves gets its own
:class:`~ibviz.backends.umad_client.SaClient` child, attached there through umad2sim.
ibsim serves at most 10 clients (OpenSM is one of them), so at most :data:`SA_CLIENTS`
SA clients stay alive; the least recently used one is closed first.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict

from ibviz.backends.base import BackendError
from ibviz.backends.ibsim_process import IbsimError, IbsimFabric
from ibviz.backends.smp_client import SmpClient
from ibviz.backends.umad_client import SaClient
from ibviz.core.addressing import MULTICAST_LID_MIN
from ibviz.core.sm.groups import McGroup
from ibviz.core.sm.records import (
    REQUIRED_FOR_CREATE,
    McComp,
    McMemberRecord,
    SaMethod,
    SaStatus,
)

__all__ = ["DEFAULT_QKEY", "LabClients", "SA_CLIENTS"]

SA_CLIENTS = 6
"""SA clients kept alive at once (ibsim: 10 clients, with OpenSM, the SMP client and room
for a tool such as ``ibroute``)."""
DEFAULT_QKEY = 0x1E1E
"""Q_Key of a group the lab creates (as :class:`ibviz.core.failover.model.ProtectedGroup`)."""

class LabClients:
    """SA clients by node GUID (started on first use) and the SMP client.

    Parameters
    ----------
    ibsim : IbsimFabric
        The running simulator.
    node_ids : dict
        Node GUID -> ibsim node id (``SIM_HOST``).
    timeout : float
        Seconds per SA request.
    """

    def __init__(self, ibsim: IbsimFabric, node_ids: dict[int, str], *,
                 timeout: float = 3.0) -> None:
        self.ibsim, self.node_ids, self.timeout = ibsim, node_ids, timeout
        self._sa: OrderedDict[int, SaClient] = OrderedDict()
        self._smp: SmpClient | None = None
        self._smp_at: int | None = None
        self.requests = 0
        """SA requests and SMPs sent so far."""

    def sa(self, guid: int) -> SaClient:
        """The SA client attached at node ``guid`` (started if needed)."""
        client = self._sa.get(guid)
        if client is not None and client._proc is not None and client._proc.poll() is None:
            self._sa.move_to_end(guid)
            return client
        self.discard(guid)
        while len(self._sa) >= SA_CLIENTS:
            _, oldest = self._sa.popitem(last=False)
            oldest.close()
        try:
            client = SaClient(self.ibsim, self.node_ids[guid], timeout=self.timeout).start()
        except IbsimError as exc:
            raise BackendError(f"cannot attach an SA client at {self.node_ids[guid]}: "
                               f"{str(exc).splitlines()[0]}") from exc
        self._sa[guid] = client
        return client

    def smp(self, at: int) -> SmpClient:
        """The SMP client, attached at node ``at`` (restarted when ``at`` changes)."""
        if self._smp is not None and (self._smp_at != at or self._smp._proc is None
                                      or self._smp._proc.poll() is not None):
            self._smp.close()
            self._smp = None
        if self._smp is None:
            try:
                self._smp = SmpClient(self.ibsim, self.node_ids[at], timeout=self.timeout)
                self._smp.start()
            except IbsimError as exc:
                self._smp = None
                raise BackendError(f"cannot attach the SMP client at {self.node_ids[at]}: "
                                   f"{str(exc).splitlines()[0]}") from exc
            self._smp_at = at
        return self._smp

    def discard(self, guid: int) -> None:
        client = self._sa.pop(guid, None)
        if client is not None:
            client.close()

    def pids(self) -> list[int]:
        procs = [c._proc for c in self._sa.values()] + [self._smp._proc if self._smp else None]
        return [p.pid for p in procs if p is not None]

    def close(self) -> None:
        """Stop every client (idempotent)."""
        while self._sa:
            _, client = self._sa.popitem()
            with contextlib.suppress(Exception):
                client.close()
        if self._smp is not None:
            with contextlib.suppress(Exception):
                self._smp.close()
            self._smp = None

    # -- MCMemberRecord requests --------------------------------------------------------------
    def member_request(self, guid: int, method: SaMethod, mgid: int, join_state: int,
                       group: McGroup | None) -> McMemberRecord:
        """Join (SET) or leave (DELETE) ``mgid`` from node ``guid``'s own port.

        A join carries the group's parameters when the lab knows the group, else the
        defaults that create it (Q_Key :data:`DEFAULT_QKEY`, P_Key 0xFFFF).

        Raises
        ------
        BackendError
            The SA refused (the message names the MAD status) or did not answer.
        """
        client = self.sa(guid)
        qkey, pkey = (group.qkey, group.pkey) if group is not None else (DEFAULT_QKEY, 0xFFFF)
        rec = McMemberRecord(mgid=mgid, port_gid=client.port_gid, qkey=qkey, pkey=pkey,
                             join_state=int(join_state), tclass=group.tclass if group else 0,
                             sl=group.sl if group else 0,
                             flow_label=group.flow_label if group else 0)
        self.requests += 1
        try:
            resp = client.request(int(method), rec, int(REQUIRED_FOR_CREATE))
        except IbsimError as exc:
            self.discard(guid)
            raise BackendError(f"SA request from {self.node_ids[guid]}: "
                               f"{str(exc).splitlines()[0]}") from exc
        if resp.status != SaStatus.SUCCESS:
            what = "join" if method == SaMethod.SET else "leave"
            raise BackendError(f"OpenSM's SA refused the {what} of {self.node_ids[guid]} "
                               f"(JoinState {int(join_state):#x}) to {mgid:#034x}: MAD "
                               f"status {resp.status:#06x}")
        return resp.record

    def group_exists(self, guid: int, mgid: int) -> bool:
        """A single-record SA Get by MGID (ibsim has no RMPP): does OpenSM know the group?"""
        self.requests += 1
        try:
            resp = self.sa(guid).request(int(SaMethod.GET), McMemberRecord(mgid=mgid),
                                         int(McComp.MGID))
        except IbsimError as exc:
            raise BackendError(f"SA Get from {self.node_ids[guid]}: "
                               f"{str(exc).splitlines()[0]}") from exc
        return resp.status == SaStatus.SUCCESS and resp.record.mlid >= MULTICAST_LID_MIN

