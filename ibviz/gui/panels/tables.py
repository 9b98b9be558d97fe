"""Small read-only text tables for the operator panels: every cell a string (GUIDs as hex
text, never a Qt integer), a tooltip with the full text, an optional hidden key per row."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

KEY_ROLE = Qt.ItemDataRole.UserRole
"""Where a row keeps what it is about (a hex GUID, a row index), as text."""


def on_screen(widget: QWidget) -> bool:
    """The widget can be seen: shown and not a dock's tab behind another one (Qt keeps
    those 'visible', moved off-screen). Panels whose refresh costs seconds on a big
    fabric wait for this."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def text_table(columns: Sequence[str], name: str, parent: QWidget | None = None,
               stretch: int | None = -1) -> QTableWidget:
    """An empty table with ``columns``; column ``stretch`` (default the last; None: none,
    the table scrolls sideways) takes the spare width, the others fit their contents."""
    table = QTableWidget(0, len(columns), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(22)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch % len(columns), QHeaderView.ResizeMode.Stretch)
    return table


def fill(table: QTableWidget, rows: Sequence[Sequence[str]],
         keys: Sequence[str] | None = None) -> None:
    """Replace the table's rows (``keys[i]`` is stored on row ``i``'s first cell).

    Rows equal to the ones shown are left alone (a state change that did not touch this
    table costs nothing); the columns that fit their contents are measured once, after
    the fill, not after every cell (Qt re-measures a ResizeToContents column on each
    ``setItem``: 0.7 s for a hundred rows)."""
    texts = [[str(text) for text in row] for row in rows]
    digest = hash((tuple(map(tuple, texts)), tuple(keys) if keys is not None else None))
    if table.property(_SHOWN) == str(digest) and table.rowCount() == len(texts):
        return
    header = table.horizontalHeader()
    modes = [header.sectionResizeMode(c) for c in range(table.columnCount())]
    for c in range(table.columnCount()):
        header.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
    table.setUpdatesEnabled(False)
    table.clearContents()
    table.setRowCount(len(texts))
    for r, row in enumerate(texts):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if c == 0 and keys is not None:
                item.setData(KEY_ROLE, keys[r])
            table.setItem(r, c, item)
    for c, mode in enumerate(modes):
        header.setSectionResizeMode(c, mode)
    table.setProperty(_SHOWN, str(digest))
    table.setUpdatesEnabled(True)


_SHOWN = "ibvizShownRows"
"""Property holding a digest of the rows :func:`fill` last wrote."""


def cells(table: QTableWidget) -> list[list[str]]:
    """The table as text, row by row (tests, copy)."""
    def text(r: int, c: int) -> str:
        item = table.item(r, c)
        return item.text() if item is not None else ""

    return [[text(r, c) for c in range(table.columnCount())] for r in range(table.rowCount())]
