"""The failover controller: keeps a multicast address reachable when its node fails.

Mode 1 (MLID reassignment) makes the takeover node join the group, so the same MLID now
reaches it; mode 2 (port remap) moves the switch's DefaultMulticastPrimaryPort from the
failed node's port to the takeover node's. The remote peers never take part. The prior
art (LID takeover by widening the takeover port's LMC) runs beside them for comparison.
Every step runs on the event engine at the time the previous step's MADs complete.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from ibviz.core import events as ev
from ibviz.core.addressing import link_local_gid
from ibviz.core.failover.model import Mode, Outcome, ProtectedGroup, Step
from ibviz.core.history import OUTCOME_WINDOW, Window
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.sim.engine import Engine
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.multicast import attachment
from ibviz.core.sm.records import REQUIRED_FOR_CREATE, JoinState, McComp, McMemberRecord
from ibviz.core.sm.records import SaMethod as M
from ibviz.core.sm.sa import SaResponse

__all__ = ["FailoverController", "Step"]
"""Does one phase now; returns the time it completes."""


class FailoverController:
    def __init__(self, sm: SubnetManager, engine: Engine | None = None) -> None:
        self.sm = sm
        self.engine = engine if engine is not None else Engine()
        self.groups: dict[str, ProtectedGroup] = {}
        self.serving: dict[str, int | None] = {}
        self.modes: dict[str, tuple[Mode, str]] = {}
        self.outcomes: Window[Outcome] = Window(OUTCOME_WINDOW)
        """Every failover and failback (the newest ``OUTCOME_WINDOW`` kept in full)."""
        self.frozen_windows: dict[int, list[tuple[float, float]]] = {}
        """Node -> (start, end) of its connections' freezes (failback state dumps) that
        have not ended yet: :meth:`frozen` looks only at the node's own."""
        self.mlids: dict[str, int] = {}
        self.lmc_saved: dict[PortRef, tuple[int, int]] = {}
        self._in_progress: set[str] = set()
        self._touched: dict[frozenset[int], frozenset[int]] = {}

    # ---------------------------------------------------------------- helpers
    def freeze(self, out: Outcome, start: float, end: float) -> None:
        """``out.node``'s connections are frozen from ``start`` to ``end``."""
        out.frozen_us = (start, end)
        self.frozen_windows.setdefault(out.node, []).append((start, end))

    def frozen(self, node: int, now: float) -> bool:
        """Whether ``node``'s connections are frozen at ``now`` (windows that ended are
        forgotten as time passes, so this stays O(1) however long the session runs)."""
        windows = self.frozen_windows.get(node)
        if not windows:
            return False
        if windows[0][1] <= now:
            windows[:] = [w for w in windows if w[1] > now]
        return any(a <= now < b for a, b in windows)

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
            reason: str, keep_mlid: bool = False) -> SaResponse:
        rec, comp = self._record(pg, self.port_of(member), state,
                                 self.mlids.get(pg.name, 0) if keep_mlid else 0)
        resp = self.sm.sa_request(method, self.port_of(requester), rec, comp, reason)
        if resp.record is not None and method == M.SET and resp.status == 0:
            self.mlids[pg.name] = resp.record.mlid
        return resp

    def _done(self, since: int) -> float:
        return self.sm.mads.done_since(since, self.engine.now)

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

    def port_remap_refusal(self, pg: ProtectedGroup) -> str | None:
        """Why mode 2 (switch port remap) cannot protect ``pg`` on this cabling, or None."""
        try:
            self._switch_ports(pg)
        except ValueError as exc:
            return str(exc)
        return None

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
        joins = [(requester, pg.primary, JoinState.FULL, "primary joins")]
        joins += [(s, s, JoinState.SEND_ONLY_FULL, "sender joins as send-only full member")
                  for s in pg.senders]
        for who, member, state, what in joins:
            resp = self._sa(pg, M.SET, who, member, state, f"{pg.name}: {what}")
            if resp.status != 0:
                raise ValueError(f"{pg.name}: {what} refused by the SA: "
                                 f"{resp.error or hex(resp.status)}")
        if mode is Mode.PORT:
            sw, to_primary, to_takeover = self._switch_ports(pg)
            self.sm.set_default_mcast_ports(sw, to_primary, to_takeover,
                                            f"{pg.name}: primary multicast port -> primary")
            if len(self.sm.switch_info) > 1:
                self._anchor(pg, sw)

    def _anchor(self, pg: ProtectedGroup, switch: int) -> None:
        """Mode 2 behind other switches: the remap switch's port 0 joins as a NonMember
        (a proxy join by the SM's port), so the group's tree keeps leading multicast
        packets to that switch when the serving node's membership is gone; there the
        default multicast ports pick the node."""
        guid = self.sm.fabric.node(switch).guid
        rec = McMemberRecord(mgid=pg.mgid, port_gid=link_local_gid(guid), qkey=pg.qkey,
                             pkey=0xFFFF, join_state=int(JoinState.NON_MEMBER), mlid=0, sl=0,
                             tclass=0)
        resp = self.sm.sa_request(M.SET, self.sm.sm_port, rec, int(REQUIRED_FOR_CREATE),
                                  f"{pg.name}: mode 2 anchors the tree at switch "
                                  f"{switch:#018x} (NonMember join of its port 0)")
        if resp.status != 0:
            raise ValueError(f"{pg.name}: the SA refused the NonMember join of the remap "
                             f"switch's port 0: {resp.error or hex(resp.status)}")

    # --------------------------------------------------------------- failure
    def fail(self, guid: int, at_us: float | None = None) -> None:
        """The node fails at ``at_us``: the SM and the controller react on the engine."""
        t = self.engine.now if at_us is None else at_us
        self.engine.at(t, lambda: self._failed(guid), f"node {guid:#x} fails")

    def _alive(self, guid: int, reach: set[int]) -> bool:
        """Up, reachable by the SM, and with at least one cable to a live neighbour."""
        if guid in self.sm.failed or guid not in reach:
            return False
        return any(lk.key not in self.sm.down_links and lk.a.node not in self.sm.failed
                   and lk.b.node not in self.sm.failed for lk in self.sm.fabric.node_links(guid))

    def _failed(self, guid: int) -> None:
        self.sm.now_us = self.engine.now
        self.sm.fail_node(guid)
        self.cut_off(guid)

    def cut_off(self, guid: int) -> None:
        """``guid`` failed or lost its cable: the neighbouring switch traps, the SM sweeps,
        and every group whose serving node is no longer alive fails over."""
        now = self.engine.now
        self.sm.now_us = now
        reach = self.sm._find_reachable()
        switch = self._neighbour_switch(guid)
        trap_at = now + self.sm.config.latency.smp(self.sm._hops_to(switch)) / 2
        self.engine.at(trap_at, lambda: self._sweep("trap 128: link down"), "SM sweep")
        for pg in self.groups.values():
            serving = self.serving.get(pg.name)
            if serving is None or self._alive(serving, reach):
                continue  # unaffected (a failed switch may cut the serving node off too)
            target = pg.primary if serving == pg.takeover else pg.takeover
            mode, reason = self.modes[pg.name]
            out = Outcome(pg.name, serving, "failover", mode, reason, now, target=target)
            self.outcomes.append(out)
            if not self._alive(target, reach):
                out.problem = f"no live node left to serve {pg.name}: {target:#018x} is down"
                self.serving[pg.name] = None
                self._phase(out, f"failover failed: {out.problem}", started=False)
                continue
            det = pg.detection
            detected = now + det.interval_us * det.miss_count if det.method == "peer" \
                else trap_at + det.report_us
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
        phase = sys.intern(phase)  # the same texts recur every cycle: stored once
        out.phases.append((self.engine.now, phase))
        if self.sm.events.active:
            self.sm.events.emit(ev.FailoverPhase(out.group, phase, out.mode.value, out.reason,
                                                 self.engine.now, started))

    def _detected(self, pg: ProtectedGroup, out: Outcome) -> None:
        out.detected_us = self.engine.now
        self._phase(out, f"failure of {out.node:#018x} detected ({pg.detection.method})")
        self._chain(out, self.takeover_steps(pg, out), done=lambda: self._finish(pg, out))

    def takeover_steps(self, pg: ProtectedGroup, out: Outcome) -> list[Step]:
        """The steps that make ``out.target`` serve the group instead of ``out.node``."""
        return {Mode.MLID: self._mlid_steps, Mode.PORT: self._port_steps,
                Mode.LMC: self._lmc_steps}[out.mode](pg, out)

    def _chain(self, out: Outcome, steps: list[Step], done: Callable[[], None]) -> None:
        """Run ``steps`` one after another, each when the previous one's MADs complete;
        stop early when a step found a problem."""
        def run(i: int) -> None:
            self.sm.now_us = self.engine.now
            if out.kind == "failback" and out.target is not None and \
                    not self._alive(out.target, self.sm._find_reachable()):
                self._abort_failback(out)
                return
            if i == len(steps) or out.problem:
                done()
                return
            mark = len(self.sm.mads)
            blocks = self.sm.mads.by_attribute
            lft, mft = blocks["LinearForwardingTable"], blocks["MulticastForwardingTable"]
            end = steps[i](out)
            out.lft_blocks_written += blocks["LinearForwardingTable"] - lft
            out.mft_blocks_written += blocks["MulticastForwardingTable"] - mft
            sent, touched = self.sm.mads.touched_since(mark)
            out.mads += sent
            out.nodes_touched |= touched
            self.engine.at(max(end, self._done(mark)), lambda: run(i + 1), priority=2)

        run(0)

    def _abort_failback(self, out: Outcome) -> None:
        """The first node failed again during its failback: the takeover node keeps (or
        takes back) the group, as in a failover from the first node."""
        pg = self.groups[out.group]
        self._phase(out, f"failback aborted: {out.target:#018x} failed again; "
                    f"{out.node:#018x} keeps serving {pg.name}", started=False)
        again = Outcome(pg.name, out.target, "failover", out.mode, out.reason,
                        self.engine.now, detected_us=self.engine.now, target=out.node)
        self.outcomes.append(again)
        self._chain(again, self.takeover_steps(pg, again),
                    done=lambda: self._finish(pg, again))

    def _shared(self, nodes: set[int]) -> frozenset[int]:
        """One frozen copy of each distinct set of touched nodes (failures repeat, and on
        a large fabric a sweep touches hundreds of switches per outcome)."""
        key = frozenset(nodes)
        found = self._touched.get(key)
        if found is None:
            if len(self._touched) >= 256:
                self._touched.clear()
            found = self._touched[key] = key
        return found

    def _finish(self, pg: ProtectedGroup, out: Outcome) -> None:
        out.nodes_touched = self._shared(out.nodes_touched)  # type: ignore[assignment]
        self._in_progress.discard(pg.name)
        if out.problem:
            self.serving[pg.name] = None
            self._phase(out, f"{out.kind} failed: {out.problem}", started=False)
            return
        self.serving[pg.name] = out.target
        out.restored_us = self.engine.now
        self._phase(out, f"{out.kind} finished: {pg.name} served by {out.target:#018x}",
                    started=False)

    # ----------------------------------------------------------- the modes
    def _mlid_steps(self, pg: ProtectedGroup, out: Outcome) -> list[Step]:
        steps: list[Step] = []
        if pg.exclusive:
            def proxy_leave(o: Outcome) -> float:
                resp = self._sa(pg, M.DELETE, o.target, o.node, JoinState.FULL,
                                f"mode 1: proxy leave for {o.node:#018x}")
                self._phase(o, "mode 1: proxy leave on behalf of the failed node "
                            + ("done" if resp.status == 0 else f"not needed ({resp.error})"))
                return self.engine.now
            steps.append(proxy_leave)
        steps.append(self.join_step(pg, "mode 1: takeover joins"))
        return steps

    def join_step(self, pg: ProtectedGroup, what: str) -> Step:
        """``out.target`` joins the group keeping its MLID (the same multicast DLID)."""
        def join(o: Outcome) -> float:
            requester = pg.takeover if pg.exclusive and o.target == pg.primary else o.target
            resp = self._sa(pg, M.SET, requester, o.target, JoinState.FULL, what,
                            keep_mlid=True)
            if resp.status != 0:
                o.problem = f"{what}: the SA refused ({resp.error or int(resp.status)})"
            else:
                self._phase(o, f"{what}; MLID {self.mlids.get(pg.name, 0):#06x} now reaches "
                            f"{o.target:#018x}")
            return self.engine.now
        return join

    def _port_steps(self, pg: ProtectedGroup, out: Outcome) -> list[Step]:
        return [self.remap_step(pg)]

    def remap_step(self, pg: ProtectedGroup) -> Step:
        """Mode 2: point the switch's primary multicast port at ``out.target``; the other
        node's port becomes the non-primary one."""
        def remap(o: Outcome) -> float:
            sw, p_first, p_takeover = self._switch_ports(pg)
            new, old = (p_takeover, p_first) if o.target == pg.takeover else (p_first,
                                                                                p_takeover)
            what = "mode 2" if o.kind == "failover" else "mode 2 failback"
            self.sm.set_default_mcast_ports(sw, new, old, f"{what}: primary multicast port")
            self._phase(o, f"{what}: switch {sw:#018x} primary multicast port {old} -> {new}")
            mlid = self.mlids.get(pg.name, 0)
            if self.sm.switch_info[sw].keeps_multicast_table and \
                    mlid in self.sm.mfts.get(sw, {}):
                o.problem = (f"switch {sw:#018x} keeps a multicast table with an entry for "
                             f"MLID {mlid:#06x}: the entry wins over the default ports")
            return self.engine.now
        return remap

    def _lmc_steps(self, pg: ProtectedGroup, out: Outcome) -> list[Step]:
        def widen(o: Outcome) -> float:
            from ibviz.core.failover.lmc_takeover import lmc_takeover

            takeover, other = self.port_of(o.target), self.port_of(o.node)
            if self._alive(o.node, self.sm._find_reachable()):
                # the group was lost and both nodes are up again: the other one keeps its
                # LID, which no second port may take (two ports, one LID)
                lid = self.sm.fabric.port(other).lid
                if o.target == pg.primary:
                    self._phase(o, f"prior art: {other} is up and keeps LID {lid:#x}; the "
                                f"primary {takeover} serves with its own LIDs: none moved")
                else:
                    o.problem = (f"prior art: impossible: {other} is up and holds LID "
                                 f"{lid:#x}; widening {takeover} over it would give two "
                                 "ports one LID")
                return self.engine.now
            before = set(self.sm.fabric.port(takeover).lids())
            ok, text, moved = lmc_takeover(self.sm, takeover, other, self.lmc_saved)
            if not ok:
                o.problem = f"prior art: {text}"
                return self.engine.now
            o.lids_moved |= moved
            o.takeover_lids_changed = len(before - set(self.sm.fabric.port(takeover).lids()))
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
        if guid not in self.sm.failed:
            return  # a second trap for a node that is already back
        self.sm.now_us = self.engine.now
        self.sm.recover_node(guid)
        self.reconnected(guid)

    def reconnected(self, guid: int) -> None:
        """``guid`` is back (recovered, or its cable is up again): sweep and fail back the
        groups it served."""
        self.sm.now_us = self.engine.now
        self._sweep("trap 128: link up")
        if not self._alive(guid, self.sm._find_reachable()):
            return
        from ibviz.core.failover.failback import failback_steps

        for pg in self.groups.values():
            if pg.name in self._in_progress or guid not in (pg.primary, pg.takeover):
                continue
            serving = self.serving.get(pg.name)
            mode, reason = self.modes[pg.name]
            if serving is None:  # the group was lost: the node that came back serves it
                other = pg.takeover if guid == pg.primary else pg.primary
                out = Outcome(pg.name, other, "failover", mode, reason, self.engine.now,
                              detected_us=self.engine.now, target=guid)
                steps = self.takeover_steps(pg, out)
            elif guid == pg.primary and serving == pg.takeover:
                out = Outcome(pg.name, pg.takeover, "failback", mode, reason, self.engine.now,
                              detected_us=self.engine.now, target=guid)
                steps = failback_steps(self, pg, out)
            else:
                continue
            self.outcomes.append(out)
            self._in_progress.add(pg.name)
            self._chain(out, steps, done=lambda p=pg, o=out: self._finish(p, o))
