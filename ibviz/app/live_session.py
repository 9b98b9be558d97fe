"""What the main window reads of a session, for a live backend (the OpenSM lab, a real
fabric): :class:`LiveSession` wraps a started :class:`~ibviz.backends.base.Backend`.

The backend's mirror subnet manager (``backend.sm``) is shown as it is; packets are
animated by the core simulator fed with those tables (ibsim forwards no data packets),
with probe traffic from each protected group's senders to its MLID, as
``ibviz run --backend lab`` plays it. The log and the narration are built from the core
events the backend emits. Undo is not offered: a real subnet cannot be rewound.

Backends may act in a worker thread (the lab's failover takes about half a second):
:class:`GuiThreadBus` holds the events such a thread emits until the GUI thread delivers
them, so every handler (canvas, simulator caches, this log) runs in the GUI thread.
No Qt here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ibviz.app.live_bus import GuiThreadBus
from ibviz.app.live_narration import LiveNarrator
from ibviz.app.live_readonly import SeenLogMixin
from ibviz.backends.base import Backend
from ibviz.core import actions as act
from ibviz.core import events as ev
from ibviz.core.failover.model import Outcome
from ibviz.core.failover.policy import Protection
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.scenario.session import LogEntry
from ibviz.core.scenario.views import SessionViews
from ibviz.core.sim.engine import Engine
from ibviz.core.sim.network import NetworkSim
from ibviz.core.sim.packet import DataPacket

PROBE_GAP_US = 20.0
"""Each probe source sends one packet every 20 simulated microseconds."""
MAX_CATCH_UP_US = 2000.0
"""After a jump ahead, probes are sent for at most this much of the skipped time."""
HORIZON_US = 20_000.0
"""Play runs this far past the newest state; the poll timer moves the end on."""
MAX_PROBED_GROUPS = 8
"""Groups without protection roles (a real fabric's) get one probe source each, up to 8."""


@dataclass
class LiveScenario:
    """Stands in for the scenario: a title, and no scripted flows (the probes are not
    a scenario's flows, so the metrics plot stays empty)."""

    name: str
    flows: tuple = ()


class LiveSession(SeenLogMixin, SessionViews):
    """See the module docstring. ``busy`` is set from :meth:`begin` until :meth:`finish`
    recorded the action's outcome: while a backend action runs in a worker thread the
    simulation stands still (the tables are being rewritten)."""

    def __init__(self, backend: Backend, title: str) -> None:
        self.backend = backend
        self.fabric = backend.fabric
        self.sm = backend.sm
        self.events = backend.fabric.events
        self.read_only = bool(backend.read_only)
        self.title = title
        self.controller: Protection = backend.protection
        self.log: list[LogEntry] = []
        self.actions: list = []
        self.undo_name: str | None = None
        self.redo_name: str | None = None
        self.what_if = False
        """The window's What-if mode is on (the narration says so)."""
        self.undo_hook: Callable[[], str | None] | None = None
        """What Undo does when :attr:`undo_name` is set: the window's What-if sets both
        (a what-if failure on a model can be taken back; the real subnet cannot)."""
        self.mft_changes: list[tuple[float, int, int, frozenset[int], frozenset[int]]] = []
        self.duration_us = HORIZON_US
        self.busy = False
        self.started_us = 0.0
        self.engine = Engine()
        self.net = NetworkSim(self.sm, self.engine)
        self._receivers_stale = True
        self._probed_until = 0.0
        self._seq = 0
        self.narrator = LiveNarrator(self)
        self.init_seen_log()
        self._unsubscribe = self.events.subscribe(ev.Event, self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    def undo(self) -> str | None:
        """A real subnet cannot be rewound: only a what-if failure is undone."""
        return self.undo_hook() if self.undo_hook is not None else None

    def redo(self) -> str | None:
        return None

    @property
    def scenario(self) -> LiveScenario:
        """The title, and the probe flows as the scenario's flows (for the metrics)."""
        return LiveScenario(self.title, tuple(flow for flow, _, _ in self.probe_sources()))

    # ------------------------------------------------------------------ time
    @property
    def now_us(self) -> float:
        return self.engine.now

    def extend_horizon(self) -> None:
        """Let play run on: the end moves to ``HORIZON_US`` past the present."""
        self.duration_us = max(self.duration_us, self.engine.now + HORIZON_US)

    def deliver_pending(self) -> int:
        return self.events.deliver_pending() if isinstance(self.events, GuiThreadBus) else 0

    def run_until(self, t_us: float) -> None:
        """Play the probes on the backend's tables up to ``t_us`` (not while busy; never on
        a read-only backend: its state is what the files say, nothing is simulated)."""
        if self.busy:
            return
        self.deliver_pending()
        if self.read_only:
            return
        if self._receivers_stale:
            self._receivers_stale = False
            self.net.receive.attach_all_groups()
        self._send_probes(t_us)
        if t_us > self.engine.now or self.engine.peek() <= t_us:
            self.engine.run(until=t_us)

    def probe_sources(self) -> list[tuple[str, PortRef, int]]:
        """(flow name, source port, MLID) of every probe: each protected group's live
        senders; without protected groups, the first member of each group."""
        out = []
        groups = self.sm.sa.groups
        for name, pg in self.controller.groups.items():
            group = groups.get(pg.mgid)
            if group is None:
                continue
            for guid in pg.senders:
                port = self._port(guid)
                if port is not None and guid not in self.sm.failed:
                    out.append((f"{name} from {self.fabric.nodes[guid].label}", port,
                                group.mlid))
        if self.controller.groups:
            return out
        for group in sorted(groups.values(), key=lambda g: g.mlid)[:MAX_PROBED_GROUPS]:
            port = min(group.members, default=None)
            if port is not None and port.node not in self.sm.failed and self.fabric.nodes.get(
                    port.node) is not None and self.fabric.port(port).lid:
                out.append((f"MLID {group.mlid:#06x}", port, group.mlid))
        return out

    def _port(self, guid: int) -> PortRef | None:
        node = self.fabric.nodes.get(guid)
        if node is None:
            return None
        if node.kind is NodeKind.SWITCH:
            return PortRef(guid, 0)
        return next((PortRef(guid, n) for n in sorted(node.ports) if n and
                     self.fabric.peer(PortRef(guid, n)) is not None), None)

    def _send_probes(self, t_us: float) -> None:
        start = max(self._probed_until, self.engine.now, t_us - MAX_CATCH_UP_US)
        if t_us <= start:
            return
        sources = self.probe_sources()
        first = math.ceil(start / PROBE_GAP_US)
        last = math.floor(t_us / PROBE_GAP_US)
        for k in range(first, last + 1):
            at = k * PROBE_GAP_US
            if at < start or at >= t_us:
                continue
            for flow, port, mlid in sources:
                self._seq += 1
                self.net.send(port, DataPacket(flow, mlid, self.fabric.port(port).lid,
                                               0xFFFFFF, 256, True, "UD", seq=self._seq),
                              at_us=at)
        self._probed_until = t_us

    # --------------------------------------------------------------- actions
    def begin(self, action: act.Action) -> Callable[[], object]:
        """Start ``action`` (GUI thread): the session is busy from now until
        :meth:`finish`; returns the work to run in a worker thread (the backend's
        :meth:`~ibviz.backends.base.Backend.apply`, the failover policy included)."""
        self.busy = True
        self.started_us = self.engine.now
        backend = self.backend
        return lambda: backend.apply(action)

    def finish(self, result: object) -> None:
        """The worker is done (GUI thread): record the outcomes it returned, then (and
        only then) the session is no longer busy."""
        self.deliver_pending()  # what the backend emitted meanwhile comes first
        if isinstance(result, list):
            for out in result:
                if isinstance(out, Outcome):
                    self.record(out, out.group, self.started_us)
        self.busy = False
        self.extend_horizon()

    def record(self, out: Outcome, group: str, started_us: float) -> None:
        """Keep a failover or failback ``out`` of ``group`` on the session's clock (the
        lab measures wall-clock time; the simulation stood still meanwhile)."""
        out.group = group
        out.started_us = out.detected_us = started_us
        out.restored_us = None if out.problem else self.engine.now
        self.controller.record(out)
        self.narrator.outcome(out)

    # ---------------------------------------------------------- what panels read
    def narration(self) -> list[tuple[float, str]]:
        return list(self.narrator.lines)

    def mad(self, index: int) -> None:
        """The lab's MADs go to OpenSM and ibsim, not through ibviz: none to show."""
        return None

    def flow_series(self, name: str):
        """``(t_us, delivered, lost)``: cumulative probe copies of flow ``name`` delivered
        and really lost (not the normal filtering of surplus copies), at each change."""
        import numpy as np

        from ibviz.core.scenario.report import FILTERING

        rows = sorted([(d.time_us, 1, 0) for d in self.net.deliveries if d.flow == name]
                      + [(d.t_us, 0, 1) for d in self.net.drops
                         if d.flow == name and d.reason not in FILTERING])
        if not rows:
            return np.zeros(0), np.zeros(0, int), np.zeros(0, int)
        table = np.array(rows, float)
        return table[:, 0], np.cumsum(table[:, 1]).astype(int), np.cumsum(table[:, 2]).astype(int)

    def write_pcap(self, path: Any) -> None:
        raise ValueError("a live backend keeps no packet trace to export")

    # ------------------------------------------------------------------ events
    def group_name(self, mgid: int) -> str | None:
        for name, pg in self.controller.groups.items():
            if pg.mgid == mgid:
                return name
        group = self.sm.sa.groups.get(mgid)
        return f"MLID {group.mlid:#06x}" if group is not None else None

    def _protected_name(self, label: str) -> str:
        """The protected group's name for a lab label (its name, or its MGID in hex)."""
        for name, pg in self.controller.groups.items():
            if label in (name, hex(pg.mgid)):
                return name
        return label

    def _on_event(self, e: ev.Event) -> None:
        if isinstance(e, ev.NodeAdded) and e.guid in self.fabric.nodes:
            self._names[e.guid] = self.fabric.nodes[e.guid].label
        if isinstance(e, (ev.MemberJoined, ev.MemberLeft, ev.GroupCreated, ev.GroupDeleted,
                          ev.LidAssigned)):
            self._receivers_stale = True
        if isinstance(e, ev.NodeFailed):
            self.note("fail", f"{self._label(e.guid)} failed", e.guid)
            self.narrator.failed(e.guid)
        elif isinstance(e, ev.NodeRecovered):
            self.note("recover", f"{self._label(e.guid)} is back", e.guid)
        elif isinstance(e, ev.MemberJoined | ev.MemberLeft):
            verb = "joined" if isinstance(e, ev.MemberJoined) else "left"
            self.note("join" if verb == "joined" else "leave",
                      f"{self._label(e.port.node)} port {e.port.port} {verb}",
                      e.port.node, self.group_name(e.mgid))
        elif isinstance(e, ev.GroupCreated | ev.GroupDeleted):
            what = "created" if isinstance(e, ev.GroupCreated) else "deleted"
            self.note("join" if what == "created" else "leave",
                      f"group {e.mgid:#x} {what}, MLID {e.mlid:#06x}")
        elif isinstance(e, ev.MftChanged):
            self.mft_changes.append((self.engine.now, e.switch, e.mlid, e.old, e.new))
            self.note("mft", f"MFT of {self._label(e.switch)}, MLID {e.mlid:#06x}: ports "
                      f"{sorted(e.old) or '-'} -> {sorted(e.new) or '-'}", e.switch)
        elif isinstance(e, ev.LftChanged):
            self.note("sweep", f"LFT of {self._label(e.switch)}: {e.lids_changed} LID(s) "
                      "changed", e.switch)
        elif isinstance(e, ev.PortStateChanged):
            self.note("link", f"{self._label(e.port.node)} port {e.port.port}: "
                      f"{e.old.name} -> {e.new.name}", e.port.node)
        elif isinstance(e, ev.NodeAdded | ev.NodeRemoved):
            what = "appeared" if isinstance(e, ev.NodeAdded) else "disappeared"
            self.note("link", f"{self._label(e.guid)} {what}", e.guid)
        elif isinstance(e, ev.FailoverPhase):
            kind = "failback" if e.phase.startswith("failback") else "failover"
            group = self._protected_name(e.group)
            self.note(kind, f"{group}: {e.phase}", None, group)
