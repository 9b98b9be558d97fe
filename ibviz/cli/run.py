"""``ibviz run``: a scenario headless, with a table per flow and the failover timeline,
``--compare`` of the three strategies, JSON, pcap and a JSON-lines trace.

Exit codes: 0 ok, 1 a broken invariant, 2 invalid input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ibviz.cli.progress import ProgressBar
from ibviz.core.naming import plural
from ibviz.core.scenario import ScenarioError, Session
from ibviz.core.scenario.report import invariants_hold
from ibviz.topology.errors import TopologyError

MODES = ("auto", "mlid", "port", "lmc")
COMPARED = ("mlid", "port", "lmc")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a scenario headless and report what happened",
                       description="Run a scenario (a built-in name or a YAML file) on the "
                       "built-in simulation. Exit code 0: ok; 1: an invariant broke; "
                       "2: invalid input.")
    p.add_argument("scenario", nargs="?", help="built-in scenario name or scenario file")
    p.add_argument("--list", action="store_true", help="list the built-in scenarios")
    p.add_argument("--mode", choices=MODES, help="override the scenario's failover mode")
    p.add_argument("--compare", action="store_true",
                   help="run MLID reassignment, port remap and the prior-art LMC takeover "
                        "on the same scenario, side by side")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--pcap", metavar="FILE", help="write every packet and MAD as pcapng")
    p.add_argument("--trace", metavar="FILE", help="write the event log and every packet "
                   "hop as JSON lines")
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument("--backend", choices=("builtin", "lab"), default="builtin",
                   help="builtin: the simulation (default); lab: the real OpenSM on an "
                        "ibsim fabric (mode 1, fail/failback; needs opensm, ibsim-utils)")
    p.set_defaults(func=run_command)


def _run(spec: str, mode: str | None, seed: int | None, label: str,
         record_hops: bool = False, refuse: bool = True) -> Session:
    from ibviz.topology.scenarios import open_session

    bar = ProgressBar(label)
    session = open_session(spec, mode=mode, seed=seed, progress=bar, record_hops=record_hops)
    if refuse:  # (a comparison shows a strategy that cannot work as not applicable)
        _refuse_what_cannot_work(session)
    steps = 50
    for i in range(1, steps + 1):
        session.run_until(session.duration_us * i / steps)
        bar(i, steps)
    session.run()
    bar.close()
    return session


def _refuse_what_cannot_work(session: Session) -> None:
    """A group forced to MLID reassignment on a fabric whose switches keep no multicast
    table would send into nothing while the timeline says it is served: say so instead
    (``--compare`` shows that strategy as not applicable)."""
    from ibviz.core.failover.model import Mode
    from ibviz.core.scenario.compare import mlid_not_applicable
    from ibviz.core.scenario.report import fabric_facts

    forced = [name for name, (mode, _) in session.controller.modes.items()
              if mode is Mode.MLID]
    why = mlid_not_applicable(fabric_facts(session.fabric, session.sm)) if forced else None
    if why is not None:
        raise ScenarioError(f"group {forced[0]}: {why}: use --mode port (or auto, which "
                            "picks the switch's default multicast ports)")


def run_command(args: argparse.Namespace) -> int:
    from ibviz.topology.scenarios import scenario_description, scenario_names

    if args.list:
        for name in scenario_names():
            print(f"{name:22} {scenario_description(name)}")
        return 0
    if not args.scenario:
        print("ibviz run: name a scenario (ibviz run --list shows the built-in ones)",
              file=sys.stderr)
        return 2
    if args.backend == "lab":
        return _run_lab(args)
    if args.compare and (args.mode or args.pcap or args.trace):
        print("ibviz run: --compare runs each strategy in turn; --mode, --pcap and --trace "
              "go with a single run (leave out --compare)", file=sys.stderr)
        return 2
    try:
        if args.compare:
            reports = {m: _run(args.scenario, m, args.seed, f"{args.scenario} ({m})",
                               refuse=False).report() for m in COMPARED}
            if args.json:
                from ibviz.core.scenario.compare import explanation, not_applicable

                for report in reports.values():
                    report["not_applicable"] = not_applicable(report)
                print(json.dumps({"scenario": args.scenario, "compare": reports,
                                  "explain": explanation()}, indent=2))
            else:
                print(format_compare(args.scenario, reports))
            return 0  # a strategy that cannot work here is a finding, shown in the table
        session = _run(args.scenario, args.mode, args.seed, args.scenario,
                       record_hops=bool(args.pcap or args.trace))
    except (ScenarioError, TopologyError) as exc:
        print(f"ibviz run: {exc}", file=sys.stderr)
        return 2
    report = session.report()
    if args.pcap:
        from ibviz.core.scenario.wire import write_pcap

        counts = write_pcap(session, args.pcap)
        print(f"ibviz run: wrote {counts['frames']} frames to {args.pcap}"
              + (f" ({counts['skipped']} RD/raw/PathRecord left out)"
                 if counts["skipped"] else ""), file=sys.stderr)
    if args.trace:
        write_trace(session, Path(args.trace))
    print(json.dumps(report, indent=2) if args.json else format_report(session, report))
    if not invariants_hold(report):
        print("ibviz run: an invariant is broken: "
              + json.dumps(report["invariants"]), file=sys.stderr)
        return 1
    return 0


def _run_lab(args: argparse.Namespace) -> int:
    from ibviz.backends.base import BackendError
    from ibviz.backends.lab_run import run_on_lab
    from ibviz.topology.scenarios import fabric_for, load_scenario

    if args.compare or args.pcap or args.trace:
        print("ibviz run: --compare, --pcap and --trace need the built-in backend",
              file=sys.stderr)
        return 2
    try:
        sc = load_scenario(args.scenario)
        fabric = fabric_for(sc)
    except (ScenarioError, TopologyError) as exc:
        print(f"ibviz run: {exc}", file=sys.stderr)
        return 2
    if args.seed is not None:
        sc.seed = args.seed
    bar = ProgressBar(f"{args.scenario} on the OpenSM lab")
    try:
        report = run_on_lab(sc, fabric, mode=args.mode, progress=bar)
    except (BackendError, ScenarioError, TopologyError) as exc:  # what the lab cannot run
        bar.close()
        print(f"ibviz run: {exc}", file=sys.stderr)
        return 2
    bar.close()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for cp in report["checkpoints"]:
            print(f"after {cp['after']} of {cp['group']}: receivers {cp['receivers']}, "
                  f"probe packets reached {cp['reached']}")
        for f in report["flows"]:
            print(f"  {f['name']}: sent {f['sent']}, delivered {f['delivered']}, "
                  f"lost {f['lost']} {f['lost_by_reason'] or ''}")
    return 0 if invariants_hold(report) else 1


def write_trace(session: Session, path: Path) -> None:
    hops = session.hops
    with path.open("w", encoding="utf-8") as out:
        for e in session.log:
            out.write(json.dumps({"t_us": round(e.t_us, 3), "type": "log", "kind": e.kind,
                                  "text": e.text, "group": e.group}) + "\n")
        for i in range(len(hops) if hops is not None else 0):
            h = hops[i]
            out.write(json.dumps({"t_us": round(h.t0, 3), "type": "hop", "kind": h.kind,
                                  "pid": h.pid, "flow": h.flow, "from": str(h.src),
                                  "to": str(h.dst), "arrive_us": round(h.t1, 3)}) + "\n")
        for d in session.drops:
            out.write(json.dumps({"t_us": round(d.t_us, 3), "type": "drop", "pid": d.pid,
                                  "flow": d.flow, "at": str(d.port), "reason": d.reason})
                      + "\n")


def _us(v: float | None) -> str:
    return "-" if v is None else f"{v:,.1f}"


def format_report(session: Session, r: dict) -> str:
    lines = [f"scenario {r['scenario']}  mode {r['mode']}  seed {r['seed']}  "
             f"simulated {r['duration_us']:,.0f} \u00b5s"]
    for name, m in r["modes"].items():
        lines.append(f"  group {name}: {m['mode']} ({m['reason']})")
    lines.append("")
    head = f"{'flow':24} {'transport':9} {'sent':>7} {'deliv':>7} {'lost':>6} {'dup':>5}  " \
           "lost by reason / not sent"
    lines += [head, "-" * len(head)]
    for f in r["flows"]:
        why = "; ".join(f"{k}: {v}" for k, v in f["lost_by_reason"].items())
        why += "".join(f"; not sent ({k}): {v}" for k, v in f["not_sent"].items())
        if f.get("broken"):
            why += f"; BROKEN: {f['broken']}"
        lines.append(f"{f['name'][:24]:24} {f['transport']:9} {f['sent']:>7} "
                     f"{f['delivered']:>7} {f['lost']:>6} {f['duplicated']:>5}  "
                     f"{why.lstrip('; ')}")
    lines.append("")
    lines.append("failover timeline")
    for o in r["failover"]:
        lines.append(f"  {o['group']} {o['kind']} of {o['node_name']} ({o['mode']}): detected "
                     f"{_us(o['detected_us'])} \u00b5s, restored {_us(o['restored_us'])} \u00b5s, outage "
                     f"{_us(o['outage_us'])} \u00b5s, {plural(o['mads'], 'MAD')}, "
                     f"{plural(o['nodes_touched'], 'node')} touched, "
                     f"{plural(o['packets_lost'], 'message')} lost"
                     + (f"  PROBLEM: {o['problem']}" if o["problem"] else ""))
        for ph in o["phases"]:
            lines.append(f"    {ph['at_us']:>10,.1f} \u00b5s  {ph['phase']}")
    inv = r["invariants"]
    lines.append("")
    lines.append(f"invariants: conservation {'ok' if inv['conservation'] else 'BROKEN'}, "
                 f"loops {inv['loops']}, duplicates {inv['duplicates']}, exactly-once "
                 f"{'ok' if inv['exactly_once'] else 'BROKEN'} "
                 f"({inv['exactly_once_checked']} multicast packets checked)")
    lines += [f"  {p}" for p in inv["problems"]]
    return "\n".join(lines)


def format_compare(name: str, reports: dict[str, dict]) -> str:
    from ibviz.core.scenario.compare import (
        METRICS,
        NEEDS,
        STRATEGIES,
        cell_text,
        invariants_text,
        summarise,
    )

    rows = {m: summarise(r) for m, r in reports.items()}
    width = max(22, *(len(STRATEGIES[m]) + 2 for m in rows),
                *(len(invariants_text(r)) + 2 for r in rows.values()))
    lines = [f"scenario {name}: the three strategies (failovers only, what each strategy's "
             "own steps add)", f"{'':22}" + "".join(f"{STRATEGIES[m]:>{width}}" for m in rows)]
    for metric in METRICS:
        lines.append(f"{metric.label:22}" + "".join(
            f"{cell_text(rows[m], metric.key):>{width}}" for m in rows))
    lines.append(f"{'invariants':22}" + "".join(
        f"{invariants_text(rows[m]):>{width}}" for m in rows))
    for m, row in rows.items():
        if row["not_applicable"]:
            lines.append(f"  {STRATEGIES[m]}: not applicable: {row['not_applicable']}")
            continue
        for problem in row["problems"]:
            lines.append(f"  {STRATEGIES[m]}: {problem}")
        for broken in row["invariants_broken"]:
            lines.append(f"  {STRATEGIES[m]}: invariant broken: {broken}")
        for problem in row["invariant_problems"]:
            lines.append(f"  {STRATEGIES[m]}: e.g. {problem}")
    lines.append("what the figures mean:")
    lines += [f"  {m.label}: {m.explain}" for m in METRICS]
    lines.append("what each strategy needs:")
    lines += [f"  {STRATEGIES[m]}: {NEEDS[m]}" for m in rows]
    return "\n".join(lines)
