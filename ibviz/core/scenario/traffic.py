"""Traffic sources: datagram flows (:mod:`ibviz.core.scenario.connected` adds RC, UC
and RD).

A flow sends at its rate from ``start_us`` to ``stop_us`` (constant gaps, or Poisson gaps
from the scenario's seed). Each application message has a sequence number; datagram
flows send it once. A datagram flow keeps a *send plan*: its source port and cable, SLID,
SGID, address and the packet's constant fields, looked up once and kept while nothing
they depend on can have changed: no event on the session's bus (LIDs, failures, links,
sweeps, joins, leaves, group creation and deletion: ``Session.epoch``), the same entry in
the controller's modes for the destination group and the same serving node for a group
source (both changed without an event), and no new learned address. RC and RD flows
look their addresses up per packet, and so do a unicast flow to another subnet (routers
come and go) and a UC flow to a group's unicast-range LID (set without an event).
"""

from __future__ import annotations

import random
from functools import partial
from math import log
from typing import TYPE_CHECKING

from ibviz.core.model import PortRef
from ibviz.core.scenario.addressing import (
    FLOW_QP_BASE,
    Address,
    Endpoint,
    NotAddressable,
    node_address,
    service_address,
)
from ibviz.core.scenario.model import FlowSpec
from ibviz.core.sim.packet import ACK, DataPacket

if TYPE_CHECKING:
    from ibviz.core.scenario.protocols import SessionState as Session

RELIABLE = ("RC", "RD")
FROZEN = "frozen during the failback state dump"


class Flow:
    """One flow of a session (datagrams; :class:`ConnectedFlow` adds PSNs)."""

    def __init__(self, session: Session, index: int, spec: FlowSpec, src: Endpoint,
                 dst: Endpoint) -> None:
        self.s, self.spec, self.src, self.dst = session, spec, src, dst
        self.qpn = FLOW_QP_BASE + index
        self.rng = random.Random(session.seed * 1_000_003 + index)
        self.next_seq = 0
        self.not_sent: dict[str, int] = {}
        self._learned: int | None = None
        self._plan: tuple | None = None
        """The datagram send plan (see :meth:`_replan`), kept while it holds."""
        self._learners: tuple[Flow, ...] | None = None
        """The flows that learn the service address from this one's SLIDs (on use)."""
        self.stop_us = spec.stop_us if spec.stop_us is not None else session.duration_us
        self.broken: str | None = None
        self._unicast: tuple[int, Address] | None = None
        """(destination LID, the address it gave) of a unicast flow in one subnet."""
        self._dst_port: PortRef | None = None
        """A unicast flow's destination port (cabling never changes in a session)."""
        self._mean = 1e6 / spec.rate_pps
        self._rate = 1 / self._mean
        self._poisson = spec.pattern == "poisson"
        self._mlid_slid = spec.slid == "mlid" and src.group is not None
        """Whether the SLID is the served group's MLID (else the source port's LID)."""
        self._src_group, self._dst_group = src.group, dst.group
        self._plannable = dst.group is not None and not (
            spec.transport in ("RC", "UC", "RD") and spec.workaround == "unicast_lid")
        """Whether a group flow's plan is kept (not for a group's unicast-range LID, set
        without an event); a unicast flow's is kept in one subnet (see :meth:`address`)."""

    @property
    def learned(self) -> int | None:
        """The service address the flow learned (a path record's or a SLID's MLID)."""
        return self._learned

    @learned.setter
    def learned(self, mlid: int | None) -> None:
        self._learned = mlid
        self._plan = None

    # --------------------------------------------------------------- schedule
    def start(self) -> None:
        first = self.spec.start_us + self._gap() * self.rng.random()
        if self.spec.learn == "path_record":
            self.s.path_record_query(self, self.spec.start_us)
        self.s.engine.at(first, self._tick)

    def _gap(self) -> float:
        """The time to the next message: exponential (``random.expovariate``'s formula,
        inline: once per message) or the fixed interval."""
        return -log(1.0 - self.rng.random()) / self._rate if self._poisson else self._mean

    def _tick(self) -> None:
        engine = self.s.engine
        now = engine.now
        if now > self.stop_us or self.broken:
            return
        self.emit_message()
        engine.push(now + self._gap(), self._tick, ())

    # ---------------------------------------------------------------- sending
    def source_port(self) -> PortRef | None:
        s = self.s
        node = self.src.node if self.src.group is None else \
            s.controller.serving.get(self.src.group)
        if node is None or node in s.sm.failed:
            return None
        return s.port_of(node)

    def skip(self, reason: str) -> None:
        self.not_sent[reason] = self.not_sent.get(reason, 0) + 1

    def address(self, src: PortRef) -> Address:
        spec = self.spec
        if self.dst.group is None:
            dst = self._dst_port
            if dst is None:
                dst = self._dst_port = self.s.port_of(self.dst.node)
            lid = self.s.lid_of(dst)
            cached = self._unicast
            if cached is not None and cached[0] == lid:
                return cached[1]
            addr = node_address(self.s.sm, src, dst, self.qpn, lid)
            if len(self.s.sm.fabric.subnets) <= 1:  # in one subnet: the LID alone
                self._unicast = (lid, addr)
            return addr
        if spec.learn != "none" and self.learned is None:
            raise NotAddressable(f"the service address is not learned yet ({spec.learn})")
        mode = self.s.mode_of(self.dst.group)
        return service_address(self.s.sm, self.dst, spec.transport, spec.workaround, mode,
                               self.s.service_lids.get(self.dst.group, 0), self.learned)

    def slid(self, src: PortRef) -> int:
        if self._mlid_slid:
            group = self.s.sm.sa.groups.get(self.src.mgid)
            if group is not None:
                return group.mlid
        return self.s.lid_of(src)

    def emit_message(self) -> None:
        """Send the next message (one packet) by the plan, made again when it may not
        hold: any event on the session's bus, the group's mode or serving node changed,
        or the flow learned an address."""
        s = self.s
        plan = self._plan
        if plan is None or plan[0] != s.epoch or (
                self._dst_group is not None and
                s.controller.modes.get(self._dst_group) is not plan[1]) or (
                self._src_group is not None and
                s.controller.serving.get(self._src_group) != plan[2]):
            plan = self._replan()
            if plan is None:
                return
        seq = self.next_seq
        self.next_seq = seq + 1
        s.net.send_over(plan[3], plan[7], plan[4](seq & 0xFFFFFF, self.qpn, plan[5], plan[6],
                                                  0, ACK, seq))

    def _replan(self) -> tuple | None:
        """(epoch, the group's modes entry, the serving node, source port, the packet
        maker with the constant fields, SGID, DGID, the source port's cable), kept as
        :attr:`_plan` when it may be; None (the reason counted) when nothing can be sent
        now."""
        s = self.s
        epoch = s.epoch
        mode = s.controller.modes.get(self._dst_group) if self._dst_group else None
        node = s.controller.serving.get(self._src_group) if self._src_group else None
        src = self.source_port()
        if src is None:
            self.skip("source node down")
            return None
        try:
            addr = self.address(src)
        except NotAddressable as exc:
            self.skip(str(exc))
            return None
        make = partial(DataPacket, *self._fixed_fields(src, addr))
        plan = (epoch, mode, node, src, make, s.gid_of(src), addr.dgid, s.net.cable(src))
        if self._plannable or self._unicast is not None and self._unicast[1] is addr:
            self._plan = plan
        return plan

    def _fixed_fields(self, src: PortRef, addr: Address) -> tuple:
        """A data packet's leading fields from ``src`` to ``addr``: flow, DLID, SLID,
        DestQP, size, GRH, transport, kind (the send plan's and :meth:`transmit`'s)."""
        spec = self.spec
        slid = self.slid(src) if self._mlid_slid else self.s.lid_of(src)
        return (spec.name, addr.dlid, slid, addr.dest_qp, spec.size, addr.has_grh,
                spec.transport, "data")

    def transmit(self, src: PortRef, addr: Address, seq: int, psn: int) -> None:
        """Send message ``seq`` as packet ``psn`` (24 bits) from ``src`` to ``addr``."""
        s = self.s
        s.net.send(src, DataPacket(*self._fixed_fields(src, addr), psn & 0xFFFFFF, self.qpn,
                                   s.gid_of(src), addr.dgid, 0, ACK, seq))

    def on_receive(self, pid: int, packet: DataPacket, at: PortRef) -> str | None:
        """Transport-level acceptance at the receiver (None: accepted)."""
        s = self.s
        if s.controller.frozen_windows and s.frozen(at.node):
            return FROZEN
        learners = self._learners
        if learners is None:  # the session's learners are complete once packets fly
            learners = self._learners = tuple(s.learners.get(self.spec.name, ()))
        for other in learners:
            other.learn_from_slid(packet.slid)
        return None

    def learn_from_slid(self, slid: int) -> None:
        from ibviz.core.addressing import is_multicast_lid

        if self.learned is None and is_multicast_lid(slid):
            self.learned = slid
            self.s.note("learn", f"{self.spec.name}: learned the service address "
                        f"{slid:#06x} from a packet's SLID (the MLID used as SLID)")
