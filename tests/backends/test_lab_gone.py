"""The OpenSM lab fails fast and leaves nothing: a request to a lab whose OpenSM or ibsim
died is refused at once (no SA request sent, no wait), and a parent killed outright
(SIGKILL: no close(), no atexit) takes ibsim, OpenSM and the clients with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ibviz.backends._proc import MissingToolsError, check_tools
from ibviz.backends.base import BackendError
from ibviz.backends.ibsim_process import fabric_processes
from ibviz.backends.lab import OpenSmLab
from ibviz.core.addressing import make_mgid
from ibviz.core.sm.records import JoinState
from ibviz.topology import open_fabric
from ibviz.topology.builtin import FAILOVER_ROLES

pytestmark = pytest.mark.realtools

ROLES = FAILOVER_ROLES["fig8"]
MGID = make_mgid(group_id=0x5A)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def lab():
    try:
        check_tools(need_opensm=True)
    except MissingToolsError as exc:
        pytest.skip(str(exc))
    lab = OpenSmLab(open_fabric("fig8"))
    lab.start()
    yield lab
    lab.close()


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return False


def wait_for(condition, timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.01)


def test_requests_after_opensm_died_fail_at_once(lab):
    lab.join(ROLES["senders"][0], MGID, JoinState.FULL)
    assert lab.opensm is not None and lab.clients is not None
    pid = lab.opensm.pid
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not lab.sm_running, 5, "OpenSM to die")
    requests = lab.clients.requests
    for request in (lambda: lab.join(ROLES["senders"][1], MGID),
                    lambda: lab.leave(ROLES["senders"][0], MGID),
                    lambda: lab.fail_node(ROLES["primary"]),
                    lambda: lab.recover_node(ROLES["primary"]),
                    lambda: lab.failover_mlid(MGID, ROLES["primary"], ROLES["takeover"]),
                    lab.resweep):
        with pytest.raises(BackendError, match="OpenSM exited.*restart it"):
            request()
    assert lab.clients.requests == requests  # refused before any SA request was sent
    assert ROLES["primary"] not in lab.sm.failed  # and before ibsim's Unlink
    assert lab.status().sm_state == "gone"
    lab.restart_sm()
    lab.join(ROLES["senders"][1], MGID)  # works again


def test_a_wait_ends_when_opensm_dies(lab):
    assert lab.opensm is not None
    os.kill(lab.opensm.pid, signal.SIGKILL)
    with pytest.raises(BackendError, match="while waiting for the impossible"):
        lab.wait_until(lambda: False, 60, "the impossible")


def test_requests_after_ibsim_died_fail_at_once(lab):
    assert lab.ibsim is not None and lab.clients is not None
    os.kill(lab.ibsim.pid, signal.SIGKILL)
    wait_for(lambda: not lab.ibsim.running, 5, "ibsim to die")
    requests = lab.clients.requests
    for request in (lambda: lab.join(ROLES["senders"][1], MGID),
                    lambda: lab.fail_node(ROLES["primary"]),
                    lambda: lab.read_mft_entry(ROLES["switch"], 0xC001),
                    lab.restart_sm, lab.poll):
        with pytest.raises(BackendError, match="ibsim, the simulated fabric, exited"):
            request()
    assert lab.clients.requests == requests


PARENT = """
import sys, time
sys.path.insert(0, sys.argv[1])
from ibviz.backends._watchdog import watchdog_pid
from ibviz.backends.lab import OpenSmLab
from ibviz.core.addressing import make_mgid
from ibviz.topology import open_fabric
from ibviz.topology.builtin import FAILOVER_ROLES

lab = OpenSmLab(open_fabric("fig8"))
lab.start()
lab.join(FAILOVER_ROLES["fig8"]["senders"][0], make_mgid(group_id=0x5B))  # an SA client
print(*lab.child_pids(), "watchdog", watchdog_pid(), flush=True)
time.sleep(600)
"""


def test_children_die_with_a_killed_parent(tmp_path):
    try:
        check_tools(need_opensm=True)
    except MissingToolsError as exc:
        pytest.skip(str(exc))
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(REPO)], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = parent.stdout.readline().split()  # the lab is up (or the parent failed)
        assert line, parent.stderr.read()
        children = [int(p) for p in line[:line.index("watchdog")]]
        watchdog = int(line[-1]) if line[-1].isdigit() else None
        assert len(children) >= 3 and all(running(p) for p in children)  # ibsim, OpenSM, SA
        assert fabric_processes(f"ibviz{parent.pid}_")
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        wait_for(lambda: not any(running(p) for p in children), 10,
                 "ibsim, OpenSM and the SA client to die with their parent")
        assert fabric_processes(f"ibviz{parent.pid}_") == []
        if watchdog is not None:
            wait_for(lambda: not running(watchdog), 10, "the watchdog to end")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


SILENT_PARENT = """
import os, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
from ibviz.backends._watchdog import ensure_watchdog

ensure_watchdog()
env = dict(os.environ, IBSIM_SOCKNAME=f"ibviz{os.getpid()}_0123abcd")
child = subprocess.Popen(["sleep", "600"], env=env, start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
print(child.pid, flush=True)
time.sleep(600)
"""


def test_the_watchdog_kills_a_silent_child_of_a_killed_parent(tmp_path):
    """A child that never writes to its parent's pipes (which would end it by SIGPIPE)
    and never talks to a dead ibsim still dies: only the watchdog can kill it."""
    parent = subprocess.Popen([sys.executable, "-c", SILENT_PARENT, str(REPO)], cwd=tmp_path,
                              stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        assert running(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        wait_for(lambda: not running(child), 10, "the child to die with its parent")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
