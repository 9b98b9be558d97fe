"""LocalHostPanel shows the ports of this host's RDMA devices, or the message saying why
there are none (the real pyverbs here has no device)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency")

from PySide6.QtCore import Qt  # noqa: E402

from ibviz.backends.local_host import LocalDevice, LocalHost, LocalPort  # noqa: E402
from ibviz.gui.panels.local_host import COLUMNS, LocalHostPanel  # noqa: E402

pytestmark = pytest.mark.gui

HOST = LocalHost((LocalDevice("mlx5_0", 0x0002_C903_000A_1B2C, (
    LocalPort(1, "Active (4)", 3, 1, 1, "InfiniBand",
              ("fe80:0000:0000:0000:0002:c903:000a:1b2d",)),
    LocalPort(2, "Down (1)", 0, 0, 0, "Ethernet", ()))),), pyverbs_from="/x/pyverbs")


def test_message_path_with_the_real_pyverbs(qtbot):
    panel = LocalHostPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert panel.host is not None and panel.host.devices == ()
    text = panel.message.text()
    assert text.startswith("no RDMA devices") or text.startswith("pyverbs")
    assert panel.message.isVisible() and not panel.table.isVisible()


def test_table_lists_every_port_and_refresh_reads_again(qtbot):
    calls = []

    def reader():
        calls.append(1)
        return HOST

    panel = LocalHostPanel(reader=reader)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.table.isVisible() and not panel.message.isVisible()
    assert panel.table.rowCount() == 2 and panel.table.columnCount() == len(COLUMNS)
    row = [panel.table.item(0, c).text() for c in range(len(COLUMNS))]
    assert row == ["mlx5_0", "1", "Active (4)", "3", "1", "1", "InfiniBand",
                   "fe80:0000:0000:0000:0002:c903:000a:1b2d"]
    assert panel.table.item(1, 6).text() == "Ethernet"
    assert "0x0002c903000a1b2c" in panel.table.item(0, 0).toolTip()
    qtbot.mouseClick(panel.refresh_button, Qt.MouseButton.LeftButton)
    assert len(calls) == 2


def test_errors_show_next_to_the_table(qtbot):
    host = LocalHost(HOST.devices, None, "/x/pyverbs", ("mlx5_1: cannot open (denied)",))
    panel = LocalHostPanel(reader=lambda: host)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.table.isVisible() and panel.message.text() == "mlx5_1: cannot open (denied)"
