"""SA records and status codes as the InfiniBand specification (and OpenSM) define them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum, IntFlag


class SaStatus(IntEnum):
    """MAD status of an SA response (class-specific code in bits 8-14, IBA 15.2.1.1)."""

    SUCCESS = 0x0000
    NO_RESOURCES = 0x0100
    REQ_INVALID = 0x0200
    NO_RECORDS = 0x0300
    TOO_MANY_RECORDS = 0x0400
    REQ_INVALID_GID = 0x0500
    INSUFFICIENT_COMPONENTS = 0x0600
    REQ_DENIED = 0x0700


class SaMethod(IntEnum):
    GET = 0x01
    SET = 0x02
    GET_RESP = 0x81
    DELETE = 0x15
    DELETE_RESP = 0x95


class JoinState(IntFlag):
    """MCMemberRecord.JoinState bits (IBA 15.2.5.17)."""

    NONE = 0
    FULL = 0x1
    NON_MEMBER = 0x2
    SEND_ONLY_NON_MEMBER = 0x4
    SEND_ONLY_FULL = 0x8


class McComp(IntFlag):
    """ComponentMask bits of MCMemberRecord."""

    MGID = 1 << 0
    PORT_GID = 1 << 1
    QKEY = 1 << 2
    MLID = 1 << 3
    MTU_SELECTOR = 1 << 4
    MTU = 1 << 5
    TCLASS = 1 << 6
    PKEY = 1 << 7
    RATE_SELECTOR = 1 << 8
    RATE = 1 << 9
    PKT_LIFE_SELECTOR = 1 << 10
    PKT_LIFE = 1 << 11
    SL = 1 << 12
    FLOW_LABEL = 1 << 13
    HOP_LIMIT = 1 << 14
    SCOPE = 1 << 15
    JOIN_STATE = 1 << 16
    PROXY_JOIN = 1 << 17


REQUIRED_FOR_JOIN = McComp.MGID | McComp.PORT_GID | McComp.JOIN_STATE
"""Every Set/Delete needs these."""
REQUIRED_FOR_CREATE = REQUIRED_FOR_JOIN | McComp.QKEY | McComp.TCLASS | McComp.PKEY \
    | McComp.FLOW_LABEL | McComp.SL
"""Creating a group also needs these (OpenSM: cheapest create mask 0x130c7)."""


@dataclass(frozen=True, slots=True)
class McMemberRecord:
    """MCMemberRecord (SA attribute 0x0038). GIDs are 128-bit ints."""

    mgid: int = 0
    port_gid: int = 0
    qkey: int = 0
    mlid: int = 0
    mtu_selector: int = 0
    mtu: int = 0
    tclass: int = 0
    pkey: int = 0
    rate_selector: int = 0
    rate: int = 0
    pkt_life_selector: int = 0
    pkt_life: int = 0
    sl: int = 0
    flow_label: int = 0
    hop_limit: int = 0
    scope: int = 0
    join_state: int = 0
    proxy_join: bool = False

    def with_(self, **changes: object) -> McMemberRecord:
        return replace(self, **changes)  # type: ignore[arg-type]
