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
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from ibviz.core.model import PortRef
from ibviz.core.sim.packet import DataPacket

if TYPE_CHECKING:
    from ibviz.core.scenario.protocols import SessionState as Session

SETTLE_US = 100.0
FILTERING = frozenset({"multicast tree ends here", "MLID not attached to the port"})
"""Drops that are normal filtering of surplus copies, named only when nothing else is."""


class ExpectationRecorder:
    """Remembers, for each multicast datagram, which ports should receive it."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.expected: dict[int, frozenset[PortRef]] = {}
        self._cache: dict[str, tuple[tuple, frozenset[PortRef]]] = {}
        """Flow -> (state version, expected ports): every change is logged, so the log's
        length (with the outcomes') tells when the answer may differ."""
        self._groups = {f.spec.name: f for f in session.flows
                        if f.dst.group is not None and f.spec.transport in ("UD", "raw")}

    def on_send(self, pid: int, packet: DataPacket, src: PortRef) -> None:
        flow = self._groups.get(packet.flow)
        if flow is None or packet.dlid < 0xC000:
            return
        s = self.s
        version = (len(s.log), len(s.controller.outcomes), src)
        cached = self._cache.get(packet.flow)
        if cached is not None and cached[0] == version:
            self.expected[pid] = cached[1]
            return
        group = s.sm.sa.groups.get(flow.dst.mgid)
        ports = {p for p in (group.receivers if group else ())
                 if p.node not in s.sm.failed and p.node not in s.sm.switch_info}
        serving = s.controller.serving.get(flow.dst.group)
        if serving is not None and serving not in s.sm.failed:
            ports.add(s.port_of(serving))
        want = self.expected[pid] = frozenset(ports - {src})
        self._cache[packet.flow] = (version, want)


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


def exactly_once(s: Session) -> tuple[bool, int, list[str]]:
    """(holds, messages checked, first problems)."""
    spans = _unsteady(s)
    net, problems, checked = s.net, [], 0
    for pid, want in s.expectations.expected.items():
        t = net.sent_at[pid][1]
        if any(a <= t <= b for a, b in spans) or t > s.duration_us - SETTLE_US or \
                net.live.get(pid, 0):
            continue
        checked += 1
        got = Counter(net.delivered_to.get(pid, ()))
        broken = set(got) != want or any(n != 1 for n in got.values())
        if broken and len(problems) < 5:
            name = lambda p: f"{s.fabric.nodes[p.node].name}[{p.port}]"  # noqa: E731
            problems.append(f"packet {pid} of {net.packets[pid].flow} sent at {t:.1f} us "
                            f"reached {sorted(map(name, got.elements())) or 'nobody'}, "
                            f"expected {sorted(map(name, want))}")
    return not problems, checked, problems


def flow_figures(s: Session) -> list[dict]:
    net = s.net
    by_flow: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for pid, packet in net.packets.items():
        if packet.kind == "data":
            by_flow[packet.flow][packet.seq].append(pid)
    last_drop: dict[int, str] = {}
    for d in net.drops:
        if d.reason not in FILTERING or d.pid not in last_drop:
            last_drop[d.pid] = d.reason
    out = []
    for flow in s.flows:
        seqs = by_flow.get(flow.spec.name, {})
        delivered = lost = flying = duplicated = 0
        reasons: Counter = Counter()
        for pids in seqs.values():
            ports = [p for pid in pids for p in net.delivered_to.get(pid, ())]
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
            key = f"connection broken: {flow.broken}" if flow.broken else \
                "queued behind the send window at the end"
            not_sent[key] = not_sent.get(key, 0) + backlog
        entry = {"name": flow.spec.name, "transport": flow.spec.transport,
                 "source": flow.spec.source, "destination": flow.spec.destination,
                 "sent": len(seqs), "delivered": delivered, "lost": lost,
                 "in_flight": flying, "duplicated": duplicated,
                 "lost_by_reason": dict(sorted(reasons.items())), "not_sent": not_sent}
        if hasattr(flow, "retransmitted"):
            entry["retransmitted"] = flow.retransmitted
            entry["broken"] = flow.broken
        out.append(entry)
    return out


def flow_series(s: Session, name: str):
    """Cumulative delivered and lost messages of flow ``name`` over simulated time."""
    import numpy as np

    net = s.net
    first: dict[int, float] = {}
    pids: dict[int, list[int]] = defaultdict(list)
    for pid, packet in net.packets.items():
        if packet.flow == name and packet.kind == "data":
            pids[packet.seq].append(pid)
    for d in net.deliveries:
        if d.flow == name:
            seq = net.packets[d.packet].seq
            first[seq] = min(first.get(seq, d.time_us), d.time_us)
    ended: dict[int, float] = {}
    for d in net.drops:
        if d.flow == name:
            ended[d.pid] = d.t_us
    events: list[tuple[float, int, int]] = [(t, 1, 0) for t in first.values()]
    for seq, group in pids.items():
        if seq not in first and all(not net.live.get(p, 0) for p in group):
            events.append((max((ended.get(p, 0.0) for p in group), default=0.0), 0, 1))
    events.sort()
    t = np.array([e[0] for e in events], float)
    return t, np.cumsum([e[1] for e in events]), np.cumsum([e[2] for e in events])


def lost_during(s: Session, start: float, end: float, group: str) -> int:
    """Messages to or from ``group`` first sent in [start, end) and never delivered."""
    net = s.net
    names = {f.spec.name for f in s.flows if group in (f.dst.group, f.src.group)}
    first: dict[tuple[str, int], float] = {}
    delivered: set[tuple[str, int]] = set()
    for pid, packet in net.packets.items():
        if packet.flow in names and packet.kind == "data":
            key = (packet.flow, packet.seq)
            first[key] = min(first.get(key, float("inf")), net.sent_at[pid][1])
            if net.delivered_to.get(pid):
                delivered.add(key)
    return sum(1 for key, t in first.items() if start <= t < end and key not in delivered)


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
    for o in s.controller.outcomes:
        d = o.to_dict()
        end = o.restored_us if o.restored_us is not None else s.engine.now
        d["packets_lost"] = lost_during(s, o.started_us, end, o.group)
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
    for cp in s.checkpoints:
        end = min((o.started_us for o in s.controller.outcomes if o.started_us > cp["t_us"]),
                  default=float("inf"))
        flows = {f.spec.name for f in s.flows if f.dst.group == cp["group"]}
        reached = {s.fabric.nodes[d.port.node].name for d in s.net.deliveries
                   if d.flow in flows and cp["t_us"] < d.time_us < end}
        checkpoints.append({**cp, "t_us": round(cp["t_us"], 3), "reached": sorted(reached)})
    return {
        "scenario": s.scenario.name, "mode": mode, "seed": s.seed,
        "duration_us": s.duration_us, "simulated_us": round(s.engine.now, 3),
        "modes": {name: {"mode": m.value, "reason": r}
                  for name, (m, r) in s.controller.modes.items()},
        "backend": "builtin", "flows": flow_figures(s), "failover": failover,
        "checkpoints": checkpoints,
        "mads": {"total": len(s.sm.mads), "smp": sum(1 for m in s.sm.mads.mads
                                                      if m.kind == "SMP"),
                 "sa": sum(1 for m in s.sm.mads.mads if m.kind == "SA")},
        "invariants": {"conservation": conservation, "loops": totals.loops,
                       "duplicates": totals.duplicates, "exactly_once": holds,
                       "exactly_once_checked": checked, "problems": problems},
    }


def invariants_hold(report: dict) -> bool:
    inv = report["invariants"]
    return bool(inv["conservation"] and inv["exactly_once"] and not inv["loops"]
                and not inv["duplicates"])
