"""A running scenario: the SM, the failover controller, the traffic and the timeline on
one event engine, plus the user's actions with undo and redo.

Deterministic for a scenario and a seed. User actions are recorded with the simulated
time they were taken at (see :mod:`ibviz.core.scenario.rewind`); :meth:`Session.seek` goes
to any time, re-simulating from the start to go back. Undo removes the last action and
rebuilds the session by replaying the scenario and the remaining actions up to that time
(redo puts it back), so the state after an undo is exactly the state the user saw before
the action.
"""

from __future__ import annotations

import math

from ibviz.core import actions as act
from ibviz.core import events as ev
from ibviz.core.bulk import gc_paused
from ibviz.core.fabric import Fabric
from ibviz.core.failover.controller import FailoverController
from ibviz.core.failover.model import Mode
from ibviz.core.history import CHANGE_WINDOW, LOG_WINDOW, OUTCOME_WINDOW, Window
from ibviz.core.model import PortRef
from ibviz.core.scenario.model import Scenario
from ibviz.core.scenario.narration import NODE_EVENTS
from ibviz.core.scenario.protocols import LogEntry
from ibviz.core.scenario.rewind import Step, drop_sentence, plan, script_cut
from ibviz.core.scenario.setup import build_session_parts
from ibviz.core.scenario.timeline import resolve_entry, schedule
from ibviz.core.scenario.views import SessionViews
from ibviz.core.sim.engine import Engine
from ibviz.core.sim.network import NetworkSim
from ibviz.core.sm.manager import SubnetManager

__all__ = ["LogEntry", "Session"]


class Session(SessionViews):
    """See the module docstring; the GUI and ``ibviz run`` both drive one of these."""

    def __init__(self, scenario: Scenario, fabric: Fabric, *, mode: str | None = None,
                 seed: int | None = None, record_hops: bool = True) -> None:
        self.scenario = scenario
        self.mode_override = mode
        self.seed = scenario.seed if seed is None else seed
        self.duration_us = scenario.duration_us
        self.record_hops = record_hops
        self._pristine = fabric.copy()
        self.events = fabric.events
        self.steps: list[Step] = []
        """The user's actions, in time order, with what each dropped."""
        self._redo: list[Step] = []
        self._build(fabric)

    @property
    def actions(self) -> list[act.Timed]:
        """The user's actions with their times (saved in session files)."""
        return [step.timed for step in self.steps]

    # ----------------------------------------------------------------- build
    def _build(self, fabric: Fabric) -> None:
        fabric.events = self.events
        self.fabric = fabric
        self.log: Window[LogEntry] = Window(LOG_WINDOW)
        """The event log (global positions; the newest ``LOG_WINDOW`` entries kept)."""
        self.node_events: list[LogEntry] = []
        """Every node failure and return in the log, kept when the log drops them (a
        switch's re-route on a big fabric logs more MADs than the log keeps)."""
        self.checkpoints: Window[dict] = Window(OUTCOME_WINDOW)
        """After each finished failover or failback: the group's receivers (see report)."""
        self.mft_changes: Window[tuple[float, int, int, frozenset[int], frozenset[int]]] = \
            Window(CHANGE_WINDOW)
        """(time, switch, MLID, old ports, new ports) of the MFT changes (newest kept)."""
        self._port_memo: dict[int, PortRef] = {}
        self._gid_memo: dict[PortRef, int] = {}
        self._lid_memo: dict[PortRef, int] = {}
        self.engine = Engine()
        self.epoch = 0
        """Counts the events on the session's bus since it was built (every SM and
        failover change: LIDs, failures, links, groups, MADs, phases): a flow's send plan
        is kept while it holds (see :mod:`ibviz.core.scenario.traffic`)."""
        parts = build_session_parts(self, self.scenario, fabric, self.mode_override)
        self.sm: SubnetManager = parts.sm
        self.controller: FailoverController = parts.controller
        self.net: NetworkSim = parts.net
        self.flows = parts.flows
        self.learners = parts.learners
        self.service_lids = parts.service_lids
        self.resolve = parts.resolve
        self._unsubscribe = [*parts.unsubscribe, self.events.subscribe(ev.Event, self._moved)]
        from ibviz.core.scenario.rejoin import Rejoins

        self.rejoins = Rejoins(self)
        self._unsubscribe += self.rejoins.subscribe(self.events)
        from ibviz.core.scenario.ledger import Ledger
        from ibviz.core.scenario.report import ExpectationRecorder

        self.expectations = ExpectationRecorder(self)
        self.ledger = Ledger(self)
        """Folds old finished packets into the report's counters (bounded memory)."""
        self.net.on_send = self.ledger.on_send
        self.script: list[tuple[float, act.Action]] = []
        """The scenario's timeline, resolved (also the entries a user step dropped)."""
        cut = script_cut(self.steps)
        for i, entry in enumerate(self.scenario.timeline):
            key = f"timeline[{i}]"
            action = resolve_entry(self, entry, key)
            self.script.append((entry.at_us, action))
            if entry.at_us <= cut:
                schedule(self, entry.at_us, action, key)
        self._played = 0
        """How many of :attr:`steps` this build has applied (each at its time)."""
        self._built_events = self.engine.events_run

    def _rebuild(self, until: float) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._build(self._pristine.copy())
        self.run_until(until)
        self.events.emit(ev.SessionReset(self.engine.now))

    # --------------------------------------------------------------- running
    @property
    def now_us(self) -> float:
        return self.engine.now

    @property
    def script_cut_us(self) -> float:
        """The script's entries after this time are dropped (``inf``: none are)."""
        return script_cut(self.steps)

    def seek(self, t_us: float) -> None:
        """Go to simulated time ``t_us``: forward by running, back by re-simulating from
        the start (the same state as when that time was first reached)."""
        if t_us >= self.engine.now:
            self.run_until(t_us)
        elif self.engine.events_run == self._built_events and self.engine.peek() == math.inf:
            self.engine.now = self.sm.now_us = max(0.0, t_us)  # nothing ever happened:
        else:                                                # the same state at any time
            self._rebuild(max(0.0, t_us))

    def next_event_us(self) -> float:
        """When the next thing happens (``inf``: nothing is scheduled)."""
        nxt = self.engine.peek()
        if self._played < len(self.steps):
            nxt = min(nxt, self.steps[self._played].at_us)
        return nxt

    def run_until(self, t_us: float) -> None:
        """Advance simulated time to ``t_us`` (never backwards), taking the user's steps
        at their times, each after everything else at its instant."""
        while self._played < len(self.steps) and self.steps[self._played].at_us <= t_us:
            step = self.steps[self._played]
            self._run(step.at_us)
            self._take(step)
        self._run(t_us)

    def _take(self, step: Step) -> None:
        schedule(self, step.at_us, step.timed.action)
        self._played += 1
        if step.drops:
            self.note("script", drop_sentence(step, self.label), getattr(
                step.timed.action, "node", None))
        self._run(step.at_us)

    def _run(self, t_us: float) -> None:
        if t_us > self.engine.now or self.engine.peek() <= t_us:
            with gc_paused():  # packets make no reference cycles; rescans cost ~30%
                self.engine.run(until=t_us)
            self.sm.now_us = self.engine.now

    def run(self) -> None:
        """Run to the scenario's end (its duration, plus draining what is in flight)."""
        self.run_until(self.duration_us)
        self.run_until(self.duration_us + 1000.0)

    # ---------------------------------------------------------------- helpers
    def _moved(self, _event: ev.Event) -> None:
        self.epoch += 1

    def port_of(self, guid: int) -> PortRef:
        """A CA's first cabled port (cabling never changes during a session: memoised)."""
        port = self._port_memo.get(guid)
        if port is None:
            port = self._port_memo[guid] = self.controller.port_of(guid)
        return port

    def lid_of(self, port: PortRef) -> int:
        """A port's base LID (memoised; forgotten whenever the SM moves a LID)."""
        lid = self._lid_memo.get(port)
        if lid is None:
            lid = self._lid_memo[port] = self.fabric.port(port).lid
        return lid

    def gid_of(self, port: PortRef) -> int:
        gid = self._gid_memo.get(port)
        if gid is None:
            from ibviz.core.sim.router import port_gid

            gid = self._gid_memo[port] = port_gid(self.fabric, port)
        return gid

    def mode_of(self, group: str) -> Mode:
        return self.controller.modes.get(group, (Mode.MLID, ""))[0]

    def frozen(self, node: int) -> bool:
        """Whether ``node``'s connections are frozen now (a failback's state dump)."""
        return self.controller.frozen(node, self.engine.now)

    def note(self, kind: str, text: str, node: int | None = None,
             group: str | None = None, ref: int | None = None) -> None:
        entry = LogEntry(self.engine.now, kind, text, node, group, ref)
        self.log.append(entry)
        if kind in NODE_EVENTS and node is not None:
            self.node_events.append(entry)

    def checkpoint(self, after: str, group: str) -> None:
        """Remember who receives ``group`` now (compared across backends)."""
        pg = self.controller.groups[group]
        sa = self.sm.sa.groups.get(pg.mgid)
        members = sorted(self.fabric.nodes[p.node].name for p in (sa.receivers if sa else ())
                         if p.node not in self.sm.switch_info)
        self.checkpoints.append({"after": after, "group": group, "t_us": self.engine.now,
                                 "receivers": members})

    def path_record_query(self, flow, at_us: float) -> None:
        """A client asks the SA for the service's path record: the answer names the MLID."""
        def ask() -> None:
            src = flow.source_port()
            if src is None:
                return
            mad = self.sm.sa_path_record(src, flow.dst.mgid, f"{flow.spec.name}: PathRecord")
            group = self.sm.sa.groups.get(flow.dst.mgid)

            def answer() -> None:
                if group is not None:
                    flow.learned = group.mlid
                    self.note("learn", f"{flow.spec.name}: path record names MLID "
                              f"{group.mlid:#06x} as the service address")
            self.engine.at(max(self.engine.now, mad.done_us), answer)
        self.engine.at(at_us, ask)

    # ------------------------------------------------------------ the actions
    def label(self, guid: int) -> str:
        """A node's name for messages (its GUID in hex when unknown)."""
        node = self.fabric.nodes.get(guid)
        return node.name if node is not None else hex(guid)

    def apply(self, action: act.Action) -> None:
        """Take ``action`` now (the one entry point for user actions); raises
        :class:`~ibviz.core.scenario.model.ScenarioError` for a bad one (nothing kept).
        It replaces the user's later steps, and the script's future where they conflict
        (see :mod:`ibviz.core.scenario.rewind`)."""
        now = self.engine.now
        step = plan(action, now, self.steps, self.script)
        if not step.drops:
            schedule(self, now, action)  # checks it first: a bad one raises, nothing kept
            self.steps.append(step)
            self._played = len(self.steps)
            self._redo.clear()
            self._run(now)
            return
        schedule(self, now, action)  # only checks it: the rebuild below drops this engine
        self.steps = [s for s in self.steps if s.at_us <= now] + [step]
        self._redo.clear()
        self._rebuild(now)

    @property
    def undo_name(self) -> str | None:
        return act.describe(self.steps[-1].timed.action) if self.steps else None

    @property
    def redo_name(self) -> str | None:
        return act.describe(self._redo[-1].timed.action) if self._redo else None

    def undo(self) -> str | None:
        """Forget the last action (restoring what it dropped): the session is rebuilt by
        replaying the scenario and the remaining actions up to that action's time."""
        if not self.steps:
            return None
        step = self.steps.pop()
        self.steps.extend(step.replaced)
        self._redo.append(step)
        self._rebuild(step.at_us)
        return act.describe(step.timed.action)

    def redo(self) -> str | None:
        if not self._redo:
            return None
        step = self._redo.pop()
        gone = {id(s) for s in step.replaced}
        self.steps = [s for s in self.steps if id(s) not in gone] + [step]
        self._rebuild(step.at_us)
        return act.describe(step.timed.action)

    # ------------------------------------------------------------ inspection
    def mad(self, index: int):
        """The MAD behind log entry ``index`` (a ``mad`` entry), else None (also once it
        left the kept window)."""
        entry = self.log.get(index) if index >= 0 else None
        if entry is None or entry.ref is None:
            return None
        return self.sm.mads.mads.get(entry.ref)

    def write_pcap(self, path) -> dict[str, int]:
        from ibviz.core.scenario.wire import write_pcap

        return write_pcap(self, path)

    def flow_series(self, name: str):
        """``(t_us, delivered, lost)`` numpy arrays: cumulative messages of flow ``name``
        delivered and lost, at each instant one of them changed."""
        from ibviz.core.scenario.report import flow_series

        return flow_series(self, name)

    # ------------------------------------------------------------- reporting
    def report(self) -> dict:
        from ibviz.core.scenario.report import build_report

        return build_report(self)

    def narration(self) -> list[tuple[float, str]]:
        """The failover phases in plain sentences, and what each user step dropped."""
        from ibviz.core.scenario.narration import narrate

        lines = narrate(self)
        lines += [(step.at_us, drop_sentence(step, self.label))
                  for step in self.steps[:self._played] if step.drops]
        return sorted(lines, key=lambda line: line[0])
