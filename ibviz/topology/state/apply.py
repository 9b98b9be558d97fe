"""Put a :class:`FabricState` on a fabric and a :class:`SubnetManager` used as a mirror.

The one state applier: ``ibviz attach`` (:class:`~ibviz.backends.attach.RealFabric`) and
the OpenSM lab use it. The mirror SM is never swept: its ``lfts``, ``mfts``,
``switch_info`` and ``sa.groups`` are filled from the state, so the views and the packet
simulator that read a subnet manager work on a real fabric's state too. Every difference
from what the mirror held before is published as a core event (``LidAssigned``,
``PortStateChanged``, ``LftChanged``, ``MftChanged``, ``GroupCreated``/``GroupDeleted``,
``MemberJoined``/``MemberLeft``); what did not change is left alone and not re-published.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ibviz.core import events as ev
from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef, PortState
from ibviz.core.sm.groups import McGroup, Membership
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.records import JoinState
from ibviz.core.sm.switchinfo import SwitchInfo
from ibviz.topology.state.model import NO_PORT, FabricState, GroupState

__all__ = ["Applied", "apply_changes", "apply_state", "group_state", "port_index"]

_GROUP_FIELDS = ("qkey", "pkey", "tclass", "sl", "flow_label", "mtu", "rate", "pkt_life",
                 "hop_limit", "scope")
LINK_LOCAL = 0xFE80 << 112
"""The GID prefix of a port GID built from a port GUID (fe80::/64)."""


@dataclass
class Applied:
    """What :func:`apply_changes` did."""

    notes: list[str] = field(default_factory=list)
    """What could not be placed (GUIDs the fabric does not have, inferred members)."""
    changed: bool = False
    """Whether the fabric or the mirror changed."""


def group_state(group: McGroup, index: dict[PortRef, int]) -> GroupState:
    """A mirror's group as state (``index``: port -> port GUID), e.g. to apply it again
    with one membership changed."""
    gs = GroupState(group.mlid, well_known=group.well_known,
                    fields={k: getattr(group, k) for k in _GROUP_FIELDS})
    for ref, member in group.members.items():
        gid = LINK_LOCAL | index[ref]
        gs.members[gid] = member.join_state
        if member.proxy:
            gs.proxies.add(gid)
    return gs


def port_index(fabric: Fabric) -> dict[int, PortRef]:
    """Port GUID -> port (a switch's node GUID -> its port 0)."""
    index: dict[int, PortRef] = {}
    for node in fabric.nodes.values():
        for port in node.lid_ports():
            guid = node.guid if node.kind is NodeKind.SWITCH else port.guid
            if guid:
                index[guid] = PortRef(node.guid, port.num)
    return index


def apply_state(state: FabricState, fabric: Fabric, sm: SubnetManager,
                infer_members: bool = True) -> list[str]:
    """Fill ``fabric`` (port LIDs) and the mirror ``sm`` from ``state``.

    Parameters
    ----------
    infer_members : bool
        For a group whose members the source did not list (``saquery -g``, ``ibroute -M``
        only), take the CA ports its MFT entries lead to as its receiving members.

    Returns
    -------
    list of str
        What could not be placed (GUIDs the fabric does not have, inferred members).
    """
    return apply_changes(state, fabric, sm, infer_members=infer_members).notes


def apply_changes(state: FabricState, fabric: Fabric, sm: SubnetManager, *,
                  infer_members: bool = True, reach: bool = False,
                  index: dict[int, PortRef] | None = None) -> Applied:
    """:func:`apply_state`, saying whether anything changed.

    Parameters
    ----------
    reach : bool
        ``state.topology`` lists what the SM reached (``opensm-subnet.lst``) within a
        fixed ``fabric``: set ``sm.reachable``, ``sm.down_links`` and every port's state
        from it instead of changing the fabric's nodes and links.
    index : dict, optional
        :func:`port_index` of ``fabric`` (computed when not given).
    """
    out = Applied()
    index = port_index(fabric) if index is None else index
    missing = [g for g in state.lids if g not in index]
    for guid, (lid, lmc) in state.lids.items():
        if guid in index:
            port = fabric.port(index[guid])
            if (port.lid, port.lmc) != (lid, lmc):
                fabric.assign_lid(index[guid], lid, lmc)
                out.changed = True
    if missing:
        out.notes.append(f"{len(missing)} port GUIDs with a LID are not in the fabric "
                         f"(first {missing[0]:#018x})")
    switches = {n.guid for n in fabric.switches()}
    for guid in switches:
        sm.switch_info.setdefault(guid, SwitchInfo())
    for guid in [g for g in sm.switch_info if g not in switches]:
        del sm.switch_info[guid]
    if reach and state.topology is not None:
        out.changed |= _apply_reach(state.topology, fabric, sm)
    out.changed |= _apply_lfts(state, sm, switches, out.notes)
    out.changed |= _apply_mfts(state, sm, switches, out.notes)
    out.changed |= _apply_groups(state, fabric, sm, index, out.notes, infer_members)
    return out


def _apply_reach(seen: Fabric, fabric: Fabric, sm: SubnetManager) -> bool:
    """The nodes the SM reached and the state of every port on its links: cabled ports
    it did not list are DOWN; links between two reached nodes it did not list are down."""
    ports = {ref: node.ports[ref.port].state
             for link in seen.links.values() for ref in (link.a, link.b)
             if (node := seen.nodes.get(ref.node)) is not None and ref.port in node.ports}
    reached = set(seen.nodes) | {sm.sm_port.node}
    changed = reached != sm.reachable
    sm.reachable = reached
    down = {link.key for link in fabric.links.values()
            if link.a.node in reached and link.b.node in reached
            and link.a not in ports and link.b not in ports}
    if down != sm.down_links:
        sm.down_links, changed = down, True
    for node in fabric.nodes.values():
        for num, port in node.ports.items():
            if num == 0 and node.kind is NodeKind.SWITCH:
                want = PortState.ACTIVE if node.guid in reached else PortState.DOWN
            else:
                want = ports.get(PortRef(node.guid, num), PortState.DOWN)
            if port.state is not want:
                fabric.set_port_state(PortRef(node.guid, num), want)
                changed = True
    return changed


def _apply_lfts(state: FabricState, sm: SubnetManager, switches: set[int],
                notes: list[str]) -> bool:
    unknown = [g for g in state.lfts if g not in switches]
    found = False
    if unknown:
        notes.append(f"{len(unknown)} LFTs of switches not in the fabric "
                     f"(first {unknown[0]:#018x})")
    for sw in [g for g in sm.lfts if g not in switches or
               (state.lfts_complete and g not in state.lfts)]:
        old = sm.lfts.pop(sw)
        found = True
        if sw in switches:
            sm.events.emit_heard(ev.LftChanged(sw, int((old != NO_PORT).sum())))
    for sw, table in state.lfts.items():
        if sw not in switches:
            continue
        old = sm.lfts.get(sw)
        size = max(len(table), 0 if old is None else len(old))
        a, b = np.full(size, NO_PORT, np.uint8), np.full(size, NO_PORT, np.uint8)
        if old is not None:
            a[: len(old)] = old
        b[: len(table)] = table
        changed = int((a != b).sum())
        if old is not None and not changed and len(old) == len(table):
            continue
        sm.lfts[sw] = np.array(table, dtype=np.uint8)
        info = state.switch_info.get(sw)
        sm.switch_info[sw].linear_fdb_top = info.linear_fdb_top if info else len(table) - 1
        found = True
        if changed:
            sm.events.emit_heard(ev.LftChanged(sw, changed))
    return found


def _apply_mfts(state: FabricState, sm: SubnetManager, switches: set[int],
                notes: list[str]) -> bool:
    unknown = [g for g in state.mfts if g not in switches]
    if unknown:
        notes.append(f"{len(unknown)} MFTs of switches not in the fabric "
                     f"(first {unknown[0]:#018x})")
    targets = set(state.mfts) & switches
    if state.mfts_complete:
        targets |= switches
    for sw in [g for g in sm.mfts if g not in switches]:
        del sm.mfts[sw]
    changed = False
    for sw in sorted(targets):
        old = sm.mfts.get(sw, {})
        new = {mlid: frozenset(ports) for mlid, ports in state.mfts.get(sw, {}).items()
               if ports}
        for mlid in sorted(set(old) | set(new)):
            before, after = old.get(mlid, frozenset()), new.get(mlid, frozenset())
            if before != after:
                sm.events.emit_heard(ev.MftChanged(sw, mlid, before, after))
                changed = True
        sm.mfts[sw] = dict(new)
        info = state.switch_info.get(sw)
        if info is not None and info.multicast_fdb_cap != SwitchInfo().multicast_fdb_cap:
            sm.switch_info[sw].multicast_fdb_cap = info.multicast_fdb_cap
    return changed


def _apply_groups(state: FabricState, fabric: Fabric, sm: SubnetManager,
                  index: dict[int, PortRef], notes: list[str], infer: bool) -> bool:
    if not state.groups and not state.groups_complete:
        return False
    groups = sm.sa.groups
    changed = False
    for mgid in [m for m in groups if state.groups_complete and m not in state.groups]:
        gone = groups.pop(mgid)
        changed = True
        for port in gone.member_ports:
            sm.events.emit_heard(ev.MemberLeft(mgid, port, 0))
        sm.events.emit_heard(ev.GroupDeleted(mgid, gone.mlid))
    unknown = 0
    for mgid, gs in state.groups.items():
        new = McGroup(mgid, gs.mlid, well_known=gs.well_known,
                      **{k: gs.fields[k] for k in _GROUP_FIELDS if k in gs.fields})
        for guid, join in gs.member_guids().items():
            ref = index.get(guid)
            if ref is None:
                unknown += 1
                continue
            proxy = any(gid & ((1 << 64) - 1) == guid for gid in gs.proxies)
            new.members[ref] = Membership(ref, join, proxy, ref)
        if not gs.members_known and not new.members and infer:
            for ref in _mft_receivers(fabric, sm, gs):
                new.members[ref] = Membership(ref, int(JoinState.FULL), False, ref)
            if new.members:
                notes.append(f"group {gs.mlid:#06x}: members not listed; "
                             f"{len(new.members)} receivers taken from its MFT entries")
        old = groups.get(mgid)
        if old is None:
            sm.events.emit_heard(ev.GroupCreated(mgid, new.mlid))
            old_members: dict[PortRef, int] = {}
            new.name = "ipoib-broadcast" if gs.well_known else ""
            changed = True
        else:
            old_members = {p: m.join_state for p, m in old.members.items()}
            new.unicast_lid, new.name = old.unicast_lid, old.name
            changed |= old.mlid != new.mlid or old_members != {
                p: m.join_state for p, m in new.members.items()}
        groups[mgid] = new
        for ref, m in new.members.items():
            if old_members.get(ref) != m.join_state and m.join_state & ~old_members.get(ref, 0):
                sm.events.emit_heard(ev.MemberJoined(mgid, ref, m.join_state, m.proxy))
        for ref, join in old_members.items():
            left = new.members[ref].join_state if ref in new.members else 0
            if left != join and not left & ~join:
                sm.events.emit_heard(ev.MemberLeft(mgid, ref, left))
    if unknown:
        notes.append(f"{unknown} group members are ports the fabric does not have")
    return changed


def _mft_receivers(fabric: Fabric, sm: SubnetManager, gs: GroupState) -> list[PortRef]:
    """CA ports that an MFT entry of the group's MLID forwards to."""
    found = set()
    for sw, table in sm.mfts.items():
        for port in table.get(gs.mlid, ()):
            peer = fabric.peer(PortRef(sw, port))
            if peer is not None and fabric.nodes[peer.node].kind is not NodeKind.SWITCH:
                found.add(peer)
    return sorted(found)
