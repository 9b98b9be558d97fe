"""Multicast groups as the SA keeps them: MGID, MLID, parameters and member ports."""

from __future__ import annotations

from dataclasses import dataclass, field

from ibviz.core.model import PortRef
from ibviz.core.sm.records import JoinState, McMemberRecord

RECEIVING = JoinState.FULL | JoinState.NON_MEMBER
"""Join states that make a port receive the group's packets (send-only ones do not)."""
CREATOR = JoinState.FULL | JoinState.SEND_ONLY_FULL
"""Join states that keep a group alive; when none is left the group and its MLID go."""


@dataclass(slots=True)
class Membership:
    """One port's membership: its join state bits and whether a proxy created it."""

    port: PortRef
    join_state: int
    proxy: bool
    requester: PortRef


@dataclass(slots=True)
class McGroup:
    """A multicast group (MCMemberRecord parameters shared by all members)."""

    mgid: int
    mlid: int
    qkey: int = 0
    pkey: int = 0xFFFF
    tclass: int = 0
    sl: int = 0
    flow_label: int = 0
    mtu: int = 4
    rate: int = 3
    pkt_life: int = 0
    hop_limit: int = 0
    scope: int = 2
    members: dict[PortRef, Membership] = field(default_factory=dict)
    well_known: bool = False
    """Created by the SM itself (the IPoIB broadcast group): never deleted by leaves."""
    unicast_lid: int = 0
    """A unicast-range LID (< 0xC000) the SM associates with the group for RC/UC (0: none)."""
    name: str = ""

    @property
    def receivers(self) -> list[PortRef]:
        """Member ports that receive the group's packets (Full or NonMember), sorted."""
        return sorted(p for p, m in self.members.items() if m.join_state & RECEIVING)

    @property
    def member_ports(self) -> list[PortRef]:
        return sorted(self.members)

    @property
    def has_creator(self) -> bool:
        """Whether a Full or SendOnlyFull member keeps the group alive."""
        return any(m.join_state & CREATOR for m in self.members.values())

    def record_for(self, port: PortRef | None, port_gid: int, join_state: int,
                   proxy: bool) -> McMemberRecord:
        """The MCMemberRecord the SA answers with for one port."""
        return McMemberRecord(
            mgid=self.mgid, port_gid=port_gid, qkey=self.qkey, mlid=self.mlid, mtu_selector=2,
            mtu=self.mtu, tclass=self.tclass, pkey=self.pkey, rate_selector=2, rate=self.rate,
            pkt_life_selector=2, pkt_life=self.pkt_life, sl=self.sl, flow_label=self.flow_label,
            hop_limit=self.hop_limit, scope=self.scope, join_state=join_state, proxy_join=proxy)

    def copy(self) -> McGroup:
        new = McGroup(**{f: getattr(self, f) for f in self.__dataclass_fields__
                         if f != "members"})
        new.members = {p: Membership(m.port, m.join_state, m.proxy, m.requester)
                       for p, m in self.members.items()}
        return new
