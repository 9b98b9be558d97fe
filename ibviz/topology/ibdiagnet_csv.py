"""Reader for the ibdiagnet2 database file (``ibdiagnet2.db_csv``).

The file is a series of CSV tables, each between ``START_<NAME>`` and ``END_<NAME>``,
the first row of each being its header. Comment lines (``#``) and blank lines may
stand between tables. The fabric is built from:

``NODES``
    ``NodeDesc, NumPorts, NodeType (1 CA, 2 switch, 3 router), SystemImageGUID,
    NodeGUID, PortGUID, DeviceID, revision, VendorID``.
``PORTS``
    ``NodeGuid, PortGuid, PortNum, LID, LMC, PortState, LinkWidthActv, LinkSpeedActv``.
    ibdiagnet 2.x packs ``LinkSpeedActv`` as 32 bits: byte 1 the PortInfo speed, byte 2
    the extended speed, byte 3 the Mellanox (FDR10) speed. A separate
    ``LinkSpeedExtActv`` column (older versions) is honoured where present.
``LINKS``
    ``NodeGuid1, PortNum1, NodeGuid2, PortNum2``: each cable once.
``SWITCHES`` / ``PORT_HIERARCHY_INFO`` / ``SM_INFO`` (optional)
    enhanced port 0, switch front-panel labels (``1/1/1``) and the master SM.

Numbers come in hex (``0x...``) and in decimal; ``N/A`` means unknown.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ibviz.core.fabric import Fabric
from ibviz.core.model import Node, NodeKind, PortRef, PortState
from ibviz.core.phy import LinkSpeed, LinkWidth, link_rate_gbps
from ibviz.topology._text import start_reading
from ibviz.topology.errors import TopologyError, TopologyWarning

_WANTED = ("NODES", "PORTS", "LINKS", "SWITCHES", "PORT_HIERARCHY_INFO", "SM_INFO",
           "EXTENDED_PORT_INFO")
_KINDS = {1: NodeKind.CA, 2: NodeKind.SWITCH, 3: NodeKind.ROUTER}
_WIDTHS = {1: LinkWidth.X1, 2: LinkWidth.X4, 4: LinkWidth.X8, 8: LinkWidth.X12,
           16: LinkWidth.X2}
_SPEEDS = {1: LinkSpeed.SDR, 2: LinkSpeed.DDR, 4: LinkSpeed.QDR}
_EXT_SPEEDS = {1: LinkSpeed.FDR, 2: LinkSpeed.EDR, 4: LinkSpeed.HDR, 8: LinkSpeed.NDR,
               16: LinkSpeed.XDR}

_Row = tuple[int, dict[str, str]]  # (line number, column -> text)


def _columns(line: str) -> list[int]:
    """1-based start column of each CSV field of ``line`` (quotes respected)."""
    starts, quoted = [1], False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == "," and not quoted:
            starts.append(i + 2)
    return starts


class _Tables:
    """The wanted ``START_``/``END_`` tables of one file, as rows keyed by column name."""

    def __init__(self, lines: list[str], file: str) -> None:
        self.lines, self.file = lines, file
        self.rows: dict[str, list[_Row]] = {}
        self.header_line: dict[str, int] = {}
        current: str | None = None
        start = 0
        for idx, raw in enumerate(lines, 1):
            if raw.startswith("START_"):
                if current is not None:
                    raise self.error(f"{raw.strip()} inside section {current}", idx, 1,
                                     f"END_{current} first")
                current, start = raw.strip()[6:], idx
            elif raw.startswith("END_"):
                if raw.strip()[4:] != current:
                    raise self.error(f"{raw.strip()} without START_{raw.strip()[4:]}", idx, 1,
                                     f"END_{current}" if current else "a START_ line first")
                if current in _WANTED:
                    self._table(current, start + 1, idx)
                current = None
        if current is not None:
            raise self.error(f"section {current} is never closed", len(lines), None,
                             f"END_{current}")

    def error(self, msg: str, idx: int | None, col: int | None, expected: str
              ) -> TopologyError:
        return TopologyError(msg, file=self.file, line=idx, column=col, expected=expected)

    def _table(self, name: str, first: int, end: int) -> None:
        body = [(i, self.lines[i - 1]) for i in range(first, end)
                if self.lines[i - 1].strip() and not self.lines[i - 1].startswith("#")]
        if not body:
            raise self.error(f"section {name} has no header row", first, 1, "a CSV header")
        header = [h.strip() for h in self._fields(*body[0])]
        self.header_line[name] = body[0][0]
        rows: list[_Row] = []
        for idx, text in body[1:]:
            values = self._fields(idx, text)
            if len(values) != len(header):
                raise self.error(f"{len(values)} fields in a {name} row", idx, 1,
                                 f"{len(header)} fields as in the header at line {body[0][0]}")
            rows.append((idx, dict(zip(header, values, strict=True))))
        self.rows[name] = rows

    def _fields(self, idx: int, text: str) -> list[str]:
        """One CSV record per line: ibdiagnet never writes a field across lines, so an
        unbalanced quote is an error of this line, not a reason to swallow the next."""
        try:
            return next(csv.reader([text], skipinitialspace=True, strict=True), [])
        except csv.Error as exc:
            raise self.error(f"malformed CSV ({exc})", idx, None,
                             "comma-separated fields with balanced double quotes") from None

    def need(self, name: str, columns: tuple[str, ...]) -> list[_Row]:
        if name not in self.rows:
            raise self.error(f"no START_{name} section", None, None,
                             f"an ibdiagnet2.db_csv with a {name} table")
        have = set(self.rows[name][0][1]) if self.rows[name] else set(columns)
        missing = [c for c in columns if c not in have]
        if missing:
            raise self.error(f"the {name} header lacks {', '.join(missing)}",
                             self.header_line[name], 1, f"columns {', '.join(columns)}")
        return self.rows[name]

    def bounded(self, row: _Row, column: str, hi: int, what: str) -> int | None:
        """:meth:`num`, which must be 0..hi (checked before anything is sized by it)."""
        value = self.num(row, column)
        if value is not None and not 0 <= value <= hi:
            raise self.error(f"{column} {value} out of range", row[0], None, f"{what} 0-{hi}")
        return value

    def num(self, row: _Row, column: str) -> int | None:
        """The number in ``column`` (None when empty, ``N/A`` or not a column here)."""
        idx, values = row
        text = values.get(column, "").strip()
        if text in ("", "N/A"):
            return None
        try:
            return int(text, 16) if text[:2].lower() == "0x" else int(text, 10)
        except ValueError:
            pos = list(values).index(column)
            raise self.error(f"{column} value {text!r} is not a number", idx,
                             _columns(self.lines[idx - 1])[pos],
                             f"a decimal or 0x-hex number for {column}") from None


def _speed(actv: int, ext: int | None, mlnx: int) -> LinkSpeed | None:
    ext = (actv >> 8) & 0xFF if ext is None else ext
    if ext:
        return _EXT_SPEEDS.get(ext)
    if mlnx & 1 or (actv >> 16) & 1:
        return LinkSpeed.FDR10
    return _SPEEDS.get(actv & 0xFF)


def parse_ibdiagnet_csv(path: str | Path, lines: list[str] | None = None) -> Fabric:
    """Read an ibdiagnet2 ``.db_csv`` database into a :class:`Fabric`.

    Raises
    ------
    TopologyError
        On a missing table or column, a malformed row or a number that is not one
        (names file, line, column and what was expected).
    """
    fabric, lines, file = start_reading(path, "ibdiagnet-csv", lines)
    t = _Tables(lines, file)

    def warn(msg: str, idx: int | None, kind: str) -> None:
        fabric.warnings.append(TopologyWarning(msg, file, idx, kind))

    for row in t.need("NODES", ("NodeDesc", "NumPorts", "NodeType", "NodeGUID")):
        idx, v = row
        guid, ntype = t.num(row, "NodeGUID"), t.num(row, "NodeType")
        if ntype not in _KINDS:
            raise t.error(f"NodeType {ntype}", idx, _columns(lines[idx - 1])[
                list(v).index("NodeType")], "1 (CA), 2 (switch) or 3 (router)")
        if not guid:
            raise t.error("NodeGUID is missing or 0", idx, None, "a node GUID")
        if guid in fabric.nodes:
            warn(f"node {guid:#018x} is listed twice in NODES; kept the first", idx,
                 "duplicate-node")
            continue
        node = Node(guid, _KINDS[ntype], t.bounded(row, "NumPorts", 255, "a port count") or 0,
                    v["NodeDesc"])
        for attr, col in (("system_guid", "SystemImageGUID"), ("vendor_id", "VendorID"),
                          ("device_id", "DeviceID"), ("revision", "revision")):
            col = col if col in v else col.capitalize()  # "revision" / "Revision"
            setattr(node, attr, t.num(row, col) or 0)
        fabric.add_node(node)

    mlnx = {(t.num(r, "NodeGuid"), t.num(r, "PortNum")): t.num(r, "LinkSpeedActive") or 0
            for r in t.rows.get("EXTENDED_PORT_INFO", [])}
    attrs: dict[PortRef, tuple[LinkWidth | None, LinkSpeed | None]] = {}
    stated: set[PortRef] = set()
    bad_speed: list[int] = []
    for row in t.need("PORTS", ("NodeGuid", "PortNum", "LID", "PortState", "LinkWidthActv",
                                "LinkSpeedActv")):
        idx, v = row
        guid, num = t.num(row, "NodeGuid"), t.bounded(row, "PortNum", 255, "a port") or 0
        node = fabric.nodes.get(guid)  # type: ignore[arg-type]
        if node is None:
            raise t.error(f"port row for node {guid:#x}, which NODES does not list", idx, 1,
                          "a NodeGuid from START_NODES")
        if num > node.num_ports:
            warn(f"{node.label} has {node.num_ports} ports but PORTS lists port {num}", idx,
                 "port-count")
        port = node.ensure_port(num)
        if num == 0 or not node.is_switch:
            port.guid = t.num(row, "PortGuid") or port.guid
            port.lid = t.bounded(row, "LID", 0xFFFF, "a LID") or 0
            port.lmc = t.bounded(row, "LMC", 7, "an LMC") or 0
        state = t.num(row, "PortState") or 0
        if 1 <= state <= 4:
            port.state = PortState(state)
            stated.add(PortRef(guid, num))  # type: ignore[arg-type]
        ext = t.num(row, "LinkSpeedExtActv")  # older ibdiagnet: a column of its own
        actv = t.num(row, "LinkSpeedActv") or 0
        width = _WIDTHS.get(t.num(row, "LinkWidthActv") or 0)
        speed = _speed(actv, ext, mlnx.get((guid, num), 0))
        if num and state > 1 and (width is None or speed is None):
            bad_speed.append(idx)
        attrs[PortRef(guid, num)] = (width, speed)  # type: ignore[arg-type]
    if bad_speed:
        warn(f"{len(bad_speed)} active port(s) have a width or speed code ibviz cannot name; "
             "kept as unknown", bad_speed[0], "unknown-speed")

    for row in t.need("LINKS", ("NodeGuid1", "PortNum1", "NodeGuid2", "PortNum2")):
        idx = row[0]
        ends = []
        for n in ("1", "2"):
            guid, num = t.num(row, f"NodeGuid{n}"), t.num(row, f"PortNum{n}") or 0
            node = fabric.nodes.get(guid)  # type: ignore[arg-type]
            if node is None:
                raise t.error(f"link end {guid:#x}, which NODES does not list", idx, 1,
                              "a NodeGuid from START_NODES")
            if num < 1 or num not in node.ports:
                raise t.error(f"{node.label} has no port {num}", idx, 1,
                              f"a port 1-{node.num_ports}")
            ends.append(PortRef(node.guid, num))
        a, b = ends
        if a == b or any(fabric.peer(r) is not None for r in ends):
            warn(f"link {a} <-> {b} contradicts an earlier LINKS row; kept the first", idx,
                 "conflicting-cable")
            continue
        (wa, sa), (wb, sb) = attrs.get(a, (None, None)), attrs.get(b, (None, None))
        width, speed = (wa, sa) if wa and sa else (wb, sb)
        if wa and sa and wb and sb and (wa, sa) != (wb, sb):
            warn(f"the ends of {a} <-> {b} report different widths/speeds; kept the slower",
                 idx, "link-mismatch")
            if link_rate_gbps(wb, sb) < link_rate_gbps(wa, sa):
                width, speed = wb, sb
        fabric.connect(a, b, width, speed)
        for r in ends:
            if r not in stated:
                node = fabric.nodes[r.node]
                lid_port = node.ports[0] if node.is_switch else node.ports[r.port]
                node.ports[r.port].state = PortState.ACTIVE if lid_port.lid else PortState.INIT
    _extras(t, fabric)
    return fabric


def _extras(t: _Tables, fabric: Fabric) -> None:
    """Enhanced port 0, port labels and the master SM, where the file has them."""
    for row in t.rows.get("SWITCHES", []):
        node = fabric.nodes.get(t.num(row, "NodeGUID") or 0)
        if node is not None and t.num(row, "ENP0") is not None:
            node.enhanced_port0 = bool(t.num(row, "ENP0"))
    for row in t.rows.get("PORT_HIERARCHY_INFO", []):
        node = fabric.nodes.get(t.num(row, "NodeGUID") or 0)
        label = row[1].get("Label", "").strip()
        num = t.num(row, "PortNum") or 0
        if node is not None and num in node.ports and label not in ("", "N/A"):
            node.ports[num].label = label  # switch: 1/1/1 (cage/port); CA: B9D0F0/0/0/1 (PCI)
    for row in t.rows.get("SM_INFO", []):
        guid = t.num(row, "NodeGUID") or 0
        if guid in fabric.nodes and t.num(row, "SmState") == 3:  # 3 = master
            fabric.master_sm = PortRef(guid, t.num(row, "PortNumber") or 0)


__all__ = ["parse_ibdiagnet_csv"]
