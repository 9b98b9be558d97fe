"""The window's Undo and Redo win over a text field's own: a QLineEdit takes Ctrl+Z for
its text (a ShortcutOverride), so with the Find box focused Ctrl+Z undid the search text,
not the last action. While the window has something to undo (redo), its action gets the
key; with nothing to undo the field keeps its own."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QWidget


class WindowUndoWins(QObject):
    """An event filter for text fields: ``undo``/``redo`` are the window's actions."""

    def __init__(self, undo: QAction, redo: QAction, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo, self.redo = undo, redo

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            for action in (self.undo, self.redo):
                if action.isEnabled() and any(
                        event.keyCombination() == key[0]  # type: ignore[index]
                        for key in action.shortcuts() if not key.isEmpty()):
                    event.ignore()  # not overridden: the window's shortcut fires
                    return True
        return super().eventFilter(watched, event)

    def watch(self, *fields: QWidget) -> None:
        for field in fields:
            field.installEventFilter(self)
