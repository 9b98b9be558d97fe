"""Open a big fabric in the window until its tables are filled: the DGX SuperPOD file
(goal <= 2 s) and a 10,000-HCA fabric (goal <= 5 s).

Each run is a fresh interpreter with the window already shown (imports and start-up are
not counted; ``bench_gui_start.py`` times those). Timed from ``open_spec`` to: the
session installed, the switch inspector's chooser, SwitchInfo and LFT table filled, the
groups table filled and the canvas painted once (the level-of-detail drawing: badges and
bundles). Also printed: the canvas model build (tiered layout + level of detail) alone.
Medians of ``--runs``; the CPU time of the open (all threads) is printed beside the wall
time: on a shared, loaded machine the wall time mostly measures the wait for a core.

    python benchmarks/bench_open.py [--runs 3] [--spec FILE_OR_SPEC ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUPERPOD = Path("/work/shared/fabrics/public/hyungkwang-dgxa100-superpod-hdr-bom-crlf.txt")
SPECS = [str(SUPERPOD), "fat-tree:k=22,n=3"]
CHILD = r"""
import sys, time
from PySide6.QtCore import QSettings
from ibviz.gui.app import make_application
app = make_application()
from ibviz.gui.canvas.model import CanvasModel
from ibviz.gui.window.main import MainWindow
window = MainWindow(QSettings(sys.argv[2], QSettings.Format.IniFormat))
window.batch = True  # an error goes to stderr, not to a dialog nobody closes
window.resize(1920, 1080)
window.show()
app.processEvents()
start, cpu = time.perf_counter(), time.process_time()
assert window.open_spec(sys.argv[1], background=False)
app.processEvents()
inspector = window.inspector
assert inspector.chooser.count() > 0, "no switch in the inspector"
assert inspector.lft_model.rowCount() > 0, "the LFT table is empty"
assert window.groups.model().rowCount() if hasattr(window.groups, "model") else True
window.view.viewport().repaint()
opened, cpu = time.perf_counter() - start, time.process_time() - cpu
fabric = window.view.fabric()
start = time.perf_counter()
CanvasModel.build(fabric)
model = time.perf_counter() - start
print(f"OPEN {opened:.4f} {model:.4f} {len(fabric.nodes)} {cpu:.4f}", flush=True)
"""


def run(spec: str, settings: str) -> tuple[float, float, int, float]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    done = subprocess.run([sys.executable, "-c", CHILD, spec, settings], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("OPEN ")), None)
    if line is None:
        raise SystemExit(f"{spec}: the window did not open it:\n{done.stderr.strip()}")
    _, opened, model, nodes, cpu = line.split()
    return float(opened), float(model), int(nodes), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spec", action="append", help="fabric file or generator spec")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.spec or SPECS:
            results = [run(spec, str(Path(tmp) / "settings.ini")) for _ in range(args.runs)]
            name = Path(spec).name if "/" in spec else spec
            print(f"{name[:44]:44s} {results[0][2]:6d} nodes | open -> tables filled "
                  f"{statistics.median(r[0] for r in results):6.2f} s (CPU "
                  f"{statistics.median(r[3] for r in results):5.2f} s), canvas model "
                  f"{statistics.median(r[1] for r in results):5.2f} s "
                  f"(median of {args.runs})", flush=True)


if __name__ == "__main__":
    main()
