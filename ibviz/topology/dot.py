"""Write a fabric as a Graphviz DOT graph (for ``dot``/``neato``/``sfdp`` and diagrams).

One undirected edge per cable (parallel cables stay separate edges, loopback cables
are self-loops), labelled with the port numbers and width/speed. Switches are boxes,
CAs ellipses, routers diamonds; routers' subnets become clusters.
"""

from __future__ import annotations

from ibviz.core.fabric import Fabric
from ibviz.core.model import Node, NodeKind
from ibviz.core.phy import format_width_speed

_SHAPE = {NodeKind.SWITCH: "box", NodeKind.CA: "ellipse", NodeKind.ROUTER: "diamond"}
_COLOUR = {NodeKind.SWITCH: "#88ccee", NodeKind.CA: "#ddcc77", NodeKind.ROUTER: "#cc6677"}


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _label(node: Node) -> str:
    lids = [str(p.lid) for p in node.lid_ports() if p.lid]
    text = node.label
    if lids:
        text += "\nLID " + ",".join(lids[:4]) + ("..." if len(lids) > 4 else "")
    return text


def format_dot(fabric: Fabric) -> str:
    out = [f"graph {_q(fabric.name)} {{",
           '  graph [overlap=false, splines=true, fontname="Helvetica"];',
           '  node [fontname="Helvetica", fontsize=10, style=filled];',
           '  edge [fontname="Helvetica", fontsize=8];']
    by_subnet: dict[str, list[Node]] = {}
    for node in sorted(fabric.nodes.values(), key=lambda n: (n.kind.value, n.guid)):
        by_subnet.setdefault(node.subnet if node.kind is not NodeKind.ROUTER else "", []
                             ).append(node)
    many = len([s for s in by_subnet if s]) > 1
    for subnet, nodes in by_subnet.items():
        indent = "  "
        if many and subnet:
            out.append(f"  subgraph {_q('cluster_' + subnet)} {{")
            out.append(f"    label={_q(subnet)};")
            indent = "    "
        for n in nodes:
            out.append(f"{indent}{_q(f'{n.guid:016x}')} [label={_q(_label(n))}, "
                       f"shape={_SHAPE[n.kind]}, fillcolor={_q(_COLOUR[n.kind])}];")
        if many and subnet:
            out.append("  }")
    for link in sorted(fabric.links.values(), key=lambda lk: lk.key):
        ws = format_width_speed(link.width, link.speed) if link.width and link.speed else ""
        out.append(f"  {_q(f'{link.a.node:016x}')} -- {_q(f'{link.b.node:016x}')} "
                   f"[taillabel={_q(str(link.a.port))}, headlabel={_q(str(link.b.port))}"
                   + (f", label={_q(ws)}" if ws else "") + "];")
    out.append("}")
    return "\n".join(out) + "\n"
