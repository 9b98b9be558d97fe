"""RealFabric in file mode: state files from the public corpus (copied to a temporary
directory, so a test can rewrite them as an operator's new dump would)."""

from __future__ import annotations

import shutil

import pytest

from conftest import corpus_file
from ibviz.backends.attach import RealFabric
from ibviz.backends.base import BackendError, ReadOnlyBackend
from ibviz.core import events as ev

LST, FDBS = "ibutils-opensm-subnet.lst", "ibutils-opensm.fdbs"
HOST = 0x0002_C901_0976_8EA0


@pytest.fixture
def dumps(tmp_path):
    for name in (LST, FDBS):
        shutil.copy(corpus_file(name), tmp_path / name)
    (tmp_path / "README").write_text("not a state file\n")
    return tmp_path


def test_directory_gives_topology_lids_and_lfts(dumps):
    with RealFabric(dumps) as backend:
        backend.start()
        assert backend.read_only and backend.name == "real fabric (read-only)"
        assert len(backend.fabric.nodes) == 65 and len(backend.fabric.links) == 172
        assert len(backend.sm.lfts) == 62 and backend.notes == []
        # no sminfo nor opensm.log: the state is the SM mark of opensm-subnet.lst
        assert backend.status().sm_state == "MASTER" and backend.fabric.master_sm
        assert "[from the SM mark in the topology]" in backend.status().detail
        for switch in backend.fabric.switches():
            assert backend.sm.lfts[switch.guid][switch.ports[0].lid] == 0
        assert any(w.kind == "skipped" and "README" in w.message
                   for w in backend.state.warnings)


def test_poll_rereads_only_changed_files_and_reports_the_difference(dumps):
    backend = RealFabric([dumps / LST, dumps / FDBS])
    backend.start()
    seen: list[ev.Event] = []
    backend.events.subscribe(ev.Event, seen.append)
    assert backend.poll() is False and seen == []  # nothing rewritten
    # the operator's next dump no longer lists the host swlab229 (one cable, both ends)
    lines = (dumps / LST).read_text().splitlines(keepends=True)
    kept = [ln for ln in lines if f"NodeGUID:{HOST:016x}" not in ln]
    assert len(lines) - len(kept) == 2
    (dumps / LST).write_text("".join(kept))
    assert backend.poll() is True
    kinds = [type(e).__name__ for e in seen]
    assert kinds[:2] == ["LinkRemoved", "NodeRemoved"] and kinds.count("LinkRemoved") == 1
    assert [c.text for c in backend.changes[:2]] == [
        "link down: swlab229 HCA-1 (Topspin HCA)[1] - MT43132 Mellanox Technologies[3]",
        f"node gone: swlab229 HCA-1 (Topspin HCA) ({HOST:#018x})"]
    assert HOST not in backend.fabric.nodes and backend.poll() is False
    backend.close()


def test_read_only_backend_refuses_actions(dumps):
    backend = RealFabric(dumps)
    backend.start()
    with pytest.raises(ReadOnlyBackend, match="read-only"):
        backend.fail_node(next(iter(backend.fabric.nodes)))
    with pytest.raises(ReadOnlyBackend):
        backend.join(1, 0xFF12 << 112)


def test_files_without_a_topology_are_refused(dumps):
    with pytest.raises(BackendError, match="describes the topology"):
        RealFabric(dumps / FDBS).start()


def test_missing_source_and_bad_arguments(tmp_path):
    with pytest.raises(BackendError, match="no such file"):
        RealFabric(tmp_path / "nope").start()
    with pytest.raises(BackendError, match="no subnet state files"):
        RealFabric(tmp_path).start()
    with pytest.raises(BackendError):
        RealFabric()
    with pytest.raises(BackendError, match="interval"):
        RealFabric(tmp_path, interval=0)
