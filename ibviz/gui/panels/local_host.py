"""A panel listing this host's RDMA devices and ports (via pyverbs), or why there are none."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ibviz.backends.local_host import LocalHost, read_local_host

COLUMNS = ("Device", "Port", "State", "LID", "LMC", "SM LID", "Link layer", "GIDs")


class LocalHostPanel(QWidget):
    """Table of local ports (one row per port) or a message; *Refresh* reads them again.

    Parameters
    ----------
    reader : callable
        Returns a :class:`LocalHost` (default :func:`read_local_host`).
    """

    def __init__(self, parent: QWidget | None = None,
                 reader: Callable[[], LocalHost] = read_local_host) -> None:
        super().__init__(parent)
        self.setObjectName("localHostPanel")
        self.reader = reader
        self.host: LocalHost | None = None
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("<b>This host's RDMA ports</b>"))
        bar.addStretch(1)
        bar.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        self.refresh()

    def refresh(self) -> None:
        """Read the devices again and show them (or the message)."""
        self.show_host(self.reader())

    def show_host(self, host: LocalHost) -> None:
        self.host = host
        rows = [(dev, port) for dev in host.devices for port in dev.ports]
        self.table.setRowCount(len(rows))
        for r, (dev, port) in enumerate(rows):
            cells = (dev.name, str(port.num), port.state, str(port.lid), str(port.lmc),
                     str(port.sm_lid), port.link_layer, "\n".join(port.gids))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 0:
                    item.setToolTip(f"node GUID {dev.node_guid:#018x}")
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        self.table.setVisible(bool(rows))
        text = host.message or ""
        if host.errors:
            text += ("\n" if text else "") + "\n".join(host.errors)
        self.message.setText(text)
        self.message.setVisible(bool(text))
