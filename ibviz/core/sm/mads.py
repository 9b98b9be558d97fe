"""Every management action as the MAD it would be on the wire, with a modelled latency.

The subnet manager and the failover controller append :class:`Mad` records to a
:class:`MadLog`; cost is then counted (how many, of which kind), timed (each MAD's
latency grows with the directed-route hops it crosses) and, later, exported to pcap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ibviz.core.model import PortRef

SMP_CLASS = 0x81  # directed-route SMP
SA_CLASS = 0x03

ATTR = {"NodeInfo": 0x0011, "SwitchInfo": 0x0012, "PortInfo": 0x0015,
        "LinearForwardingTable": 0x0019, "MulticastForwardingTable": 0x001B,
        "PathRecord": 0x0035, "MCMemberRecord": 0x0038}


@dataclass(frozen=True)
class LatencyModel:
    """Per-hop and processing delays in microseconds (defaults: typical EDR/HDR hardware)."""

    per_hop_us: float = 0.3
    sma_processing_us: float = 2.0
    sa_processing_us: float = 15.0

    def smp(self, hops: int) -> float:
        """Round trip of a directed-route SMP over ``hops`` links."""
        return 2 * hops * self.per_hop_us + self.sma_processing_us

    def sa(self, hops: int) -> float:
        """Round trip of an SA query from a port ``hops`` links away from the SM."""
        return 2 * hops * self.per_hop_us + self.sa_processing_us


@dataclass(frozen=True)
class Mad:
    """One management datagram (request) and what it cost."""

    mgmt_class: int
    method: int
    attribute: str
    modifier: int
    src: PortRef | None
    dst: PortRef | None
    time_us: float
    latency_us: float
    reason: str = ""
    status: int = 0
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "SA" if self.mgmt_class == SA_CLASS else "SMP"

    @property
    def done_us(self) -> float:
        return self.time_us + self.latency_us


class MadLog:
    """Append-only list of MADs with counters."""

    def __init__(self) -> None:
        self.mads: list[Mad] = []

    def add(self, mad: Mad) -> Mad:
        self.mads.append(mad)
        return mad

    def count(self, attribute: str | None = None, since: int = 0) -> int:
        return sum(1 for m in self.mads[since:] if attribute is None or m.attribute == attribute)

    def __len__(self) -> int:
        return len(self.mads)
