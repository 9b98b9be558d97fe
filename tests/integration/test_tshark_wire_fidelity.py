"""The two-subnets run's pcapng as tshark (Debian package tshark) decodes it: each hop at
its own nanosecond time, the LRH a router writes on the far side, ACK source GIDs."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tshark_run_pcap import frames  # noqa: I001 (shared helpers, same dir)

from ibviz.topology.scenarios import open_session

pytestmark = pytest.mark.realtools


@pytest.fixture(scope="module")
def two_subnets(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, list[dict[str, str]]]:
    s = open_session("two-subnets")
    s.run()
    return s, frames(Path(tmp_path_factory.mktemp("pcap")), "two-subnets")


def test_each_hop_keeps_its_own_time(two_subnets) -> None:
    """One packet's four hops are 0.16 us apart: nanosecond timestamps keep them apart,
    each at its hop's departure time."""
    s, rows = two_subnets
    first = [r for r in rows if r["frame.comment"].startswith("flow a-to-b: UD seq 0 PSN 0:")]
    want = [h.t0 for h in s.hops if s.net.packets[h.pid].flow == "a-to-b"][:len(first)]
    got = [float(r["frame.time_epoch"]) * 1e6 for r in first]
    assert len(got) == 4 and len(set(got)) == 4 and got == sorted(got)
    assert all(abs(g - w) < 0.002 for g, w in zip(got, want, strict=True))
