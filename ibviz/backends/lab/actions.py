"""User actions on the OpenSM lab: fail, recover, join, leave, resweep.

Everything goes to the real programs: a node fails and comes back through ibsim's console
(``Unlink`` / ``ReLink`` on a pipe kept open), and joins and leaves are MCMemberRecord
requests to OpenSM's SA from the member's own port. OpenSM then reacts on its own (trap
128, heavy sweep, multicast tree reprogrammed); the lab waits until its files show it.
Every action first checks that the programs it needs are alive
(:meth:`~ibviz.backends.lab.processes.LabProcesses.require`).
"""

from __future__ import annotations

import os
import signal

from ibviz.backends.base import BackendError
from ibviz.backends.ibsim_process import IbsimError
from ibviz.backends.lab.context import LINK_FILES, MFT_FILES, LabContext
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.sm.records import JoinState, SaMethod

__all__ = ["LabActions"]


class LabActions:
    """Fail, recover, join and leave on the lab described by ``ctx``."""

    def __init__(self, ctx: LabContext) -> None:
        self.ctx = ctx

    def console(self, command: str) -> str:
        """One ibsim console command (ibsim must run)."""
        procs = self.ctx.procs
        procs.require(sm=False)
        assert procs.ibsim is not None
        try:
            return procs.ibsim.console(command)
        except IbsimError as exc:
            raise BackendError(f"ibsim console {command!r}: {str(exc).splitlines()[0]}") \
                from exc

    def resweep(self, timeout: float = 30.0) -> None:
        """Make OpenSM heavy-sweep now (SIGHUP, as ``kill -HUP``) and wait until it is done
        ("SUBNET UP" once more in its log)."""
        ctx = self.ctx
        with ctx.lock:
            ctx.procs.require()
            reader, opensm = ctx.reader, ctx.procs.opensm
            assert reader is not None and opensm is not None and opensm.pid is not None
            before = reader.sweeps
            os.kill(opensm.pid, signal.SIGHUP)
            ctx.wait_until(lambda: reader.sweeps > before, timeout, "OpenSM's heavy sweep")

    def fail_node(self, guid: int, timeout: float = 10.0) -> None:
        """Unlink the node in ibsim and wait until OpenSM reacted (trap 128, heavy sweep):
        until no multicast table OpenSM programmed leads into the node any more, or, if
        none did, until OpenSM's subnet no longer holds it. The rest of the sweep's
        results (LFTs, port states) arrive with the next polls."""
        ctx = self.ctx
        with ctx.lock:
            ctx.procs.require()
            if guid == ctx.sm_node:
                raise BackendError("OpenSM runs on this node: fail another one")
            in_trees = self.forwards_to(guid)
            self.console(f'Unlink "{ctx.node_ids[guid]}"')
            ctx.sm.fail_node(guid)
            if in_trees:
                ctx.wait_until(lambda: not self.forwards_to(guid), timeout,
                               "OpenSM to take the node out of its multicast tables",
                               files=MFT_FILES)
            else:
                ctx.wait_until(lambda: guid not in (ctx.sm.reachable or ()), timeout,
                               "OpenSM to drop the node from its subnet", files=LINK_FILES)

    def forwards_to(self, guid: int) -> bool:
        """Whether an MFT entry OpenSM programmed still leads into node ``guid``."""
        fabric = self.ctx.fabric
        for sw, table in self.ctx.mirror.opensm_mfts.items():
            for ports in table.values():
                for port in ports:
                    peer = fabric.peer(PortRef(sw, port))
                    if peer is not None and peer.node == guid:
                        return True
        return False

    def recover_node(self, guid: int, timeout: float = 10.0) -> None:
        """ReLink the node in ibsim and wait until OpenSM brought it back into the subnet."""
        ctx = self.ctx
        with ctx.lock:
            ctx.procs.require()
            self.console(f'ReLink "{ctx.node_ids[guid]}"')
            ctx.sm.recover_node(guid)
            ctx.wait_until(lambda: guid in (ctx.sm.reachable or ()), timeout,
                           "OpenSM to bring the node back", files=LINK_FILES)

    def member_port(self, guid: int) -> PortRef:
        """The port node ``guid`` joins groups with (its first cabled port)."""
        fabric = self.ctx.fabric
        node = fabric.node(guid)
        if node.kind is NodeKind.SWITCH:
            return PortRef(guid, 0)
        for num in sorted(p for p in node.ports if p):
            if fabric.peer(PortRef(guid, num)) is not None:
                return PortRef(guid, num)
        raise BackendError(f"{node.label} has no cabled port")

    def join(self, guid: int, mgid: int, join_state: JoinState = JoinState.FULL) -> None:
        """Join ``mgid`` through OpenSM's SA from node ``guid``'s own port."""
        ctx = self.ctx
        with ctx.lock:
            ctx.procs.require()
            assert ctx.procs.clients is not None
            group = ctx.sm.sa.groups.get(mgid)
            rec = ctx.procs.clients.member_request(guid, SaMethod.SET, mgid, join_state, group)
            if group is None:
                group = ctx.mirror.group_from_record(rec)
            ctx.mirror.note_member(group, self.member_port(guid),
                                   rec.join_state or int(join_state))

    def leave(self, guid: int, mgid: int) -> None:
        """Leave ``mgid`` (every JoinState bit the port holds) through OpenSM's SA."""
        ctx = self.ctx
        with ctx.lock:
            ctx.procs.require()
            clients = ctx.procs.clients
            assert clients is not None
            group = ctx.sm.sa.groups.get(mgid)
            port = self.member_port(guid)
            member = group.members.get(port) if group is not None else None
            state = member.join_state if member is not None else int(JoinState.FULL)
            rec = clients.member_request(guid, SaMethod.DELETE, mgid, state, group)
            if group is not None:
                ctx.mirror.note_member(group, port, rec.join_state)
                if not clients.group_exists(guid, mgid):
                    ctx.mirror.forget_group(mgid)
