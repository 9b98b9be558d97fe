"""What a run amounts to: per-flow figures, the failovers, and the invariants.

A *message* is one application send (RC retransmissions repeat it). It is delivered
when any copy reached a receiver, lost when every copy ended without that, and in
flight otherwise. The exactly-once invariant is checked on multicast datagrams sent
while nothing changes (outside ``SETTLE_US`` around every failure, failover, failback
and timeline action): each must reach every live receiver of the group (and the node
serving it) exactly once, and nobody else.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from ibviz.core.model import PortRef
from ibviz.core.scenario.ledger import FILTERING, SETTLE_US, broken  # noqa: F401 (re-exported)
from ibviz.core.sim.packet import DataPacket

if TYPE_CHECKING:
    from ibviz.core.scenario.protocols import SessionState as Session

INF_NODE = 1 << 64
"""Above every node GUID (bisecting (time, node) rows)."""


class ExpectationRecorder:
    """Remembers, for each multicast datagram, which ports should receive it.

    A member sender (any join state) must reach every live receiver of the group and the
    node serving it, exactly once. A sender that left the group (or never joined) is not
    entitled to the tree: its datagram may reach some of those receivers, each at most
    once, and nobody else (its id goes to :attr:`loose`). A sender whose node failed or
    whose cable is down reaches nobody. A sender cut off from the SM (an island the SM
    no longer manages) is not checked.
    """

    def __init__(self, session: Session) -> None:
        self.s = session
        self.expected: dict[int, frozenset[PortRef]] = {}
        self.loose: set[int] = set()
        """Packets from senders that are not members: expected at most once, a subset."""
        self._cache: dict[str, tuple[int, int | None, PortRef, frozenset[PortRef] | None,
                                     bool]] = {}
        """Flow -> (session epoch, serving node, source port, expected ports, loose): all
        else :meth:`_want` reads changes only with an event on the session's bus
        (failures, links, sweeps, joins, leaves, group deletions), so these tell when the
        answer may differ."""
        self._groups = {f.spec.name: f for f in session.flows
                        if f.dst.group is not None and f.spec.transport in ("UD", "raw")}
        self.flows = frozenset(self._groups)
        """The flows whose sends :meth:`on_send` looks at (datagrams to a group)."""

    def on_send(self, pid: int, packet: DataPacket, src: PortRef) -> None:
        name = packet.flow
        flow = self._groups.get(name)
        if flow is None or packet.dlid < 0xC000:
            return
        s = self.s
        epoch, serving = s.epoch, s.controller.serving.get(flow.dst.group)
        cached = self._cache.get(name)
        if cached is None or cached[0] != epoch or cached[1] != serving or cached[2] != src:
            cached = self._cache[name] = (epoch, serving, src, *self._want(flow, src))
        if cached[3] is None:
            return
        self.expected[pid] = cached[3]
        if cached[4]:
            self.loose.add(pid)

    def _want(self, flow, src: PortRef) -> tuple[frozenset[PortRef] | None, bool]:
        s, sm = self.s, self.s.sm
        link = sm.fabric.link_at(src)
        if src.node in sm.failed or link is None or link.key in sm.down_links:
            return frozenset(), False  # the packet cannot leave its port
        if not sm.in_subnet(src.node):
            return None, False  # an island the SM does not manage: not checked
        group = sm.sa.groups.get(flow.dst.mgid)
        ports = {p for p in (group.receivers if group else ())
                 if p.node not in sm.failed and p.node not in sm.switch_info}
        serving = s.controller.serving.get(flow.dst.group)
        if serving is not None and serving not in sm.failed:
            ports.add(s.port_of(serving))
        member = group is not None and src in group.members
        return frozenset(ports - {src}), not member


def _unsteady(s: Session) -> list[tuple[float, float]]:
    spans = []
    for o in s.controller.outcomes:
        end = o.restored_us if o.restored_us is not None else float("inf")
        if o.restored_us is None and o.phases and "aborted" in o.phases[-1][1]:
            end = o.phases[-1][0]
        spans.append((o.started_us - SETTLE_US, end + SETTLE_US))
    for a in list(s.scenario.timeline) + s.actions:
        spans.append((a.at_us - SETTLE_US, a.at_us + 5 * SETTLE_US))
    return spans


def _covering(spans: list[tuple[float, float]]):
    """A test ``t -> bool``: whether ``t`` lies in one of ``spans`` (log time each)."""
    spans = sorted(spans)
    starts = [a for a, _ in spans]
    reach, high = [], float("-inf")
    for _, b in spans:
        high = max(high, b)
        reach.append(high)

    def covered(t: float) -> bool:
        i = bisect_right(starts, t) - 1
        return i >= 0 and reach[i] >= t
    return covered


def exactly_once(s: Session) -> tuple[bool, int, list[str]]:
    """(holds, messages checked, first problems): the retired packets' verdicts (see
    :mod:`~ibviz.core.scenario.ledger`), then the packets still kept, in id order."""
    covered = _covering(_unsteady(s))
    net, led = s.net, s.ledger
    problems, checked = list(led.eo_problems), led.eo_checked
    for pid, want in s.expectations.expected.items():
        t = net.sent_at[pid][1]
        if covered(t) or t > s.duration_us - SETTLE_US or net.live.get(pid, 0):
            continue
        checked += 1
        got = Counter(net.delivered_to.get(pid, ()))
        loose = pid in s.expectations.loose
        if broken(want, got, loose) and len(problems) < 5:
            name = lambda p: f"{s.fabric.nodes[p.node].name}[{p.port}]"  # noqa: E731
            problems.append(f"packet {pid} of {net.packets[pid].flow} sent at {t:.1f} \u00b5s "
                            f"reached {sorted(map(name, got.elements())) or 'nobody'}, "
                            f"expected {'at most ' if loose else ''}"
                            f"{sorted(map(name, want))}")
    return not problems, checked, problems


def _messages(s: Session) -> dict[str, dict[int, list[int]]]:
    """Flow -> message -> ids of its data packets still kept in detail."""
    by_flow: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for pid, packet in s.net.packets.items():
        if packet.kind == "data":
            by_flow[packet.flow][packet.seq].append(pid)
    return by_flow


def flow_figures(s: Session) -> list[dict]:
    net, led = s.net, s.ledger
    by_flow = _messages(s)
    last_drop: dict[int, str] = {}
    for d in net.drops:
        if d.reason not in FILTERING or d.pid not in last_drop:
            last_drop[d.pid] = d.reason
    out = []
    for flow in s.flows:
        seqs = by_flow.get(flow.spec.name, {})
        sent, delivered, lost, duplicated, retired_reasons = \
            led.figures.get(flow.spec.name, (0, 0, 0, 0, Counter()))
        sent += len(seqs)
        flying = 0
        reasons: Counter = Counter(retired_reasons)
        for seq, pids in seqs.items():
            part = led.partial.get((flow.spec.name, seq))
            ports = list(part[0]) if part else []
            ports += [p for pid in pids for p in net.delivered_to.get(pid, ())]
            if ports:
                delivered += 1
                duplicated += len(ports) - len(set(ports))
            elif any(net.live.get(pid, 0) for pid in pids):
                flying += 1
            else:
                lost += 1
                reasons[last_drop.get(pids[-1], "unknown")] += 1
        duplicated += getattr(flow, "duplicates", 0)
        not_sent = dict(flow.not_sent)
        backlog = len(getattr(flow, "backlog", ()))
        if backlog:
            waiting = getattr(flow, "waiting", None)
            key = f"connection broken: {flow.broken}" if flow.broken else \
                f"queued at the end: {waiting}" if waiting else \
                "queued behind the send window at the end"
            not_sent[key] = not_sent.get(key, 0) + backlog
        entry = {"name": flow.spec.name, "transport": flow.spec.transport,
                 "source": flow.spec.source, "destination": flow.spec.destination,
                 "sent": sent, "delivered": delivered, "lost": lost,
                 "in_flight": flying, "duplicated": duplicated,
                 "lost_by_reason": dict(sorted(reasons.items())), "not_sent": not_sent}
        if hasattr(flow, "retransmitted"):
            entry["retransmitted"] = flow.retransmitted
            entry["broken"] = flow.broken
        out.append(entry)
    return out


def flow_series(s: Session, name: str):
    """Cumulative delivered and lost messages of flow ``name`` over simulated time (the
    retired part thinned, at send times; see :mod:`~ibviz.core.scenario.ledger`)."""
    import numpy as np

    net, led = s.net, s.ledger
    first: dict[int, float] = {}
    pids: dict[int, list[int]] = defaultdict(list)
    for pid, packet in net.packets.items():
        if packet.flow == name and packet.kind == "data":
            pids[packet.seq].append(pid)
    for d in net.deliveries:
        if d.flow == name and d.packet in net.packets:
            seq = net.packets[d.packet].seq
            first[seq] = min(first.get(seq, d.time_us), d.time_us)
    ended: dict[int, float] = {}
    for d in net.drops:
        if d.flow == name:
            ended[d.pid] = d.t_us
    events: list[tuple[float, int, int]] = list(led.series.get(name, ()))
    events += [(t, 1, 0) for t in first.values()]
    for seq, group in pids.items():
        part = led.partial.get((name, seq))
        if seq not in first and part and part[0]:
            events.append((part[1], 1, 0))
        elif seq not in first and all(not net.live.get(p, 0) for p in group):
            events.append((max((ended.get(p, 0.0) for p in group), default=0.0), 0, 1))
    events.sort()
    t = np.array([e[0] for e in events], float)
    return t, np.cumsum([e[1] for e in events]), np.cumsum([e[2] for e in events])


def _lost_index(s: Session) -> dict[str, tuple[list[float], list[int]]]:
    """Group -> (first send times of kept messages to or from it, sorted; how many of
    the first i were never delivered): messages lost in a span by two bisections."""
    net, led = s.net, s.ledger
    by_group: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for flow, seqs in _messages(s).items():
        groups = led._groups_of.get(flow, ())
        if not groups:
            continue
        for seq, pids in seqs.items():
            part = led.partial.get((flow, seq))
            t = min(net.sent_at[pid][1] for pid in pids)
            done = any(net.delivered_to.get(pid) for pid in pids)
            if part:
                t, done = min(t, part[1]), done or bool(part[0])
            for g in groups:
                by_group[g].append((t, int(not done)))
    index = {}
    for g, rows in by_group.items():
        rows.sort()
        prefix = [0]
        for _, lost in rows:
            prefix.append(prefix[-1] + lost)
        index[g] = ([t for t, _ in rows], prefix)
    return index


def lost_during(s: Session, start: float, end: float, group: str) -> int:
    """Messages to or from ``group`` first sent in [start, end) and never delivered,
    among the packets kept in detail (the ledger counts the retired ones)."""
    times, prefix = _lost_index(s).get(group, ([], [0]))
    return prefix[bisect_left(times, end)] - prefix[bisect_left(times, start)]


def connections_broken(s: Session, moved: set[PortRef]) -> int:
    """Connected flows (RC, UC, RD) with an end at a port whose LID was moved: their
    address vectors name a LID that is gone, so they must be torn down and rebuilt."""
    nodes = {ref.node for ref in moved}
    return sum(1 for f in s.flows if f.spec.transport in ("RC", "UC", "RD") and
               nodes & {e.node for e in (f.src, f.dst) if e.group is None})


def humanize(text: str, s: Session) -> str:
    """Node GUIDs (0x + 16 hex digits) in ``text`` replaced by node names."""
    def name(m: re.Match) -> str:
        node = s.fabric.nodes.get(int(m.group(0), 16))
        return node.name if node is not None else m.group(0)
    return re.sub(r"0x[0-9a-f]{16}", name, text)


def build_report(s: Session) -> dict:
    totals = s.net.totals()
    holds, checked, problems = exactly_once(s)
    failover = []
    lost_index = _lost_index(s)
    outcomes = s.controller.outcomes
    for pos, o in enumerate(outcomes, outcomes.first):
        d = o.to_dict()
        end = o.restored_us if o.restored_us is not None else s.engine.now
        times, prefix = lost_index.get(o.group, ([], [0]))
        d["packets_lost"] = s.ledger.lost.get(pos, 0) + \
            prefix[bisect_left(times, end)] - prefix[bisect_left(times, o.started_us)]
        d["node_name"] = s.fabric.nodes[o.node].label
        d["connections_broken"] = connections_broken(s, o.lids_moved)
        d["phases"] = [{**ph, "phase": humanize(ph["phase"], s)} for ph in d["phases"]]
        if d["problem"]:
            d["problem"] = humanize(d["problem"], s)
        failover.append(d)
    modes = {name: m.value for name, (m, _) in s.controller.modes.items()}
    mode = s.mode_override or (sorted(set(modes.values()))[0] if len(set(modes.values())) == 1
                               else ",".join(sorted(set(modes.values()))) or "none")
    conservation = s.net.conservation_holds()
    checkpoints = []
    starts = sorted(o.started_us for o in outcomes)
    arrivals: dict[str, list[tuple[float, int]]] = defaultdict(list)
    dst_group = {f.spec.name: f.dst.group for f in s.flows if f.dst.group}
    for d in s.net.deliveries:
        if d.flow in dst_group:
            arrivals[dst_group[d.flow]].append((d.time_us, d.port.node))
    for pos, cp in enumerate(s.checkpoints, s.checkpoints.first):
        i = bisect_right(starts, cp["t_us"])
        end = starts[i] if i < len(starts) else float("inf")
        rows = arrivals.get(cp["group"], [])
        lo, hi = bisect_right(rows, (cp["t_us"], INF_NODE)), bisect_left(rows, (end, -1))
        reached = {s.fabric.nodes[node].name for _, node in rows[lo:hi]}
        reached |= s.ledger.reached.get(pos, set())
        checkpoints.append({**cp, "t_us": round(cp["t_us"], 3), "reached": sorted(reached)})
    return {
        "scenario": s.scenario.name, "mode": mode, "seed": s.seed,
        "duration_us": s.duration_us, "simulated_us": round(s.engine.now, 3),
        "modes": {name: {"mode": m.value, "reason": r}
                  for name, (m, r) in s.controller.modes.items()},
        "backend": "builtin", "flows": flow_figures(s), "failover": failover,
        "fabric": fabric_facts(s.fabric, s.sm),
        "checkpoints": checkpoints,
        "mads": {"total": len(s.sm.mads), "smp": s.sm.mads.by_kind["SMP"],
                 "sa": s.sm.mads.by_kind["SA"]},
        "invariants": {"conservation": conservation, "loops": totals.loops,
                       "duplicates": totals.duplicates, "exactly_once": holds,
                       "exactly_once_checked": checked, "problems": problems},
    }


def invariants_hold(report: dict) -> bool:
    inv = report["invariants"]
    return bool(inv["conservation"] and inv["exactly_once"] and not inv["loops"]
                and not inv["duplicates"])


def fabric_facts(fabric: Any, sm: Any) -> dict[str, list[str]]:
    """What the strategies need of the fabric, as the SM's SwitchInfo says (every backend's
    report): the switches that keep no multicast table (MulticastFDBCap = 0)."""
    return {"switches_without_multicast_table": sorted(
        fabric.nodes[g].name if g in fabric.nodes else f"{g:#x}"
        for g, i in sm.switch_info.items() if not i.keeps_multicast_table)}
