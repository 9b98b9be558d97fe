"""Routers forward between subnets by the GRH (seed FIG. 6).

A packet for another subnet carries a GRH whose DGID names the destination port; its
LRH DLID is a LID of the router's port in the source subnet. The router finds the port
by DGID, picks its own port in that port's subnet and rewrites the LRH: DLID = the
destination's LID, SLID = the router port's LID. Routers do not forward multicast here.
"""

from __future__ import annotations

from dataclasses import replace

from ibviz.core.addressing import LINK_LOCAL_PREFIX, gid_guid, is_multicast_lid
from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.sim.packet import DataPacket
from ibviz.core.sm.manager import SubnetManager


def port_gid(fabric: Fabric, ref: PortRef) -> int:
    """The port's GID: its subnet's prefix and its port GUID."""
    node = fabric.node(ref.node)
    guid = node.guid if node.kind is NodeKind.SWITCH else node.ports[ref.port].guid
    prefix = fabric.subnets.get(fabric.subnet_of(ref), LINK_LOCAL_PREFIX)
    return (prefix << 64) | guid


def ports_by_guid(fabric: Fabric) -> dict[int, PortRef]:
    """Port GUID -> port, for CA and router ports."""
    return {port.guid: PortRef(node.guid, port.num) for node in fabric.nodes.values()
            if node.kind is not NodeKind.SWITCH for port in node.ports.values() if port.num}


def route_by_grh(sm: SubnetManager, packet: DataPacket, at: PortRef,
                 by_guid: dict[int, PortRef]) -> tuple[PortRef | None, DataPacket | str]:
    """Where router port ``at`` sends ``packet`` and the rewritten packet, or
    ``(None, reason)`` for a drop."""
    if is_multicast_lid(packet.dlid):
        return None, "routers do not forward multicast here"
    if not packet.has_grh:
        return None, "packet for a router without a GRH"
    fabric = sm.fabric
    dest = by_guid.get(gid_guid(packet.dgid))
    if dest is None:
        return None, f"no port with DGID GUID {gid_guid(packet.dgid):#x}"
    subnet = fabric.subnet_of(dest)
    router = fabric.node(at.node)
    for num in sorted(p for p in router.ports if p):
        out = PortRef(at.node, num)
        if fabric.peer(out) is not None and fabric.subnet_of(out) == subnet:
            if out == at:
                return None, "DGID is in the subnet the packet came from"
            return out, replace(packet, dlid=fabric.port(dest).lid,
                                slid=fabric.port(out).lid)
    return None, f"router has no port in {subnet}"


def router_towards(sm: SubnetManager, src: PortRef, dest: PortRef) -> PortRef | None:
    """The first live router port in ``src``'s subnet that also reaches ``dest``'s subnet
    (what a path record query would name), or None."""
    fabric = sm.fabric
    want, here = fabric.subnet_of(dest), fabric.subnet_of(src)
    for node in sorted(fabric.routers(), key=lambda n: n.guid):
        if node.guid in sm.failed:
            continue
        ins = [PortRef(node.guid, p) for p in sorted(node.ports) if p
               and fabric.peer(PortRef(node.guid, p)) is not None]
        usable = [r for r in ins if sm.port_in_subnet(r)]
        if any(fabric.subnet_of(r) == want for r in usable):
            for r in usable:
                if fabric.subnet_of(r) == here:
                    return r
    return None
