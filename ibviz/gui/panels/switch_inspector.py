"""Switch inspector: one switch's LFT (searchable), MFT per MLID with the before/after
diff of the last failover highlighted, and its SwitchInfo default multicast ports."""

from __future__ import annotations

from collections import Counter
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ibviz.core.events import LidAssigned
from ibviz.core.model import PortRef
from ibviz.core.naming import node_name
from ibviz.gui.panels.lft_model import LftModel

BEFORE = "Before"
"""The MFT's third column: a header that fits the narrow dock of a 1280x720 window (the
longer "Before last failover" showed as "re last faili"); its tooltip says it whole."""
BEFORE_TIP = "The ports before the last failover or failback"
CHANGED = QColor("#F0E442")
"""Okabe-Ito yellow behind MFT rows the last failover changed (dark text stays readable)."""
CHANGED_TEXT = QColor("#000000")


def first_owners(fabric: Any) -> dict[int, PortRef]:
    """LID -> the first port answering to it (``Fabric.lid_owners`` without the lists)."""
    owners: dict[int, PortRef] = {}
    for node in fabric.nodes.values():
        for p in node.lid_ports():
            for lid in p.lids():
                if lid not in owners:
                    owners[lid] = PortRef(node.guid, p.num)
    return owners


class NodeLabels:
    """GUID -> node label, read when a row is drawn (not 46,550 strings up front)."""

    def __init__(self, fabric: Any) -> None:
        self._nodes = fabric.nodes

    def get(self, guid: int, default: str, /) -> str | None:
        node = self._nodes.get(guid)
        return node.label if node is not None else default


def ports_text(ports: frozenset[int] | set[int] | None) -> str:
    return ", ".join(str(p) for p in sorted(ports)) if ports else "-"


class SwitchInspector(QWidget):
    """Pick a switch (or let a node click pick it); tables follow the live session."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: Any = None
        self.model: Any = None
        """A what-if model (:class:`~ibviz.app.whatif_view.ModelView`) shown instead of
        the session's tables; None: the session's."""
        self.switch: int | None = None
        self.failovers = True
        """The backend can fail a node (its capabilities say so): the MFT shows the rows the
        last failover changed and the ports before it; else neither is spoken of."""
        self._owner_key: tuple = ()
        self._owner_maps: tuple[dict, dict] = ({}, {})
        self._lid_bus: Any = None
        self._lid_unsubscribe: Any = None
        self._lid_moves = 0
        self.chooser = QComboBox(self)
        self.chooser.setObjectName("switchChooser")
        # as wide as the dock, not as the longest of thousands of names (which cost a
        # scan of every item and pushed the tables out of a narrow dock)
        self.chooser.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.chooser.setMinimumContentsLength(12)
        self.chooser.currentIndexChanged.connect(self._chosen)
        self.info = QLabel(self)
        self.info.setObjectName("switchInfo")
        self.info.setWordWrap(True)
        self.lft_filter = QLineEdit(self)
        self.lft_filter.setPlaceholderText("Search LFT: LID (12, 0xc), 'port 3' or node name")
        self.lft_filter.setClearButtonEnabled(True)
        self.lft_model = LftModel(self)
        self.lft_filter.textChanged.connect(self.lft_model.set_filter)
        self.lft_view = QTableView(self)
        self.lft_view.setObjectName("lftView")
        self.lft_view.setModel(self.lft_model)
        self.lft_view.verticalHeader().setVisible(False)
        self.lft_view.verticalHeader().setDefaultSectionSize(22)
        self.lft_view.horizontalHeader().setStretchLastSection(True)
        self.lft_view.setAlternatingRowColors(True)
        self.mft = QTableWidget(0, 3, self)
        self.mft.setObjectName("mftTable")
        self.mft.setHorizontalHeaderLabels(["MLID", "Ports now", BEFORE])
        self.mft.verticalHeader().setVisible(False)
        self.mft.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.mft.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

        form = QFormLayout()
        # each field under its name: the dock is narrow at 1280x720, and the value's
        # longest word (DefaultMulticastNotPrimaryPort) needs the dock's whole width
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.chooser_label = QLabel("Switch", self)
        """The chosen switch's GUID, on the line above the chooser (the chooser shows the
        name the canvas does: the GUID did not fit it at 1280x720)."""
        self.chooser_label.setObjectName("switchGuid")
        self.chooser_label.setMinimumWidth(1)  # never widens a narrow dock
        self.chooser_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.chooser_label, self.chooser)
        form.addRow("SwitchInfo", self.info)
        lft_box = QWidget(self)
        lft_layout = QVBoxLayout(lft_box)
        lft_layout.setContentsMargins(0, 0, 0, 0)
        lft_layout.addWidget(QLabel("Linear forwarding table (unicast)"))
        lft_layout.addWidget(self.lft_filter)
        lft_layout.addWidget(self.lft_view)
        mft_box = QWidget(self)
        mft_layout = QVBoxLayout(mft_box)
        mft_layout.setContentsMargins(0, 0, 0, 0)
        self.mft_title = QLabel("Multicast forwarding table (changed rows highlighted)")
        mft_layout.addWidget(self.mft_title)
        mft_layout.addWidget(self.mft)
        split = QSplitter(self)
        split.setOrientation(split.orientation().Vertical)
        split.addWidget(mft_box)
        split.addWidget(lft_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addWidget(split, 1)

    # --------------------------------------------------------------- session
    def set_session(self, session: Any) -> None:
        self.session = session
        self.model = None
        self.chooser.blockSignals(True)
        self.chooser.clear()
        switches = sorted(session.fabric.switches(), key=lambda n: (node_name(n), n.guid))
        names = Counter(node_name(n) for n in switches)
        for node in switches:
            # GUIDs go to Qt as text: a QVariant int is signed 64-bit, and NVIDIA's GUIDs
            # (0xb8cef6...) are >= 2**63; a name two switches share says the GUID too
            name = node_name(node)
            text = name if names[name] == 1 else f"{name}  ({node.guid:#018x})"
            self.chooser.addItem(text, f"{node.guid:x}")
            self.chooser.setItemData(self.chooser.count() - 1,
                                     f"{node.label}  ({node.guid:#018x})",
                                     Qt.ItemDataRole.ToolTipRole)
        self.chooser.blockSignals(False)
        self.switch = None
        if switches:
            self.show_switch(switches[0].guid)
        else:
            self.refresh()

    def show_switch(self, guid: int) -> bool:
        """Inspect switch ``guid``; False when it is not a switch of this fabric."""
        index = self.chooser.findData(f"{guid:x}")
        if index < 0:
            return False
        self.switch = guid
        self.chooser.blockSignals(True)
        self.chooser.setCurrentIndex(index)
        self.chooser.blockSignals(False)
        self.refresh()
        return True

    def _chosen(self, index: int) -> None:
        if index >= 0:
            self.switch = int(self.chooser.itemData(index), 16)
            self.refresh()

    def set_model(self, model: Any) -> None:
        """Show what-if ``model``'s tables (None: the session's again)."""
        self.model = model
        self.refresh()

    @property
    def shown(self) -> Any:
        """What the tables are read from: the what-if model, else the session."""
        return self.model if self.model is not None else self.session

    def refresh(self) -> None:
        """Re-read the switch's tables from the session (or the what-if model)."""
        shown, sw = self.shown, self.switch
        self.chooser_label.setText("Switch" if sw is None else f"Switch {sw:#018x}")
        node = self.session.fabric.nodes.get(sw) if self.session is not None and sw else None
        self.chooser.setToolTip(f"{node.label}  ({sw:#018x})" if node is not None else "")
        if shown is None or sw is None:
            self.info.setText("no switch in this fabric")
            self.lft_model.set_table(None, {}, {})
            self.mft.setRowCount(0)
            return
        gone = self.model.gone_text(sw) if self.model is not None else None
        info = shown.sm.switch_info.get(sw)
        prefix = "<i>What-if model:</i> " if self.model is not None else ""
        if gone is not None:
            self.info.setText(f"{gone}: no tables")
        elif info is not None:
            mft = "keeps a multicast table" if info.keeps_multicast_table else \
                "no multicast table (MulticastFDBCap = 0)"
            self.info.setText(
                f"{prefix}DefaultMulticastPrimaryPort <b>{info.default_mcast_primary_port}</b>, "
                f"DefaultMulticastNotPrimaryPort <b>{info.default_mcast_not_primary_port}</b>"
                f"; LinearFDBTop {info.linear_fdb_top:#x}; {mft}")
        failed = " (FAILED)" if sw in shown.sm.failed else ""
        self.info.setToolTip(f"switch {sw:#018x}{failed}")
        owners, labels = self._owners()
        self.lft_model.set_table(None if gone else shown.sm.lfts.get(sw), owners, labels)
        self._fill_mft(sw)

    def _owners(self) -> tuple[dict, dict]:
        """LID -> port and GUID -> name, rebuilt only when a LID moved since (a failover's
        sweep that assigns no LID keeps them: at 10k HCAs a rebuild costs 0.1-0.3 s)."""
        s = self.shown  # the session, or the what-if model
        bus = s.fabric.events
        if self._lid_bus is not bus:  # count LID moves on this session's bus
            if self._lid_unsubscribe is not None:
                self._lid_unsubscribe()
            self._lid_bus = bus
            # a bus nobody listens to emits nothing (and listening would make its SM
            # send MADs one by one): then any MAD may have moved a LID
            self._lid_unsubscribe = (bus.subscribe(LidAssigned, self._lid_moved)
                                     if bus.active else None)
            self._lid_moves += 1
        counted = self._lid_unsubscribe is not None
        key = (id(s.fabric), self._lid_moves, None if counted else len(s.sm.mads))
        if self._owner_key != key:
            self._owner_key = key
            self._owner_maps = (first_owners(s.fabric), NodeLabels(s.fabric))
        return self._owner_maps

    def _lid_moved(self, _event: LidAssigned) -> None:
        self._lid_moves += 1

    def _fill_mft(self, sw: int) -> None:
        shown = self.shown
        info = shown.sm.switch_info.get(sw)
        has_table = info is None or info.keeps_multicast_table
        self.mft.setVisible(has_table)
        whatif = self.model is not None
        self.mft_title.setText(
            ("What-if model's multicast forwarding table (rows that differ from the dumps "
             "are highlighted)" if whatif else
             "Multicast forwarding table (rows the last failover changed are highlighted)"
             if self.failovers else "Multicast forwarding table")
            if has_table else "No multicast forwarding table on this switch: every "
            "multicast packet leaves by the default multicast ports above.")
        self.mft_title.setWordWrap(True)
        self.mft.setHorizontalHeaderLabels(
            ["MLID", "On the model" if whatif else "Ports now",
             "In the dumps" if whatif else BEFORE])
        self.mft.horizontalHeaderItem(2).setToolTip(
            "The ports in the switch's dump files" if whatif else BEFORE_TIP)
        self.mft.setColumnHidden(2, not (whatif or self.failovers))  # no before to show
        now = shown.sm.mfts.get(sw, {})
        if whatif:
            real = self.session.sm.mfts.get(sw, {})
            diff = {m: (real.get(m), now.get(m)) for m in set(real) | set(now)
                    if set(real.get(m) or ()) != set(now.get(m) or ())}
        else:
            diff = self.session.mft_diff(sw)
        mlids = sorted(set(now) | set(diff))
        self.mft.setRowCount(len(mlids))
        for row, mlid in enumerate(mlids):
            before, after = diff.get(mlid, (now.get(mlid), now.get(mlid)))
            same = "same" if whatif else "unchanged"  # not a copy of "now" that reads as a change
            cells = (f"{mlid:#06x}", ports_text(now.get(mlid)),
                     ports_text(before) if mlid in diff else same)
            changed = mlid in diff and set(before or ()) != set(after or ())
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if changed:
                    item.setBackground(QBrush(CHANGED))
                    item.setForeground(QBrush(CHANGED_TEXT))
                    item.setToolTip("changed by the last failover or failback")
                self.mft.setItem(row, col, item)

    def mft_rows(self) -> list[tuple[str, str, str, bool]]:
        """(MLID, ports now, ports before, changed) as shown."""
        rows = []
        for r in range(self.mft.rowCount()):
            cells = [self.mft.item(r, c).text() for c in range(3)]
            changed = self.mft.item(r, 0).background().color() == CHANGED
            rows.append((*cells, changed))
        return rows
