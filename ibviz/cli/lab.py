"""``ibviz lab``: the real OpenSM managing a simulated fabric (ibsim), in the terminal.

Starts the lab with a progress bar, prints how long OpenSM took to SUBNET UP and the
groups and multicast tables it programmed, optionally runs a failover scenario, then
exits (``--once``) or follows OpenSM's changes until Ctrl+C. Every child process and
temporary file is removed on the way out, also on Ctrl+C or SIGTERM.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from ibviz.backends.base import BackendError
from ibviz.backends.lab import LAB_SCENARIOS, OpenSmLab, run_lab_scenario
from ibviz.cli.progress import ProgressBar
from ibviz.core import events as ev
from ibviz.core.fabric import Fabric
from ibviz.topology import open_fabric
from ibviz.topology.builtin import FAILOVER_ROLES
from ibviz.topology.errors import TopologyError

POLL_SECONDS = 0.2


def add_parser(sub: Any) -> None:
    lab = sub.add_parser(
        "lab", help="run the real OpenSM on a simulated fabric (ibsim) and show its state",
        description="Start ibsim on the fabric and the real OpenSM against it (Debian "
                    "packages opensm, ibsim-utils, infiniband-diags, libibumad3; no root), "
                    "print the groups and multicast tables OpenSM programs, and follow its "
                    "changes until Ctrl+C.")
    lab.add_argument("fabric", nargs="?", default="fig8",
                     help="fabric file, built-in name or generator spec (default: fig8)")
    lab.add_argument("--scenario", choices=sorted(LAB_SCENARIOS),
                     help="run a failover on a failover fabric (fig8, fig10, demo): "
                          + "; ".join(f"{k}: {v}" for k, v in sorted(LAB_SCENARIOS.items())))
    lab.add_argument("--lmc", type=int, default=0, choices=range(8), metavar="N",
                     help="LMC OpenSM gives every CA port (0-7, default 0)")
    lab.add_argument("--routing", default="minhop",
                     help="OpenSM routing engine (default minhop)")
    lab.add_argument("--once", action="store_true",
                     help="exit after printing the state (default: follow until Ctrl+C)")
    lab.add_argument("--workdir", type=Path,
                     help="keep the lab's files (net file, OpenSM's dumps and log) here")
    lab.set_defaults(func=cmd_lab)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM and SIGINT end the lab like Ctrl+C (the ``with`` blocks clean up), whatever
    the process inherited: a process started in the background inherits SIGINT ignored, and
    Python then never raises KeyboardInterrupt."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        old = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)


def cmd_lab(args: Any, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        fabric = open_fabric(args.fabric)
    except (TopologyError, KeyError, ValueError, OSError) as exc:
        text = exc.one_line() if isinstance(exc, TopologyError) else str(exc)
        print(f"ibviz: error: {text}", file=sys.stderr)
        return 1
    roles = FAILOVER_ROLES.get(str(args.fabric))
    if args.scenario and roles is None:
        print(f"ibviz: error: --scenario needs a failover fabric ({', '.join(FAILOVER_ROLES)})"
              f", not {args.fabric}", file=sys.stderr)
        return 1
    lab = OpenSmLab(fabric, lmc=args.lmc, routing=args.routing, workdir=args.workdir)
    bar = ProgressBar("lab")

    def progress(done: int, total: int) -> None:
        bar.label = f"lab: {lab.phase}"
        bar(done, total)

    try:
        with _sigterm_as_interrupt(), lab:
            try:
                lab.start(progress)
            finally:
                bar.close()
            print(f"{fabric.name}: SUBNET UP after {lab.up_seconds or 0:.2f} s (OpenSM), state "
                  f"read after {lab.start_seconds or 0:.2f} s; {lab.status().detail}", file=out)
            if args.scenario:
                run_lab_scenario(lab, args.scenario, roles or {}, lambda s: print(s, file=out))
            print_state(lab, out)
            if not args.once:
                follow(lab, out)
    except KeyboardInterrupt:
        print("ibviz lab: stopped; OpenSM and ibsim cleaned up", file=out)
        return 0
    except BackendError as exc:
        print(f"ibviz: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _label(fabric: Fabric, guid: int) -> str:
    node = fabric.nodes.get(guid)
    return node.label if node else f"{guid:#018x}"


def print_state(lab: OpenSmLab, out: TextIO) -> None:
    """The groups and MFTs OpenSM programmed, as two short tables."""
    lab.poll()
    groups = sorted(lab.sm.sa.groups.values(), key=lambda g: g.mlid)
    print(f"\n{'MLID':<8}{'MGID':<42}members", file=out)
    for group in groups:
        members = ", ".join(f"{_label(lab.fabric, p.node)}:{m.join_state:#x}"
                            for p, m in sorted(group.members.items())) or "-"
        print(f"{group.mlid:<#8x}{group.mgid:<#42x}{members}", file=out)
    rows = sorted((sw, mlid, ports) for sw, table in lab.sm.mfts.items()
                  for mlid, ports in table.items())
    print(f"\n{'switch':<24}{'MLID':<8}out ports", file=out)
    for sw, mlid, ports in rows:
        print(f"{_label(lab.fabric, sw)[:23]:<24}{mlid:<#8x}"
              f"{' '.join(map(str, sorted(ports)))}", file=out)
    if not rows:
        print("(no multicast tables: OpenSM programs a tree once a group has two member ports)",
              file=out)


def describe(event: ev.Event, fabric: Fabric) -> str | None:
    """One line for the events worth showing while following the lab."""
    name = lambda guid: _label(fabric, guid)  # noqa: E731
    if isinstance(event, ev.MftChanged):
        return (f"{name(event.switch)} MFT[{event.mlid:#06x}]: {sorted(event.old) or '-'} -> "
                f"{sorted(event.new) or '-'}")
    if isinstance(event, ev.MemberJoined | ev.MemberLeft):
        verb = "joins" if isinstance(event, ev.MemberJoined) else "leaves"
        return f"{name(event.port.node)} {verb} {event.mgid:#x} (JoinState {event.join_state:#x})"
    if isinstance(event, ev.GroupCreated | ev.GroupDeleted):
        verb = "created" if isinstance(event, ev.GroupCreated) else "deleted"
        return f"group {event.mgid:#x} {verb} (MLID {event.mlid:#06x})"
    if isinstance(event, ev.NodeFailed | ev.NodeRecovered):
        return f"{name(event.guid)} {'failed' if isinstance(event, ev.NodeFailed) else 'is back'}"
    return None


def follow(lab: OpenSmLab, out: TextIO, seconds: float | None = None) -> None:
    """Print OpenSM's changes as they happen, until Ctrl+C (or ``seconds``)."""
    def show(event: ev.Event) -> None:
        line = describe(event, lab.fabric)
        if line:
            print(f"{time.strftime('%H:%M:%S')} {line}", file=out, flush=True)

    print("\nfollowing OpenSM's changes; Ctrl+C stops the lab", file=out, flush=True)
    unsubscribe = lab.events.subscribe(ev.Event, show)
    gone = False
    end = None if seconds is None else time.monotonic() + seconds
    try:
        while end is None or time.monotonic() < end:
            if lab.poll() and not lab.sm_running and not gone:
                gone = True
                print(f"{time.strftime('%H:%M:%S')} {lab.status().detail}", file=out,
                      flush=True)
            time.sleep(POLL_SECONDS)
    finally:
        unsubscribe()
