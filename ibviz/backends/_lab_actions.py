"""User actions on the OpenSM lab (mixed into :class:`~ibviz.backends.lab.OpenSmLab`).

Everything goes to the real programs: a node fails and comes back through ibsim's console
(``Unlink`` / ``ReLink`` on a pipe kept open), and joins and leaves are MCMemberRecord
requests to OpenSM's SA from the member's own port. OpenSM then reacts on its own (trap
128, heavy sweep, multicast tree reprogrammed); the lab waits until its files show it.
"""

from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING

from ibviz.backends.base import BackendError
from ibviz.backends.ibsim_process import IbsimError
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.sm.records import JoinState, SaMethod

if TYPE_CHECKING:
    from ibviz.backends.lab import OpenSmLab

__all__ = ["LINK_FILES", "LabActions", "MFT_FILES"]

MFT_FILES = ("opensm.mcfdbs",)
"""What a wait for a multicast change reads (the big LFT dump is left for the next poll)."""
LINK_FILES = ("guid2lid", "opensm-subnet.lst")


class LabActions:
    """Fail, recover, join and leave; ``self`` is an :class:`OpenSmLab`."""

    def _console(self: OpenSmLab, command: str) -> str:
        self._check_ibsim()
        assert self.ibsim is not None
        try:
            return self.ibsim.console(command)
        except IbsimError as exc:
            raise BackendError(f"ibsim console {command!r}: {str(exc).splitlines()[0]}") \
                from exc

    def resweep(self: OpenSmLab, timeout: float = 30.0) -> None:
        """Make OpenSM heavy-sweep now (SIGHUP, as ``kill -HUP``) and wait until it is done
        ("SUBNET UP" once more in its log)."""
        with self._lock:
            if not self.sm_running or self.opensm is None or self.reader is None:
                raise BackendError("OpenSM is not running: restart it first")
            reader, before = self.reader, self.reader.sweeps
            os.kill(self.opensm.pid, signal.SIGHUP)
            self.wait_until(lambda: reader.sweeps > before, timeout, "OpenSM's heavy sweep")

    def fail_node(self: OpenSmLab, guid: int, timeout: float = 10.0) -> None:
        """Unlink the node in ibsim and wait until OpenSM reacted (trap 128, heavy sweep):
        until no multicast table OpenSM programmed leads into the node any more, or, if
        none did, until OpenSM's subnet no longer holds it. The rest of the sweep's
        results (LFTs, port states) arrive with the next polls."""
        with self._lock:
            if guid == self.sm_node:
                raise BackendError("OpenSM runs on this node: fail another one")
            in_trees = self._forwards_to(guid)
            self._console(f'Unlink "{self.node_ids[guid]}"')
            self.sm.fail_node(guid)
            if in_trees:
                self.wait_until(lambda: not self._forwards_to(guid), timeout,
                                "OpenSM to take the node out of its multicast tables",
                                files=MFT_FILES)
            else:
                self.wait_until(lambda: guid not in (self.sm.reachable or ()), timeout,
                                "OpenSM to drop the node from its subnet", files=LINK_FILES)

    def _forwards_to(self: OpenSmLab, guid: int) -> bool:
        """Whether an MFT entry OpenSM programmed still leads into node ``guid``."""
        for sw, table in self.mirror.opensm_mfts.items():
            for ports in table.values():
                for port in ports:
                    peer = self.fabric.peer(PortRef(sw, port))
                    if peer is not None and peer.node == guid:
                        return True
        return False

    def recover_node(self: OpenSmLab, guid: int, timeout: float = 10.0) -> None:
        """ReLink the node in ibsim and wait until OpenSM brought it back into the subnet."""
        with self._lock:
            self._console(f'ReLink "{self.node_ids[guid]}"')
            self.sm.recover_node(guid)
            self.wait_until(lambda: guid in (self.sm.reachable or ()), timeout,
                            "OpenSM to bring the node back", files=LINK_FILES)

    def member_port(self: OpenSmLab, guid: int) -> PortRef:
        """The port node ``guid`` joins groups with (its first cabled port)."""
        node = self.fabric.node(guid)
        if node.kind is NodeKind.SWITCH:
            return PortRef(guid, 0)
        for num in sorted(p for p in node.ports if p):
            if self.fabric.peer(PortRef(guid, num)) is not None:
                return PortRef(guid, num)
        raise BackendError(f"{node.label} has no cabled port")

    def join(self: OpenSmLab, guid: int, mgid: int,
             join_state: JoinState = JoinState.FULL) -> None:
        """Join ``mgid`` through OpenSM's SA from node ``guid``'s own port."""
        with self._lock:
            assert self.clients is not None
            group = self.sm.sa.groups.get(mgid)
            rec = self.clients.member_request(guid, SaMethod.SET, mgid, join_state, group)
            if group is None:
                group = self.mirror.group_from_record(rec)
            self.mirror.note_member(group, self.member_port(guid),
                                    rec.join_state or int(join_state))

    def leave(self: OpenSmLab, guid: int, mgid: int) -> None:
        """Leave ``mgid`` (every JoinState bit the port holds) through OpenSM's SA."""
        with self._lock:
            assert self.clients is not None
            group = self.sm.sa.groups.get(mgid)
            port = self.member_port(guid)
            member = group.members.get(port) if group is not None else None
            state = member.join_state if member is not None else int(JoinState.FULL)
            rec = self.clients.member_request(guid, SaMethod.DELETE, mgid, state, group)
            if group is not None:
                self.mirror.note_member(group, port, rec.join_state)
                if not self.clients.group_exists(guid, mgid):
                    self.mirror.forget_group(mgid)
