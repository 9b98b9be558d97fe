"""``ibviz run SCENARIO --backend lab``: a scenario on the real OpenSM (ibsim + OpenSM).

The scenario's groups are joined through OpenSM's SA; each timeline ``fail`` is an ibsim
``Unlink`` followed by mode 1 (the takeover joins through the SA), each ``failback`` a
``ReLink``, the primary's rejoin and the takeover's leave. After the set-up and after
every failover and failback the group flows are played through the packet simulator
fed with OpenSM's own tables (ibsim forwards no data packets), for a probe of
``PROBE_US``; the report has the same shape as the built-in backend's, with
``"backend": "lab"`` and wall-clock timings. Each probe waits (up to ``SETTLE_S``) for
OpenSM to finish programming every switch. Mode 2 and the prior art are not run here
(``docs/lab.md`` says why), nor other timeline actions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ibviz.backends.base import BackendError
from ibviz.backends.lab import OpenSmLab
from ibviz.core import actions as act
from ibviz.core.bulk import Progress
from ibviz.core.failover.model import Outcome
from ibviz.core.scenario import Scenario, ScenarioError
from ibviz.core.scenario.report import fabric_facts
from ibviz.core.scenario.setup import resolver
from ibviz.core.sim.engine import Engine
from ibviz.core.sim.network import NetworkSim
from ibviz.core.sim.packet import DataPacket
from ibviz.core.sm.records import JoinState

PROBE_US = 1000.0
SETTLE_S = 5.0
"""How long a probe waits for OpenSM to finish programming the switches."""
STATES = {"full": JoinState.FULL, "non-member": JoinState.NON_MEMBER,
          "send-only": JoinState.SEND_ONLY_NON_MEMBER, "send-only-full": JoinState.SEND_ONLY_FULL}


def _check(sc: Scenario, mode: str | None) -> None:
    for i, fo in enumerate(sc.failover):
        if (mode or fo.mode) not in ("mlid", "auto"):
            raise sc.error(f"failover[{i}].mode" if len(sc.failover) > 1 else "failover.mode",
                           "the lab backend runs mode 1 (mlid) only; mode 2 needs a "
                           "DefaultMulticastPrimaryPort that ibsim does not keep")
    for i, a in enumerate(sc.timeline):
        if a.kind not in ("fail", "failback"):
            raise sc.error(f"timeline[{i}]", f"the lab backend runs fail and failback, "
                           f"not {a.kind}")


def _probe(lab: OpenSmLab, sc: Scenario, resolve: Callable[[str, str], int], label: str,
           totals: dict[str, Any]) -> dict[str, set[str]]:
    """Play the scenario's flows to groups for ``PROBE_US`` on OpenSM's tables."""
    engine = Engine()
    net = NetworkSim(lab.sm, engine, record_hops=False)
    net.receive.attach_all_groups()
    groups = {g.name: g for g in sc.groups}
    reached: dict[str, set[str]] = {}
    for i, f in enumerate(sc.flows):
        if not f.destination.startswith("group:") or f.transport not in ("UD", "raw"):
            continue
        spec = groups[f.destination[6:]]
        group = lab.sm.sa.groups.get(spec.mgid)
        src = lab.member_port(resolve(f.source, f"flows[{i}].source"))
        if group is None or src.node in lab.sm.failed:
            continue
        gap = 1e6 / f.rate_pps
        n = max(1, int(PROBE_US / gap))
        for k in range(n):
            net.send(src, DataPacket(f.name, group.mlid, lab.fabric.port(src).lid, 0xFFFFFF,
                                     f.size, True, f.transport, seq=k), at_us=k * gap)
    engine.run()
    checked = broken = 0
    for pid, packet in net.packets.items():
        group = next((g for g in lab.sm.sa.groups.values() if g.mlid == packet.dlid), None)
        if group is None:
            continue
        want = {p for p in group.receivers if p.node not in lab.sm.switch_info
                and p.node not in lab.sm.failed} - {net.sent_at[pid][0]}
        got = net.delivered_to.get(pid, [])
        checked += 1
        broken += set(got) != want or len(got) != len(set(got))
    for f in sc.flows:
        c = net.counters.get(f.name)
        if c is None:
            continue
        t = totals.setdefault(f.name, {"name": f.name, "transport": f.transport,
                                       "source": f.source, "destination": f.destination,
                                       "sent": 0, "delivered": 0, "lost": 0, "in_flight": 0,
                                       "duplicated": 0, "lost_by_reason": {}, "not_sent": {}})
        delivered = {d.packet for d in net.deliveries if d.flow == f.name}
        t["sent"] += c.sent
        t["delivered"] += len(delivered)
        t["lost"] += c.sent - len(delivered)
        t["duplicated"] += c.duplicates
        for d in net.drops:
            if d.flow == f.name and d.pid not in delivered:
                t["lost_by_reason"][d.reason] = t["lost_by_reason"].get(d.reason, 0) + 1
        reached.setdefault(f.destination[6:], set()).update(
            lab.fabric.nodes[d.port.node].name for d in net.deliveries if d.flow == f.name)
    totals.setdefault("_checks", []).append((label, net.conservation_holds(),
                                             sum(c.loops for c in net.counters.values()),
                                             checked, broken))
    return reached


def _settled_probe(lab: OpenSmLab, sc: Scenario, resolve: Callable[[str, str], int],
                   label: str, totals: dict[str, Any], timeout: float = SETTLE_S
                   ) -> dict[str, set[str]]:
    """Probe until OpenSM's tables have settled: OpenSM programs one switch after the
    other, so a probe right after a change may see half of it. Repeats (polling the
    dumps) until every probe packet reaches every receiver exactly once, or ``timeout``
    passes; only the last probe is counted."""
    deadline = time.monotonic() + timeout
    while True:
        trial: dict[str, dict] = {}
        reached = _probe(lab, sc, resolve, label, trial)
        if not trial["_checks"][-1][4] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
        lab.poll()
    for name, figures in trial.items():
        if name == "_checks":
            totals.setdefault("_checks", []).extend(figures)
            continue
        into = totals.setdefault(name, {**figures, "sent": 0, "delivered": 0, "lost": 0,
                                        "duplicated": 0, "lost_by_reason": {}})
        for key in ("sent", "delivered", "lost", "duplicated"):
            into[key] += figures[key]
        for reason, n in figures["lost_by_reason"].items():
            into["lost_by_reason"][reason] = into["lost_by_reason"].get(reason, 0) + n
    return reached


def _after_outcome(lab: OpenSmLab, sc: Scenario, resolve: Callable[[str, str], int],
                   out: Outcome, totals: dict[str, Any], failover: list[dict],
                   checkpoints: list[dict]) -> None:
    """Wait for OpenSM's SA to settle, probe, and keep the outcome and a checkpoint."""
    group_name = out.group or ""
    mgid = lab.protection.mgid_of(group_name)

    def sa_settled() -> bool:
        """OpenSM's SA dump no longer lists a member on a failed node."""
        group = lab.sm.sa.groups.get(mgid)
        return group is None or not any(p.node in lab.sm.failed for p in group.members)
    lab.wait_until(sa_settled, SETTLE_S, "OpenSM's SA to drop the failed node")
    reached = _settled_probe(lab, sc, resolve, out.kind, totals)
    d = out.to_dict()
    d["node_name"] = lab.fabric.nodes[out.node].label
    d["packets_lost"] = 0
    failover.append(d)
    sa = lab.sm.sa.groups.get(mgid)
    receivers = sorted(lab.fabric.nodes[p.node].name for p in (sa.receivers if sa else ())
                       if p.node not in lab.sm.switch_info)
    checkpoints.append({"after": out.kind, "group": group_name, "t_us": d["restored_us"],
                        "receivers": receivers, "reached": sorted(reached.get(group_name, ()))})


def run_on_lab(sc: Scenario, fabric, *, mode: str | None = None,
               progress: Progress | None = None) -> dict:
    """Run ``sc`` on a fresh OpenSM lab; returns the report (see the module docstring)."""
    _check(sc, mode)
    resolve = resolver(sc, fabric)
    totals: dict[str, Any] = {}
    failover: list[dict] = []
    checkpoints: list[dict] = []
    with OpenSmLab(fabric, lmc=sc.sm.lmc, routing=sc.sm.routing) as lab:
        lab.start(progress)
        primaries = set()
        for i, fo in enumerate(sc.failover):
            key = f"failover[{i}]" if len(sc.failover) > 1 else "failover"
            spec = next((g for g in sc.groups if g.name == fo.group), None)
            if spec is None:
                raise sc.error(f"{key}.group", f"no group {fo.group!r} in groups")
            primary = resolve(fo.primary, f"{key}.primary")
            primaries.add(primary)
            lab.apply(act.Protect(fo.group, spec.mgid, primary,
                                  resolve(fo.takeover, f"{key}.takeover"), mode="mlid"))
        protection = lab.protection
        for g in sc.groups:
            if g.name in protection.groups:
                lab.join(protection.groups[g.name].primary, g.mgid, JoinState.FULL)
            for j, m in enumerate(g.members):
                lab.join(resolve(m.node, f"groups.{g.name}.members[{j}].node"), g.mgid,
                         STATES[m.join_state])
            if g.mgid in lab.sm.sa.groups:
                lab.sm.sa.groups[g.mgid].name = g.name
        mlids = [lab.sm.sa.groups[g.mgid].mlid for g in sc.groups
                 if g.mgid in lab.sm.sa.groups]
        lab.wait_until(lambda: all(any(m in t for t in lab.sm.mfts.values()) for m in mlids),
                       10.0, "OpenSM to program the groups' multicast trees")
        _settled_probe(lab, sc, resolve, "set-up", totals)
        for i, entry in enumerate(sorted(sc.timeline, key=lambda a: a.at_us)):
            guid = resolve(entry.node or "", f"timeline[{i}].{entry.kind}")
            if guid not in primaries:
                continue
            t0 = time.monotonic()
            action = act.Fail(guid) if entry.kind == "fail" else act.FailBack(guid)
            for out in lab.apply(action):  # the failover policy: takeovers, give-backs
                out.restored_us = (time.monotonic() - t0) * 1e6
                protection.record(out)
                _after_outcome(lab, sc, resolve, out, totals, failover, checkpoints)
        mads = lab.clients.requests if lab.clients is not None else 0
    checks = totals.pop("_checks", [])
    return {"scenario": sc.name, "mode": mode or "mlid", "seed": sc.seed, "backend": "lab",
            "flows": list(totals.values()), "failover": failover, "checkpoints": checkpoints,
            "fabric": fabric_facts(lab.fabric, lab.sm),
            "mads": {"total": mads},
            "invariants": {"conservation": all(c[1] for c in checks),
                           "loops": sum(c[2] for c in checks), "duplicates": 0,
                           "exactly_once": not any(c[4] for c in checks),
                           "exactly_once_checked": sum(c[3] for c in checks),
                           "problems": [f"{c[4]} probe packet(s) after {c[0]} did not reach "
                                        "every receiver exactly once" for c in checks if c[4]]}}


__all__ = ["BackendError", "ScenarioError", "run_on_lab"]
