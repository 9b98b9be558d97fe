"""Event log: every logged step of the session, filterable by kind, node and group.

Selecting an entry emits :attr:`EventLogPanel.entrySelected` with its time (the main window
moves the animation there) and its index (the packet inspector shows its MAD or packet).
The model reads ``session.log`` in place, so a long log costs nothing until shown.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ibviz.app.view_sync import with_node_names
from ibviz.core.naming import node_name, shorten_names

KINDS = ("fail", "recover", "failover", "failback", "join", "leave", "mft", "remap", "link",
         "sweep", "mad", "drop", "script")
KIND_COLOURS = {"fail": "#D55E00", "recover": "#009E73", "failover": "#CC79A7",
                "failback": "#CC79A7", "drop": "#D55E00", "remap": "#0072B2"}
HEADERS = ("Time (\u00b5s)", "Kind", "Node", "Group", "What happened")
COLUMN_WIDTHS = (100, 76, 150, 80)
Index = QModelIndex | QPersistentModelIndex


def log_table(parent: QWidget, name: str, model: QAbstractTableModel) -> QTableView:
    """A table of log rows: whole rows selected one at a time, no row numbers, no wrap."""
    view = QTableView(parent)
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(22)
    view.horizontalHeader().setStretchLastSection(True)
    view.setWordWrap(False)
    return view


class LogModel(QAbstractTableModel):
    """Rows are indices into ``session.log`` that pass the filters."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.session: Any = None
        self.rows: list[int] = []
        self.kind = ""
        self.node_text = ""
        self.group = ""
        self._labels: dict[int, str] = {}
        """Each node's full description (the filter matches it; the Node tooltip)."""
        self._names: dict[int, str] = {}
        """Each node's name as the canvas shows it (the Node column)."""
        self._seen = 0

    def set_session(self, session: Any) -> None:
        self.session = session
        self._labels = {g: n.label for g, n in session.fabric.nodes.items()}
        self._names = {g: node_name(n) for g, n in session.fabric.nodes.items()}
        self.refilter()

    def set_filters(self, kind: str, node_text: str, group: str) -> None:
        self.kind, self.node_text, self.group = kind, node_text.strip().lower(), group
        self.refilter()

    def _keep(self, entry: Any) -> bool:
        if self.kind and entry.kind != self.kind:
            return False
        if self.group and entry.group != self.group:
            return False
        if self.node_text:
            if entry.node is None:
                return False
            label = self._labels.get(entry.node, "").lower()
            name = self._names.get(entry.node, "").lower()
            if self.node_text not in label and self.node_text not in name \
                    and self.node_text not in f"{entry.node:#x}":
                return False
        return True

    def refilter(self) -> None:
        self.beginResetModel()
        log = self.session.log if self.session is not None else []
        self.rows = [i for i, e in enumerate(log, getattr(log, "first", 0)) if self._keep(e)]
        self._seen = len(log)
        self.endResetModel()

    def catch_up(self) -> None:
        """Append the entries logged since the last look (or re-read after an undo)."""
        log = self.session.log if self.session is not None else []
        if len(log) < self._seen:
            self.refilter()
            return
        first = getattr(log, "first", 0)  # a bounded log forgets its oldest entries
        gone = bisect_left(self.rows, first)
        if gone:
            self.beginRemoveRows(QModelIndex(), 0, gone - 1)
            del self.rows[:gone]
            self.endRemoveRows()
        start = max(self._seen, first)  # one slice of the new entries, not one look-up each
        new = [i for i, e in enumerate(log[start:], start) if self._keep(e)]
        self._seen = len(log)
        if new:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self.rows.extend(new)
            self.endInsertRows()

    def entry(self, row: int) -> Any:
        return self.session.log[self.rows[row]]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        e = self.entry(index.row())
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:  # a read-only backend's entries carry wall-clock times
                stamp = getattr(self.session, "log_stamp", None)
                return stamp(self.rows[index.row()]) if stamp else f"{e.t_us:,.3f}"
            if col == 1:
                return e.kind
            if col == 2:
                return "" if e.node is None else self._names.get(e.node, f"{e.node:#x}")
            if col == 3:
                return e.group or ""
            return shorten_names(with_node_names(e.text, self.session.fabric),
                                 self.session.fabric, e.node)
        if role == Qt.ItemDataRole.ToolTipRole and col == 2 and e.node is not None:
            return self._labels.get(e.node, f"{e.node:#x}")  # the full description
        if role == Qt.ItemDataRole.ToolTipRole and col == 4:
            return with_node_names(e.text, self.session.fabric)
        if role == Qt.ItemDataRole.ForegroundRole and col == 1 and e.kind in KIND_COLOURS:
            return QBrush(QColor(KIND_COLOURS[e.kind]))
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if section == 0 and getattr(self.session, "read_only", False):
                return "Seen at"
            return HEADERS[section]
        return None


class EventLogPanel(QWidget):
    entrySelected = Signal(float, int)
    """(time in us, index into ``session.log``) of the entry the user selected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = LogModel(self)
        self.kind = QComboBox(self)
        self.kind.setObjectName("logKind")
        self.kind.addItem("all kinds", "")
        for k in KINDS:
            self.kind.addItem(k, k)
        self.node = QLineEdit(self)
        self.node.setObjectName("logNode")
        self.node.setPlaceholderText("node name or GUID")
        self.node.setClearButtonEnabled(True)
        self.group = QComboBox(self)
        self.group.setObjectName("logGroup")
        self.view = log_table(self, "logView", self.model)
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        for widget in (self.kind, self.group):
            widget.currentIndexChanged.connect(self._apply_filters)
        self.node.textChanged.connect(self._apply_filters)
        bar = QHBoxLayout()
        bar.addWidget(self.kind)
        bar.addWidget(self.node, 1)
        bar.addWidget(self.group)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)

    def set_session(self, session: Any) -> None:
        self.group.blockSignals(True)
        self.group.clear()
        self.group.addItem("all groups", "")
        for name in sorted(session.controller.groups):
            self.group.addItem(name, name)
        self.group.blockSignals(False)
        self.model.set_session(session)
        self._resize()

    def _resize(self) -> None:
        for col, width in enumerate(COLUMN_WIDTHS):
            self.view.setColumnWidth(col, width)

    def refresh(self) -> None:
        at_end = self.view.verticalScrollBar().value() >= \
            self.view.verticalScrollBar().maximum() - 2
        self.model.catch_up()
        if at_end and not self.view.selectionModel().hasSelection():
            self.view.scrollToBottom()

    def _apply_filters(self) -> None:
        self.model.set_filters(self.kind.currentData() or "", self.node.text(),
                               self.group.currentData() or "")

    def set_filters(self, kind: str = "", node: str = "", group: str = "") -> None:
        """Set the three filters as a user would (an empty string: no filter)."""
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.node.setText(node)
        self.group.setCurrentIndex(max(0, self.group.findData(group)))

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            e = self.model.entry(current.row())
            self.entrySelected.emit(float(e.t_us), self.model.rows[current.row()])

    def select_row(self, row: int) -> None:
        self.view.selectRow(row)
        self.view.setCurrentIndex(self.model.index(row, 0))
