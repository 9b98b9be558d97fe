"""Animation controls: play/pause, step back/forward, jump to the next failover event, a
log-scale speed slider (slow motion to fast) and the simulated time.

The buttons are the main window's QActions (same shortcuts, same enabled state); this
widget adds the slider and the readouts and keeps them in step with the controller.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from ibviz.gui.window.controller import SessionController, slider_to_speed, speed_to_slider

SLIDER_STEPS = 1000


def format_time(t_us: float) -> str:
    """Simulated time for the readout: ``1,234.567 us`` under 10 ms, else ms."""
    if t_us < 10_000:
        return f"{t_us:,.3f} \u00b5s"
    return f"{t_us / 1000:,.3f} ms"


def format_speed(speed: float) -> str:
    """Simulated time per wall second, in words a trainer can say."""
    if speed < 1:
        return f"{speed * 1000:.3g} ns/s"
    if speed < 1000:
        return f"{speed:.3g} \u00b5s/s"
    return f"{speed / 1000:.3g} ms/s"


class AnimationControls(QWidget):
    """Tool buttons for the playback actions plus the speed slider and time readout."""

    def __init__(self, controller: SessionController, actions: list[QAction],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        for action in actions:
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            layout.addWidget(button)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Speed", self))
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("speedSlider")
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setMinimumWidth(160)
        self.slider.setToolTip("Simulated time per wall-clock second (log scale): left is "
                               "slow motion, where packets crawl along the links")
        self.slider.setValue(speed_to_slider(controller.speed, SLIDER_STEPS))
        self.slider.valueChanged.connect(self._slid)
        layout.addWidget(self.slider)
        self.speed_label = QLabel(format_speed(controller.speed), self)
        self.speed_label.setMinimumWidth(70)
        layout.addWidget(self.speed_label)
        layout.addSpacing(12)
        self.time_label = QLabel(format_time(0.0), self)
        self.time_label.setObjectName("simTime")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        mono.setPointSize(max(self.font().pointSize() + 2, 11))
        mono.setBold(True)
        self.time_label.setFont(mono)
        self.time_label.setMinimumWidth(170)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.time_label)
        self.duration_label = QLabel("", self)
        layout.addWidget(self.duration_label)
        controller.timeChanged.connect(self.set_time)
        controller.sessionChanged.connect(self._session_changed)

    def _slid(self, value: int) -> None:
        self.controller.set_speed(slider_to_speed(value, SLIDER_STEPS))
        self.speed_label.setText(format_speed(self.controller.speed))

    def set_speed(self, speed: float) -> None:
        """Move the slider (and the controller's pace) to ``speed`` us per second."""
        self.slider.setValue(speed_to_slider(speed, SLIDER_STEPS))
        self.controller.set_speed(speed)
        self.speed_label.setText(format_speed(self.controller.speed))

    def set_time(self, t_us: float) -> None:
        self.time_label.setText(format_time(t_us))

    def _session_changed(self) -> None:
        self.duration_label.setText(f"of {format_time(self.controller.duration_us)}")
