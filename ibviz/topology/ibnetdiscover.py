"""Reader for ``ibnetdiscover`` output and ibsim net files.

ibsim reads ibnetdiscover output as its net file format, so one grammar serves
both; the ``ibsim`` dialect also accepts what only ibsim knows (``Hca`` headers,
``include``/``do``/``module``/``width``/``speed``/``extspeed`` lines, ``w=``/``s=``/``e=``
port options, key lines applied net-wide as ibsim 0.10 applies them, and GUIDs assigned
by counters when a block has no GUID line). Port lines: :mod:`._ibnetdiscover_ports`.

Quirks of real files handled here (see ``tests/topology/test_ibnetdiscover_quirks.py``):
CRLF, UTF-8 BOM, shell prompts or stderr lines before the header, ``-g`` grouped
output, ibdiagnet-written files (port labels ``[1](1/1/1)``, zero-padded GUIDs,
repeated header), peers with LID 0, loopback and parallel cables, nodes only
referenced as peers, any port order, descriptions with ``#``, quotes, parentheses
and leading/trailing spaces, blocks separated by a line holding only spaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ibviz.core.fabric import Fabric
from ibviz.core.model import Node, NodeKind
from ibviz.topology import _ibsim_rules as ibsim
from ibviz.topology._ibnetdiscover_links import PEER_NAME_RE, resolve_links, set_cabled_states
from ibviz.topology._ibnetdiscover_ports import PortLines, _Half, _int
from ibviz.topology._text import read_lines, start_reading
from ibviz.topology.errors import TopologyError, TopologyWarning

_ATTR_RE = re.compile(
    r"^(vendid|devid|sysimgguid|switchguid|caguid|hcaguids|rtguid)\s*([=+])\s*"
    r"(0[xX][0-9A-Fa-f]+|\d+)(?:\(([0-9A-Fa-f]+)\))?\s*(?:#.*)?$")
_HEADER_RE = re.compile(r'^(Switch|Ca|Hca|Rt)\s+(\d+)\s+"([^"]*)"(.*)$')
_HEADER_COMMENT_RE = re.compile(
    r'^\s*"(.*)"\s*((?:enhanced|base)\s+port\s+0)?\s*(?:lid\s+(\d+))?\s*(?:lmc\s+(\d+))?'
    r'\s*(?:\(scp\))?\s*$')
_GROUPED_RE = re.compile(r"^(Non-Chassis Nodes|Chassis\s+\d+.*|Hostname:\s.*)$")
_STDERR_RE = re.compile(r"^(ibwarn|iberror|ibnetdiscover|ibdiag|src/[\w/.]+:\d+|[\w.]+\.c:\d+)[:;]")

_ATTR_BITS = {"vendid": 24, "devid": 16}
_GUID_KEYS = {"switchguid": NodeKind.SWITCH, "caguid": NodeKind.CA, "hcaguids": NodeKind.CA,
              "rtguid": NodeKind.ROUTER}
_KINDS = {"Switch": NodeKind.SWITCH, "Ca": NodeKind.CA, "Hca": NodeKind.CA, "Rt": NodeKind.ROUTER}


@dataclass
class _State:
    fabric: Fabric
    dialect: str
    names: dict[str, int] = field(default_factory=dict)
    where: dict[int, tuple[str, int]] = field(default_factory=dict)
    halves: list[_Half] = field(default_factory=list)
    counters: ibsim.GuidCounters = field(default_factory=ibsim.GuidCounters)
    link_defaults: ibsim.LinkDefaults = field(default_factory=ibsim.LinkDefaults)
    prefix: str = ""
    commands: list[str] = field(default_factory=list)
    name_guid_fixes: int = 0
    net_devid: int = 0
    root_file: str = ""
    includes: int = 0
    include_bytes: int = 0
    next_node_attrs: dict[str, tuple[int, int | None, str]] = field(default_factory=dict)
    node_masks: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    seen_content: bool = False
    depth: int = 0


class _BlockParser(PortLines):
    """Parses the lines of one file (includes recurse with a new parser, same state)."""

    def __init__(self, state: _State, lines: list[str], file: str,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.progress = progress
        self.st = state
        self.lines = lines
        self.file = file
        self.attrs: dict[str, tuple[int, int | None, str]] = {}
        self.node: Node | None = None
        self.preamble: list[int] = []

    def error(self, msg: str, line: int, column: int | None = None,
              expected: str | None = None) -> TopologyError:
        return TopologyError(msg, file=self.file, line=line, column=column, expected=expected)

    def warn(self, msg: str, line: int | None, kind: str) -> None:
        self.st.fabric.warnings.append(TopologyWarning(msg, self.file, line, kind))

    def run(self) -> None:
        total = len(self.lines)
        for idx, raw in enumerate(self.lines, 1):
            if self.progress is not None and idx & 4095 == 0:
                self.progress(idx, total)
            line = raw.rstrip()
            if not line.strip():
                self.node = None
                continue
            c = line[0]
            if c == "[":
                self._port(line, idx)
            elif c == "#":
                continue
            elif c == "@":
                raise self.error("ibsim port aliases ('@') are not supported", idx, 1,
                                 "a port line '[N] \"peer\"[M]'")
            else:
                self._other(line.strip(), idx)
        if self.preamble:
            first = self.preamble[0]
            self.warn(f"ignored {len(self.preamble)} line(s) before the topology "
                      f"(first: {self.lines[first - 1].strip()[:80]!r})", first, "preamble")

    # ---------------------------------------------------------------- lines
    def _other(self, line: str, idx: int) -> None:
        st = self.st
        m = _ATTR_RE.match(line)
        if m:
            st.seen_content = True
            self.node = None
            key, op, value, extra = m.groups()
            if op == "+" and (st.dialect != "ibsim" or key not in _GUID_KEYS):
                raise self.error(f"relative '{key}+' (ibsim net files only, and only for "
                                 "switchguid/caguid/hcaguids/rtguid)", idx, len(key) + 1,
                                 f"'{key}=VALUE'")
            try:
                number = ibsim.c_number(value)
            except ValueError:
                raise self.error(f"bad number {value[:40]!r} (a leading 0 means octal)", idx,
                                 line.index(value) + 1, "decimal, 0x-hex or 0-octal") from None
            bits = _ATTR_BITS.get(key, 64)
            if number >> bits or (extra and int(extra, 16) >> 64):
                raise self.error(f"{key} value {value[:40]} does not fit {bits} bits", idx,
                                 line.index(value) + 1, f"a {bits}-bit number")
            entry = (number, int(extra, 16) if extra else None, op)
            if st.dialect == "ibsim":
                self._ibsim_attr(key, entry)
            else:
                self.attrs[key] = entry
            return
        m = _HEADER_RE.match(line)
        if m:
            st.seen_content = True
            self._header(m, line, idx)
            return
        if st.dialect == "ibsim" and self._ibsim_directive(line, idx):
            st.seen_content = True
            return
        if _GROUPED_RE.match(line):
            self.node = None
            return
        if re.match(r"^(Switch|Ca|Rt|Hca)\s+\d", line):
            raise self.error("malformed node header", idx, 1,
                             'Switch|Ca|Rt N "name" # "description" ...')
        if _STDERR_RE.match(line):
            self.warn(f"ignored a tool message: {line[:100]!r}", idx, "tool-message")
            return
        if not st.seen_content:
            self.preamble.append(idx)
            return
        word = line.split()[0]
        if st.dialect != "ibsim" and word in ("include", "do", "module", "width", "speed",
                                              "Hca"):
            raise self.error(f"'{word}' is ibsim net syntax, not ibnetdiscover output", idx, 1,
                             "a node block; load the file with --format ibsim")
        raise self.error(f"unrecognised line {line[:60]!r}", idx, 1,
                         "a node header (Switch/Ca/Rt N \"name\"), a port line [N] \"peer\"[M], "
                         "a key=value line (vendid, devid, sysimgguid, switchguid, caguid, "
                         "rtguid) or a blank line")

    def _ibsim_attr(self, key: str, entry: tuple[int, int | None, str]) -> None:
        """ibsim (sim_net.c) applies a key line at once, net-wide: a GUID base moves that
        kind's counter until the next such line; devid= holds for every later node;
        vendid= and sysimgguid= only for the next node (of any kind)."""
        st = self.st
        kind = _GUID_KEYS.get(key)
        if kind is not None:
            st.counters.set_base(kind, entry[0], relative=(entry[2] == "+"))
        elif key == "devid":
            st.net_devid = entry[0]
        else:
            st.next_node_attrs[key] = entry

    def _ibsim_directive(self, line: str, idx: int) -> bool:
        st = self.st
        word = line.split()[0]
        if word == "include" or line.startswith("include"):
            m = re.match(r'^include\s*"([^"]+)"', line)
            if not m:
                raise self.error("bad include line", idx, 1, 'include "FILE"')
            self._include(m.group(1), idx)
            return True
        if line.startswith("do"):
            st.commands.append(line[2:].strip())
            self.warn(f"ibsim console command kept but not applied to the model: "
                      f"{line[2:].strip()!r}", idx, "ibsim-do")
            return True
        if line.startswith("module"):
            m = re.match(r'^module\s*=\s*"([^"]*)"', line)
            if not m:
                raise self.error("bad module line", idx, 1, 'module = "PREFIX"')
            st.prefix = m.group(1)
            return True
        for key in ("width", "speed", "extspeed"):
            if line.startswith(key):
                m = re.match(rf"^{key}\s*=\s*(0[xX][0-9A-Fa-f]+|\d+)\s*$", line)
                if not m:
                    raise self.error(f"bad {key} line", idx, 1, f"{key}=N")
                try:
                    st.link_defaults.set(key, ibsim.c_number(m.group(1)))
                except ValueError as exc:
                    raise self.error(str(exc), idx, len(key) + 2) from None
                return True
        return line.startswith("pdebug")

    def _include(self, name: str, idx: int) -> None:
        st = self.st
        if st.depth >= ibsim.MAX_INCLUDE_DEPTH:
            raise self.error(f"includes nested deeper than {ibsim.MAX_INCLUDE_DEPTH}", idx)
        path = ibsim.include_path(name, Path(self.file).parent, Path(st.root_file).parent)
        if isinstance(path, str):
            raise self.error(f"include {name!r}: {path}", idx, 1, ibsim.INCLUDE_EXPECTED)
        st.includes += 1
        st.include_bytes += path.stat().st_size
        if st.includes > ibsim.MAX_INCLUDES or st.include_bytes > ibsim.MAX_INCLUDE_BYTES:
            raise self.error(f"include {name!r}: more than {ibsim.MAX_INCLUDES} includes or "
                             f"{ibsim.MAX_INCLUDE_BYTES >> 20} MiB included in all", idx, 1,
                             "a net file that includes fewer, smaller files")
        st.depth += 1
        try:
            _BlockParser(st, read_lines(path, st.fabric.warnings), str(path)).run()
        finally:
            st.depth -= 1

    def _header(self, m: re.Match[str], line: str, idx: int) -> None:
        st = self.st
        word, nports_s, name, rest = m.groups()
        if word == "Hca" and st.dialect != "ibsim":
            raise self.error("'Hca' headers are ibsim net syntax", idx, 1,
                             "'Ca'; load the file with --format ibsim")
        kind = _KINDS[word]
        nports = int(nports_s)
        if not 1 <= nports <= 255:
            raise self.error(f"{nports} ports", idx, len(word) + 2, "1-255 ports")
        desc, esp0, lid, lmc = self._header_comment(rest, name, idx, line)
        if lid is not None:
            self._lid(str(lid), idx, line)
        if lmc is not None:
            self._lmc(str(lmc), idx, line)
        name = self._qualify(name)
        if name in st.names:
            f, ln = st.where[st.names[name]]
            raise self.error(f"node {name!r} is declared twice (first at {f}:{ln})", idx)
        guid, port0_guid = self._take_guid(kind, nports, idx)
        named = PEER_NAME_RE.match(name)
        if named and st.dialect != "ibsim" and int(named.group(2), 16) != guid:
            # ibdiagnet writes switchguid=<system GUID>(<node GUID>) for chassis ASICs;
            # ibnetdiscover's node name always carries the node GUID.
            guid = int(named.group(2), 16)
            st.name_guid_fixes += 1
        if guid in st.fabric.nodes:
            f, ln = st.where[guid]
            raise self.error(f"GUID {guid:#018x} of {name!r} is already used by "
                             f"{st.fabric.nodes[guid].name!r} ({f}:{ln})", idx)
        node = Node(guid, kind, nports, desc, name=name)
        if st.dialect == "ibsim":
            a, st.next_node_attrs = st.next_node_attrs, {}
            st.node_masks[guid] = st.link_defaults.masks()
        else:
            a = self.attrs
        node.vendor_id = a["vendid"][0] if "vendid" in a else 0
        node.device_id = a["devid"][0] if "devid" in a else st.net_devid
        node.system_guid = a["sysimgguid"][0] if "sysimgguid" in a else 0
        if st.dialect == "ibsim" and not node.system_guid:
            node.system_guid = guid
        if kind is NodeKind.SWITCH:
            # ibsim presents a base port 0 unless the header says "enhanced port 0"
            node.enhanced_port0 = False if esp0 is None and st.dialect == "ibsim" else esp0
            p0 = node.ports[0]
            p0.guid = port0_guid or guid
            p0.lid, p0.lmc = lid or 0, lmc or 0
        self.attrs = {}
        st.fabric.add_node(node)
        st.names[name] = guid
        st.where[guid] = (self.file, idx)
        self.node = node

    def _header_comment(self, rest: str, name: str, idx: int, line: str
                        ) -> tuple[str, bool | None, int | None, int | None]:
        text = rest.strip()
        if not text:
            return name, None, None, None
        if text[0] != "#":
            raise self.error("text after the node name", idx, line.index(rest) + 1,
                             "'# \"description\" ...' or the end of the line")
        body = text[1:]
        m = _HEADER_COMMENT_RE.match(body)
        if m:
            desc, esp0, lid, lmc = m.groups()
            flag = None if esp0 is None else esp0.startswith("enhanced")
            return desc, flag, _int(lid), _int(lmc)
        # ibsim accepts an unquoted description ending at " enhanced port"/" lid"/...
        desc = re.split(r"\s(?:enhanced port|base port|lid|lmc)\s", " " + body.strip() + " ")[0]
        tail = body[len(desc) + 1:] if desc else body
        lid_m = re.search(r"\blid\s+(\d+)", tail)
        lmc_m = re.search(r"\blmc\s+(\d+)", tail)
        flag = True if "enhanced port 0" in tail else False if "base port 0" in tail else None
        return (desc.strip(), flag, _int(lid_m.group(1)) if lid_m else None,
                _int(lmc_m.group(1)) if lmc_m else None)

    def _qualify(self, name: str) -> str:
        p = self.st.prefix
        return f"{p}#{name}" if p and "#" not in name else name

    def _take_guid(self, kind: NodeKind, nports: int, idx: int) -> tuple[int, int | None]:
        key = {NodeKind.SWITCH: "switchguid", NodeKind.CA: "caguid",
               NodeKind.ROUTER: "rtguid"}[kind]
        entry = self.attrs.get(key) or (self.attrs.get("hcaguids") if kind is NodeKind.CA
                                        else None)
        if entry is not None:
            value, extra, op = entry
            self.st.counters.set_base(kind, value, relative=(op == "+"))
        guid = self.st.counters.take(kind, nports)
        if guid == 0:
            raise self.error("node GUID 0 is invalid", idx)
        if (guid + nports) >> 64:
            raise self.error(f"node GUID {guid:#x} (and its port GUIDs) does not fit 64 bits",
                             idx, None, "a switchguid=/caguid=/rtguid= below 2^64")
        return guid, entry[1] if entry else None

def parse_ibnetdiscover(path: str | Path, dialect: str = "ibnetdiscover",
                        lines: list[str] | None = None,
                        progress: Callable[[int, int], None] | None = None) -> Fabric:
    """Read an ibnetdiscover topology (``dialect="ibnetdiscover"``) or an ibsim net file.

    Raises
    ------
    TopologyError
        On input that is not of this format, naming file, line and column.
    """
    fabric, lines, file = start_reading(path, dialect, lines)
    st = _State(fabric, dialect, root_file=file)
    try:
        _BlockParser(st, lines, file, progress).run()
    except TopologyError as exc:
        if exc.file == file:
            raise
        raise TopologyError(f"{exc.message} (in {exc.file}:{exc.line}, included by this file)",
                            file=file, expected=exc.expected) from exc
    if progress is not None:
        progress(len(lines), len(lines))
    if not fabric.nodes:
        raise TopologyError("no node blocks found", file=file, line=len(lines) or None,
                            expected="at least one Switch, Ca or Rt block")
    resolve_links(st, file)
    if st.name_guid_fixes:
        fabric.warnings.append(TopologyWarning(
            f"{st.name_guid_fixes} switch block(s) give a switchguid= that differs from the GUID "
            "in the node name (ibdiagnet writes the chassis system GUID there); used the name's "
            "GUID as node GUID", file, None, "switchguid-mismatch"))
    fabric.sim_commands = st.commands
    return fabric


__all__ = ["parse_ibnetdiscover", "set_cabled_states"]
