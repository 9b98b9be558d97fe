"""The window on a real fabric's dumps (issue 13 items 3, 6, 7, 8): read-only tells the
truth of the files (no play or fail controls, the SM and times from the files, errors in
words with an error icon), each poll's changes logged once with real times and marked on
the canvas, File > Compare snapshots... on one layout with the Changes panel, What-if with
undo. The dumps are the real OpenSM's, written by the lab (tests/lab_snapshots.py)."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from lab_snapshots import FAILED, ToolsMissing  # noqa: E402

from conftest import temp_settings  # noqa: E402
from ibviz.app.connect import REAL, ConnectChoice  # noqa: E402
from ibviz.core.model import PortRef  # noqa: E402
from ibviz.core.naming import node_name  # noqa: E402
from ibviz.core.state_diff import diff_states  # noqa: E402
from ibviz.gui.window.main import MainWindow  # noqa: E402

pytestmark = [pytest.mark.gui, pytest.mark.realtools]
STAMP = re.compile(r"^\d\d:\d\d:\d\d$")


def new_window(qtbot, tmp_path, size=(1400, 900)) -> MainWindow:
    window = MainWindow(temp_settings(tmp_path))
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    return window


def attach(qtbot, window: MainWindow, directory: Path) -> None:
    assert window.connect_to(ConnectChoice(REAL, directory=str(directory), interval=3600))
    qtbot.waitUntil(lambda: window.backend is not None and not window.live_busy(),
                    timeout=30000)


def guid_of(window: MainWindow, name: str) -> int:
    return next(g for g, n in window.session.fabric.nodes.items() if node_name(n) == name)


def test_read_only_dumps_tell_the_truth(qtbot, tmp_path, lab_snapshots):
    window = new_window(qtbot, tmp_path)
    attach(qtbot, window, lab_snapshots[0])
    a = window.actions_
    for action in (a.play, a.step_forward, a.step_back, a.next_failover, a.restart):
        assert not action.isEnabled()
    assert not window.findChild(type(a.node_toolbar), "playbackToolbar").isVisible()
    assert not window.status_time.isVisible() and not window.status_flight.isVisible()
    window.select_node(guid_of(window, "leaf02"))
    assert not a.fail.isEnabled() and "read-only" in a.fail.toolTip()
    text = window.narration.sentence
    assert "Press Play" not in text and "right-click" not in text
    assert "Read-only" in text and "SM MASTER on leaf01 (LID 1)" in text  # as the canvas
    assert "last sweep" in text  # the log's SUBNET UP
    assert "opensm.log" in window.narration.text.toolTip()  # where each fact came from
    assert window.status_sm.text() == "SM: MASTER"  # not the mirror's DISCOVERING
    window.controller.seek(20_000.0)  # nothing plays: no probe packets are simulated
    assert window.session.net.deliveries == [] and window.session.engine.now == 0.0
    # the state the files describe, so what-if is offered (and only then Fail)
    assert a.play.toolTip().startswith("Read-only")
    window.close()


def test_empty_directory_is_an_error_in_words(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    shown: list[tuple[str, str, str]] = []
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda _p, title, text, *a: shown.append(("critical", title, text)))
    monkeypatch.setattr(QMessageBox, "information",
                        lambda _p, title, text, *a: shown.append(("information", title, text)))
    empty = tmp_path / "empty"
    empty.mkdir()
    window = new_window(qtbot, tmp_path)
    assert window.connect_to(ConnectChoice(REAL, directory=str(empty)))
    qtbot.waitUntil(lambda: bool(shown), timeout=30000)
    icon, title, text = shown[0]
    assert icon == "critical" and str(empty) in title
    assert "Error" not in text and "no subnet state files" in text
    assert "expected OpenSM's dumps (opensm-subnet.lst" in text  # what to give instead


def test_each_poll_change_logged_once_with_real_times_and_marked(qtbot, tmp_path, lab_snapshots):
    live = tmp_path / "dumps"
    shutil.copytree(lab_snapshots[0], live)
    window = new_window(qtbot, tmp_path)
    attach(qtbot, window, live)
    gone = guid_of(window, FAILED)
    xy = window.view.positions()[gone]
    log = window.session.log
    before = len(log)
    for path in lab_snapshots[1].iterdir():
        shutil.copy2(path, live / path.name)
    t0 = time.time()
    assert window.poll_backend()
    qtbot.waitUntil(lambda: bool(window.changes.records), timeout=10000)
    new = log[before:]
    texts = [e.text for e in new]
    assert len(texts) == len(set(texts)), texts  # each change once
    assert sum("left" in t for t in texts) == 1
    assert any(f"{FAILED} HCA-1 disappeared" in t for t in texts)  # named, not a GUID
    stamps = [window.log_panel.model.data(window.log_panel.model.index(r, 0))
              for r in range(before, window.log_panel.model.rowCount())]
    assert stamps and all(STAMP.match(s) for s in stamps)
    assert all(abs(w - t0) < 60 for w in window.session.wall[before:])
    lines = window.changes.lines()
    assert f"- node {FAILED} ({gone:#018x}, CA)" in lines
    assert "~ mft leaf01 0xc001: [1, 9] -> []" in lines
    marks = window.view._marks  # what the canvas draws over the fabric
    assert marks.ghosts == [((xy[0], xy[1]), FAILED)] and marks.ghost_links
    assert guid_of(window, "leaf01") in marks.changed
    window.close()


def test_compare_snapshots_on_one_layout(qtbot, tmp_path, lab_snapshots):
    before, after = lab_snapshots
    window = new_window(qtbot, tmp_path)
    attach(qtbot, window, before)
    layout_a = window.view.positions()
    assert window.compare_snapshots(str(before), str(after))
    qtbot.waitUntil(lambda: bool(window.changes.records) and not window.live_busy(),
                    timeout=30000)
    record = window.changes.records[-1]
    layout_b = window.view.positions()
    assert all(layout_b[g] == layout_a[g] for g in layout_b)  # one fixed layout
    # the very lines `ibviz diff` prints, from the same diff_states
    from ibviz.backends.attach import RealFabric

    with RealFabric(before) as a, RealFabric(after) as b:
        a.start()
        b.start()
        assert window.changes.lines() == diff_states(a.fabric, a.sm, b.fabric, b.sm).lines()
    head = window.changes.tree.topLevelItem(0).text(0)
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.at))
    assert str(before) in head and str(after) in head and stamp in head
    assert record.at - record.old_at == pytest.approx(60, abs=2)  # the files' dates
    assert [name for _, name in window.view._marks.ghosts] == [FAILED]
    assert window.windowTitle().startswith(f"{before} -> {after}")
    window.close()


def test_whatif_fails_a_switch_on_a_model_and_undoes(qtbot, tmp_path, lab_snapshots):
    window = new_window(qtbot, tmp_path)
    attach(qtbot, window, lab_snapshots[0])
    mfts = {sw: dict(t) for sw, t in window.backend.sm.mfts.items()}
    leaf = guid_of(window, "leaf02")
    window.whatif_action.setChecked(True)
    assert "What-if on" in window.narration.sentence
    window.select_node(leaf)
    assert window.actions_.fail.isEnabled()
    window.actions_.fail.trigger()
    panel = window.whatif_panel
    qtbot.waitUntil(lambda: "what if leaf02" in panel.text.toPlainText(), timeout=30000)
    text = panel.text.toPlainText()
    assert "group MLID 0xc001 (ff12:1::1): loses node0009" in text
    assert "1 groups change, 1 members lost" in panel.status.text()
    qtbot.waitUntil(lambda: window.view._states.get(leaf) == "failed", timeout=5000)
    assert window.backend.sm.mfts == mfts  # the real state is untouched
    undo = window.controller.undo_action
    assert undo.isEnabled() and "what-if failure of leaf02" in undo.text()
    undo.trigger()
    qtbot.waitUntil(lambda: not panel.text.toPlainText(), timeout=10000)
    qtbot.waitUntil(lambda: leaf not in window.view._states, timeout=5000)
    assert not undo.isEnabled()
    # a cable: a click on node0009's link fails it on the model (again: takes it back)
    host = guid_of(window, "node0009")
    end = PortRef(host, 1)
    window.link_clicked(end, window.session.fabric.peer(end))
    qtbot.waitUntil(lambda: "the cable at node0009" in panel.text.toPlainText(),
                    timeout=30000)
    assert "loses node0009" in panel.text.toPlainText()
    assert window.view._marks.ghost_links  # the failed cable, dashed
    window.link_clicked(end, window.session.fabric.peer(end))
    qtbot.waitUntil(lambda: not panel.text.toPlainText(), timeout=10000)
    window.set_whatif(False)
    window.select_node(leaf)
    assert not window.actions_.fail.isEnabled()
    window.close()


def test_live_attach_polls_record_real_times_and_each_change_once(qtbot, tmp_path):
    """Live mode (ibnetdiscover, dump_fts, saquery, sminfo against ibsim, in a worker):
    node0001 unlinked on the ibsim console shows up once per change, named, dated."""
    from lab_snapshots import fail_host, running_lab

    from ibviz.backends._proc import which_tool
    from ibviz.backends.attach import LiveTools, RealFabric

    for tool in ("ibnetdiscover", "dump_fts", "saquery", "sminfo"):
        if which_tool(tool) is None:
            pytest.skip(f"{tool} not installed (apt-get install infiniband-diags)")
    try:
        lab = running_lab(tmp_path)
        fab, sm = lab.__enter__()
    except ToolsMissing as exc:
        pytest.skip(f"real InfiniBand tools not installed: {exc}")
    try:
        window = new_window(qtbot, tmp_path)
        tools = LiveTools(env=fab.client_env("leaf01"), sa_key=1)
        backend = RealFabric(live=True, tools=tools, interval=3600)
        backend.start()
        window.show_read_only(backend, "the live fabric", None, None)
        assert window.status_sm.text() == "SM: MASTER"  # sminfo's
        assert "Read-only live fabric, polled" in window.narration.sentence
        log, before = window.session.log, len(window.session.log)
        fail_host(fab, sm)
        t0 = time.time()
        assert window.poll_backend() is False  # the tools run in a worker
        qtbot.waitUntil(lambda: bool(window.changes.records), timeout=60000)
        texts = [e.text for e in log[before:]]
        assert len(texts) == len(set(texts)) and sum("left" in t for t in texts) == 1
        assert any(f"{FAILED} HCA-1 disappeared" in t for t in texts)
        assert all(abs(w - t0) < 60 for w in window.session.wall[before:])
        record = window.changes.records[-1]
        assert record.new.startswith("poll ") and abs(record.at - t0) < 60
        assert f"- node {FAILED} (0x0002c90300000000, CA)" in window.changes.lines()
        assert [name for _, name in window.view._marks.ghosts] == [FAILED]
        window.close()
    finally:
        lab.__exit__(None, None, None)


def test_whatif_protected_group_compares_failover_modes(qtbot, tmp_path, lab_snapshots):
    window = new_window(qtbot, tmp_path)
    attach(qtbot, window, lab_snapshots[0])
    window.whatif_action.setChecked(True)
    panel = window.whatif_panel
    panel.protect.setCurrentIndex(panel.protect.findText("MLID 0xc001"))
    window.select_node(guid_of(window, "node0009"))
    window.actions_.fail.trigger()
    qtbot.waitUntil(lambda: "protected group ff12:1::1:" in panel.text.toPlainText(),
                    timeout=30000)
    modes = panel.text.toPlainText().split("protected group ff12:1::1:\n", 1)[1].splitlines()
    mlid, remap, lmc = modes  # one member per leaf: no takeover beside node0009 for remap
    assert mlid.startswith("  MLID reassignment: node0001 (") and " takes over from " in mlid
    assert " takes over from node0009 in " in lmc and lmc.startswith("  prior-art LMC")
    assert "port remap needs the primary and the takeover node on one switch" in remap
    window.close()
