"""Operator panels of the main window: node details, Problems and the MLID tree, in docks
(listed in the View menu), following the session, the selected node and the selected
group. Mixed into :class:`~ibviz.gui.window.main.MainWindow`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDockWidget

from ibviz.app.mlid_tree import mft_links
from ibviz.app.problems import Target
from ibviz.gui.panels.mlid_tree import MlidTreePanel
from ibviz.gui.panels.node_details import NodeDetailsPanel
from ibviz.gui.panels.problems import ProblemsPanel
from ibviz.gui.panels.tables import on_screen
from ibviz.gui.window.shortcuts import WindowUndoWins

TAB_TITLES = {"details": "Node"}


if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow as _Window
else:
    _Window = object


class OpsPanelsMixin(_Window):
    """Builds and wires the three panels; the window calls the ``_ops_*`` hooks."""

    docks: dict[str, Any]
    session: Any
    controller: Any
    actions_: Any
    settings: Any
    view: Any
    groups: Any
    selected_group: int
    selected_node: int | None
    if TYPE_CHECKING:
        def select_node(self, guid: int | None) -> None: ...
        def apply_default_layout(self) -> None: ...
    node_details: NodeDetailsPanel
    inspector: Any
    problems: ProblemsPanel
    mlid_tree: MlidTreePanel

    if TYPE_CHECKING:
        def _apply_highlight(self) -> None: ...

    def _build_ops_docks(self) -> None:
        """Node details and the MLID tree as tabs beside the switch inspector (the groups
        panel stays in view), Problems beside the event log: no dock takes room from the
        canvas."""
        self.node_details = NodeDetailsPanel(self)
        self.problems = ProblemsPanel(self)
        self.mlid_tree = MlidTreePanel(self)
        for key, title, name, panel, beside in (
                ("details", "Node details", "nodeDetailsDock", self.node_details, "inspector"),
                ("mlidtree", "MLID tree", "mlidTreeDock", self.mlid_tree, "details"),
                ("problems", "Problems", "problemsDock", self.problems, "log")):
            # a short tab title, so four tabs fit the side at 1280x720; the View menu
            # entry keeps the whole name
            dock = QDockWidget(TAB_TITLES.get(key, title), self)
            dock.toggleViewAction().setText(title)
            dock.setObjectName(name)
            dock.setWidget(panel)
            self.tabifyDockWidget(self.docks[beside], dock)  # added as a tab: no resize
            self.docks[key] = dock
        for main in ("inspector", "groups", "log"):
            self.docks[main].raise_()
        QTimer.singleShot(0, self._default_dock_sizes)

    def _default_dock_sizes(self) -> None:
        """Tabbing a dock into the side and log areas shrinks them to their minimum
        before the first show: give them their default widths again, once shown, unless
        the user's own layout was restored."""
        if self.settings.value("windowState") is None:
            for main in ("inspector", "log"):  # the first tabs in front, whatever was
                self.docks[main].raise_()      # tabbed or hidden beside them since
            self.apply_default_layout()  # by the window's size (main.py)

    def _connect_ops(self) -> None:
        self.problems.problemChosen.connect(self.go_to_problem)
        self.mlid_tree.groupSelected.connect(self.groups.select_group)
        self.mlid_tree.nodeChosen.connect(self.go_to_node)
        self.mlid_tree.mlidSelected.connect(self._show_mlid_links)
        self.groups.groupSelected.connect(self.mlid_tree.select_group)
        self.docks["problems"].visibilityChanged.connect(self._problems_shown)
        self.docks["mlidtree"].visibilityChanged.connect(self._mlid_tree_shown)
        c = self.controller
        self._undo_wins = WindowUndoWins(c.undo_action, c.redo_action, self)
        self._undo_wins.watch(self.actions_.search, self.node_details.source)

    whatif_model: Any = None
    """The what-if model shown instead of the session's state (see ``set_whatif_model``)."""

    def shown_state(self) -> Any:
        """What the panels and the canvas tree show: the what-if model while what-if has
        failures, else the session (``fabric`` and ``sm`` either way)."""
        return self.whatif_model if self.whatif_model is not None else self.session

    def set_whatif_model(self, model: Any) -> None:
        """Every panel and the canvas tree show what-if ``model`` (None: the session's
        state, the dumps, again)."""
        self.whatif_model = model
        self.mlid_tree.set_model(model)
        self.node_details.set_model(model)
        self.problems.set_model(model)
        self.inspector.set_model(model)
        if self.session is not None:
            self._apply_highlight()

    def _ops_session_changed(self, rebuilt: bool = False) -> None:
        """A new session: every panel forgets the old one; a shown Problems panel checks
        the new one at once. ``rebuilt``: the same fabric re-simulated (a seek back, an
        action that dropped the script's future, undo): the report stays, said stale."""
        self.whatif_model = None
        self.node_details.set_session(self.session)
        if rebuilt and self.problems.report is not None:
            self.problems.session = self.session
            self.problems.mark_stale()
        else:
            self.problems.set_session(self.session, self.controller.backend)
        self.mlid_tree.set_session(self.session)
        self.mlid_tree.select_group(self.selected_group)
        self.node_details.show_node(self.selected_node)
        if not rebuilt:
            self._problems_shown(on_screen(self.problems))  # not behind the log's tab

    def _ops_refresh(self) -> None:
        """The state changed (tables are stale): re-read the node and the tree; the
        Problems report says it is older than the state."""
        self.node_details.refresh()
        self.mlid_tree.refresh_when_shown()  # a big group's reach walk costs: only shown
        self.problems.mark_stale()

    def _mlid_tree_shown(self, visible: bool) -> None:
        if visible:
            self.mlid_tree.flush()

    def _problems_shown(self, visible: bool) -> None:
        if visible and self.session is not None and self.problems.report is None:
            self.problems.run()

    def go_to_node(self, guid: int) -> None:
        """Select node ``guid`` and centre the canvas on it."""
        if self.session is not None and guid in self.session.fabric.nodes:
            self.select_node(guid)
            self.view.center_on(guid)

    def _show_mlid_links(self, mlid: int) -> None:
        """Draw the MFT entries of an MLID no group owns; no group stays selected in the
        groups panel (it would say another MLID)."""
        self.groups.tree.clearSelection()  # the groups panel says none, the canvas clears
        if self.session is not None:
            s = self.shown_state()
            self.view.set_highlight(mft_links(s.fabric, s.sm, mlid), ())

    def go_to_problem(self, target: Target) -> None:
        """Select the problem's group (its tree is highlighted) and node (centred); an
        MLID with no group has its MFT entries highlighted."""
        if target.mgid is not None:
            self.groups.select_group(target.mgid)
            self.mlid_tree.select_group(target.mgid)
        elif target.mlid is not None and self.session is not None:
            self.mlid_tree.select_mlid(target.mlid)  # its entries in the MLID tree panel
            self._show_mlid_links(target.mlid)
        if target.node is not None:
            self.go_to_node(target.node)
