"""The OpenSM lab on the real OpenSM 3.3.23 and ibsim: the FIG. 8 failover (mode 1 and the
lab's mode 2), the mirror against an independent read (``ibroute -M`` under umad2sim), the
faults (OpenSM killed, ibsim killed, tools missing), two labs side by side, and no process
left behind by any of them."""

from __future__ import annotations

import os
import re
import signal

import pytest

from ibviz.backends import _proc
from ibviz.backends.base import BackendError
from ibviz.backends.ibsim_process import MissingToolsError, fabric_processes
from ibviz.backends.lab import OWNED_MLID, MissingLabTools, OpenSmLab
from ibviz.core import events as ev
from ibviz.core.addressing import make_mgid
from ibviz.core.model import PortRef, PortState
from ibviz.core.sm.records import JoinState
from ibviz.topology import open_fabric
from ibviz.topology.builtin import FAILOVER_ROLES

pytestmark = pytest.mark.realtools

ROLES = FAILOVER_ROLES["fig8"]
SW1, PRIMARY, TAKEOVER = ROLES["switch"], ROLES["primary"], ROLES["takeover"]
SENDERS = ROLES["senders"]
MGID = make_mgid(group_id=0x88)


def _started(name: str = "fig8", **kwargs: object) -> OpenSmLab:
    lab = OpenSmLab(open_fabric(name), **kwargs)  # type: ignore[arg-type]
    try:
        lab.start()
    except MissingToolsError as exc:
        pytest.skip(f"real InfiniBand tools not installed: {exc}")
    return lab


def _closed_without_orphans(lab: OpenSmLab) -> None:
    sockname = lab.ibsim.sockname if lab.ibsim else None
    pids = lab.child_pids()
    lab.close()
    assert [p for p in pids if os.path.exists(f"/proc/{p}")] == []
    if sockname:
        assert fabric_processes(sockname) == []


@pytest.fixture(scope="module")
def lab():
    lab = _started()
    yield lab
    _closed_without_orphans(lab)


def _ibroute_mft(lab: OpenSmLab, switch: int) -> dict[int, frozenset[int]]:
    """The switch's MFT as the real ``ibroute -M`` reads it (SMPs from another client)."""
    assert lab.ibsim is not None
    res = lab.ibsim.run_client(["ibroute", "-M", "-D", "0"], sim_host=lab.node_ids[switch],
                               timeout=20)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    ruler = next(line for line in lines if "Ports:" in line)
    columns = {m.start(): int(m.group()) for m in re.finditer(r"\d+", ruler)}
    table = {}
    for line in lines:
        if m := re.match(r"^0x([0-9a-f]{4})", line):
            table[int(m.group(1), 16)] = frozenset(
                port for col, port in columns.items() if line[col:col + 1] == "x")
    return table


def test_first_state_read_matches_opensm(lab):
    assert lab.status().sm_state == "SUBNET UP"
    assert "OpenSM 3.3.23" in lab.status().detail
    lids = {g: lab.fabric.port(lab.member_port(g)).lid for g in (SW1, PRIMARY, TAKEOVER)}
    assert lids == {SW1: 1, PRIMARY: 3, TAKEOVER: 4}
    assert lab.sm.lfts[SW1].tolist() == [255, 0, 4, 1, 2, 3, 4]  # LID 2 is switch-2 (port 4)
    broadcast = [g for g in lab.sm.sa.groups.values() if g.well_known]
    assert [g.mlid for g in broadcast] == [0xC000]
    assert lab.up_seconds is not None and lab.start_seconds is not None
    assert lab.start_seconds < 20
    sweeps = lab.reader.sweeps
    lab.resweep()  # SIGHUP: one more heavy sweep, seen in OpenSM's log
    assert lab.reader.sweeps == sweeps + 1 and str(sweeps + 1) in lab.status().detail


def test_fig8_mlid_failover_and_failback_on_the_real_opensm(lab):
    seen: list[ev.Event] = []
    unsubscribe = lab.events.subscribe(ev.Event, seen.append)
    try:
        lab.join(PRIMARY, MGID, JoinState.FULL)
        for sender in SENDERS:
            lab.join(sender, MGID, JoinState.SEND_ONLY_FULL)
        mlid = lab.sm.sa.groups[MGID].mlid
        lab.wait_until(lambda: lab.sm.mfts.get(SW1, {}).get(mlid) == {1, 3, 4}, 5, "the tree")
        assert _ibroute_mft(lab, SW1)[mlid] == {1, 3, 4}  # the mirror is what ibsim holds

        lab.fail_node(PRIMARY)
        assert lab.sm.mfts[SW1][mlid] == {3, 4}  # OpenSM reprogrammed switch-1 at once
        primary_port = PortRef(PRIMARY, 1)
        lab.wait_until(lambda: primary_port not in lab.sm.sa.groups[MGID].members, 5,
                       "OpenSM's SA dump to drop the primary")
        lab.wait_until(lambda: lab.fabric.port(PortRef(SW1, 1)).state is PortState.DOWN, 5,
                       "switch-1 port 1 to go down")

        out = lab.failover_mlid(MGID, PRIMARY, TAKEOVER)
        entry = lab.sm.mfts[SW1][mlid]
        assert 2 in entry and 1 not in entry  # the takeover's port, not the primary's
        assert lab.sm.sa.groups[MGID].mlid == mlid and out.problem is None
        assert (out.kind, out.mode.value, out.target) == ("failover", "mlid", TAKEOVER)
        assert _ibroute_mft(lab, SW1)[mlid] == entry

        back = lab.failback_mlid(MGID, PRIMARY, TAKEOVER)
        assert back.problem is None and PRIMARY not in lab.sm.failed
        assert lab.sm.mfts[SW1][mlid] == {1, 3, 4}
        assert lab.sm.sa.groups[MGID].mlid == mlid
    finally:
        unsubscribe()
    kinds = {type(e).__name__ for e in seen}
    assert {"GroupCreated", "MemberJoined", "MemberLeft", "MftChanged", "NodeFailed",
            "NodeRecovered", "FailoverPhase", "PortStateChanged"} <= kinds
    assert any(isinstance(e, ev.MftChanged) and e.switch == SW1 and e.mlid == mlid
               and e.old == {3, 4} and 2 in e.new for e in seen)


def test_mode2_is_the_controllers_own_mft_write(lab):
    assert not lab.default_mcast_port_kept(SW1)  # ibsim keeps no DefaultMulticastPrimaryPort
    lab.program_owned_mlid(PRIMARY)
    assert lab.read_mft_entry(SW1, OWNED_MLID) == {1}
    out = lab.failover_port(PRIMARY, TAKEOVER)
    assert out.mode.value == "port" and "DefaultMulticastPrimaryPort" in out.reason
    assert _ibroute_mft(lab, SW1)[OWNED_MLID] == {2}  # the real table, read by ibroute
    assert lab.sm.mfts[SW1][OWNED_MLID] == {2}
    lab.fail_node(TAKEOVER)  # a heavy sweep: OpenSM does not rewrite the owned block
    assert lab.read_mft_entry(SW1, OWNED_MLID) == {2}
    lab.recover_node(TAKEOVER)
    lab.failback_port(PRIMARY, TAKEOVER)
    assert _ibroute_mft(lab, SW1)[OWNED_MLID] == {1} == lab.sm.mfts[SW1][OWNED_MLID]


def test_killed_opensm_keeps_the_last_state_and_restarts(lab):
    mgid = make_mgid(group_id=0x99)
    lab.join(SENDERS[0], mgid, JoinState.FULL)
    lab.join(SENDERS[1], mgid, JoinState.FULL)
    lab.wait_until(lambda: len(lab.sm.sa.groups[mgid].members) == 2, 5, "both members")
    lab.wait_until(lambda: not lab.mirror.unconfirmed, 5, "OpenSM's SA dump to show them")
    mfts = {sw: dict(t) for sw, t in lab.sm.mfts.items()}
    os.kill(lab.opensm.pid, signal.SIGKILL)
    lab.wait_until(lambda: not lab.sm_running, 5, "OpenSM to die")
    assert lab.poll() is False  # the change was reported once, by wait_until's poll
    assert lab.status().sm_state == "gone" and "restart" in lab.status().detail
    assert lab.sm.mfts == mfts and mgid in lab.sm.sa.groups
    lab.restart_sm()
    assert lab.status().sm_state == "SUBNET UP"
    lab.wait_until(lambda: mgid in lab.sm.sa.groups and len(lab.sm.sa.groups[mgid].members)
                   == 2, 5, "the groups back")
    assert lab.sm.mfts == mfts  # OpenSM reloaded the groups from its SA dump


def test_killed_ibsim_is_a_clear_error_and_nothing_is_left(tmp_path):
    lab = _started("fig10", workdir=tmp_path / "lab")
    try:
        assert lab.ibsim is not None
        os.kill(lab.ibsim.pid, signal.SIGKILL)
        with pytest.raises(BackendError, match="ibsim, the simulated fabric, exited"):
            lab.wait_until(lambda: False, 5, "ibsim to die")
        with pytest.raises(BackendError, match="ibsim"):
            lab.fail_node(FAILOVER_ROLES["fig10"]["primary"])
        assert lab.status().sm_state == "gone"
    finally:
        _closed_without_orphans(lab)
    assert (tmp_path / "lab" / "fabric.net").is_file()  # a given workdir is kept


def test_two_labs_side_by_side():
    one, two = _started("fig8"), _started("fig10")
    try:
        assert one.ibsim.sockname != two.ibsim.sockname
        roles10 = FAILOVER_ROLES["fig10"]
        two.fail_node(roles10["primary"])
        assert roles10["primary"] not in two.sm.reachable
        assert one.poll() is False and len(one.sm.reachable) == 6
        assert one.status().sm_state == two.status().sm_state == "SUBNET UP"
    finally:
        _closed_without_orphans(one)
        _closed_without_orphans(two)


def test_missing_packages_give_one_apt_get_message(monkeypatch):
    real = _proc.which_tool
    monkeypatch.setattr(_proc, "which_tool", lambda name: None if name in ("opensm", "ibsim")
                        else real(name))
    lab = OpenSmLab(open_fabric("fig10"))
    with pytest.raises(MissingLabTools) as info:
        lab.start()
    assert isinstance(info.value, BackendError)
    assert "apt-get install -y ibsim-utils opensm" in str(info.value)
    assert lab.ibsim is None and lab.status().sm_state == "not started"


def test_exception_inside_the_with_block_cleans_up():
    with pytest.raises(RuntimeError, match="boom"), OpenSmLab(open_fabric("fig10")) as lab:
        try:
            lab.start()
        except MissingToolsError as exc:
            pytest.skip(f"real InfiniBand tools not installed: {exc}")
        sockname, workdir = lab.ibsim.sockname, lab.workdir
        raise RuntimeError("boom")
    assert fabric_processes(sockname) == [] and not workdir.exists()
