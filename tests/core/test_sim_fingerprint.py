"""The packet simulator's output is pinned: the hop record, drops, deliveries, counters,
packets, event log, report and pcap bytes of every built-in scenario, of a busy fat tree
(the benchmark's kind of load, with a node failure, a cable failure and a trimmed hop
record; with and without the hop record) and of a rewound session are the digests
recorded before the hot path was restructured (``tests/core/data/sim_fingerprints.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.core import sim_fingerprint as fp

EXPECTED = json.loads((Path(__file__).parent / "data" / "sim_fingerprints.json").read_text())


@pytest.mark.parametrize("name", sorted(fp.cases()))
def test_simulation_output_is_unchanged(name: str) -> None:
    assert fp.fingerprint(fp.cases()[name]()) == EXPECTED[name]


def test_rewound_session_is_unchanged() -> None:
    assert fp.rewound(fp.cases()["fig8"]) == EXPECTED["fig8/rewound"]


def test_a_lost_hop_changes_the_digest() -> None:
    """The digest sees a single hop row gone (the tests above can fail)."""
    import hashlib

    from ibviz.core.sim.hoplog import HopLog

    s = fp.cases()["fig8"]()
    s.run()
    whole = hashlib.sha256()
    fp.snapshot(s, whole)
    rows = s.net.hops.rows
    cut = HopLog()
    for i, row in enumerate(rows):
        if i != len(rows) // 2:
            cut.record(row)
    s.net.hops = cut
    less = hashlib.sha256()
    fp.snapshot(s, less)
    assert whole.hexdigest() != less.hexdigest()
