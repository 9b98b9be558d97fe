"""Bring a live fabric up to a newer snapshot, and log what changed in words.

:func:`sync_fabric` applies the difference between the fabric on screen and a freshly
discovered one through the :class:`Fabric` methods, so every change is published as a
core event (``LinkRemoved``, ``NodeRemoved``, ``NodeAdded``, ``LinkAdded``,
``PortStateChanged``, ``LidAssigned``). :class:`ChangeLog` listens to a fabric's events
and keeps one line of text per change.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, fields

from ibviz.core import events as ev
from ibviz.core.diff import FabricDiff, diff_fabrics
from ibviz.core.fabric import Fabric
from ibviz.core.model import Node, PortRef

_NODE_ATTRS = [f.name for f in fields(Node)
               if f.name not in ("guid", "ports", "kind", "num_ports", "declared")]


def sync_fabric(fabric: Fabric, new: Fabric) -> FabricDiff:
    """Make ``fabric`` equal to ``new`` (nodes matched by GUID); returns the difference."""
    d = diff_fabrics(fabric, new)
    for a, _b in d.links_removed:
        if fabric.peer(a) is not None:
            fabric.disconnect(a)
    for guid in d.nodes_removed:
        fabric.remove_node(guid)
    for guid in d.nodes_added:
        fabric.add_node(new.nodes[guid].copy())
    for guid in d.nodes_changed:
        _sync_node(fabric, fabric.nodes[guid], new.nodes[guid])
    for key in d.links_added:
        link = new.links[key]
        fabric.connect(link.a, link.b, link.width, link.speed)
    for key in d.links_changed:
        old, link = fabric.links[key], new.links[key]
        old.width, old.speed = link.width, link.speed
    fabric.master_sm = new.master_sm
    return d


def _sync_node(fabric: Fabric, node: Node, new: Node) -> None:
    if node.kind is not new.kind:  # a different device answers with this GUID: replace it
        fabric.remove_node(node.guid)
        fabric.add_node(new.copy())
        return
    for name in _NODE_ATTRS:
        setattr(node, name, getattr(new, name))
    for num in [n for n in node.ports if n not in new.ports]:
        if fabric.peer(PortRef(node.guid, num)) is not None:
            fabric.disconnect(PortRef(node.guid, num))
        del node.ports[num]
    node.num_ports = new.num_ports
    for num, port in new.ports.items():
        mine = node.ensure_port(num)
        mine.guid, mine.label = port.guid, port.label
        ref = PortRef(node.guid, num)
        fabric.set_port_state(ref, port.state)
        fabric.assign_lid(ref, port.lid, port.lmc)


@dataclass(frozen=True)
class LoggedChange:
    at: float
    """``time.time()`` when the change was seen."""
    event: ev.Event
    text: str

    def __str__(self) -> str:
        return f"{time.strftime('%H:%M:%S', time.localtime(self.at))} {self.text}"


class ChangeLog:
    """Keeps a line of text for every core event published on ``fabric.events``.

    Names of nodes are remembered, so a node that disappeared is still named.
    """

    def __init__(self, fabric: Fabric) -> None:
        self.fabric = fabric
        self.entries: list[LoggedChange] = []
        self._names: dict[int, str] = {}
        self.remember_names()
        self._unsubscribe = fabric.events.subscribe(ev.Event, self._record)

    def remember_names(self) -> None:
        self._names.update({g: n.label for g, n in self.fabric.nodes.items()})

    def close(self) -> None:
        self._unsubscribe()

    def _record(self, event: ev.Event) -> None:
        if isinstance(event, ev.NodeAdded) and event.guid in self.fabric.nodes:
            self._names[event.guid] = self.fabric.nodes[event.guid].label
        self.entries.append(LoggedChange(time.time(), event, self.describe(event)))

    def name(self, guid: int) -> str:
        node = self.fabric.nodes.get(guid)
        return node.label if node is not None else self._names.get(guid, f"{guid:#018x}")

    def port(self, ref: PortRef) -> str:
        return f"{self.name(ref.node)}[{ref.port}]"

    def describe(self, e: ev.Event) -> str:
        """One line of text for an event."""
        if isinstance(e, ev.LinkRemoved):
            return f"link down: {self.port(e.a)} - {self.port(e.b)}"
        if isinstance(e, ev.LinkAdded):
            return f"link up: {self.port(e.a)} - {self.port(e.b)}"
        if isinstance(e, ev.NodeRemoved):
            return f"node gone: {self.name(e.guid)} ({e.guid:#018x})"
        if isinstance(e, ev.NodeAdded):
            return f"node appeared: {self.name(e.guid)} ({e.guid:#018x})"
        if isinstance(e, ev.PortStateChanged):
            return f"port {self.port(e.port)}: {e.old.label} -> {e.new.label}"
        if isinstance(e, ev.LidAssigned):
            return (f"LID of {self.port(e.port)}: {e.old_lid} (LMC {e.old_lmc}) -> {e.lid} "
                    f"(LMC {e.lmc})")
        if isinstance(e, ev.MftChanged):
            return (f"MFT of {self.name(e.switch)} MLID {e.mlid:#06x}: ports "
                    f"{sorted(e.old) or '-'} -> {sorted(e.new) or '-'}")
        if isinstance(e, ev.LftChanged):
            return f"LFT of {self.name(e.switch)}: {e.lids_changed} LIDs routed differently"
        if isinstance(e, (ev.GroupCreated, ev.GroupDeleted)):
            what = "created" if isinstance(e, ev.GroupCreated) else "deleted"
            return f"group {ipaddress.IPv6Address(e.mgid)} (MLID {e.mlid:#06x}) {what}"
        if isinstance(e, ev.MemberJoined):
            return (f"{self.port(e.port)} joined {ipaddress.IPv6Address(e.mgid)} "
                    f"(join state {e.join_state:#x}{', proxy' if e.proxy else ''})")
        if isinstance(e, ev.MemberLeft):
            return f"{self.port(e.port)} left {ipaddress.IPv6Address(e.mgid)}"
        return type(e).__name__
