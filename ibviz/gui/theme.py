"""Light and dark application themes (Fusion style with a matching palette), and the
settings the main window keeps with QSettings (theme, speed, geometry, dock layout).

The fabric canvas has its own colours (``ibviz.gui.palette``); this module themes the
widgets around it: docks, tables, the narration strip and the plots' backgrounds.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from ibviz.gui.window.controller import DEFAULT_SPEED

THEMES = ("light", "dark")

_DARK = {
    QPalette.ColorRole.Window: "#2B2B2B", QPalette.ColorRole.WindowText: "#E8E8E8",
    QPalette.ColorRole.Base: "#1E1E1E", QPalette.ColorRole.AlternateBase: "#262626",
    QPalette.ColorRole.ToolTipBase: "#3A3A3A", QPalette.ColorRole.ToolTipText: "#F0F0F0",
    QPalette.ColorRole.Text: "#E8E8E8", QPalette.ColorRole.Button: "#353535",
    QPalette.ColorRole.ButtonText: "#E8E8E8", QPalette.ColorRole.BrightText: "#FF6E6E",
    QPalette.ColorRole.Highlight: "#2F6FAB", QPalette.ColorRole.HighlightedText: "#FFFFFF",
    QPalette.ColorRole.Link: "#56B4E9", QPalette.ColorRole.PlaceholderText: "#8A8A8A",
}

STRIP_STYLE = {
    "light": "#narrationStrip { background: #FFF8DC; border-top: 1px solid #D8CFA8; }"
             "#narrationText { color: #1A1A1A; } #narrationStep { color: #7A5C00; }",
    "dark": "#narrationStrip { background: #33301F; border-top: 1px solid #5A5535; }"
            "#narrationText { color: #F4F0DC; } #narrationStep { color: #E6C65C; }",
}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    disabled = QColor("#7A7A7A")
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def apply_theme(app: QApplication, theme: str) -> str:
    """Apply ``theme`` (``light`` or ``dark``) to the whole application; returns it."""
    theme = theme if theme in THEMES else "light"
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if theme == "dark" else app.style().standardPalette())
    app.setStyleSheet(STRIP_STYLE[theme])
    return theme


FRAME_PX = (8, 36)
"""What a window manager's frame and title bar usually add (width, height), so that a
window that fills the screen is not cut off at the bottom."""


class SettingsMixin:
    """Mixed into :class:`~ibviz.gui.window.main.MainWindow`: theme and QSettings."""

    settings: QSettings
    theme: str

    def set_theme(self, theme: str) -> None:
        app = QApplication.instance()
        self.theme = apply_theme(app, theme) if app is not None else theme
        self.view.set_theme(self.theme)
        self.legend.set_theme(self.theme)
        self.metrics.set_theme(self.theme == "dark")
        self.groups.set_theme(self.theme)
        self.actions_.theme_actions[self.theme].setChecked(True)

    def _restore_settings(self) -> None:
        s = self.settings
        self.set_theme(str(s.value("theme", "light")))
        try:
            speed = float(s.value("speed", DEFAULT_SPEED))
        except (TypeError, ValueError):
            speed = DEFAULT_SPEED
        self.controls.set_speed(speed)
        geometry, state = s.value("geometry"), s.value("windowState")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.fit_to_screen()
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def fit_to_screen(self, width: int = 1600, height: int = 1000) -> None:
        """The default size, shrunk to the screen's free area (a 1280x720 projector gets
        a window that fits, not one cut off at the right and bottom)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:  # leave room for the window manager's frame and title bar
            free = screen.availableGeometry()
            room = (free.width() - FRAME_PX[0], free.height() - FRAME_PX[1])
            width, height = min(width, room[0]), min(height, room[1])
        self.resize(width, height)

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("theme", self.theme)
        s.setValue("speed", self.controller.speed)
        s.setValue("hopWallS", self.controller.visual_clock.hop_wall_s)
        s.setValue("geometry", self.saveGeometry())
        s.setValue("windowState", self.saveState())
        s.sync()
