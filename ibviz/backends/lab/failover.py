"""Failover and failback on the OpenSM lab (a part the lab composes).

Mode 1, MLID reassignment, runs entirely on the real OpenSM: the takeover node joins the
group through OpenSM's SA and OpenSM grows the group's multicast tree to it. The group keeps
its MLID because the senders are send-only *full* members: OpenSM drops a failed port's
membership, and deletes (and frees the MLID of) a group left without a Full or SendOnlyFull
member. Failback: the primary comes back and rejoins, the takeover leaves.

Mode 2, the switch's DefaultMulticastPrimaryPort remap, cannot run as such: **ibsim keeps
no SwitchInfo.DefaultMulticastPrimaryPort** (a Set answers status 0, a Get reads 0) **and
OpenSM never sets it**. In the lab, mode 2 is the controller's own SMP writes instead: it
owns an MLID (:data:`OWNED_MLID`, in the last MFT block, which OpenSM does not rewrite while
fewer groups exist than the blocks below hold) and moves that MLID's MFT entry on the shared
switch from the primary's port to the takeover's (directed-route Set of
MulticastForwardingTable), reading it back with a Get.
"""

from __future__ import annotations

import time

from ibviz.backends.base import BackendError
from ibviz.backends.lab.actions import LabActions
from ibviz.backends.lab.context import MFT_FILES, LabContext
from ibviz.backends.smp_client import SmpClient, SmpError, dr_path
from ibviz.core import events as ev
from ibviz.core.failover.model import Mode, Outcome
from ibviz.core.model import NodeKind
from ibviz.core.packets.smp import METHOD_GET, METHOD_SET
from ibviz.core.sm.groups import McGroup
from ibviz.core.sm.records import JoinState

__all__ = ["LabFailover", "MODE2_NOTE", "OWNED_MLID"]

OWNED_MLID = 0xC3F0
"""The MLID the lab's controller owns for mode 2 (MFT block 31 of ibsim's 1024 entries)."""
MODE2_NOTE = ("ibsim keeps no SwitchInfo.DefaultMulticastPrimaryPort and OpenSM never sets "
              "it: mode 2 is carried out as the controller's own SMP writes of the MFT entry "
              "of a controller-owned MLID")
_PRIMARY_PORT_BYTE, _STATE_CHANGE_BYTE, _STATE_CHANGE_BIT = 9, 11, 0x04


class LabFailover:
    """Failover and failback (modes 1 and 2) on the lab described by ``ctx``, with the
    lab's ``actions`` (join, leave, recover)."""

    def __init__(self, ctx: LabContext, actions: LabActions) -> None:
        self.ctx, self.actions = ctx, actions

    # -- helpers ----------------------------------------------------------------------------
    def _attachment(self, guid: int) -> tuple[int, int]:
        """(switch, switch port) node ``guid``'s member port is cabled to."""
        port = self.actions.member_port(guid)
        if self.ctx.fabric.nodes[guid].kind is NodeKind.SWITCH:
            return guid, 0
        peer = self.ctx.fabric.peer(port)
        assert peer is not None
        return peer.node, peer.port

    def _entry(self, switch: int, mlid: int) -> frozenset[int]:
        return self.ctx.sm.mfts.get(switch, {}).get(mlid, frozenset())

    def _outcome(self, name: str, kind: str, mode: Mode, node: int, target: int,
                 t0: float, requests: int, phases: list[tuple[float, str]]) -> Outcome:
        clients = self.ctx.procs.clients
        assert clients is not None
        us = (time.monotonic() - t0) * 1e6
        reason = "MLID reassignment on the real OpenSM" if mode is Mode.MLID else MODE2_NOTE
        self.ctx.fabric.events.emit(ev.FailoverPhase(name, f"{kind} done", mode.value, reason, us, False))
        return Outcome(name, node, kind, mode, reason, 0.0, detected_us=0.0, restored_us=us,
                       mads=clients.requests - requests, nodes_touched={target},
                       phases=phases, target=target)

    def _begin(self, name: str, phase: str, mode: Mode) -> tuple[float, int]:
        clients = self.ctx.procs.clients
        assert clients is not None
        reason = "MLID reassignment on the real OpenSM" if mode is Mode.MLID else MODE2_NOTE
        self.ctx.fabric.events.emit(ev.FailoverPhase(name, phase, mode.value, reason, 0.0, True))
        return time.monotonic(), clients.requests

    # -- mode 1 -----------------------------------------------------------------------------
    def failover_mlid(self, group_mgid: int, primary_guid: int, takeover_guid: int,
                      timeout: float = 10.0) -> Outcome:
        """Mode 1: the takeover joins the group (Full) through OpenSM's SA; wait until
        OpenSM's MFT on the takeover's switch includes its port (and, when the primary
        failed, OpenSM dropped the primary's port). ``outcome.problem`` says if the MLID
        changed or the group has too few members for OpenSM to program a tree."""
        self.ctx.procs.require()
        group = self._group(group_mgid)
        name = group.name or f"{group_mgid:#x}"
        t0, requests = self._begin(name, "failover: takeover joins the group", Mode.MLID)
        self.actions.join(takeover_guid, group_mgid, JoinState.FULL)
        problem = self._wait_tree(group_mgid, group.mlid, serve=takeover_guid,
                                  drop=primary_guid if primary_guid in self.ctx.sm.failed else None,
                                  timeout=timeout)
        out = self._outcome(name, "failover", Mode.MLID, primary_guid, takeover_guid, t0,
                            requests, [(0.0, "takeover joins the group")])
        out.problem = problem
        return out

    def failback_mlid(self, group_mgid: int, primary_guid: int, takeover_guid: int,
                      timeout: float = 10.0) -> Outcome:
        """Failback of mode 1: the primary comes back (ReLink, if failed) and rejoins, the
        takeover leaves; wait until OpenSM's tree serves the primary and not the takeover."""
        self.ctx.procs.require()
        group = self._group(group_mgid)
        name = group.name or f"{group_mgid:#x}"
        t0, requests = self._begin(name, "failback: primary rejoins", Mode.MLID)
        if primary_guid in self.ctx.sm.failed:
            self.actions.recover_node(primary_guid, timeout)
        self.actions.join(primary_guid, group_mgid, JoinState.FULL)
        self.actions.leave(takeover_guid, group_mgid)
        problem = self._wait_tree(group_mgid, group.mlid, serve=primary_guid,
                                  drop=takeover_guid, timeout=timeout)
        out = self._outcome(name, "failback", Mode.MLID, primary_guid, primary_guid, t0,
                            requests, [(0.0, "primary rejoins"), (0.0, "takeover leaves")])
        out.problem = problem
        return out

    def _group(self, mgid: int) -> McGroup:
        group = self.ctx.sm.sa.groups.get(mgid)
        if group is None:
            raise BackendError(f"OpenSM has no group {mgid:#034x}")
        return group

    def _wait_tree(self, mgid: int, mlid: int, serve: int, drop: int | None,
                   timeout: float) -> str | None:
        group = self.ctx.sm.sa.groups.get(mgid)
        if group is None:
            return "the group was deleted"
        if group.mlid != mlid:
            return f"the group's MLID changed from {mlid:#06x} to {group.mlid:#06x}"
        if len(group.members) < 2:
            return "OpenSM programs no multicast tree for a group of one member port"
        sw, port = self._attachment(serve)
        gone = self._attachment(drop) if drop is not None else None
        self.ctx.wait_until(lambda: port in self._entry(sw, mlid) and (
            gone is None or gone[1] not in self._entry(gone[0], mlid)), timeout,
            f"OpenSM's MFT of MLID {mlid:#06x} to reach {self.ctx.label(serve)}",
            files=MFT_FILES)
        return None

    # -- mode 2 -----------------------------------------------------------------------------
    def _smp(self) -> SmpClient:
        """The SMP client, attached where OpenSM runs (a node the lab never fails)."""
        procs = self.ctx.procs
        procs.require(sm=False)
        assert procs.clients is not None
        return procs.clients.smp(self.ctx.sm_node)

    def _route(self, switch: int) -> list[int]:
        try:
            return dr_path(self.ctx.fabric, self.ctx.sm_node, switch, avoid=self.ctx.sm.failed)
        except SmpError as exc:
            raise BackendError(f"no directed route to {self.ctx.label(switch)}") \
                from exc

    def read_mft_entry(self, switch: int, mlid: int) -> frozenset[int]:
        """The MFT entry of ``mlid`` as ``switch`` holds it now (directed-route Get)."""
        self.ctx.procs.require(sm=False)
        clients = self.ctx.procs.clients
        assert clients is not None
        clients.requests += 1
        try:
            return self._smp().get_mft_entry(self._route(switch), mlid,
                                             self.ctx.fabric.nodes[switch].num_ports)
        except SmpError as exc:
            raise BackendError(f"MFT Get on {self.ctx.label(switch)}: {exc}") from exc

    def write_mft_entry(self, switch: int, mlid: int, ports: set[int]) -> None:
        """Set the MFT entry of the controller-owned ``mlid`` on ``switch`` by SMP and read
        it back; the mirror shows it (OpenSM's ``opensm.mcfdbs`` never lists it)."""
        with self.ctx.lock:
            self.ctx.procs.require(sm=False)
            clients = self.ctx.procs.clients
            assert clients is not None
            num = self.ctx.fabric.nodes[switch].num_ports
            clients.requests += 1
            try:
                self._smp().set_mft_entry(self._route(switch), mlid, ports, num)
            except SmpError as exc:
                raise BackendError(f"MFT Set on {self.ctx.label(switch)}: {exc}") \
                    from exc
            got = self.read_mft_entry(switch, mlid)
            if got != frozenset(ports):
                raise BackendError(f"{self.ctx.label(switch)} holds ports "
                                   f"{sorted(got)} for MLID {mlid:#06x} after setting "
                                   f"{sorted(ports)}")
            self.ctx.mirror.owned.setdefault(switch, {})[mlid] = got
            self.ctx.mirror.apply_mfts()

    def program_owned_mlid(self, target_guid: int, mlid: int = OWNED_MLID
                           ) -> dict[int, frozenset[int]]:
        """Program the controller-owned ``mlid`` on every switch OpenSM reaches toward
        ``target_guid``: its own port on the target's switch, elsewhere the port OpenSM's
        LFT uses for the target's LID. Returns {switch: ports}."""
        sw_target, port_target = self._attachment(target_guid)
        lid = self.ctx.fabric.port(self.actions.member_port(target_guid)).lid
        out: dict[int, frozenset[int]] = {}
        for sw in sorted(n.guid for n in self.ctx.fabric.switches()):
            if sw in self.ctx.sm.failed or sw not in (self.ctx.sm.reachable or ()):
                continue
            table = self.ctx.sm.lfts.get(sw)
            if sw == sw_target:
                ports = {port_target}
            elif table is not None and lid < len(table) and table[lid] != 255:
                ports = {int(table[lid])}
            else:
                continue
            self.write_mft_entry(sw, mlid, ports)
            out[sw] = frozenset(ports)
        return out

    def failover_port(self, primary_guid: int, takeover_guid: int,
                      mlid: int = OWNED_MLID) -> Outcome:
        """Mode 2 in the lab: on the switch both nodes hang off, move the owned MLID's MFT
        entry from the primary's port to the takeover's (SMP Set, then Get)."""
        return self._remap(primary_guid, takeover_guid, mlid, "failover", primary_guid)

    def failback_port(self, primary_guid: int, takeover_guid: int,
                      mlid: int = OWNED_MLID) -> Outcome:
        """Failback of mode 2: the primary comes back (ReLink, if failed) and the entry
        moves back from the takeover's port to the primary's."""
        if primary_guid in self.ctx.sm.failed:
            self.actions.recover_node(primary_guid)
        return self._remap(takeover_guid, primary_guid, mlid, "failback", primary_guid)

    def _remap(self, old: int, new: int, mlid: int, kind: str,
               primary: int) -> Outcome:
        self.ctx.procs.require(sm=False)
        (sw, old_port), (sw_new, new_port) = self._attachment(old), self._attachment(new)
        if sw != sw_new:
            raise BackendError("port remap needs both nodes on one switch")
        name = f"MLID {mlid:#06x}"
        t0, requests = self._begin(name, f"{kind}: remap the owned MLID's port", Mode.PORT)
        entry = self.read_mft_entry(sw, mlid)
        self.write_mft_entry(sw, mlid, (set(entry) - {old_port}) | {new_port})
        return self._outcome(name, kind, Mode.PORT, primary, new, t0, requests,
                             [(0.0, f"MFT[{mlid:#06x}] on {self.ctx.label(sw)}: "
                                    f"port {old_port} -> {new_port}")])

    def default_mcast_port_kept(self, switch: int, port: int = 1) -> bool:
        """Set SwitchInfo.DefaultMulticastPrimaryPort of ``switch`` to ``port`` and read it
        back (then write the old value again): False on ibsim, which does not keep it."""
        with self.ctx.lock:
            client, path = self._smp(), self._route(switch)
            try:
                data = bytearray(client.smp(METHOD_GET, "SwitchInfo", 0, path).data)
                old = data[_PRIMARY_PORT_BYTE]
                data[_STATE_CHANGE_BYTE] &= ~_STATE_CHANGE_BIT  # writing 1 would clear it
                data[_PRIMARY_PORT_BYTE] = port
                client.smp(METHOD_SET, "SwitchInfo", 0, path, bytes(data))
                kept = client.smp(METHOD_GET, "SwitchInfo", 0, path).data[_PRIMARY_PORT_BYTE]
                data[_PRIMARY_PORT_BYTE] = old
                client.smp(METHOD_SET, "SwitchInfo", 0, path, bytes(data))
            except SmpError as exc:
                raise BackendError(f"SwitchInfo on {self.ctx.label(switch)}: "
                                   f"{exc}") from exc
            return kept == port

