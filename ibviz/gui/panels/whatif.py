"""What-if panel: on a read-only fabric, what breaks if the nodes failed here die, as the
SM would re-route it (:func:`ibviz.core.whatif.what_if`, the lines ``ibviz whatif``
prints): per group the members lost and the switches whose tree changes, unicast LIDs
that become unreachable. Undo takes the last failure back."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

ROUTINGS = ("minhop", "updn", "ftree")


class WhatIfPanel(QWidget):
    """``undoRequested``: take the last failure back; ``routingChanged(name)``."""

    undoRequested = Signal()
    clearRequested = Signal()
    routingChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("whatIfPanel")
        self.status = QLabel("What-if is off. Node > What-if mode, then fail a node, switch "
                             "or link (right-click): the fabric itself is never touched.", self)
        self.status.setObjectName("whatIfStatus")
        self.status.setWordWrap(True)
        self.routing = QComboBox(self)
        self.routing.addItems(ROUTINGS)
        self.routing.setToolTip("The SM's routing engine (OpenSM -R) used to re-route")
        self.routing.currentTextChanged.connect(self.routingChanged)
        self.protect = QComboBox(self)
        self.protect.setObjectName("whatIfProtect")
        self.protect.setToolTip("A group whose member on the failed node is taken over: what "
                                "each failover mode would do for it")
        self.protect.currentIndexChanged.connect(
            lambda _i: self.routingChanged.emit(self.routing.currentText()))
        self.undo = QPushButton("Undo failure", self)
        self.undo.setObjectName("whatIfUndo")
        self.undo.clicked.connect(self.undoRequested)
        self.reset = QPushButton("Clear", self)
        self.reset.clicked.connect(self.clearRequested)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("whatIfText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        row = QHBoxLayout()
        row.addWidget(QLabel("Routing:", self))
        row.addWidget(self.routing)
        row.addWidget(QLabel("Protect:", self))
        row.addWidget(self.protect)
        row.addStretch(1)
        row.addWidget(self.undo)
        row.addWidget(self.reset)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.status)
        layout.addLayout(row)
        layout.addWidget(self.text, 1)
        self.show_lines([], "")

    def set_groups(self, groups: list[tuple[str, int]]) -> None:
        """(label, MGID) of the groups one can protect; the first entry is none."""
        self.protect.blockSignals(True)
        self.protect.clear()
        self.protect.addItem("no group", None)
        for label, mgid in groups:
            self.protect.addItem(label, f"{mgid:#x}")  # 128 bits: a Qt int would overflow
        self.protect.blockSignals(False)

    def protected(self) -> int | None:
        """The MGID chosen to protect, or None."""
        data = self.protect.currentData()
        return int(data, 16) if data else None

    def show_lines(self, lines: list[str], status: str) -> None:
        """Show an analysis (``lines``) and a one-line status; no lines: nothing failed."""
        if status:
            self.status.setText(status)
        self.text.setPlainText("\n".join(lines))
        self.undo.setEnabled(bool(lines))
        self.reset.setEnabled(bool(lines))
