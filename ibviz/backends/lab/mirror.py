"""Put what the real OpenSM reports onto the lab's :class:`SubnetManager` mirror.

The state itself is applied by the one state applier,
:func:`ibviz.topology.state.apply.apply_changes` (the same as ``ibviz attach``): it
changes only what differs and emits the core events the built-in SM emits. Two things are
not in OpenSM's files and are laid over them here:

* MFT entries the lab's failover controller wrote itself by SMP (:attr:`Mirror.owned`,
  the mode-2 MLID) are added to OpenSM's ``opensm.mcfdbs``, which does not list them;
* memberships the lab changed through the SA are known from the SA's answer before
  ``opensm-sa.dump`` (written by OpenSM's next light sweep) shows them: a dump older than
  the answer does not undo them (:meth:`Mirror.note_member`).
"""

from __future__ import annotations

import time

from ibviz.core.model import NodeKind, PortRef
from ibviz.core.sm.groups import McGroup
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.records import McMemberRecord
from ibviz.topology.state.apply import LINK_LOCAL, apply_changes, group_state, port_index
from ibviz.topology.state.model import GUID_MASK, FabricState, GroupState

__all__ = ["Mirror", "Tables"]

Tables = dict[int, dict[int, frozenset[int]]]


class Mirror:
    """The lab's view of the subnet, kept in ``sm`` (a SubnetManager that never sweeps)."""

    def __init__(self, sm: SubnetManager) -> None:
        self.sm = sm
        self.fabric = sm.fabric
        self.port_of = port_index(self.fabric)
        """Port GUID (a switch's node GUID for port 0) -> port."""
        self.guid_of = {ref: guid for guid, ref in self.port_of.items()}
        self.owned: Tables = {}
        """Controller-owned MFT entries: {switch: {MLID: ports}} (written by SMP)."""
        self.opensm_mfts: Tables = {}
        """The MFTs of OpenSM's last ``opensm.mcfdbs`` (without the owned entries)."""
        self._member_notes: dict[tuple[int, PortRef], tuple[int, int]] = {}
        self._deleted_notes: dict[int, int] = {}

    def _apply(self, state: FabricState, reach: bool = False) -> bool:
        return apply_changes(state, self.fabric, self.sm, infer_members=False, reach=reach,
                             index=self.port_of).changed

    # ------------------------------------------------------------------ one file
    def apply_file(self, fmt: str, state: FabricState, mtime_ns: int) -> bool:
        """The state read from one OpenSM file of format ``fmt``, written at ``mtime_ns``;
        only the table that file is the source of is taken (``guid2lid`` for LIDs, ...)."""
        if fmt != "guid2lid":
            state.lids.clear()  # guid2lid is the LIDs' source (with their LMC)
        if fmt == "opensm-subnet-lst":
            return self._apply(state, reach=True)
        if fmt == "opensm-mcfdbs":
            self.opensm_mfts = {sw: dict(t) for sw, t in state.mfts.items()}
            return self.apply_mfts()
        if fmt == "opensm-sa-dump":
            self._keep_notes(state.groups, mtime_ns)
        return self._apply(state)

    # ------------------------------------------------------------------ forwarding tables
    def apply_mfts(self) -> bool:
        """OpenSM's last MFTs with the controller-owned entries over them."""
        want: Tables = {sw: dict(t) for sw, t in self.opensm_mfts.items()}
        for sw, entries in self.owned.items():
            want.setdefault(sw, {}).update(entries)
        return self._apply(FabricState(mfts=want, mfts_complete=True))

    # ------------------------------------------------------------------ groups
    @staticmethod
    def group_from_record(rec: McMemberRecord) -> McGroup:
        """A group as the SA's answer to a join describes it (no members yet)."""
        return McGroup(rec.mgid, rec.mlid, qkey=rec.qkey, pkey=rec.pkey, tclass=rec.tclass,
                       sl=rec.sl, flow_label=rec.flow_label, hop_limit=rec.hop_limit,
                       mtu=rec.mtu, rate=rec.rate, pkt_life=rec.pkt_life, scope=rec.scope)

    def _gid(self, port: PortRef) -> int:
        guid = self.guid_of.get(port)
        if guid is None:  # a CA port without a GUID of its own
            node = self.fabric.nodes[port.node]
            guid = node.guid if node.kind is NodeKind.SWITCH else node.ports[port.port].guid
        return LINK_LOCAL | guid

    def _groups(self) -> dict[int, GroupState]:
        return {mgid: group_state(g, self.guid_of) for mgid, g in self.sm.sa.groups.items()}

    def note_member(self, group: McGroup, port: PortRef, join_state: int,
                    proxy: bool = False) -> bool:
        """What the SA answered to the lab's own join (``join_state`` > 0) or leave (the
        bits left): applied now, and kept over SA dumps written before the answer."""
        self._member_notes[(group.mgid, port)] = (join_state, time.time_ns())
        self._deleted_notes.pop(group.mgid, None)
        groups = self._groups()
        mine = groups.setdefault(group.mgid, group_state(group, self.guid_of))
        gid = self._gid(port)
        if join_state:
            mine.members[gid] = join_state
            if proxy:
                mine.proxies.add(gid)
        else:
            mine.members.pop(gid, None)
        return self._apply(FabricState(groups=groups, groups_complete=True))

    @property
    def unconfirmed(self) -> set[int]:
        """MGIDs of groups the lab changed through the SA that no ``opensm-sa.dump`` has
        shown yet (what an OpenSM restarted from its last dump would not know)."""
        return {mgid for mgid, _ in self._member_notes} | set(self._deleted_notes)

    def forget_group(self, mgid: int) -> bool:
        """The SA no longer knows ``mgid`` (a Get found no record): delete it now."""
        groups = {m: g for m, g in self._groups().items() if m != mgid}
        self._member_notes = {k: v for k, v in self._member_notes.items() if k[0] != mgid}
        self._deleted_notes[mgid] = time.time_ns()
        return self._apply(FabricState(groups=groups, groups_complete=True))

    def _keep_notes(self, groups: dict[int, GroupState], dumped_ns: int) -> None:
        """Lay the lab's own SA changes newer than an ``opensm-sa.dump`` written at
        ``dumped_ns`` over its groups; forget those the dump shows or is newer than."""
        for mgid, noted_ns in list(self._deleted_notes.items()):
            if mgid not in groups or dumped_ns > noted_ns:
                del self._deleted_notes[mgid]
            else:
                del groups[mgid]
        for (mgid, port), (state, noted_ns) in list(self._member_notes.items()):
            group, gid = groups.get(mgid), self._gid(port)
            shown = group.member_guids().get(gid & GUID_MASK, 0) if group is not None else 0
            if shown == state or dumped_ns > noted_ns:  # the dump shows it, or is newer
                del self._member_notes[(mgid, port)]
                continue
            if group is None and state and mgid in self.sm.sa.groups:
                group = groups[mgid] = group_state(self.sm.sa.groups[mgid], self.guid_of)
            if group is None:
                continue
            for key in [k for k in group.members if k & GUID_MASK == gid & GUID_MASK]:
                del group.members[key]
            if state:
                group.members[gid] = state
