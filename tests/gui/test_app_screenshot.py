"""Pixels of the main window after a failover (the failed node's colour where it is drawn,
the highlighted multicast tree on the takeover's link), the ``--screenshot`` entry point
the packaging test uses, and the one-line message when there is no display."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from PySide6.QtCore import QPoint, QPointF  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from conftest import REPO, colour_near  # noqa: E402
from ibviz.gui import app  # noqa: E402
from ibviz.gui.palette import canvas_theme  # noqa: E402

pytestmark = pytest.mark.gui


def to_window(window, xy: tuple[float, float]) -> QPoint:
    view = window.view
    return view.viewport().mapTo(window, view.mapFromScene(QPointF(*xy)))


def test_screenshot_after_failover_shows_failed_node_and_highlighted_tree(window, tmp_path):
    s = window.session
    pg = next(iter(s.controller.groups.values()))
    assert window.play_through_failover()
    path = tmp_path / "after.png"
    assert window.save_screenshot(str(path))
    image = QImage(str(path))
    assert (image.width(), image.height()) == (window.width(), window.height())
    theme = canvas_theme("light")
    pos = window.view.positions()
    failed_at = to_window(window, pos[pg.primary])
    assert colour_near(image, failed_at, theme.state_fill["failed"], radius=10), \
        "the failed primary is drawn in the 'failed' colour (around the cross mark)"
    assert not colour_near(image, failed_at, theme.state_fill["active"], radius=10)
    assert colour_near(image, to_window(window, pos[pg.takeover]),
                       theme.state_fill["active"], radius=10)
    link = s.fabric.link_at(s.port_of(pg.takeover))
    a, b = pos[link.a.node], pos[link.b.node]
    middle = to_window(window, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))
    assert colour_near(image, middle, theme.highlight["tree"], radius=6), \
        "the group's tree now runs to the takeover node and is highlighted"
    link = s.fabric.link_at(s.port_of(pg.primary))
    a, b = pos[link.a.node], pos[link.b.node]
    middle = to_window(window, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))
    assert not colour_near(image, middle, theme.highlight["tree"], radius=6)


def _run_app(args: list[str], tmp_path, **env_changes) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), PYTHONPATH=str(REPO), **env_changes)
    return subprocess.run([sys.executable, "-m", "ibviz.gui.app", *args], capture_output=True,
                          text=True, env=env, timeout=120, cwd=tmp_path)


def test_screenshot_entry_point_writes_a_png_and_exits_0(tmp_path):
    out = tmp_path / "shot.png"
    proc = _run_app(["--screenshot", str(out), "--after-failover", "--size", "1200x800"],
                    tmp_path, QT_QPA_PLATFORM="offscreen")
    assert proc.returncode == 0, proc.stderr[-2000:]
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 800)
    colours = {image.pixel(x, y) for x in range(0, 1200, 7) for y in range(0, 800, 7)}
    assert len(colours) > 50


def test_screenshot_of_a_missing_file_fails_in_one_line_without_a_dialog(tmp_path):
    proc = _run_app([str(tmp_path / "missing.topo"), "--screenshot", str(tmp_path / "x.png")],
                    tmp_path, QT_QPA_PLATFORM="offscreen")
    assert proc.returncode == 1
    assert "missing.topo" in proc.stderr and not (tmp_path / "x.png").exists()


def test_no_display_prints_one_line_and_returns_2(monkeypatch, capsys):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert app.main(None) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "xvfb-run -a ibviz" in err[0] and "QT_QPA_PLATFORM=offscreen" in err[0]


def test_bad_size_is_refused_in_one_line(capsys):
    assert app.main(None, ["--screenshot", "x.png", "--size", "huge"]) == 2
    assert "WIDTHxHEIGHT" in capsys.readouterr().err
