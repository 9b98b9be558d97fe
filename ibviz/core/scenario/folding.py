"""Folding retired packets into the ledger's counters (see
:mod:`ibviz.core.scenario.ledger`): per-flow message figures, the exactly-once verdicts,
messages lost per failover and the thinned delivered/lost series."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Sequence
from itertools import compress, count, repeat
from operator import add, and_, attrgetter, eq, ge, is_not, itemgetter, not_, or_, sub

from ibviz.core.model import PortRef
from ibviz.core.scenario.verdict import INF, SETTLE_US, Spans, broken_list

SERIES_POINTS = 4096
"""Retired delivered/lost events kept per flow for the plot (thinned by halving)."""
_FLOW, _KIND, _TIME = attrgetter("flow"), attrgetter("kind"), itemgetter(1)
SCAN = 512
"""Packets read at a time when looking for the end of a run to fold."""


class Folding(Spans):
    """The folding steps of :class:`~ibviz.core.scenario.ledger.Ledger` (which sets
    these attributes up)."""

    held: list[int]
    pending: dict[tuple[str, int], int]
    partial: dict[tuple[str, int], list]
    _figures: dict[str, list]
    _counted: Counter[str]
    lost: dict[int, int]
    series: dict[str, list[tuple[float, int, int]]]
    _last_drop: dict[int, str]
    _retired_since_trim: int
    _reliable: set[str]
    _once: frozenset[str]
    _groups_of: dict[str, set[str]]
    _settled_below: Callable[[str], float]

    @property
    def figures(self) -> dict[str, list]:
        """Flow -> [messages, delivered, lost, duplicated, lost by reason] (retired)."""
        if self._counted:  # delivered messages folded in batches, counted per flow
            figures = self._figures
            for flow, n in self._counted.items():
                fig = figures[flow]
                fig[0] += n
                fig[1] += n
            self._counted.clear()
        return self._figures

    def _fold_run(self, start: int, limit: int, now: float) -> int:
        """Fold packets from ``start`` on, in order, up to ``limit`` or the first one
        with a copy in flight or sent less than ``SETTLE_US`` before ``now``; returns
        where it stopped (the new watermark). Holds back the packets of messages that
        may still be retransmitted. A run of delivered datagrams in steady times (the
        common case) is folded at once, by :meth:`_fold_batch`."""
        if not self._reliable and self._steady():
            mark, times = self._scan(start, limit, now)
            if self._fold_batch(range(start, mark), times):
                return mark
            limit = mark  # folded one by one below
        return self._fold_each(start, limit, now)

    def _scan(self, start: int, limit: int, now: float) -> tuple[int, list[float]]:
        """The first packet from ``start`` (below ``limit``, else ``limit``) with a copy
        in flight or sent less than ``SETTLE_US`` before ``now``, and the send times of
        those before it; read in C-level passes over slices of ``SCAN`` packets."""
        sent_at, live = self.s.net.sent_at, self.s.net.live
        times: list[float] = []
        while start < limit:
            part = range(start, min(limit, start + SCAN))
            ts = list(map(_TIME, map(sent_at.__getitem__, part)))
            busy = map(or_, map(live.__getitem__, part),
                       map(ge, map(add, ts, repeat(SETTLE_US)), repeat(now)))
            stop = next(compress(count(), busy), None)
            if stop is not None:
                times += ts[:stop]
                return start + stop, times
            times += ts
            start = part.stop
        return limit, times

    def _steady(self) -> bool:
        """No span, action or failed outcome: :meth:`unsteady` is False throughout."""
        actions = self._pass_actions if self._pass_actions is not None else \
            self._action_times()
        return not (self._open or self._spans or actions) and self._inf_from == INF

    def _fold_each(self, start: int, limit: int, now: float) -> int:
        """:meth:`_fold_run`, a packet at a time; the common case, a delivered datagram,
        is folded here, the others by :meth:`_fold`."""
        net, ex = self.s.net, self.s.expectations
        packets, sent_at, got_pop, live = net.packets, net.sent_at, net.delivered_to.pop, \
            net.live
        drop_pop, want_pop, loose = self._last_drop.pop, ex.expected.pop, ex.loose
        reliable, once, held = self._reliable, self._once, self.held
        fold = self._fold
        steady = self._steady()
        last = self.s.duration_us - SETTLE_US
        checked, problems, judge = 0, self.eo_problems, self._judge
        mark, held_before = limit, len(held)
        for pid in range(start, limit):
            t = sent_at[pid][1]
            if live[pid] or t + SETTLE_US >= now:
                mark = pid
                break
            packet = packets[pid]
            flow = packet.flow
            if flow in reliable and packet.kind == "data" and \
                    packet.seq >= self._settled_below(flow):
                held.append(pid)  # never a multicast datagram: verdict order kept
                continue
            if flow not in once or packet.kind != "data":
                fold(pid, packet, t)
                continue
            reason = drop_pop(pid, None)
            got = got_pop(pid, None)
            want = want_pop(pid, None)
            if want is not None:
                if not steady:
                    judge(pid, packet, t, want, got or [])
                elif t <= last:  # in the check: _judge's steps without asking unsteady
                    checked += 1
                    if len(problems) < 5 and broken_list(want, got or [], pid in loose):
                        judge(pid, packet, t, want, got or [], True)
                if loose:
                    loose.discard(pid)
            self._message_done(flow, got or [], t, "unknown" if reason is None else reason)
        self.eo_checked += checked
        gone: Sequence[int] = range(start, mark)
        if len(held) > held_before:
            kept = set(held[held_before:])
            gone = [pid for pid in gone if pid not in kept]
        self._retired_since_trim += len(gone)
        self._forget(gone)
        return mark

    def _fold_batch(self, run: range, times: list[float]) -> bool:
        """Fold ``run`` at once (``times``: their send times) if every packet of it is a
        delivered datagram of a flow that sends each message once (in steady times, no
        flow retransmitting: the caller checks); else change nothing, return False.
        The same steps as :meth:`_fold_each`, over the run in C-level passes."""
        net, ex = self.s.net, self.s.expectations
        packets = list(map(net.packets.__getitem__, run))
        flows = list(map(_FLOW, packets))
        if not (self._once.issuperset(flows) and all(map(eq, map(_KIND, packets),
                                                         repeat("data")))
                and all(map(net.delivered_to.__contains__, run))):
            return False
        deque(map(self._last_drop.pop, run, repeat(None)), 0)
        gots = list(map(net.delivered_to.pop, run))
        wants = list(map(ex.expected.pop, run, repeat(None)))
        sets = list(map(set, gots))
        dups = list(map(sub, map(len, gots), map(len, sets)))
        last = self.s.duration_us - SETTLE_US
        judged = [i for i in compress(range(len(run)), map(is_not, wants, repeat(None)))
                  if times[i] <= last]
        self.eo_checked += len(judged)
        if judged and len(self.eo_problems) < 5:  # the strictly good ones pass at once
            strict = map(and_, map(not_, map(dups.__getitem__, judged)),
                         map(eq, map(sets.__getitem__, judged), map(wants.__getitem__, judged)))
            for i in compress(judged, map(not_, strict)):
                if len(self.eo_problems) < 5:
                    self._judge(run[i], packets[i], times[i], wants[i], gots[i], True)
        if ex.loose:
            deque(map(ex.loose.discard, compress(run, map(is_not, wants, repeat(None)))), 0)
        self._counted.update(flows)
        figures = self._figures
        for i in compress(range(len(run)), dups):
            figures[flows[i]][3] += dups[i]
        lists = list(map(self.series.__getitem__, flows))
        deque(map(list.append, lists, zip(times, repeat(1), repeat(0))), 0)
        if max(map(len, lists), default=0) > SERIES_POINTS:  # thin as if one at a time
            for flow in {f for f, pts in zip(flows, lists, strict=True)
                         if len(pts) > SERIES_POINTS}:
                pts, k = self.series[flow], flows.count(flow)
                new = pts[-k:]
                del pts[-k:]
                for point in new:
                    pts.append(point)
                    if len(pts) > SERIES_POINTS:
                        self._thin(pts)
        self._retired_since_trim += len(run)
        self._forget(run)
        return True

    def _forget(self, pids: Sequence[int]) -> None:
        """Forget folded packets from the simulator's tables."""
        net = self.s.net
        for table in (net.packets, net.sent_at, net.live):
            deque(map(table.__delitem__, pids), 0)
        for seen in (net._seen_at, net._switch_seen):
            if seen:  # emptied as each packet's last copy ends
                deque(map(seen.pop, pids, repeat(None)), 0)

    def _fold(self, pid: int, packet, t: float) -> None:
        net, expectations = self.s.net, self.s.expectations
        delivered_to = net.delivered_to
        reason = self._last_drop.pop(pid, None)
        want = expectations.expected.pop(pid, None)
        if want is not None:
            self._judge(pid, packet, t, want, delivered_to.get(pid, []))
            expectations.loose.discard(pid)
        got = delivered_to.pop(pid, [])
        if packet.kind == "data" and packet.flow in self._once:
            self._message_done(packet.flow, got, t, "unknown" if reason is None else reason)
        elif packet.kind == "data":
            key = (packet.flow, packet.seq)
            pending = self.pending
            left = pending[key] - 1
            part = self.partial.pop(key, None) if self.partial else None
            if left:  # more packets of this message to come (retransmissions)
                pending[key] = left
                if part is None:
                    part = [[], t]
                part[0].extend(got)
                self.partial[key] = part
            else:
                del pending[key]
                if part is not None:
                    got, t = part[0] + got, part[1]
                self._message_done(packet.flow, got, t,
                                   "unknown" if reason is None else reason)

    def _message_done(self, flow: str, ports: list[PortRef], first_t: float,
                      reason: str) -> None:
        fig = self.figures[flow]
        fig[0] += 1
        delivered = bool(ports)
        if delivered:
            fig[1] += 1
            fig[3] += len(ports) - len(set(ports))
        else:
            fig[2] += 1
            fig[4][reason] += 1
        pts = self.series[flow]
        pts.append((first_t, int(delivered), int(not delivered)))
        if len(pts) > SERIES_POINTS:
            self._thin(pts)
        groups = self._groups_of.get(flow, ()) if not delivered else ()
        if groups:
            for start, _, end, pos, group in self._spans:
                if start > first_t:
                    break
                if first_t < end and group in groups:
                    self.lost[pos] += 1
            for pos, o in self._open:
                if o.started_us <= first_t and o.group in groups:
                    self.lost[pos] += 1

    @staticmethod
    def _thin(pts: list[tuple[float, int, int]]) -> None:
        """Halve a flow's retired delivered/lost series (pairs merged)."""
        pts[:] = [(b[0], a[1] + b[1], a[2] + b[2])
                  for a, b in zip(pts[::2], pts[1::2], strict=False)]
