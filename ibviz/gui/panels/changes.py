"""Changes panel: what differs between two snapshots of a fabric (File > Compare
snapshots...) or from one poll of a live attach to the next, dated with the files'
modification times or the poll time. One line per change, as ``ibviz diff`` prints it
(``~ mft leaf07 0xc003: [1, 17] -> [1, 2]``), under a heading per comparison; a filter
per kind. Clicking a line names its switch or node (:attr:`ChangesPanel.nodeChosen`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ibviz.topology.state.sm_facts import clock

KINDS = ("node", "link", "group", "member", "mft", "lft")
COLOURS = {"+": "#009E73", "-": "#D55E00", "~": "#B07800"}
GUID_ROLE = Qt.ItemDataRole.UserRole + 1


def _subjects(diff: Any) -> list[int | None]:
    """The node or switch GUID of each of ``diff.lines()``, in the same order."""
    def guid(text: str | None) -> int | None:
        return int(text.split(":")[0], 16) if text else None

    out = [guid(n["guid"]) for n in diff.nodes_added + diff.nodes_removed]
    out += [guid(lk["a"]) for lk in diff.links_changed]
    out += [None for _ in diff.groups_changed]
    out += [guid(m["node"]) for m in diff.members_changed]
    out += [guid(e["switch"]) for e in diff.mft_changed + diff.lft_removed + diff.lft_changed]
    return out


class ChangesPanel(QWidget):
    """See the module docstring; :meth:`add` appends one comparison."""

    nodeChosen = Signal(object)
    """GUID (int) of the switch or node of the line clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("changesPanel")
        self.summary = QLabel("No comparison yet: File > Compare snapshots..., or attach "
                              "and let the polls run.", self)
        self.summary.setObjectName("changesSummary")
        self.summary.setWordWrap(True)
        self.kind = QComboBox(self)
        self.kind.addItem("All kinds", "")
        for kind in KINDS:
            self.kind.addItem(kind.upper() if len(kind) == 3 else f"{kind}s", kind)
        self.kind.currentIndexChanged.connect(self._refilter)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("changesTree")
        self.tree.setHeaderLabels(["Change"])
        self.tree.setUniformRowHeights(True)
        self.tree.itemClicked.connect(self._clicked)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.kind)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        self.records: list[Any] = []

    def clear(self) -> None:
        self.records.clear()
        self.tree.clear()

    def add(self, record: Any, expand: bool = True) -> None:
        """Show one :class:`~ibviz.app.live_changes.ChangeRecord` (newest at the top)."""
        self.records.append(record)
        lines = record.lines()
        title = (f"{len(lines)} changes: {record.old} ({clock(record.old_at, True)}) -> "
                 f"{record.new} ({clock(record.at, True)})")
        head = QTreeWidgetItem([title])
        head.setToolTip(0, title)
        for line, guid in zip(lines, _subjects(record.diff), strict=True):
            item = QTreeWidgetItem([line])
            item.setData(0, GUID_ROLE, None if guid is None else f"{guid:#x}")  # unsigned 64
            item.setToolTip(0, line)
            item.setForeground(0, QBrush(QColor(COLOURS.get(line[:1], "#000000"))))
            head.addChild(item)
        self.tree.insertTopLevelItem(0, head)
        head.setExpanded(expand)
        counts = {k: n for k, n in ((k, len(v)) for k, v in record.diff.to_dict().items()) if n}
        self.summary.setText(f"{len(self.records)} comparison(s); last: "
                             + (", ".join(f"{n} {k}" for k, n in counts.items())
                                or "no differences"))
        self._refilter()

    def _items(self) -> list[QTreeWidgetItem]:
        """Every change line's item, newest comparison first."""
        heads = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        return [item for head in heads if head is not None
                for item in (head.child(j) for j in range(head.childCount()))
                if item is not None]

    def lines(self) -> list[str]:
        """Every change line shown, newest comparison first (for tests and export)."""
        return [item.text(0) for item in self._items()]

    def _refilter(self) -> None:
        kind = self.kind.currentData()
        for item in self._items():
            item.setHidden(bool(kind) and item.text(0).split(" ", 2)[1] != kind)

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        guid = item.data(0, GUID_ROLE)
        if guid:
            self.nodeChosen.emit(int(guid, 16))
