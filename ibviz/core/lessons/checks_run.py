"""Checks on what happened while the session ran: who serves a group, the mode the
controller chose, packets delivered during the step, the last failover or failback, and
the MADs the SM sent. :data:`CHECKS` is the whole vocabulary, by its lesson-file name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ibviz.core.lessons.checks import Check, CheckResult, Group, Lid, Mft, PrimaryPort, Probe, Route


@dataclass(frozen=True)
class Serving(Check):
    """``{serving: {group: svc, node: second-node}}``: the node serving the group."""

    group: str = ""
    node: str = ""
    FIELDS: ClassVar = {"group": (str,), "node": (str,)}
    REQUIRED: ClassVar = ("group", "node")

    def evaluate(self, p: Probe) -> CheckResult:
        got = p.s.controller.serving.get(self.group)
        return CheckResult(got == p.node(self.node, self.key),
                           f"served by {p.name(got) if got is not None else 'nobody'}")

    def describe(self) -> str:
        return f"{self.node} serves group {self.group}"


@dataclass(frozen=True)
class Mode(Check):
    """``{mode: {group: svc, mode: port, because: "no multicast table"}}``: the failover
    mode chosen for the group (method 100, step 104) and words of its reason."""

    group: str = ""
    mode: str = ""
    because: str | None = None
    FIELDS: ClassVar = {"group": (str,), "mode": (str,), "because": (str,)}
    REQUIRED: ClassVar = ("group", "mode")

    def evaluate(self, p: Probe) -> CheckResult:
        got = p.s.controller.modes.get(self.group)
        if got is None:
            return CheckResult(False, f"group {self.group} is not protected")
        ok = got[0].value == self.mode and (self.because is None or self.because in got[1])
        return CheckResult(ok, f"mode {got[0].value}: {got[1]}")

    def describe(self) -> str:
        why = f" because {self.because!r}" if self.because else ""
        return f"group {self.group} fails over in mode {self.mode}{why}"


@dataclass(frozen=True)
class Receives(Check):
    """``{receives: {node: second-node, dlid: 0xc001, min: 1}}``: packets delivered to
    the node during the step, optionally only those of ``flow``, with this DLID or
    SLID, or whose path crossed node ``via`` (a router)."""

    node: str = ""
    dlid: int | None = None
    slid: int | None = None
    flow: str | None = None
    via: str | None = None
    min: int = 1
    FIELDS: ClassVar = {"node": (str,), "dlid": (int,), "slid": (int,), "flow": (str,),
                        "via": (str,), "min": (int,)}
    REQUIRED: ClassVar = ("node",)

    def evaluate(self, p: Probe) -> CheckResult:
        guid = p.node(self.node, self.key)
        net = p.s.net
        crossed = None
        if self.via is not None:
            hub, hops = p.node(self.via, self.key), p.s.hops
            crossed = {hops[i].pid for i in range(len(hops or ()))
                       if hops[i].t0 >= p.since_us and hops[i].dst.node == hub}
        got = 0
        for d in net.deliveries:
            if d.time_us < p.since_us or d.port.node != guid:
                continue
            pkt = net.packets[d.packet]
            if (self.flow is None or d.flow == self.flow) and \
                    (self.dlid is None or pkt.dlid == self.dlid) and \
                    (self.slid is None or pkt.slid == self.slid) and \
                    (crossed is None or d.packet in crossed):
                got += 1
        return CheckResult(got >= self.min, f"{got} packet(s) during the step")

    def describe(self) -> str:
        what = [f"of flow {self.flow}" if self.flow else "",
                f"to DLID {self.dlid:#06x}" if self.dlid is not None else "",
                f"from SLID {self.slid:#06x}" if self.slid is not None else "",
                f"through {self.via}" if self.via else ""]
        return f"{self.node} receives at least {self.min} packet(s) " + \
            " ".join(w for w in what if w)


@dataclass(frozen=True)
class Outcome(Check):
    """``{outcome: {kind: failback, mode: mlid, phase: "state dump", frozen: true}}``:
    the last failover or failback that began during the step."""

    kind: str = ""
    mode: str | None = None
    phase: str | None = None
    frozen: bool | None = None
    finished: bool = True
    FIELDS: ClassVar = {"kind": (str,), "mode": (str,), "phase": (str,), "frozen": (bool,),
                        "finished": (bool,)}
    REQUIRED: ClassVar = ("kind",)

    def evaluate(self, p: Probe) -> CheckResult:
        found = [o for o in p.s.controller.outcomes
                 if o.kind == self.kind and o.started_us >= p.since_us]
        if not found:
            return CheckResult(False, f"no {self.kind} during the step")
        o = found[-1]
        phases = [text for _t, text in o.phases]
        ok = (self.mode is None or o.mode.value == self.mode) and \
            (self.phase is None or any(self.phase in text for text in phases)) and \
            (self.frozen is None or (o.frozen_us is not None) == self.frozen) and \
            (not self.finished or o.restored_us is not None)
        return CheckResult(ok, f"{o.kind} in mode {o.mode.value}: " + "; ".join(phases))

    def describe(self) -> str:
        extra = [f"in mode {self.mode}" if self.mode else "",
                 f"with a phase {self.phase!r}" if self.phase else "",
                 ("freezing" if self.frozen else "without freezing") + " connections"
                 if self.frozen is not None else ""]
        return f"a {self.kind} {'finishes' if self.finished else 'begins'} " + \
            " ".join(e for e in extra if e)


@dataclass(frozen=True)
class Mads(Check):
    """``{mads: {attribute: LinearForwardingTable, min: 2}}``: MADs the SM and the SA
    exchanged during the step, of one attribute, between ``min`` and ``max``."""

    attribute: str = ""
    min: int = 1
    max: int | None = None
    FIELDS: ClassVar = {"attribute": (str,), "min": (int,), "max": (int,)}
    REQUIRED: ClassVar = ("attribute",)

    def evaluate(self, p: Probe) -> CheckResult:
        got = sum(1 for m in p.s.sm.mads.mads
                  if m.time_us >= p.since_us and m.attribute == self.attribute)
        ok = got >= self.min and (self.max is None or got <= self.max)
        return CheckResult(ok, f"{got} {self.attribute} MAD(s) during the step")

    def describe(self) -> str:
        most = f" and at most {self.max}" if self.max is not None else ""
        return f"at least {self.min}{most} {self.attribute} MAD(s) during the step"


@dataclass(frozen=True)
class Drops(Check):
    """``{drops: {reason: "frozen", flow: requests, min: 1}}``: packet copies that ended
    undelivered during the step, whose reason contains ``reason``."""

    reason: str = ""
    flow: str | None = None
    min: int = 1
    FIELDS: ClassVar = {"reason": (str,), "flow": (str,), "min": (int,)}
    REQUIRED: ClassVar = ("reason",)

    def evaluate(self, p: Probe) -> CheckResult:
        got = sum(1 for d in p.s.drops if d.t_us >= p.since_us and self.reason in d.reason
                  and (self.flow is None or d.flow == self.flow))
        return CheckResult(got >= self.min, f"{got} copies dropped for it during the step")

    def describe(self) -> str:
        flow = f" of flow {self.flow}" if self.flow else ""
        return f"at least {self.min} packet(s){flow} dropped for {self.reason!r}"


CHECKS: dict[str, type[Check]] = {
    "lid": Lid, "route": Route, "group": Group, "mft": Mft, "primary_port": PrimaryPort,
    "serving": Serving, "mode": Mode, "receives": Receives, "outcome": Outcome,
    "mads": Mads, "drops": Drops}
"""Every check kind, by the key a lesson file uses."""
