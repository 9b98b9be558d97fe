"""A scenario: a fabric, the SM's options, groups, traffic, failover and a timeline.

Pure data, independent of the file format (:mod:`ibviz.topology.scenarios` reads YAML into
it). Node names are resolved against the fabric when a :class:`~ibviz.core.scenario.
session.Session` is built; errors then name the scenario key and, when known, its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ibviz.core.actions import JOIN_STATES, TIMELINE_KINDS
from ibviz.core.failover.model import Detection, Failback

TRANSPORTS = ("UD", "RC", "UC", "RD", "raw")
WORKAROUNDS = ("none", "accept_multicast", "unicast_lid")
ACTIONS = TIMELINE_KINDS
__all__ = ["ACTIONS", "JOIN_STATES"]  # re-exported for the scenario reader


class ScenarioError(ValueError):
    """A scenario that cannot run; ``key`` is the scenario key (``flows[1].source``)."""

    def __init__(self, message: str, key: str = "", line: int | None = None,
                 source: str = "") -> None:
        self.key, self.line, self.source, self.detail = key, line, source, message
        where = source or "scenario"
        if line is not None:
            where += f":{line}"
        super().__init__(f"{where}: {key + ': ' if key else ''}{message}")


@dataclass
class SmOptions:
    lmc: int = 0
    routing: str = "minhop"
    no_mft_switches: list[str] = field(default_factory=list)
    """Switches that keep no multicast table (MulticastFDBCap = 0): mode 2's case."""


@dataclass
class MemberSpec:
    node: str
    join_state: str = "full"


@dataclass
class GroupSpec:
    name: str
    mgid: int
    members: list[MemberSpec] = field(default_factory=list)
    unicast_lid: int | None = None
    """A unicast-range LID (< 0xC000) the SM associates with the group (RC/UC)."""
    qkey: int = 0x1E1E


@dataclass
class FlowSpec:
    name: str
    source: str
    """A node, or ``group:NAME`` for whichever node serves the group."""
    destination: str
    """A node, or ``group:NAME``."""
    transport: str = "UD"
    rate_pps: float = 10_000.0
    size: int = 256
    start_us: float = 0.0
    stop_us: float | None = None
    pattern: str = "constant"
    """``constant`` or ``poisson`` (exponential gaps drawn from the scenario seed)."""
    slid: str = "port"
    """``port``, or ``mlid``: a UD server uses the group's MLID as its SLID."""
    learn: str = "none"
    """``none``, ``slid`` (the client learns the MLID from a packet's SLID) or
    ``path_record`` (it asks the SA)."""
    learn_from: str | None = None
    """With ``learn: slid``: the flow whose packets teach the address."""
    workaround: str = "none"
    """RC/UC/RD to a group: ``accept_multicast`` or ``unicast_lid``."""
    ack_timeout_us: float = 200.0
    retry_count: int = 7
    window: int = 16


@dataclass
class FailoverSpec:
    group: str
    primary: str
    takeover: str
    mode: str = "auto"
    exclusive: bool = False
    switch: str | None = None
    detection: Detection = field(default_factory=Detection)
    failback: Failback = field(default_factory=Failback)


@dataclass
class Action:
    """A timeline entry as written in a scenario (nodes by name); the session resolves it
    into one of :mod:`ibviz.core.actions`."""

    at_us: float
    kind: str
    node: str | None = None
    group: str | None = None
    port: int | None = None
    join_state: str = "full"
    primary: int | None = None
    not_primary: int | None = None


@dataclass
class Scenario:
    name: str
    fabric: str
    description: str = ""
    sm: SmOptions = field(default_factory=SmOptions)
    groups: list[GroupSpec] = field(default_factory=list)
    flows: list[FlowSpec] = field(default_factory=list)
    failover: list[FailoverSpec] = field(default_factory=list)
    timeline: list[Action] = field(default_factory=list)
    duration_us: float = 10_000.0
    seed: int = 0
    source: str = ""
    """The file it came from (for error messages)."""
    lines: dict[str, int] = field(default_factory=dict)
    """Scenario key (``flows[0].source``) -> line in the file."""

    def error(self, key: str, message: str) -> ScenarioError:
        line = self.lines.get(key)
        probe = key
        while line is None and probe:
            probe = probe.rsplit(".", 1)[0] if "." in probe else probe.rsplit("[", 1)[0] \
                if "[" in probe else ""
            line = self.lines.get(probe)
        return ScenarioError(message, key, line, self.source)
