"""Table model over one switch's linear forwarding table (a numpy array, never copied
into one item per row): LID, output port and the node that owns the LID."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ibviz.core.model import NO_PATH, PortRef

HEADERS = ("LID", "Out port", "Destination")
Index = QModelIndex | QPersistentModelIndex


class Labels(Protocol):
    """GUID -> node name (a dict, or one that reads the names on demand)."""

    def get(self, guid: int, default: str, /) -> str | None: ...


def parse_lid(text: str) -> int | None:
    t = text.strip().lower()
    try:
        return int(t, 16) if t.startswith("0x") else int(t)
    except ValueError:
        return None


class LftModel(QAbstractTableModel):
    """Rows are the routed LIDs of one LFT, narrowed by :meth:`set_filter`.

    Filter syntax: a LID (``12`` or ``0xc``), ``port N`` (every LID routed through port
    N), or text matched against the destination node's name (case-insensitive).
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._table = np.zeros(0, np.uint8)
        self._rows = np.zeros(0, np.int64)
        self._owners: dict[int, PortRef] = {}
        self._labels: Labels = {}
        self._filter = ""

    # ----------------------------------------------------------------- data
    def set_table(self, table: np.ndarray | None, owners: dict[int, PortRef],
                  labels: Labels) -> None:
        """Show ``table`` (port per LID); ``owners``: LID -> port; ``labels``: GUID -> name."""
        self.beginResetModel()
        self._table = np.zeros(0, np.uint8) if table is None else np.asarray(table)
        self._owners, self._labels = owners, labels
        self._rows = self._select(self._filter)
        self.endResetModel()

    def set_filter(self, text: str) -> None:
        self.beginResetModel()
        self._filter = text
        self._rows = self._select(text)
        self.endResetModel()

    def _select(self, text: str) -> np.ndarray:
        table = self._table
        routed = np.nonzero((table != NO_PATH) & (np.arange(len(table)) > 0))[0]
        t = text.strip().lower()
        if not t:
            return routed
        if t.startswith("port"):
            port = parse_lid(t[4:])
            return routed[table[routed] == port] if port is not None else routed[:0]
        lid = parse_lid(t)
        if lid is not None:
            return routed[routed == lid]
        keep = [lid for lid in routed.tolist()
                if t in self._destination(lid).lower()]
        return np.asarray(keep, np.int64)

    def _destination(self, lid: int) -> str:
        ref = self._owners.get(lid)
        if ref is None:
            return ""
        name = self._labels.get(ref.node, f"{ref.node:#018x}") or ""
        return f"{name} port {ref.port}" if ref.port else name

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole,
                                               Qt.ItemDataRole.TextAlignmentRole):
            return None
        lid = int(self._rows[index.row()])
        col = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter) \
                if col < 2 else None
        if col == 0:
            return f"{lid} ({lid:#06x})"
        if col == 1:
            port = int(self._table[lid])
            return "0 (this switch)" if port == 0 else str(port)
        return self._destination(lid)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def lids(self) -> list[int]:
        """The LIDs shown, in order."""
        return self._rows.tolist()

    def port_of(self, lid: int) -> int:
        return int(self._table[lid]) if 0 <= lid < len(self._table) else NO_PATH
