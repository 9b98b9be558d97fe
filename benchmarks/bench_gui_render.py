"""Time the fabric canvas: layout + scene build, animation frames, zoom and pan frames.

Run: ``PYTHONPATH=. python benchmarks/bench_gui_render.py [--runs N]`` (offscreen), or
under a real X server: ``xvfb-run -a python benchmarks/bench_gui_render.py``.

Every frame is really painted: ``viewport().repaint()`` paints synchronously into the
window's backing store. Figures are medians of N runs (default 15). Fabrics:
``leaf-spine:hcas=1000`` (1,079 nodes) and ``leaf-spine:hcas=9400`` (10,004 nodes,
18,808 links). For comparison the same 10k fabric is drawn by pyqtgraph's ``GraphItem``
(the issue measured 42-49 ms per frame) and panned the same way.

Zoom frames of big fabrics are previews (the link raster scaled, glyphs crisp); the
canvas repaints at full quality 150 ms after the last wheel step: that full redraw is
timed separately ("zoom, settled").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QPointF  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ibviz.core.layout import layout_array  # noqa: E402
from ibviz.gui.canvas.view import FabricView  # noqa: E402
from ibviz.topology import open_fabric  # noqa: E402

SMALL, BIG = "leaf-spine:hcas=1000", "leaf-spine:hcas=9400"
SIZE = (1600, 1000)


def median_ms(fn: Callable[[], object], runs: int, setup: Callable[[], object] | None = None
              ) -> float:
    times = []
    for _ in range(runs):
        if setup:
            setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def new_view(app: QApplication) -> FabricView:
    view = FabricView()
    view.resize(*SIZE)
    view.show()
    app.processEvents()
    return view


def bench_build(app: QApplication, spec: str, runs: int) -> None:
    fabric = open_fabric(spec)
    view = new_view(app)
    n = len(fabric.nodes)
    layout_ms = median_ms(lambda: layout_array(fabric), runs)
    build_ms = median_ms(lambda: view.set_fabric(fabric), runs)
    paint_ms = median_ms(lambda: view.viewport().repaint(), runs,
                         setup=lambda: view._invalidate(links=True))
    print(f"{spec:24s} {n:6d} nodes  layout {layout_ms:6.1f} ms   layout + scene build "
          f"{build_ms:6.1f} ms   first full paint {paint_ms:6.1f} ms")
    view.close()


def bench_markers(app: QApplication, runs: int) -> None:
    fabric = open_fabric(BIG)
    view = new_view(app)
    view.set_fabric(fabric)
    view.viewport().repaint()
    model = view._model
    rng = np.random.default_rng(1)
    for count in (100, 1000, 5000):
        links = rng.integers(0, len(model.keys), count)
        hops = (np.zeros(count), np.ones(count), model.xy[model.ends[links, 0]],
                model.xy[model.ends[links, 1]], rng.integers(0, 6, count))
        clock = iter(np.linspace(0.05, 0.95, 4 * runs))

        def frame(hops: tuple = hops, clock: object = clock) -> None:
            view.packets.show_hops(*hops, next(clock))
            view.viewport().repaint()

        ms = median_ms(frame, runs)
        print(f"animation frame, 10k nodes, {count:5d} markers: {ms:6.2f} ms (goal <= 4 ms)")
    guids = list(fabric.nodes)
    flips = iter(range(4 * runs))

    def state_change() -> None:  # a node fails or recovers: nodes repaint, links are reused
        view.set_node_states({guids[next(flips) % len(guids)]: "failed"})
        view.viewport().repaint()

    print(f"node state change frame, 10k nodes: {median_ms(state_change, runs):6.2f} ms")
    view.close()


def bench_navigation(app: QApplication, spec: str, runs: int, goal_fps: float) -> None:
    fabric = open_fabric(spec)
    view = new_view(app)
    view.set_fabric(fabric)
    view.viewport().repaint()
    centre = QPointF(SIZE[0] / 2, SIZE[1] / 2)
    steps = iter([1.15, 1 / 1.15] * (2 * runs))

    def zoom() -> None:
        view.zoom_by(next(steps), centre)
        view.viewport().repaint()

    zoom_ms = median_ms(zoom, runs)

    def settle() -> None:
        view._settled()
        view.viewport().repaint()

    settled_ms = median_ms(settle, runs, setup=lambda: view.zoom_by(next(steps), centre))
    shifts = iter([25, -25] * runs)

    def pan() -> None:
        bar = view.horizontalScrollBar()
        bar.setValue(bar.value() + next(shifts))
        view.viewport().repaint()

    pan_ms = median_ms(pan, runs)
    print(f"{spec:24s} zoom {zoom_ms:6.2f} ms ({1000 / zoom_ms:5.0f} fps)   zoom, settled "
          f"{settled_ms:6.1f} ms   pan {pan_ms:6.2f} ms ({1000 / pan_ms:5.0f} fps)   "
          f"goal >= {goal_fps:.0f} fps")
    view.close()


def bench_pyqtgraph(app: QApplication, runs: int) -> None:
    import pyqtgraph as pg

    from ibviz.gui.canvas.model import CanvasModel

    model = CanvasModel.build(open_fabric(BIG))
    widget = pg.PlotWidget()
    widget.resize(*SIZE)
    widget.show()
    graph = pg.GraphItem(pos=model.xy, adj=model.ends, size=6, pxMode=True, symbol="o")
    widget.addItem(graph)
    app.processEvents()
    shifts = iter([1.0, -1.0] * runs)

    def pan() -> None:
        view_box = widget.getViewBox()
        (x0, x1), _ = view_box.viewRange()
        step = next(shifts)
        view_box.setXRange(x0 + step, x1 + step, padding=0)
        widget.viewport().repaint()

    ms = median_ms(pan, runs)
    print(f"peer: pyqtgraph GraphItem, same 10k fabric, pan frame {ms:6.1f} ms "
          f"({1000 / ms:4.0f} fps)")
    widget.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    runs = max(args.runs, 5)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    print(f"Qt platform {QGuiApplication.platformName()}, view {SIZE[0]}x{SIZE[1]}, "
          f"medians of {runs} runs")
    for spec in (SMALL, BIG):
        bench_build(app, spec, runs)
    bench_markers(app, runs)
    bench_navigation(app, SMALL, runs, 60)
    bench_navigation(app, BIG, runs, 25)
    bench_pyqtgraph(app, runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
