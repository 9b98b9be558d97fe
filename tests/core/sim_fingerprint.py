"""A digest of everything a packet simulation produces that a view, a report or the pcap
writer reads: the hop record (every row, and its numpy columns), drops, deliveries, the
per-flow counters, the packets kept in detail, the event log, the report and the pcap
bytes, sampled at several instants (so rows a long session forgets are seen too).

Used by ``test_sim_fingerprint.py`` to pin the simulator's output to what it was before
its hot path was restructured. To re-pin after a deliberate behaviour change:
``PYTHONPATH=. python3 tests/core/sim_fingerprint.py > tests/core/data/sim_fingerprints.json``.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import tempfile
from pathlib import Path

from ibviz.core.scenario import FlowSpec, GroupSpec, MemberSpec, Scenario, Session
from ibviz.topology import open_fabric
from ibviz.topology.scenarios import open_session, scenario_names


def _feed(h, *parts: object) -> None:
    h.update(repr(parts).encode())
    h.update(b"\n")


def snapshot(s: Session, h) -> None:
    """Feed the session's current observable state into ``h``."""
    net = s.net
    _feed(h, "engine", s.engine.events_run, s.engine.now)
    hops = net.hops
    if hops is not None:
        n = len(hops)
        _feed(h, "hops", hops.first, n, hops.flow_names)
        for i in range(n):
            hop = hops[i]
            _feed(h, hop.pid, hop.flow, hop.src, hop.dst, hop.t0, hop.t1, hop.kind,
                  hops.pid(i))
        if n:
            import numpy as np

            idx = np.arange(n)
            _feed(h, hops.t0.tolist(), hops.t1.tolist(), hops.flow_index.tolist(),
                  hops.kind_index.tolist(), hops.endpoints(idx),
                  hops.in_flight(s.engine.now).tolist())
    _feed(h, "drops", [tuple(d) for d in net.drops])
    _feed(h, "deliveries", [(d.packet, d.flow, d.port, d.time_us) for d in net.deliveries])
    _feed(h, "counters", sorted((f, c.sent, c.delivered, sorted(c.dropped.items()),
                                 c.duplicates, c.loops, c.copies)
                                for f, c in net.counters.items()))
    _feed(h, "packets", sorted((pid, repr(p)) for pid, p in net.packets.items()))
    _feed(h, "sent_at", sorted(net.sent_at.items()))
    _feed(h, "delivered_to", sorted(net.delivered_to.items()))
    _feed(h, "live", sorted(net.live.items()), net.conservation_holds())
    _feed(h, "log", [(e.t_us, e.kind, e.text, e.node, e.group, e.ref) for e in s.log])


def fingerprint(s: Session, stops: int = 6) -> dict[str, str]:
    """Digests of ``s`` run to its end: ``state`` (snapshots at ``stops`` instants),
    ``report`` and ``pcap``."""
    h = hashlib.sha256()
    end = s.duration_us + 1000.0
    for k in range(1, stops + 1):
        s.run_until(end * k / stops)
        snapshot(s, h)
    report = json.dumps(s.report(), sort_keys=True, default=repr)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.pcap"
        s.write_pcap(path)
        pcap = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"state": h.hexdigest(), "report": hashlib.sha256(report.encode()).hexdigest(),
            "pcap": pcap}


def busy_session(record: bool = True) -> Session:
    """The benchmark's kind of load on a small fat tree, long enough for the ledger to
    retire packets and trim the hop record; with a node failure and a cable failure."""
    from ibviz.core.scenario.model import Action

    spec = "fat-tree:k=6,n=3"
    fabric = open_fabric(spec)
    names = sorted(n.name for n in fabric.cas())
    rng = random.Random(7)
    groups = [GroupSpec(f"g{i}", 0xFF15 << 112 | (0x1000 + i),
                        [MemberSpec(rng.choice(names), "full") for _ in range(4)])
              for i in range(6)]
    flows = []
    for i in range(60):
        src = rng.choice(names)
        if i % 2:
            dst = f"group:g{i % 6}"
            groups[i % 6].members.append(MemberSpec(src, "send-only-full"))
        else:
            dst = rng.choice([n for n in names if n != src])
        flows.append(FlowSpec(f"f{i}", src, dst, rate_pps=200_000, pattern="poisson"))
    victim = groups[0].members[0].node
    timeline = [Action(300.0, "fail", node=victim), Action(600.0, "link_down", node=names[1], port=1)]
    sc = Scenario("busy", spec, groups=groups, flows=flows, timeline=timeline,
                  duration_us=900.0, seed=3)
    return Session(sc, fabric, record_hops=record)


def cases() -> dict[str, object]:
    out: dict[str, object] = {n: (lambda n=n: open_session(n)) for n in scenario_names()}
    out["busy"] = busy_session
    out["busy-no-hops"] = lambda: busy_session(False)
    return out


def rewound(make) -> dict[str, str]:
    """Run half way, go back to a quarter (re-simulation), then fingerprint."""
    s = make()
    s.run_until(s.duration_us / 2)
    s.seek(s.duration_us / 4)
    return fingerprint(s)


def all_fingerprints() -> dict[str, dict[str, str]]:
    out = {}
    for name, make in cases().items():
        out[name] = fingerprint(make())
    out["fig8/rewound"] = rewound(cases()["fig8"])
    return out


if __name__ == "__main__":
    json.dump(all_fingerprints(), sys.stdout, indent=1, sort_keys=True)
    print()
