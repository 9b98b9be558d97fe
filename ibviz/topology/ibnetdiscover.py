"""Reader for ``ibnetdiscover`` output and ibsim net files.

ibsim reads ibnetdiscover output as its net file format, so one grammar serves
both; the ``ibsim`` dialect also accepts what only ibsim knows (``Hca`` headers,
``include``/``do``/``module``/``width``/``speed`` lines, ``w=``/``s=`` port options
and GUIDs assigned by counters when a block has no GUID line).

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
from ibviz.core.model import Node, NodeKind, PortRef
from ibviz.core.phy import LinkSpeed, LinkWidth, parse_width_speed
from ibviz.topology import _ibsim_rules as ibsim
from ibviz.topology._ibnetdiscover_links import PEER_NAME_RE, resolve_links, set_cabled_states
from ibviz.topology._text import read_lines, start_reading
from ibviz.topology.errors import TopologyError, TopologyWarning

_ATTR_RE = re.compile(
    r"^(vendid|devid|sysimgguid|switchguid|caguid|hcaguids|rtguid)\s*([=+])\s*"
    r"(0[xX][0-9A-Fa-f]+|\d+)(?:\(([0-9A-Fa-f]+)\))?\s*(?:#.*)?$")
_HEADER_RE = re.compile(r'^(Switch|Ca|Hca|Rt)\s+(\d+)\s+"([^"]*)"(.*)$')
_PORT_RE = re.compile(
    r'^\[(\d+)\](?:\[ext \d+\])?(?:\(([^)]*)\))?(?:\(([0-9A-Fa-f]+)\))?\s*"([^"]*)"'
    r'\[(\d+)\](?:\[ext \d+\])?\s*(?:\(([0-9A-Fa-f]+)\))?(.*)$')
_HEADER_COMMENT_RE = re.compile(
    r'^\s*"(.*)"\s*((?:enhanced|base)\s+port\s+0)?\s*(?:lid\s+(\d+))?\s*(?:lmc\s+(\d+))?'
    r'\s*(?:\(scp\))?\s*$')
_EXTRA = r"(?:\s+[swv]=\d+|\s+slot\s+\d+|\s+\(scp\))*\s*$"  # ibnetdiscover -f / Xsigo extras
_SW_PORT_COMMENT_RE = re.compile(
    r'^\s*"(.*)"\s+lid\s+(\d+)(?:\s+(\d+x[A-Za-z?]+\d*))?' + _EXTRA)
_CA_PORT_COMMENT_RE = re.compile(
    r'^\s*lid\s+(\d+)\s+lmc\s+(\d+)(?:\s+"(.*)"\s+lid\s+(\d+)(?:\s+(\d+x[A-Za-z?]+\d*))?)?'
    + _EXTRA)
# One-regex fast paths for the port lines real ibnetdiscover prints (no labels, no options).
_FAST_SW_PORT_RE = re.compile(
    r'^\[(\d+)\]\s*"([^"]*)"\[(\d+)\](?:\(([0-9A-Fa-f]+)\))?\s*#\s*"(.*)"\s+lid\s+(\d+)'
    r'\s+(\d+x[A-Za-z]+\d*)\s*$')
_FAST_CA_PORT_RE = re.compile(
    r'^\[(\d+)\]\(([0-9A-Fa-f]+)\)\s*"([^"]*)"\[(\d+)\](?:\s*\(([0-9A-Fa-f]+)\))?\s*#\s*'
    r'lid\s+(\d+)\s+lmc\s+(\d+)\s+"(.*)"\s+lid\s+(\d+)\s+(\d+x[A-Za-z]+\d*)\s*$')
_OPTION_RE = re.compile(r"([wse])\s*=\s*(0[xX][0-9A-Fa-f]+|\d+)")
_GROUPED_RE = re.compile(r"^(Non-Chassis Nodes|Chassis\s+\d+.*|Hostname:\s.*)$")
_STDERR_RE = re.compile(r"^(ibwarn|iberror|ibnetdiscover|ibdiag|src/[\w/.]+:\d+|[\w.]+\.c:\d+)[:;]")

_ATTR_BITS = {"vendid": 24, "devid": 16}
_GUID_KEYS = {"switchguid": NodeKind.SWITCH, "caguid": NodeKind.CA, "hcaguids": NodeKind.CA,
              "rtguid": NodeKind.ROUTER}
_KINDS = {"Switch": NodeKind.SWITCH, "Ca": NodeKind.CA, "Hca": NodeKind.CA, "Rt": NodeKind.ROUTER}


@dataclass(slots=True)
class _Half:
    """One port line: a cable seen from one end."""

    local: PortRef
    peer_name: str
    peer_port: int
    peer_port_guid: int | None
    peer_desc: str | None
    peer_lid: int | None
    width: LinkWidth | None
    speed: LinkSpeed | None
    options: dict[str, int]
    file: str
    line: int


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


class _BlockParser:
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
            if op == "+" and (st.dialect != "ibsim" or not key.endswith(("guid", "guids"))):
                raise self.error(f"relative '{key}+' is ibsim syntax", idx, len(key) + 1,
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

    def _port(self, line: str, idx: int) -> None:
        node = self.node
        if node is not None and self._fast_port(node, line, idx):
            return
        if node is None and not self.st.seen_content and not _PORT_RE.match(line):
            self.preamble.append(idx)  # e.g. a shell prompt "[root@host dir]# ibnetdiscover"
            return
        if node is None:
            raise self.error("port line outside a node block", idx, 1,
                             "a node header line (Switch/Ca/Rt) before the port lines")
        m = _PORT_RE.match(line)
        if not m:
            raise self.error(f"malformed port line {line[:60]!r}", idx, 1,
                             '[PORT](GUID-or-label) "PEER"[PEERPORT](PEERGUID) # ...')
        num_s, local_paren, label_guid, peer_name, peer_port_s, peer_guid_s, rest = m.groups()
        port_label = None
        if label_guid:  # ibdiagnet CA ports: [1](label)(port GUID)
            port_label, local_paren = local_paren, label_guid
        num, peer_port = int(num_s), int(peer_port_s)
        if num < 1 or num > 255:
            raise self.error(f"port {num} out of range", idx, 2, "a port number 1-255")
        if peer_port > 255:
            raise self.error(f"peer port {peer_port_s[:20]} out of range", idx,
                             line.find(f"[{peer_port_s}]") + 2, "a port number 0-255")
        for text in (local_paren if node.kind is not NodeKind.SWITCH else None, label_guid,
                     peer_guid_s):
            if text and all(c in "0123456789abcdefABCDEF" for c in text) and len(
                    text.lstrip("0")) > 16:
                raise self.error(f"GUID {text[:40]} does not fit 64 bits", idx,
                                 line.find(text) + 1, "a 64-bit GUID")
        if num > node.num_ports:
            raise self.error(f"port {num}, but {node.name} declares {node.num_ports} ports",
                             idx, 2, f"a port number 1-{node.num_ports}")
        port = node.ensure_port(num)
        if port_label:
            port.label = port_label
        if local_paren:
            if node.kind is NodeKind.SWITCH:
                port.label = local_paren
            else:
                try:
                    port.guid = int(local_paren, 16)
                except ValueError:
                    raise self.error(f"bad port GUID {local_paren!r}", idx, len(num_s) + 4,
                                     "hexadecimal port GUID") from None
        elif node.kind is not NodeKind.SWITCH and self.st.dialect == "ibsim":
            port.guid = node.guid + num
        options, comment = self._split_rest(rest, idx, line)
        peer_desc = peer_lid = None
        width = speed = None
        if comment is not None:
            if node.kind is NodeKind.SWITCH:
                cm = _SW_PORT_COMMENT_RE.match(comment)
                if cm:
                    peer_desc, lid_s, ws = cm.groups()
                    peer_lid = self._lid(lid_s, idx, line)
            else:
                cm = _CA_PORT_COMMENT_RE.match(comment)
                if cm:
                    lid_s, lmc_s, peer_desc, plid_s, ws = cm.groups()
                    port.lid, port.lmc = self._lid(lid_s, idx, line), self._lmc(lmc_s, idx, line)
                    peer_lid = None if plid_s is None else self._lid(plid_s, idx, line)
            if cm is None:
                if self.st.dialect != "ibsim":
                    expected = ('# "DESC" lid N 4xSPEED' if node.kind is NodeKind.SWITCH
                                else '# lid N lmc M "DESC" lid N 4xSPEED')
                    raise self.error(f"unrecognised port comment {comment.strip()[:60]!r}",
                                     idx, line.index("#") + 1, expected)
                ws = None
                lid_m = re.search(r"\blid\s+(\d+)", comment)
                lmc_m = re.search(r"\blmc\s+(\d+)", comment)
                if lid_m and node.kind is not NodeKind.SWITCH:
                    port.lid = self._lid(lid_m.group(1), idx, line)
                    port.lmc = self._lmc(lmc_m.group(1), idx, line) if lmc_m else 0
            if ws and "?" in ws:  # ibnetdiscover prints ??/??? for values it cannot name
                head = ws.split("x", 1)[0]
                try:
                    width = LinkWidth.parse(head) if head.isdigit() else None
                except ValueError:
                    raise self.error(f"bad link width {ws!r}", idx, line.rindex(ws) + 1,
                                     "1x, 2x, 4x, 8x, 12x or ??") from None
                self.warn(f"link speed printed as {ws!r} (unknown to the tool that wrote the "
                          "file); kept as unknown", idx, "unknown-speed")
            elif ws:
                try:
                    width, speed = parse_width_speed(ws)
                except ValueError as exc:
                    raise self.error(str(exc), idx, line.rindex(ws) + 1,
                                     "a width and speed such as 4xHDR") from None
        self.st.halves.append(_Half(
            PortRef(node.guid, num), self._qualify(peer_name), peer_port,
            int(peer_guid_s, 16) if peer_guid_s else None, peer_desc, peer_lid,
            width, speed, options, self.file, idx))

    def _fast_port(self, node: Node, line: str, idx: int) -> bool:
        """Handle a plain ibnetdiscover port line with one regex; False to take the slow path."""
        if node.kind is NodeKind.SWITCH:
            m = _FAST_SW_PORT_RE.match(line)
            if m is None:
                return False
            num_s, peer_name, peer_port_s, peer_guid_s, peer_desc, lid_s, ws = m.groups()
            lid_lmc = None
        else:
            m = _FAST_CA_PORT_RE.match(line)
            if m is None:
                return False
            (num_s, guid_s, peer_name, peer_port_s, peer_guid_s, lid_s, lmc_s, peer_desc,
             plid_s, ws) = m.groups()
            if int(lmc_s) > 7 or int(lid_s) > 0xFFFF or len(guid_s) > 16:
                return False  # out of range: the slow path reports it
            lid_lmc = (int(lid_s), int(lmc_s), int(guid_s, 16))
            lid_s = plid_s
        num = int(num_s)
        port = node.ports.get(num)
        if port is None or int(peer_port_s) > 255 or int(lid_s) > 0xFFFF or (
                peer_guid_s and len(peer_guid_s) > 16):
            return False  # out of range: the slow path reports it
        try:
            width, speed = parse_width_speed(ws)
        except ValueError:
            return False
        if lid_lmc is not None:
            port.lid, port.lmc, port.guid = lid_lmc
        elif self.st.dialect == "ibsim":
            return False
        self.st.halves.append(_Half(
            PortRef(node.guid, num), self._qualify(peer_name), int(peer_port_s),
            int(peer_guid_s, 16) if peer_guid_s else None, peer_desc, int(lid_s),
            width, speed, {}, self.file, idx))
        return True

    def _split_rest(self, rest: str, idx: int, line: str) -> tuple[dict[str, int], str | None]:
        hash_at = rest.find("#")
        opts_text = rest if hash_at < 0 else rest[:hash_at]
        comment = None if hash_at < 0 else rest[hash_at + 1:]
        options: dict[str, int] = {}
        if opts_text.strip():
            if self.st.dialect != "ibsim":
                raise self.error(f"unexpected text {opts_text.strip()[:40]!r}", idx,
                                 line.index(opts_text.strip()) + 1, "'#' and a comment")
            leftover = _OPTION_RE.sub("", opts_text).strip()
            if leftover:  # (the leftover may span removed options: no column then)
                raise self.error(f"bad port option {leftover[:40]!r}", idx,
                                 line.find(leftover) + 1 or None,
                                 "w=WIDTHMASK, s=SPEEDMASK or e=EXTSPEEDMASK")
            try:
                options = {k: ibsim.c_number(v) for k, v in _OPTION_RE.findall(opts_text)}
            except ValueError:
                raise self.error(f"bad port option value in {opts_text.strip()[:40]!r} (a "
                                 "leading 0 means octal)", idx, None, "decimal, 0x-hex or "
                                 "0-octal") from None
            for k, v in options.items():
                if v > ibsim.MASK_LIMITS[k]:
                    raise self.error(f"port option {k}={v} out of range", idx, None,
                                     f"{k}=0-{ibsim.MASK_LIMITS[k]}")
        return options, comment

    def _lid(self, text: str, idx: int, line: str) -> int:
        """A LID from the file: it must fit 16 bits (outside the unicast range is a
        warning of ``ibviz topo info``'s checks, not an error)."""
        value = int(text)
        if value > 0xFFFF:
            raise self.error(f"LID {text[:30]} does not fit 16 bits", idx,
                             line.find(text) + 1, "a LID 0-65535 (unicast 1-49151)")
        return value

    def _lmc(self, text: str, idx: int, line: str) -> int:
        value = int(text)
        if value > 7:
            raise self.error(f"LMC {text[:30]} out of range", idx, line.find(text) + 1,
                             "an LMC 0-7")
        return value


def _int(text: str | None) -> int | None:
    return None if text is None else int(text)


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
