"""Cold start of the Qt application to a visible, painted window showing the demo.

Each run is a fresh interpreter (imports, QApplication, main window, the demo scenario
opened, first paint). Measured from the parent's spawn to the child's report after the
first paint. Runs on the offscreen platform and, when ``Xvfb`` is installed, on a real X
server (started once here and stopped on every exit path). Goal: <= 2 s.

Then, for scale, the cost of one animation frame while playing (the QTimer tick: the
session run forward, canvas, markers, narration, status; tables and plots refresh at
4 Hz) on the demo and on the 1,000-HCA fat-tree scenario, at the default speed.

    python benchmarks/bench_gui_start.py [--runs 5] [--spec demo]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHILD = r"""
import sys, time
spawned = float(sys.argv[1])
from PySide6.QtCore import QSettings, QTimer
from ibviz.gui.app import make_application
app = make_application()
from ibviz.gui.window.main import MainWindow
window = MainWindow(QSettings(sys.argv[3], QSettings.Format.IniFormat))
window.show()
ok = window.open_spec(sys.argv[2], background=False)

def painted():
    window.grab()
    print(f"READY {time.time() - spawned:.4f} {int(ok)}", flush=True)
    app.quit()

QTimer.singleShot(0, painted)
app.exec()
"""


PLAY = r"""
import statistics, sys, time
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from ibviz.gui.app import make_application
app = make_application()
from ibviz.gui.window.main import MainWindow
window = MainWindow(QSettings(sys.argv[2], QSettings.Format.IniFormat))
window.resize(1600, 1000)
window.show()
assert window.open_spec(sys.argv[1], background=False)
ctl, frames = window.controller, []
ctl.seek(1000.0)
tick = ctl._tick

def timed():
    start = time.perf_counter()
    tick()
    app.processEvents()
    frames.append(time.perf_counter() - start)

ctl._timer.timeout.disconnect()
ctl._timer.timeout.connect(timed)
ctl.play()
loop = QEventLoop()
QTimer.singleShot(3000, loop.quit)
loop.exec()
ctl.pause()
frames.sort()
print(f"FRAME {statistics.median(frames) * 1e3:.2f} {frames[int(len(frames) * 0.9)] * 1e3:.2f}")
"""


def play_frame(spec: str, env: dict[str, str], settings: str) -> tuple[float, float]:
    proc = subprocess.run([sys.executable, "-c", PLAY, spec, settings], capture_output=True,
                          text=True, env=env, timeout=300, cwd=REPO)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("FRAME ")]
    if proc.returncode != 0 or not line:
        raise RuntimeError(f"play run failed ({proc.returncode}): {proc.stderr[-1500:]}")
    _, median, p90 = line[-1].split()
    return float(median), float(p90)


def one_run(spec: str, env: dict[str, str], settings: str) -> float:
    spawned = time.time()
    proc = subprocess.run([sys.executable, "-c", CHILD, repr(spawned), spec, settings],
                          capture_output=True, text=True, env=env, timeout=120, cwd=REPO)
    ready = [ln for ln in proc.stdout.splitlines() if ln.startswith("READY ")]
    if proc.returncode != 0 or not ready:
        raise RuntimeError(f"start-up run failed ({proc.returncode}): {proc.stderr[-1500:]}")
    _, seconds, ok = ready[-1].split()
    if ok != "1":
        raise RuntimeError(f"{spec} did not open: {proc.stderr[-1500:]}")
    return float(seconds)


def measure(label: str, spec: str, runs: int, env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = str(Path(tmp) / "settings.ini")
        one_run(spec, env, settings)  # warm the disk cache: "cold" means a new process
        times = [one_run(spec, env, settings) for _ in range(runs)]
    print(f"{label:<28} {spec:<10} median {statistics.median(times):.3f} s  "
          f"(min {min(times):.3f}, max {max(times):.3f}, {runs} runs; goal <= 2 s)")


def start_xvfb() -> tuple[subprocess.Popen | None, str]:
    exe = shutil.which("Xvfb")
    if exe is None:
        return None, ""
    for display in range(90, 110):
        if Path(f"/tmp/.X11-unix/X{display}").exists():
            continue
        proc = subprocess.Popen([exe, f":{display}", "-screen", "0", "1920x1080x24",
                                 "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if Path(f"/tmp/.X11-unix/X{display}").exists():
                return proc, f":{display}"
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        stop(proc)
    return None, ""


def stop(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--spec", default="demo")
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items()
            if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    offscreen = {**base, "QT_QPA_PLATFORM": "offscreen"}
    measure("offscreen", args.spec, args.runs, offscreen)
    with tempfile.TemporaryDirectory() as tmp:
        for spec in ("demo", "fat-tree-1000"):
            median, p90 = play_frame(spec, offscreen, str(Path(tmp) / "settings.ini"))
            print(f"{'offscreen, playing':<28} {spec:<10} frame median {median:.1f} ms  "
                  f"(p90 {p90:.1f} ms; 16 ms = 60 fps)")
    xvfb, display = start_xvfb()
    try:
        if xvfb is None:
            print("Xvfb                         not installed (apt-get install xvfb): skipped")
        else:
            measure(f"Xvfb {display} (xcb)", args.spec, args.runs,
                    {**base, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"})
    finally:
        stop(xvfb)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
