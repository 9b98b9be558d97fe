"""Find a node (or a port) of a fabric from what an operator types: a host name, a
NodeDescription, a node or port GUID, or a LID.

>>> resolve_node(fabric, "node0001")              # host name (first word of the description)
>>> resolve_node(fabric, "MF0;leaf01:MQM8790/U1") # NodeDescription (or the source's name)
>>> resolve_node(fabric, "leaf01")                # a switch's host name (MF0;leaf01:...)
>>> resolve_node(fabric, "0x0002c90300000010")    # node GUID or port GUID
>>> resolve_node(fabric, "5"), resolve_node(fabric, "lid:0x5")   # a LID's owner
>>> resolve_port(fabric, "node0001:1")            # NODE[:PORT]

Names are tried first, so a host really called ``5`` is found by name. A bare number is
a LID when written in decimal or as ``0x`` with at most four hex digits; a longer hex
number is a GUID. ``guid:`` and ``lid:`` prefixes say which is meant.
"""

from __future__ import annotations

import difflib
import re

from ibviz.core.addressing import parse_guid
from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.naming import host_name, node_name


class NodeNotFound(ValueError):
    """The text names no node of the fabric, or more than one."""


def _by_text(fabric: Fabric, text: str) -> list[int]:
    exact = sorted({n.guid for n in fabric.nodes.values() if text in (n.name, n.description)})
    if exact:
        return exact
    return sorted(n.guid for n in fabric.nodes.values()
                  if text in (node_name(n), host_name(n.description),
                              host_name(n.description).split("/")[0])
                  or (n.description or n.name or "").split()[:1] == [text])


def _by_guid(fabric: Fabric, guid: int) -> int | None:
    if guid in fabric.nodes:
        return guid
    for node in fabric.nodes.values():
        if any(p.guid == guid for p in node.ports.values()):
            return node.guid
    return None


def _by_lid(fabric: Fabric, lid: int) -> PortRef | None:
    owners = fabric.lid_owners().get(lid, [])
    return owners[0] if owners else None


def _number(text: str, key: str) -> int:
    t = text[len(key):] if text.lower().startswith(key) else text
    return int(t, 0) if t.lower().startswith("0x") or t.isdigit() else int(t, 16)


def resolve_ref(fabric: Fabric, text: str) -> PortRef:
    """The node ``text`` names, as ``PortRef(node, port)``: the LID's own port for a LID,
    the port with that GUID for a port GUID, else port 0 (see the module doc)."""
    text = text.strip()
    hits = _by_text(fabric, text)
    if len(hits) == 1:
        return PortRef(hits[0], 0)
    if len(hits) > 1:
        names = ", ".join(fabric.nodes[g].label for g in hits[:4])
        raise NodeNotFound(f"{text!r} names {len(hits)} nodes ({names}); give a GUID or LID")
    low = text.lower()
    try:
        is_lid = low.startswith("lid:") or (not low.startswith("guid:") and (
            text.isdigit() or (low.startswith("0x") and len(low) <= 6)))
        if is_lid:
            ref = _by_lid(fabric, _number(low, "lid:"))
            if ref is not None:
                return ref
        else:
            guid = parse_guid(low[5:] if low.startswith("guid:") else low)
            node = _by_guid(fabric, guid)
            if node is not None:
                n = fabric.nodes[node]
                port = next((p.num for p in n.ports.values() if p.guid == guid
                             and n.kind is not NodeKind.SWITCH), 0)
                return PortRef(node, port)
    except ValueError:
        pass
    near = close_names(fabric, text)
    raise NodeNotFound(f"no node {text!r} in fabric {fabric.name!r} (give a host name, "
                       "NodeDescription, GUID or LID)"
                       + (f"; did you mean {' or '.join(near)}?" if near else ""))


def close_names(fabric: Fabric, text: str, count: int = 3) -> list[str]:
    """Up to ``count`` node names (as :func:`~ibviz.core.naming.node_name` gives them)
    spelled like ``text``: first those equal but for the zeros padding their numbers
    (``L2-sw01`` -> ``L2-sw001``), else the closest spellings."""
    names = sorted({node_name(n) for n in fabric.nodes.values()})
    key = _unpadded(text)
    same = [name for name in names if _unpadded(name) == key]
    return same[:count] or difflib.get_close_matches(text, names, n=count, cutoff=0.8)


def _unpadded(text: str) -> str:
    return re.sub(r"\d+", lambda m: str(int(m.group())), text)


def resolve_node(fabric: Fabric, text: str) -> int:
    """The GUID of the node ``text`` names (see the module doc); :class:`NodeNotFound`
    otherwise."""
    return resolve_ref(fabric, text).node


def resolve_port(fabric: Fabric, text: str) -> PortRef:
    """``NODE[:PORT]``: a node as :func:`resolve_ref` finds it, with an optional port
    number after the last ``:`` (tried only if the whole text names no node, since
    descriptions contain colons). Without a port: a CA's first cabled port, a switch's 0."""
    text = text.strip()
    try:
        ref = resolve_ref(fabric, text)
    except NodeNotFound:
        head, sep, tail = text.rpartition(":")
        if not sep or not tail.isdigit():
            raise
        ref = PortRef(resolve_ref(fabric, head).node, int(tail))
        if ref.port not in fabric.nodes[ref.node].ports:
            raise NodeNotFound(f"{fabric.nodes[ref.node].label} has no port {ref.port}") \
                from None
        return ref
    node = fabric.nodes[ref.node]
    if ref.port or node.kind is NodeKind.SWITCH:
        return ref
    cabled = [p for p in sorted(node.ports) if p and fabric.link_at(PortRef(node.guid, p))]
    return PortRef(node.guid, cabled[0] if cabled else min(p for p in node.ports if p))
