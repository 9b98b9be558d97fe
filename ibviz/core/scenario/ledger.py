"""Retiring finished packets into counters, so a long session stays bounded.

The packet simulator keeps every packet in detail (its copies, deliveries, drops and
hops). The session keeps the newest ``DETAIL_PACKETS`` that way, for the views and the
pcap export; older packets whose copies have all ended, whose message can no longer be
retransmitted and whose exactly-once verdict is final are folded, in packet-id order,
into exactly what the report needs: per-flow message figures, the exactly-once count and
its first problems, messages lost per failover, the receivers each checkpoint saw, and a
thinned delivered/lost series per flow. The report merges these with the packets still
kept in detail, giving the same figures as if nothing had been retired.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict, deque
from itertools import compress
from operator import itemgetter, not_
from typing import TYPE_CHECKING

from ibviz.core.model import PortRef
from ibviz.core.scenario.folding import SERIES_POINTS, Folding  # noqa: F401 (re-exported)
from ibviz.core.scenario.verdict import (  # noqa: F401 (SETTLE_US, broken re-exported)
    INF,
    SETTLE_US,
    broken,
)
from ibviz.core.sim.pidcolumn import PidColumn

if TYPE_CHECKING:
    from ibviz.core.failover.model import Outcome
    from ibviz.core.scenario.protocols import SessionState

DETAIL_PACKETS = 4096
"""Packets kept in full (views, pcap); older finished ones are folded into counters."""
BATCH = 1024
"""Sends between two retirement passes."""
FILTERING = frozenset({"multicast tree ends here", "MLID not attached to the port"})
"""Drops that are normal filtering of surplus copies, named only when nothing else is."""
_PID, _REASON = itemgetter(2), itemgetter(4)


class Ledger(Folding):
    """See the module docstring; one per session, fed by the simulator's send hook."""

    def __init__(self, session: SessionState, detail: int = DETAIL_PACKETS) -> None:
        self.s = session
        self.detail = detail
        self.watermark = 0
        """Every packet id below this one is retired or :attr:`held`."""
        self.held: list[int] = []
        """Packets below the watermark kept because their message may be retransmitted."""
        self._retired_since_trim = 0
        self._sends = 0
        self._flows = {f.spec.name: f for f in session.flows}
        self._reliable = {name for name, f in self._flows.items()
                          if getattr(f, "reliable", False)}
        """Flows whose messages may be retransmitted (the others settle at once)."""
        names = Counter(f.spec.name for f in session.flows)
        self._once = frozenset(n for n, k in names.items() if k == 1) - self._reliable
        """The session's flows that send every message exactly once (datagrams, UC):
        their packets are their messages, so :attr:`pending` leaves them out."""
        self._groups_of = {f.spec.name: {g for g in (f.dst.group, f.src.group) if g}
                           for f in session.flows}
        self._dst_group = {f.spec.name: f.dst.group for f in session.flows if f.dst.group}
        self._expected_flows: frozenset[str] = session.expectations.flows
        self._expect = session.expectations.on_send
        self.pending: dict[tuple[str, int], int] = {}
        """(flow, message) -> packets of it not yet retired (flows that may send a
        message more than once)."""
        self.partial: dict[tuple[str, int], list] = {}
        """(flow, message) -> [ports reached, first send time] of its retired packets."""
        self._figures: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0, Counter()])
        self._counted: Counter[str] = Counter()
        """Flow -> delivered messages folded in batches, not yet in :attr:`figures`."""
        self.eo_checked = 0
        self.eo_problems: list[str] = []
        self.lost: dict[int, int] = defaultdict(int)
        """Outcome position -> retired messages lost during it."""
        self.reached: dict[int, set[str]] = defaultdict(set)
        """Checkpoint position -> receivers reached, from retired deliveries."""
        self.series: dict[str, list[tuple[float, int, int]]] = defaultdict(list)
        self._last_drop: dict[int, str] = {}
        self._drops_seen = 0
        self._outcomes_seen = 0
        self._open: list[tuple[int, Outcome]] = []
        """Outcomes whose span end is not known yet (position, outcome)."""
        self._spans: list[tuple[float, float, float, int, str]] = []
        """Finished outcomes (start, unsteady end, restored or inf, position, group)."""
        self._inf_from = INF
        self._starts: list[float] = []
        self._longest = 0.0
        self._cp_times: list[float] = []
        self._cp_seen = 0
        self._cps: list[tuple[int, float, str, float]] = []
        """Checkpoints still collecting (position, time, group, end or inf)."""
        self._pass_actions: list[float] | None = None
        """The sorted action times, during a retirement pass (see :meth:`unsteady`)."""
        self._dl_pids = PidColumn(session.net._delivery_rows, 0)
        self._drop_pids = PidColumn(session.net._drop_rows, 2)
        """Packet ids of the delivery and drop rows (for :meth:`_trim`)."""

    # ------------------------------------------------------------------ hooks
    def on_send(self, pid: int, packet, src: PortRef) -> None:
        flow = packet.flow
        if flow in self._expected_flows:
            self._expect(pid, packet, src)
        if flow not in self._once and packet.kind == "data":
            key = (flow, packet.seq)
            pending = self.pending
            pending[key] = pending.get(key, 0) + 1
        sends = self._sends + 1
        if sends < BATCH:
            self._sends = sends
        else:
            self._sends = 0
            self.retire()

    # ------------------------------------------------------------- retirement
    def _settled_below(self, flow_name: str) -> float:
        flow = self._flows.get(flow_name)
        if flow is None or not getattr(flow, "reliable", False):
            return INF
        low = flow.next_seq
        if flow.unacked:
            low = min(low, flow.unacked[0][1])
        if flow.backlog:
            low = min(low, flow.backlog[0])
        return low

    def retire(self) -> None:
        """Fold every retirable packet below the detail window, in id order. A packet of
        a message that may still be retransmitted (a reliable flow's unacknowledged
        window) is held back and folded once settled, without holding up the others."""
        self._track_outcomes()
        self._track_drops()
        self._pass_actions = self._action_times()  # no action is taken during a pass
        try:
            self._retire()
        finally:
            self._pass_actions = None

    def _retire(self) -> None:
        s, net = self.s, self.s.net
        now = s.engine.now
        packets, sent_at = net.packets, net.sent_at
        if self.held:
            still = []
            for pid in self.held:
                packet = packets[pid]
                if packet.seq >= self._settled_below(packet.flow):
                    still.append(pid)
                else:
                    self._fold(pid, packet, sent_at[pid][1])
                    self._forget((pid,))
                    self._retired_since_trim += 1
            self.held = still
        mark = self.watermark
        limit = len(packets) + mark - len(self.held) - self.detail
        if mark < limit:
            self.watermark = self._fold_run(mark, limit, now)
        self._trim()

    # --------------------------------------------------------------- tracking
    def _track_drops(self) -> None:
        """Each packet's drop reason: its last one that is not :data:`FILTERING`, else
        its first (the first reason of a new packet, then the others over it)."""
        rows = self.s.net._drop_rows
        new = rows[self._drops_seen:]
        if new:
            last = self._last_drop
            pids, reasons = list(map(_PID, new)), list(map(_REASON, new))
            deque(map(last.setdefault, pids, reasons), 0)
            other = list(map(not_, map(FILTERING.__contains__, reasons)))
            last.update(zip(compress(pids, other), compress(reasons, other), strict=True))
        self._drops_seen = len(rows)

    def _trim(self) -> None:
        """Drop detail rows (deliveries, drops, hops) of retired packets (once enough
        were retired to be worth a pass); forget spans and checkpoints no packet kept
        can fall in any more."""
        net, mark, held = self.s.net, self.watermark, self.held
        dl = net._delivery_rows
        if self._retired_since_trim >= max(BATCH, self.detail // 4):
            self._retired_since_trim = 0  # kept: every id from the mark, and the held
            self._cp_times = [c[1] for c in self._cps]
            for d in self._dl_pids.keep_from(mark, held, bool(self._cps)):
                self._delivered(d)  # a retired delivery may reach a checkpoint
            net._deliveries.clear()
            self._drop_pids.keep_from(mark, held)
            net._drops.clear()
            self._drops_seen = len(net._drop_rows)
            if net.hops is not None:
                net.hops.keep_from(mark, held)
        low = min([mark] + self.held)
        oldest = net.sent_at[low][1] if low in net.sent_at else self.s.engine.now
        first = self.s.controller.outcomes.first
        self._spans = [x for x in self._spans if x[3] >= first and
                       (x[1] + SETTLE_US >= oldest or x[2] >= oldest)]
        self._starts = [x[0] for x in self._spans]
        self._cps = [c for c in self._cps if c[3] >= (dl[0][3] if dl else oldest)]
        self._cp_times = [c[1] for c in self._cps]
        for table, first in ((self.lost, self.s.controller.outcomes.first),
                             (self.reached, self.s.checkpoints.first)):
            for pos in [p for p in table if p < first]:
                del table[pos]

    def _delivered(self, d: tuple[int, str, PortRef, float]) -> None:
        """A retired delivery row ``(packet, flow, port, time)``."""
        group_of = self._dst_group.get(d[1])
        if group_of is None:
            return
        cps, t = self._cps, d[3]
        i = bisect_left(self._cp_times, t) - 1  # checkpoints before t; their ends grow
        while i >= 0 and cps[i][3] > t:
            pos, _, group, _ = cps[i]
            if group == group_of:
                self.reached[pos].add(self.s.fabric.nodes[d[2].node].name)
            i -= 1


def merged_window(times: list[float], start: float, end: float) -> tuple[int, int]:
    """Indices of ``times`` (sorted) inside the open interval (start, end)."""
    return bisect_right(times, start), bisect_left(times, end)
