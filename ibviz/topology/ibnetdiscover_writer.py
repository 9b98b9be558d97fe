"""Write a fabric as ``ibnetdiscover`` output, or as an ibsim net file.

The ibnetdiscover flavour follows rdma-core's ``ibnetdiscover.c`` format strings
(switches, then CAs, then routers; port lines only for cabled ports). The ibsim
flavour is the same grammar made safe for ibsim's own parser (``sim_net.c``): node
ids without ``#``/``@``/quotes, descriptions without quotes, no peer descriptions on
port lines (ibsim scans the whole line for ``x=`` options), lines under 256 bytes,
and explicit ``switchguid=``/``caguid=``/``rtguid=`` lines so ibsim presents the
same node GUIDs (a CA's port N gets GUID node GUID + N in ibsim).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from ibviz import __version__
from ibviz.core.fabric import Fabric
from ibviz.core.model import Node, NodeKind, PortRef
from ibviz.core.phy import format_width_speed
from ibviz.topology import _ibsim_rules as ibsim

_PREFIX = {NodeKind.SWITCH: "S", NodeKind.CA: "H", NodeKind.ROUTER: "R"}
_GUID_KEY = {NodeKind.SWITCH: "switchguid", NodeKind.CA: "caguid", NodeKind.ROUTER: "rtguid"}
_HEADER_WORD = {NodeKind.SWITCH: "Switch", NodeKind.CA: "Ca", NodeKind.ROUTER: "Rt"}
_IBSIM_UNSAFE = re.compile(r'["#@=]')
IBSIM_MAX_LINE = 255


def node_id(node: Node) -> str:
    """The name ibnetdiscover gives a node: ``S-``/``H-``/``R-`` and 16 hex digits."""
    return f"{_PREFIX[node.kind]}-{node.guid:016x}"


def _order(fabric: Fabric) -> list[Node]:
    rank = {NodeKind.SWITCH: 0, NodeKind.CA: 1, NodeKind.ROUTER: 2}
    return sorted(fabric.nodes.values(), key=lambda n: (rank[n.kind], n.guid))


def _ibsim_text(text: str) -> str:
    return text.replace('"', "'")


class _Writer:
    def __init__(self, fabric: Fabric, flavour: str) -> None:
        self.f = fabric
        self.ibsim = flavour == "ibsim"
        self.ids = {g: self._id(n) for g, n in fabric.nodes.items()}

    def _id(self, node: Node) -> str:
        if self.ibsim and node.name and not _IBSIM_UNSAFE.search(node.name) \
                and len(node.name) < 60 and node.name.isprintable():
            return node.name
        return node_id(node)

    def desc(self, node: Node) -> str:
        return _ibsim_text(node.description) if self.ibsim else node.description

    def lid_of(self, ref: PortRef) -> int:
        node = self.f.nodes[ref.node]
        return node.ports[0].lid if node.kind is NodeKind.SWITCH else node.ports[ref.port].lid

    def lines(self, timestamp: float | None) -> Iterator[str]:
        stamp = time.ctime(time.time() if timestamp is None else timestamp)
        yield "#"
        yield f"# Topology file: generated on {stamp} by ibviz {__version__}"
        yield "#"
        first = next(iter(_order(self.f)), None)
        if first is not None:
            port = first.lid_ports()[0] if first.lid_ports() else None
            pguid = port.guid if port and port.guid else first.guid
            yield f"# Initiated from node {first.guid:016x} port {pguid:016x}"
        for node in _order(self.f):
            yield ""
            yield from self.block(node)
        yield ""

    def block(self, node: Node) -> Iterator[str]:
        yield f"vendid=0x{node.vendor_id:x}"
        yield f"devid=0x{node.device_id:x}"
        if node.system_guid:
            yield f"sysimgguid=0x{node.system_guid:x}"
        key = _GUID_KEY[node.kind]
        if node.kind is NodeKind.SWITCH:
            p0 = node.ports[0]
            yield f"{key}=0x{node.guid:x}({(p0.guid or node.guid):x})"
            esp = {True: " enhanced port 0", False: " base port 0", None: ""}[node.enhanced_port0]
            yield (f'Switch\t{node.num_ports} "{self.ids[node.guid]}"\t\t# "{self.desc(node)}"'
                   f"{esp} lid {p0.lid} lmc {p0.lmc}")
        else:
            yield f"{key}=0x{node.guid:x}"
            yield f'{_HEADER_WORD[node.kind]}\t{node.num_ports} "{self.ids[node.guid]}"\t\t# ' \
                  f'"{self.desc(node)}"'
        for num in sorted(node.ports):
            ref = PortRef(node.guid, num)
            peer = self.f.peer(ref)
            if peer is not None:
                yield self.port_line(node, num, peer)

    def port_line(self, node: Node, num: int, peer: PortRef) -> str:
        port = node.ports[num]
        peer_node = self.f.nodes[peer.node]
        link = self.f.link_at(PortRef(node.guid, num))
        ws = ""
        if link is not None and link.width and link.speed:
            ws = " " + format_width_speed(link.width, link.speed)
        local = f"[{num}]"
        if node.kind is NodeKind.SWITCH:
            if port.label and not self.ibsim:
                local += f"({port.label})"
        else:
            if port.label and not self.ibsim:
                local += f"({port.label})"
            local += f"({port.guid:x}) "
        remote = f'"{self.ids[peer.node]}"[{peer.port}]'
        if peer_node.kind is not NodeKind.SWITCH:
            peer_guid = peer_node.ports[peer.port].guid
            sep = " " if node.kind is not NodeKind.SWITCH else ""
            remote += f"{sep}({peer_guid:x}) "
        opts = self._ibsim_options(link) if self.ibsim else ""
        peer_desc = "" if self.ibsim else peer_node.description
        peer_part = f'"{peer_desc}" lid {self.lid_of(peer)}{ws}'
        if node.kind is NodeKind.SWITCH:
            comment = peer_part
        else:
            comment = f"lid {port.lid} lmc {port.lmc} {peer_part}"
        return f"{local}\t{remote}{opts}\t\t# {comment}"

    @staticmethod
    def _ibsim_options(link: object) -> str:
        """Enabled masks for ibsim: it reads speeds from the comment of Switch and Ca
        lines but not of Rt lines, so every line states them as options too."""
        width = getattr(link, "width", None)
        speed = getattr(link, "speed", None)
        opts = []
        if width is not None:
            opts.append(f"w={ibsim.width_mask_for(width)}")
        masks = ibsim.speed_options(speed) if speed is not None else None
        opts += [f"{k}={v}" for k, v in (masks or {}).items()]
        return (" " + " ".join(opts)) if opts else ""


def ibsim_node_ids(fabric: Fabric) -> dict[int, str]:
    """Node GUID -> the node id the ibsim flavour writes (what ibsim's ``SIM_HOST`` takes)."""
    return dict(_Writer(fabric, "ibsim").ids)


def format_ibnetdiscover(fabric: Fabric, *, flavour: str = "ibnetdiscover",
                         timestamp: float | None = None) -> str:
    """The fabric as ibnetdiscover text (``flavour="ibsim"`` for an ibsim net file)."""
    if flavour not in ("ibnetdiscover", "ibsim"):
        raise ValueError(f"unknown flavour {flavour!r}")
    wide = [n for n in fabric.nodes.values() if n.num_ports > 255]
    if wide:
        raise ValueError(f"{wide[0].label} has {wide[0].num_ports} ports; ibnetdiscover and "
                         "ibsim files (like NodeInfo.NumPorts) hold at most 255 per node")
    lines = list(_Writer(fabric, flavour).lines(timestamp))
    if flavour == "ibsim":
        long = [ln for ln in lines if len(ln.encode()) > IBSIM_MAX_LINE]
        if long:
            raise ValueError(f"{len(long)} line(s) exceed ibsim's {IBSIM_MAX_LINE}-byte limit, "
                             f"e.g. {long[0][:60]!r}...")
    return "\n".join(lines)
