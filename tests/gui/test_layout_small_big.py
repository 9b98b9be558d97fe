"""A 1280x720 window on a big scenario (a fat tree of 10,648 HCAs) still gives the canvas
most of the room, as with the demo."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from conftest import open_window  # noqa: E402

pytestmark = pytest.mark.gui

SCENARIO = """\
name: k22-small-window
description: "fat tree k=22 with one protected group"
fabric: "fat-tree:k=22,n=3"
duration_us: 20000
seed: 1
groups:
  - name: svc
    mgid: "ff15::1234"
    members:
{members}
failover:
  group: svc
  primary: node00001
  takeover: node01321
"""


def test_canvas_gets_most_of_a_1280x720_window_with_a_big_scenario(qtbot, settings,
                                                                   tmp_path):
    members = "\n".join(f"      - {{node: node{n:05d}, join: send-only-full}}"
                         for n in (2641, 3961, 5281, 6601, 7921, 9241))
    path = tmp_path / "k22.yaml"
    path.write_text(SCENARIO.format(members=members))
    window = open_window(qtbot, settings, str(path), size=(1280, 720))
    qtbot.waitUntil(lambda: window._laid_out and window.view.height()
                    >= 0.38 * window.height(), timeout=10000)
    assert window.view.width() >= 0.55 * window.width()
    for key in ("groups", "inspector", "log"):
        assert window.docks[key].width() >= 200


def test_a_layout_saved_in_a_big_window_does_not_squeeze_the_canvas_at_1280x720(qtbot,
                                                                               settings):
    big = open_window(qtbot, settings, "fig10", size=(1920, 1080))
    qtbot.waitUntil(lambda: big._laid_out and big.view.width() >= 0.55 * big.width(),
                    timeout=10000)
    big.save_settings()  # what closing the window stores: docks sized for 1920x1080
    big.close()
    assert settings.value("windowState") is not None
    small = open_window(qtbot, settings, "fig10", size=(1280, 720))
    qtbot.waitUntil(lambda: small._laid_out and small.view.height()
                    >= 0.38 * small.height() and small.view.width()
                    >= 0.55 * small.width(), timeout=10000)
    log = small.log_panel.view  # and the bottom row the small default gives
    assert log.viewport().height() >= 4 * log.verticalHeader().defaultSectionSize()
