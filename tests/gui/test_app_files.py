"""Opening things: every built-in scenario, a 10,000-node fabric behind a progress dialog
without freezing the window, a bad file (error dialog naming file and line, the app stays
usable), a saved session restored as it was, and the exports (PNG, SVG, pcap)."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog  # noqa: E402

from conftest import open_window, play_until  # noqa: E402
from ibviz.app import session_file  # noqa: E402
from ibviz.core import actions as act  # noqa: E402
from ibviz.topology.scenarios import scenario_names  # noqa: E402

pytestmark = pytest.mark.gui


BIG_FABRIC = "fat-tree:k=22,n=3"
"""10,648 HCAs and 1,452 switches (a 10k leaf/spine has 625-port spines: unroutable)."""


@pytest.fixture
def errors(monkeypatch) -> list[tuple[str, str]]:
    """QMessageBox.critical recorded instead of blocking the test."""
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda parent, title, text, *a, **k: seen.append((title, text)))
    return seen


@pytest.mark.parametrize("name", scenario_names())
def test_each_builtin_scenario_opens_from_the_menu(qtbot, window, errors, name):
    window.fill_builtin_menu()
    action = next(a for a in window.actions_.builtin_menu.actions()
                  if a.text().startswith(f"{name} - "))
    action.trigger()
    qtbot.waitUntil(lambda: window.session.scenario.name == name, timeout=20000)
    assert not errors
    assert set(window.view.positions()) == set(window.session.fabric.nodes)
    assert window.windowTitle().startswith(name)
    window.controller.seek(min(window.session.duration_us, 3000.0))
    assert window.session.now_us >= 3000.0 or window.session.duration_us < 3000.0


def test_large_fabric_loads_behind_a_progress_dialog_without_freezing(qtbot, window,
                                                                      errors):
    ticks: list[float] = []
    timer = QTimer(window)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    assert window.open_spec(BIG_FABRIC)      # returns before the fabric is read: a worker
    assert len(window.session.fabric.nodes) < 100   # loads it (still fig10 shown)
    qtbot.waitUntil(lambda: window.findChild(QProgressDialog, "loadProgress") is not None
                    and window.findChild(QProgressDialog, "loadProgress").isVisible(),
                    timeout=10000)
    qtbot.waitUntil(lambda: len(window.session.fabric.nodes) > 10000, timeout=120000)
    timer.stop()
    assert not errors
    # the event loop kept turning while the worker loaded (no wall-time bound here: how
    # long a frame takes on a loaded machine is for benchmarks/bench_gui_start.py)
    assert len(ticks) > 10, "the event loop stopped while loading"
    assert len(window.view.positions()) == len(window.session.fabric.nodes)
    assert window.inspector.lft_model.rowCount() > 10000     # one LFT row per routed LID


def test_bad_file_shows_the_file_and_line_and_the_app_stays_usable(qtbot, window, errors,
                                                                   write):
    bad = write("switchguid=0x10(10)\nSwitch\t4 \"S-0000000000000010\"\t# \"sw\" lid 1\n"
                "[1]\t\"H-20\"[1](21) garbage here\n[x] nonsense\n", "bad.topo")
    before = window.session
    assert window.open_spec(str(bad))
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    title, text = errors[0]
    assert "bad.topo" in title and "bad.topo" in text
    assert ":" in text.split("bad.topo", 1)[1][:3], f"no line number in {text!r}"
    assert window.session is before                       # the demo is still there
    qtbot.keyClick(window, " ")                            # ... and still plays
    qtbot.waitUntil(lambda: window.controller.view_time_us > 0, timeout=5000)
    window.controller.pause()


def test_scenario_with_an_error_names_its_line(qtbot, window, errors, write):
    yaml = write("name: broken\nfabric: fig10\nflows:\n  - {name: f, source: nobody, "
                 "destination: sender}\n", "broken.yaml")
    window.open_spec(str(yaml))
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert "broken.yaml:4" in errors[0][1] and "nobody" in errors[0][1]


def test_fabric_without_scenario_gets_a_session_without_flows(qtbot, window, errors):
    assert window.open_spec("fig3", background=False)
    assert window.session.flow_names == [] and not errors
    assert window.metrics.flows.empty.isVisibleTo(window.metrics.flows)
    assert not window.metrics.comparison.run_button.isEnabled()


def test_saved_session_restores_fabric_positions_actions_and_time(qtbot, window, tmp_path,
                                                                  settings):
    s = window.session
    pg = next(iter(s.controller.groups.values()))
    window.controller.seek(500.0)
    window.controller.apply(act.Fail(pg.primary))
    window.controller.seek(900.0)
    moved = {g: (x + 7.0, y - 3.0) for g, (x, y) in window.view.positions().items()}
    window.view.set_fabric(window.session.fabric, moved)
    path = tmp_path / "class.ibviz.json"
    window.save_session(str(path))
    assert session_file.is_session_file(path)

    again = open_window(qtbot, settings, str(path))
    t = again.session
    assert t.scenario.name == s.scenario.name
    assert again.controller.view_time_us == pytest.approx(900.0)
    assert pg.primary in t.sm.failed
    assert t.undo_name is not None and t.undo_name.startswith("Fail")
    for guid, (x, y) in moved.items():
        assert again.view.positions()[guid] == pytest.approx((x, y), abs=1e-3)


def test_corrupt_session_file_is_refused_with_its_key(qtbot, window, errors, tmp_path):
    path = tmp_path / "evil.ibviz.json"
    path.write_text('{"format": "ibviz-session", "version": 1, "source": {"kind": "scenario",'
                    ' "spec": "fig10"}, "actions": [{"at_us": 1, "kind": "rm -rf", '
                    '"node": "0x1"}]}')
    window.open_spec(str(path))
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert "actions[0]" in errors[0][1]


def test_exports_png_svg_and_pcap_from_the_file_menu(qtbot, window, tmp_path, errors,
                                                    monkeypatch):
    window.controls.set_speed(20_000.0)
    play_until(qtbot, window, lambda: window.controller.view_time_us > 500.0)
    answers = iter([tmp_path / "v.png", tmp_path / "v.svg", tmp_path / "t.pcapng"])
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(next(answers)), ""))
    for action in (window.actions_.export_png, window.actions_.export_svg,
                   window.actions_.export_pcap):
        action.trigger()
    assert not errors
    assert not QImage(str(tmp_path / "v.png")).isNull()
    assert (tmp_path / "v.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert (tmp_path / "t.pcapng").read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"   # pcapng SHB
