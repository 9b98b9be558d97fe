"""The column hop record (filled by the compiled loop) answers every question exactly as
the row record does: rows, columns, flow ids, endpoints, packet ids, trims."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibviz.core.model import PortRef
from ibviz.core.sim import pump_loop
from ibviz.core.sim.hoplog import KINDS, HopLog

pytestmark = pytest.mark.skipif(pump_loop.compiled_run_batch is None,
                                reason="the compiled hop loop was not built")

PORTS = [PortRef(0x0002C90300000000 + n, p) for n in range(4) for p in (1, 2)]
row = st.tuples(st.integers(0, 60), st.sampled_from(["f0", "f1", "group:g", "sm"]),
                st.sampled_from(KINDS), st.sampled_from(PORTS), st.sampled_from(PORTS),
                st.floats(0, 1e4, allow_nan=False), st.floats(0, 1e4, allow_nan=False))
step = st.one_of(st.lists(row, min_size=1, max_size=40),
                 st.tuples(st.sets(st.integers(0, 60)), st.one_of(st.none(),
                                                                  st.integers(0, 61))),
                 st.tuples(st.sets(st.integers(0, 60)), st.integers(0, 61), st.just("from")),
                 st.just("view"), st.sampled_from(["f9", "f1"]))


def _same(a: HopLog, b: HopLog, now: float) -> None:
    assert len(a) == len(b) and a.first == b.first
    assert a.rows == b.rows
    assert a.flow_names == b.flow_names
    for name in ("t0", "t1", "flow_index", "kind_index", "pids"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    idx = np.arange(len(a))
    assert a.endpoints(idx) == b.endpoints(idx)
    assert [a.pid(i) for i in idx] == [b.pid(i) for i in idx]
    assert [a[i] for i in idx] == [b[i] for i in idx]
    assert np.array_equal(a.in_flight(now), b.in_flight(now))


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=12), st.floats(0, 1e4, allow_nan=False))
def test_columns_and_rows_answer_alike(steps, now) -> None:
    from ibviz.core.sim.hopcolumns import ColumnHopLog

    rows, cols = HopLog(), ColumnHopLog()
    for s in steps:
        if s == "view":  # a view asks between appends: columns extend incrementally
            _same(rows, cols, now)
        elif isinstance(s, str):  # a view asks for a flow before its first hop
            assert rows.flow_id(s) == cols.flow_id(s)
        elif isinstance(s, tuple) and len(s) == 3:  # the ledger's trim: held ids, a mark
            held, below, _ = s
            held = sorted(h for h in held if h < below)
            assert rows.keep_from(below, held) == cols.keep_from(below, held)
        elif isinstance(s, tuple):
            kept, below = s
            if below is not None:  # the ledger's hint: every id from it on is kept
                kept = kept | set(range(below, 61))
            assert rows.keep_packets(kept, below) == cols.keep_packets(kept, below)
        else:
            for r in s:
                rows.record(r)
                cols.record(r)
    _same(rows, cols, now)


def test_a_session_records_into_columns_with_the_compiled_loop() -> None:
    from ibviz.core.sim.hopcolumns import ColumnHopLog
    from tests.core import sim_fingerprint as fp

    s = fp.busy_session(record=True)
    assert isinstance(s.net.hops, ColumnHopLog)
    s.run()
    assert len(s.net.hops) > 0 and s.net.hops.first > 0  # recorded, and trimmed


def test_trims_by_watermark_over_grown_buffers_answer_alike() -> None:
    """Many trims between appends: the record starts after the hops that went, reuses
    the freed front when its buffers are full, and answers as the row record does."""
    import random

    from ibviz.core.sim.hopcolumns import ColumnHopLog

    rng = random.Random(3)
    rows, cols = HopLog(), ColumnHopLog()
    pid = 0
    for step in range(60):
        for _ in range(rng.randrange(200, 3000)):  # in time order, pids mostly rising
            pid += rng.random() < 0.3
            r = (max(0, pid - rng.randrange(8)), rng.choice(["f0", "f1"]), "data",
                 rng.choice(PORTS), rng.choice(PORTS), float(step), float(step + 1))
            rows.record(r)
            cols.record(r)
        below = max(0, pid - rng.randrange(50, 400)) if step % 5 else 0  # 0: none go
        held = sorted(rng.sample(range(below), min(below, rng.randrange(4))))
        assert rows.keep_from(below, held) == cols.keep_from(below, held)
        if step % 7 == 0:
            _same(rows, cols, step + 0.5)
    _same(rows, cols, 30.5)
    assert cols.first > 20_000 and len(cols) > 100
