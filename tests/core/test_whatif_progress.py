"""``ibviz whatif`` shows its progress: reading the dumps (bytes of all files) and the
analysis (its steps), each ending whole; the answer is the same with or without it. Its
text tells re-routed LFT entries from entries left without a route (a dead leaf's hosts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ibviz.app.whatif_report import text_lines, to_json
from ibviz.backends.attach import RealFabric
from ibviz.core.model import PortRef
from ibviz.core.resolve import resolve_node
from ibviz.core.sm.manager import SmConfig, SubnetManager
from ibviz.core.whatif import Failures, what_if
from ibviz.topology.generators import fat_tree
from ibviz.topology.state import _byte_rows, directory
from ibviz.topology.state.opensm_writers import write_dump_dir


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    fabric = fat_tree(4, 3)
    sm = SubnetManager(fabric, SmConfig(sm_port=PortRef(min(
        n.guid for n in fabric.switches()), 0)))
    sm.sweep()
    out = tmp_path_factory.mktemp("dumps")
    write_dump_dir(sm, out)
    hosts = sorted(n.guid for n in fabric.cas())
    members = [fabric.nodes[hosts[0]].ports[1].guid, fabric.nodes[hosts[-1]].ports[1].guid]
    lines = [f"MC Group 0xc001 : mgid=0xff12000100000000:0x0000000000000001 port_gid="
             f"0xfe80000000000000:0x{members[0]:016x} qkey=0x00012345 mlid=0xc001 mtu=0x84 "
             "tclass=0x00 pkey=0xffff rate=0x91 pkt_life=0x80 sl_flow_hop=0x00000000 "
             "scope_state=0x01 proxy_join=0x0", ""]
    lines += [f"mcm_port: port_gid=0xfe80000000000000:0x{guid:016x} scope_state=0x01 "
              "proxy_join=0x0\n" for guid in members]
    (out / "opensm-sa.dump").write_text("\n".join(lines))
    return out


def _rising_to_whole(calls: list[tuple[int, int]]) -> None:
    assert calls and calls[-1][0] == calls[-1][1] > 0
    assert all(a[0] <= b[0] and a[1] == b[1] for a, b in zip(calls, calls[1:], strict=False))


def test_reading_reports_bytes_of_all_files(dumps: Path, monkeypatch: pytest.MonkeyPatch):
    """Thousandths of the bytes, rising to 1000 (only for big directories: the limit
    is lowered here)."""
    monkeypatch.setattr(directory, "PROGRESS_BYTES", 1)
    monkeypatch.setattr(_byte_rows, "CHUNK", 1000)  # several pieces per dump file
    calls: list[tuple[int, int]] = []
    backend = RealFabric(dumps)
    backend.start(lambda done, total: calls.append((done, total)))
    backend.close()
    _rising_to_whole(calls[:-1])  # the last call counts files read, once more whole
    assert calls[-2][1] == 1000 and len({c[0] for c in calls}) > len(list(dumps.iterdir()))


def test_small_directories_report_no_progress(dumps: Path):
    """A read of well under a second shows no bar (nor, in the window, a dialog)."""
    calls: list[tuple[int, int]] = []
    backend = RealFabric(dumps)
    backend.start(lambda done, total: calls.append((done, total)))
    backend.close()
    assert len(calls) == 1  # the files read, once they are


@pytest.mark.parametrize("protect", [False, True])
def test_analysis_reports_its_steps_and_answers_the_same(dumps: Path, protect: bool):
    backend = RealFabric(dumps)
    backend.start()
    try:
        fabric = backend.fabric
        host = resolve_node(fabric, "node0001")
        calls: list[tuple[int, int]] = []
        mgid = next(iter(backend.sm.sa.groups)) if protect else None
        kwargs = {"protect": mgid}
        shown = what_if(fabric, backend.sm, Failures([host]),
                        progress=lambda d, t: calls.append((d, t)), **kwargs)
        plain = what_if(fabric, backend.sm, Failures([host]), **kwargs)
    finally:
        backend.close()
    _rising_to_whole(calls)
    assert json.dumps(to_json(shown, fabric, mgid)) == json.dumps(to_json(plain, fabric, mgid))


def test_a_leaf_failure_counts_lost_routes_apart_from_re_routes(dumps: Path):
    backend = RealFabric(dumps)
    backend.start()
    try:
        fabric = backend.fabric
        hosts = {n.guid for n in fabric.cas()}
        leaf = min(n.guid for n in fabric.switches() if fabric.neighbors(n.guid) & hosts)
        result = what_if(fabric, backend.sm, Failures([leaf]))
        lines = text_lines(result, fabric, None)
    finally:
        backend.close()
    changed = result.diff.lft_changed
    gone = sum(1 for e in changed if e["new"] is None)
    moved = len(changed) - gone
    assert gone == len(result.lids_lost) * len({e["switch"] for e in changed}) > 0
    line = next(x for x in lines if x.startswith("LFT entries"))
    assert line.startswith(f"LFT entries changed: {len(changed)} on ")
    assert line.endswith(f"({moved} re-routed to another port, {gone} left without a route)")
    assert not any("LFT entries re-routed" in x for x in lines)
