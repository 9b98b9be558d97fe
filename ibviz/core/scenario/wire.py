"""A simulated packet as it is on the wire, and a session's pcapng export.

Every hop leaving a port becomes one frame (data packets and RC ACKs), and every MAD the
SM or the failover controller sent becomes one frame at its send time; each frame's
comment says why it was sent (and an SMP's, to which node; SMPs are directed-route along
:func:`directed_routes`). Each hop is encoded as it is on its cable (a router's new
LRH, an ACK's SGID: :class:`HopEncoder`). Link type ERF (197), ERF record type 21 (InfiniBand), as
Wireshark reads them. RD (its RDETH) and raw datagrams have no encoder here: they are
counted and left out; so are SA PathRecord queries.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ibviz.core.addressing import gid_guid
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.packets import (
    OP_RC_ACK,
    OP_RC_SEND_ONLY,
    OP_UC_SEND_ONLY,
    OP_UD_SEND_ONLY,
    Aeth,
    Bth,
    Deth,
    Grh,
    IbPacket,
    Lrh,
    PcapWriter,
    encode,
    mad_packet,
)
from ibviz.core.packets.headers import ICRC_SIZE, OP_RD_SEND_ONLY, PKEY_DEFAULT, VCRC_SIZE
from ibviz.core.packets.smp import mad_bytes
from ibviz.core.sim.packet import DataPacket
from ibviz.core.sim.router import ports_by_guid
from ibviz.core.sm.mads import SA_CLASS

if TYPE_CHECKING:
    from ibviz.core.scenario.protocols import SessionState as Session

OPCODES = {"UD": OP_UD_SEND_ONLY, "RC": OP_RC_SEND_ONLY, "UC": OP_UC_SEND_ONLY}


DEFAULT_QKEY = 0x1E1E
"""The Q_Key of UD packets to a port (and of a scenario group unless it names another)."""


def to_wire(p: DataPacket, qkey: int = DEFAULT_QKEY) -> IbPacket | None:
    """The IBA packet for ``p`` (None for RD and raw, which are not encoded)."""
    if p.transport not in OPCODES:
        return None
    grh = Grh(sgid=p.sgid, dgid=p.dgid) if p.has_grh else None
    if p.kind == "ack":
        return IbPacket(Lrh(dlid=p.dlid, slid=p.slid),
                        Bth(opcode=OP_RC_ACK, dest_qp=p.dest_qp, psn=p.psn), grh,
                        aeth=Aeth(syndrome=p.syndrome, msn=p.psn & 0xFFFFFF))
    deth = Deth(qkey=qkey, src_qp=p.src_qp) if p.transport == "UD" else None
    bth = Bth(opcode=OPCODES[p.transport], dest_qp=p.dest_qp, psn=p.psn,
              ack_req=p.transport == "RC")
    empty = IbPacket(Lrh(dlid=p.dlid, slid=p.slid), bth, grh, deth)
    room = p.size - empty.header_size - ICRC_SIZE - VCRC_SIZE
    return IbPacket(empty.lrh, bth, grh, deth, payload=bytes(max(0, room) // 4 * 4))


def inspect_packet(p: DataPacket) -> IbPacket:
    """Like :func:`to_wire`, also for RD and raw packets (their BTH opcode shown as RD
    SEND_ONLY / 0; RDETH is not modelled): for the packet inspector."""
    wire = to_wire(p)
    if wire is not None:
        return wire
    grh = Grh(sgid=p.sgid, dgid=p.dgid) if p.has_grh else None
    opcode = OP_RD_SEND_ONLY if p.transport == "RD" else 0
    return IbPacket(Lrh(dlid=p.dlid, slid=p.slid), Bth(opcode=opcode, dest_qp=p.dest_qp,
                                                       psn=p.psn), grh)


def packet_comment(s: Session, pid: int, src, dst) -> str:
    p = s.net.packets[pid]
    name = lambda ref: f"{s.fabric.nodes[ref.node].name}[{ref.port}]"  # noqa: E731
    what = "ACK" if p.kind == "ack" else f"seq {p.seq}"
    return f"flow {p.flow}: {p.transport} {what} PSN {p.psn}: {name(src)} -> {name(dst)}"


class HopEncoder:
    """The bytes each hop puts on its cable. The simulator keeps a packet as sent; on the
    wire, a router forwards it with a new LRH (DLID: the DGID's port, SLID: the router's
    egress port, both in the next subnet) and the GRH's HopLmt one lower, and an RC ACK
    carries its sender's GID as SGID (the simulator leaves it 0; only the pcap shows it)."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self._kinds = {guid: node.kind for guid, node in s.fabric.nodes.items()}
        self._by_guid: dict[int, PortRef] | None = None
        self._routed: dict[int, tuple[int, int, int]] = {}
        """Packet id -> (DLID, SLID, HopLmt) written by the last router it passed."""
        self._cache: dict[tuple[int, tuple[int, int, int] | None], bytes | None] = {}
        self._qkeys = {mgid: f["qkey"] for mgid, f in sa_request_fields(s).items()}

    def frame(self, pid: int, src: PortRef) -> bytes | None:
        """The wire bytes of packet ``pid`` leaving port ``src`` (None: not encoded)."""
        p = self.s.net.packets[pid]
        if p.has_grh and self._kinds[src.node] is NodeKind.ROUTER:
            self._routed[pid] = self._rewrite(pid, p, src)
        key = (pid, self._routed.get(pid))
        if key not in self._cache:
            self._cache[key] = self._encode(pid, p, key[1])
        return self._cache[key]

    def _rewrite(self, pid: int, p: DataPacket, out: PortRef) -> tuple[int, int, int]:
        fabric = self.s.fabric
        if self._by_guid is None:
            self._by_guid = ports_by_guid(fabric)
        dest = self._by_guid.get(gid_guid(p.dgid))
        dlid = fabric.port(dest).lid if dest is not None else p.dlid
        hop_limit = self._routed.get(pid, (0, 0, Grh().hop_limit))[2]
        return dlid, fabric.port(out).lid, max(0, hop_limit - 1)

    def _encode(self, pid: int, p: DataPacket, routed: tuple[int, int, int] | None
                ) -> bytes | None:
        wire = to_wire(p, self._qkeys.get(p.dgid, DEFAULT_QKEY))  # a group's: its Q_Key
        if wire is None:
            return None
        if wire.grh is not None and p.kind == "ack" and not p.sgid:
            wire = replace(wire, grh=replace(wire.grh, sgid=self.s.gid_of(
                self.s.net.sent_at[pid][0])))
        if routed is not None and wire.grh is not None:
            dlid, slid, hop_limit = routed
            wire = replace(wire, lrh=replace(wire.lrh, dlid=dlid, slid=slid),
                           grh=replace(wire.grh, hop_limit=hop_limit))
        return encode(wire)


def sa_request_fields(s: Session) -> dict[int, dict[str, int]]:
    """MGID -> the MCMemberRecord fields the session's SA requests for that group carried
    besides those the SM's MAD record keeps (MGID, PortGID, MLID, JoinState, mask): every
    request (setup, timeline, failover controller) is built with the group's Q_Key, P_Key
    0xFFFF and SL, TClass, FlowLabel 0, so its wire MAD has what its mask claims."""
    qkeys = {mgid: group.qkey for mgid, group in s.sm.sa.groups.items()}
    qkeys.update((g.mgid, g.qkey) for g in s.scenario.groups)
    return {mgid: {"qkey": qkey, "pkey": PKEY_DEFAULT, "tclass": 0, "sl": 0, "flow_label": 0}
            for mgid, qkey in qkeys.items()}


def directed_routes(s: Session) -> dict[int, tuple[int, ...]]:
    """Node -> the directed route of an SMP from the SM to it (the egress port at each node
    on the way), breadth first over the cables in cabling order as the SM counts an SMP's
    hops for its latency; the SM's MAD record keeps the hop count only, so the route is
    found again on the fabric as it is cabled. Routers end a route (directed routes stay in
    one subnet): nodes of other subnets have none (the model runs one SM for all subnets),
    and their SMPs keep hop count 0."""
    if s.sm.sm_port is None:
        return {}
    fabric, start = s.fabric, s.sm.sm_port.node
    routes: dict[int, tuple[int, ...]] = {start: ()}
    frontier = [start]
    while frontier:
        nxt = []
        for guid in frontier:
            if fabric.nodes[guid].kind is NodeKind.ROUTER:
                continue
            for a, b in fabric.cable_keys(guid):
                here, far = (a, b) if a.node == guid else (b, a)
                if far.node not in routes:
                    routes[far.node] = (*routes[guid], here.port)
                    nxt.append(far.node)
        frontier = nxt
    return routes


def write_pcap(s: Session, path: str | Path) -> dict[str, int]:
    """Write the session so far; returns counts of frames written and left out."""
    frames: list[tuple[float, int, bytes, str]] = []
    skipped = 0
    hops = s.net.hops
    hop_bytes = HopEncoder(s)
    for i in range(len(hops) if hops is not None else 0):
        pid = hops.pid(i)
        hop = hops[i]
        data = hop_bytes.frame(pid, hop.src)
        if data is None:
            skipped += 1
            continue
        frames.append((hop.t0, len(frames), data, packet_comment(s, pid, hop.src, hop.dst)))
    sm_lid = s.fabric.port(s.sm.sm_port).lid if s.sm.sm_port else 0
    requests = sa_request_fields(s)
    routes = directed_routes(s)
    for tid, mad in enumerate(s.sm.mads.mads, s.sm.mads.mads.first + 1):
        if mad.mgmt_class == SA_CLASS and int(mad.fields.get("mgid", 0)) in requests:
            mad = replace(mad, fields={**requests[int(mad.fields["mgid"])], **mad.fields})
        to = mad.dst.node if mad.mgmt_class != SA_CLASS and mad.dst else None
        try:
            raw = mad_bytes(mad, tid, routes.get(to, ()) if to is not None else ())
        except ValueError:
            skipped += 1
            continue
        if mad.mgmt_class == SA_CLASS:
            src_lid = s.fabric.port(mad.src).lid if mad.src else 0
            pkt = mad_packet(raw, dlid=sm_lid, slid=src_lid, dest_qp=1)
        else:
            pkt = mad_packet(raw, dlid=0xFFFF, slid=0xFFFF, dest_qp=0)
        target = f" to {s.fabric.nodes[to].name}" if to in s.fabric.nodes else ""
        frames.append((mad.time_us, len(frames), encode(pkt),
                       f"{mad.kind} {mad.attribute}{target}: {mad.reason or 'SM'}"))
    frames.sort()
    with PcapWriter(path) as out:
        for t, _, data, comment in frames:
            out.write(t, data, comment)
    return {"frames": len(frames), "skipped": skipped}
