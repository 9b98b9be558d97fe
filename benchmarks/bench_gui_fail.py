"""A Fail click in the window until the settled state is painted, at 1k and 10k HCAs.

    python benchmarks/bench_gui_fail.py [--runs 5] [--sizes 1k,10k]

Each size runs in a fresh interpreter (offscreen Qt, the window at 1920x1080): a fat tree
(``fat-tree:k=10,n=3``, 1,000 HCAs; ``fat-tree:k=22,n=3``, 10,648 HCAs) with one protected
group of 8 members on different leaves (the primary, the takeover and six senders), the
built-in simulation paused at t = 100 us, the primary selected, the window idle. A run is
what a trainer does with the clock paused:

1. **Fail** (the QAction the node's right-click menu holds): timed until the canvas has
   painted the node failed (the first frame showing the failure, at the view time);
2. **Next failover** (N) until the failover's restore instant: each jump timed until a
   paint at the new time; at the restore instant the window shows the settled state: the
   node drawn failed, the groups panel saying the group is served by the takeover, the
   canvas drawing the group's new tree (the MFTs now), the outcome restored;
3. (untimed) Fail back and N until the failback is done, for the next run.

Figures: medians over the runs of wall and CPU time (this process, all threads) of the
click, of each jump and of their sum (the computing a user waits for on the way to the
settled state), and where the time went (session, each panel, canvas paint; summed over
the runs' clicks and jumps, then divided by the runs). The machine is shared: run it
when it is quiet, or read the figures as upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZES = {"1k": "fat-tree:k=10,n=3", "10k": "fat-tree:k=22,n=3"}
START_US = 100.0
GOAL_MS = 150.0

# the pieces of the window timed apart: (object path, method) -> label
PIECES = [
    ("session", "Session", ["apply", "run_until", "seek"]),
    ("canvas paint", "FabricView", ["drawBackground", "drawForeground"]),
    ("canvas states", "FabricView", ["set_node_states", "set_link_states", "set_highlight",
                                     "set_pinned_labels"]),
    ("groups panel", "GroupsPanel", ["refresh", "set_time"]),
    ("switch inspector", "SwitchInspector", ["refresh"]),
    ("event log", "EventLogPanel", ["refresh"]),
    ("narration", "NarrationStrip", ["refresh", "set_time"]),
    ("MLID tree", "MlidTreePanel", ["refresh"]),
    ("node details", "NodeDetailsPanel", ["refresh"]),
    ("problems", "ProblemsPanel", ["mark_stale", "run"]),
    ("metrics plot", "FlowPlot", ["refresh", "set_time"]),
    ("packets, hop list", "PacketInspector", ["show_in_flight"]),
    ("packets, hop list", "HopListPanel", ["refresh"]),
]


def scenario(spec: str):
    """One protected group of 8 members on different leaves (see the module docstring)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_sm import spread_members

    from ibviz.core.scenario import GroupSpec, MemberSpec, Scenario
    from ibviz.core.scenario.model import FailoverSpec
    from ibviz.topology import open_fabric

    fabric = open_fabric(spec)
    names = [fabric.nodes[g].name for g in spread_members(fabric, 8)]
    group = GroupSpec("svc", 0xFF15 << 112 | 0x1234,
                      [MemberSpec(n, "send-only-full") for n in names[2:]])
    sc = Scenario("fail-bench", spec, groups=[group],
                  failover=[FailoverSpec("svc", names[0], names[1])],
                  duration_us=20_000.0, seed=1)
    return sc, fabric


def instrument(totals: dict[str, float]) -> None:
    """Wrap the timed pieces' methods (before the window exists: PySide looks up Python
    overrides once per object)."""
    import functools

    from ibviz.core.scenario.session import Session
    from ibviz.gui.canvas.view import FabricView
    from ibviz.gui.panels import (
        event_log,
        groups,
        hop_list,
        metrics,
        mlid_tree,
        narration,
        node_details,
        packet_inspector,
        problems,
        switch_inspector,
    )

    found = {"Session": Session, "FabricView": FabricView, "GroupsPanel": groups.GroupsPanel,
             "SwitchInspector": switch_inspector.SwitchInspector,
             "EventLogPanel": event_log.EventLogPanel,
             "NarrationStrip": narration.NarrationStrip,
             "MlidTreePanel": mlid_tree.MlidTreePanel,
             "NodeDetailsPanel": node_details.NodeDetailsPanel,
             "ProblemsPanel": problems.ProblemsPanel, "FlowPlot": metrics.FlowPlot,
             "PacketInspector": packet_inspector.PacketInspector,
             "HopListPanel": hop_list.HopListPanel}
    depth = [0]  # nested calls (a panel refresh inside a seek) count once, outermost

    def wrap(cls: type, name: str, label: str) -> None:
        inner = getattr(cls, name)

        @functools.wraps(inner)
        def timed(*args, **kwargs):
            depth[0] += 1
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                depth[0] -= 1
                if label != "session" or depth[0] == 0:
                    totals[label] = totals.get(label, 0.0) + time.perf_counter() - start
                    if name == "drawBackground":
                        totals["paints"] = totals.get("paints", 0.0) + 1
        setattr(cls, name, timed)

    for label, cls_name, names in PIECES:
        for name in names:
            if hasattr(found[cls_name], name):
                wrap(found[cls_name], name, label)


def child(spec: str, runs: int) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from ibviz.gui.app import make_application
    app = make_application()
    from ibviz.app.opening import Loaded
    from ibviz.app.view_sync import group_highlight
    from ibviz.core.scenario import Session
    from ibviz.gui.panels.groups import STATUS_COL
    from ibviz.gui.window.main import MainWindow

    totals: dict[str, float] = {}
    instrument(totals)
    sc, fabric = scenario(spec)
    session = Session(sc, fabric)
    settings = QSettings(str(Path(os.environ["BENCH_TMP"]) / "ibviz.ini"),
                         QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.batch = True
    window.resize(1920, 1080)
    window.show()
    app.processEvents()
    window.install(Loaded(session, {"kind": "scenario", "spec": spec, "mode": None,
                                    "seed": None}))
    window.controller.seek(START_US)
    for _ in range(20):
        app.processEvents()
    pg = session.controller.groups["svc"]
    primary, takeover = pg.primary, pg.takeover
    take_name = session.fabric.nodes[takeover].name

    def wait(done, what: str, timeout_s: float = 120.0) -> None:
        """Process events until ``done()`` holds after a paint (never a sleep)."""
        painted = totals.get("paints", 0.0)
        limit = time.monotonic() + timeout_s
        while not (totals.get("paints", 0.0) > painted and done()):
            app.processEvents()
            if time.monotonic() > limit:
                raise RuntimeError(f"{spec}: timed out waiting for {what}")

    def measured(trigger, done, what: str) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        trigger()
        wait(done, what)
        return time.perf_counter() - wall, time.process_time() - cpu

    def served_text() -> str:
        item = window.groups.tree.topLevelItem(0)
        return item.text(STATUS_COL) if item is not None else ""

    def settled() -> bool:
        s = window.session
        out = s.controller.outcomes[-1]
        links, _ports = group_highlight(s, pg.mgid)
        return (out.kind == "failover" and out.restored_us is not None
                and out.restored_us <= window.controller.view_time_us
                and window.view._states.get(primary) == "failed"
                and served_text() == f"served by {take_name}"
                and window.view._highlight[0] == links)

    rows = []
    for run in range(runs):
        window.select_node(primary)
        app.processEvents()
        before = dict(totals)
        fail = measured(window.actions_.fail.trigger,
                        lambda: window.view._states.get(primary) == "failed", "the failure")
        jumps = []
        while not settled():
            t = window.controller.view_time_us
            jumps.append(measured(window.actions_.next_failover.trigger,
                                  lambda t=t: window.controller.view_time_us > t, "N"))
            if len(jumps) > 5:
                raise RuntimeError(f"{spec}: not settled after 5 jumps ({served_text()})")
        spent = {k: v - before.get(k, 0.0) for k, v in totals.items()}
        rows.append({"fail": fail, "jumps": jumps, "spent": spent,
                     "settled_us": window.controller.view_time_us})
        if run + 1 < runs:  # fail back, then on to the next run (untimed)
            window.select_node(primary)
            window.actions_.failback.trigger()
            while not (window.session.controller.outcomes[-1].kind == "failback"
                       and window.session.controller.outcomes[-1].restored_us is not None
                       and window.session.controller.outcomes[-1].restored_us
                       <= window.controller.view_time_us):
                window.actions_.next_failover.trigger()
                app.processEvents()
    return {"spec": spec, "hcas": sum(1 for _ in fabric.cas()), "rows": rows}


def report(result: dict) -> None:
    rows = result["rows"]

    def med(values: list[float]) -> float:
        return statistics.median(values) * 1000

    fail_w = med([r["fail"][0] for r in rows])
    fail_c = med([r["fail"][1] for r in rows])
    n = max(len(r["jumps"]) for r in rows)
    print(f"\n{result['spec']} ({result['hcas']:,} HCAs), {len(rows)} runs, medians:")
    print(f"  Fail click -> failure painted        {fail_w:7.1f} ms wall {fail_c:7.1f} ms CPU")
    for i in range(n):
        js = [r["jumps"][i] for r in rows if len(r["jumps"]) > i]
        print(f"  Next failover {i + 1} -> painted         {med([j[0] for j in js]):7.1f} ms "
              f"wall {med([j[1] for j in js]):7.1f} ms CPU")
    total_w = med([r["fail"][0] + sum(j[0] for j in r["jumps"]) for r in rows])
    total_c = med([r["fail"][1] + sum(j[1] for j in r["jumps"]) for r in rows])
    verdict = "met" if total_w <= GOAL_MS else "MISSED"
    print(f"  click + jumps -> settled painted     {total_w:7.1f} ms wall {total_c:7.1f} ms CPU"
          f"   (goal <= {GOAL_MS:.0f} ms: {verdict})")
    print(f"  settled at t = {rows[-1]['settled_us']:.1f} us (failure at {START_US:.0f} us)")
    print("  where the time went (per run: the click and its jumps):")
    labels = sorted({k for r in rows for k in r["spent"] if k != "paints"},
                    key=lambda k: -sum(r["spent"].get(k, 0.0) for r in rows))
    for label in labels:
        per = sum(r["spent"].get(label, 0.0) for r in rows) / len(rows) * 1000
        print(f"    {label:22s} {per:7.1f} ms")
    paints = sum(r["spent"].get("paints", 0.0) for r in rows) / len(rows)
    print(f"    ({paints:.1f} canvas paints per run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1k,10k")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(child(args.child, args.runs)), flush=True)
        return
    import tempfile

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for size in args.sizes.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "BENCH_TMP": tmp,
                   "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
            done = subprocess.run([sys.executable, __file__, "--runs", str(args.runs),
                                   "--child", SIZES.get(size, size)], env=env,
                                  capture_output=True, text=True, check=False)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
        if done.returncode or not lines:
            sys.exit(f"{size}: the child failed:\n{done.stderr[-3000:]}")
        report(json.loads(lines[-1][len("RESULT "):]))


if __name__ == "__main__":
    main()
