"""Small dialogs: errors naming the file and line, group choice, progress, about."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox, QProgressDialog, QWidget

from ibviz import __version__


def error_text(exc: BaseException) -> str:
    """The message a user can act on: TopologyError/ScenarioError messages already name
    the file, line and what was expected; anything else gets its type name."""
    from ibviz.backends.base import BackendError
    from ibviz.topology.errors import TopologyError

    if isinstance(exc, TopologyError | BackendError | ValueError | OSError | KeyError):
        text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


def show_error(parent: QWidget | None, title: str, exc: BaseException) -> None:
    """A critical message box; the app stays usable afterwards."""
    QMessageBox.critical(parent, title, error_text(exc))


def show_message(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def show_warning(parent: QWidget | None, title: str, text: str) -> None:
    """A warning box: something the user asked cannot be done as asked."""
    QMessageBox.warning(parent, title, text)


def choose_group(parent: QWidget | None, title: str, label: str, names: list[str]
                 ) -> str | None:
    """Pick one of ``names`` (None when cancelled or there is nothing to pick)."""
    if not names:
        return None
    name, ok = QInputDialog.getItem(parent, title, label, names, 0, False)
    return name if ok and name else None


def progress_dialog(parent: QWidget, label: str, delay_ms: int) -> QProgressDialog:
    """A window-modal progress dialog with Cancel that appears only for slow work."""
    dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
    dialog.setObjectName("loadProgress")
    dialog.setWindowTitle("ibviz")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(delay_ms)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setValue(0)
    return dialog


def show_about(parent: QWidget | None) -> None:
    QMessageBox.about(parent, "About ibviz",
                      f"<h3>ibviz {__version__}</h3><p>See and teach how an InfiniBand subnet "
                      "keeps multicast traffic flowing when a node fails: MLID reassignment, "
                      "switch primary multicast port remap, and the prior-art LMC takeover "
                      "for comparison.</p><p>Space: play/pause &middot; arrows: step &middot; "
                      "N: next failover event &middot; Ctrl+F: find a node &middot; "
                      "right-click a node: fail it, fail it back, join or leave a group "
                      "&middot; click a link: take it down or up.</p>")
