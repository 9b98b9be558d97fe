"""Channel adapter receive checks (seed para. 64-70).

Link level: the DLID is one of the port's LIDs under its LMC mask, a unicast-range LID
the SM associated with a group this port receives, or an MLID attached to the port.
Transport level: the destination QP is valid; a multicast DLID must be attached to the
QP (DestQP 0xFFFFFF means every attached QP and needs a GRH); RC/UC/RD define no
multicast, unless the HCA accepts multicast LIDs (the seed's first workaround); a
multicast SLID on a connected service is refused unless the HCA accepts it.
"""

from __future__ import annotations

from ibviz.core.addressing import (
    MULTICAST_LID_MAX,
    MULTICAST_LID_MIN,
    MULTICAST_QPN,
    is_multicast_lid,
    port_accepts_dlid,
)
from ibviz.core.model import PortRef
from ibviz.core.sim.packet import DataPacket
from ibviz.core.sm.manager import SubnetManager

GROUP_QP = 0x48
"""The QP a member attaches to its group when nothing else is said."""
CONNECTED = frozenset({"RC", "UC", "RD"})


class ReceiveChecks:
    def __init__(self, sm: SubnetManager) -> None:
        self.sm = sm
        self.attached: dict[int, dict[PortRef, set[int]]] = {}
        """MLID -> port -> QPs attached to that multicast group."""
        self.qps: dict[int, set[int]] = {}
        """Node GUID -> valid QP numbers (nodes not listed accept any QP)."""
        self.accept_multicast: set[PortRef] = set()
        """Ports whose HCA accepts multicast LIDs on connected services (workaround 1)."""

    # --------------------------------------------------------------- attaching
    def attach(self, mlid: int, port: PortRef, qpn: int = GROUP_QP) -> None:
        self.attached.setdefault(mlid, {}).setdefault(port, set()).add(qpn)

    def detach(self, mlid: int, port: PortRef) -> None:
        self.attached.get(mlid, {}).pop(port, None)

    def attach_all_groups(self, qpn: int = GROUP_QP) -> None:
        """Attach ``qpn`` at every receiving member of every SA group, and nothing else."""
        self.attached = {g.mlid: {p: {qpn} for p in g.receivers}
                         for g in self.sm.sa.groups.values()}

    def attached_ports(self) -> dict[int, set[PortRef]]:
        return {mlid: set(ports) for mlid, ports in self.attached.items()}

    def add_qp(self, node: int, qpn: int) -> None:
        self.qps.setdefault(node, set()).add(qpn)

    # ------------------------------------------------------------------ checks
    def _group_lid_port(self, dlid: int) -> PortRef | None:
        for group in self.sm.sa.groups.values():
            if group.unicast_lid == dlid:
                return self.sm.group_lid_owner(group.mgid)
        return None

    def check(self, packet: DataPacket, at: PortRef) -> str | None:
        """None when the port accepts the packet, else the reason it is dropped."""
        transport, dlid = packet.transport, packet.dlid
        if MULTICAST_LID_MIN <= dlid <= MULTICAST_LID_MAX:
            ports = self.attached.get(dlid)
            qps = ports.get(at) if ports is not None else None
            if qps is None:
                return "MLID not attached to the port"
            if transport in CONNECTED and at not in self.accept_multicast:
                return f"multicast is not defined for {transport}"
            if transport == "raw":
                return None
            if packet.dest_qp == MULTICAST_QPN:
                if not packet.has_grh:
                    return "multicast packet without GRH"
            elif packet.dest_qp not in qps:
                return f"QP {packet.dest_qp:#x} is not attached to MLID {dlid:#06x}"
        else:
            try:
                port = self.sm.fabric.nodes[at[0]].ports[at[1]]
            except KeyError:
                port = self.sm.fabric.port(at)  # raises, naming the port
            if not port_accepts_dlid(port.lid, port.lmc, dlid) and \
                    self._group_lid_port(dlid) != at:
                return "DLID not of this port"
            if transport == "raw":
                return None
            valid = self.qps.get(at.node)
            if valid is not None and packet.dest_qp not in valid and packet.dest_qp > 1:
                return f"QP {packet.dest_qp:#x} not valid at the destination"
        if transport in CONNECTED and is_multicast_lid(packet.slid) and \
                at not in self.accept_multicast:
            return f"multicast SLID refused on {transport}"
        return None
