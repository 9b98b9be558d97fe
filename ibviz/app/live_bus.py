"""Backend plumbing for the live window (no Qt): an event bus that hands events emitted
by worker threads to the GUI thread, and the lab's demo failover group."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from ibviz.core import events as ev
from ibviz.core.failover.model import Mode, ProtectedGroup


class GuiThreadBus(ev.EventBus):
    """An event bus that delivers at once in the thread that created it and queues what
    other threads emit until :meth:`deliver_pending` (called by the GUI thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.owner = threading.get_ident()
        self.pending: deque[ev.Event] = deque()

    def emit(self, event: ev.Event) -> None:
        if threading.get_ident() == self.owner:
            super().emit(event)
        else:
            self.pending.append(event)

    def deliver_pending(self) -> int:
        """Deliver the queued events (GUI thread only); returns how many."""
        count = 0
        while self.pending:
            super().emit(self.pending.popleft())
            count += 1
        return count


def install_gui_bus(backend: Any, bus: GuiThreadBus) -> None:
    """Give ``backend`` (not started yet) ``bus`` (created in the GUI thread) in place of
    its own event bus, keeping whoever already listens."""
    old = backend.fabric.events
    bus.adopt(old)
    backend.fabric.events = bus
    backend.sm.events = bus


def set_up_demo_group(lab: Any, roles: dict[str, Any], name: str = "svc",
                      timeout: float = 10.0) -> ProtectedGroup:
    """On a started lab, the demo group of ``run_lab_scenario``'s ``mlid`` run: the
    primary joins as a Full member and the senders as send-only full members (so OpenSM
    keeps the group and its MLID when the primary fails); waits for OpenSM's tree."""
    from ibviz.backends.lab import LAB_MGID
    from ibviz.core.sm.records import JoinState

    lab.join(roles["primary"], LAB_MGID, JoinState.FULL)
    for sender in roles["senders"]:
        lab.join(sender, LAB_MGID, JoinState.SEND_ONLY_FULL)
    group = lab.sm.sa.groups[LAB_MGID]
    group.name = name
    mlid = group.mlid
    lab.wait_until(lambda: bool(lab.sm.mfts.get(roles["switch"], {}).get(mlid)), timeout,
                   "OpenSM to program the demo group's tree")
    return ProtectedGroup(name, LAB_MGID, roles["primary"], roles["takeover"],
                          list(roles["senders"]), Mode.MLID, switch=roles["switch"])
