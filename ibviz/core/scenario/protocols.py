"""What the parts of a running scenario (setup, traffic, timeline, logging, report,
narration, wire) need of the session that holds them, as a Protocol: they take this, not
:class:`~ibviz.core.scenario.session.Session`, so no import cycle joins them to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ibviz.core import actions as act
from ibviz.core.events import EventBus
from ibviz.core.fabric import Fabric
from ibviz.core.failover.controller import FailoverController
from ibviz.core.failover.model import Mode
from ibviz.core.history import Window
from ibviz.core.model import PortRef
from ibviz.core.scenario.model import Scenario
from ibviz.core.sim.engine import Engine
from ibviz.core.sim.network import NetworkSim
from ibviz.core.sm.manager import SubnetManager

MftChange = tuple[float, int, int, frozenset[int], frozenset[int]]
"""(time, switch, MLID, old ports, new ports) of an MFT change."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    t_us: float
    kind: str
    text: str
    node: int | None = None
    group: str | None = None
    ref: int | None = None
    """``mad`` entries: the global position of the MAD in ``session.sm.mads.mads``."""


class SessionState(Protocol):
    """The session as its parts see it (see the module docstring)."""

    scenario: Scenario
    fabric: Fabric
    sm: SubnetManager
    controller: FailoverController
    net: NetworkSim
    engine: Engine
    events: EventBus
    log: Window[LogEntry]
    checkpoints: Window[dict]
    mft_changes: Window[MftChange]
    duration_us: float
    seed: int
    mode_override: str | None
    record_hops: bool
    resolve: Callable[[str, str], int]
    flows: list[Any]
    """:class:`~ibviz.core.scenario.traffic.Flow` objects (traffic takes this protocol)."""
    learners: dict[str, Any]
    service_lids: dict[str, int]
    expectations: Any
    ledger: Any
    rejoins: Any
    """:class:`~ibviz.core.scenario.rejoin.Rejoins`: hosts join again when they are back."""
    _lid_memo: dict[PortRef, int]
    epoch: int
    """Counts the events on the session's bus (see ``Session.epoch``)."""

    @property
    def actions(self) -> list[act.Timed]: ...

    def note(self, kind: str, text: str, node: int | None = None,
             group: str | None = None, ref: int | None = None) -> None: ...
    def checkpoint(self, after: str, group: str) -> None: ...
    def label(self, guid: int) -> str: ...
    def port_of(self, guid: int) -> PortRef: ...
    def lid_of(self, port: PortRef) -> int: ...
    def gid_of(self, port: PortRef) -> int: ...
    def mode_of(self, group: str) -> Mode: ...
    def frozen(self, node: int) -> bool: ...
    def path_record_query(self, flow: Any, at_us: float) -> None: ...
