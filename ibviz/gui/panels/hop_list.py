"""The event list of simulation mode: every packet hop and every MAD, in time order.

Rows come from the session's hop log and MAD log as numpy arrays (time, and a ref: hop
index ``i >= 0`` or MAD number ``-1 - i``), sorted by time, read in place. Selecting a row
emits :attr:`HopListPanel.rowSelected` (time, packet ref): the main window moves the view
there, watches the packet and shows its headers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QComboBox, QVBoxLayout, QWidget

from ibviz.app.packet_frame import GLYPH_NAMES, PacketFrames
from ibviz.gui.panels.event_log import log_table

HEADERS = ("Time (\u00b5s)", "Kind", "Packet", "Flow / MAD", "From", "To")
SHOW = (("hops and MADs", ""), ("packet hops", "hops"), ("MADs", "mads"))
Index = QModelIndex | QPersistentModelIndex


class HopModel(QAbstractTableModel):
    """Rows: ``times`` and ``refs`` (hop log index, or ``-1 - i`` for MAD ``i``)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.session: Any = None
        self.frames: PacketFrames | None = None
        self.show = ""
        self.times = np.zeros(0)
        self.refs = np.zeros(0, np.int64)
        self._seen = (-1, -1, -1)

    def set_session(self, session: Any, frames: PacketFrames) -> None:
        self.session, self.frames, self._seen = session, frames, (-1, -1, -1)
        self.catch_up()

    def set_show(self, show: str) -> None:
        self.show, self._seen = show, (-1, -1, -1)
        self.catch_up()

    def catch_up(self) -> bool:
        """Read the hops and MADs logged since the last look; True if rows changed. New
        rows that all come after the last one are appended (the view keeps its place);
        otherwise the rows are sorted again."""
        s, frames = self.session, self.frames
        if s is None or frames is None:
            return False
        frames.update()
        hops = s.hops
        n, first = (len(hops), hops.first) if hops is not None else (0, 0)
        seen = (n, first, len(frames.mad_t0))
        if seen == self._seen:
            return False
        (n0, first0, m0), self._seen = self._seen, seen
        if first != first0 or n < n0 or n0 < 0:
            n0, m0 = 0, 0
        times, refs = [np.zeros(0)], [np.zeros(0, np.int64)]
        if hops is not None and self.show != "mads":
            times.append(hops.t0[n0:])
            refs.append(np.arange(n0, n, dtype=np.int64) + first)
        if self.show != "hops":
            times.append(frames.mad_t0[m0:])
            refs.append(-1 - frames.mad_index[m0:])
        t, r = np.concatenate(times), np.concatenate(refs)
        order = np.argsort(t, kind="stable")
        t, r = t[order], r[order]
        if n0 or m0:
            if not len(t):
                return False
            if not len(self.times) or t[0] >= self.times[-1]:
                at = len(self.times)
                self.beginInsertRows(QModelIndex(), at, at + len(t) - 1)
                self.times, self.refs = np.concatenate([self.times, t]), \
                    np.concatenate([self.refs, r])
                self.endInsertRows()
                return True
            t, r = np.concatenate([self.times, t]), np.concatenate([self.refs, r])
            order = np.argsort(t, kind="stable")
            t, r = t[order], r[order]
        self.beginResetModel()
        self.times, self.refs = t, r
        self.endResetModel()
        return True

    def row_of(self, ref: int) -> int:
        rows = np.flatnonzero(self.refs == ref)
        return int(rows[0]) if len(rows) else -1

    def packet_ref(self, row: int) -> int:
        """The packet id of a hop row, or ``-1 - i`` for MAD ``i``."""
        ref = int(self.refs[row])
        if ref < 0 or self.frames is None:
            return ref
        return int(self.frames.pid[ref - self.session.hops.first])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else len(self.refs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole,
                                                Qt.ItemDataRole.TextAlignmentRole):
            return None
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter) \
                if col == 0 else None
        if col == 0:
            return f"{self.times[row]:,.3f}"
        ref = int(self.refs[row])
        return self._mad_cell(-1 - ref, col) if ref < 0 else self._hop_cell(ref, col)

    def _name(self, node: int) -> str:
        found = self.session.fabric.nodes.get(node)
        return found.label if found is not None else f"{node:#x}"

    def _hop_cell(self, ref: int, col: int) -> str:
        hops, frames = self.session.hops, self.frames
        local = ref - hops.first
        if frames is None or not 0 <= local < len(hops):
            return ""
        hop = hops[local]
        values = (GLYPH_NAMES[int(frames.glyph[local])], str(hop.pid), hop.flow,
                  f"{self._name(hop.src.node)} [{hop.src.port}]",
                  f"{self._name(hop.dst.node)} [{hop.dst.port}]")
        return values[col - 1]

    def _mad_cell(self, i: int, col: int) -> str:
        try:
            mad = self.session.sm.mads.mads[i]
        except IndexError:  # a long session forgot it
            return ""
        values = (mad.kind, f"MAD {i}", f"{mad.attribute} ({mad.reason})" if mad.reason
                  else mad.attribute,
                  self._name(mad.src.node) if mad.src else "",
                  self._name(mad.dst.node) if mad.dst else "")
        return values[col - 1]

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None


class HopListPanel(QWidget):
    rowSelected = Signal(float, int)
    """(time in us, packet ref: packet id, or ``-1 - i`` for MAD ``i``) of the row chosen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = HopModel(self)
        self.show_kind = QComboBox(self)
        self.show_kind.setObjectName("hopShow")
        for text, data in SHOW:
            self.show_kind.addItem(text, data)
        self.show_kind.currentIndexChanged.connect(
            lambda _i: self.model.set_show(self.show_kind.currentData() or ""))
        self.view = log_table(self, "hopView", self.model)
        self.view.clicked.connect(self._clicked)
        self.view.activated.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.show_kind)
        layout.addWidget(self.view, 1)

    def set_session(self, session: Any, frames: PacketFrames) -> None:
        self.model.set_session(session, frames)
        for col, width in enumerate((90, 105, 62, 140, 130)):
            self.view.setColumnWidth(col, width)

    def refresh(self) -> None:
        """Catch up with the session (while shown); the selected row stays selected."""
        if not self.isVisible():
            return
        current = self.view.currentIndex()
        ref = int(self.model.refs[current.row()]) if current.isValid() else None
        if self.model.catch_up() and ref is not None:
            row = self.model.row_of(ref)
            if row >= 0 and row != self.view.currentIndex().row():
                self.view.setCurrentIndex(self.model.index(row, 0))

    def select_row(self, row: int) -> None:
        """Select ``row`` as a click would (the view moves there)."""
        index = self.model.index(row, 0)
        self.view.setCurrentIndex(index)
        self._clicked(index)

    def _clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            row = index.row()
            self.rowSelected.emit(float(self.model.times[row]), self.model.packet_ref(row))
