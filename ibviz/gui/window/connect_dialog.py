"""File > Connect...: choose the built-in simulation, an OpenSM lab (the real OpenSM on
ibsim) or a real fabric (read-only, state files or live polling).

:class:`~ibviz.app.connect.ConnectChoice` is what the user chose (see
:mod:`ibviz.app.connect`, which turns it into a started backend).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ibviz.app.connect import (
    BUILTIN,
    LAB,
    LAB_FABRICS,
    REAL,
    ROUTINGS,
    ConnectChoice,
    make_backend,
)

__all__ = ["BUILTIN", "LAB", "REAL", "ConnectChoice", "ConnectDialog", "make_backend"]


class ConnectDialog(QDialog):
    """The dialog; :meth:`choice` reads what is filled in, :meth:`set_choice` fills it."""

    def __init__(self, parent: QWidget | None = None, mode2_note: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("connectDialog")
        self.setWindowTitle("Connect - ibviz")
        self.builtin = QRadioButton("Built-in simulation (ibviz's own subnet manager)")
        self.lab = QRadioButton("OpenSM lab: the real OpenSM on a simulated fabric (ibsim)")
        self.real = QRadioButton("Real fabric, read-only (state files or live polling)")
        self.builtin.setChecked(True)
        self.fabric = QComboBox()
        self.fabric.setEditable(True)
        self.fabric.addItems(LAB_FABRICS)
        self.fabric.setToolTip("A built-in fabric (fig8, fig10, demo: with a ready failover "
                               "group), a generator spec or a fabric file")
        self.lmc = QSpinBox()
        self.lmc.setRange(0, 7)
        self.routing = QComboBox()
        self.routing.addItems(ROUTINGS)
        browse_fabric = QPushButton("Browse...")
        browse_fabric.clicked.connect(self._browse_fabric)
        row = QHBoxLayout()
        row.addWidget(self.fabric, 1)
        row.addWidget(browse_fabric)
        self.lab_box = QGroupBox("OpenSM lab")
        form = QFormLayout(self.lab_box)
        form.addRow("Fabric:", row)
        form.addRow("LMC:", self.lmc)
        form.addRow("Routing engine:", self.routing)
        note = QLabel("The lab fails nodes over by mode 1 (MLID reassignment) on the real "
                      f"OpenSM. Mode 2 (port remap): {mode2_note}." if mode2_note else "")
        note.setObjectName("mode2Note")
        note.setWordWrap(True)
        form.addRow(note)
        self.directory = QLineEdit()
        self.directory.setPlaceholderText("directory of opensm/ibdiagnet/ibroute state files, "
                                          "or one file (e.g. ibnetdiscover output)")
        browse_dir = QPushButton("Directory...")
        browse_dir.clicked.connect(self._browse_directory)
        browse_file = QPushButton("File...")
        browse_file.setObjectName("browseStateFile")
        browse_file.clicked.connect(self._browse_file)
        drow = QHBoxLayout()
        drow.addWidget(self.directory, 1)
        drow.addWidget(browse_dir)
        drow.addWidget(browse_file)
        self.live = QCheckBox("Live: poll the fabric with infiniband-diags")
        self.interval = QDoubleSpinBox()
        self.interval.setRange(0.5, 3600.0)
        self.interval.setValue(10.0)
        self.interval.setSuffix(" s")
        self.real_box = QGroupBox("Real fabric (read-only)")
        rform = QFormLayout(self.real_box)
        rform.addRow("State files:", drow)
        rform.addRow(self.live)
        rform.addRow("Poll every:", self.interval)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.builtin, self.lab, self.lab_box, self.real, self.real_box,
                       buttons):
            layout.addWidget(widget)
        for radio in (self.builtin, self.lab, self.real):
            radio.toggled.connect(self._update_enabled)
        self.live.toggled.connect(self._update_enabled)
        self._update_enabled()

    def _update_enabled(self) -> None:
        self.lab_box.setEnabled(self.lab.isChecked())
        self.real_box.setEnabled(self.real.isChecked())
        self.directory.setEnabled(not self.live.isChecked())

    def _browse_fabric(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Fabric for the lab")
        if path:
            self.fabric.setCurrentText(path)

    def _browse_directory(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Directory of state files")
        if path:
            self.directory.setText(path)

    def _browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "A state file (ibnetdiscover, OpenSM or "
                                              "ibdiagnet output)")
        if path:
            self.directory.setText(path)

    def choice(self) -> ConnectChoice:
        kind = LAB if self.lab.isChecked() else REAL if self.real.isChecked() else BUILTIN
        return ConnectChoice(kind, self.fabric.currentText().strip() or "fig8",
                             self.lmc.value(), self.routing.currentText(),
                             self.directory.text().strip(), self.live.isChecked(),
                             self.interval.value())

    def set_choice(self, choice: ConnectChoice) -> None:
        {LAB: self.lab, REAL: self.real}.get(choice.kind, self.builtin).setChecked(True)
        self.fabric.setCurrentText(choice.fabric)
        self.lmc.setValue(choice.lmc)
        self.routing.setCurrentText(choice.routing)
        self.directory.setText(choice.directory)
        self.live.setChecked(choice.live)
        self.interval.setValue(choice.interval)

    def validate(self) -> str | None:
        """Why the choice cannot be used, or None."""
        c = self.choice()
        if c.kind == REAL and not c.live and not (c.directory and Path(c.directory).exists()):
            return f"{c.directory or '(no directory)'}: no such directory or file"
        return None

    def accept(self) -> None:
        problem = self.validate()
        if problem is not None:
            from ibviz.gui import dialogs

            dialogs.show_warning(self, "Connect", problem)
            return
        super().accept()
