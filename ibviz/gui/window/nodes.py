"""Node and link side of the main window: selection, context menu, Fail / Fail back /
Join / Leave / Inspect (all undoable through the session), link clicks and search."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMenu

from ibviz.core import actions as act
from ibviz.core.model import NodeKind, PortRef
from ibviz.gui import dialogs


class NodesMixin:
    """Mixed into :class:`~ibviz.gui.window.main.MainWindow`."""

    selected_node: int | None

    # -------------------------------------------------------------- selection
    def select_node(self, guid: int | None) -> None:
        self.selected_node = guid
        self.view.select(guid)
        self.update_pinned()
        if guid is not None and self.session is not None:
            node = self.session.fabric.nodes.get(guid)
            if node is not None and node.kind is NodeKind.SWITCH:
                self.inspector.show_switch(guid)
            self.node_details.show_node(guid)
            self.statusBar().showMessage(f"Selected {node.label if node else hex(guid)}", 4000)
        self._update_enabled()

    def node_clicked(self, guid: int) -> None:
        self.select_node(guid)

    def node_context_menu(self, guid: int, where: QPoint) -> QMenu:
        """Select ``guid`` and pop up its action menu at ``where`` (global position)."""
        self.select_node(guid)
        menu = self.node_menu()
        menu.popup(where)
        return menu

    def node_menu(self) -> QMenu:
        """The node's action menu (one QMenu, refilled for each node)."""
        menu = self.findChild(QMenu, "nodeMenu")
        if menu is None:
            menu = QMenu(self)
            menu.setObjectName("nodeMenu")
        menu.clear()
        node = self.session.fabric.nodes.get(self.selected_node) if self.session else None
        if node is not None:
            menu.addSection(node.label)
        for action in self.actions_.node_actions:
            menu.addAction(action)
        return menu

    def _update_enabled(self) -> None:
        s, guid = self.session, self.selected_node
        has = s is not None and guid is not None and guid in s.fabric.nodes
        failed = has and guid in s.sm.failed
        a = self.actions_
        a.fail.setEnabled(has and not failed)
        a.failback.setEnabled(bool(failed))
        is_ca = has and s.fabric.nodes[guid].kind is NodeKind.CA
        groups = bool(s is not None and s.controller.groups)
        a.join.setEnabled(bool(is_ca and groups and not failed))
        a.leave.setEnabled(bool(is_ca and groups and not failed))
        a.inspect.setEnabled(has)
        for action in (a.save, a.export_png, a.export_svg, a.export_pcap, a.play,
                       a.step_back, a.step_forward, a.next_failover, a.restart):
            action.setEnabled(s is not None)
        self._update_live_enabled()

    def _update_live_enabled(self) -> None:
        """On a live backend: no saving or trace export; on a read-only one (or a lab
        that is gone, or busy) no node actions, with a tooltip saying why."""
        a, caps = self.actions_, self.controller.capabilities
        why = self.block_reason() if self.session is not None else None
        busy = self.live_busy()
        tips = {a.fail: ("Fail the selected node", act.Fail),
                a.failback: ("Bring the selected node back", act.FailBack),
                a.join: ("Make the selected node join a multicast group", act.Join),
                a.leave: ("Make the selected node leave a multicast group", act.Leave)}
        for action, (tip, kind) in tips.items():
            if why is not None or busy or not caps.can(kind):
                action.setEnabled(False)
            action.setToolTip(why or (f"Busy: {self.backend_name()} is still working"
                                      if busy else tip))
        no_trace = f"{self.backend_name()} keeps no session file or packet trace"
        for action in (a.save, a.export_pcap):
            if not caps.saves_session:
                action.setEnabled(False)
            action.setToolTip(action.text().replace("&", "") if caps.saves_session
                              else no_trace)

    # --------------------------------------------------------------- actions
    def fail_selected(self) -> None:
        if self.selected_node is not None and self.session is not None:
            self.act(act.Fail(self.selected_node))

    def failback_selected(self) -> None:
        if self.selected_node is not None and self.session is not None:
            self.act(act.FailBack(self.selected_node))

    def _member_groups(self, guid: int) -> list[str]:
        s = self.session
        out = []
        for name, pg in s.controller.groups.items():
            group = s.sm.sa.groups.get(pg.mgid)
            if group is not None and any(p.node == guid for p in group.members):
                out.append(name)
        return out

    def join_selected(self) -> None:
        guid = self.selected_node
        if guid is None or self.session is None:
            return
        names = [n for n in sorted(self.session.controller.groups)
                 if n not in self._member_groups(guid)] or sorted(self.session.controller.groups)
        group = dialogs.choose_group(self, "Join group", f"Group for {self._label(guid)} to "
                                     "join (as a full member):", names)
        if group:
            self.act(act.Join(guid, group))

    def leave_selected(self) -> None:
        guid = self.selected_node
        if guid is None or self.session is None:
            return
        names = self._member_groups(guid)
        if not names:
            dialogs.show_message(self, "Leave group",
                                 f"{self._label(guid)} is not a member of any protected group.")
            return
        group = dialogs.choose_group(self, "Leave group", f"Group for {self._label(guid)} "
                                     "to leave:", names)
        if group:
            self.act(act.Leave(guid, group))

    def inspect_selected(self) -> None:
        guid = self.selected_node
        if guid is None or self.session is None:
            return
        node = self.session.fabric.nodes[guid]
        target = guid if node.kind is NodeKind.SWITCH else self._switch_of(guid)
        if target is not None:
            self.inspector.show_switch(target)
            self.docks["inspector"].show()
            self.docks["inspector"].raise_()
        self.view.center_on(guid)
        self.statusBar().showMessage(self.view.tooltip_for(guid).replace("\n", "; "), 10000)

    def _switch_of(self, guid: int) -> int | None:
        """The switch a CA or router hangs off (its first cabled port's peer)."""
        fabric = self.session.fabric
        for link in fabric.node_links(guid):
            for end in (link.a, link.b):
                if end.node != guid and fabric.nodes[end.node].kind is NodeKind.SWITCH:
                    return end.node
        return None

    def link_clicked(self, a: PortRef, b: PortRef) -> None:
        """A click on a link fails it when up, restores it when down (undoable)."""
        if self.session is None:
            return
        action = self.controller.link_action(a, b)
        if not self.controller.capabilities.can(action):
            self.statusBar().showMessage(self.block_reason() or "Links cannot be taken down "
                                         f"on {self.backend_name()} from ibviz: fail a node",
                                         5000)
            return
        self.act(action)

    def _label(self, guid: int) -> str:
        node: Any = self.session.fabric.nodes.get(guid)
        return node.label if node is not None else f"{guid:#018x}"

    # ---------------------------------------------------------------- search
    def focus_search(self) -> None:
        box = self.actions_.search
        box.setFocus()
        box.selectAll()

    def search_nodes(self) -> list[int]:
        text = self.actions_.search.text().strip()
        if not text or self.session is None:
            return []
        hits = self.view.search(text)
        self.search_hits = hits[:50]  # their labels stay (the first few dozen)
        if hits:
            self.select_node(hits[0])
            self.view.center_on(hits[0])
            self.view.setFocus()  # the keys (N, space, +) act on the window again
            more = f" (first of {len(hits)})" if len(hits) > 1 else ""
            self.statusBar().showMessage(f"Found {self._label(hits[0])}{more}", 5000)
        else:
            self.statusBar().showMessage(f"No node matches {text!r}", 5000)
        return hits

    def view_fit(self) -> None:
        self.view.fit()

    def jump_next_failover(self) -> None:
        if self.controller.jump_to_next_failover():
            return
        controller = getattr(self.session, "controller", None)
        if controller is not None and not controller.groups:  # free play on a plain fabric
            self.statusBar().showMessage("Nothing fails or re-routes after this time (no "
                                         "multicast group is protected, so nothing fails "
                                         "over)", 6000)
        else:
            self.statusBar().showMessage("No failover event after this time", 4000)
