"""A battery of MCMemberRecord requests (join, leave, get, proxy, error cases), as pure data.

The same list is replayed against the real OpenSM (tests/backends/test_opensm_sa.py, which
holds OpenSM 3.3.23's observed answers) and can be replayed against ibviz's own SA to
compare answers step by step. Steps run in order on one fresh subnet; each names the
requesting port and the PortGID port by role:

* ``A``, ``B``, ``C``: three HCA ports on the first switch;
* ``D``: an HCA port on a second switch (so a tree needs the inter-switch link).

An MGID is an IPv6-style literal, or ``"@name"`` for the MGID the SA assigned in the step
that has ``save_mgid="name"``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ibviz.core.addressing import link_local_gid
from ibviz.core.sm.records import (
    REQUIRED_FOR_CREATE,
    REQUIRED_FOR_JOIN,
    JoinState,
    McComp,
    McMemberRecord,
    SaMethod,
)

__all__ = ["BATTERY", "CREATE", "JOIN", "ROLES", "TRUSTED_SM_KEY", "SaStep", "build_record",
           "parse_mgid"]

ROLES = ("A", "B", "C", "D")
CREATE = int(REQUIRED_FOR_CREATE)
"""MGID|PortGID|Q_Key|TClass|P_Key|SL|FlowLabel|JoinState = 0x130c7."""
JOIN = int(REQUIRED_FOR_JOIN)
"""MGID|PortGID|JoinState = 0x10003."""
GET_BY_MGID = int(McComp.MGID)
GET_MEMBER = int(McComp.MGID | McComp.PORT_GID)
TRUSTED_SM_KEY = 1
"""OpenSM's default SA key: a Get carrying it is trusted and returns PortGID/JoinState/
ProxyJoin of the member (an untrusted Get returns them zeroed)."""

FULL = int(JoinState.FULL)
NON = int(JoinState.NON_MEMBER)
SO_FULL = int(JoinState.SEND_ONLY_FULL)
SET, GET, DELETE = int(SaMethod.SET), int(SaMethod.GET), int(SaMethod.DELETE)

G1 = "ff12:1::1"
G2 = "ff12:1::2"
G3 = "ff12:1::3"
G4 = "ff12:1::4"
G5 = "ff12:1::5"
G6 = "ff12:1::6"


@dataclass(frozen=True, slots=True)
class SaStep:
    """One SA request: who sends it and what it carries."""

    name: str
    sender: str
    method: int
    mgid: str
    port: str
    join_state: int
    comp_mask: int
    qkey: int = 0x0001_2345
    pkey: int = 0xFFFF
    sm_key: int = 0
    save_mgid: str | None = None
    note: str = ""


def _s(name: str, sender: str, method: int, mgid: str, port: str, join_state: int,
       comp_mask: int, note: str, **kw: object) -> SaStep:
    return SaStep(name, sender, method, mgid, port, join_state, comp_mask, note=note,
                  **kw)  # type: ignore[arg-type]


BATTERY: tuple[SaStep, ...] = (
    _s("create", "A", SET, G1, "A", FULL, CREATE, "new group, create mask, Full"),
    _s("join_second", "B", SET, G1, "B", FULL, JOIN, "second port joins"),
    _s("rejoin_same", "B", SET, G1, "B", FULL, JOIN, "same port joins again"),
    _s("get", "C", GET, G1, "C", 0, GET_BY_MGID, "untrusted Get by MGID (non-member asks)"),
    _s("get_member_trusted", "C", GET, G1, "B", 0, GET_MEMBER, "trusted Get of B's record",
       sm_key=TRUSTED_SM_KEY),
    _s("leave", "B", DELETE, G1, "B", FULL, JOIN, "B leaves; A stays"),
    _s("proxy_join", "C", SET, G1, "D", FULL, JOIN, "C joins D (other switch) by proxy"),
    _s("get_proxy_trusted", "C", GET, G1, "D", 0, GET_MEMBER, "trusted Get shows ProxyJoin",
       sm_key=TRUSTED_SM_KEY),
    _s("proxy_leave_allowed", "B", DELETE, G1, "D", FULL, JOIN,
       "B removes D's proxy-created membership (B holds the P_Key)"),
    _s("proxy_leave_refused", "C", DELETE, G1, "A", FULL, JOIN,
       "C tries to remove self-joined A (OpenSM: ERR 1B25)"),
    _s("proxy_join_self_joined", "C", SET, G1, "A", FULL, JOIN,
       "C proxy-joins A, which joined itself (OpenSM: ERR 1B13)"),
    _s("missing_components", "A", SET, G2, "A", FULL, JOIN,
       "new group with only MGID|PortGID|JoinState (OpenSM: ERR 1B11)"),
    _s("bad_join_state_create", "A", SET, G2, "A", NON, CREATE,
       "create as NonMember only (OpenSM: ERR 1B10)"),
    _s("mgid_flag_bits", "A", SET, "ff32:1::2", "A", FULL, CREATE,
       "reserved MGID flag bits set (OpenSM: ERR 1B28)"),
    _s("mgid_zero", "A", SET, "::", "A", FULL, CREATE, "SA assigns the MGID",
       save_mgid="assigned"),
    _s("leave_assigned", "A", DELETE, "@assigned", "A", FULL, JOIN,
       "last full member of the SA-assigned group leaves"),
    _s("last_member_leaves", "A", DELETE, G1, "A", FULL, JOIN,
       "last full member of G1 leaves: group deleted, MLID freed"),
    _s("get_deleted", "C", GET, G1, "C", 0, GET_BY_MGID, "Get of the deleted group"),
    _s("join_deleted", "B", SET, G1, "B", FULL, JOIN,
       "join the deleted group without the create mask"),
    _s("create_after_delete", "A", SET, G3, "A", FULL, CREATE,
       "next new group: which MLID does it get?"),
    _s("so_create", "C", SET, G4, "C", SO_FULL, CREATE,
       "create with SendOnlyFullMember only"),
    _s("so_leave", "C", DELETE, G4, "C", SO_FULL, JOIN, "the send-only full member leaves"),
    _s("so_get_after_leave", "C", GET, G4, "C", 0, GET_BY_MGID,
       "does the group (and its MLID) outlive its only member?"),
    _s("so_full_create", "D", SET, G5, "D", FULL | SO_FULL, CREATE,
       "create as Full|SendOnlyFull"),
    _s("so_partial_leave", "D", DELETE, G5, "D", FULL, JOIN,
       "partial leave: drop Full, keep SendOnlyFull"),
    _s("so_partial_get", "C", GET, G5, "D", 0, GET_MEMBER,
       "D's record after the partial leave", sm_key=TRUSTED_SM_KEY),
    _s("so_rest_leave", "D", DELETE, G5, "D", SO_FULL, JOIN, "D drops SendOnlyFull too"),
    _s("so_final_get", "C", GET, G5, "C", 0, GET_BY_MGID, "is G5 gone?"),
    _s("create_after_so", "A", SET, G6, "A", FULL, CREATE,
       "next new group: leaked MLIDs show as a higher MLID"),
)


def parse_mgid(text: str, saved: Mapping[str, int] | None = None) -> int:
    """An MGID literal (``ff12:1::1``) or ``@name`` from ``saved`` as a 128-bit int."""
    if text.startswith("@"):
        if saved is None or text[1:] not in saved:
            raise KeyError(f"MGID {text} was not saved by an earlier step")
        return saved[text[1:]]
    return int(ipaddress.IPv6Address(text))


def build_record(step: SaStep, port_guid: Callable[[str], int] | Mapping[str, int],
                 saved: Mapping[str, int] | None = None) -> McMemberRecord:
    """The MCMemberRecord a step sends; ``port_guid`` maps a role to its port GUID."""
    guid = port_guid(step.port) if callable(port_guid) else port_guid[step.port]
    return McMemberRecord(mgid=parse_mgid(step.mgid, saved), port_gid=link_local_gid(guid),
                          qkey=step.qkey, pkey=step.pkey, join_state=step.join_state)
