"""Put what the real OpenSM reports onto a :class:`SubnetManager` used as a mirror.

Every ``apply_*`` method compares the new state with the mirror, changes only what differs
and emits the same core events the built-in SM emits for that change (``LidAssigned`` and
``PortStateChanged`` through the fabric, ``LftChanged``, ``MftChanged``, ``GroupCreated``,
``GroupDeleted``, ``MemberJoined``, ``MemberLeft``). Each returns True when it changed
something.

Two things are not in OpenSM's files and are kept here:

* MFT entries the lab's failover controller wrote itself by SMP (:attr:`Mirror.owned`,
  the mode-2 MLID) are laid over OpenSM's ``opensm.mcfdbs``, which does not list them;
* memberships the lab changed through the SA are known from the SA's answer before
  ``opensm-sa.dump`` (written by OpenSM's next light sweep) shows them: a dump older than
  the answer does not undo them (:meth:`Mirror.note_member`).
"""

from __future__ import annotations

import time

import numpy as np

from ibviz.core import events as ev
from ibviz.core.model import NO_PATH, NodeKind, PortRef, PortState
from ibviz.core.sm.groups import McGroup, Membership
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.records import McMemberRecord
from ibviz.core.sm.switchinfo import SwitchInfo

__all__ = ["Mirror"]

Tables = dict[int, dict[int, frozenset[int]]]


class Mirror:
    """The lab's view of the subnet, kept in ``sm`` (a SubnetManager that never sweeps)."""

    def __init__(self, sm: SubnetManager) -> None:
        self.sm = sm
        self.fabric = sm.fabric
        self.port_of: dict[int, PortRef] = {}
        """Port GUID (a switch's node GUID for port 0) -> port."""
        for node in self.fabric.nodes.values():
            for port in node.lid_ports():
                self.port_of[port.guid or node.guid] = PortRef(node.guid, port.num)
        self.owned: Tables = {}
        """Controller-owned MFT entries: {switch: {MLID: ports}} (written by SMP)."""
        self.opensm_mfts: Tables = {}
        self._member_notes: dict[tuple[int, PortRef], tuple[int, int]] = {}
        self._deleted_notes: dict[int, int] = {}

    def _emit(self, event: ev.Event) -> None:
        self.sm.events.emit_heard(event)

    # ------------------------------------------------------------------ addresses, links
    def apply_lids(self, guid2lid: dict[int, tuple[int, int]]) -> bool:
        """Base LID and LMC of every port OpenSM lists (``guid2lid``: base and top LID)."""
        changed = False
        for guid, (base, top) in guid2lid.items():
            ref = self.port_of.get(guid)
            if ref is None:
                continue
            lmc = max(0, (top - base + 1).bit_length() - 1)
            port = self.fabric.port(ref)
            if (port.lid, port.lmc) != (base, lmc):
                self.fabric.assign_lid(ref, base, lmc)
                changed = True
        return changed

    def apply_links(self, nodes: set[int], ports: dict[PortRef, PortState]) -> bool:
        """The nodes OpenSM reached and the state of every port on its links.

        Cabled ports OpenSM did not list are DOWN; links between two reached nodes that it
        did not list are down links.
        """
        sm, fabric = self.sm, self.fabric
        reached = set(nodes) | {sm.sm_port.node}
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

    # ------------------------------------------------------------------ forwarding tables
    def apply_lfts(self, lfts: dict[int, np.ndarray]) -> bool:
        changed = False
        for sw, table in lfts.items():
            old = self.sm.lfts.get(sw)
            size = max(len(table), 0 if old is None else len(old))
            a = np.full(size, NO_PATH, np.uint8)
            b = np.full(size, NO_PATH, np.uint8)
            if old is not None:
                a[: len(old)] = old
            b[: len(table)] = table
            diff = int(np.count_nonzero(a != b))
            if old is not None and not diff:
                continue
            self.sm.lfts[sw] = table
            routed = np.nonzero(table != NO_PATH)[0]
            self.sm.switch_info.setdefault(sw, SwitchInfo()).linear_fdb_top = \
                int(routed[-1]) if len(routed) else 0
            changed = True
            self._emit(ev.LftChanged(sw, diff))
        return changed

    def apply_mfts(self, mfts: Tables | None = None) -> bool:
        """OpenSM's MFTs (``opensm.mcfdbs``; None: the last ones) with the owned entries."""
        if mfts is not None:
            self.opensm_mfts = {sw: dict(t) for sw, t in mfts.items()}
        want: Tables = {sw: dict(t) for sw, t in self.opensm_mfts.items()}
        for sw, entries in self.owned.items():
            want.setdefault(sw, {}).update(entries)
        changed = False
        for sw in sorted(set(want) | set(self.sm.mfts)):
            now, then = self.sm.mfts.get(sw, {}), want.get(sw, {})
            for mlid in sorted(set(now) | set(then)):
                old, new = now.get(mlid, frozenset()), frozenset(then.get(mlid, ()))
                if old != new:
                    self._emit(ev.MftChanged(sw, mlid, old, new))
                    changed = True
        self.sm.mfts = {sw: {m: frozenset(p) for m, p in t.items() if p}
                        for sw, t in want.items()}
        return changed

    # ------------------------------------------------------------------ groups
    @staticmethod
    def group_from_record(rec: McMemberRecord) -> McGroup:
        """A group as the SA's answer to a join describes it (no members yet)."""
        return McGroup(rec.mgid, rec.mlid, qkey=rec.qkey, pkey=rec.pkey, tclass=rec.tclass,
                       sl=rec.sl, flow_label=rec.flow_label, hop_limit=rec.hop_limit,
                       mtu=rec.mtu, rate=rec.rate, pkt_life=rec.pkt_life, scope=rec.scope)

    def note_member(self, group: McGroup, port: PortRef, join_state: int,
                    proxy: bool = False) -> bool:
        """What the SA answered to the lab's own join (``join_state`` > 0) or leave (the
        bits left): applied now, and kept over SA dumps written before the answer."""
        self._member_notes[(group.mgid, port)] = (join_state, time.time_ns())
        self._deleted_notes.pop(group.mgid, None)
        groups = {m: g.copy() for m, g in self.sm.sa.groups.items()}
        mine = groups.setdefault(group.mgid, group.copy())
        if join_state:
            mine.members[port] = Membership(port, join_state, proxy, port)
        else:
            mine.members.pop(port, None)
        return self._set_groups(groups)

    @property
    def unconfirmed(self) -> set[int]:
        """MGIDs of groups the lab changed through the SA that no ``opensm-sa.dump`` has
        shown yet (what an OpenSM restarted from its last dump would not know)."""
        return {mgid for mgid, _ in self._member_notes} | set(self._deleted_notes)

    def forget_group(self, mgid: int) -> bool:
        """The SA no longer knows ``mgid`` (a Get found no record): delete it now."""
        groups = {m: g for m, g in self.sm.sa.groups.items() if m != mgid}
        self._member_notes = {k: v for k, v in self._member_notes.items() if k[0] != mgid}
        self._deleted_notes[mgid] = time.time_ns()
        return self._set_groups(groups)

    def apply_groups(self, groups: dict[int, McGroup], dumped_ns: int) -> bool:
        """The groups of an ``opensm-sa.dump`` written at ``dumped_ns`` (mtime)."""
        for mgid, noted_ns in list(self._deleted_notes.items()):
            if mgid not in groups or dumped_ns > noted_ns:
                del self._deleted_notes[mgid]
            else:
                del groups[mgid]
        for (mgid, port), (state, noted_ns) in list(self._member_notes.items()):
            group = groups.get(mgid)
            member = group.members.get(port) if group is not None else None
            shown = member.join_state if member is not None else 0
            if shown == state or dumped_ns > noted_ns:  # the dump shows it, or is newer
                del self._member_notes[(mgid, port)]
                continue
            if group is None and state and mgid in self.sm.sa.groups:
                group = groups[mgid] = self.sm.sa.groups[mgid].copy()
            if group is None:
                continue
            if state:
                group.members[port] = Membership(port, state, False, port)
            else:
                group.members.pop(port, None)
        return self._set_groups(groups)

    def _set_groups(self, groups: dict[int, McGroup]) -> bool:
        before = self.sm.sa.groups
        self.sm.sa.groups = groups
        changed = False
        for mgid in sorted(set(before) | set(groups)):
            old, new = before.get(mgid), groups.get(mgid)
            if new is not None and old is None:
                self._emit(ev.GroupCreated(mgid, new.mlid))
            was = {p: m.join_state for p, m in old.members.items()} if old else {}
            now = {p: m.join_state for p, m in new.members.items()} if new else {}
            for port, state in sorted(now.items()):
                if state & ~was.get(port, 0):
                    self._emit(ev.MemberJoined(mgid, port, state, new.members[port].proxy))
            for port, state in sorted(was.items()):
                if state & ~now.get(port, 0) and not now.get(port, 0) & ~state:
                    self._emit(ev.MemberLeft(mgid, port, now.get(port, 0)))
            if old is not None and new is None:
                self._emit(ev.GroupDeleted(mgid, old.mlid))
            changed = changed or was != now or (old is None) != (new is None) \
                or (old is not None and new is not None and old.mlid != new.mlid)
        return changed
