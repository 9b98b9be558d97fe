"""The hop record's trim: with the ledger's hint (every packet from the watermark on is
kept) it forgets exactly what the plain filter forgets, columns and flow ids included."""

from __future__ import annotations

import numpy as np

from ibviz.core.sim.hoplog import HopLog
from tests.core import sim_fingerprint as fp


def _copy(rows, upto: int) -> HopLog:
    """A hop record of ``rows`` whose columns a view asked for after ``upto`` rows."""
    log = HopLog()
    for i, row in enumerate(rows):
        if i == upto:
            assert len(log.t0) == upto
        log.record(row)
    return log


def test_trim_with_the_watermark_hint_equals_the_plain_filter() -> None:
    s = fp.busy_session()
    s.run_until(500.0)
    rows = list(s.net.hops.rows)
    mark = s.ledger.watermark + 300  # packets below it: some retired, some kept
    last_old = [r[0] for r in rows if r[0] < mark][-1]  # its last hop is the edge
    kept = {pid for pid in {r[0] for r in rows}
            if pid >= mark or (pid % 3 == 0 and pid != last_old)}
    for upto in (0, len(rows) // 3, len(rows) - 1):
        plain, hinted = _copy(rows, upto), _copy(rows, upto)
        gone = plain.keep_packets(kept)
        assert gone and hinted.keep_packets(kept, mark) == gone
        assert hinted.rows == plain.rows == [r for r in rows if r[0] in kept]
        assert hinted.first == plain.first == gone
        assert hinted.flow_names == plain.flow_names
        for name in ("t0", "t1", "flow_index", "kind_index", "pids"):
            assert np.array_equal(getattr(hinted, name), getattr(plain, name))
