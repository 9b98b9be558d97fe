"""The failover controller: keeps a multicast address reachable when its node fails.

Mode 1 (MLID reassignment) makes the takeover node join the group, so the same MLID now
reaches it; mode 2 (port remap) moves the switch's DefaultMulticastPrimaryPort from the
failed node's port to the takeover node's. The remote peers never take part. The prior
art (LID takeover by widening the takeover port's LMC) runs beside them for comparison.
Every step runs on the event engine at the time the previous step's MADs complete.
"""

from __future__ import annotations

from collections.abc import Callable

from ibviz.core import events as ev
from ibviz.core.addressing import link_local_gid
from ibviz.core.failover.model import Mode, Outcome, ProtectedGroup
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.sim.engine import Engine
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.multicast import attachment
from ibviz.core.sm.records import REQUIRED_FOR_CREATE, JoinState, McComp, McMemberRecord
from ibviz.core.sm.records import SaMethod as M

Step = Callable[[Outcome], float]
"""Does one phase now; returns the time it completes."""


class FailoverController:
    def __init__(self, sm: SubnetManager, engine: Engine | None = None) -> None:
        self.sm = sm
        self.engine = engine or Engine()
        self.groups: dict[str, ProtectedGroup] = {}
        self.serving: dict[str, int] = {}
        self.modes: dict[str, tuple[Mode, str]] = {}
        self.outcomes: list[Outcome] = []
        self.mlids: dict[str, int] = {}
        self.lmc_saved: dict[PortRef, tuple[int, int]] = {}

    # ---------------------------------------------------------------- helpers
    def port_of(self, guid: int) -> PortRef:
        """The first cabled port of a CA (its address in the subnet)."""
        node = self.sm.fabric.node(guid)
        for num in sorted(p for p in node.ports if p):
            if self.sm.fabric.peer(PortRef(guid, num)) is not None:
                return PortRef(guid, num)
        raise ValueError(f"{node.label} has no cabled port")

    def _record(self, pg: ProtectedGroup, port: PortRef, state: JoinState, mlid: int = 0
                ) -> tuple[McMemberRecord, int]:
        guid = self.sm.fabric.node(port.node).ports[port.port].guid
        rec = McMemberRecord(mgid=pg.mgid, port_gid=link_local_gid(guid), qkey=pg.qkey,
                             pkey=0xFFFF, join_state=int(state), mlid=mlid, sl=0, tclass=0)
        comp = REQUIRED_FOR_CREATE | (McComp.MLID if mlid else 0)
        return rec, int(comp)

    def _sa(self, pg: ProtectedGroup, method: M, requester: int, member: int, state: JoinState,
            reason: str, keep_mlid: bool = False):
        rec, comp = self._record(pg, self.port_of(member), state,
                                 self.mlids.get(pg.name, 0) if keep_mlid else 0)
        resp = self.sm.sa_request(method, self.port_of(requester), rec, comp, reason)
        if resp.record is not None and method == M.SET and resp.status == 0:
            self.mlids[pg.name] = resp.record.mlid
        return resp

    def _done(self, since: int) -> float:
        mads = self.sm.mads.mads[since:]
        return max((m.done_us for m in mads), default=self.engine.now)

    def _switch_ports(self, pg: ProtectedGroup) -> tuple[int, int, int]:
        """Mode 2: (switch, port to the primary, port to the takeover)."""
        a = attachment(self.sm.fabric, self.port_of(pg.primary), lambda _: True)
        b = attachment(self.sm.fabric, self.port_of(pg.takeover), lambda _: True)
        if a is None or b is None or a[0] != b[0]:
            raise ValueError(f"group {pg.name}: port remap needs the primary and the takeover "
                             "node on one switch")
        if pg.switch is not None and pg.switch != a[0]:
            raise ValueError(f"group {pg.name}: the nodes hang off {a[0]:#x}, not {pg.switch:#x}")
        return a[0], a[1], b[1]

    def choose_mode(self, pg: ProtectedGroup) -> tuple[Mode, str]:
        """Seed FIG. 1 step 104: MLID reassignment where switches keep multicast tables."""
        if pg.mode is not Mode.AUTO:
            return pg.mode, f"mode forced to {pg.mode.value}"
        no_table = sorted(g for g, i in self.sm.switch_info.items()
                          if not i.keeps_multicast_table)
        if no_table:
            return Mode.PORT, (f"switch {no_table[0]:#x} keeps no multicast table "
                               "(MulticastFDBCap = 0): switch multicast port remap")
        return Mode.MLID, (f"all {len(self.sm.switch_info)} switches keep multicast tables: "
                           "MLID reassignment")

    # ----------------------------------------------------------------- setup
    def protect(self, pg: ProtectedGroup) -> None:
        """Set the group up: the primary serves it; the remote senders join as send-only
        *full* members, which keeps the group (and its MLID) alive while the primary is
        gone: the SM drops a failed port's membership, and a group left without a Full or
        SendOnlyFull member is deleted."""
        mode, reason = self.choose_mode(pg)
        self.groups[pg.name] = pg
        self.modes[pg.name] = (mode, reason)
        self.serving[pg.name] = pg.primary
        self.sm.now_us = self.engine.now
        requester = pg.takeover if pg.exclusive else pg.primary
        self._sa(pg, M.SET, requester, pg.primary, JoinState.FULL, f"{pg.name}: primary joins")
        for sender in pg.senders:
            self._sa(pg, M.SET, sender, sender, JoinState.SEND_ONLY_FULL,
                     f"{pg.name}: sender joins as send-only full member")
        if mode is Mode.PORT:
            sw, to_primary, to_takeover = self._switch_ports(pg)
            self.sm.set_default_mcast_ports(sw, to_primary, to_takeover,
                                            f"{pg.name}: primary multicast port -> primary")

    # --------------------------------------------------------------- failure
    def fail(self, guid: int, at_us: float | None = None) -> None:
        """The node fails at ``at_us``: the SM and the controller react on the engine."""
        t = self.engine.now if at_us is None else at_us
        self.engine.at(t, lambda: self._failed(guid), f"node {guid:#x} fails")

    def _failed(self, guid: int) -> None:
        now = self.engine.now
        self.sm.now_us = now
        self.sm.fail_node(guid)
        switch = self._neighbour_switch(guid)
        trap_at = now + self.sm.config.latency.smp(self.sm._hops_to(switch)) / 2
        self.engine.at(trap_at, lambda: self._sweep("trap 128: link down"), "SM sweep")
        for pg in self.groups.values():
            if self.serving.get(pg.name) != guid:
                continue
            mode, reason = self.modes[pg.name]
            out = Outcome(pg.name, guid, "failover", mode, reason, now)
            self.outcomes.append(out)
            det = pg.detection
            if det.method == "peer":
                detected = now + det.interval_us * det.miss_count
            else:
                detected = trap_at + det.report_us
            self.engine.at(detected, lambda p=pg, o=out: self._detected(p, o),
                           f"{pg.name}: failure detected", priority=1)

    def _neighbour_switch(self, guid: int) -> int:
        for link in self.sm.fabric.node_links(guid):
            for end in (link.a, link.b):
                if self.sm.fabric.nodes[end.node].kind is NodeKind.SWITCH and end.node != guid:
                    return end.node
        return guid

    def _sweep(self, reason: str) -> None:
        self.sm.now_us = self.engine.now
        self.sm.sweep(reason=reason)

    def _phase(self, out: Outcome, phase: str, started: bool = True) -> None:
        out.phases.append((self.engine.now, phase))
        if self.sm.events.active:
            self.sm.events.emit(ev.FailoverPhase(out.group, phase, out.mode.value, out.reason,
                                                 self.engine.now, started))

    def _detected(self, pg: ProtectedGroup, out: Outcome) -> None:
        out.detected_us = self.engine.now
        self._phase(out, f"failure of {out.node:#x} detected ({pg.detection.method})")
        steps = {Mode.MLID: self._mlid_steps, Mode.PORT: self._port_steps,
                 Mode.LMC: self._lmc_steps}[out.mode](pg, out)
        self._chain(out, steps, done=lambda: self._served_by(pg, pg.takeover, out))

    def _chain(self, out: Outcome, steps: list[Step], done: Callable[[], None]) -> None:
        """Run ``steps`` one after another, each when the previous one's MADs complete."""
        def run(i: int) -> None:
            self.sm.now_us = self.engine.now
            if i == len(steps):
                done()
                return
            mark = len(self.sm.mads)
            end = steps[i](out)
            new = self.sm.mads.mads[mark:]
            out.mads += len(new)
            out.nodes_touched |= {m.dst.node for m in new if m.dst is not None}
            out.nodes_touched |= {m.src.node for m in new if m.src is not None and
                                  m.kind == "SA"}
            self.engine.at(max(end, self._done(mark)), lambda: run(i + 1), priority=2)

        run(0)

    def _served_by(self, pg: ProtectedGroup, guid: int, out: Outcome) -> None:
        self.serving[pg.name] = guid
        out.restored_us = self.engine.now
        self._phase(out, f"{out.kind} finished: {pg.name} served by {guid:#x}", started=False)

    # ----------------------------------------------------------- the modes
    def _mlid_steps(self, pg: ProtectedGroup, out: Outcome) -> list[Step]:
        steps: list[Step] = []
        if pg.exclusive:
            def proxy_leave(o: Outcome) -> float:
                resp = self._sa(pg, M.DELETE, pg.takeover, pg.primary, JoinState.FULL,
                                f"mode 1: proxy leave for {pg.primary:#x}")
                self._phase(o, "mode 1: proxy leave on behalf of the failed node "
                            + ("done" if resp.status == 0 else f"not needed ({resp.error})"))
                return self.engine.now
            steps.append(proxy_leave)

        def join(o: Outcome) -> float:
            resp = self._sa(pg, M.SET, pg.takeover, pg.takeover, JoinState.FULL,
                            "mode 1: takeover join", keep_mlid=True)
            self._phase(o, f"mode 1: takeover joins; MLID {self.mlids.get(pg.name, 0):#06x} now "
                        f"reaches it (status {int(resp.status):#06x})")
            return self.engine.now
        steps.append(join)
        return steps

    def _port_steps(self, pg: ProtectedGroup, out: Outcome) -> list[Step]:
        return [self.remap_step(pg, to_takeover=True)]

    def remap_step(self, pg: ProtectedGroup, to_takeover: bool) -> Step:
        """Mode 2: point the switch's primary multicast port at the takeover node (failover)
        or back at the first node (failback); the other node's port becomes non-primary."""
        def remap(o: Outcome) -> float:
            sw, p_first, p_takeover = self._switch_ports(pg)
            new, old = (p_takeover, p_first) if to_takeover else (p_first, p_takeover)
            what = "mode 2" if to_takeover else "mode 2 failback"
            self.sm.set_default_mcast_ports(sw, new, old, f"{what}: primary multicast port")
            self._phase(o, f"{what}: switch {sw:#x} primary multicast port {old} -> {new}")
            return self.engine.now
        return remap

    def _lmc_steps(self, pg: ProtectedGroup, out: Outcome) -> list[Step]:
        def widen(o: Outcome) -> float:
            from ibviz.core.failover.lmc_takeover import lmc_takeover

            text = lmc_takeover(self.sm, self.port_of(pg.takeover), self.port_of(pg.primary),
                                self.lmc_saved)
            o.remote_peers_touched = len(pg.senders)
            self._phase(o, f"prior art: {text}; {len(pg.senders)} remote peer(s) hold stale "
                        "path records")
            return self.engine.now
        return [widen]

    # -------------------------------------------------------------- failback
    def recover(self, guid: int, at_us: float | None = None) -> None:
        """The node comes back at ``at_us``; groups it served fail back to it."""
        t = self.engine.now if at_us is None else at_us
        self.engine.at(t, lambda: self._recovered(guid), f"node {guid:#x} recovers")

    def _recovered(self, guid: int) -> None:
        self.sm.now_us = self.engine.now
        self.sm.recover_node(guid)
        self._sweep("trap 128: link up")
        from ibviz.core.failover.failback import failback_steps

        for pg in self.groups.values():
            if pg.primary != guid or self.serving.get(pg.name) != pg.takeover:
                continue
            mode, reason = self.modes[pg.name]
            out = Outcome(pg.name, guid, "failback", mode, reason, self.engine.now,
                          detected_us=self.engine.now)
            self.outcomes.append(out)
            self._chain(out, failback_steps(self, pg, out),
                        done=lambda p=pg, o=out: self._served_by(p, p.primary, o))
