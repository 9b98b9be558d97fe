"""The switch inspector speaks of failovers only where the backend can fail a node (its
capabilities say so): on read-only dump files it said "rows the last failover changed"
and headed a column "Before" (the last failover) that nothing there can fill."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from conftest import open_window, temp_settings  # noqa: E402
from ibviz.app.connect import REAL, ConnectChoice  # noqa: E402
from ibviz.cli.main import main  # noqa: E402

pytestmark = pytest.mark.gui


def inspector_texts(window) -> str:
    inspector = window.inspector
    heads = [inspector.mft.horizontalHeaderItem(c) for c in range(inspector.mft.columnCount())
             if not inspector.mft.isColumnHidden(c)]
    return " ".join([inspector.mft_title.text()] + [h.text() + " " + h.toolTip()
                                                      for h in heads])


def test_dumps_say_nothing_of_failovers(qtbot, tmp_path, capsys):
    dumps = tmp_path / "dumps"
    assert main(["sm", "fat-tree:k=4,n=2", "--dump", str(dumps)]) == 0
    capsys.readouterr()
    from ibviz.gui.window.main import MainWindow

    window = MainWindow(temp_settings(tmp_path))  # as ``ibviz gui DIR`` opens it
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    assert window.connect_to(ConnectChoice(REAL, directory=str(dumps), interval=3600))
    qtbot.waitUntil(lambda: window.backend is not None and not window.live_busy(),
                    timeout=30000)
    assert window.controller.capabilities.read_only
    switch = next(iter(window.session.fabric.switches())).guid
    window.inspector.show_switch(switch)
    assert window.inspector.mft.isVisibleTo(window.inspector)
    text = inspector_texts(window)
    assert "failover" not in text.lower() and "Before" not in text, text
    assert text.startswith("Multicast forwarding table")


def test_a_simulation_still_shows_the_last_failovers_rows(qtbot, settings):
    window = open_window(qtbot, settings, "fig8", size=(1280, 720))
    switch = next(iter(window.session.fabric.switches())).guid
    window.inspector.show_switch(switch)
    text = inspector_texts(window)
    assert "last failover" in text and "Before" in text, text
