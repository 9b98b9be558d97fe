"""ibviz's own fabric format: JSON, versioned, documented by a JSON Schema.

The schema lives in ``resources/schema/fabric-v1.schema.json`` and the format is
described in ``docs/fabric-json.md``. GUIDs are strings (``"0x0002c90300a1b2c4"``)
because JSON numbers above 2**53 lose precision in many readers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ibviz.core.fabric import Fabric, FabricError
from ibviz.core.model import CaRole, Node, NodeKind, Port, PortRef, PortState
from ibviz.core.phy import LinkSpeed, LinkWidth
from ibviz.topology.errors import TopologyError, TopologyWarning

FORMAT_NAME = "ibviz-fabric"
FORMAT_VERSION = 1


def _guid(value: int) -> str:
    return f"0x{value:016x}"


def fabric_to_dict(fabric: Fabric) -> dict[str, Any]:
    nodes = []
    for node in sorted(fabric.nodes.values(), key=lambda n: n.guid):
        nodes.append({
            "guid": _guid(node.guid), "kind": node.kind.value, "name": node.name,
            "description": node.description, "num_ports": node.num_ports,
            "system_guid": _guid(node.system_guid), "vendor_id": node.vendor_id,
            "device_id": node.device_id, "revision": node.revision, "subnet": node.subnet,
            "ca_role": node.ca_role.value if node.ca_role else None,
            "enhanced_port0": node.enhanced_port0, "declared": node.declared,
            "ports": [{"num": p.num, "guid": _guid(p.guid), "lid": p.lid, "lmc": p.lmc,
                       "state": p.state.label, "label": p.label}
                      for _, p in sorted(node.ports.items())],
        })
    links = [{"a": [_guid(lk.a.node), lk.a.port], "b": [_guid(lk.b.node), lk.b.port],
              "width": lk.width.label if lk.width else None,
              "speed": lk.speed.label if lk.speed else None}
             for _, lk in sorted(fabric.links.items())]
    sm = fabric.master_sm
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "name": fabric.name,
            "subnets": [{"name": k, "prefix": f"0x{v:016x}"} for k, v in fabric.subnets.items()],
            "master_sm": [_guid(sm.node), sm.port] if sm else None,
            "nodes": nodes, "links": links,
            "warnings": [w.to_dict() if hasattr(w, "to_dict") else {"message": str(w)}
                         for w in fabric.warnings]}


def format_json(fabric: Fabric) -> str:
    return json.dumps(fabric_to_dict(fabric), indent=1, ensure_ascii=False) + "\n"



class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, msg: str, expected: str | None = None) -> TopologyError:
        return TopologyError(f"{where}: {msg}", file=self.file, expected=expected)

    def get(self, obj: Any, key: str, where: str, kind: type | tuple[type, ...],
            optional: bool = False) -> Any:
        if not isinstance(obj, dict):
            raise self.fail(where, "not an object", "a JSON object")
        if key not in obj:
            if optional:
                return None
            raise self.fail(f"{where}.{key}", "missing", f"a value of type {_tname(kind)}")
        value = obj[key]
        if value is None and optional:
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise self.fail(f"{where}.{key}", f"{value!r} has the wrong type",
                            f"a value of type {_tname(kind)}")
        return value

    def guid(self, text: Any, where: str) -> int:
        try:
            return int(text, 16)
        except (TypeError, ValueError):
            raise self.fail(where, f"{text!r} is not a GUID", 'a string like "0x0002c903..."'
                            ) from None

    def enum(self, cls: type, value: Any, where: str, attr: str = "value") -> Any:
        for member in cls:
            if getattr(member, attr) == value:
                return member
        allowed = ", ".join(repr(getattr(m, attr)) for m in cls)
        raise self.fail(where, f"{value!r} is not allowed", f"one of {allowed}")


def _tname(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "string", int: "integer", list: "array", dict: "object", bool: "boolean"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _check_ports(r: _Reader, w: str, kind: NodeKind, num_ports: int,
                 ports: dict[int, Port]) -> None:
    """Ports are listed (never allocated from num_ports alone), numbered within
    num_ports, and a switch has its port 0 (the LID and the SMA live there)."""
    if not ports:
        raise r.fail(f"{w}.ports", "a node lists no ports", "its ports, port 0 of a switch too")
    bad = [n for n in ports if not 0 <= n <= num_ports or (n == 0 and kind != NodeKind.SWITCH)]
    if bad:
        raise r.fail(f"{w}.ports", f"port {bad[0]} is outside this node's ports",
                     f"ports {0 if kind == NodeKind.SWITCH else 1}-{num_ports}")
    if kind == NodeKind.SWITCH and 0 not in ports:
        raise r.fail(f"{w}.ports", "a switch without port 0", "port 0 (the switch's LID)")


def fabric_from_dict(data: Any, file: str = "<json>") -> Fabric:
    r = _Reader(file)
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise r.fail("$", "not an ibviz fabric document", f'"format": "{FORMAT_NAME}"')
    version = r.get(data, "version", "$", int)
    if version != FORMAT_VERSION:
        raise r.fail("$.version", f"version {version} is not supported",
                     f"version {FORMAT_VERSION}")
    fabric = Fabric(r.get(data, "name", "$", str, optional=True) or Path(file).name)
    subnets = r.get(data, "subnets", "$", list, optional=True)
    if subnets is not None:
        fabric.subnets = {}
    for i, sub in enumerate(subnets or []):
        fabric.subnets[r.get(sub, "name", f"$.subnets[{i}]", str)] = r.guid(
            r.get(sub, "prefix", f"$.subnets[{i}]", str), f"$.subnets[{i}].prefix")
    for i, nd in enumerate(r.get(data, "nodes", "$", list)):
        w = f"$.nodes[{i}]"
        kind = r.enum(NodeKind, r.get(nd, "kind", w, str), f"{w}.kind")
        ports = {}
        for j, pd in enumerate(r.get(nd, "ports", w, list)):
            pw = f"{w}.ports[{j}]"
            lmc = r.get(pd, "lmc", pw, int)
            if not 0 <= lmc <= 7:
                raise r.fail(f"{pw}.lmc", f"{lmc} out of range", "0-7")
            lid = r.get(pd, "lid", pw, int)
            if not 0 <= lid <= 0xFFFF:
                raise r.fail(f"{pw}.lid", f"{lid} out of range", "0-65535")
            num = r.get(pd, "num", pw, int)
            ports[num] = Port(num, r.guid(r.get(pd, "guid", pw, str), f"{pw}.guid"), lid, lmc,
                              r.enum(PortState, r.get(pd, "state", pw, str), f"{pw}.state",
                                     "label"),
                              r.get(pd, "label", pw, str, optional=True))
        num_ports = r.get(nd, "num_ports", w, int)
        _check_ports(r, w, kind, num_ports, ports)
        role = r.get(nd, "ca_role", w, str, optional=True)
        node = Node(r.guid(r.get(nd, "guid", w, str), f"{w}.guid"), kind,
                    num_ports, r.get(nd, "description", w, str),
                    r.guid(r.get(nd, "system_guid", w, str, optional=True) or "0", w),
                    r.get(nd, "vendor_id", w, int, optional=True) or 0,
                    r.get(nd, "device_id", w, int, optional=True) or 0,
                    r.get(nd, "revision", w, int, optional=True) or 0,
                    r.get(nd, "subnet", w, str, optional=True) or "default",
                    r.enum(CaRole, role, f"{w}.ca_role") if role else None,
                    r.get(nd, "enhanced_port0", w, bool, optional=True),
                    ports, r.get(nd, "name", w, str, optional=True) or "",
                    r.get(nd, "declared", w, bool, optional=True) is not False)
        try:
            fabric.add_node(node)
        except FabricError as exc:
            raise r.fail(w, str(exc)) from None
    for i, ld in enumerate(r.get(data, "links", "$", list)):
        w = f"$.links[{i}]"
        ends = []
        for key in ("a", "b"):
            end = r.get(ld, key, w, list)
            if len(end) != 2 or not isinstance(end[1], int):
                raise r.fail(f"{w}.{key}", f"{end!r}", '["0xNODEGUID", PORT]')
            ends.append(PortRef(r.guid(end[0], f"{w}.{key}[0]"), end[1]))
        width = r.get(ld, "width", w, str, optional=True)
        speed = r.get(ld, "speed", w, str, optional=True)
        try:
            fabric.connect(ends[0], ends[1],
                           r.enum(LinkWidth, width, f"{w}.width", "label") if width else None,
                           r.enum(LinkSpeed, speed, f"{w}.speed", "label") if speed else None)
        except (FabricError, KeyError) as exc:
            raise r.fail(w, str(exc).strip('"')) from None
    sm = r.get(data, "master_sm", "$", list, optional=True)
    if sm is not None:
        if len(sm) != 2 or not isinstance(sm[1], int):
            raise r.fail("$.master_sm", f"{sm!r}", '["0xNODEGUID", PORT] or null')
        fabric.master_sm = PortRef(r.guid(sm[0], "$.master_sm[0]"), sm[1])
    for wd in data.get("warnings") or []:
        if isinstance(wd, dict) and isinstance(wd.get("message"), str):
            fabric.warnings.append(TopologyWarning(wd["message"], wd.get("file"), wd.get("line"),
                                                   wd.get("kind") or "warning"))
    return fabric


def parse_json(path: str | Path, text: str | None = None) -> Fabric:
    file = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise TopologyError(f"cannot read file: {exc}", file=file) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TopologyError(f"invalid JSON: {exc.msg}", file=file, line=exc.lineno,
                            column=exc.colno, expected="a JSON document") from None
    fabric = fabric_from_dict(data, file)
    fabric.source, fabric.source_format = file, "json"
    return fabric
