"""Write ibviz's SM state in OpenSM 3.3.23's own dump formats, byte for byte.

``guid2lid`` (``osm_db_files.c``: entries in the order of OpenSM's ``st`` hash table),
``opensm-lfts.dump`` (``dump_ucast_lfts``), ``opensm.fdbs`` (``dump_ucast_routes``),
``opensm.mcfdbs`` (``dump_mcast_routes``) and ``opensm-subnet.lst``
(``dump_topology_node``), so ``diff`` against a real SM's dump directory shows only
real differences. Switches come in ``sw_guid_tbl`` order and nodes in
``node_guid_tbl`` order (GUIDs compared as OpenSM's maps compare them,
:func:`~ibviz.core.sm._graph.net_order`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ibviz.core.model import Node, NodeKind, PortRef, PortState
from ibviz.core.phy import LinkSpeed
from ibviz.core.sm._graph import net_order
from ibviz.core.sm.manager import SubnetManager

NO_PATH = 255
DUMP_FILES = ("guid2lid", "opensm-lfts.dump", "opensm.fdbs", "opensm.mcfdbs",
              "opensm-subnet.lst")
_TYPES = {NodeKind.CA: "Channel Adapter", NodeKind.SWITCH: "Switch", NodeKind.ROUTER: "Router"}
_SHORT = {NodeKind.CA: "CA", NodeKind.SWITCH: "SW", NodeKind.ROUTER: "Rt"}
_SPD = {LinkSpeed.SDR: "2.5", LinkSpeed.DDR: "5", LinkSpeed.QDR: "10", LinkSpeed.FDR10: "FDR10",
        LinkSpeed.FDR: "14", LinkSpeed.EDR: "25", LinkSpeed.HDR: "50"}  # 3.3.23: no NDR
_LOG = {PortState.ACTIVE: "ACT", PortState.ARMED: "ARM", PortState.INIT: "INI",
        PortState.DOWN: "DWN"}
_PRIMES = (11, 19, 37, 67, 131, 283, 521, 1033, 2053, 4099, 8219, 16427, 32771, 65581,
           131101, 262147, 524309, 1048583, 2097169, 4194319, 8388617, 16777259)


# ------------------------------------------------------------------------ guid2lid
def _strhash(text: str) -> int:
    """``strhash`` of opensm/st.c (the default variant: ``val * 997 + c``, 32-bit int)."""
    val = 0
    for ch in text.encode():
        val = (val * 997 + ch) & 0xFFFFFFFF
    signed = val - (1 << 32) if val & 0x80000000 else val
    return (signed + (signed >> 5)) & 0xFFFFFFFF


def _new_size(size: int) -> int:
    new = 8
    for prime in _PRIMES:
        if new > size:
            return prime
        new <<= 1
    raise ValueError("st table too large")


def st_order(keys: Iterable[str]) -> list[str]:
    """The order ``st_foreach`` visits string keys inserted in this order (no deletes):
    bins in turn, each newest first, rehashed to the next prime past density 5."""
    bins: list[list[tuple[int, str]]] = [[] for _ in range(_new_size(0))]
    for count, key in enumerate(keys):
        h = _strhash(key)
        if count // len(bins) > 5:
            new: list[list[tuple[int, str]]] = [[] for _ in range(_new_size(len(bins) + 1))]
            for chain in bins:
                for entry in chain:  # head to tail, each pushed on the new chain's head
                    new[entry[0] % len(new)].insert(0, entry)
            bins = new
        bins[h % len(bins)].insert(0, (h, key))
    return [key for chain in bins for _, key in chain]


def format_guid2lid(entries: Iterable[tuple[int, tuple[int, int]]]) -> str:
    """OpenSM's guid2lid file for entries given in insertion order."""
    values = {f"0x{guid:016x}": f"0x{a:04x} 0x{b:04x}" for guid, (a, b) in entries}
    return "".join(f"{key} {values[key]}\n\n" for key in st_order(values))


# ---------------------------------------------------------------------- unicast
def _switches(sm: SubnetManager) -> list[Node]:
    live = sm.reachable if sm.reachable is not None else set(sm.fabric.nodes)
    return sorted((n for n in sm.fabric.switches() if n.guid in live and n.guid in sm.lfts),
                  key=lambda n: net_order(n.guid))


def _max_lid(sm: SubnetManager) -> int:
    """``max_lid_ho``: the top of OpenSM's port_lid_tbl, which never shrinks."""
    return max((b for _, (_, b) in sm.lid_manager.guid2lid_in_order), default=0)


def _owners(sm: SubnetManager) -> dict[int, PortRef]:
    out = {}
    for ref in sm._port_guids.values():
        if sm.port_in_subnet(ref):
            for lid in sm.fabric.port(ref).lids():
                out[lid] = ref
    return out


def _port_guid(node: Node, ref: PortRef) -> int:
    return (node.ports[0].guid or node.guid) if node.kind is NodeKind.SWITCH \
        else node.ports[ref.port].guid


def format_lfts_dump(sm: SubnetManager) -> str:
    """``opensm-lfts.dump``."""
    top, owners, out = _max_lid(sm), _owners(sm), []
    for sw in _switches(sm):
        table = sm.lfts[sw.guid]
        out.append(f"Unicast lids [0-{top}] of switch Lid {sw.ports[0].lid} guid "
                   f"0x{sw.guid:016x} ('{sw.description}'):\n")
        for lid in range(min(top, len(table) - 1) + 1):
            port = int(table[lid])
            if port > sw.num_ports:
                continue
            ref = owners.get(lid)
            if ref is None:
                what = "unknown node and type"
            else:
                node = sm.fabric.nodes[ref.node]
                what = (f"{_TYPES[node.kind]} portguid 0x{_port_guid(node, ref):016x}: "
                        f"'{node.description}'")
            out.append(f"0x{lid:04x} {port:03d} # {what}\n")
        out.append(f"{top} lids dumped\n")
    return "".join(out)


def format_fdbs(sm: SubnetManager) -> str:
    """``opensm.fdbs``: port, hops and optimality of every LID at every switch."""
    lfts = sm.last_lfts
    top, owners, out = _max_lid(sm), _owners(sm), list[str]()
    if lfts is None or lfts.route_hops is None:
        return ""
    route_hops = lfts.route_hops
    row = {g: i for i, g in enumerate(lfts.switches)}
    for sw in _switches(sm):
        table = sm.lfts[sw.guid]
        out.append(f"dump_ucast_routes: Switch 0x{sw.guid:016x}\n"
                   "LID    : Port : Hops : Optimal\n")
        for lid in range(1, top + 1):
            ref = owners.get(lid)
            port = int(table[lid]) if lid < len(table) else NO_PATH
            if ref is None or port == NO_PATH:
                out.append(f"0x{lid:04X} : UNREACHABLE\n")
                continue
            node = sm.fabric.nodes[ref.node]
            peer = sm.fabric.peer(ref)
            dest = ref.node if node.kind is NodeKind.SWITCH or peer is None else peer.node
            hops = 0 if dest == sw.guid else int(route_hops[row[sw.guid], row[dest]])
            hops += node.kind is not NodeKind.SWITCH
            out.append(f"0x{lid:04X} : {port:03d}  : {hops:02d}   : yes\n")
    return "".join(out)


def format_mcfdbs(sm: SubnetManager) -> str:
    """``opensm.mcfdbs``: switches with MFT entries, MLIDs ascending."""
    out: list[str] = []
    for sw in _switches(sm):
        table = {m: p for m, p in sm.mfts.get(sw.guid, {}).items() if p}
        if not table:
            continue
        out.append(f"\nSwitch 0x{sw.guid:016x}\nLID    : Out Port(s)\n")
        for mlid in sorted(table):
            out.append(f"0x{mlid:04X} :" + "".join(f" 0x{p:03X} " for p in sorted(table[mlid]))
                       + "\n")
    return "".join(out)


# ------------------------------------------------------------------- subnet.lst
def _end(sm: SubnetManager, ref: PortRef, sm_lid: int, local: bool) -> str:
    node = sm.fabric.nodes[ref.node]
    base = node.ports[0] if node.kind is NodeKind.SWITCH else node.ports[ref.port]
    mark = "-SM" if base.lid == sm_lid else ""
    ven = f"{node.vendor_id:06X}" if local else f"{node.vendor_id:08X}"
    dev = f"{node.device_id:04X}" if local else f"{node.device_id << 16:08X}"  # ntoh32 of 16 bits
    return (f"{{ {_SHORT.get(node.kind, '**')}{mark} Ports:{node.num_ports:02X} "
            f"SystemGUID:{node.system_guid or node.guid:016x} NodeGUID:{node.guid:016x} "
            f"PortGUID:{_port_guid(node, ref):016x} VenID:{ven} DevID:{dev} "
            f"Rev:{node.revision:08X} {{{node.description}}} LID:{base.lid:04X} "
            f"PN:{ref.port:02X} }} ")


def format_subnet_lst(sm: SubnetManager) -> str:
    """``opensm-subnet.lst``: every cable from both ends, nodes in node_guid_tbl order."""
    sm_node = sm.fabric.nodes[sm.sm_port.node]
    sm_lid = (sm_node.ports[0] if sm_node.kind is NodeKind.SWITCH
              else sm_node.ports[sm.sm_port.port]).lid
    live = sm.reachable if sm.reachable is not None else set(sm.fabric.nodes)
    out = []
    for node in sorted((sm.fabric.nodes[g] for g in live), key=lambda n: net_order(n.guid)):
        for num in range(1, node.num_ports + 1):
            link = sm.fabric.link_at(PortRef(node.guid, num))
            if link is None or not sm.usable(link):
                continue
            here = PortRef(node.guid, num)
            peer = link.b if link.a == here else link.a
            state = _LOG[node.ports[num].state]
            out.append(_end(sm, here, sm_lid, True) + _end(sm, peer, sm_lid, False)
                       + f"PHY={link.width.label if link.width else '??'} LOG={state} "
                       f"SPD={_SPD.get(link.speed, '??') if link.speed else '??'}\n")
    return "".join(out)


def write_dump_dir(sm: SubnetManager, directory: str | Path) -> list[Path]:
    """Write the five files into ``directory`` (created if needed); return their paths."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    texts = {"guid2lid": format_guid2lid(sm.lid_manager.guid2lid_in_order),
             "opensm-lfts.dump": format_lfts_dump(sm), "opensm.fdbs": format_fdbs(sm),
             "opensm.mcfdbs": format_mcfdbs(sm), "opensm-subnet.lst": format_subnet_lst(sm)}
    paths = []
    for name in DUMP_FILES:
        path = d / name
        path.write_text(texts[name], encoding="utf-8")
        paths.append(path)
    return paths
