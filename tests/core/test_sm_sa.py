"""The SA's MCMemberRecord rules (OpenSM 3.3.23 behaviour; see also the conformance test)."""

from __future__ import annotations

import pytest

from ibviz.core.addressing import link_local_gid, parse_gid
from ibviz.core.model import PortRef
from ibviz.core.sm.records import REQUIRED_FOR_CREATE, REQUIRED_FOR_JOIN, JoinState, McComp
from ibviz.core.sm.records import McMemberRecord as R
from ibviz.core.sm.records import SaStatus as S
from ibviz.core.sm.sa import SaConfig, SubnetAdministration

PORTS = {0x1000 + i: PortRef(0x1000 + i - 1, 1) for i in range(1, 6)}
A, B, C, D = (PortRef(0x1000 + i - 1, 1) for i in range(1, 5))
MGID = parse_gid("ff12:601b:ffff::1:ff28:cf2a")
CREATE = int(REQUIRED_FOR_CREATE)
JOIN = int(REQUIRED_FOR_JOIN)


def gid(port: PortRef) -> int:
    return link_local_gid(port.node + 1)


def sa(mlids: int = 1024) -> SubnetAdministration:
    s = SubnetAdministration(PORTS.get, lambda p: p.node + 1, 0xFE80 << 48,
                             SaConfig(mlid_count=mlids))
    s.create_broadcast_group()
    return s


def rec(port: PortRef, state: JoinState = JoinState.FULL, mgid: int = MGID, **kw) -> R:
    return R(mgid=mgid, port_gid=gid(port), qkey=0x1E1E, pkey=0xFFFF, join_state=int(state),
             **kw)


def test_create_join_and_mlid_allocation_after_broadcast_group():
    s = sa()
    r = s.join(A, rec(A), CREATE)
    assert r.status == S.SUCCESS and r.record.mlid == 0xC001  # 0xC000: IPoIB broadcast
    assert s.join(B, rec(B), JOIN).record.mlid == 0xC001
    again = s.join(A, rec(A, JoinState.NON_MEMBER), JOIN)   # re-join adds bits
    assert again.record.join_state == JoinState.FULL | JoinState.NON_MEMBER
    assert s.groups[MGID].receivers == [A, B]


def test_missing_components_and_bad_join_state():
    s = sa()
    assert s.join(A, rec(A), JOIN).status == S.INSUFFICIENT_COMPONENTS  # create needs more
    assert s.join(A, rec(A), int(McComp.MGID | McComp.PORT_GID)).status == \
        S.INSUFFICIENT_COMPONENTS
    assert s.join(A, rec(A, JoinState.NON_MEMBER), CREATE).status == S.REQ_INVALID
    assert s.join(A, rec(A, JoinState.NONE), CREATE).status == S.REQ_INVALID
    assert MGID not in s.groups


@pytest.mark.parametrize("mgid,ok", [("ff32::1", False), ("fe12::1", False),
                                     ("ff12:a01b::1", False), ("ff12::1", True),
                                     ("ff15:401b::1", True)])
def test_mgid_rules(mgid, ok):
    r = sa().join(A, rec(A, mgid=parse_gid(mgid)), CREATE)
    assert (r.status == S.SUCCESS) is ok


def test_zero_mgid_gets_an_sa_assigned_one():
    s = sa()
    r = s.join(A, rec(A, mgid=0), CREATE)
    assert r.status == S.SUCCESS and r.record.mgid >> 120 == 0xFF
    assert (r.record.mgid >> 96) & 0xFFFF == 0xA01B


def test_proxy_rules():
    s = sa()
    assert s.join(A, rec(A), CREATE).status == S.SUCCESS           # A self-joins
    r = s.join(B, rec(C), JOIN)                                     # B proxy-joins C
    assert r.status == S.SUCCESS and r.record.proxy_join
    assert s.join(B, rec(A), JOIN).status == S.REQ_INVALID          # 1B13: A joined itself
    assert "1B13" in s.join(B, rec(A), JOIN).error
    bad = s.leave(B, rec(A), JOIN)                                  # 1B25: only A may
    assert bad.status == S.REQ_INVALID and "1B25" in bad.error
    assert s.leave(D, rec(C), JOIN).status == S.SUCCESS              # proxy-made: anyone
    assert C not in s.groups[MGID].members
    assert s.leave(A, rec(A), JOIN).status == S.SUCCESS              # A itself
    assert MGID not in s.groups                                      # last full member


def test_leave_unknown_group_or_member():
    s = sa()
    assert s.leave(A, rec(A), JOIN).status == S.REQ_INVALID
    s.join(A, rec(A), CREATE)
    assert s.leave(B, rec(B), JOIN).status == S.REQ_INVALID


def test_last_full_member_leaving_frees_the_mlid_for_reuse():
    s = sa()
    s.join(A, rec(A), CREATE)
    s.join(B, rec(B, JoinState.SEND_ONLY_NON_MEMBER), JOIN)
    assert s.leave(A, rec(A), JOIN).status == S.SUCCESS
    assert MGID not in s.groups          # B is not a creator: the group goes
    assert s.join(C, rec(C), CREATE).record.mlid == 0xC001


def test_send_only_full_join_then_partial_leave_does_not_leak_mlids():
    """OpenSM PR #43: ~1018 such cycles exhausted the MLID space. Here: none leak."""
    s = sa(mlids=16)
    for cycle in range(1100):
        r = s.join(A, rec(A, JoinState.SEND_ONLY_FULL | JoinState.NON_MEMBER), CREATE)
        assert r.status == S.SUCCESS, f"cycle {cycle}: {r.error}"
        s.leave(A, rec(A, JoinState.NON_MEMBER), JOIN)          # partial leave
        s.leave(A, rec(A, JoinState.SEND_ONLY_FULL), JOIN)      # then the rest
        assert MGID not in s.groups
    assert len(s.groups) == 1  # only the broadcast group


def test_mlid_exhaustion_and_requested_mlid():
    s = sa(mlids=3)  # 0xC000 (broadcast), 0xC001, 0xC002
    assert s.join(A, rec(A, mgid=parse_gid("ff12::1")), CREATE).record.mlid == 0xC001
    assert s.join(A, rec(A, mgid=parse_gid("ff12::2")), CREATE).record.mlid == 0xC002
    assert s.join(A, rec(A, mgid=parse_gid("ff12::3")), CREATE).status == S.NO_RESOURCES
    s2 = sa()
    r = s2.join(A, rec(A, mlid=0xC010), CREATE | int(McComp.MLID))
    assert r.record.mlid == 0xC010


def test_get():
    s = sa()
    s.join(A, rec(A), CREATE)
    s.join(B, rec(B), JOIN)
    trusted = 1  # OpenSM's default SM_Key
    one = s.get(A, rec(A), int(McComp.MGID | McComp.PORT_GID), trusted)
    assert one.status == S.SUCCESS and one.record.port_gid == gid(A)
    assert one.record.join_state == JoinState.FULL
    assert s.get(A, rec(A), int(McComp.MGID), trusted).status == S.TOO_MANY_RECORDS
    untrusted = s.get(A, rec(A), int(McComp.MGID))  # one per group, member fields zeroed
    assert untrusted.status == S.SUCCESS and untrusted.record.mlid == 0xC001
    assert (untrusted.record.port_gid, untrusted.record.join_state) == (0, 0)
    assert s.get(A, rec(C), int(McComp.MGID | McComp.PORT_GID), trusted).status == \
        S.NO_RECORDS


def test_unknown_port_gid_refused():
    s = sa()
    r = s.join(A, R(mgid=MGID, port_gid=link_local_gid(0xDEAD), join_state=1), CREATE)
    assert r.status == S.REQ_INVALID
