"""The subnet manager as a real fabric's files describe it: ``sminfo`` output (state, LID,
priority), ``opensm.log`` (state, port, sweeps) and the master SM's mark in
``opensm-subnet.lst`` or ibdiagnet's files (its port). Later sources refine earlier ones:
the mark, then the log, then ``sminfo``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.naming import lid_text, node_name


def clock(t: float | None, with_date: bool = False) -> str:
    """Local wall-clock text of epoch seconds ``t`` (``unknown`` for None)."""
    if not t:
        return "unknown"
    return time.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S", time.localtime(t))


@dataclass
class SmFacts:
    """The subnet manager as the files describe it; None: no file says."""

    state: str = "unknown"
    where: str | None = None
    priority: int | None = None
    last_sweep: float | None = None
    sweeps: int = 0
    sources: list[str] = field(default_factory=list)
    shown: str | None = None
    """``where`` as the canvas names it: the LID in decimal, ``leaf01 (LID 1)`` (the
    window's narration); ``where`` keeps the dumps' hex for the command line."""

    def line(self) -> str:
        """``SM MASTER on leaf01 (LID 0x0001), priority 15, last sweep 13:26:39``."""
        text = f"SM {self.state}"
        if self.where:
            text += f" on {self.where}"
        if self.priority is not None:
            text += f", priority {self.priority}"
        if self.last_sweep:
            text += f", last sweep {clock(self.last_sweep)} ({self.sweeps} in the log)"
        return text + (f" [from {', '.join(self.sources)}]" if self.sources else
                       " [no file names the SM]")


def _port_name(fabric: Fabric, guid: int, canvas: bool = False) -> str | None:
    """Name of the node owning port GUID (or node GUID) ``guid``, with its LID (in hex as
    the dumps write it; ``canvas``: as the canvas draws it)."""
    for node in fabric.nodes.values():
        for port in node.lid_ports():
            pguid = node.guid if node.kind is NodeKind.SWITCH else port.guid
            if guid in (pguid, node.guid):
                if not port.lid:
                    return node_name(node)
                lid = lid_text(port.lid, port.lmc) if canvas else f"{port.lid:#06x}"
                return f"{node_name(node)} (LID {lid})"
    return None


def _place(facts: SmFacts, fabric: Fabric, guid: int, fallback: str, shown: str) -> None:
    """Set where the SM is, for the command line and for the window."""
    facts.where = _port_name(fabric, guid) or fallback
    facts.shown = _port_name(fabric, guid, canvas=True) or shown


def sm_facts(state: Any, fabric: Fabric) -> SmFacts:
    """From a :class:`~ibviz.topology.state.FabricState` and the fabric it was put on."""
    facts = SmFacts()
    sm_mark: PortRef | None = fabric.master_sm
    if sm_mark is not None and sm_mark.node in fabric.nodes:
        facts.state = "MASTER"
        _place(facts, fabric, sm_mark.node, f"{sm_mark.node:#018x}", f"{sm_mark.node:#018x}")
        facts.sources.append("the SM mark in the topology")
    log = getattr(state, "sm_log", None)
    if log is not None:
        facts.sources.append("opensm.log")
        if log.state:
            facts.state = "gone (Exiting SM)" if log.exited else log.state
        if log.port_guid is not None:
            guid = f"port {log.port_guid:#018x}"
            _place(facts, fabric, log.port_guid, guid, guid)
        facts.priority = log.priority
        facts.last_sweep, facts.sweeps = log.last_sweep, log.sweeps
    info = getattr(state, "sm", None)
    if info is not None:
        facts.sources.append("sminfo")
        facts.state, facts.priority = info.state, info.priority
        _place(facts, fabric, info.guid, f"LID {info.lid:#06x}", f"LID {lid_text(info.lid)}")
    return facts
