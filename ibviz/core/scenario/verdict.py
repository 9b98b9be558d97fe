"""The exactly-once check's side of the ledger: the spans around every failover,
failback and action in which it looks away, and whether a retired multicast datagram's
deliveries break its expectation (see :mod:`ibviz.core.scenario.report`)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from typing import TYPE_CHECKING

from ibviz.core.model import PortRef

if TYPE_CHECKING:
    from ibviz.core.failover.model import Outcome
    from ibviz.core.scenario.protocols import SessionState

INF = float("inf")
SETTLE_US = 100.0
"""How long around every change the exactly-once check looks away (see report)."""


def outcome_end(o: Outcome) -> float | None:
    """End of an outcome's unsteady span (None while it may still change)."""
    if o.restored_us is not None:
        return o.restored_us
    if o.phases and "aborted" in o.phases[-1][1]:
        return o.phases[-1][0]
    if o.problem is not None and o.phases and "failed" in o.phases[-1][1]:
        return INF
    return None


class Spans:
    """Outcome spans, checkpoints and the exactly-once verdicts of
    :class:`~ibviz.core.scenario.ledger.Ledger` (which sets these attributes up)."""

    s: SessionState
    eo_checked: int
    eo_problems: list[str]
    _outcomes_seen: int
    _open: list[tuple[int, Outcome]]
    _spans: list[tuple[float, float, float, int, str]]
    _inf_from: float
    _starts: list[float]
    _longest: float
    _cp_seen: int
    _cps: list[tuple[int, float, str, float]]
    _pass_actions: list[float] | None

    def _track_outcomes(self) -> None:
        outs = self.s.controller.outcomes
        for pos in range(max(self._outcomes_seen, outs.first), len(outs)):
            o = outs[pos]
            self._open.append((pos, o))
            for i in range(len(self._cps) - 1, -1, -1):  # the open ones are the newest
                cp = self._cps[i]
                if cp[3] != INF:
                    break
                if o.started_us > cp[1]:
                    self._cps[i] = (cp[0], cp[1], cp[2], o.started_us)
        self._outcomes_seen = len(outs)
        still = []
        for pos, o in self._open:
            end = outcome_end(o)
            if end is None:
                still.append((pos, o))
            else:
                if end == INF:
                    self._inf_from = min(self._inf_from, o.started_us)
                lost_end = o.restored_us if o.restored_us is not None else INF
                self._spans.append((o.started_us, end, lost_end, pos, o.group))
        self._open = still
        self._spans.sort(key=lambda x: x[0])
        self._starts = [x[0] for x in self._spans]
        self._longest = max((x[1] - x[0] for x in self._spans if x[1] != INF), default=0.0)
        cps = self.s.checkpoints
        for pos in range(max(self._cp_seen, cps.first), len(cps)):
            point = cps[pos]
            i = bisect_right(self._starts, point["t_us"])
            end = min([o.started_us for _, o in self._open if o.started_us > point["t_us"]] +
                      self._starts[i:i + 1], default=INF)
            self._cps.append((pos, point["t_us"], point["group"], end))
        self._cp_seen = len(cps)

    def _judge(self, pid: int, packet, t: float, want, got: list[PortRef],
               counted: bool = False) -> None:
        """Check a retired datagram's deliveries (``counted``: the caller found it
        inside the check and counted it)."""
        s = self.s
        if not counted:
            if t > s.duration_us - SETTLE_US or self.unsteady(t):
                return
            self.eo_checked += 1
        loose = pid in s.expectations.loose
        if len(self.eo_problems) < 5 and broken_list(want, got, loose):
            count = Counter(got)
            name = lambda p: f"{s.fabric.nodes[p.node].name}[{p.port}]"  # noqa: E731
            self.eo_problems.append(
                f"packet {pid} of {packet.flow} sent at {t:.1f} \u00b5s reached "
                f"{sorted(map(name, count.elements())) or 'nobody'}, "
                f"expected {'at most ' if loose else ''}{sorted(map(name, want))}")

    def unsteady(self, t: float) -> bool:
        """Whether ``t`` lies in a span the exactly-once check leaves out (final once
        ``t`` is more than ``SETTLE_US`` in the past)."""
        if t >= self._inf_from - SETTLE_US:
            return True
        if self._open and any(o.started_us - SETTLE_US <= t for _, o in self._open):
            return True
        spans = self._spans
        i = bisect_right(self._starts, t + SETTLE_US) - 1
        while i >= 0 and spans[i][0] >= t - self._longest - 2 * SETTLE_US:
            if t <= spans[i][1] + SETTLE_US:
                return True
            i -= 1
        actions = self._pass_actions if self._pass_actions is not None else \
            self._action_times()
        i = bisect_left(actions, t - 5 * SETTLE_US)
        return i < len(actions) and actions[i] - SETTLE_US <= t

    def _action_times(self) -> list[float]:
        """The times of the timeline's and the user's actions, sorted (a session only
        appends to them while this ledger lives; a rebuild makes a new ledger)."""
        s = self.s
        key = (len(s.scenario.timeline), len(s.actions))
        if getattr(self, "_actions_key", None) != key:
            self._actions_key = key
            self._actions = sorted(a.at_us for a in list(s.scenario.timeline) + s.actions)
        return self._actions


def broken_list(want: frozenset[PortRef], got: list[PortRef], loose: bool) -> bool:
    """:func:`broken` of the ports a datagram reached (a list with repeats), without
    counting them: a port reached twice shows as fewer distinct ports."""
    reached = set(got)
    if len(reached) != len(got):
        return True
    return not reached <= want if loose else reached != want


def broken(want: frozenset[PortRef], got: Counter, loose: bool) -> bool:
    """Whether a datagram's deliveries break its expectation (see ExpectationRecorder)."""
    if any(n != 1 for n in got.values()):
        return True
    return not set(got) <= want if loose else set(got) != want
