"""Connected flows (RC, UC, RD): PSNs; RC and RD also ACKs, a window and retries.

RC and RD flows number packets with PSNs, keep up to ``window`` unacknowledged, and go
back to the oldest unacknowledged PSN on a NAK or when the ACK timer fires, giving up
after ``retry_count`` retries without progress (the connection breaks). The responder's
state (expected PSN) belongs to the service, so the node that serves the group after a
failover continues the connection; during a failback's state dump the takeover node's
connections are frozen and it answers nothing. UC sends each message once, as a
datagram flow does (:class:`~ibviz.core.scenario.traffic.Flow`'s send plan).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from ibviz.core.model import PortRef
from ibviz.core.scenario.addressing import Endpoint, NotAddressable, node_address
from ibviz.core.scenario.model import FlowSpec
from ibviz.core.scenario.traffic import FROZEN, RELIABLE, Flow
from ibviz.core.sim.packet import ACK, NAK_SEQUENCE, DataPacket

if TYPE_CHECKING:
    from ibviz.core.scenario.protocols import SessionState as Session


class ConnectedFlow(Flow):
    """RC/RD (reliable: ACKs, retries) and UC (PSNs only)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reliable = self.spec.transport in RELIABLE
        self.next_psn = 0
        self.unacked: deque[tuple[int, int]] = deque()
        """(psn, seq) sent and not yet acknowledged, oldest first."""
        self.backlog: deque[int] = deque()
        self.expected_psn = 0
        self.retries = 0
        self.retransmitted = 0
        self._timer: int | None = None
        self.duplicates = 0
        self.waiting: str | None = None
        """Why the backlog's next message cannot be sent now (None: only the window)."""

    def emit_message(self) -> None:
        if not self.reliable:
            return super().emit_message()
        seq = self.next_seq
        self.next_seq += 1
        self.backlog.append(seq)
        self._pump()

    def _pump(self) -> None:
        while self.backlog and len(self.unacked) < self.spec.window and not self.broken:
            src = self.source_port()
            if src is None:
                self.waiting = "source node down"
                return
            try:
                addr = self.address(src)
            except NotAddressable as exc:
                self.waiting = str(exc)
                return
            self.waiting = None
            seq = self.backlog.popleft()
            psn = self.next_psn
            self.next_psn += 1
            self.unacked.append((psn, seq))
            self.transmit(src, addr, seq, psn)
            self._arm()

    def _arm(self) -> None:
        if self._timer is None:
            self._timer = self.s.engine.after(self.spec.ack_timeout_us, self._timeout)

    def _timeout(self) -> None:
        self._timer = None
        if not self.unacked or self.broken:
            return
        self.retries += 1
        if self.retries > self.spec.retry_count:
            self.broken = f"retry count exceeded ({self.spec.retry_count} retries)"
            self.s.note("flow", f"{self.spec.name}: connection broken: {self.broken}")
            return
        self._go_back(self.unacked[0][0], f"ACK timeout, retry {self.retries}")

    def _go_back(self, psn: int, why: str) -> None:
        """Retransmit everything from ``psn`` on (go-back-N)."""
        src = self.source_port()
        if src is None:
            self._arm()
            return
        try:
            addr = self.address(src)
        except NotAddressable:
            self._arm()
            return
        for p, seq in self.unacked:
            if p >= psn:
                self.retransmitted += 1
                self.transmit(src, addr, seq, p)
        self._arm()

    # -------------------------------------------------------------- responder
    def on_receive(self, pid: int, packet: DataPacket, at: PortRef) -> str | None:
        if self.s.frozen(at.node):
            return FROZEN
        if packet.psn == self.expected_psn or (not self.reliable and
                                               packet.psn > self.expected_psn):
            self.expected_psn = packet.psn + 1
            if self.reliable:
                self._ack(packet, at, ACK, packet.psn)
            return None
        if packet.psn < self.expected_psn:
            self.duplicates += 1
            if self.reliable:
                self._ack(packet, at, ACK, self.expected_psn - 1)
            return "duplicate PSN (retransmission)"
        self._ack(packet, at, NAK_SEQUENCE, self.expected_psn)
        return "PSN out of sequence"

    def _ack(self, packet: DataPacket, at: PortRef, syndrome: int, psn: int) -> None:
        node = self.src.node
        assert node is not None  # a connected flow starts at a node (setup checks)
        requester = self.s.port_of(node)
        try:
            addr = node_address(self.s.sm, at, requester, self.qpn)
        except NotAddressable:
            return
        slid = packet.dlid if not addr.has_grh else self.s.fabric.port(at).lid
        ack = DataPacket(self.spec.name + "/ack", addr.dlid, slid, self.qpn, 64, addr.has_grh,
                         packet.transport, "ack", psn & 0xFFFFFF, dgid=addr.dgid,
                         syndrome=syndrome)
        self.s.net.send(at, ack)

    # -------------------------------------------------------------- requester
    def on_ack(self, pid: int, packet: DataPacket, at: PortRef) -> str | None:
        progressed = False
        while self.unacked and self.unacked[0][0] <= packet.psn - (packet.syndrome != ACK):
            self.unacked.popleft()
            progressed = True
        if progressed:
            self.retries = 0
            if self._timer is not None:
                self.s.engine.cancel(self._timer)
                self._timer = None
        if packet.syndrome == NAK_SEQUENCE:
            self._go_back(packet.psn, "NAK: PSN sequence error")
        elif self.unacked:
            self._arm()
        self._pump()
        return None


def make_flow(session: Session, index: int, spec: FlowSpec, src: Endpoint, dst: Endpoint
              ) -> Flow:
    cls: Callable[..., Flow] = ConnectedFlow if spec.transport in ("RC", "UC", "RD") else Flow
    return cls(session, index, spec, src, dst)
