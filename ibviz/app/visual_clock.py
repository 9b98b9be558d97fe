"""The visual clock of simulation mode: simulated time paced by hops, not microseconds.

A hop lasts a fraction of a microsecond, so at any fixed pace in microseconds per second
a packet either never visibly moves or the idle time between packets takes ages. The
visual clock instead gives every hop of the *paced* packets a visible wall time
(:attr:`VisualClock.hop_wall_s`, about 0.4 s) and crosses the idle gaps between them at
the ordinary speed (microseconds per second). The paced spans are those of the watched
packet when one is watched, else the data hops in flight, else the MADs in flight.

No Qt: the GUI controller asks :meth:`VisualClock.advance` each frame how far to go.

>>> clock = VisualClock(hop_wall_s=0.4)
>>> t = clock.advance(t_us, wall_s=0.016, idle_speed=500.0, spans=spans, run=run,
...                   end_us=10_000.0)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

HOP_WALL_S = 0.4
"""Default wall time of one hop of a paced packet."""
HOP_WALL_MIN_S, HOP_WALL_MAX_S = 0.05, 5.0
MAX_STEPS = 32
"""Pace changes (a hop starting or ending) handled within one frame at most."""
MIN_SPAN_US = 1e-6
"""A span shorter than this is paced as if it lasted this long (no division by zero)."""

Spans = Callable[[], tuple[np.ndarray, np.ndarray]]
"""Returns ``(t0, t1)`` arrays of the intervals that set the pace (read again after
:data:`Run`, since running the simulation appends hops)."""
Run = Callable[[float], None]
"""Runs the simulation up to a time (so hops starting before it are known)."""


def clamp_hop_wall(seconds: float) -> float:
    return min(HOP_WALL_MAX_S, max(HOP_WALL_MIN_S, float(seconds)))


@dataclass
class VisualClock:
    """Hop pacing state: on or off, the wall time per hop, the packet watched."""

    hop_wall_s: float = HOP_WALL_S
    enabled: bool = True
    watched: int | None = None
    """Packet id whose hops set the pace (None: every packet in flight does)."""

    def set_hop_wall(self, seconds: float) -> None:
        self.hop_wall_s = clamp_hop_wall(seconds)

    def advance(self, t_us: float, wall_s: float, idle_speed: float, spans: Spans, run: Run,
                end_us: float) -> float:
        """Simulated time after ``wall_s`` more seconds of play from ``t_us``.

        While paced spans are in flight, time runs so the shortest of them lasts
        :attr:`hop_wall_s`; in between it runs at ``idle_speed`` us per second. The pace is
        re-read whenever a span starts or ends within the frame, so a hop that starts
        mid-frame is never skipped. Never beyond ``end_us``."""
        t, left = float(t_us), float(wall_s)
        idle = max(float(idle_speed), 1e-9)
        for _ in range(MAX_STEPS):
            if left <= 1e-12 or t >= end_us:
                break
            t0, t1 = spans()
            live = (t0 <= t) & (t1 > t)
            if live.any():
                rate = max(float((t1[live] - t0[live]).min()), MIN_SPAN_US) / self.hop_wall_s
                horizon = min(float(t1[live].min()), t + left * rate, end_us)
            else:
                rate = idle
                horizon = min(t + left * rate, end_us)
            run(horizon)
            t0, _ = spans()
            starts = t0[(t0 > t) & (t0 < horizon)]
            stop = float(starts.min()) if len(starts) else horizon
            left -= (stop - t) / rate
            t = stop
        return min(t, end_us)
