"""Readers for multicast groups (SA state) and the master SM.

OpenSM's ``opensm-sa.dump`` (``sa_db_dump TRUE``) writes each group, then its members::

    MC Group 0xc001 : mgid=0xff12000100000000:0x0000000000000001 port_gid=... qkey=0x00012345
      mlid=0xc001 mtu=0x84 tclass=0x00 pkey=0xffff rate=0x91 pkt_life=0x80
      sl_flow_hop=0x00000000 scope_state=0x01 proxy_join=0x0          (one line)
    mcm_port: port_gid=0xfe80000000000000:0x0002c90300000001 scope_state=0x01 proxy_join=0x0

The well-known IPoIB group is ``MC Group 0xc000  (well known): ...``. Other SA records in
the dump (services, InformInfo, ...) are skipped.

``saquery -g`` / ``-m`` (and a full ``saquery MCMR``) print dotted key/value blocks, each
field line indented by two tabs::

    MCMemberRecord member dump:
            MGID....................ff12:1::1
            Mlid....................0xC001
            PortGid.................fe80::2:c903:0:1
            ScopeState..............0x1

A member dump without the SA key (``saquery --smkey``) shows PortGid ``::``: the group is
then kept with its members unknown. ``sminfo`` prints one line about the master SM.
"""

from __future__ import annotations

import ipaddress
import re

from ibviz.topology.state._reader import StateReader
from ibviz.topology.state.model import GroupState, SmState

_GROUP_RE = re.compile(r"^MC Group 0x([0-9A-Fa-f]{1,4})\s*(\(well known\))?\s*:\s*(.*)$")
_MEMBER_RE = re.compile(r"^mcm_port:\s*(.*)$")
_OTHER_RECORD_RE = re.compile(r"^[A-Za-z][\w ]*(Record|Info|record|info|Service)\b[^:=]*:")
_PAIR_RE = re.compile(r"(\w+)=(\S+)")
_SA_EXPECTED = "'MC Group 0xMLID : mgid=... mlid=...' or 'mcm_port: port_gid=... scope_state=...'"

_BLOCK_RE = re.compile(r"^MCMemberRecord (group |member )?dump:\s*$")
_FIELD_RE = re.compile(r"^\s+([A-Za-z_]+)\.{2,}(.*)$")
_SMINFO_RE = re.compile(r"^sminfo: sm lid (\d+) sm guid 0x([0-9A-Fa-f]{1,16}), activity count "
                        r"(\d+) priority (\d+) state (\d+) SMINFO_(\w+)\s*$")

# saquery key (lower case) -> GroupState.fields name
_SAQUERY_FIELDS = {"mtu": "mtu", "pkey": "pkey", "rate": "rate", "sl": "sl", "qkey": "qkey",
                   "tclass": "tclass", "flowlabel": "flow_label", "hoplimit": "hop_limit",
                   "pkt_life": "pkt_life", "pktlife": "pkt_life", "scope": "scope"}


def _gid_pair(reader: StateReader, text: str, idx: int, what: str) -> int:
    """``0xHIGH:0xLOW`` (two 64-bit halves) as one 128-bit GID."""
    hi, sep, lo = text.partition(":")
    if not sep:
        raise reader.error(f"{what} {text!r} is not 0xHIGH:0xLOW", idx, f"{what}=0x...:0x...")
    return (reader.number(hi, idx, what, limit=(1 << 64) - 1) << 64) | \
        reader.number(lo, idx, what, limit=(1 << 64) - 1)


def _pairs(reader: StateReader, text: str, idx: int, need: tuple[str, ...]) -> dict[str, str]:
    pairs = dict(_PAIR_RE.findall(text))
    missing = [k for k in need if k not in pairs]
    if missing:
        raise reader.error(f"{', '.join(missing)} missing", idx, _SA_EXPECTED)
    return pairs


def parse_sa_dump(reader: StateReader) -> None:
    """``opensm-sa.dump``: multicast groups and their member ports."""
    group: GroupState | None = None
    skipped = 0
    for idx, line in reader.body():
        text = line.strip()
        if m := _GROUP_RE.match(text):
            p = _pairs(reader, m[3], idx, ("mgid", "mlid"))
            mgid = _gid_pair(reader, p["mgid"], idx, "mgid")
            mlid = reader.multicast_lid(p["mlid"], idx)
            if mlid != reader.multicast_lid(m[1], idx):
                raise reader.error(f"MLID {m[1]} and mlid={p['mlid']} differ", idx,
                                   "the same MLID twice")
            group = GroupState(mlid, well_known=m[2] is not None)
            group.fields = _sa_fields(reader, p, idx)
            reader.state.groups[mgid] = group
        elif m := _MEMBER_RE.match(text):
            if group is None:
                raise reader.error("a member before its group", idx, "'MC Group 0xMLID : ...'")
            p = _pairs(reader, m[1], idx, ("port_gid", "scope_state"))
            gid = _gid_pair(reader, p["port_gid"], idx, "port_gid")
            group.members[gid] = reader.number(p["scope_state"], idx, "scope_state",
                                               limit=0xFF) & 0xF
            if reader.number(p.get("proxy_join", "0"), idx, "proxy_join", limit=0xFF):
                group.proxies.add(gid)
        elif _OTHER_RECORD_RE.match(text):
            group, skipped = None, skipped + 1
        else:
            raise reader.error(f"cannot read {text[:60]!r}", idx, _SA_EXPECTED)
    if skipped:
        reader.warn(f"{skipped} SA records other than multicast groups were skipped", None,
                    "skipped")


def _sa_fields(reader: StateReader, p: dict[str, str], idx: int) -> dict[str, int]:
    def num(key: str, limit: int) -> int:
        return reader.number(p.get(key, "0"), idx, key, limit=limit)

    sl_flow_hop, scope_state = num("sl_flow_hop", 0xFFFFFFFF), num("scope_state", 0xFF)
    return {"qkey": num("qkey", 0xFFFFFFFF), "mtu": num("mtu", 0xFF) & 0x3F,
            "tclass": num("tclass", 0xFF), "pkey": num("pkey", 0xFFFF),
            "rate": num("rate", 0xFF) & 0x3F, "pkt_life": num("pkt_life", 0xFF) & 0x3F,
            "sl": sl_flow_hop >> 28, "flow_label": (sl_flow_hop >> 8) & 0xFFFFF,
            "hop_limit": sl_flow_hop & 0xFF, "scope": scope_state >> 4}


def _parse_gid(reader: StateReader, text: str, idx: int, what: str) -> int:
    try:
        return int(ipaddress.IPv6Address(text.strip()))
    except ValueError:
        raise reader.error(f"{what} {text.strip()!r} is not a GID", idx,
                           f"a {what} in IPv6 notation (ff12:401b::1)") from None


def parse_saquery_mcmember(reader: StateReader) -> None:
    """``saquery -g``, ``saquery -m`` and ``saquery MCMR`` output."""
    blocks: list[tuple[int, dict[str, tuple[int, str]]]] = []
    for idx, line in reader.body():
        if _BLOCK_RE.match(line.strip()):
            blocks.append((idx, {}))
        elif m := _FIELD_RE.match(line):
            if not blocks:
                raise reader.error("a field before 'MCMemberRecord ... dump:'", idx,
                                   "'MCMemberRecord group dump:'")
            blocks[-1][1][m[1].lower()] = (idx, m[2].strip())
        else:
            raise reader.error(f"cannot read {line.strip()!r}", idx,
                               "'MCMemberRecord group dump:' or a '\\t\\tName......value' line")
    hidden = 0
    for start, fields in blocks:
        if "mgid" not in fields or "mlid" not in fields:
            raise reader.error("a record without MGID or Mlid", start,
                               "MGID.... and Mlid.... lines in every record")
        mgid = _parse_gid(reader, fields["mgid"][1], fields["mgid"][0], "MGID")
        mlid = reader.multicast_lid(fields["mlid"][1], fields["mlid"][0])
        group = reader.state.groups.get(mgid)
        if group is None or group.mlid != mlid:
            group = reader.state.groups[mgid] = GroupState(mlid, members_known=False)
        for key, name in _SAQUERY_FIELDS.items():
            if key in fields:
                at, value = fields[key]
                limit = 0xFFFFFFFF if name in ("qkey", "flow_label") else 0xFFFF
                number = reader.number(value, at, key, 0 if value.startswith("0x") else 10,
                                       limit)
                group.fields[name] = number & 0x3F if name in ("mtu", "rate", "pkt_life") \
                    else number
        if "portgid" in fields:
            at, value = fields["portgid"]
            gid = _parse_gid(reader, value, at, "PortGid")
            state = fields.get("scopestate", fields.get("joinstate", (at, "0")))
            join = reader.number(state[1], state[0], "ScopeState", 0, 0xFF) & 0xF
            if gid == 0:
                hidden += 1
                continue
            group.members[gid] = join
            group.members_known = True
            proxy = fields.get("proxyjoin")
            if proxy and reader.number(proxy[1], proxy[0], "ProxyJoin", 0, 0xFF):
                group.proxies.add(gid)
    if hidden:
        reader.warn(f"{hidden} member records hide their port GID (run saquery with --smkey "
                    "to see members)", None, "hidden-members")


def parse_sminfo(reader: StateReader) -> None:
    """``sminfo``: the master SM's LID, GUID, priority and state."""
    for idx, line in reader.body():
        m = _SMINFO_RE.match(line.strip())
        if m is None:
            raise reader.error(f"cannot read {line.strip()!r}", idx,
                               "'sminfo: sm lid N sm guid 0x..., activity count N priority N "
                               "state N SMINFO_STATE'")
        lid = reader.unicast_lid(m[1], idx, base=10)
        guid = reader.guid(m[2], idx)
        reader.state.sm = SmState(lid, guid, int(m[4]), m[6], int(m[3]))
        reader.state.set_lid(guid, lid, reader.state.lids.get(guid, (lid, 0))[1])
        return
    raise reader.error("empty sminfo output", 0, "'sminfo: sm lid N sm guid 0x...'")
