"""``ibviz gui DIR`` opens a dump directory read-only, as File > Connect > Real fabric does
(not "cannot read file: Is a directory" and the demo behind it), and Connect > Real fabric
takes a single state file as ``ibviz check``/``attach`` do (issue 13, cold operator trial
item 3). Real OpenSM dumps written by the lab (tests/lab_snapshots.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from test_ops_window import new_window  # noqa: E402

from ibviz.app.connect import REAL, ConnectChoice  # noqa: E402
from ibviz.app.opening import read_only_source  # noqa: E402
from ibviz.gui.app import open_first  # noqa: E402
from ibviz.gui.window.connect_dialog import ConnectDialog  # noqa: E402

pytestmark = [pytest.mark.gui, pytest.mark.realtools]


def test_read_only_sources(lab_snapshots, tmp_path):
    before = lab_snapshots[0]
    assert read_only_source(str(before))
    assert read_only_source(str(before / "opensm.mcfdbs"))
    assert read_only_source(str(before / "opensm-lfts.dump"))
    assert not read_only_source(str(before / "opensm-subnet.lst"))  # File > Open reads it
    assert not read_only_source(str(tmp_path / "missing"))
    assert not read_only_source("demo")


def test_gui_dir_opens_the_dumps_read_only(qtbot, tmp_path, lab_snapshots):
    window = new_window(qtbot, tmp_path)
    open_first(window, str(lab_snapshots[0]))
    qtbot.waitUntil(lambda: window.backend is not None and not window.live_busy(),
                    timeout=30000)
    assert window.read_only_shown()
    assert not window.actions_.play.isEnabled()  # no Play controls on the dumps
    assert len(window.session.fabric.nodes) == 38  # the dumps' 6 switches, 32 CAs
    assert window.session.sm.mfts  # the dumps' MFTs, not a demo's
    window.close()


def test_connect_real_fabric_with_one_file(qtbot, tmp_path, lab_snapshots):
    lst = lab_snapshots[0] / "opensm-subnet.lst"
    dialog = ConnectDialog()
    qtbot.addWidget(dialog)
    dialog.set_choice(ConnectChoice(REAL, directory=str(lst)))
    assert dialog.validate() is None
    dialog.set_choice(ConnectChoice(REAL, directory=str(tmp_path / "missing")))
    assert "no such directory or file" in (dialog.validate() or "")
    window = new_window(qtbot, tmp_path)
    assert window.connect_to(ConnectChoice(REAL, directory=str(lst), interval=3600))
    qtbot.waitUntil(lambda: window.backend is not None and not window.live_busy(),
                    timeout=30000)
    assert window.read_only_shown()
    assert len(window.session.fabric.nodes) == 38  # 6 switches, 32 CAs
    window.close()


def test_gui_dir_screenshot_shows_the_dumps_and_an_empty_dir_fails(tmp_path, lab_snapshots):
    """``ibviz gui DIR --screenshot``: the dumps read-only, or one line and exit 1."""
    from PySide6.QtGui import QImage
    from test_app_screenshot import _run_app

    out = tmp_path / "dumps.png"
    proc = _run_app([str(lab_snapshots[0]), "--screenshot", str(out), "--size", "1280x720"],
                    tmp_path, QT_QPA_PLATFORM="offscreen")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Is a directory" not in proc.stderr
    assert (QImage(str(out)).width(), QImage(str(out)).height()) == (1280, 720)
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = _run_app([str(empty), "--screenshot", str(tmp_path / "x.png")], tmp_path,
                    QT_QPA_PLATFORM="offscreen")
    assert proc.returncode == 1 and "empty" in proc.stderr
    assert not (tmp_path / "x.png").exists()
