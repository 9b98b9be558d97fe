"""What the packet simulator counts: deliveries, and per flow what was sent, delivered,
dropped (by reason), duplicated, looped and copied."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ibviz.core.model import PortRef


@dataclass
class Delivery:
    packet: int
    flow: str
    port: PortRef
    time_us: float


@dataclass(slots=True)
class Counters:
    sent: int = 0
    delivered: int = 0
    dropped: Counter = field(default_factory=Counter)
    duplicates: int = 0
    loops: int = 0
    copies: int = 0
    """Copies made at multicast fan-out points (one per extra output port)."""

    def in_flight(self) -> int:
        return self.sent + self.copies - self.delivered - sum(self.dropped.values())


__all__ = ["Counters", "Delivery"]
