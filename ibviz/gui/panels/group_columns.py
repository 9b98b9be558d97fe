"""The groups panel's column widths and row heights: Role, Status and JoinState whole,
the group / member names in what is left, a group name too wide for its cell wrapped onto
more lines (``ipoib-`` / ``broadcast`` at 1280x720) rather than elided."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

ROLE_COL, STATUS_COL, JOIN_COL = 1, 2, 3
MIN_NAME_PX = 100
"""The group / member column keeps at least this width in a narrow dock."""
MIN_STATUS_PX = 80
"""Status keeps at least this width when it wraps."""
NAME_MARGINS_PX = 8
"""What a cell keeps of its width for its margins (both sides, and a little spare)."""


def top_items(tree: QTreeWidget) -> Iterator[QTreeWidgetItem]:
    for i in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(i)
        if item is not None:
            yield item


class ColumnFit:
    """Fits the columns of ``tree`` (group / member, Role, Status, JoinState)."""

    def __init__(self, tree: QTreeWidget) -> None:
        self.tree = tree
        self.widest = [0] * tree.columnCount()
        """Each column's widest text since :meth:`forget` (Role/Status/JoinState never
        shrink meanwhile, so columns do not jump from step to step)."""

    def forget(self) -> None:
        """A new session, or another font (presentation's larger type came or went)."""
        self.widest = [0] * self.tree.columnCount()

    def fit(self) -> None:
        """Role, Status and JoinState whole; the group / member names get what is left (at
        least ``MIN_NAME_PX``, and the member names whole before JoinState; a long group
        name wraps, with the name in the tooltip). Where the member names, Role and
        Status cannot all be whole on one line (a 1280x720 dock after a failover:
        "served by second-node"), Status wraps instead of running off the view. In a
        narrow dock the tree scrolls sideways."""
        tree, header = self.tree, self.tree.header()
        need = [max(tree.sizeHintForColumn(c), header.sectionSizeHint(c), self.widest[c])
                for c in range(tree.columnCount())]
        self.widest = need
        view = tree.viewport().width()
        room = view - need[ROLE_COL] - need[STATUS_COL]
        members = self._member_names_px()
        names = min(room, members)  # member names whole before JoinState
        widths = [min(need[0], max(MIN_NAME_PX, room - need[JOIN_COL], names)),
                  need[ROLE_COL], need[STATUS_COL]]
        members = min(members, view // 2)
        squeeze = sum(widths) > view and view - members - need[ROLE_COL] >= MIN_STATUS_PX
        if squeeze:
            widths = [members, need[ROLE_COL], view - members - need[ROLE_COL]]
        widths.append(max(need[JOIN_COL], view - sum(widths)))
        changed = False
        for col, width in enumerate(widths):
            if header.sectionSize(col) != width:
                header.resizeSection(col, width)
                changed = True
        if self._fit_rows(squeeze) or changed:
            tree.doItemsLayout()

    def _fit_rows(self, status_wraps: bool) -> bool:
        """A group name or a status wider than its cell wraps onto more lines (at a space
        or a hyphen, else anywhere), its row as tall as they need; True when a row's
        height changed."""
        tree, changed = self.tree, False
        header = tree.header()
        flags = Qt.TextFlag.TextWordWrap | Qt.TextFlag.TextWrapAnywhere
        for top in top_items(tree):
            kids = [top.child(j) for j in range(top.childCount())]
            for item in [top, *(k for k in kids if k is not None)]:
                cols = [0] if item is top else []
                for col in cols + ([STATUS_COL] if status_wraps else []):
                    width = header.sectionSize(col) - NAME_MARGINS_PX - \
                        (tree.indentation() if col == 0 else 0)
                    metrics = QFontMetrics(self.drawn_font(item, col))
                    advance = metrics.horizontalAdvance(item.text(col))
                    hint = QSize()  # one line: the view's default height
                    if width > 0 and advance > width:  # as wide as the text on one line
                        lines = metrics.boundingRect(QRect(0, 0, width, 10_000), flags,
                                                     item.text(col))
                        wide = advance + NAME_MARGINS_PX if col == 0 else \
                            header.sectionSize(col)  # (Status's width never grows by it)
                        hint = QSize(wide, lines.height() + 4)
                    if item.sizeHint(col) != hint:
                        item.setSizeHint(col, hint)
                        changed = True
                if not status_wraps and item.sizeHint(STATUS_COL) != QSize():
                    item.setSizeHint(STATUS_COL, QSize())  # one line again
                    changed = True
        return changed

    def _member_names_px(self) -> int:
        """Width the member rows' names need in the name column (with their indent)."""
        tree, widest = self.tree, 0
        for item in top_items(tree):
            for j in range(item.childCount()):
                child = item.child(j)
                if child is None:
                    continue
                metrics = QFontMetrics(self.drawn_font(child))
                widest = max(widest, metrics.horizontalAdvance(child.text(0)))
        return widest + 2 * tree.indentation() + 12 if widest else 0

    def drawn_font(self, item: QTreeWidgetItem, col: int = 0) -> QFont:
        """A column's font as drawn: the item's own (bold) over the tree's (larger in
        presentation, by a style sheet)."""
        return item.font(col).resolve(self.tree.font())
