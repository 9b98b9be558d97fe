"""The check vocabulary: small typed questions asked of a session's model (the SM's
tables, the SA's groups, the failover controller, the packets delivered). No eval:
each kind is a class with named, typed fields; a lesson file names one per check.

Every check reads a :class:`Probe`: the session and the simulated time its step began,
so "receives" counts only what arrived during the step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ibviz.core.lessons.errors import LessonError
from ibviz.core.model import PortRef
from ibviz.core.scenario.model import ScenarioError


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    observed: str


class Probe:
    """What a check may read: ``session`` (a :class:`~ibviz.core.scenario.Session`) and
    ``since_us``, when the step began; names resolve as the scenario resolves them."""

    def __init__(self, session: Any, since_us: float) -> None:
        self.s, self.since_us = session, since_us

    def node(self, name: str, key: str) -> int:
        try:
            return self.s.resolve(name, key)
        except ScenarioError as exc:
            raise LessonError(exc.detail, key) from None

    def port(self, guid: int) -> PortRef:
        return PortRef(guid, 0) if guid in self.s.sm.switch_info else self.s.port_of(guid)

    def name(self, guid: int) -> str:
        return self.s.fabric.nodes[guid].name or hex(guid)

    def group(self, name: str, key: str):
        """The SA's group for the scenario group ``name`` (None: the SA has none now)."""
        spec = next((g for g in self.s.scenario.groups if g.name == name), None)
        if spec is None:
            raise LessonError(f"no group {name!r} in the scenario", key)
        return self.s.sm.sa.groups.get(spec.mgid)


@dataclass(frozen=True)
class Check:
    """Base: ``FIELDS`` maps each field to its accepted YAML types; ``REQUIRED`` lists
    the ones a lesson must give."""

    key: str = field(default="", compare=False)
    FIELDS: ClassVar[dict[str, tuple[type, ...]]] = {}
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    ONE_OF: ClassVar[tuple[str, ...]] = ()
    """At least one of these must be given (else the check would ask nothing)."""

    def evaluate(self, p: Probe) -> CheckResult:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


def lid_text(lid: int) -> str:
    """Small LIDs in decimal (as OpenSM's dumps print them), larger ones in hex too."""
    return str(lid) if lid < 0x100 else f"{lid:#06x}"


@dataclass(frozen=True)
class Lid(Check):
    """``{lid: {node: first-node, lid: 3, lmc: 0}}``: a port's base LID and LMC."""

    node: str = ""
    lid: int | None = None
    lmc: int | None = None
    FIELDS: ClassVar = {"node": (str,), "lid": (int,), "lmc": (int,)}
    REQUIRED: ClassVar = ("node",)
    ONE_OF: ClassVar = ("lid", "lmc")

    def evaluate(self, p: Probe) -> CheckResult:
        port = p.s.fabric.port(p.port(p.node(self.node, self.key)))
        ok = (self.lid is None or port.lid == self.lid) and \
            (self.lmc is None or port.lmc == self.lmc)
        return CheckResult(ok, f"LID {port.lid} LMC {port.lmc}")

    def describe(self) -> str:
        want = [f"LID {self.lid}" if self.lid is not None else "",
                f"LMC {self.lmc}" if self.lmc is not None else ""]
        return f"{self.node} has {' and '.join(w for w in want if w)}"


@dataclass(frozen=True)
class Route(Check):
    """``{route: {switch: switch-2, to: first-node, port: 4}}``: the switch's LFT sends
    the node's base LID (or ``lid``) out of ``port``."""

    switch: str = ""
    port: int = 0
    to: str | None = None
    lid: int | None = None
    FIELDS: ClassVar = {"switch": (str,), "port": (int,), "to": (str,), "lid": (int,)}
    REQUIRED: ClassVar = ("switch", "port")
    ONE_OF: ClassVar = ("to", "lid")

    def evaluate(self, p: Probe) -> CheckResult:
        sw = p.node(self.switch, self.key)
        lid = self.lid if self.lid is not None else \
            p.s.fabric.port(p.port(p.node(self.to or "", self.key))).lid
        lft = p.s.sm.lfts.get(sw)
        got = int(lft[lid]) if lft is not None and lid < len(lft) else 255
        return CheckResult(got == self.port, f"LID {lid_text(lid)} -> port {got}")

    def describe(self) -> str:
        what = f"LID {lid_text(self.lid)}" if self.lid is not None else f"{self.to}'s LID"
        return f"{self.switch} forwards {what} out of port {self.port}"


@dataclass(frozen=True)
class Group(Check):
    """``{group: {group: svc, mlid: 0xc001, unicast_lid: 0x100, has: [second-node],
    lacks: [first-node]}}``: the SA's multicast group."""

    group: str = ""
    mlid: int | None = None
    unicast_lid: int | None = None
    has: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()
    FIELDS: ClassVar = {"group": (str,), "mlid": (int,), "unicast_lid": (int,),
                        "has": (list,), "lacks": (list,)}
    REQUIRED: ClassVar = ("group",)
    ONE_OF: ClassVar = ("mlid", "unicast_lid", "has", "lacks")

    def evaluate(self, p: Probe) -> CheckResult:
        g = p.group(self.group, self.key)
        if g is None:
            return CheckResult(False, "the SA has no such group")
        members = {m.node for m in g.members}
        names = sorted(p.name(n) for n in members if n not in p.s.sm.switch_info)
        ok = (self.mlid is None or g.mlid == self.mlid) and \
            (self.unicast_lid is None or g.unicast_lid == self.unicast_lid) and \
            all(p.node(n, self.key) in members for n in self.has) and \
            not any(p.node(n, self.key) in members for n in self.lacks)
        return CheckResult(ok, f"MLID {g.mlid:#06x}, unicast LID {g.unicast_lid:#06x}, "
                           f"members {', '.join(names) or 'none'}")

    def describe(self) -> str:
        parts = [f"MLID {self.mlid:#06x}" if self.mlid is not None else "",
                 f"unicast LID {self.unicast_lid:#06x}" if self.unicast_lid is not None
                 else "", f"members include {', '.join(self.has)}" if self.has else "",
                 f"not {', '.join(self.lacks)}" if self.lacks else ""]
        return f"group {self.group}: " + "; ".join(x for x in parts if x)


@dataclass(frozen=True)
class Mft(Check):
    """``{mft: {switch: switch-1, mlid: 0xc001, ports: [2, 4]}}``: the switch's
    multicast forwarding table entry for the MLID, exactly these ports."""

    switch: str = ""
    mlid: int = 0
    ports: tuple[int, ...] = ()
    FIELDS: ClassVar = {"switch": (str,), "mlid": (int,), "ports": (list,)}
    REQUIRED: ClassVar = ("switch", "mlid", "ports")

    def evaluate(self, p: Probe) -> CheckResult:
        got = sorted(p.s.sm.mfts.get(p.node(self.switch, self.key), {}).get(self.mlid, ()))
        return CheckResult(got == sorted(self.ports), f"ports {got or 'none'}")

    def describe(self) -> str:
        return f"{self.switch}'s MFT sends MLID {self.mlid:#06x} out of ports " \
               f"{sorted(self.ports)}"


@dataclass(frozen=True)
class PrimaryPort(Check):
    """``{primary_port: {switch: switch-1, port: 2, not_primary: 1}}``: SwitchInfo's
    DefaultMulticastPrimaryPort (and DefaultMulticastNotPrimaryPort)."""

    switch: str = ""
    port: int = 0
    not_primary: int | None = None
    FIELDS: ClassVar = {"switch": (str,), "port": (int,), "not_primary": (int,)}
    REQUIRED: ClassVar = ("switch", "port")

    def evaluate(self, p: Probe) -> CheckResult:
        info = p.s.sm.switch_info.get(p.node(self.switch, self.key))
        if info is None:
            return CheckResult(False, f"{self.switch} is not a switch the SM manages")
        ok = info.default_mcast_primary_port == self.port and (
            self.not_primary is None or info.default_mcast_not_primary_port == self.not_primary)
        return CheckResult(ok, f"DefaultMulticastPrimaryPort {info.default_mcast_primary_port}"
                           f", DefaultMulticastNotPrimaryPort "
                           f"{info.default_mcast_not_primary_port}")

    def describe(self) -> str:
        extra = f" (not-primary {self.not_primary})" if self.not_primary is not None else ""
        return f"{self.switch}'s DefaultMulticastPrimaryPort is {self.port}{extra}"
