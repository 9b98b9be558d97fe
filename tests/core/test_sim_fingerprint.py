"""The packet simulator's output is pinned: the hop record, drops, deliveries, counters,
packets, event log, report and pcap bytes of every built-in scenario, of a busy fat tree
(the benchmark's kind of load, with a node failure, a cable failure and a trimmed hop
record; with and without the hop record) and of a rewound session are the digests
recorded before the hot path was restructured (``tests/core/data/sim_fingerprints.json``).
Each case runs with the compiled hop loop and with the Python one
(:mod:`ibviz.core.sim.pump_loop`): both must give the same digests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ibviz.core.sim import pump_loop
from tests.core import sim_fingerprint as fp

EXPECTED = json.loads((Path(__file__).parent / "data" / "sim_fingerprints.json").read_text())


@pytest.fixture(params=["compiled", "python"])
def hop_loop(request, monkeypatch):
    """Run the test with the compiled hop loop, then with the Python one."""
    if request.param == "compiled":
        if pump_loop.compiled_run_batch is None:
            pytest.skip("the compiled hop loop was not built (no C compiler at install, "
                        "or IBVIZ_PURE_PYTHON_PUMP is set)")
        monkeypatch.setattr(pump_loop, "run_batch", pump_loop.compiled_run_batch)
    else:
        monkeypatch.setattr(pump_loop, "run_batch", pump_loop.run_batch_py)
    return request.param


@pytest.mark.parametrize("name", sorted(fp.cases()))
def test_simulation_output_is_unchanged(name: str, hop_loop: str) -> None:
    assert fp.fingerprint(fp.cases()[name]()) == EXPECTED[name]


def test_rewound_session_is_unchanged(hop_loop: str) -> None:
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
