"""What the failover controller protects and what it reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from ibviz.core.model import PortRef


class Mode(Enum):
    AUTO = "auto"
    MLID = "mlid"
    """Mode 1, MLID reassignment: the takeover node joins the group (seed FIG. 7/8)."""
    PORT = "port"
    """Mode 2, switch multicast port remap: DefaultMulticastPrimaryPort moves (FIG. 9/10)."""
    LMC = "lmc"
    """Prior art: the takeover port's LMC range is widened over the failed port's LID."""


@dataclass
class Detection:
    """How a failure is noticed.

    ``"peer"``: the takeover node misses ``miss_count`` heartbeats sent every
    ``interval_us``. ``"sm"``: the neighbouring switch's trap 128 reaches the SM, which
    sweeps and reports the port gone.
    """

    method: str = "sm"
    interval_us: float = 1000.0
    miss_count: int = 3
    report_us: float = 20.0
    """SM only: delivering the SA's report (trap 65, GID out of service) to the takeover."""


@dataclass
class Failback:
    state_dump: bool = True
    state_dump_us: float = 500.0
    """Time to copy the takeover node's state to the recovered node."""
    stay_until_expired: bool = False
    connection_lifetime_us: float = 2000.0
    """With ``stay_until_expired``, the takeover leaves only after its connections expire."""


@dataclass
class ProtectedGroup:
    """A multicast address served by ``primary``, to be taken over by ``takeover``."""

    name: str
    mgid: int
    primary: int
    takeover: int
    senders: list[int] = field(default_factory=list)
    mode: Mode = Mode.AUTO
    exclusive: bool = False
    """The fabric allows one member at a time (DLIDs cannot be shared): before the takeover
    joins, it leaves on behalf of the failed node (a proxy leave)."""
    switch: int | None = None
    """Mode 2: the switch whose default multicast ports are remapped."""
    detection: Detection = field(default_factory=Detection)
    failback: Failback = field(default_factory=Failback)
    qkey: int = 0x1E1E


@dataclass
class Outcome:
    """One failover or failback of one group, with its figures."""

    group: str
    node: int
    kind: str
    """``failover`` or ``failback``."""
    mode: Mode
    reason: str
    started_us: float
    detected_us: float | None = None
    restored_us: float | None = None
    mads: int = 0
    nodes_touched: set[int] = field(default_factory=set)
    remote_peers_touched: int = 0
    phases: list[tuple[float, str]] = field(default_factory=list)
    frozen_us: tuple[float, float] | None = None
    """Failback: when the takeover node's connections were frozen (start, end)."""
    target: int | None = None
    """The node that serves the group afterwards."""
    problem: str | None = None
    """Why the group is not served (then ``restored_us`` stays None)."""
    lft_blocks_written: int = 0
    """LFT blocks the strategy's own steps wrote (the SM's sweep for the node loss is not
    counted: every strategy pays it)."""
    mft_blocks_written: int = 0
    takeover_lids_changed: int = 0
    """LIDs of the takeover port it no longer answers to (LMC alignment moved its base)."""
    lids_moved: set[PortRef] = field(default_factory=set)
    """Ports whose unicast LIDs the strategy changed: their connections must be rebuilt."""

    @property
    def outage_us(self) -> float | None:
        if self.restored_us is None:
            return None
        return self.restored_us - self.started_us

    def to_dict(self) -> dict[str, object]:
        def us(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {"group": self.group, "node": f"{self.node:#018x}",
                "target": None if self.target is None else f"{self.target:#018x}",
                "kind": self.kind, "mode": self.mode.value, "reason": self.reason,
                "failed_us" if self.kind == "failover" else "started_us": us(self.started_us),
                "detected_us": us(self.detected_us), "restored_us": us(self.restored_us),
                "outage_us": us(self.outage_us), "problem": self.problem, "mads": self.mads,
                "nodes_touched": len(self.nodes_touched),
                "remote_peers_touched": self.remote_peers_touched,
                "lft_blocks_written": self.lft_blocks_written,
                "mft_blocks_written": self.mft_blocks_written,
                "takeover_lids_changed": self.takeover_lids_changed,
                "frozen_us": None if self.frozen_us is None else
                [us(self.frozen_us[0]), us(self.frozen_us[1])],
                "phases": [{"at_us": us(t), "phase": p} for t, p in self.phases]}


Step = Callable[[Outcome], float]
"""One step of a failover or failback: runs now, returns when the next step may run."""
