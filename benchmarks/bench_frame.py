"""Time one canvas frame of simulation mode on a 10k-node fabric with 5,000 packets in flight.

Run: ``PYTHONPATH=. python benchmarks/bench_frame.py [--runs N] [--spec SPEC]`` (offscreen
unless a display is set). The fabric is ``fat-tree:k=22,n=3`` (12,100 nodes, 31,944
links). The traffic is laid on its real links in the simulator's own records: a
:class:`~ibviz.core.sim.hoplog.HopLog` of 50,000 hops (unicast and multicast data, RC
ACKs and NAKs) of which 5,000 are on the wire at the timed instant, their
:class:`~ibviz.core.sim.packet.DataPacket` records, and 200 SMPs / SA MADs in a
:class:`~ibviz.core.sm.mads.MadLog` (synthetic traffic, since running the packet
simulator to that load is not what is timed here).

A frame is what the window does per animation tick: the positions and glyph kinds of
every packet on the wire (:meth:`PacketFrames.at`), handing them to the packet layer
(``show_glyphs``) and a synchronous ``viewport().repaint()`` (fabric background cached,
as while playing). Each part is timed on its own too. Figures are medians of N frames,
each at a slightly later instant (default 41).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from types import SimpleNamespace

if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ibviz.app.packet_frame import PacketFrames  # noqa: E402
from ibviz.app.visual_clock import VisualClock  # noqa: E402
from ibviz.core.sim.hoplog import HopLog  # noqa: E402
from ibviz.core.sim.packet import ACK, NAK_SEQUENCE, DataPacket  # noqa: E402
from ibviz.core.sm.mads import SA_CLASS, SMP_CLASS, Mad, MadLog  # noqa: E402
from ibviz.gui.canvas.view import FabricView  # noqa: E402
from ibviz.topology import open_fabric  # noqa: E402

SPEC = "fat-tree:k=22,n=3"
SIZE = (1600, 1000)
HOPS, IN_FLIGHT, MADS = 50_000, 5_000, 200
T_NOW = 1000.0


def traffic(fabric, seed: int = 7) -> SimpleNamespace:
    """A session-shaped record of hops on real links: ``IN_FLIGHT`` of ``HOPS`` live at
    ``T_NOW``, the others earlier."""
    rng = np.random.default_rng(seed)
    links = list(fabric.links)
    hops, packets, mads = HopLog(), {}, MadLog()
    for i in range(HOPS):
        a, b = links[int(rng.integers(len(links)))]
        if rng.random() < 0.5:
            a, b = b, a
        live = i >= HOPS - IN_FLIGHT
        t0 = T_NOW - rng.uniform(0.0, 0.05) if live else rng.uniform(0.0, T_NOW - 1.0)
        kind = int(rng.choice(3, p=[0.45, 0.45, 0.10]))  # unicast, multicast, ack/nak
        flow = ("uc", "mc", "rc/ack")[kind]
        packets[i] = DataPacket(flow, 0xC001 if kind == 1 else 5, 7, 0x10,
                                kind="ack" if kind == 2 else "data",
                                syndrome=NAK_SEQUENCE if rng.random() < 0.2 else ACK)
        hops.add(i, flow, a, b, t0, t0 + 0.06 + (0.06 if live else 0.0), 1 if kind == 2 else 0)
    for i in range(MADS):
        a, b = links[int(rng.integers(len(links)))]
        mads.add(Mad(SA_CLASS if i % 4 == 0 else SMP_CLASS, 1, "PortInfo", 0, a, b,
                     T_NOW - 1.0, 2.0))
    return SimpleNamespace(hops=hops, net=SimpleNamespace(packets=packets),
                           sm=SimpleNamespace(mads=mads), fabric=fabric)


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=41)
    parser.add_argument("--spec", default=SPEC)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv)
    fabric = open_fabric(args.spec)
    view = FabricView()
    view.resize(*SIZE)
    view.show()
    view.set_fabric(fabric)
    app.processEvents()
    view.viewport().repaint()  # the background is painted once and cached
    session = traffic(fabric)
    frames = PacketFrames(session)
    frames.update()  # reading a new hop happens once, when the simulator logs it
    positions, handing, paint, whole, cpu = [], [], [], [], []
    shown = 0
    for run in range(args.runs):
        t = T_NOW + 0.0005 * run
        cpu0 = time.process_time()
        start = time.perf_counter()
        frame = frames.at(t, view.node_xy)
        a = time.perf_counter()
        view.packets.show_glyphs(frame.xy, frame.glyph, frame.ref, watched=int(frame.ref[0]))
        b = time.perf_counter()
        view.viewport().repaint()
        end = time.perf_counter()
        cpu.append(time.process_time() - cpu0)
        positions.append(a - start)
        handing.append(b - a)
        paint.append(end - b)
        whole.append(end - start)
        shown = len(frame)
    print(f"{args.spec}: {len(fabric.nodes):,} nodes, {len(fabric.links):,} links; "
          f"{len(session.hops):,} hops logged, {shown:,} packets on the wire "
          f"(incl. MADs), view {SIZE[0]}x{SIZE[1]}, {args.runs} frames, "
          f"platform {app.platformName()}")
    print(f"  positions + glyph kinds (PacketFrames.at)  median {median_ms(positions):6.2f} ms")
    print(f"  show_glyphs                                median {median_ms(handing):6.2f} ms")
    print(f"  paint (viewport repaint, background cached) median {median_ms(paint):6.2f} ms")
    clock, pacing = VisualClock(), []
    for run in range(args.runs):
        start = time.perf_counter()
        clock.advance(T_NOW + 0.0005 * run, 1 / 60, 500.0, lambda: frames.pace_spans(None),
                      lambda _t: None, T_NOW + 100.0)
        pacing.append(time.perf_counter() - start)
    print(f"  visual clock pacing (advance, not paint)   median {median_ms(pacing):6.2f} ms")
    print(f"  whole frame                                median {median_ms(whole):6.2f} ms "
          f"(CPU time {median_ms(cpu):.2f} ms: less sensitive to a loaded machine)")
    view.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
