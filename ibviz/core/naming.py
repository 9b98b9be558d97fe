"""Names an operator recognises: host names from NodeDescriptions, and node labels with
GUID and LID for reports.

>>> host_name("node017 HCA-1")
'node017'
>>> host_name("pg-spd077 mlx5_3")
'pg-spd077'
>>> host_name("MF0;lassen-ibcore1-mgt1:CS7500/L05/U1")
'lassen-ibcore1-mgt1/L05/U1'
>>> host_name("MF0;sw-leaf07:MQM8700/U1")
'sw-leaf07'
>>> host_name("Mellanox Technologies Aggregation Node")
''
"""

from __future__ import annotations

import re
import weakref

from ibviz.core.fabric import Fabric
from ibviz.core.model import Node, NodeKind

_MF0 = re.compile(r"^MF0;([^:]+):[^/]*((?:/[^/]+)*)$")
"""Mellanox switch descriptions: ``MF0;<host>:<model>[/<card>/<unit>]``."""
_GENERIC = re.compile(r"(mellanox technologies|^mt\d{4,}\b|^quantum\b|^switch-?ib\b|"
                      r"^switchx\b|^infiniscale|^nvidia\b)", re.IGNORECASE)
"""Descriptions that name a product, not a machine (factory defaults)."""


def host_name(description: str) -> str:
    """The machine a NodeDescription names, or ``""`` when it only names a product.

    Hosts write ``"<hostname> <device>"`` (``HCA-1``, ``mlx5_0``); managed Mellanox/NVIDIA
    switches ``MF0;<hostname>:<model>/<line card>/<unit>``, where the line card and unit
    are kept because a director's leaves share its host name.
    """
    text = description.strip()
    if not text:
        return ""
    mf0 = _MF0.match(text)
    if mf0:
        host, units = mf0.groups()
        units = units if units.count("/") > 1 else ""
        return host + units
    if _GENERIC.search(text):
        return ""
    return text.split()[0]


_GENERATED = re.compile(r"^(?:[HSR]-[0-9a-fA-F]{16}|0x[0-9a-fA-F]+)?$")
"""Names a tool made up from the GUID (ibnetdiscover's ``H-0c42a103007d4009``)."""


def node_name(node: Node) -> str:
    """What to call a node: a name the source gave it (a built-in's ``first-node``, an ibsim
    ``"Switch1"``), else the host name in its description (``node017``), else the tool's
    GUID-made name, else the GUID."""
    if node.name and not _GENERATED.match(node.name) and node.name != node.description:
        return node.name
    return host_name(node.description) or node.name or f"{node.guid:#018x}"


def lid_text(lid: int, lmc: int = 0) -> str:
    """A LID as the canvas draws it: decimal, ``279``; with an LMC its range, ``280-283``."""
    return f"{lid}" if lmc == 0 else f"{lid}-{lid + (1 << lmc) - 1}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 LID"``, ``"2 LIDs"``, ``"3 switches"`` (``many``: the plural when not word+s)."""
    if n == 1:
        return f"1 {word}"
    return f"{n} {many or (word + 'es' if word.endswith(('s', 'sh', 'ch', 'x')) else word + 's')}"


def describe_node(fabric: Fabric, guid: int, port: int | None = None) -> str:
    """``"node017 (0x0c42a103007d4009, LID 0x000c)"``: host name, node GUID, LID in hex
    (and the port of a multi-port CA), the way problems and reports name a node. With a CA
    ``port``, the GUID is that port's (what the SA and ``saquery`` show), said as
    ``port GUID 0x...``; a bare GUID is the node GUID."""
    node = fabric.nodes.get(guid)
    if node is None:
        return f"{guid:#018x}"
    lid_port = 0 if node.kind is NodeKind.SWITCH else port
    shown = node.ports[lid_port].guid if lid_port in node.ports else 0
    parts = [f"port GUID {shown:#018x}" if shown and lid_port != 0 else f"{guid:#018x}"]
    if lid_port is None:
        lids = sorted({p.lid for p in node.lid_ports() if p.lid})
        if lids:
            parts.append("LID " + ", ".join(f"{lid:#06x}" for lid in lids))
    elif lid_port in node.ports and node.ports[lid_port].lid:
        parts.append(f"LID {node.ports[lid_port].lid:#06x}")
    name = node_name(node)
    if port is not None and node.kind is not NodeKind.SWITCH and len(node.lid_ports()) > 1:
        name += f" port {port}"
    return f"{name} ({', '.join(parts)})"


_STARTS = re.compile(r"(?:^|(?<=[\s(\[{'\"]))\S")
"""Where a node's name may begin in a sentence: at its start or after a space or bracket."""
_WORD = re.compile(r"[^\s\[\]]+")
"""A label is looked up by its first word (up to a space or a port's bracket)..."""
_TRAIL = ":,.;)"
"""... without the punctuation a sentence puts after it."""
_short: dict[int, tuple[weakref.ref, int, dict[str, list[tuple[str, str]]]]] = {}
"""id(fabric) -> (the fabric, node count, first word -> [(label, short name)], longest
first); the weak reference tells a later fabric at the same address apart."""


def _key(text: str, pos: int = 0) -> str:
    word = _WORD.match(text, pos)
    return word.group(0).rstrip(_TRAIL) if word else ""


def shorten_names(text: str, fabric: Fabric, node: int | None = None) -> str:
    """``text`` with each node's label (its full NodeDescription, ``MF0;L1-sw001:MQM9790/U1``
    or ``first-node (primary)``) replaced by the name the canvas shows (:func:`node_name`:
    ``L1-sw001``, ``first-node``): how a window's sentences name nodes. A label several
    nodes share (``SwitchIB Mellanox Technologies``) stays, unless it is that of ``node``
    (the node the text is about, e.g. a log entry's). One dictionary look-up per word, so
    a long log's rows cost the same on a fabric of 12,000 nodes."""
    index = _short_index(fabric)
    own = fabric.nodes.get(node) if node is not None else None
    first = [(own.label, node_name(own))] if own is not None else []
    if not index and not first:
        return text
    out: list[str] = []
    done = 0
    for start in _STARTS.finditer(text):
        pos = start.start()
        if pos < done:
            continue
        for label, short in first + index.get(_key(text, pos), []):
            end = pos + len(label)
            if text.startswith(label, pos) and not text[end:end + 1].isalnum():
                out += [text[done:pos], short]
                done = end
                break
    return "".join(out) + text[done:] if out else text


def _short_index(fabric: Fabric) -> dict[str, list[tuple[str, str]]]:
    key, count = id(fabric), len(fabric.nodes)
    cached = _short.get(key)
    if cached is not None and cached[0]() is fabric and cached[1] == count:
        return cached[2]
    shorts: dict[str, set[str]] = {}
    for node in fabric.nodes.values():
        shorts.setdefault(node.label, set()).add(node_name(node))
    index: dict[str, list[tuple[str, str]]] = {}
    for label, names in shorts.items():
        if len(names) == 1 and label not in names and _key(label):  # unambiguous
            index.setdefault(_key(label), []).append((label, names.pop()))
    for pairs in index.values():
        pairs.sort(key=lambda pair: -len(pair[0]))
    if len(_short) > 8:
        _short.clear()
    _short[key] = (weakref.ref(fabric), count, index)
    return index
