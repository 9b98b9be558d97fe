"""GUID plan, device identities and a small fabric builder shared by the generators
and the built-in fabrics.

GUID plan (compatible with ibsim, which gives a CA's or router's port N the GUID
node GUID + N and a switch's port 0 the node GUID):

=========  =========================  ======  ===========================
kind       node GUID of the i-th one  step    port GUIDs
=========  =========================  ======  ===========================
CA         ``0x0002c90300000000``     0x10    node GUID + port (1-15)
switch     ``0x0002c90400000000``     1       port 0 = node GUID
router     ``0x0002c90500000000``     0x10    node GUID + port (1-15)
=========  =========================  ======  ===========================

``0x0002c9`` is the Mellanox/NVIDIA OUI, so GUIDs look like the ones operators see.
The system image GUID of every node is its node GUID (one node per chassis).
"""

from __future__ import annotations

from collections.abc import Iterable

from ibviz.core.fabric import Fabric
from ibviz.core.model import CaRole, Node, NodeKind, Port, PortRef, PortState
from ibviz.core.phy import LinkSpeed, LinkWidth

CA_GUID_BASE = 0x0002_C903_0000_0000
SWITCH_GUID_BASE = 0x0002_C904_0000_0000
ROUTER_GUID_BASE = 0x0002_C905_0000_0000
CA_GUID_STEP = ROUTER_GUID_STEP = 0x10
MAX_ENDPOINT_PORTS = CA_GUID_STEP - 1
"""A CA or router may have at most 15 ports, so its port GUIDs stay below the next node's."""

VENDOR_ID = 0x02C9
DEV_CONNECTX6 = 0x101B  # 4123, HDR HCA
DEV_CONNECTX7 = 0x1021  # 4129, NDR HCA
DEV_BLUEFIELD2 = 0xA2D6  # 41686, DPU used here for target channel adapters
DEV_SWITCHIB2 = 0xCF08  # 53000, Switch-IB 2 (the SB7780 InfiniBand router is one)
DEV_QUANTUM = 0xD2F0  # 54000, Quantum (QM8700/QM8790, CS8500 director)
DEV_QUANTUM2 = 0xD2F2  # 54002, Quantum-2 (QM9700/QM9790)


def switch_model(num_ports: int) -> tuple[str, int]:
    """Product name and device id of a switch with ``num_ports`` external ports."""
    if num_ports <= 40:
        return "MQM8790", DEV_QUANTUM
    if num_ports <= 64:
        return "MQM9790", DEV_QUANTUM2
    return "CS8500", DEV_QUANTUM


def hca_device(speed: LinkSpeed | None) -> int:
    return DEV_CONNECTX7 if speed in (LinkSpeed.NDR, LinkSpeed.XDR) else DEV_CONNECTX6


def switch_description(name: str, num_ports: int) -> str:
    """The description Mellanox firmware reports: ``MF0;leaf01:MQM8790/U1``."""
    return f"MF0;{name}:{switch_model(num_ports)[0]}/U1"


def number_width(count: int, minimum: int = 2) -> int:
    """Digits to zero-pad indices 1..count to (``leaf01``, ``node0001``)."""
    return max(minimum, len(str(count)))


class FabricBuilder:
    """Create nodes with planned GUIDs and cable them; :meth:`finish` returns the fabric.

    Parameters
    ----------
    name:
        Fabric name.
    width, speed:
        Width and speed of every cable unless :meth:`cable` says otherwise.
    """

    def __init__(self, name: str, width: LinkWidth = LinkWidth.X4,
                 speed: LinkSpeed = LinkSpeed.HDR) -> None:
        self.fabric = Fabric(name)
        self.width, self.speed = width, speed
        self._count = {NodeKind.CA: 0, NodeKind.SWITCH: 0, NodeKind.ROUTER: 0}

    def _add(self, kind: NodeKind, num_ports: int, name: str, description: str,
             device_id: int, subnet: str, role: CaRole | None = None) -> int:
        i = self._count[kind]
        self._count[kind] = i + 1
        if kind is NodeKind.SWITCH:
            guid = SWITCH_GUID_BASE + i
            ports = {n: Port(n) for n in range(num_ports + 1)}
            ports[0].guid, ports[0].state = guid, PortState.ACTIVE
        else:
            if not 1 <= num_ports <= MAX_ENDPOINT_PORTS:
                raise ValueError(f"{name}: a {kind.value} may have 1-{MAX_ENDPOINT_PORTS} "
                                 f"ports in the GUID plan, not {num_ports}")
            base = CA_GUID_BASE if kind is NodeKind.CA else ROUTER_GUID_BASE
            guid = base + CA_GUID_STEP * i
            ports = {n: Port(n, guid=guid + n) for n in range(1, num_ports + 1)}
        self.fabric.add_node(Node(
            guid, kind, num_ports, description, system_guid=guid, vendor_id=VENDOR_ID,
            device_id=device_id, subnet=subnet, ca_role=role,
            enhanced_port0=True if kind is NodeKind.SWITCH else None, ports=ports, name=name))
        return guid

    def switch(self, name: str, num_ports: int, *, description: str | None = None,
               subnet: str = "default") -> int:
        """A switch; the description defaults to the firmware style ``MF0;name:MODEL/U1``."""
        if num_ports < 1:
            raise ValueError(f"{name}: a switch needs at least one port, not {num_ports}")
        desc = switch_description(name, num_ports) if description is None else description
        return self._add(NodeKind.SWITCH, num_ports, name, desc,
                         switch_model(num_ports)[1], subnet)

    def ca(self, name: str, num_ports: int = 1, *, description: str | None = None,
           role: CaRole = CaRole.HCA, subnet: str = "default") -> int:
        """A channel adapter; the description defaults to ``name HCA-1``."""
        desc = f"{name} HCA-1" if description is None else description
        dev = hca_device(self.speed) if role is CaRole.HCA else DEV_BLUEFIELD2
        return self._add(NodeKind.CA, num_ports, name, desc, dev, subnet, role)

    def router(self, name: str, num_ports: int = 2, *, description: str | None = None,
               subnet: str = "default") -> int:
        return self._add(NodeKind.ROUTER, num_ports, name, description or name,
                         DEV_SWITCHIB2, subnet)

    def cable(self, a: int, pa: int, b: int, pb: int) -> None:
        self.fabric.connect(PortRef(a, pa), PortRef(b, pb), self.width, self.speed)

    def cables(self, ends: Iterable[tuple[int, int, int, int]]) -> None:
        """:meth:`cable` each ``(a, port a, b, port b)``, in one go."""
        self.fabric.connect_many(((PortRef(a, pa), PortRef(b, pb)) for a, pa, b, pb in ends),
                                 self.width, self.speed)

    def finish(self, assign_lids: bool = False, lmc: int = 0) -> Fabric:
        """Optionally assign LIDs, then set cabled ports ACTIVE (LID set) or INIT (no LID)."""
        from ibviz.topology.ibnetdiscover import set_cabled_states

        if assign_lids:
            assign_sequential_lids(self.fabric, lmc)
        elif lmc:
            raise ValueError(f"lmc={lmc} needs assign_lids=True")
        set_cabled_states(self.fabric)
        return self.fabric


def assign_sequential_lids(fabric: Fabric, lmc: int = 0) -> None:
    """LIDs as a fresh sweep would give them: switches first, then CAs, then routers.

    Switches (base port 0 as OpenSM treats it without ``lmc_esp0``) get one LID each
    with LMC 0; every CA and router port gets a base LID aligned to ``2**lmc`` and LMC
    ``lmc``. LIDs are unique across the whole fabric, also when it spans subnets.
    """
    if not 0 <= lmc <= 7:
        raise ValueError(f"lmc must be 0-7, not {lmc}")
    block = 1 << lmc
    lid = 1
    for kind in (NodeKind.SWITCH, NodeKind.CA, NodeKind.ROUTER):
        for node in fabric.nodes.values():
            if node.kind is not kind:
                continue
            for port in node.lid_ports():
                step, port_lmc = (1, 0) if kind is NodeKind.SWITCH else (block, lmc)
                lid = -(-lid // step) * step  # align up
                if lid + step - 1 > 0xBFFF:
                    raise ValueError(f"fabric needs more than the 49151 unicast LIDs "
                                     f"(lmc={lmc})")
                fabric.assign_lid(PortRef(node.guid, port.num), lid, port_lmc)
                lid += step
