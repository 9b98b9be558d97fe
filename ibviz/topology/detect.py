"""Recognise what kind of InfiniBand file a text is.

Looks at the first meaningful lines (after a BOM, blank lines, ``#`` comments, a
shell prompt or tool messages, and a Markdown ``> `` quote) and returns the format
name with the line that decided it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ibviz.topology._text import strip_markdown_quote

# (format, pattern): first match wins, so specific patterns come first.
_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("json", re.compile(r"^\s*\{\s*(\"|$)")),
    ("opensm-subnet-lst", re.compile(r"^\{ (SW|CA|Rt|RT|\*\*)(-SM)? Ports:[0-9A-Fa-f]+ ")),
    ("ibnetdiscover-ports", re.compile(
        r"^(CA|SW|RT|\?\?)\s+\d+\s+\d+\s+0x[0-9A-Fa-f]{1,16}\s+\d+x\s")),
    ("ibdiagnet-csv", re.compile(r"^START_[A-Z_0-9]+\s*$")),
    ("ibsim", re.compile(r'^(include\s*"|do\s|module\s*=|Hca\s+\d+\s+")')),
    ("ibnetdiscover", re.compile(
        r'^(vendid|devid|sysimgguid|switchguid|caguid|rtguid)=|^(Switch|Ca|Rt)\s+\d+\s+"'
        r"|^Non-Chassis Nodes$|^Chassis \d+")),
    ("iblinkinfo", re.compile(r"^(CA|Switch|Router): (0x[0-9a-fA-F]+ )?.*:\s*$")),
    ("opensm-fdbs", re.compile(r"^(\w+_)?dump_ucast_routes: Switch 0x[0-9a-fA-F]+|"
                               r"^LID\s+: Port : Hops : Optimal")),
    ("opensm-mcfdbs", re.compile(r"^LID\s+: Out Port\(s\)")),
    ("ibroute", re.compile(r"^Unicast lids \[0x?[0-9a-fA-F]+-0x?[0-9a-fA-F]+\] of switch")),
    ("ibroute-mcast", re.compile(r"^Multicast mlids \[0x[0-9a-fA-F]+-0x[0-9a-fA-F]+\] of switch")),
    ("saquery-mcmember", re.compile(r"^MCMemberRecord (group|member) dump:")),
    ("saquery", re.compile(r"^\w+Record dump:")),
    ("opensm-sa-dump", re.compile(r"^MC Group 0x[0-9a-fA-F]+ :|^mcm_port: ")),
    ("guid2lid", re.compile(r"^0x[0-9a-fA-F]{16} 0x[0-9a-fA-F]{4} 0x[0-9a-fA-F]{4}\s*$")),
]

_SWITCH_SECTION = re.compile(r"^Switch 0x[0-9a-fA-F]+\s*$")

TOPOLOGY_FORMATS = ("ibnetdiscover", "ibsim", "ibnetdiscover-ports", "opensm-subnet-lst",
                    "iblinkinfo", "ibdiagnet-csv", "json")
"""Formats ibviz reads as a fabric topology."""

STATE_FORMATS = {
    "opensm-fdbs": ("an OpenSM unicast routing dump (opensm.fdbs: LID -> port, hops)",
                    "ibviz reads forwarding tables as fabric state in the live-backend version"),
    "opensm-mcfdbs": ("an OpenSM multicast forwarding dump (opensm.mcfdbs: MLID -> ports)",
                      "ibviz reads forwarding tables as fabric state in the live-backend version"),
    "ibroute": ("ibroute output (one switch's unicast LFT)",
                "ibviz reads forwarding tables as fabric state in the live-backend version"),
    "ibroute-mcast": ("ibroute -M output (one switch's multicast forwarding table)",
                      "ibviz reads forwarding tables as fabric state in the live-backend version"),
    "saquery-mcmember": ("saquery MCMemberRecord output (multicast groups)",
                         "ibviz reads multicast groups as SA state in the live-backend version"),
    "saquery": ("saquery output (SA records)",
                "ibviz reads SA records as fabric state in the live-backend version"),
    "opensm-sa-dump": ("an OpenSM SA database dump (opensm-sa.dump)",
                       "ibviz reads it as SA state in the live-backend version"),
    "guid2lid": ("an OpenSM guid2lid cache (port GUID -> LID range)",
                 "the subnet manager loads it with its guid2lid option"),
}


@dataclass(frozen=True)
class Detection:
    format: str
    line: int
    """1-based line number of the line that decided."""


_PROMPT = re.compile(r"^\[?[\w.-]+@[\w.-]+[^\]]*\]?[#$]\s")


_IBSIM_ONLY = re.compile(r'^(Hca\s|include\s*"|do\s|module\s*=|width\s*=|speed\s*=|'
                         r'hcaguids|(switchguid|caguid|rtguid)\s*\+|\[.*\]\s+[wse]=\d)', re.M)
_GUID_LINE = re.compile(r"^(switchguid|caguid|rtguid)=", re.M)


def detect_format(lines: list[str], max_lines: int = 400) -> Detection | None:
    """The format of a file's lines, or None when nothing matched.

    ibnetdiscover output and ibsim net files share a grammar; a file is taken as
    ibsim when it uses ibsim-only lines or gives no node GUIDs at all.
    """
    found = _detect_first(lines, max_lines)
    if found is not None and found.format == "ibnetdiscover":
        text = "\n".join(lines)
        if _IBSIM_ONLY.search(text) or not _GUID_LINE.search(text):
            return Detection("ibsim", found.line)
    return found


def _detect_first(lines: list[str], max_lines: int) -> Detection | None:
    body = strip_markdown_quote(lines[: max_lines * 4])
    seen = 0
    for idx, raw in enumerate(body, 1):
        line = raw.strip("\ufeff").rstrip()
        if not line.strip() or line.startswith("#") or _PROMPT.match(line):
            continue
        seen += 1
        if seen > max_lines:
            break
        if _SWITCH_SECTION.match(line):
            nxt = next((ln for ln in body[idx: idx + 3] if ln.strip()), "")
            if nxt.startswith("LID") and "Out Port" in nxt:
                return Detection("opensm-mcfdbs", idx)
            continue
        for fmt, pattern in _RULES:
            if pattern.search(line):
                return Detection(fmt, idx)
    return None
