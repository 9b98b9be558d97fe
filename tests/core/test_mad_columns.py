"""MADs appended as columns (:meth:`MadLog.add_columns`, used by a sweep's SMP batch) leave
the log exactly as appending them one by one does: counters, window and every kept MAD."""

from __future__ import annotations

import numpy as np
import pytest

from ibviz.core.model import PortRef
from ibviz.core.sm.mads import SMP_CLASS, Mad, MadLog

SM = PortRef(1, 0)
ATTRS = ["LinearForwardingTable", "SwitchInfo"]


def _rows(n: int, start: int) -> list[tuple[int, int, int, float]]:
    """(attribute number, modifier, destination node, latency) of MADs start..start+n-1."""
    return [((i % 7 == 0) * 1, i % 64, 100 + i % 5, 1.0 + i % 3) for i in range(start, start + n)]


def _fields(attr: int, i: int) -> dict:
    return {"linear_fdb_top": i} if attr else {}


@pytest.mark.parametrize("chunks", [[3, 4, 30, 1, 12], [60], [13, 13, 13, 13], [1] * 25])
def test_columns_equal_rows(chunks: list[int]) -> None:
    one, many = MadLog(window=10), MadLog(window=10)
    start = 0
    for n in chunks:
        rows = _rows(n, start)
        for k, (a, mod, dst, lat) in enumerate(rows):
            one.add(Mad(SMP_CLASS, 2, ATTRS[a], mod, SM, PortRef(dst, 0), 5.0, lat, "sweep", 0,
                        _fields(a, start + k)))
        skip = many.unkept(n)
        fields = [many.fields_id(_fields(a, start + k)) if k >= skip else 0
                  for k, (a, _, _, _) in enumerate(rows)]
        many.add_columns(SMP_CLASS, 2, ATTRS, np.array([r[0] for r in rows]),
                         np.array([r[1] for r in rows]), SM,
                         np.array([many.port_id(PortRef(r[2], 0)) for r in rows]), 5.0,
                         np.array([r[3] for r in rows]), "sweep", np.array(fields))
        start += n
        assert len(many) == len(one)
        assert many.mads.first == one.mads.first
        assert many.by_attribute == one.by_attribute
        assert many.by_kind == one.by_kind
        assert list(many.mads) == list(one.mads)
