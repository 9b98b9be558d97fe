"""InfiniBand addressing rules in one place: LIDs, LMC, GIDs, MGIDs and QPNs.

Everything here is plain integer arithmetic following the IBA specification
(vol. 1, ch. 4 "Addressing" and ch. 7 "Link layer").

LID space
    ``0x0000`` reserved (a port without a LID), ``0x0001-0xBFFF`` unicast,
    ``0xC000-0xFFFE`` multicast, ``0xFFFF`` permissive.
LMC
    A port with LID Mask Control ``lmc`` (0-7) answers to ``2**lmc`` consecutive
    unicast LIDs. The *port* ignores the low ``lmc`` bits of the DLID; switches do
    not mask, so every LID of the range needs its own LFT entry.
"""

from __future__ import annotations

import ipaddress
from enum import Enum

INVALID_LID = 0x0000
UNICAST_LID_MIN = 0x0001
UNICAST_LID_MAX = 0xBFFF
MULTICAST_LID_MIN = 0xC000
MULTICAST_LID_MAX = 0xFFFE
PERMISSIVE_LID = 0xFFFF
MAX_LMC = 7

QPN_MASK = 0xFFFFFF
MULTICAST_QPN = 0xFFFFFF
"""Destination QP of every multicast packet (IBA 9.6.1.2)."""

LINK_LOCAL_PREFIX = 0xFE80_0000_0000_0000
"""Default subnet prefix: fe80::/64."""

MAX_GUID = (1 << 64) - 1


class LidKind(Enum):
    """What a 16-bit LID value means on the wire."""

    INVALID = "invalid"
    UNICAST = "unicast"
    MULTICAST = "multicast"
    PERMISSIVE = "permissive"


class MgidScope(Enum):
    """Scope nibble of a multicast GID (IBA 4.1.1, table 3)."""

    LINK_LOCAL = 0x2
    SITE_LOCAL = 0x5
    ORGANIZATION_LOCAL = 0x8
    GLOBAL = 0xE


def lid_kind(lid: int) -> LidKind:
    """Classify a 16-bit LID."""
    if not 0 <= lid <= 0xFFFF:
        raise ValueError(f"LID {lid:#x} does not fit in 16 bits")
    if lid == INVALID_LID:
        return LidKind.INVALID
    if lid <= UNICAST_LID_MAX:
        return LidKind.UNICAST
    if lid <= MULTICAST_LID_MAX:
        return LidKind.MULTICAST
    return LidKind.PERMISSIVE


def is_unicast_lid(lid: int) -> bool:
    return UNICAST_LID_MIN <= lid <= UNICAST_LID_MAX


def is_multicast_lid(lid: int) -> bool:
    return MULTICAST_LID_MIN <= lid <= MULTICAST_LID_MAX


def check_lmc(lmc: int) -> int:
    """Return ``lmc`` or raise ``ValueError`` if it is not 0-7."""
    if not 0 <= lmc <= MAX_LMC:
        raise ValueError(f"LMC {lmc} out of range 0-{MAX_LMC}")
    return lmc


def lmc_mask(lmc: int) -> int:
    """Bits of a DLID that a port with this LMC ignores."""
    return (1 << check_lmc(lmc)) - 1


def is_lid_aligned(base_lid: int, lmc: int) -> bool:
    """Whether ``base_lid`` has its low ``lmc`` bits clear, as the SM assigns it."""
    return base_lid & lmc_mask(lmc) == 0


def lid_range(base_lid: int, lmc: int) -> range:
    """The LIDs a port answers to: the aligned block of ``2**lmc`` LIDs holding ``base_lid``.

    The port masks the low ``lmc`` bits, so an unaligned base still answers to the
    whole aligned block. A base of 0 (unassigned) answers to nothing.
    """
    if base_lid == INVALID_LID:
        return range(0)
    if lmc == 0 and UNICAST_LID_MIN <= base_lid <= UNICAST_LID_MAX:  # the common case, fast
        return range(base_lid, base_lid + 1)
    if not is_unicast_lid(base_lid):
        raise ValueError(f"base LID {base_lid:#06x} is not a unicast LID")
    mask = lmc_mask(lmc)
    first = base_lid & ~mask
    last = min(first + mask, UNICAST_LID_MAX)
    return range(max(first, UNICAST_LID_MIN), last + 1)


def port_accepts_dlid(port_lid: int, lmc: int, dlid: int) -> bool:
    """Link-level DLID check of a CA port for a unicast DLID (masked by LMC)."""
    if not is_unicast_lid(dlid) or port_lid == INVALID_LID:
        return False
    return (dlid >> lmc) == (port_lid >> lmc)


def check_qpn(qpn: int) -> int:
    """Return ``qpn`` or raise ``ValueError`` if it is not a 24-bit QP number."""
    if not 0 <= qpn <= QPN_MASK:
        raise ValueError(f"QPN {qpn:#x} does not fit in 24 bits")
    return qpn


def format_guid(guid: int) -> str:
    return f"0x{guid:016x}"


def parse_guid(text: str) -> int:
    """Parse a 64-bit GUID written with or without ``0x`` and leading zeros."""
    t = text.strip().lower()
    if t.startswith("0x"):
        t = t[2:]
    if not t or len(t) > 16:
        raise ValueError(f"not a 64-bit GUID: {text!r}")
    return int(t, 16)


# --- GIDs -------------------------------------------------------------------------------------


def make_gid(prefix: int, guid: int) -> int:
    """128-bit GID from a 64-bit subnet prefix and a 64-bit port GUID."""
    return ((prefix & MAX_GUID) << 64) | (guid & MAX_GUID)


def link_local_gid(port_guid: int) -> int:
    """The link-local GID (fe80::/64) of a port GUID."""
    return make_gid(LINK_LOCAL_PREFIX, port_guid)


def gid_prefix(gid: int) -> int:
    return gid >> 64


def gid_guid(gid: int) -> int:
    return gid & MAX_GUID


def format_gid(gid: int) -> str:
    """A GID in IPv6 notation, e.g. ``fe80::2:c903:4:e939``."""
    return str(ipaddress.IPv6Address(gid))


def parse_gid(text: str) -> int:
    """Parse a GID in IPv6 notation (also accepts ``0xPREFIX:0xGUID`` as OpenSM prints it)."""
    t = text.strip()
    if t.lower().startswith("0x") and ":" in t:
        prefix, guid = t.split(":", 1)
        return make_gid(int(prefix, 16), int(guid, 16))
    try:
        return int(ipaddress.IPv6Address(t))
    except ipaddress.AddressValueError as exc:
        raise ValueError(f"not a GID: {text!r}") from exc


def is_mgid(gid: int) -> bool:
    """Multicast GIDs start with byte 0xFF."""
    return gid >> 120 == 0xFF


def mgid_flags(gid: int) -> int:
    """The 4 flag bits of an MGID (bit 0 of the nibble set = transient group)."""
    return (gid >> 116) & 0xF


def mgid_scope(gid: int) -> MgidScope | int:
    """The scope nibble of an MGID, as :class:`MgidScope` where it is a named scope."""
    nibble = (gid >> 112) & 0xF
    try:
        return MgidScope(nibble)
    except ValueError:
        return nibble


def make_mgid(scope: MgidScope | int = MgidScope.LINK_LOCAL, flags: int = 0x1,
              signature: int = 0, group_id: int = 0) -> int:
    """Build an MGID: ``ff<flags><scope>:<16-bit signature>:<rest>``."""
    s = scope.value if isinstance(scope, MgidScope) else scope
    if not (0 <= s <= 0xF and 0 <= flags <= 0xF):
        raise ValueError("scope and flags are 4-bit values")
    return (0xFF << 120) | (flags << 116) | (s << 112) | ((signature & 0xFFFF) << 96) \
        | (group_id & ((1 << 96) - 1))


IPOIB_SIGNATURE_V4 = 0x401B


def ipoib_broadcast_mgid(pkey: int = 0xFFFF, scope: MgidScope = MgidScope.LINK_LOCAL) -> int:
    """The IPoIB IPv4 broadcast group, ``ff12:401b:<pkey>::ffff:ffff`` (RFC 4391)."""
    return make_mgid(scope, 0x1, IPOIB_SIGNATURE_V4, ((pkey | 0x8000) << 80) | 0xFFFF_FFFF)
