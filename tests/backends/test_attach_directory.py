"""One directory reader for ``ibviz attach``: a real OpenSM dump directory written by the lab
(FIG. 8, one group with an MFT tree), with a gzipped LFT dump, a stray JSON ticket note, a
tool's text output and the real ``ibroute -M`` of switch-1 beside OpenSM's files."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from ibviz.backends._proc import MissingToolsError, check_tools
from ibviz.backends.attach import RealFabric
from ibviz.backends.lab import OpenSmLab
from ibviz.core.addressing import make_mgid
from ibviz.core.sm.records import JoinState
from ibviz.topology import open_fabric
from ibviz.topology.builtin import FAILOVER_ROLES
from ibviz.topology.errors import TopologyError
from ibviz.topology.state.directory import read_state_dir

pytestmark = pytest.mark.realtools

ROLES = FAILOVER_ROLES["fig8"]
SW1 = ROLES["switch"]
DUMPS = ("opensm-lfts.dump", "opensm.fdbs", "opensm.mcfdbs", "opensm-sa.dump",
         "opensm-subnet.lst", "guid2lid")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """(dump directory, the lab's LFT and MFT of switch-1, the group's MLID)."""
    try:
        check_tools(need_opensm=True)
    except MissingToolsError as exc:
        pytest.skip(str(exc))
    folder = tmp_path_factory.mktemp("dumps")
    with OpenSmLab(open_fabric("fig8")) as lab:
        lab.start()
        mgid = make_mgid(group_id=0x3D)
        lab.join(ROLES["primary"], mgid, JoinState.FULL)
        lab.join(ROLES["senders"][0], mgid, JoinState.FULL)
        mlid = lab.sm.sa.groups[mgid].mlid
        lab.wait_until(lambda: bool(lab.sm.mfts.get(SW1, {}).get(mlid)), 10, "the tree")
        lab.wait_until(lambda: not lab.mirror.unconfirmed, 10, "the SA dump")
        assert lab.opensm is not None and lab.ibsim is not None
        for name in DUMPS:
            (folder / name).write_bytes(lab.opensm.read_stable(lab.opensm.dir / name).encode())
        res = lab.ibsim.run_client(["ibroute", "-M", "-D", "0"], sim_host=lab.node_ids[SW1],
                                   timeout=20)
        assert res.returncode == 0, res.stderr
        (folder / "ibroute-M-switch-1.txt").write_text(res.stdout)
        lft, mft = lab.sm.lfts[SW1].tolist(), dict(lab.sm.mfts[SW1])
    lfts = folder / "opensm-lfts.dump"
    (folder / "opensm-lfts.dump.gz").write_bytes(gzip.compress(lfts.read_bytes()))
    lfts.unlink()
    (folder / "ticket-4711.json").write_text(json.dumps({"ticket": 4711, "note": "MFT?"}))
    (folder / "perfquery.txt").write_text("# Port counters: Lid 1 port 1\nXmtData: 1234\n")
    return folder, lft, mft, mlid


def test_every_recognised_file_is_read_and_the_others_noted(written):
    folder, lft, mft, _ = written
    got = read_state_dir(folder, settle=True)
    formats = {path.rsplit("/", 1)[1]: fmt for path, fmt in got.read}
    assert formats["opensm-lfts.dump.gz"] == "opensm-lfts"  # gzipped, read
    assert formats["ibroute-M-switch-1.txt"] == "ibroute-mcast"
    assert set(formats) == {*DUMPS, "opensm-lfts.dump.gz", "ibroute-M-switch-1.txt"} - {
        "opensm-lfts.dump"}
    assert sorted(got.skipped) == [
        "perfquery.txt: not a subnet state or topology file",
        "ticket-4711.json: JSON, but not an ibviz fabric document"]
    assert got.disagreements == []  # OpenSM's files and ibroute -M agree
    assert got.state.lfts[SW1].tolist() == lft and got.state.mfts[SW1] == mft


def test_attach_reads_the_directory_despite_the_stray_files(written):
    folder, lft, mft, mlid = written
    backend = RealFabric(folder)
    backend.start()
    assert backend.sm.lfts[SW1].tolist() == lft and backend.sm.mfts[SW1] == mft
    assert any(mlid == g.mlid for g in backend.sm.sa.groups.values())
    skipped = [w.message for w in backend.fabric.warnings if w.kind == "skipped"]
    assert len(skipped) == 2 and any("ticket-4711.json" in m for m in skipped)
    backend.close()


def test_two_files_giving_one_table_differently_are_reported(written, tmp_path):
    folder, _, mft, mlid = written
    copy = tmp_path / "dumps"
    shutil.copytree(folder, copy)
    text = (copy / "opensm.mcfdbs").read_text()
    ports = sorted(mft[mlid])
    entry = f"0x{mlid:04X} :" + "".join(f" 0x{p:03X} " for p in ports).rstrip()
    assert entry in text  # OpenSM's own layout
    (copy / "opensm.mcfdbs").write_text(text.replace(entry, f"0x{mlid:04X} : 0x00{ports[0]}"))
    got = read_state_dir(copy)
    assert len(got.disagreements) == 1
    line = got.disagreements[0]
    assert f"{SW1:#018x}" in line and f"{mlid:#06x}" in line
    assert "opensm.mcfdbs" in line and "ibroute-M-switch-1.txt" in line
    assert f"{ports}" in line  # what ibroute -M read from the switch


def test_a_broken_recognised_file_is_still_an_error(written, tmp_path):
    folder, *_ = written
    copy = tmp_path / "dumps"
    shutil.copytree(folder, copy)
    with open(copy / "guid2lid", "a") as fh:
        fh.write("0xzz 0x1 0x1\n")
    with pytest.raises(TopologyError, match="guid2lid:"):
        read_state_dir(copy)
