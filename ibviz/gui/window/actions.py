"""The main window's QActions, menus and toolbars (one place for names and shortcuts)."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QShortcut
from PySide6.QtWidgets import QLineEdit, QMenuBar, QStyle, QToolBar

from ibviz.gui.window.controller import SessionController


class MainWindow(Protocol):
    """What the actions connect to: :class:`~ibviz.gui.window.main.MainWindow`'s slots
    (named here, not imported: the window imports this module)."""

    controller: SessionController

    def style(self) -> QStyle: ...
    def addAction(self, action: QAction) -> None: ...  # noqa: N802 (Qt's name)
    def addToolBar(self, title: str) -> QToolBar: ...  # noqa: N802 (Qt's name)
    def menuBar(self) -> QMenuBar: ...  # noqa: N802 (Qt's name)
    def close(self) -> bool: ...
    def ask_open(self) -> None: ...
    def ask_connect(self) -> None: ...
    def restart_sm(self) -> bool: ...
    def ask_save_session(self) -> None: ...
    def ask_export(self, kind: str) -> None: ...
    def ask_export_pcap(self) -> None: ...
    def focus_search(self) -> None: ...
    def view_fit(self) -> None: ...
    def jump_next_failover(self) -> None: ...
    def fail_selected(self) -> None: ...
    def failback_selected(self) -> None: ...
    def join_selected(self) -> None: ...
    def leave_selected(self) -> None: ...
    def inspect_selected(self) -> None: ...
    def set_theme(self, name: str) -> None: ...
    def search_nodes(self) -> None: ...
    def fill_builtin_menu(self) -> None: ...
    def show_about(self) -> None: ...


def _action(window: MainWindow, text: str, slot, shortcut: str | QKeySequence | None = None,
            icon: QStyle.StandardPixmap | None = None, tip: str = "") -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if icon is not None:
        action.setIcon(window.style().standardIcon(icon))
    if tip:
        action.setToolTip(tip)
        action.setStatusTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    window.addAction(action)  # shortcuts work whichever widget has the focus
    return action


class WindowActions:
    """Creates every action of ``window`` and puts them in its menus and toolbars."""

    def __init__(self, window: MainWindow) -> None:
        w, ctl, sp = window, window.controller, QStyle.StandardPixmap
        self.open = _action(w, "&Open...", w.ask_open, QKeySequence.StandardKey.Open,
                            sp.SP_DialogOpenButton, "Open a fabric, scenario or saved session")
        self.connect = _action(w, "&Connect...", w.ask_connect, "Ctrl+Shift+O",
                               sp.SP_DriveNetIcon, "Connect to the built-in simulation, an "
                               "OpenSM lab or a real fabric (read-only)")
        self.restart_sm = _action(w, "Restart &SM", w.restart_sm, None, sp.SP_BrowserReload,
                                  "Start OpenSM again: it reloads the groups from its last "
                                  "dump; the last state stays shown until then")
        self.restart_sm.setEnabled(False)
        self.restart_sm.setVisible(False)
        self.save = _action(w, "&Save session...", w.ask_save_session,
                            QKeySequence.StandardKey.Save, sp.SP_DialogSaveButton)
        self.export_png = _action(w, "Export view as &PNG...", lambda: w.ask_export("png"))
        self.export_svg = _action(w, "Export view as S&VG...", lambda: w.ask_export("svg"))
        self.export_pcap = _action(w, "Export &trace to pcap...", w.ask_export_pcap)
        self.quit = _action(w, "&Quit", w.close, QKeySequence.StandardKey.Quit)
        self.find = _action(w, "&Find node...", w.focus_search, QKeySequence.StandardKey.Find)
        self.fit = _action(w, "&Fit fabric in view", w.view_fit, "F", sp.SP_TitleBarMaxButton)
        self.play = _action(w, "Play", ctl.toggle_play, "Space", sp.SP_MediaPlay,
                            "Play or pause the simulation (space)")
        self.step_back = _action(w, "Step back", ctl.step_back, "Left", sp.SP_MediaSeekBackward,
                                 "Step back to the previous event (left arrow)")
        self.step_forward = _action(w, "Step", ctl.step_forward, "Right",
                                    sp.SP_MediaSeekForward,
                                    "Step forward to the next event (right arrow)")
        self.next_failover = _action(w, "Next failover event", w.jump_next_failover, "N",
                                     sp.SP_MediaSkipForward,
                                     "Jump to the next failure, detection or restore (N)")
        self.restart = _action(w, "Restart", lambda: ctl.seek(0.0), "Home", sp.SP_MediaStop,
                               "Back to the start: every panel shows t = 0 (Home)")
        self.fail = _action(w, "Fail", w.fail_selected, "Ctrl+K", sp.SP_DialogCancelButton,
                            "Fail the selected node")
        self.failback = _action(w, "Fail back", w.failback_selected, "Ctrl+B",
                                sp.SP_DialogApplyButton, "Bring the selected node back")
        self.join = _action(w, "Join group...", w.join_selected, None, None,
                            "Make the selected node join a multicast group")
        self.leave = _action(w, "Leave group...", w.leave_selected, None, None,
                             "Make the selected node leave a multicast group")
        self.inspect = _action(w, "Inspect", w.inspect_selected, "Ctrl+I",
                               sp.SP_FileDialogContentsView,
                               "Show the selected switch in the inspector")
        self.about = _action(w, "&About ibviz", w.show_about)
        self.node_actions = [self.fail, self.failback, self.join, self.leave, self.inspect]
        self.themes = QActionGroup(w)
        self.theme_actions: dict[str, QAction] = {}
        for name in ("light", "dark"):
            a = QAction(f"{name.title()} theme", w, checkable=True)
            a.triggered.connect(lambda _c=False, n=name: w.set_theme(n))
            self.themes.addAction(a)
            self.theme_actions[name] = a
        self.search = QLineEdit(w)
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText("Find node: name, GUID or LID (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(300)
        self.search.returnPressed.connect(w.search_nodes)
        leave = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search)
        leave.setContext(Qt.ShortcutContext.WidgetShortcut)
        leave.activated.connect(w.view.setFocus)  # Escape gives the keys back to the canvas
        self._menus(w)
        self._toolbars(w)

    def _menus(self, w: MainWindow) -> None:
        bar = w.menuBar()
        file = bar.addMenu("&File")
        file.addAction(self.open)
        file.addAction(self.connect)
        file.addAction(self.restart_sm)
        self.builtin_menu = file.addMenu("Open &built-in scenario")
        self.builtin_menu.aboutToShow.connect(w.fill_builtin_menu)
        file.addSeparator()
        for a in (self.save, self.export_png, self.export_svg, self.export_pcap):
            file.addAction(a)
        file.addSeparator()
        file.addAction(self.quit)
        edit = bar.addMenu("&Edit")
        edit.addAction(w.controller.undo_action)
        edit.addAction(w.controller.redo_action)
        edit.addSeparator()
        edit.addAction(self.find)
        node = bar.addMenu("&Node")
        for a in self.node_actions:
            node.addAction(a)
        sim = bar.addMenu("&Simulation")
        for a in (self.play, self.step_back, self.step_forward, self.next_failover,
                  self.restart):
            sim.addAction(a)
        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.fit)
        self.view_menu.addSeparator()
        for a in self.theme_actions.values():
            self.view_menu.addAction(a)
        self.view_menu.addSeparator()
        bar.addMenu("&Help").addAction(self.about)

    def _toolbars(self, w: MainWindow) -> None:
        tools = QToolBar("Node actions", w)
        tools.setObjectName("nodeToolbar")
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tools.addAction(self.open)
        tools.addAction(self.restart_sm)
        tools.addSeparator()
        for a in self.node_actions:
            tools.addAction(a)
        tools.addSeparator()
        tools.addAction(w.controller.undo_action)
        tools.addAction(w.controller.redo_action)
        tools.addSeparator()
        tools.addAction(self.fit)
        tools.addWidget(self.search)
        w.addToolBar(Qt.ToolBarArea.TopToolBarArea, tools)
        self.node_toolbar = tools

    def set_playing(self, playing: bool, window: MainWindow) -> None:
        sp = QStyle.StandardPixmap
        self.play.setText("Pause" if playing else "Play")
        self.play.setIcon(window.style().standardIcon(sp.SP_MediaPause if playing
                                                      else sp.SP_MediaPlay))
