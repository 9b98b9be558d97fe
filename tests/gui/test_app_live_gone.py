"""The window on an OpenSM lab whose OpenSM or ibsim dies: the status bar says so, the last
state stays shown, node actions fail at once (not after an SA timeout), Restart SM brings
OpenSM back (after OpenSM died), node actions are disabled (after ibsim died), and closing
leaves no process behind."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from ibviz.app.connect import LAB, ConnectChoice  # noqa: E402
from ibviz.gui.window.main import MainWindow  # noqa: E402
from ibviz.topology.builtin import FAILOVER_ROLES  # noqa: E402

pytestmark = [pytest.mark.gui, pytest.mark.realtools]

ROLES = FAILOVER_ROLES["fig8"]


def running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return False


@pytest.fixture
def lab_window(qtbot, tmp_path):
    """A window connected to an OpenSM lab on FIG. 8 (File > Connect...), closed after."""
    from ibviz.backends._proc import check_tools

    try:
        check_tools(need_opensm=True)
    except Exception as exc:  # noqa: BLE001 - any missing tool means: cannot run here
        pytest.skip(f"the OpenSM lab needs opensm and ibsim: {exc}")
    window = MainWindow(QSettings(str(tmp_path / "ibviz.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.batch = True  # a failure prints instead of waiting on a dialog
    window.show()
    qtbot.waitExposed(window)
    assert window.connect_to(ConnectChoice(LAB, "fig8"))
    qtbot.waitUntil(lambda: window.backend is not None, timeout=30000)
    pids = window.backend.child_pids()
    yield window
    window.close()
    assert not [pid for pid in pids if running(pid)]


def answer_dialogs(window) -> list[str]:
    """Close every message box the window opens (a user pressing OK); their texts."""
    seen: list[str] = []

    def close_modal() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(f"{box.windowTitle()}: {box.text()}")
            box.accept()

    timer = QTimer(window)
    timer.timeout.connect(close_modal)
    timer.start(20)
    return seen


def shown_state(window) -> tuple:
    """What the window shows of the lab's state: MFTs, groups and their members."""
    sm = window.backend.sm
    top = window.groups.tree.topLevelItem(0)
    return ({sw: dict(t) for sw, t in sm.mfts.items()},
            {mgid: (g.mlid, sorted(g.members)) for mgid, g in sm.sa.groups.items()},
            (top.text(0), top.text(1)))


def status(window) -> tuple[str, str]:
    return window.status_backend.text(), window.status_sm.text()


def test_sm_gone_is_shown_the_state_kept_and_restart_sm_works(qtbot, lab_window):
    window = lab_window
    lab = window.backend
    qtbot.waitUntil(lambda: not lab.mirror.unconfirmed, timeout=10000)  # SA dump written
    before = shown_state(window)
    assert status(window) == ("backend: OpenSM lab (SUBNET UP)", "SM: SUBNET UP")
    assert not window.actions_.restart_sm.isEnabled()
    old_pid = lab.opensm.pid
    os.kill(old_pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: status(window) == ("backend: OpenSM lab (gone)", "SM: gone"),
                    timeout=10000)  # found by the window's own poll timer
    assert "OpenSM exited" in window.status_backend.toolTip()
    assert shown_state(window) == before  # the last state is kept
    assert window.actions_.restart_sm.isVisible() and window.actions_.restart_sm.isEnabled()

    dialogs = answer_dialogs(window)
    window.select_node(ROLES["primary"])
    window.actions_.fail.trigger()  # refused at once, with the reason
    qtbot.waitUntil(lambda: bool(dialogs), timeout=5000)
    assert dialogs[0].startswith("Cannot Fail") and "OpenSM exited" in dialogs[0]
    assert ROLES["primary"] not in lab.sm.failed and shown_state(window) == before

    qtbot.waitUntil(lambda: window.actions_.restart_sm.isEnabled(), timeout=5000)
    window.actions_.restart_sm.trigger()
    qtbot.waitUntil(lambda: status(window) == ("backend: OpenSM lab (SUBNET UP)",
                                               "SM: SUBNET UP") and not window.live_busy(),
                    timeout=30000)
    assert lab.opensm.pid != old_pid and not running(old_pid)
    qtbot.waitUntil(lambda: shown_state(window) == before, timeout=10000)  # groups reloaded
    assert not window.actions_.restart_sm.isEnabled()


def test_ibsim_gone_is_shown_the_state_kept_and_actions_disabled(qtbot, lab_window):
    window = lab_window
    lab = window.backend
    before = shown_state(window)
    os.kill(lab.ibsim.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: status(window) == ("backend: OpenSM lab (ibsim gone)",
                                               "SM: gone"), timeout=10000)
    assert "ibsim" in window.statusBar().currentMessage()
    assert shown_state(window) == before  # the last state is kept
    window.select_node(ROLES["primary"])
    for action in (window.actions_.fail, window.actions_.join, window.actions_.restart_sm):
        assert not action.isEnabled()
    assert "gone" in window.actions_.fail.toolTip()
