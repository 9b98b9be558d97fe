"""MLID tree panel: pick a multicast group; a table of its tree (per switch with an MFT
entry for the MLID: the egress ports and the neighbour each leads to) and of its members,
reached by every other member or not. Choosing a group emits :attr:`groupSelected` (the
window highlights the tree on the canvas); clicking a row emits :attr:`nodeChosen`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QSplitter,
    QStyle,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from ibviz.app.mlid_tree import MlidTree, mlid_tree, mlid_tree_of, orphan_mlids
from ibviz.core.naming import node_name, plural
from ibviz.gui.panels.groups import group_title
from ibviz.gui.panels.tables import KEY_ROLE, cells, fill, on_screen, text_table

TREE_COLUMNS = ("Switch", "Egress port", "Leads to", "Fault")
MEMBER_COLUMNS = ("Member", "Reached from")
ORPHAN = "mlid:"
"""Chooser data of an MLID no SA group owns (a group's is its MGID in hex)."""
FAULT_COLOUR = QColor(200, 30, 30)


class MlidTreePanel(QWidget):
    """``select_group(mgid)`` shows a group's tree; MGIDs travel as ``object`` signals
    and hex text in the chooser (128-bit, never a Qt integer)."""

    groupSelected = Signal(object)
    mlidSelected = Signal(int)
    """An MLID no group owns was chosen (the window draws its MFT entries)."""
    nodeChosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: Any = None
        self.model: Any = None
        """A what-if :class:`~ibviz.app.whatif_view.ModelView` shown instead of the
        session's state (None: the session's)."""
        self.tree: MlidTree | None = None
        self._stale = False
        """The shown entry changed while the panel was hidden: refreshed once shown."""
        self.chooser = QComboBox(self)
        self.chooser.setObjectName("mlidChooser")
        self.chooser.currentIndexChanged.connect(self._chosen)
        self.summary = QLabel("", self)
        self.summary.setObjectName("mlidSummary")
        self.summary.setWordWrap(True)
        self.branches = text_table(TREE_COLUMNS, "mlidBranches", self)
        self.members = text_table(MEMBER_COLUMNS, "mlidMembers", self, stretch=1)
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
            for mlid in orphan_mlids(session.sm):  # stale MFT entries: a tree to show
                self.chooser.addItem(f"MLID {mlid:#06x}  (no SA group: MFT only)",
                                     f"{ORPHAN}{mlid:#x}")
        self.chooser.blockSignals(False)
        self.refresh_when_shown()

    def set_model(self, model: Any) -> None:
        """Show what-if ``model`` (None: the session's state again)."""
        self.model = model
        self.refresh_when_shown()

    def refresh_when_shown(self) -> None:
        """Refresh now when shown, else once shown (or read): a group's reach walk costs
        seconds at 46,550 LIDs, and a tab in the background is not looked at."""
        if on_screen(self):
            self.refresh()
        else:
            self._stale = True

    def flush(self) -> None:
        """Refresh if something changed while hidden (the window calls it when the
        panel's tab comes to the front)."""
        if self._stale:
            self.refresh()

    def select_group(self, mgid: int) -> bool:
        """Show group ``mgid`` (no signal: the caller chose it); False if unknown."""
        return self._show_entry(f"{mgid:#x}")

    def select_mlid(self, mlid: int) -> bool:
        """Show an MLID no group owns (its MFT entries); False if no MFT has it."""
        return self._show_entry(f"{ORPHAN}{mlid:#x}")

    def _show_entry(self, data: str) -> bool:
        index = self.chooser.findData(data)
        if index < 0:
            return False
        self.chooser.blockSignals(True)
        self.chooser.setCurrentIndex(index)
        self.chooser.blockSignals(False)
        self.refresh_when_shown()
        return True

    @property
    def mgid(self) -> int | None:
        data = self.chooser.currentData()
        return int(data, 16) if data and not data.startswith(ORPHAN) else None

    @property
    def orphan(self) -> int | None:
        """The MLID shown when it has no group."""
        data = self.chooser.currentData()
        return int(data[len(ORPHAN):], 16) if data and data.startswith(ORPHAN) else None

    def refresh(self) -> None:
        """Re-read the shown group's tree from the session (or the what-if model)."""
        self._stale = False
        s, mgid, orphan = self.session, self.mgid, self.orphan
        m = self.model if self.model is not None else s
        tree = None
        if s is not None and mgid is not None:
            tree = mlid_tree(m.fabric, m.sm, mgid)
        elif s is not None and orphan is not None:
            tree = mlid_tree_of(m.fabric, m.sm, orphan)
        self.tree = tree
        if tree is None:
            fill(self.branches, [])
            fill(self.members, [])
            self.summary.setText("No multicast group." if s else "")
            return
        rows, keys, bad = [], [], []
        for b in tree.branches:
            for i, (port, lead) in enumerate(zip(b.ports, b.leads_to, strict=True)):
                fault = b.faults[i] if b.faults else ""
                rows.append((b.name if i == 0 else "", str(port), lead, fault))
                keys.append(f"{b.switch:#x}")
                bad.append(bool(fault))
        for sw, name, text in tree.missing:
            rows.append((name, "-", "missing branch", text))
            keys.append(f"{sw:#x}")
            bad.append(True)
        fill(self.branches, rows, keys)
        self._mark(self.branches, bad)
        members = tree.unreached + tree.reached
        fill(self.members, [
            (self._member_text(m.fabric, ref),
             how + (f": {', '.join(tree.missed_by[ref])}" if ref in tree.missed_by else ""))
            for ref, _name, how in members],
            [f"{ref.node:#x}" for ref, _name, _how in members])
        for row, (_ref, name, _how) in enumerate(members):  # GUID and LID in the tooltip
            item = self.members.item(row, 0)
            if item is not None:
                item.setToolTip(name)
        self._mark(self.members, [i < len(tree.unreached) for i in range(len(members))])
        what = "What-if model: " if self.model is not None else ""
        n_sw, n_ok, n_bad = len(tree.branches), len(tree.reached), tree.faults
        faults = f"; {plural(n_bad, 'faulty row')} (marked)" if n_bad else ""
        forward = f"{plural(n_sw, 'switch')} forward{'s' if n_sw == 1 else ''} it"
        if tree.mgid is None:
            self.summary.setText(f"{what}{tree.title}: {forward}{faults}")
            return
        self.summary.setText(
            f"{what}{tree.title}: {forward}; {plural(n_ok, 'member')} "
            f"reached by every other member, {len(tree.unreached)} not{faults}")

    @staticmethod
    def _member_text(fabric: Any, ref: Any) -> str:
        """``node0009 port 1, LID 23``: short enough for a narrow side panel."""
        lid = fabric.port(ref).lid if ref.port in fabric.nodes[ref.node].ports else 0
        return f"{node_name(fabric.nodes[ref.node])} port {ref.port}" + (
            f", LID {lid}" if lid else "")

    def _mark(self, table: QTableWidget, bad: list[bool]) -> None:
        """Faulty rows: a warning icon and the fault colour."""
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for row, faulty in enumerate(bad):
            if not faulty:
                continue
            for col in range(table.columnCount()):
                item = table.item(row, col)
                if item is not None:
                    item.setForeground(QBrush(FAULT_COLOUR))
                    if col == 0:
                        item.setIcon(icon)

    def faulty_rows(self, table: QTableWidget) -> list[int]:
        """Rows marked faulty (tests)."""
        self.flush()
        items = [(r, table.item(r, 0)) for r in range(table.rowCount())]
        return [r for r, item in items if item is not None and not item.icon().isNull()]

    def _chosen(self, _index: int) -> None:
        self.refresh()
        if self.mgid is not None:
            self.groupSelected.emit(self.mgid)
        elif self.orphan is not None:
            self.mlidSelected.emit(self.orphan)

    def _node_at(self, table: Any, row: int) -> None:
        item = table.item(row, 0)
        if item is not None and item.data(KEY_ROLE):
            self.nodeChosen.emit(int(item.data(KEY_ROLE), 16))

    def branch_rows(self) -> list[list[str]]:
        self.flush()
        return cells(self.branches)

    def member_rows(self) -> list[list[str]]:
        self.flush()
        return cells(self.members)
