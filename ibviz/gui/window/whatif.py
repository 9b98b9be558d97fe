"""What-if on a read-only fabric (Node > What-if mode): fail nodes, switches and cables on
a model of the real state, re-routed as its SM would (:func:`ibviz.core.whatif.what_if`,
as ``ibviz whatif`` runs it, in a worker); the What-if panel lists what breaks, the canvas
shows the failed nodes and cables and rings the switches whose trees change. Each failure
can be undone (Edit > Undo, or the panel's button); the fabric itself is never touched."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from ibviz.app.live_changes import change_marks
from ibviz.app.whatif_report import text_lines
from ibviz.app.whatif_view import model_view
from ibviz.core.model import PortRef
from ibviz.core.naming import node_name
from ibviz.core.whatif import Failures, what_if
from ibviz.gui import dialogs
from ibviz.gui.window._parts import WindowParts
from ibviz.gui.worker import BackgroundTask

Failure = tuple[str, Any]
"""``("node", guid)`` or ``("link", PortRef)``."""


class WhatIfMixin(WindowParts):
    """Mixed into the main window (see :class:`~ibviz.gui.window.readonly.OpsMixin`)."""

    whatif_on = False
    _whatif: list[Failure]
    _whatif_task: BackgroundTask | None = None
    _whatif_pending = False
    _whatif_protect: int | None = None

    def install_whatif(self) -> None:
        self._whatif = []
        self.whatif_action = QAction("&What-if mode", self, checkable=True)
        self.whatif_action.setToolTip("On a read-only fabric: fail nodes, switches or cables "
                                       "on a model of the real state (nothing real changes)")
        self.whatif_action.toggled.connect(self.set_whatif)
        node_menu = self.menuBar().actions()[2].menu()  # Node
        assert isinstance(node_menu, QMenu)
        node_menu.insertAction(self.actions_.fail, self.whatif_action)
        node_menu.insertSeparator(self.actions_.fail)
        p = self.whatif_panel
        p.undoRequested.connect(self.whatif_undo)
        p.clearRequested.connect(self.clear_whatif)
        p.routingChanged.connect(lambda _r: self._whatif_run())

    # ----------------------------------------------------------------- state
    def set_whatif(self, on: bool) -> None:
        """What-if mode on or off (off forgets the failures)."""
        if not on and not self.whatif_on and not getattr(self, "_whatif", None):
            return
        self.whatif_on = bool(on) and self.read_only_shown()
        if self.whatif_action.isChecked() != self.whatif_on:
            self.whatif_action.setChecked(self.whatif_on)
        if self.session is not None and hasattr(self.session, "what_if"):
            self.show_intro()
        if not self.whatif_on:
            self.clear_whatif()
        else:
            groups = sorted(self.session.sm.sa.groups.values(), key=lambda g: g.mlid)
            self.whatif_panel.set_groups([(f"MLID {g.mlid:#06x}", g.mgid) for g in groups])
            self.docks["whatif"].show()
            self.docks["whatif"].raise_()
            self.whatif_panel.show_lines([], "What-if is on: fail a node or switch (Node > "
                                         "Fail, right-click) or click a cable.")
        self._update_enabled()

    def whatif_states(self) -> dict[int, str]:
        return {g: "failed" for kind, g in getattr(self, "_whatif", ()) if kind == "node"}

    def update_whatif_enabled(self, read_only: bool) -> None:
        a = self.actions_
        self.whatif_action.setEnabled(read_only)
        if not read_only:
            if self.whatif_on:
                self.whatif_on = False
                self.whatif_action.setChecked(False)
            return
        if not self.whatif_on:
            return
        guid = self.selected_node
        has = self.session is not None and guid is not None and guid in self.session.fabric.nodes
        failed = ("node", guid) in (self._whatif or [])
        a.fail.setEnabled(has and not failed)
        a.failback.setEnabled(has and failed)
        a.fail.setToolTip("What-if: fail the selected node on the model")
        a.failback.setToolTip("What-if: take the selected node's failure back")

    # ---------------------------------------------------------------- actions
    def whatif_fail(self, guid: int) -> None:
        if ("node", guid) not in self._whatif:
            self._whatif.append(("node", guid))
            self._whatif_run()

    def whatif_failback(self, guid: int) -> None:
        if ("node", guid) in self._whatif:
            self._whatif.remove(("node", guid))
            self._whatif_run()

    def whatif_toggle_link(self, end: PortRef) -> None:
        fabric = self.session.fabric
        peer = fabric.peer(end)
        ends = {end, peer} if peer is not None else {end}
        found = next((f for f in self._whatif if f[0] == "link" and f[1] in ends), None)
        if found is not None:
            self._whatif.remove(found)
        else:
            self._whatif.append(("link", end))
        self._whatif_run()

    def whatif_undo(self) -> str | None:
        """Take the last failure back; returns what was undone."""
        if not self._whatif:
            return None
        kind, what = self._whatif.pop()
        self._whatif_run()
        return f"what-if {kind} failure"

    def clear_whatif(self) -> None:
        """Forget every what-if failure (nothing to do when none was made)."""
        if not self._whatif:
            return
        self._whatif.clear()
        self._whatif_show(None)

    # --------------------------------------------------------------- compute
    def _whatif_run(self) -> None:
        """Recompute on a model (in a worker); a change meanwhile recomputes after it."""
        if not self._whatif:
            self._whatif_show(None)
            return
        if self._whatif_task is not None:
            self._whatif_pending = True
            return
        failures = Failures([g for k, g in self._whatif if k == "node"],
                            [r for k, r in self._whatif if k == "link"])
        fabric, mirror = self.session.fabric, self.session.sm
        routing = self.whatif_panel.routing.currentText()
        protect = self.whatif_panel.protected()
        if protect is not None and not failures.nodes:
            protect = None  # a member is taken over from a failed node
        self._whatif_protect = protect
        task = BackgroundTask(lambda _p: what_if(fabric, mirror, failures, routing=routing,
                                                 protect=protect), self)
        task.done.connect(lambda result: self._whatif_done(result))
        task.failed.connect(lambda exc: self._whatif_done(exc))
        self._whatif_task = task
        self.whatif_panel.status.setText("What-if: re-routing on the model...")
        task.start()

    def _whatif_done(self, result: Any) -> None:
        self._whatif_task = None
        if self._whatif_pending:
            self._whatif_pending = False
            self._whatif_run()
            return
        if isinstance(result, BaseException):
            self._whatif.pop()
            dialogs.show_error(self, "What-if failed", result)
            self._whatif_show(None)
            return
        self._whatif_show(result)

    def _whatif_show(self, result: Any) -> None:
        s = self.session
        if s is None or not hasattr(s, "undo_hook"):  # a live session only (see LiveSession)
            return
        s.undo_name = None
        s.undo_hook = None
        if result is None:
            self.whatif_panel.show_lines([], "What-if: nothing failed." if self.whatif_on
                                         else "")
            self.show_marks(None)
            self.set_whatif_model(None)
        else:
            lost = sum(len(g["members_lost"]) for g in result.groups)
            status = (f"What-if ({self.whatif_panel.routing.currentText()} routing): "
                      f"{len(result.groups)} groups change, {lost} members lost, "
                      f"{len(result.unreachable)} LIDs unreachable, "
                      f"{len(result.lids_lost)} LIDs lost with the failed nodes")
            self.whatif_panel.show_lines(text_lines(result, s.fabric, self._whatif_protect),
                                         status)
            xy = self.view.positions()
            marks = change_marks(result.diff, xy, xy)
            for kind, ref in self._whatif:
                peer = s.fabric.peer(ref) if kind == "link" else None
                if peer is not None and ref.node in xy and peer.node in xy:
                    marks.ghost_links.append((xy[ref.node], xy[peer.node]))
            self.show_marks(marks)
            kind, what = self._whatif[-1]
            node = s.fabric.nodes.get(what if kind == "node" else what.node)
            name = node_name(node) if node is not None else "?"
            s.undo_name = f"what-if failure of {name}" + (
                f" port {what.port}" if kind == "link" else "")
            s.undo_hook = self.whatif_undo
            self.set_whatif_model(model_view(result))
        self.controller.refresh()
        self._update_enabled()
