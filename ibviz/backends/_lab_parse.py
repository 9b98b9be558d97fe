"""Parsers for the state files OpenSM 3.3.23 writes in the lab's dump directory.

Each parser checks that its file is complete as far as the format allows and raises
:class:`DumpIncomplete` otherwise, so a file caught half-written is re-read, never applied:

* ``opensm-lfts.dump``: per switch a header, one line per routed LID and ``N lids dumped``;
* ``opensm-sa.dump``: ``MC Group`` lines, each followed by its ``mcm_port`` lines (OpenSM
  writes it to a temporary file and renames it, so it is never seen half-written);
* ``opensm-subnet.lst``: one line per port of every link OpenSM reached, ``PHY= LOG=`` last.

``opensm.mcfdbs`` and ``guid2lid`` are read with :func:`ibviz.backends.opensm_process.
parse_mcfdbs` / :func:`~ibviz.backends.opensm_process.parse_guid2lid`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ibviz.core.model import NO_PATH, PortRef, PortState
from ibviz.core.sm.groups import McGroup, Membership

__all__ = ["DumpIncomplete", "SubnetList", "parse_lfts_dump", "parse_sa_dump",
           "parse_subnet_lst"]


_LFT_HEADER_RE = re.compile(r"(\d+)-(\d+)\] of switch Lid \d+ guid 0x([0-9A-Fa-f]{16})")
_LFT_ENTRY_RE = re.compile(r"^0x([0-9A-Fa-f]{4} \d{3})", re.M)
_HEX_WEIGHTS = np.array([4096, 256, 16, 1])
_DEC_WEIGHTS = np.array([100, 10, 1])
_LFT_COUNT_RE = re.compile(r"\n(\d+) lids dumped\n")

_GROUP_RE = re.compile(
    r"^MC Group 0x(?P<mlid>[0-9a-fA-F]+)(?P<wk> +\(well known\))? *: "
    r"mgid=0x(?P<mgid_hi>[0-9a-fA-F]{16}):0x(?P<mgid_lo>[0-9a-fA-F]{16}) .*?"
    r"qkey=0x(?P<qkey>[0-9a-fA-F]+) mlid=0x[0-9a-fA-F]+ mtu=0x(?P<mtu>[0-9a-fA-F]+) "
    r"tclass=0x(?P<tclass>[0-9a-fA-F]+) pkey=0x(?P<pkey>[0-9a-fA-F]+) "
    r"rate=0x(?P<rate>[0-9a-fA-F]+) pkt_life=0x(?P<life>[0-9a-fA-F]+) "
    r"sl_flow_hop=0x(?P<sfh>[0-9a-fA-F]+) scope_state=0x(?P<ss>[0-9a-fA-F]+)")
_MEMBER_RE = re.compile(
    r"^mcm_port: port_gid=0x[0-9a-fA-F]{16}:0x(?P<guid>[0-9a-fA-F]{16}) "
    r"scope_state=0x(?P<ss>[0-9a-fA-F]+) proxy_join=0x(?P<proxy>[0-9a-fA-F]+)")


def _end_re(tag: str) -> str:
    """One ``{ ... }`` port description of a subnet.lst line, its groups prefixed ``tag``."""
    return (r"\{ (?:SW|CA|Rt)\S* Ports:\S+ SystemGUID:\S+ NodeGUID:(?P<" + tag
            + r"guid>[0-9a-fA-F]{16}) PortGUID:\S+ VenID:\S+ DevID:\S+ Rev:\S+ \{.*?\} LID:(?P<"
            + tag + r"lid>[0-9a-fA-F]+) PN:(?P<" + tag + r"pn>[0-9a-fA-F]+) \}")


_LINK_RE = re.compile("^" + _end_re("a") + " " + _end_re("b") + r" PHY=\S+ LOG=(?P<log>[A-Z]+)")
_STATES = {"ACT": PortState.ACTIVE, "ARM": PortState.ARMED, "INI": PortState.INIT}


class DumpIncomplete(ValueError):
    """The file does not hold a whole dump (caught while OpenSM rewrote it)."""


def parse_lfts_dump(text: str) -> dict[int, np.ndarray]:
    """``opensm-lfts.dump`` as {switch GUID: uint8 out port per LID (255: no path)}.

    Raises
    ------
    DumpIncomplete
        A switch's block does not end with ``N lids dumped`` matching its entries.
    """
    chunks = text.split("Unicast lids [")
    if chunks[0].strip():
        raise DumpIncomplete("opensm-lfts.dump does not start with a switch header")
    tables: dict[int, np.ndarray] = {}
    for chunk in chunks[1:]:
        head = _LFT_HEADER_RE.match(chunk)
        count = _LFT_COUNT_RE.search(chunk, max(0, len(chunk) - 40))
        if head is None:
            raise DumpIncomplete(f"unreadable switch header in opensm-lfts.dump: "
                                 f"{chunk[:80]!r}")
        low, top, guid = int(head.group(1)), int(head.group(2)), int(head.group(3), 16)
        entries = _LFT_ENTRY_RE.findall(chunk)
        # OpenSM prints "<top - low> lids dumped" after the routed LIDs of [low, top]
        if count is None or int(count.group(1)) != top - low or len(entries) > top - low + 1:
            raise DumpIncomplete(f"LFT block of switch {guid:#018x} is incomplete")
        lids, ports = _decode_entries(entries)
        if len(lids) and (lids.min() < low or lids.max() > top):
            raise DumpIncomplete(f"LFT block of switch {guid:#018x} has LIDs outside "
                                 f"[{low}-{top}]")
        table = np.full(top + 1, NO_PATH, np.uint8)
        table[lids] = ports
        tables[guid] = table
    return tables


def _decode_entries(entries: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """LIDs and ports of ``"LLLL PPP"`` strings (hex LID, decimal port), vectorised."""
    if not entries:
        return np.zeros(0, np.int64), np.zeros(0, np.uint8)
    chars = np.frombuffer("".join(entries).encode("ascii"), np.uint8).reshape(-1, 8)
    digits = chars.astype(np.int64)
    hexa = digits[:, :4]
    hexa = np.where(hexa >= 97, hexa - 87, np.where(hexa >= 65, hexa - 55, hexa - 48))
    return hexa @ _HEX_WEIGHTS, ((digits[:, 5:8] - 48) @ _DEC_WEIGHTS).astype(np.uint8)


def parse_sa_dump(text: str, port_of: dict[int, PortRef]) -> dict[int, McGroup]:
    """``opensm-sa.dump``'s multicast groups as {MGID: McGroup}.

    Parameters
    ----------
    text : str
        The file.
    port_of : dict
        Port GUID -> port (members on ports not in the fabric are skipped).
    """
    groups: dict[int, McGroup] = {}
    current: McGroup | None = None
    for line in text.splitlines():
        if line.startswith("MC Group"):
            m = _GROUP_RE.match(line)
            if m is None:
                raise DumpIncomplete(f"unreadable group line in opensm-sa.dump: {line[:80]!r}")
            current = _group(m)
            groups[current.mgid] = current
        elif line.startswith("mcm_port:"):
            m = _MEMBER_RE.match(line)
            if m is None or current is None:
                raise DumpIncomplete(f"member line outside a group: {line[:80]!r}")
            port = port_of.get(int(m.group("guid"), 16))
            if port is not None:
                current.members[port] = Membership(port, int(m.group("ss"), 16) & 0xF,
                                                   int(m.group("proxy"), 16) != 0, port)
    return groups


def _group(m: re.Match[str]) -> McGroup:
    h = {k: int(v, 16) for k, v in m.groupdict().items() if k != "wk" and v is not None}
    mgid = h["mgid_hi"] << 64 | h["mgid_lo"]
    return McGroup(mgid, h["mlid"], qkey=h["qkey"], pkey=h["pkey"], tclass=h["tclass"],
                   sl=h["sfh"] >> 28, flow_label=(h["sfh"] >> 8) & 0xFFFFF,
                   hop_limit=h["sfh"] & 0xFF, mtu=h["mtu"] & 0x3F, rate=h["rate"] & 0x3F,
                   pkt_life=h["life"] & 0x3F, scope=h["ss"] >> 4,
                   well_known=m.group("wk") is not None,
                   name="ipoib-broadcast" if m.group("wk") else "")


@dataclass
class SubnetList:
    """What ``opensm-subnet.lst`` says: the nodes OpenSM reached and each port's state."""

    nodes: set[int] = field(default_factory=set)
    ports: dict[PortRef, PortState] = field(default_factory=dict)
    lids: dict[PortRef, int] = field(default_factory=dict)


def parse_subnet_lst(text: str) -> SubnetList:
    """``opensm-subnet.lst`` (one line per port of every link OpenSM reached).

    Raises
    ------
    DumpIncomplete
        A line is cut off or unreadable.
    """
    out = SubnetList()
    if text and not text.endswith("\n"):
        raise DumpIncomplete("opensm-subnet.lst ends in the middle of a line")
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _LINK_RE.match(line)
        if m is None:
            raise DumpIncomplete(f"unreadable line in opensm-subnet.lst: {line[:80]!r}")
        state = _STATES.get(m.group("log")[:3], PortState.DOWN)
        for end in "ab":
            guid = int(m.group(f"{end}guid"), 16)
            ref = PortRef(guid, int(m.group(f"{end}pn"), 16))
            out.nodes.add(guid)
            out.ports[ref] = state
            out.lids[ref] = int(m.group(f"{end}lid"), 16)
    return out
