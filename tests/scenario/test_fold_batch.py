"""The ledger's batch fold (a run of delivered datagrams at once) leaves exactly the
state and report the one-packet-at-a-time fold leaves, thinning of the plot series and
exactly-once verdicts included."""

from __future__ import annotations

import json
import random

import pytest

from ibviz.core.scenario import FlowSpec, GroupSpec, MemberSpec, Scenario, Session
from ibviz.core.scenario import folding as folding_mod
from ibviz.core.scenario import ledger as ledger_mod
from ibviz.topology import open_fabric

REAL, RUN = folding_mod.Folding._fold_batch, folding_mod.Folding._fold_run


def steady_session() -> Session:
    """Unicast and multicast datagrams with no action: every pass may fold in a batch."""
    spec = "fat-tree:k=4,n=3"
    fabric = open_fabric(spec)
    names = sorted(n.name for n in fabric.cas())
    rng = random.Random(5)
    groups = [GroupSpec(f"g{i}", 0xFF15 << 112 | (0x2000 + i),
                        [MemberSpec(rng.choice(names), "full") for _ in range(3)])
              for i in range(3)]
    flows = []
    for i in range(24):
        src = rng.choice(names)
        if i % 2:
            dst = rng.choice([n for n in names if n != src])
        else:
            dst = f"group:g{i % 3}"
            groups[i % 3].members.append(MemberSpec(src, "send-only-full"))
        flows.append(FlowSpec(f"f{i}", src, dst, rate_pps=150_000, pattern="poisson"))
    sc = Scenario("steady", spec, groups=groups, flows=flows, duration_us=1500.0, seed=4)
    return Session(sc, fabric, record_hops=False)


def folded(monkeypatch: pytest.MonkeyPatch, batch: bool) -> tuple[Session, int]:
    """The session run with the batch fold (looking for each run's end a few packets at
    a time), or with every packet folded by ``_fold_each`` alone."""
    monkeypatch.setattr(ledger_mod, "BATCH", 32)
    monkeypatch.setattr(folding_mod, "SERIES_POINTS", 16)
    monkeypatch.setattr(folding_mod, "SCAN", 7)
    folding = folding_mod.Folding
    monkeypatch.setattr(folding, "_fold_run", RUN if batch else folding._fold_each)
    calls = []

    def fold_batch(self, run, times) -> bool:
        calls.append(len(run))
        return REAL(self, run, times)

    monkeypatch.setattr(folding, "_fold_batch", fold_batch)
    s = steady_session()
    s.ledger.detail = 100
    s.run()
    return s, sum(calls)


def test_batch_fold_equals_the_fold_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    one, none_batched = folded(monkeypatch, batch=False)
    many, batched = folded(monkeypatch, batch=True)
    assert none_batched == 0 and batched > 2000
    a, b = one.ledger, many.ledger
    assert a.eo_checked == b.eo_checked > 1000
    assert (a.eo_problems, a.lost, a.reached) == (b.eo_problems, b.lost, b.reached)
    assert dict(a.figures) == dict(b.figures) and dict(a.series) == dict(b.series)
    assert any(len(p) < 16 and sum(x[1] for x in p) > 16 for p in b.series.values())
    assert json.dumps(one.report(), sort_keys=True, default=repr) == \
        json.dumps(many.report(), sort_keys=True, default=repr)
