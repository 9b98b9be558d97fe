"""Bounded history: long sessions keep windows and counters, and report the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ibviz.cli.main import main
from ibviz.core.history import Window
from ibviz.core.scenario import Session
from ibviz.core.scenario import ledger as ledger_mod
from ibviz.core.scenario.model import Action
from ibviz.core.sm.mads import Mad, MadLog
from ibviz.topology.scenarios import fabric_for, load_scenario

FIG10 = Path(__file__).parents[2] / "resources" / "scenarios" / "fig10.yaml"


def cycles_scenario(n: int, period: float = 2000.0):
    sc = load_scenario("fig10")
    sc.timeline = []
    for i in range(n):
        t = 1000 + i * period
        sc.timeline.append(Action(t, "fail", node="first-node"))
        sc.timeline.append(Action(t + period / 2, "failback", node="first-node"))
    sc.duration_us = 1000 + n * period
    return sc


def run_report(sc, detail: int | None) -> tuple[dict, Session]:
    s = Session(sc, fabric_for(sc), record_hops=False)
    if detail is not None:
        s.ledger.detail = detail
    s.run()
    return s.report(), s


def test_window_keeps_global_positions():
    w: Window[int] = Window(3)
    for i in range(5):
        w.append(i)
    assert len(w) == 5 and list(w) == [2, 3, 4] and w.first == 2
    assert w[4] == 4 and w[-1] == 4 and w[3:] == [3, 4] and w[0:] == [2, 3, 4]
    assert w.get(1) is None
    with pytest.raises(IndexError):
        w[0]


def test_mad_log_rebuilds_what_was_added_and_counts_everything():
    log = MadLog(window=8)
    mads = [Mad(0x81, 2, "MulticastForwardingTable", i % 3, None, None, float(i), 2.0,
                f"reason {i % 2}", 0, {"mlid": 0xC000 + i % 2, "ports": [1, 2]})
            for i in range(20)]
    for m in mads:
        log.add(m)
    assert len(log) == 20 and log.count() == 20 and log.by_kind["SMP"] == 20
    assert log.mads.first >= 20 - 8 - 2 and list(log.mads) == mads[log.mads.first:]
    assert log.mads[19] == mads[19] and log.mads.get(0) is None
    assert log.since(18) == mads[18:]


def test_retiring_packets_gives_the_same_report_byte_for_byte(monkeypatch):
    monkeypatch.setattr(ledger_mod, "BATCH", 16)
    sc = cycles_scenario(40)
    full, _ = run_report(sc, detail=10**9)
    retired, s = run_report(sc, detail=64)
    assert s.ledger.watermark > 1000  # most packets were folded into counters
    assert json.dumps(retired) == json.dumps(full)
    assert full["failover"] and full["checkpoints"]


def test_same_seed_same_json_across_runs_with_retirement(monkeypatch):
    monkeypatch.setattr(ledger_mod, "BATCH", 16)
    a, _ = run_report(cycles_scenario(15), detail=32)
    b, _ = run_report(cycles_scenario(15), detail=32)
    assert json.dumps(a) == json.dumps(b)


def test_long_session_keeps_bounded_detail(monkeypatch):
    monkeypatch.setattr(ledger_mod, "BATCH", 64)
    s = Session(cycles_scenario(300), fabric_for(load_scenario("fig10")), record_hops=True)
    s.ledger.detail = 500
    s.run()
    assert len(s.controller.outcomes) == 600
    assert len(s.net.packets) <= 500 + 2 * 64 + 200
    assert len(s.net.deliveries) < 5000 and len(s.hops) < 20_000
    assert len(s.expectations.expected) <= len(s.net.packets)
    assert s.ledger._spans == [] or len(s.ledger._spans) < 50
    assert s.report()["invariants"]["exactly_once_checked"] > 1000


def test_frozen_windows_are_indexed_by_node():
    sc = cycles_scenario(3)
    s = Session(sc, fabric_for(sc), record_hops=False)
    s.run()
    backs = [o for o in s.controller.outcomes if o.kind == "failback"]
    assert len(backs) == 3 and all(o.frozen_us for o in backs)
    ctl, o = s.controller, backs[-1]
    a, b = o.frozen_us
    assert ctl.frozen(o.node, (a + b) / 2) and not ctl.frozen(o.target, (a + b) / 2)
    assert not ctl.frozen(o.node, b + 1) and ctl.frozen_windows[o.node] == []


def cycles_yaml(tmp_path: Path, n: int) -> Path:
    """fig10's scenario file with a timeline of ``n`` fail/failback entries."""
    head = FIG10.read_text(encoding="utf-8").split("timeline:")[0]
    head = head.replace("duration_us: 10000", f"duration_us: {1000 + n * 2000}")
    lines = [f"  - {{at_us: {1000 + i * 2000 + j * 1000}, {kind}: first-node}}"
             for i in range(n) for j, kind in enumerate(("fail", "failback"))]
    path = tmp_path / f"soak{n}.yaml"
    path.write_text(head + "timeline:\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_ibviz_run_a_yaml_with_hundreds_of_cycles(tmp_path, capsys):
    n = 300
    path = cycles_yaml(tmp_path, n)
    assert main(["run", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["failover"]) == 2 * n
    assert all(o["restored_us"] is not None for o in report["failover"])
    assert report["invariants"]["exactly_once"]


@pytest.mark.slow
def test_ibviz_run_two_thousand_cycles_twice_gives_the_same_bytes(tmp_path, capsys):
    """A timeline of 2,000 fail/failback entries runs (in seconds: time per cycle stays
    flat) and the same seed gives a byte-identical --json report."""
    path = cycles_yaml(tmp_path, 2000)
    assert main(["run", str(path), "--json"]) == 0
    first = capsys.readouterr().out
    assert main(["run", str(path), "--json"]) == 0
    assert capsys.readouterr().out == first
    report = json.loads(first)
    assert report["invariants"]["exactly_once"] and not report["invariants"]["loops"]
    assert report["failover"] and all(o["restored_us"] is not None
                                      for o in report["failover"])
    assert report["mads"]
