"""Open a big fabric in the window until it is interactive, and the whole
``ibviz gui SPEC --screenshot F`` process (issue 16: 12,100 LIDs <= 3 s, 46,550 LIDs
<= 15 s, with progress; ``ibviz gui fat-tree:k=35,n=3 --screenshot`` <= 20 s).

**Open** (a fresh interpreter per run, the window already shown: imports and start-up are
not counted; ``bench_gui_start.py`` times those): from ``open_spec`` (File > Open's path:
a worker thread behind the progress dialog) to interactive: the session installed, the
switch inspector's chooser and LFT table filled, the groups table filled, the canvas
painted, and the event loop idle (a zero timer fired after everything queued). Printed
beside it: the same without generation (from the "Routing" step, as the SM rows of the
issue count), the time of each step the progress dialog named, the CPU time of the open
(all threads) and the child's peak RSS. On a shared, loaded machine the wall time mostly
measures the wait for a core: compare the CPU time.

**Whole process** (``--whole``): ``python -m ibviz gui SPEC --screenshot F`` offscreen,
wall, user+system CPU and peak RSS of that process (``os.wait4``).

    python benchmarks/bench_open.py [--runs 3] [--spec SPEC ...] [--whole] [--no-open]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUPERPOD = Path("/work/shared/fabrics/public/hyungkwang-dgxa100-superpod-hdr-bom-crlf.txt")
SPECS = ["fat-tree:k=22,n=3", "fat-tree:k=35,n=3"]
CHILD = r"""
import resource, sys, time
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from ibviz.gui.app import make_application
app = make_application()
from ibviz.gui.window.main import MainWindow
window = MainWindow(QSettings(sys.argv[2], QSettings.Format.IniFormat))
window.batch = True  # an error goes to stderr, not to a dialog nobody closes
window.resize(1920, 1080)
window.show()
app.processEvents()
steps = []
shown = getattr(window, "_load_stage", None)  # the progress dialog's slot, timed as it
window._load_stage = lambda text: (steps.append((text, time.perf_counter() - start)),  # gets
                                   shown and shown(text))  # each step (None: older code)
start, cpu = time.perf_counter(), time.process_time()
assert window.open_spec(sys.argv[1])
loop, poll = QEventLoop(), QTimer()  # wait in Qt's loop (a Python busy loop would
poll.timeout.connect(lambda: loop.quit() if window._task.error is not None  # take the
                     or not window._task.running() and window.session is not None  # GIL)
                     else None)
poll.start(20)
loop.exec()
poll.stop()
if window._task.error is not None:
    raise SystemExit(f"cannot open: {window._task.error}")
app.processEvents()
inspector = window.inspector
assert inspector.chooser.count() > 0, "no switch in the inspector"
assert inspector.lft_model.rowCount() > 0, "the LFT table is empty"
assert window.groups.tree.topLevelItemCount() > 0, "the groups table is empty"
window.view.viewport().repaint()
idle = []
QTimer.singleShot(0, lambda: idle.append(time.perf_counter()))
while not idle:
    app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
opened, cpu = idle[0] - start, time.process_time() - cpu
routing = next((t for text, t in steps if text.startswith("Routing")), 0.0)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("STEPS " + " | ".join(f"{text} {t:.2f}" for text, t in steps), flush=True)
print(f"OPEN {opened:.4f} {opened - routing:.4f} {cpu:.4f} {peak:.0f} "
      f"{len(window.session.fabric.nodes)}", flush=True)
"""


def child_env() -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen",
            "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


def run_open(spec: str, settings: str) -> tuple[list[float], str]:
    """(open, open without generation, CPU, peak MiB, nodes) and the steps line."""
    done = subprocess.run([sys.executable, "-c", CHILD, spec, settings], env=child_env(),
                          capture_output=True, text=True, timeout=900, check=False)
    lines = done.stdout.splitlines()
    line = next((x for x in lines if x.startswith("OPEN ")), None)
    if line is None:
        raise SystemExit(f"{spec}: the window did not open it:\n{done.stderr.strip()}")
    steps = next((x for x in lines if x.startswith("STEPS ")), "STEPS ")[6:]
    return [float(v) for v in line.split()[1:]], steps


def run_whole(spec: str, out: str) -> tuple[float, float, float]:
    """Wall s, CPU s and peak MiB of ``python -m ibviz gui SPEC --screenshot OUT``."""
    env = {**child_env(), "XDG_CONFIG_HOME": tempfile.mkdtemp(prefix="ibviz-bench-")}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ibviz", "gui", spec, "--screenshot", out],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0 or not Path(out).is_file():
        raise SystemExit(f"ibviz gui {spec} --screenshot failed ({proc.returncode}): {err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def load() -> str:
    return "load " + " ".join(f"{v:.1f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spec", action="append", help="fabric file or generator spec "
                        f"(default: {', '.join(SPECS)})")
    parser.add_argument("--whole", action="store_true",
                        help="also time the whole 'ibviz gui SPEC --screenshot F' process")
    parser.add_argument("--no-open", action="store_true", help="only the whole process")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, {load()} (median of {args.runs} runs each)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.spec or SPECS:
            name = Path(spec).name if "/" in spec else spec
            if not args.no_open:
                runs = [run_open(spec, str(Path(tmp) / "settings.ini")) for _ in range(args.runs)]
                med = [statistics.median(r[0][i] for r in runs) for i in range(5)]
                print(f"{name[:40]:40s} {int(med[4]):6d} nodes | open -> interactive "
                      f"{med[0]:6.2f} s ({med[1]:5.2f} s without generation), CPU "
                      f"{med[2]:5.2f} s, peak {med[3]:5.0f} MiB | {load()}", flush=True)
                print(f"{'':40s} steps (s from the request): {runs[-1][1]}", flush=True)
            if args.whole:
                shots = [run_whole(spec, str(Path(tmp) / "shot.png")) for _ in range(args.runs)]
                print(f"{name[:40]:40s} ibviz gui --screenshot: wall "
                      f"{statistics.median(s[0] for s in shots):6.2f} s, CPU "
                      f"{statistics.median(s[1] for s in shots):5.2f} s, peak "
                      f"{statistics.median(s[2] for s in shots):5.0f} MiB | {load()}",
                      flush=True)


if __name__ == "__main__":
    main()
