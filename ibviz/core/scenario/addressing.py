"""How a flow's packets are addressed at the moment they are sent.

A group is the service address. UD and raw datagrams to a group go to its MLID (DestQP
0xFFFFFF with a GRH naming the MGID, or, for a client that learned the MLID from a
server's SLID or a path record, straight to the server's QP). Connected services (RC,
UC, RD) have no multicast: with the ``unicast_lid`` workaround they address the group's
unicast-range LID, with ``accept_multicast`` the MLID (the HCAs accept it), and without
a workaround the MLID, which the receiver drops. The prior art (mode ``lmc``) has no
multicast address: the service is the primary port's unicast LID. A destination in
another subnet is reached through a router: DLID = the router port, DGID = the port.
"""

from __future__ import annotations

from dataclasses import dataclass

from ibviz.core.addressing import MULTICAST_QPN
from ibviz.core.failover.model import Mode
from ibviz.core.model import PortRef
from ibviz.core.sim.receive import GROUP_QP
from ibviz.core.sim.router import port_gid, router_towards
from ibviz.core.sm.manager import SubnetManager

FLOW_QP_BASE = 0x100


@dataclass
class Endpoint:
    """A resolved flow end: a node, or a group (served by whichever node serves it)."""

    node: int | None = None
    group: str | None = None
    mgid: int = 0


@dataclass
class Address:
    dlid: int
    dest_qp: int
    has_grh: bool = False
    dgid: int = 0


class NotAddressable(Exception):
    """The packet cannot be sent now; the message is the reason (counted, not sent)."""


def service_address(sm: SubnetManager, ep: Endpoint, transport: str, workaround: str,
                    mode: Mode, service_lid: int, learned: int | None) -> Address:
    """The address a sender uses for group ``ep`` now."""
    group = sm.sa.groups.get(ep.mgid)
    if mode is Mode.LMC:
        return Address(service_lid, GROUP_QP)
    if learned is not None:
        return Address(learned, GROUP_QP)
    if group is None:
        raise NotAddressable("the group has no MLID (deleted)")
    if transport in ("RC", "UC", "RD"):
        if workaround == "unicast_lid":
            if not group.unicast_lid:
                raise NotAddressable("the group has no unicast-range LID")
            return Address(group.unicast_lid, GROUP_QP)
        return Address(group.mlid, GROUP_QP)
    if transport == "raw":
        return Address(group.mlid, 0)
    return Address(group.mlid, MULTICAST_QPN, True, ep.mgid)


def node_address(sm: SubnetManager, src: PortRef, dst: PortRef, qpn: int,
                 lid: int | None = None) -> Address:
    """Unicast to ``dst`` (whose LID is ``lid`` when the caller knows it); through a
    router when it sits in another subnet."""
    fabric = sm.fabric
    if len(fabric.subnets) > 1 and fabric.subnet_of(src) != fabric.subnet_of(dst):
        via = router_towards(sm, src, dst)
        if via is None:
            raise NotAddressable("no live router to the destination subnet")
        return Address(fabric.port(via).lid, qpn, True, port_gid(fabric, dst))
    if lid is None:
        lid = fabric.port(dst).lid
    if not lid:
        raise NotAddressable("the destination port has no LID")
    return Address(lid, qpn)
