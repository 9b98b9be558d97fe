"""Simulation-mode pacing: pace by hops (every hop of the watched packets lasts a visible
wall time, adjustable here) or by microseconds per second (the speed slider).

Moving the speed slider chooses microsecond pacing; ticking *Hop pace* comes back to
simulation mode, where the idle gaps between packets still pass at the slider's speed.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QHBoxLayout, QWidget

from ibviz.app.visual_clock import HOP_WALL_MAX_S, HOP_WALL_MIN_S
from ibviz.gui.window.controller import SessionController


class PaceControls(QWidget):
    """A *Hop pace* check box and the wall seconds one hop lasts."""

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        clock = controller.visual_clock
        self.hops = QCheckBox("Hop pace", self)
        self.hops.setObjectName("paceHops")
        self.hops.setToolTip("Simulation mode: every hop of a packet in flight (the watched "
                             "one, after a click on it) takes the time set here, and the "
                             "packet glides along its link; idle time between packets "
                             "passes at the speed slider's pace")
        self.hops.setChecked(clock.enabled)
        self.hops.toggled.connect(self.set_hop_pacing)
        self.seconds = QDoubleSpinBox(self)
        self.seconds.setObjectName("hopSeconds")
        self.seconds.setRange(HOP_WALL_MIN_S, HOP_WALL_MAX_S)
        self.seconds.setSingleStep(0.1)
        self.seconds.setDecimals(2)
        self.seconds.setSuffix(" s/hop")
        self.seconds.setValue(clock.hop_wall_s)
        self.seconds.setToolTip("Wall-clock seconds one hop lasts when pacing by hops")
        self.seconds.valueChanged.connect(clock.set_hop_wall)
        self.seconds.setEnabled(clock.enabled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(self.hops)
        layout.addWidget(self.seconds)

    def set_hop_pacing(self, on: bool) -> None:
        """Pace by hops (True) or by the speed slider's microseconds per second."""
        self.controller.visual_clock.enabled = bool(on)
        self.seconds.setEnabled(bool(on))
        if self.hops.isChecked() != bool(on):
            self.hops.setChecked(bool(on))

    def speed_chosen(self, _value: int = 0) -> None:
        """The speed slider moved: pace by microseconds per second."""
        self.set_hop_pacing(False)
