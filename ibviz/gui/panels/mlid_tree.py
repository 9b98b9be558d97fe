"""MLID tree panel: pick a multicast group; a table of its tree (per switch with an MFT
entry for the MLID: the egress ports and the neighbour each leads to) and of its members,
reached by every other member or not. Choosing a group emits :attr:`groupSelected` (the
window highlights the tree on the canvas); clicking a row emits :attr:`nodeChosen`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QSplitter, QVBoxLayout, QWidget

from ibviz.app.mlid_tree import MlidTree, mlid_tree
from ibviz.gui.panels.groups import group_title
from ibviz.gui.panels.tables import KEY_ROLE, cells, fill, text_table

TREE_COLUMNS = ("Switch", "Egress port", "Leads to")
MEMBER_COLUMNS = ("Member", "Reached from")


class MlidTreePanel(QWidget):
    """``select_group(mgid)`` shows a group's tree; MGIDs travel as ``object`` signals
    and hex text in the chooser (128-bit, never a Qt integer)."""

    groupSelected = Signal(object)
    nodeChosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: Any = None
        self.model: Any = None
        """A what-if :class:`~ibviz.app.whatif_view.ModelView` shown instead of the
        session's state (None: the session's)."""
        self.tree: MlidTree | None = None
        self.chooser = QComboBox(self)
        self.chooser.setObjectName("mlidChooser")
        self.chooser.currentIndexChanged.connect(self._chosen)
        self.summary = QLabel("", self)
        self.summary.setObjectName("mlidSummary")
        self.summary.setWordWrap(True)
        self.branches = text_table(TREE_COLUMNS, "mlidBranches", self)
        self.members = text_table(MEMBER_COLUMNS, "mlidMembers", self, stretch=0)
        self.branches.cellClicked.connect(lambda r, _c: self._node_at(self.branches, r))
        self.members.cellClicked.connect(lambda r, _c: self._node_at(self.members, r))
        split = QSplitter(self)
        split.setOrientation(Qt.Orientation.Vertical)
        split.addWidget(self.branches)
        split.addWidget(self.members)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.chooser)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)

    def set_session(self, session: Any) -> None:
        self.session = session
        self.model = None
        self.chooser.blockSignals(True)
        self.chooser.clear()
        if session is not None:
            groups = sorted(session.sm.sa.groups.values(), key=lambda g: g.mlid)
            for g in groups:
                title = group_title(session, g)
                text = title if title.startswith("MLID") else f"MLID {g.mlid:#06x}  {title}"
                self.chooser.addItem(text, f"{g.mgid:#x}")
        self.chooser.blockSignals(False)
        self.refresh()

    def set_model(self, model: Any) -> None:
        """Show what-if ``model`` (None: the session's state again)."""
        self.model = model
        self.refresh()

    def select_group(self, mgid: int) -> bool:
        """Show group ``mgid`` (no signal: the caller chose it); False if unknown."""
        index = self.chooser.findData(f"{mgid:#x}")
        if index < 0:
            return False
        self.chooser.blockSignals(True)
        self.chooser.setCurrentIndex(index)
        self.chooser.blockSignals(False)
        self.refresh()
        return True

    @property
    def mgid(self) -> int | None:
        data = self.chooser.currentData()
        return int(data, 16) if data else None

    def refresh(self) -> None:
        """Re-read the shown group's tree from the session."""
        s, mgid = self.session, self.mgid
        m = self.model if self.model is not None else s
        tree = self.tree = mlid_tree(m.fabric, m.sm, mgid) if s and mgid is not None else None
        if tree is None:
            fill(self.branches, [])
            fill(self.members, [])
            self.summary.setText("No multicast group." if s else "")
            return
        rows, keys = [], []
        for b in tree.branches:
            for i, (port, lead) in enumerate(zip(b.ports, b.leads_to, strict=True)):
                rows.append((b.name if i == 0 else "", str(port), lead))
                keys.append(f"{b.switch:#x}")
        fill(self.branches, rows, keys)
        members = tree.unreached + tree.reached
        fill(self.members, [(name, how) for _ref, name, how in members],
             [f"{ref.node:#x}" for ref, _name, _how in members])
        self.summary.setText(
            ("What-if model: " if self.model is not None else "") + f"{tree.title}: {len(tree.branches)} switches forward it; "
            f"{len(tree.reached)} members reached by all others, "
            f"{len(tree.unreached)} not")

    def _chosen(self, _index: int) -> None:
        self.refresh()
        if self.mgid is not None:
            self.groupSelected.emit(self.mgid)

    def _node_at(self, table: Any, row: int) -> None:
        item = table.item(row, 0)
        if item is not None and item.data(KEY_ROLE):
            self.nodeChosen.emit(int(item.data(KEY_ROLE), 16))

    def branch_rows(self) -> list[list[str]]:
        return cells(self.branches)

    def member_rows(self) -> list[list[str]]:
        return cells(self.members)
