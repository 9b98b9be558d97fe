"""The subnet manager: sweeps the fabric model and programs it, like OpenSM.

A heavy sweep brings live cabled ports to ACTIVE and dead ones to DOWN, assigns LIDs
(stable across sweeps), computes the unicast LFTs and every group's multicast tree, and
programs only what changed, recording each SMP it would send (LFT and MFT blocks,
SwitchInfo). SA requests (join/leave/get) go through :meth:`SubnetManager.sa_request`,
which records the SA MADs and reprograms the group's MFT entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ibviz.core import events as ev
from ibviz.core.addressing import LINK_LOCAL_PREFIX
from ibviz.core.bulk import gc_paused
from ibviz.core.fabric import Fabric
from ibviz.core.model import NO_PATH, Link, NodeKind, Port, PortRef, PortState
from ibviz.core.sm import progress
from ibviz.core.sm._loss_sweep import applicable, lone_hca_links, loss_sweep
from ibviz.core.sm._smp_batch import SmpBatch, lft_changes
from ibviz.core.sm.groups import McGroup
from ibviz.core.sm.mads import SA_CLASS, SMP_CLASS, LatencyModel, Mad, MadLog
from ibviz.core.sm.mft_order import mft_writes
from ibviz.core.sm.multicast import McTree, SwitchHops, build_tree, switch_adjacency
from ibviz.core.sm.records import McMemberRecord, SaMethod, SaStatus
from ibviz.core.sm.sa import SaConfig, SaResponse, SubnetAdministration
from ibviz.core.sm.switchinfo import SwitchInfo

if TYPE_CHECKING:
    from ibviz.core.sm.routing import Lfts

LFT_BLOCK = 64
MFT_BLOCK = 32


@dataclass
class SmConfig:
    lmc: int = 0
    routing: str = "minhop"
    mlid_count: int = 1024
    broadcast_group: bool = True
    sm_port: PortRef | None = None
    """Where the SM runs (default: port 0 of the lowest-GUID switch)."""
    latency: LatencyModel = field(default_factory=LatencyModel)
    no_mft_switches: set[int] = field(default_factory=set)
    """Switches that keep no multicast table (SwitchInfo.MulticastFDBCap = 0)."""


class SubnetManager:
    """OpenSM-like subnet manager over a :class:`Fabric`; emits events on ``fabric.events``."""

    def __init__(self, fabric: Fabric, config: SmConfig | None = None) -> None:
        self.fabric = fabric
        self.events = fabric.events
        self.config = config or SmConfig()
        self.failed: set[int] = set()
        self.down_links: set[tuple[PortRef, PortRef]] = set()
        self.switch_info: dict[int, SwitchInfo] = {}
        self.lfts: dict[int, np.ndarray] = {}
        self.mfts: dict[int, dict[int, frozenset[int]]] = {}
        self.trees: dict[int, McTree] = {}
        self.mads = MadLog()
        self.now_us = 0.0
        self.state = "DISCOVERING"
        from ibviz.core.sm.lids import LidManager

        self.lid_manager = LidManager()
        prefix = fabric.subnets.get("default", LINK_LOCAL_PREFIX)
        self.sa = SubnetAdministration(self._port_by_guid, self._guid_of_port, prefix,
                                       SaConfig(mlid_count=self.config.mlid_count))
        self._port_guids: dict[int, PortRef] = {}
        self._hops: dict[int, int] = {}
        self._sm_port: PortRef | None = None
        self.switch_hops: SwitchHops | None = None
        self._adjacency: dict | None = None
        self._peers: dict[tuple[int, int], tuple[int, tuple] | None] = {}
        self.reachable: set[int] | None = None
        """Nodes the SM reached in its last sweep (a cut fabric: only the SM's part)."""
        self.routed_links: frozenset | None = None
        """Cables the last routing used (None: route afresh next time)."""
        self._routed_as: tuple[str, int, PortRef] | None = None
        self.last_lfts: Lfts | None = None
        """The :class:`~ibviz.core.sm.routing.Lfts` of the last sweep."""
        self._pending: list[int] | None = None
        """HCAs lost since the last sweep, while that is the only change (None: other
        changes, sweep in full); see :mod:`ibviz.core.sm._loss_sweep`."""
        self._shape: tuple[int, int] | None = None
        self._reach_seen: set[int] | None = None
        self._order: tuple[tuple[int, int], dict[int, int]] | None = None
        self._in_sweep = False
        for node in fabric.switches():
            self.switch_info[node.guid] = SwitchInfo(
                multicast_fdb_cap=0 if node.guid in self.config.no_mft_switches else 1024,
                enhanced_port0=bool(node.enhanced_port0))

    # ----------------------------------------------------------------- views
    def _guid_of_port(self, port: PortRef) -> int:
        node = self.fabric.nodes[port.node]
        return node.guid if node.kind is NodeKind.SWITCH else node.ports[port.port].guid

    def _port_by_guid(self, guid: int) -> PortRef | None:
        ref = self._port_guids.get(guid)
        if ref is None or not self.port_in_subnet(ref):
            return None
        return ref

    def port_in_subnet(self, ref: PortRef) -> bool:
        """The port's node is in the subnet and (but for a switch's port 0) its cable is up."""
        if not self.in_subnet(ref.node):
            return False
        if ref.port == 0 and self.fabric.nodes[ref.node].kind is NodeKind.SWITCH:
            return True
        link = self.fabric.link_at(ref)
        return link is not None and self.usable(link)

    def in_subnet(self, guid: int) -> bool:
        """Alive and reached by the SM's last sweep."""
        return guid not in self.failed and (self.reachable is None or guid in self.reachable)

    def usable(self, link: Link) -> bool:
        return (self.in_subnet(link.a.node) and self.in_subnet(link.b.node)
                and link.key not in self.down_links)

    def _find_reachable(self) -> set[int]:
        """Nodes the SM reaches now (after lone HCAs were lost: the last sweep's, less
        them, as losing a leaf cuts nothing else off)."""
        pending, reach = self._pending, self.reachable
        if pending is not None and reach is not None and reach is self._reach_seen and \
                (self.config.sm_port is None or self.config.sm_port.node not in pending):
            return reach - set(pending)
        start = self.sm_port.node
        seen, todo = {start}, [start]
        cables, failed, down = self.fabric.cable_keys, self.failed, self.down_links
        while todo:
            here = todo.pop()
            for key in cables(here):  # a neighbour is reached over any cable still up
                nb = key[1].node if key[0].node == here else key[0].node
                if nb in seen or nb in failed or (down and key in down):
                    continue
                seen.add(nb)
                todo.append(nb)
        return seen

    def live_fabric(self) -> Fabric:
        """The fabric without failed nodes and down cables (nodes shared, not copied)."""
        if not self.failed and not self.down_links and (
                self.reachable is None or len(self.reachable) == len(self.fabric.nodes)):
            return self.fabric
        view = Fabric(self.fabric.name)
        for guid, node in self.fabric.nodes.items():
            if self.in_subnet(guid):
                view.add_node(node)
        view.subnets = self.fabric.subnets
        for link in self.fabric.links.values():
            if self.usable(link):
                view._attach(Link(link.a, link.b, link.width, link.speed))
        return view

    @property
    def sm_port(self) -> PortRef:
        if self._sm_port is None:
            self._sm_port = self._find_sm_port()
        return self._sm_port

    def _find_sm_port(self) -> PortRef:
        """Where the SM runs: as configured, else on the lowest-GUID live switch (as on a
        managed switch, so a failing host never takes the SM with it), else on a CA."""
        if self.config.sm_port is not None:
            return self.config.sm_port
        sw = min((n for n in self.fabric.switches() if n.guid not in self.failed),
                 key=lambda n: n.guid, default=None)
        if sw is not None:
            return PortRef(sw.guid, 0)
        ca = min((n for n in self.fabric.cas() if n.guid not in self.failed),
                 key=lambda n: n.guid)
        return PortRef(ca.guid, min(p for p in ca.ports if p))

    # ------------------------------------------------------------ MAD record
    def _hops_to(self, node: int) -> int:
        return self._hops.get(node, 1)

    def smp(self, attribute: str, dst: int, modifier: int = 0, reason: str = "",
            at_us: float | None = None, **fields: object) -> Mad:
        """Record (and announce) an SMP Set sent now, or at ``at_us``."""
        if not self._in_sweep and attribute in ("PortInfo", "LinearForwardingTable"):
            self._pending = None  # LIDs or LFTs set outside a sweep: next one in full
        mad = Mad(SMP_CLASS, SaMethod.SET, attribute, modifier, self.sm_port,
                  PortRef(dst, 0), self.now_us if at_us is None else at_us,
                  self.config.latency.smp(self._hops_to(dst)), reason, 0, dict(fields))
        self.mads.add(mad)
        if self.events.active:
            self.events.emit(ev.MadSent(mad))
        return mad

    def _compute_hops(self, view: Fabric) -> None:
        start = self.sm_port.node
        self._hops = {start: 0}
        frontier = [start]
        while frontier:
            nxt = []
            for guid in frontier:
                for nb in view.neighbor_order(guid):
                    if nb not in self._hops:
                        self._hops[nb] = self._hops[guid] + 1
                        nxt.append(nb)
            frontier = nxt

    # ----------------------------------------------------------------- sweep
    def sweep(self, heavy: bool = True, reason: str = "sweep") -> None:
        """Discover, assign LIDs, route and program the fabric (only what changed)."""
        lost = applicable(self) if self._reach_seen is self.reachable else None
        self._in_sweep = True
        try:
            with gc_paused():
                if lost is not None:
                    loss_sweep(self, lost, reason)
                else:
                    self._full_sweep(reason)
        finally:
            self._in_sweep = False
        self._pending, self._shape = [], self._fabric_shape()
        self._reach_seen = self.reachable
        if self.events.active:
            self.events.emit(ev.SweepDone(heavy, self.now_us))

    def _fabric_shape(self) -> tuple[int, int]:
        return len(self.fabric.nodes), len(self.fabric.links)

    def _node_order(self) -> dict[int, int]:
        """Position of each node in ``fabric.nodes`` (the order sweeps visit them)."""
        shape = self._fabric_shape()
        if self._order is None or self._order[0] != shape:
            self._order = (shape, {g: i for i, g in enumerate(self.fabric.nodes)})
        return self._order[1]

    def _full_sweep(self, reason: str) -> None:
        """Discover, assign LIDs, route and program everything afresh."""
        self.reachable, self._sm_port, self._adjacency = None, None, None
        self.reachable = self._find_reachable()
        view = self.live_fabric()
        self._port_guids = {}
        for node in view.nodes.values():
            for p in node.lid_ports():
                self._port_guids[p.guid or node.guid] = PortRef(node.guid, p.num)
        before = self._port_settings()
        self._set_port_states(view)
        self._compute_hops(view)
        progress.reached("lids")
        self.lid_manager.assign(self.fabric, self.config.lmc, sm_port=self.sm_port)
        progress.reached("port info")
        batch = SmpBatch(self, reason)  # PortInfo, then LFT blocks: sent at once
        self._record_port_info(before, reason, batch)
        from ibviz.core.sm.routing import compute_lfts

        links = frozenset(view.links)
        lfts = compute_lfts(view, algorithm=self.config.routing,
                            existing=self.lfts if self._keeps_lfts(links) else None)
        self.routed_links, self.last_lfts = links, lfts
        self._routed_as = self._routing_key()
        self.switch_hops = SwitchHops(lfts.switches, lfts.switch_hops) \
            if lfts.switch_hops is not None else None
        progress.reached("program")
        self._program_lfts(lfts, reason, batch)
        progress.reached("groups")
        if self.config.broadcast_group and not self.sa.groups:
            self.sa.create_broadcast_group()
        self._drop_departed_members()
        self.reprogram_groups(self.sa.groups.values(), reason)
        self._node_order()  # ready for a quick sweep after a loss
        self.state = "SUBNET UP"
        progress.reached("done")

    def _keeps_lfts(self, links: frozenset) -> bool:
        """OpenSM's ``ignore_existing_lfts`` is FALSE: not the first sweep, and no port came
        up since the last routing (a port seen in INIT sets it, osm_port_info_rcv.c); so
        only losses keep the existing entries."""
        return (bool(self.lfts) and self.routed_links is not None
                and links <= self.routed_links and self._routed_as == self._routing_key())

    def _routing_key(self) -> tuple[str, int, PortRef]:
        """A new engine, LMC or SM (a new master starts with ignore_existing_lfts) routes
        afresh."""
        return self.config.routing, self.config.lmc, self.sm_port

    def _port_settings(self) -> list[tuple[int, int, Port, int, int, PortState]]:
        """Every port's (node GUID, number, port, LID, LMC, state), before a sweep."""
        return [(guid, num, p, p.lid, p.lmc, p.state)
                for guid, n in self.fabric.nodes.items() for num, p in n.ports.items()]

    def _record_port_info(self, before: list[tuple[int, int, Port, int, int, PortState]],
                          reason: str, batch: SmpBatch | None = None) -> None:
        """One PortInfo Set per port whose LID, LMC or state the sweep changed (OpenSM
        sets them port by port; a switch's external ports only carry the state);
        ``before``: :meth:`_port_settings` (or some of them)."""
        sent, batch = batch is None, batch or SmpBatch(self, reason)
        down = PortState.DOWN
        dsts: list[int] = []
        mods: list[int] = []
        fields: list[dict[str, object]] = []
        for guid, num, port, old_lid, old_lmc, old_state in before:
            lid, lmc, state = port.lid, port.lmc, port.state
            if state is not down and (lid != old_lid or lmc != old_lmc or state is not old_state):
                dsts.append(guid)
                mods.append(num)
                fields.append({"lid": lid, "lmc": lmc, "state": state.label})
        batch.add_many("PortInfo", dsts, mods, fields)
        if sent:
            batch.send()

    def _set_port_states(self, view: Fabric) -> None:
        fabric, failed, reach, down = self.fabric, self.failed, self.reachable, self.down_links
        switch, active, init, dead, armed = NodeKind.SWITCH, PortState.ACTIVE, \
            PortState.INIT, PortState.DOWN, PortState.ARMED
        peer, quiet = fabric.peer, not fabric.events.active
        for guid, node in fabric.nodes.items():
            live = guid not in failed and (reach is None or guid in reach)
            is_switch = node.kind is switch
            for num, port in node.ports.items():
                if num == 0 and is_switch:
                    want = active if live else dead
                else:
                    other = peer(PortRef(guid, num))
                    if other is None or guid in failed or other.node in failed or (
                            down and fabric.link_at(PortRef(guid, num)).key in down):
                        want = dead
                    else:  # physically up; ACTIVE only where the SM configured it
                        want = active if live and (reach is None or other.node in reach) \
                            else init
                if port.state is not want:
                    if quiet:  # nobody listens: the state changes, no events to send
                        port.state = want
                        continue
                    ref = PortRef(guid, num)
                    if want is active and port.state is not armed:
                        fabric.set_port_state(ref, armed)  # as OpenSM: ARMED,
                    fabric.set_port_state(ref, want)       # then ACTIVE

    def _program_lfts(self, new: Mapping[int, np.ndarray], reason: str,
                      batch: SmpBatch | None = None) -> None:
        """Program the LFT blocks that differ from what each switch holds, then its
        LinearFDBTop if it moved (recorded in one batch: :mod:`._smp_batch`)."""
        if not self._in_sweep:
            self._pending = None  # LFTs set outside a sweep: the next one sweeps in full
        guids, blocks, top, changed = lft_changes(self.lfts, new)
        matrix = getattr(new, "table", None)
        rows = getattr(new, "switches", None) == guids and matrix is not None
        batch = batch or SmpBatch(self, reason)
        dirty = np.flatnonzero(changed).tolist()
        for i in dirty:
            sw = guids[i]
            batch.add("LinearForwardingTable", sw, np.flatnonzero(blocks[i]))
            info = self.switch_info.setdefault(sw, SwitchInfo())
            t = int(top[i])
            if t != info.linear_fdb_top:
                info.linear_fdb_top = t
                batch.add("SwitchInfo", sw, 0, {"linear_fdb_top": t})
            batch.event(ev.LftChanged, sw, int(changed[i]))
            if not rows:
                self.lfts[sw] = np.array(new[sw])
        if rows:  # the SM's own copy: rows of the engine's read-only table, copied on write
            for i, sw in enumerate(guids):
                self.lfts[sw] = matrix[i]
        batch.send()

    # ------------------------------------------------------------- multicast
    def _drop_departed_members(self) -> None:
        """Like OpenSM, remove memberships of ports that left the subnet (a failed node, or
        a port whose cable went down while the node's other ports stay up)."""
        for group in list(self.sa.groups.values()):
            for port in [p for p in group.members if not self.port_in_subnet(p)]:
                del group.members[port]
                self._emit(ev.MemberLeft(group.mgid, port, 0))
            if not group.well_known and (not group.members or not group.has_creator):
                del self.sa.groups[group.mgid]
                self._emit(ev.GroupDeleted(group.mgid, group.mlid))
                self._set_mft(group.mlid, {}, "group deleted: its last full member left")

    def reprogram_groups(self, groups: Iterable[McGroup], reason: str) -> None:
        if self._adjacency is None:
            self._adjacency = switch_adjacency(self.fabric, self.usable)
        adjacency = self._adjacency
        for group in list(groups):
            receivers = set(group.receivers)
            tree = build_tree(self.fabric, group.member_ports, receivers, self.usable,
                              adjacency, self.switch_hops)
            before = self.trees.get(group.mgid)
            self.trees[group.mgid] = tree
            self._set_mft(group.mlid, tree.entries, reason, tree.root,
                          before.root if before is not None else None)
            if group.unicast_lid:
                self._route_group_lid(group, reason)

    def _set_mft(self, mlid: int, entries: dict[int, frozenset[int]], reason: str,
                 root: int | None = None, old_root: int | None = None) -> None:
        """Program ``mlid``'s entries one switch at a time, in an order whose every
        intermediate state is loop-free (:mod:`ibviz.core.sm.mft_order`): each write is
        sent when the previous one's response is back, so the switches change in that
        order (the packet simulator applies each at its MAD's arrival)."""
        switches = set(entries) | {sw for sw, t in self.mfts.items() if mlid in t}
        old, new = {}, {}
        for sw in sorted(switches):
            info = self.switch_info.get(sw)
            if info is not None and not info.keeps_multicast_table:
                continue  # MulticastFDBCap = 0: nothing to program (default ports rule)
            old[sw] = self.mfts.setdefault(sw, {}).get(mlid, frozenset())
            new[sw] = entries.get(sw, frozenset())
        at = self.now_us
        for sw, entry in mft_writes(old, new, self._mft_peer, root, old_root):
            table = self.mfts[sw]
            before = table.get(mlid, frozenset())
            if entry:
                table[mlid] = entry
            else:
                table.pop(mlid, None)
            at = self.smp("MulticastForwardingTable", sw, (mlid - 0xC000) // MFT_BLOCK,
                          reason, at, mlid=mlid, ports=sorted(entry)).done_us
            self._emit(ev.MftChanged(sw, mlid, before, entry))

    def _mft_peer(self, switch: int, port: int) -> tuple[int, tuple] | None:
        """The switch (and the cable) behind ``switch``'s ``port`` (cabling is fixed)."""
        key = (switch, port)
        hit = self._peers.get(key, False)
        if hit is False:
            link = self.fabric.link_at(PortRef(switch, port))
            far = link.other(PortRef(switch, port)) if link is not None else None
            hit = self._peers[key] = (far.node, link.key) if far is not None and \
                self.fabric.nodes[far.node].kind is NodeKind.SWITCH else None
        return hit

    def _emit(self, event: ev.Event) -> None:
        self.events.emit_heard(event)

    # -------------------------------------------------------------------- SA
    def sa_request(self, method: SaMethod, requester: PortRef, record: McMemberRecord,
                   comp: int, reason: str = "", sm_key: int = 0) -> SaResponse:
        """Handle one SA MCMemberRecord request from ``requester`` (recorded as MADs)."""
        before = {g.mgid: (g.mlid, {p: m.join_state for p, m in g.members.items()})
                  for g in self.sa.groups.values()}
        if method == SaMethod.SET:
            resp = self.sa.join(requester, record, comp)
        elif method == SaMethod.DELETE:
            resp = self.sa.leave(requester, record, comp)
        else:
            resp = self.sa.get(requester, record, comp, sm_key)
        if resp.record is None:  # OpenSM answers a refused request with the request record
            resp = SaResponse(resp.status, record, resp.error, resp.changed)
        hops = self._hops.get(requester.node, 2)
        latency = self.config.latency.sa(hops)
        mad = self.mads.add(Mad(SA_CLASS, int(method), "MCMemberRecord", 0, requester,
                                self.sm_port, self.now_us, latency, reason, int(resp.status),
                                {"mgid": record.mgid, "join_state": record.join_state,
                                 "mlid": resp.record.mlid if resp.record else 0,
                                 "comp_mask": comp, "port_gid": record.port_gid}))
        if self.events.active:
            self.events.emit(ev.MadSent(mad))
        if resp.status == SaStatus.SUCCESS and resp.changed is not None:
            self._announce(before, resp.changed)
            group = self.sa.groups.get(resp.changed)
            sent_at, self.now_us = self.now_us, self.now_us + latency / 2  # after processing
            try:
                if group is not None:
                    self.reprogram_groups([group], reason or "membership changed")
                else:
                    self._set_mft(before[resp.changed][0], {}, reason or "group deleted")
            finally:
                self.now_us = sent_at
        return resp

    def sa_path_record(self, requester: PortRef, mgid: int, reason: str = "") -> Mad:
        """A PathRecord Get for a multicast DGID: the answer's DLID is the group's MLID."""
        group = self.sa.groups.get(mgid)
        status = SaStatus.SUCCESS if group is not None else SaStatus.NO_RECORDS
        mad = self.mads.add(Mad(SA_CLASS, int(SaMethod.GET), "PathRecord", 0, requester,
                                self.sm_port, self.now_us,
                                self.config.latency.sa(self._hops.get(requester.node, 2)),
                                reason, int(status),
                                {"dgid": mgid, "dlid": group.mlid if group else 0}))
        if self.events.active:
            self.events.emit(ev.MadSent(mad))
        return mad

    def _announce(self, before: dict, mgid: int) -> None:
        group = self.sa.groups.get(mgid)
        old_members = before.get(mgid, (0, {}))[1]
        if group is not None and mgid not in before:
            self._emit(ev.GroupCreated(mgid, group.mlid))
        new_members = {p: m.join_state for p, m in group.members.items()} if group else {}
        for port, state in new_members.items():
            if old_members.get(port, 0) != state and state & ~old_members.get(port, 0):
                self._emit(ev.MemberJoined(mgid, port, state, group.members[port].proxy))
        for port, state in old_members.items():
            if new_members.get(port, 0) != state and not new_members.get(port, 0) & ~state:
                self._emit(ev.MemberLeft(mgid, port, new_members.get(port, 0)))
        if group is None and mgid in before:
            self._emit(ev.GroupDeleted(mgid, before[mgid][0]))

    # --------------------------------------------------------- fabric events
    def _topology_changed(self) -> None:
        """Cached views of the topology are stale until the next sweep."""
        self._sm_port, self._adjacency, self.switch_hops = None, None, None

    def fail_node(self, guid: int) -> None:
        if guid not in self.failed and self._pending is not None and \
                lone_hca_links(self, guid) is not None:
            self._pending.append(guid)  # no switch-to-switch view changes
            if self._sm_port is not None and self._sm_port.node == guid:
                self._sm_port = None
        else:
            self._topology_changed()
            self._pending = None
        self.failed.add(guid)
        self._emit(ev.NodeFailed(guid))

    def recover_node(self, guid: int) -> None:
        self._topology_changed()
        self._pending = None
        self.failed.discard(guid)
        self._emit(ev.NodeRecovered(guid))

    def set_link(self, end: PortRef, up: bool) -> None:
        link = self.fabric.link_at(end)
        if link is None:
            raise ValueError(f"{end} is not cabled")
        self._topology_changed()
        self._pending = None
        (self.down_links.discard if up else self.down_links.add)(link.key)
        self._emit(ev.LinkStateChanged(link.key[0], link.key[1], up))

    def set_default_mcast_ports(self, switch: int, primary: int, not_primary: int,
                                reason: str = "") -> None:
        """SwitchInfo Set of DefaultMulticastPrimaryPort / DefaultMulticastNotPrimaryPort."""
        info = self.switch_info[switch]
        old = (info.default_mcast_primary_port, info.default_mcast_not_primary_port)
        info.default_mcast_primary_port, info.default_mcast_not_primary_port = primary, \
            not_primary
        self.smp("SwitchInfo", switch, 0, reason, default_mcast_primary_port=primary,
                 default_mcast_not_primary_port=not_primary)
        self._emit(ev.PrimaryPortRemapped(switch, old[0], primary, old[1], not_primary))

    def _route_group_lid(self, group: McGroup, reason: str) -> None:
        """Route a group's unicast-range LID like the LID of its first receiving port (the
        seed's RC/UC workaround: a connected QP can only address a unicast DLID)."""
        receivers = [p for p in group.receivers if self.port_in_subnet(p)]
        target = self.fabric.port(receivers[0]).lid if receivers else 0
        lid = group.unicast_lid
        for sw, table in self.lfts.items():
            if lid >= len(table):
                grown = np.full(lid + 1, NO_PATH, np.uint8)
                grown[: len(table)] = table
                table = self.lfts[sw] = grown
            want = table[target] if 0 < target < len(table) else NO_PATH
            if table[lid] != want:
                if not table.flags.writeable:  # a row of the routing's table: copy it
                    table = self.lfts[sw] = np.array(table)
                table[lid] = want
                self.smp("LinearForwardingTable", sw, lid // LFT_BLOCK, reason or
                         "group LID follows the group", lid=lid, port=int(want))

    def group_lid_owner(self, mgid: int) -> PortRef | None:
        """The port a group's unicast-range LID currently reaches (None without one)."""
        group = self.sa.groups.get(mgid)
        receivers = [p for p in group.receivers if self.port_in_subnet(p)] if group else []
        return receivers[0] if group and group.unicast_lid and receivers else None

    def associate_unicast_lid(self, mgid: int, lid: int) -> None:
        """Associate a unicast-range LID with a group, for RC/UC multicast (seed workaround)."""
        if not 0 < lid < 0xC000:
            raise ValueError(f"{lid:#x} is not a unicast LID")
        owners = self.fabric.lid_owners()
        if lid in owners:
            raise ValueError(f"LID {lid:#x} already belongs to {owners[lid][0]}")
        group = self.sa.groups[mgid]
        group.unicast_lid = lid
        self._route_group_lid(group, "unicast-range group LID associated")
