"""Port lines of ibnetdiscover output and ibsim net files (the part of the reader in
:mod:`ibviz.topology.ibnetdiscover` that turns ``[1](guid) "peer"[2](guid) # ...`` into a
:class:`_Half`): one fast regex for what real ibnetdiscover prints, a slow path that
names every problem, and the range checks (ports <= 255, LIDs within 16 bits, LMC <= 7,
GUIDs within 64 bits) made before anything is built from a number."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ibviz.core.model import Node, NodeKind, PortRef
from ibviz.core.phy import LinkWidth, parse_width_speed
from ibviz.topology import _ibsim_rules as ibsim
from ibviz.topology._ibnetdiscover_links import _Half

if TYPE_CHECKING:
    from ibviz.topology._ibnetdiscover_links import _State
    from ibviz.topology.errors import TopologyError

_PORT_RE = re.compile(
    r'^\[(\d+)\](?:\[ext \d+\])?(?:\(([^)]*)\))?(?:\(([0-9A-Fa-f]+)\))?\s*"([^"]*)"'
    r'\[(\d+)\](?:\[ext \d+\])?\s*(?:\(([0-9A-Fa-f]+)\))?(.*)$')
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


class PortLines:
    """Port-line parsing for ``_BlockParser`` (which supplies ``st``, ``node``, ``file``,
    ``preamble``, ``error``, ``warn`` and ``_qualify``)."""

    st: _State
    node: Node | None
    file: str
    preamble: list[int]

    def error(self, msg: str, line: int, column: int | None = None,
              expected: str | None = None) -> TopologyError:
        raise NotImplementedError

    def warn(self, msg: str, line: int | None, kind: str) -> None:
        raise NotImplementedError

    def _qualify(self, name: str) -> str:
        raise NotImplementedError

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
