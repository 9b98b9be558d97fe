"""Teaching side of the main window: the labels that stay on the canvas, the View >
Presentation preset for a projector, and the Lessons menu with its lesson panel."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QWidget,
)

from ibviz.app.opening import Loaded
from ibviz.app.pinned import pinned_nodes
from ibviz.gui.panels.lesson import LessonPanel
from ibviz.gui.theme import SettingsMixin
from ibviz.gui.window import small_screen

if TYPE_CHECKING:
    from ibviz.gui.canvas.view import FabricView
    from ibviz.gui.panels.narration import NarrationStrip
    from ibviz.gui.window.actions import WindowActions
    from ibviz.gui.window.controller import SessionController

    _Base = QMainWindow
else:
    _Base = object

PRESENTATION_FONT = 1.35
"""Presentation: every widget's font and every canvas label this much larger."""
PRESENTATION_NARRATION_PT = 24
NORMAL_NARRATION_PT = 17
COMPACT_NARRATION_PT = 14
"""The narration in a small window's default layout (still two lines of room)."""
PRESENTATION_DOCKS = ("narration", "groups", "lesson")
"""The docks a projector shows; the others are hidden until the preset is turned off."""


def presentation_style() -> str:
    """Every widget's font larger (an application style sheet stops plain font
    inheritance, so the preset is a style sheet too), the narration larger still."""
    base = QApplication.font().pointSizeF()
    size = round((base if base > 0 else 10.0) * PRESENTATION_FONT)
    step = PRESENTATION_NARRATION_PT - 6
    return (f"QWidget {{ font-size: {size}pt; }} "
            f"#narrationText {{ font-size: {PRESENTATION_NARRATION_PT}pt; }} "
            f"#narrationStep {{ font-size: {step}pt; font-weight: bold; }}")


def lesson_loaded(lesson: Any) -> Loaded:
    """The session a lesson runs on (its scenario, the script dropped unless kept)."""
    from ibviz.topology.lessons import session_factory

    session = session_factory(lesson)()
    kind = "fabric" if lesson.fabric is not None else "scenario"
    spec = str(lesson.fabric or lesson.scenario)
    near = Path(lesson.source).parent / spec if lesson.source else None
    if near is not None and near.is_file():  # a file beside the lesson: saved absolute
        spec = str(near.resolve())
    return Loaded(session, {"kind": kind, "spec": spec, "mode": lesson.mode, "seed": None,
                            "lesson": lesson.name})


class TeachingMixin(_Base):
    """Mixed into :class:`~ibviz.gui.window.main.MainWindow`."""

    selected_node: int | None
    search_hits: list[int]
    docks: dict[str, QDockWidget]
    if TYPE_CHECKING:  # what the window provides
        controller: SessionController
        narration: NarrationStrip
        view: FabricView
        actions_: WindowActions

        @property
        def session(self) -> Any: ...
        def install(self, loaded: Loaded) -> None: ...
        def compact(self) -> bool: ...
        def fit_to_screen(self, width: int = 1600, height: int = 1000) -> None: ...
        inspector: Any
        switch_line: QLabel
        status_backend: QLabel
        def _dock(self, title: str, name: str, widget: QWidget,
                  area: Qt.DockWidgetArea) -> QDockWidget: ...

    def _build_teaching(self) -> None:
        self.search_hits = []
        self.lesson_panel = LessonPanel(self)
        self.lesson_panel.changed.connect(self.update_pinned)
        self.lesson_panel.closed.connect(self.close_lesson)
        self.docks["lesson"] = self._dock("Lesson", "lessonDock", self.lesson_panel,
                                          Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.docks["inspector"], self.docks["lesson"])
        self.docks["lesson"].hide()
        self._normal_state: QByteArray | None = None
        self.presentation_action = QAction("&Presentation", self, checkable=True)
        self.presentation_action.setShortcut(QKeySequence("F5"))
        self.presentation_action.setStatusTip("Larger fonts, fewer docks and a big narration"
                                              " for a projector (F5 toggles)")
        self.presentation_action.toggled.connect(self.set_presentation)
        self.addAction(self.presentation_action)
        view = self.actions_.view_menu
        view.insertAction(view.actions()[0], self.presentation_action)
        self.lessons_menu = self._lessons_menu()

    def _lessons_menu(self) -> QMenu:
        from ibviz.topology.lessons import lesson_names

        menu = self.menuBar().addMenu("&Lessons")
        menu.setObjectName("lessonsMenu")
        self.lesson_actions: dict[str, QAction] = {}
        for name in lesson_names():
            action = menu.addAction(name)
            action.setData(name)
            action.triggered.connect(lambda _c=False, n=name: self.open_lesson(n))
            self.lesson_actions[name] = action
        menu.aboutToShow.connect(self._title_lessons)
        help_menu = next((a for a in self.menuBar().actions() if a.text() == "&Help"), None)
        if help_menu is not None:  # keep Help last
            self.menuBar().insertMenu(help_menu, menu)
        return menu

    def _title_lessons(self) -> None:
        """The lessons' titles in their menu, read when it first opens (parsing the ten
        lesson files is half a second of the window's start-up otherwise)."""
        from ibviz.topology.lessons import load_lesson

        for name, action in self.lesson_actions.items():
            if action.text() == name:
                try:
                    action.setText(load_lesson(name).title)
                except ValueError:
                    action.setText(name + " ")  # unreadable: its name, not read again

    # ------------------------------------------------------------ labels that stay
    def update_pinned(self) -> None:
        """Tell the canvas which labels matter now (cheap; called at most 4 times a
        second and after a selection, a search or a lesson step)."""
        s = self.session
        t = self.controller.view_time_us if s is not None else None
        sentences = [self.narration.sentence] + self.lesson_panel.sentences()
        pinned = pinned_nodes(s, t, sentences, self.selected_node, self.search_hits)
        scale = PRESENTATION_FONT if self.presentation_action.isChecked() else 1.0
        self.view.set_pinned_labels(pinned, scale)

    # ---------------------------------------------------------------- presentation
    def update_switch_line(self) -> None:
        """The inspected switch's multicast ports in one status-bar line (shown in
        presentation, where the switch inspector is hidden: mode 2's port remap stays
        visible)."""
        line = self.switch_line
        s, sw = self.session, self.inspector.switch
        info = s.sm.switch_info.get(sw) if s is not None and sw is not None else None
        if info is None:
            line.setText("")
            return
        node = s.fabric.nodes.get(sw)
        line.setText(f"{node.label if node else hex(sw)}: DefaultMulticastPrimaryPort "
                     f"<b>{info.default_mcast_primary_port}</b>, NotPrimaryPort "
                     f"<b>{info.default_mcast_not_primary_port}</b>")

    def set_presentation(self, on: bool) -> None:
        """Larger fonts, only the narration, groups and lesson docks, a big narration;
        off restores the docks and fonts as they were."""
        if self.presentation_action.isChecked() != on:
            self.presentation_action.setChecked(on)  # toggled() calls back here
            return
        if on == (self._normal_state is not None):
            return
        if on:
            self._normal_state = self.saveState()
            for name, dock in self.docks.items():
                if name not in PRESENTATION_DOCKS:
                    dock.hide()
            self.setStyleSheet(presentation_style())
            self.status_backend.hide()  # room for the switch's multicast ports
            self.switch_line.show()
            self.narration.set_point_size(PRESENTATION_NARRATION_PT)
            self._presentation_sides()
        elif self._normal_state is not None:
            self.setStyleSheet("")
            self.switch_line.hide()
            self.status_backend.show()
            self.narration.set_point_size(COMPACT_NARRATION_PT if self.compact()
                                          else NORMAL_NARRATION_PT)
            state, self._normal_state = self._normal_state, None
            small_screen.fit_title_bars(self)  # as they were when the state was saved
            self.restoreState(state)
            if self.lesson_panel.progress is not None:  # a lesson opened meanwhile
                self.docks["lesson"].show()
        small_screen.fit_title_bars(self)
        self.update_switch_line()
        self.fit_to_screen(self.width(), self.height())  # never taller than the screen
        QApplication.processEvents()
        if on:  # again once the larger type has laid the docks out
            self._presentation_sides()
            QApplication.processEvents()
        self.update_pinned()
        self.view.fit()

    def save_settings(self) -> None:
        """The dock layout saved is the normal one, never the presentation's."""
        if self._normal_state is not None:
            self.set_presentation(False)
        SettingsMixin.save_settings(self)  # type: ignore[arg-type]

    # -------------------------------------------------------------------- lessons
    def open_lesson(self, name: str) -> bool:
        """Open the lesson's session and show its first step in the lesson dock."""
        from ibviz.topology.lessons import load_lesson

        try:
            lesson = load_lesson(name)
            loaded = lesson_loaded(lesson)
        except ValueError as exc:
            from ibviz.gui import dialogs

            dialogs.show_message(self, "Cannot open the lesson", str(exc))
            return False
        self.install(loaded)
        self.controller.seek(lesson.start_us)
        self.lesson_panel.start(lesson, self.controller)
        self.docks["lesson"].show()
        self.bring_lesson_forward()
        self.update_pinned()
        return True

    def bring_lesson_forward(self) -> None:
        """The lesson dock in front of its tabs, wide enough for its narration and checks
        (again after the window's first-show layout, which sizes the side docks)."""
        self.docks["lesson"].raise_()
        if self._normal_state is not None:  # presenting: the canvas keeps its share
            self._presentation_sides()
            return
        self.resizeDocks([self.docks["lesson"]], [max(420, int(self.width() * 0.36))],
                         Qt.Orientation.Horizontal)

    def _presentation_sides(self) -> None:
        """Presentation's side docks: the groups wide enough for member names in larger
        type (42% of the width), or, beside a lesson, the groups and the lesson about a
        quarter and a third each, so that the canvas keeps about 40% (it got ~18% at
        1920x1080 with both at their normal widths)."""
        w = self.width()
        lesson = self.docks.get("lesson")
        if lesson is not None and self.lesson_panel.progress is not None:
            self.resizeDocks([self.docks["groups"], lesson],
                             [int(w * 0.27), max(380, int(w * 0.31))],
                             Qt.Orientation.Horizontal)
        else:
            self.resizeDocks([self.docks["groups"]], [int(w * 0.42)],
                             Qt.Orientation.Horizontal)  # member names in larger type

    def close_lesson(self) -> None:
        self.lesson_panel.stop()
        self.docks["lesson"].hide()
        self.update_pinned()
