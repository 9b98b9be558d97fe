"""Where the window's clock goes next, computed from the session alone (no Qt): the next
or previous instant something happens (Step, Step back), the next failover instant.

On a session that rewinds (:class:`~ibviz.app.shown.Rewinds`) the session's time is the
view time, so a step forward asks the session for its next event instead of running
ahead; over a live session the session runs ahead and the view time follows it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import cast

import numpy as np

from ibviz.app.shown import Rewinds, ShownSession
from ibviz.core.scenario.protocols import LogEntry

Starts = Callable[[], np.ndarray]
"""The start times of the spans a look-ahead must not run past (see :func:`run_ahead`)."""
RECENT_HOPS = 65_536
"""Hops that start later than they are recorded are among the newest: a look-ahead reads
this many."""
SEARCH_STEP_US = 100.0
"""Looking for the next failover event, the session runs ahead in steps this long."""
CHANGE_KINDS = ("fail", "recover", "link", "sweep")
"""Without a protected group, the log entries N goes to: a node or cable failing or coming
back, and the SM's heavy sweep that re-routes around it (or to it again)."""


def step_target(s: ShownSession, t: float, span: float, forward: bool, rewinds: bool,
                duration_us: float) -> float:
    """The next (previous) instant after (before) ``t`` something happens (a hop starts
    or ends, a log entry), at most ``span`` away."""
    candidates = [t + span if forward else t - span]
    if forward and rewinds:  # the session is at t: its next event, not run yet
        candidates.append(float(cast(Rewinds, s).next_event_us()))
    elif forward and t + span > s.now_us:
        s.run_until(min(t + span, max(duration_us, t)))
    hops = s.hops
    if len(hops):
        times = np.concatenate([hops.t0, hops.t1])
        near = times[times > t + 1e-9] if forward else times[times < t - 1e-9]
        if len(near):
            candidates.append(float(near.min() if forward else near.max()))
    candidates += [e.t_us for e in s.log if (e.t_us > t + 1e-9 if forward
                                              else e.t_us < t - 1e-9)]
    return min(candidates) if forward else max(candidates)


def paced_step_target(t0: np.ndarray, t1: np.ndarray, t: float, forward: bool
                      ) -> float | None:
    """With hop pacing, Step moves by hops of the paced spans ``(t0, t1)``: to the next
    (previous) start, middle or end of a hop, skipping instants less than a quarter of
    that hop from ``t`` (staggered packets' boundaries a few ns apart are not a step).
    None when no paced hop lies that way."""
    t0, t1 = np.asarray(t0, float), np.asarray(t1, float)
    if not len(t0):
        return None
    gap = np.maximum((t1 - t0) / 4, 1e-9)
    best: float | None = None
    for c in (t0, (t0 + t1) / 2, t1):
        ok = c > t + gap if forward else c < t - gap
        if ok.any():
            x = float(c[ok].min() if forward else c[ok].max())
            if best is None or (x < best if forward else x > best):
                best = x
    return best


def find_next_failover(s: ShownSession, start: float, duration_us: float,
                       rewinds: bool = False) -> float | None:
    """Run ``s`` forward until a failure, detection or restore instant after ``start`` is
    known (None when there is none before ``duration_us``).

    A session that rewinds runs one event instant at a time, so it stops at the instant
    found: showing it needs no re-simulation from the start (at 10k HCAs that costs
    seconds); another session runs ahead in steps of :data:`SEARCH_STEP_US`. A session
    that protects no group and has nothing scripted or taken after ``start`` (free play
    on a plain fabric) has none to find: it is not run (at 10k HCAs that cost ~10 s).

    On a session that rewinds and protects no group, the failures and the SM's re-routes
    are the events instead (see :func:`find_next_change`)."""
    if rewinds and not s.failover_times() and not _protects(s):
        found = find_next_change(s, start, duration_us)
        if found is not None or _none_can_come(s, start):
            return found
    while True:
        later = [t for t in s.failover_times() if t > start + 1e-9]
        if later or s.now_us >= duration_us:
            return later[0] if later else None
        target = min(duration_us, s.now_us + SEARCH_STEP_US)
        if rewinds:
            target = min(target, float(cast(Rewinds, s).next_event_us()))
        s.run_until(target)


def find_next_change(s: ShownSession, start: float, duration_us: float) -> float | None:
    """The next instant after ``start`` a node or cable fails or comes back or the SM's
    heavy sweep re-routes (:data:`CHANGE_KINDS`), running a session that rewinds one event
    at a time while one can still come: a change whose re-route has not been logged yet,
    or a later scripted or user action. None when there is none before ``duration_us``."""
    while True:
        later = _change_times(s, start)
        if later:
            return min(later)
        if s.now_us >= duration_us or (not _sweep_pending(s) and _none_can_come(s, start)):
            return None
        s.run_until(min(duration_us, s.now_us + SEARCH_STEP_US,
                        float(cast(Rewinds, s).next_event_us())))


def _newest(s: ShownSession, start: float) -> Iterator[LogEntry]:
    """The log's entries after ``start``, newest first."""
    log = s.log
    for i in range(len(log) - 1, getattr(log, "first", 0) - 1, -1):
        entry = log[i]
        if entry.t_us <= start + 1e-9:
            return
        yield entry


def _change_times(s: ShownSession, start: float) -> list[float]:
    return [e.t_us for e in _newest(s, start) if e.kind in CHANGE_KINDS]


def _sweep_pending(s: ShownSession) -> bool:
    """The newest failure or return has no re-route logged after it yet."""
    newest = next((e for e in _newest(s, -math.inf) if e.kind in CHANGE_KINDS), None)
    return newest is not None and newest.kind != "sweep"


def _protects(s: ShownSession) -> bool:
    controller = getattr(s, "controller", None)
    return controller is None or bool(controller.groups)


def _none_can_come(s: ShownSession, start: float) -> bool:
    """No failover or failback can start after ``start``: only a protected group has
    them, and none is protected now nor can be by a later scripted or user action."""
    controller = getattr(s, "controller", None)
    script = getattr(s, "script", None)
    steps = getattr(s, "steps", None)
    if controller is None or script is None or steps is None or controller.groups:
        return False
    return (not any(at > start for at, _ in script)
            and not any(step.at_us > start for step in steps))


def recent_hop_starts(s: ShownSession) -> np.ndarray:
    hops = s.hops
    return hops.t0[-RECENT_HOPS:] if hops is not None and len(hops) else np.zeros(0)


def run_ahead(s: ShownSession, t_us: float, rewinds: bool, duration_us: float,
              starts: Starts | None = None) -> None:
    """Run ``s`` toward ``t_us`` to look ahead (the visual clock finding the next hop).

    On a session that rewinds it stops at the first start it knows of after its time
    (``starts()``: the paced spans' starts, by default the recent hops') and at the first
    event that starts a hop or sends a MAD (they start at or after it), so the time the
    look-ahead then picks is never behind the session: showing it needs no re-simulation.
    """
    if t_us <= s.now_us:
        return
    t_us = min(t_us, max(duration_us, float(s.now_us)))
    if not rewinds:
        s.run_until(t_us)
        return
    known = starts or (lambda: recent_hop_starts(s))

    def sent() -> tuple[int, int]:
        return (len(s.hops) if s.hops is not None else 0, len(s.sm.mads))

    seen = sent()
    while s.now_us < t_us:
        t0 = np.asarray(known(), float)
        ahead = t0[t0 > s.now_us]
        first = float(ahead.min()) if len(ahead) else math.inf
        s.run_until(min(t_us, first, cast(Rewinds, s).next_event_us()))
        if s.now_us >= first or sent() != seen:
            return
