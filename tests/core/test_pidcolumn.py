"""PidColumn's trim forgets exactly the rows the plain filter forgets, whether the old
ids are told apart by a table over their range or by sorting (sparse ids)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from ibviz.core.sim.pidcolumn import PidColumn, kept_mask


@pytest.mark.parametrize("spread", [1, 10_000_000])
def test_trim_equals_the_plain_filter(spread: int) -> None:
    rng = random.Random(spread)
    rows = [(t, rng.randrange(200) * spread + (t // 50) * spread) for t in range(2000)]
    below = 20 * spread
    col = PidColumn(rows, 1)
    col.sync()
    rows.extend((t, below + t * spread) for t in range(2000, 2100))  # appended later
    kept = {pid for _, pid in rows if pid >= below or rng.random() < 0.3}
    want = [r for r in rows if r[1] in kept]
    end, head = col.trim(kept, below)
    assert rows == want
    assert col.pids.tolist() == [pid for _, pid in want]
    assert 0 < end < 2100 and head.sum() == end - (2100 - len(want))


def test_mask_without_a_bound_asks_about_every_row() -> None:
    pids = np.array([5, 3, 5, 9, 1], np.int64)
    assert kept_mask(pids, {5, 1}, None).tolist() == [True, False, True, False, True]
    assert kept_mask(pids, {1}, 4).tolist() == [True, False, True, True, True]


@pytest.mark.parametrize("held_share", [0.0, 0.3])
def test_keep_from_equals_the_plain_filter(held_share: float) -> None:
    rng = random.Random(7)
    rows = [(t, rng.randrange(200) + t // 50) for t in range(2000)]
    col = PidColumn(rows, 1)
    col.sync()
    rows.extend((t, 240 + t) for t in range(2000, 2100))  # appended later
    held = sorted({pid for _, pid in rows if pid < 100 and rng.random() < held_share})
    want = [r for r in rows if r[1] >= 100 or r[1] in held]
    before = list(rows)
    gone = col.keep_from(100, held, forgotten=True)
    assert rows == want
    assert col.pids.tolist() == [pid for _, pid in want]
    assert gone == [r for r in before if r not in want] and len(gone) > 10
    assert col.keep_from(100, held) == [] and rows == want
