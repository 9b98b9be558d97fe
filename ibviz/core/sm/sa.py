"""The subnet administrator's MCMemberRecord service: join (Set), leave (Delete), Get.

The rules follow OpenSM 3.3.23 (``opensm/osm_sa_mcmember_record.c``), checked against
the real OpenSM by ``tests/backends/test_opensm_sa.py`` and the conformance test:

* every Set/Delete needs MGID, PortGID and JoinState (else INSUFFICIENT_COMPONENTS);
* creating a group also needs Q_Key, TClass, P_Key, FlowLabel and SL, and a JoinState
  with Full or SendOnlyFull (else INSUFFICIENT_COMPONENTS / REQ_INVALID); MGID ``::``
  makes the SA assign one; an MGID without the 0xFF prefix, with the P/R flag bits set
  or with the SA's own signature 0xA01B is refused;
* a membership a port created itself can be changed or removed only by that port
  (OpenSM ERR 1B13 / 1B25); a proxy-created one by any port in the group's partition;
* MLIDs come from 0xC000 upwards (0xC000: the IPoIB broadcast group the SM creates);
  when no Full or SendOnlyFull member is left, the group is deleted and its MLID freed.
  The join state is kept per port as a bit set, so OpenSM's PR #43 leak (a send-only
  full join followed by a partial leave kept the MLID forever) cannot happen here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ibviz.core.addressing import MULTICAST_LID_MIN, gid_guid, ipoib_broadcast_mgid, make_gid
from ibviz.core.model import PortRef
from ibviz.core.sm.groups import CREATOR, McGroup, Membership
from ibviz.core.sm.records import (
    REQUIRED_FOR_CREATE,
    REQUIRED_FOR_JOIN,
    JoinState,
    McComp,
    McMemberRecord,
    SaStatus,
)

SA_MGID_SIGNATURE = 0xA01B


@dataclass(frozen=True)
class SaResponse:
    status: SaStatus
    record: McMemberRecord | None = None
    error: str = ""
    """OpenSM-style log text explaining a refusal (``ERR 1B25: ...``)."""
    changed: int | None = None
    """MGID of the group whose membership changed (the SM reprograms its MFTs)."""


@dataclass
class SaConfig:
    mlid_count: int = 1024
    """MLIDs available: 0xC000 .. 0xC000 + count - 1 (ibsim/OpenSM default MFT size)."""
    partitions: dict[PortRef, set[int]] = field(default_factory=dict)
    sm_key: int = 1
    """A Get carrying this SM_Key is trusted (OpenSM's default key is 1)."""
    """Port -> P_Keys (low 15 bits) it holds; ports not listed hold only the default."""


class SubnetAdministration:
    """MCMemberRecord state machine.

    ``resolve(guid)`` maps a port GUID to its port and ``port_guid(port)`` back.
    """

    def __init__(self, resolve: Callable[[int], PortRef | None],
                 port_guid: Callable[[PortRef], int], prefix: int,
                 config: SaConfig | None = None) -> None:
        self.resolve = resolve
        self.port_guid = port_guid
        self.prefix = prefix
        self.config = config or SaConfig()
        self.groups: dict[int, McGroup] = {}
        self._next_sa_mgid = 0

    # ------------------------------------------------------------ helpers
    @property
    def by_mlid(self) -> dict[int, McGroup]:
        return {g.mlid: g for g in self.groups.values()}

    def create_broadcast_group(self, pkey: int = 0xFFFF) -> McGroup:
        """The IPoIB broadcast group OpenSM creates at start (MLID 0xC000)."""
        mgid = ipoib_broadcast_mgid(pkey)
        group = McGroup(mgid, MULTICAST_LID_MIN, qkey=0x0B1B, pkey=pkey, well_known=True,
                        name="ipoib-broadcast")
        self.groups[mgid] = group
        return group

    def _pkeys(self, port: PortRef) -> set[int]:
        return self.config.partitions.get(port, {0x7FFF})

    def _in_partition(self, port: PortRef, pkey: int) -> bool:
        return (pkey & 0x7FFF) in self._pkeys(port)

    def _free_mlid(self, wanted: int = 0) -> int | None:
        used = {g.mlid for g in self.groups.values()}
        top = MULTICAST_LID_MIN + self.config.mlid_count
        if wanted:
            return wanted if MULTICAST_LID_MIN <= wanted < top and wanted not in used else None
        return next((m for m in range(MULTICAST_LID_MIN, top) if m not in used), None)

    @staticmethod
    def _mgid_problem(mgid: int) -> str | None:
        if mgid >> 120 != 0xFF:
            return "ERR 1B01: Wrong MGID Prefix (must start with 0xFF)"
        flags = (mgid >> 116) & 0xF
        if flags & 0x6:
            return f"ERR 1B01: MGID flags 0x{flags:x}: the P and R flag bits must be 0"
        if (mgid >> 96) & 0xFFFF == SA_MGID_SIGNATURE:
            return "ERR 1B01: MGID signature 0xA01B is reserved for SA-assigned MGIDs"
        return None

    def _sa_mgid(self, scope: int) -> int:
        mgid = (0xFF1 << 116) | ((scope or 2) << 112) | (SA_MGID_SIGNATURE << 96) \
            | ((self.prefix & 0xFFFF_FFFF_FFFF_FFFF) << 32) | self._next_sa_mgid
        self._next_sa_mgid += 1
        return mgid

    def _port_of(self, rec: McMemberRecord) -> PortRef | None:
        return self.resolve(gid_guid(rec.port_gid))

    def _gid(self, port: PortRef) -> int:
        return make_gid(self.prefix, self.port_guid(port))

    # ------------------------------------------------------------------ Set
    def join(self, requester: PortRef, rec: McMemberRecord, comp: int) -> SaResponse:
        """SubnAdmSet(MCMemberRecord): create a group or add/extend a membership."""
        comp = McComp(comp)
        if comp & REQUIRED_FOR_JOIN != REQUIRED_FOR_JOIN:
            return SaResponse(SaStatus.INSUFFICIENT_COMPONENTS,
                              error="ERR 1B07: MGID, PortGID and JoinState are required")
        if rec.join_state & 0xF == 0:
            return SaResponse(SaStatus.REQ_INVALID, error="ERR 1B12: JoinState is 0")
        port = self._port_of(rec)
        if port is None:
            return SaResponse(SaStatus.REQ_INVALID,
                              error=f"ERR 1B02: PortGID {rec.port_gid:#x} is not in the subnet")
        proxy = port != requester
        group = self.groups.get(rec.mgid) if rec.mgid else None
        if group is None or not (group.has_creator or group.well_known):
            return self._create(requester, port, rec, comp, proxy, group)
        if not self._in_partition(requester, group.pkey):
            return SaResponse(SaStatus.REQ_INVALID,
                              error="ERR 1B14: requester is not in the group's partition")
        member = group.members.get(port)
        if member is not None and not self._may_modify(requester, member, group):
            return SaResponse(SaStatus.REQ_INVALID, error="ERR 1B13: validate_modify failed: "
                              "the membership was created by the port itself")
        if comp & McComp.MLID and rec.mlid and rec.mlid != group.mlid:
            return SaResponse(SaStatus.REQ_INVALID, error="ERR 1B15: MLID does not match")
        return self._add(group, port, requester, rec.join_state & 0xF, proxy, member)

    def _may_modify(self, requester: PortRef, member: Membership, group: McGroup) -> bool:
        if member.proxy:
            return self._in_partition(requester, group.pkey)
        return requester == member.port

    def _create(self, requester: PortRef, port: PortRef, rec: McMemberRecord, comp: McComp,
                proxy: bool, stale: McGroup | None) -> SaResponse:
        if not rec.join_state & CREATOR:
            return SaResponse(SaStatus.REQ_INVALID, error="ERR 1B10: Provided Join State "
                              "is not FullMember or SendOnlyFullMember - required for create")
        if comp & REQUIRED_FOR_CREATE != REQUIRED_FOR_CREATE:
            return SaResponse(SaStatus.INSUFFICIENT_COMPONENTS, error="ERR 1B11: component "
                              f"mask 0x{int(comp):x} lacks what creating a group needs")
        mgid = rec.mgid or self._sa_mgid(rec.scope)
        problem = None if not rec.mgid else self._mgid_problem(mgid)
        if problem:
            return SaResponse(SaStatus.REQ_INVALID, error=problem)
        wanted = rec.mlid if comp & McComp.MLID else 0
        if stale is not None:
            wanted = wanted or stale.mlid
            del self.groups[stale.mgid]
        mlid = self._free_mlid(wanted)
        if mlid is None:
            status = SaStatus.NO_RESOURCES if not wanted else SaStatus.REQ_INVALID
            return SaResponse(status, error="ERR 1B19: no free MLID" if not wanted
                              else f"ERR 1B17: requested MLID {wanted:#x} unavailable")
        group = McGroup(mgid, mlid, qkey=rec.qkey, pkey=rec.pkey or 0xFFFF, tclass=rec.tclass,
                        sl=rec.sl, flow_label=rec.flow_label, mtu=rec.mtu or 4,
                        rate=rec.rate or 3, pkt_life=rec.pkt_life, hop_limit=rec.hop_limit,
                        scope=(mgid >> 112) & 0xF)
        self.groups[mgid] = group
        return self._add(group, port, requester, rec.join_state & 0xF, proxy, None)

    def _add(self, group: McGroup, port: PortRef, requester: PortRef, bits: int, proxy: bool,
             member: Membership | None) -> SaResponse:
        if member is None:
            member = group.members[port] = Membership(port, bits, proxy, requester)
        else:
            member.join_state |= bits
        rec = group.record_for(port, self._gid(port), member.join_state, member.proxy)
        return SaResponse(SaStatus.SUCCESS, rec, changed=group.mgid)

    # --------------------------------------------------------------- Delete
    def leave(self, requester: PortRef, rec: McMemberRecord, comp: int) -> SaResponse:
        """SubnAdmDelete(MCMemberRecord): drop join state bits; the last creator deletes."""
        comp = McComp(comp)
        if comp & REQUIRED_FOR_JOIN != REQUIRED_FOR_JOIN:
            return SaResponse(SaStatus.INSUFFICIENT_COMPONENTS,
                              error="ERR 1B07: MGID, PortGID and JoinState are required")
        group = self.groups.get(rec.mgid)
        if group is None:
            return SaResponse(SaStatus.REQ_INVALID, error="ERR 1B21: no such multicast group")
        port = self._port_of(rec)
        member = group.members.get(port) if port else None
        if member is None:
            return SaResponse(SaStatus.REQ_INVALID,
                              error="ERR 1B24: the port is not a member of the group")
        if not self._may_modify(requester, member, group):
            return SaResponse(SaStatus.REQ_INVALID, error="ERR 1B25: Received an invalid "
                              "delete request: the membership was created by the port itself")
        member.join_state &= ~(rec.join_state & 0xF)
        if member.join_state == 0:
            del group.members[port]
        out = rec.with_(join_state=member.join_state)  # OpenSM echoes the request
        if not group.well_known and (not group.members or not group.has_creator):
            del self.groups[group.mgid]
        return SaResponse(SaStatus.SUCCESS, out, changed=group.mgid)

    # ------------------------------------------------------------------ Get
    def get(self, requester: PortRef, rec: McMemberRecord, comp: int, sm_key: int = 0
            ) -> SaResponse:
        """SubnAdmGet(MCMemberRecord): the one record matching the component mask.

        Like OpenSM, a Get without the SM_Key is answered per group with the member fields
        (PortGID, JoinState, ProxyJoin) zeroed; a trusted one per member port.
        """
        comp = McComp(comp)
        trusted = sm_key == self.config.sm_key
        found = []
        for group in self.groups.values():
            if comp & McComp.MGID and group.mgid != rec.mgid:
                continue
            if comp & McComp.MLID and group.mlid != rec.mlid:
                continue
            for port, m in sorted(group.members.items()):
                gid = self._gid(port)
                if comp & McComp.PORT_GID and gid != rec.port_gid:
                    continue
                if comp & McComp.JOIN_STATE and not m.join_state & rec.join_state:
                    continue
                if trusted:
                    found.append(group.record_for(port, gid, m.join_state, m.proxy))
                else:
                    found.append(group.record_for(None, 0, 0, False))
                    break
        if not found:
            return SaResponse(SaStatus.NO_RECORDS, error="no matching MCMemberRecord")
        if len(found) > 1:
            return SaResponse(SaStatus.TOO_MANY_RECORDS, found[0],
                              error=f"{len(found)} records match a Get")
        return SaResponse(SaStatus.SUCCESS, found[0])


__all__ = ["JoinState", "SaConfig", "SaResponse", "SubnetAdministration"]
