"""The window on live backends: File > Connect... to an OpenSM lab on FIG. 8 (the real
OpenSM on ibsim), fail the primary and watch OpenSM move the multicast tree, fail back,
close without orphans; and a read-only real fabric from state files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from conftest import corpus_file, play_until, temp_settings  # noqa: E402
from ibviz.gui.window.connect_dialog import LAB, REAL, ConnectChoice, ConnectDialog  # noqa: E402
from ibviz.gui.window.main import MainWindow  # noqa: E402

pytestmark = pytest.mark.gui


def running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text().lower()


def need_lab() -> None:
    from ibviz.backends._proc import check_tools

    try:
        check_tools(need_opensm=True)
    except Exception as exc:  # noqa: BLE001 - any missing tool means: cannot run here
        pytest.skip(f"the OpenSM lab needs opensm and ibsim: {exc}")


def new_window(qtbot, tmp_path) -> MainWindow:
    window = MainWindow(temp_settings(tmp_path))
    qtbot.addWidget(window)
    window.batch = True  # a failure prints instead of waiting on a dialog
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    return window


def through_dialog(window: MainWindow, choice: ConnectChoice) -> ConnectChoice:
    """Fill File > Connect... as a user would and read back what it asks for."""
    dialog = ConnectDialog(window, "mode 2 note")
    dialog.set_choice(choice)
    assert dialog.validate() is None
    return dialog.choice()


def delivered_to(session, guid: int) -> int:
    return sum(1 for d in session.net.deliveries if d.port.node == guid)


def mft_row(window: MainWindow, mlid: int) -> tuple[str, str, str, bool]:
    window.inspector.refresh()
    return next(r for r in window.inspector.mft_rows() if int(r[0], 16) == mlid)


def test_lab_failover_and_failback_through_the_window(qtbot, tmp_path):
    need_lab()
    from ibviz.backends.lab import LAB_MGID
    from ibviz.topology.builtin import FAILOVER_ROLES

    roles = FAILOVER_ROLES["fig8"]
    primary, takeover, switch = roles["primary"], roles["takeover"], roles["switch"]
    window = new_window(qtbot, tmp_path)
    choice = through_dialog(window, ConnectChoice(LAB, "fig8"))
    assert choice.kind == LAB and choice.fabric == "fig8"
    assert window.connect_to(choice)
    qtbot.waitUntil(lambda: window.backend is not None and not window.live_busy(),
                    timeout=30000)  # connected, and the window has shown it
    lab = window.backend
    pids = lab.child_pids()
    try:
        assert window.status_backend.text() == "backend: OpenSM lab (SUBNET UP)"
        mlid = lab.sm.sa.groups[LAB_MGID].mlid
        top = window.groups.tree.topLevelItem(0)
        assert top.text(0) == "svc" and top.text(1) == f"MLID {mlid:#06x}"
        assert "mode 2" in window.groups.detail.text()
        assert not window.controller.undo_action.isEnabled()
        primary_port = lab.fabric.peer(lab.member_port(primary)).port
        takeover_port = lab.fabric.peer(lab.member_port(takeover)).port
        window.inspector.show_switch(switch)
        assert str(primary_port) in mft_row(window, mlid)[1]
        play_until(qtbot, window, lambda: delivered_to(window.session, primary) > 0, key=False)

        window.select_node(primary)
        window.actions_.fail.trigger()
        qtbot.waitUntil(lambda: not window.live_busy(), timeout=20000)
        outcome = window.session.controller.outcomes[-1]
        assert outcome.kind == "failover" and outcome.problem is None
        assert outcome.target == takeover
        now, before, changed = mft_row(window, mlid)[1:]
        assert str(takeover_port) in now.split(", ") and changed  # OpenSM's real MFT
        assert "takeover" in window.narration.sentence or "joins" in window.narration.sentence
        before_takeover = delivered_to(window.session, takeover)
        play_until(qtbot, window,
                   lambda: delivered_to(window.session, takeover) > before_takeover, key=False)
        assert window.groups.tree.topLevelItem(0).text(1) == f"MLID {mlid:#06x}"

        window.select_node(primary)
        assert window.actions_.failback.isEnabled()
        window.actions_.failback.trigger()
        qtbot.waitUntil(lambda: not window.live_busy(), timeout=20000)
        assert window.session.controller.outcomes[-1].kind == "failback"
        assert str(primary_port) in mft_row(window, mlid)[1].split(", ")
    finally:
        window.close()
    assert not [pid for pid in pids if running(pid)]
    from ibviz.backends.ibsim_process import fabric_processes

    assert fabric_processes(f"ibviz{os.getpid()}_") == []


def test_read_only_state_files_show_tables_with_actions_disabled(qtbot, tmp_path):
    lst = corpus_file("ibutils-opensm-subnet.lst")
    fdbs = corpus_file("ibutils-opensm.fdbs")
    folder = tmp_path / "state"
    folder.mkdir()
    for src in (lst, fdbs):  # links to the corpus, not copies of it
        (folder / src.name).symlink_to(src)
    window = new_window(qtbot, tmp_path)
    choice = through_dialog(window, ConnectChoice(REAL, directory=str(folder)))
    assert window.connect_to(choice)
    qtbot.waitUntil(lambda: window.backend is not None and not window.live_busy(),
                    timeout=20000)
    s = window.session
    assert s.read_only and len(s.fabric.nodes) > 1
    assert window.status_backend.text() == "backend: real fabric (read-only)"
    switch = next(n.guid for n in s.fabric.switches() if s.sm.lfts.get(n.guid) is not None)
    window.select_node(switch)
    window.inspector.show_switch(switch)
    assert window.inspector.lft_model.rowCount() > 0
    for action in (window.actions_.fail, window.actions_.failback, window.actions_.join):
        assert not action.isEnabled()
        assert "read-only" in action.toolTip()
    assert not window.actions_.restart_sm.isVisible()
    # live polling runs the slow tools in a worker, and applies in the GUI thread
    import threading

    backend, seen, release = window.backend, {}, threading.Event()
    backend.live = True

    def slow_snapshot():
        seen["tools"] = threading.current_thread() is threading.main_thread()
        release.wait(10)  # the tools are still running until the test lets them finish
        return None

    def apply(state):
        seen["apply"] = threading.current_thread() is threading.main_thread()
        return False

    backend.take_snapshot, backend.apply_snapshot = slow_snapshot, apply
    window.poll_backend()
    assert "apply" not in seen and not release.is_set()  # the window did not wait
    release.set()
    qtbot.waitUntil(lambda: "apply" in seen, timeout=5000)
    assert seen == {"tools": False, "apply": True}
    window.close()
