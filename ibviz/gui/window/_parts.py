"""What the operator mixins (:mod:`~ibviz.gui.window.readonly`,
:mod:`~ibviz.gui.window.whatif`) use of the main window they are mixed into, declared for
the type checker only (at run time the base is ``object``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QWidget

    from ibviz.gui.canvas.view import FabricView
    from ibviz.gui.panels.changes import ChangesPanel
    from ibviz.gui.panels.narration import NarrationStrip
    from ibviz.gui.panels.whatif import WhatIfPanel
    from ibviz.gui.window.actions import WindowActions
    from ibviz.gui.window.controller import SessionController

    class WindowParts(QMainWindow):
        controller: SessionController
        view: FabricView
        docks: dict[str, QDockWidget]
        backend: Any
        narration: NarrationStrip
        actions_: WindowActions
        status_time: QLabel
        status_flight: QLabel
        failures: Any
        selected_node: int | None
        batch: bool
        changes: ChangesPanel
        whatif_panel: WhatIfPanel

        @property
        def session(self) -> Any: ...
        def _dock(self, title: str, name: str, widget: QWidget,
                  area: Qt.DockWidgetArea) -> QDockWidget: ...
        def _update_enabled(self) -> None: ...
        def link_clicked(self, a: Any, b: Any) -> None: ...
        def live_busy(self) -> bool: ...
        def show_read_only(self, backend: Any, title: str, poll_ms: int | None,
                           positions: dict | None, source: dict | None = None) -> None: ...
        def select_node(self, guid: int | None) -> None: ...
        def read_only_shown(self) -> bool: ...
        def set_whatif_model(self, model: Any) -> None: ...
        def show_intro(self) -> None: ...
        def show_marks(self, marks: Any) -> None: ...
else:
    WindowParts = object
