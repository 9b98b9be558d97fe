"""Multicast groups panel: every SA group with its members, roles and protection mode.

Selecting a group (or one of its members) emits :attr:`GroupsPanel.groupSelected` with the
group's MGID; the main window then highlights its multicast tree and member ports.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ibviz.core.addressing import format_gid
from ibviz.core.failover.roles import FAILED, SENDS, RoleState, group_roles, role_sort_key
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.naming import node_name
from ibviz.core.sm.groups import McGroup
from ibviz.core.sm.records import JoinState
from ibviz.gui.palette import canvas_theme
from ibviz.gui.panels.group_columns import JOIN_COL, ROLE_COL, STATUS_COL, ColumnFit

COLUMNS = ("Group / member", "Role", "Status", "JoinState")
ROLE_STATES = {"primary": "active", "takeover": "taking_over", "sender": "sender"}
"""Each role is written in the canvas colour of the matching node state."""
MGID_ROLE = Qt.ItemDataRole.UserRole
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 1
MODE_NAMES = {"mlid": "MLID reassignment", "port": "switch primary multicast port remap",
              "lmc": "prior art: LID takeover by LMC", "auto": "automatic"}


def join_state_text(bits: int) -> str:
    """``0x9`` -> ``"Full+SendOnlyFull"`` (IBA names, in bit order)."""
    names = {JoinState.FULL: "Full", JoinState.NON_MEMBER: "NonMember",
             JoinState.SEND_ONLY_NON_MEMBER: "SendOnlyNonMember",
             JoinState.SEND_ONLY_FULL: "SendOnlyFull"}
    parts = [text for bit, text in names.items() if bits & bit]
    return "+".join(parts) if parts else "none"


def protected_name(session: Any, mgid: int) -> str | None:
    """Name of the protected group with this MGID, if the failover controller has one."""
    for name, pg in session.controller.groups.items():
        if pg.mgid == mgid:
            return name
    return None


def group_title(session: Any, group: McGroup) -> str:
    return protected_name(session, group.mgid) or group.name or \
        ("IPoIB broadcast" if group.well_known else f"MLID {group.mlid:#06x}")


class GroupsPanel(QWidget):
    """A tree: one row per multicast group, one child row per member port."""

    groupSelected = Signal(object)
    """MGID (a 128-bit int) of the group the user selected (0: selection cleared)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: Any = None
        self.theme = "light"
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("groupsTree")
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(True)  # a long group name takes a second line, not "ipoib-bro…"
        self._columns = ColumnFit(self.tree)
        header = self.tree.header()
        header.setStretchLastSection(False)  # JoinState takes the rest (by _fit_columns)
        for col in range(len(COLUMNS)):  # sized by _fit_columns
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
        self.tree.setIndentation(10)  # a narrow dock: room for the names
        self.tree.viewport().installEventFilter(self)  # refit when its width changes
        self.tree.installEventFilter(self)  # and measure afresh when its font changes
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.detail = QLabel("", self)
        self.detail.setObjectName("groupDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setContentsMargins(6, 4, 6, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.detail)
        self._selected_mgid = 0
        self.time_us: float | None = None
        """The time whose roles are shown (None: the session's present)."""

    # --------------------------------------------------------------- reading
    def set_session(self, session: Any) -> None:
        self.session = session
        self._columns.forget()
        self._selected_mgid = 0
        self.time_us = None
        self.refresh()

    def refresh(self, time_us: float | None = None) -> None:
        """Re-read every group from the session, keeping the selection; roles as they are
        at ``time_us`` (the view time; default: the last time given, else the present)."""
        if time_us is not None:
            self.time_us = time_us
        self.tree.blockSignals(True)
        self.tree.clear()
        if self.session is not None:
            groups = sorted(self.session.sm.sa.groups.values(),
                            key=lambda g: (protected_name(self.session, g.mgid) is None, g.mlid))
            for group in groups:
                item = self._group_item(group)
                self.tree.addTopLevelItem(item)
                item.setExpanded(protected_name(self.session, group.mgid) is not None)
                if group.mgid == self._selected_mgid:
                    item.setSelected(True)
        self.tree.blockSignals(False)
        self._fit_columns()
        self._show_detail()

    def _fit_columns(self) -> None:
        self._columns.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Resize and watched is self.tree.viewport():
            self._fit_columns()
        elif event.type() == QEvent.Type.FontChange and watched is self.tree:
            self._columns.forget()  # presentation's larger type came or went
            self._fit_columns()
        return super().eventFilter(watched, event)

    def _group_item(self, group: McGroup) -> QTreeWidgetItem:
        session = self.session
        name = protected_name(session, group.mgid)
        protection = ""
        roles: dict[int, RoleState] = {}
        serving: list[int] = []
        who = ""
        if name is not None:
            mode, reason = session.controller.modes[name]
            roles = group_roles(session, name, self._roles_time())
            serving = [g for g, r in roles.items() if r.status == "serves the group"]
            who = self._node_label(serving[0]) if serving else "nobody now (taking over)" \
                if any(r.status == "taking over" for r in roles.values()) else \
                "nobody (group lost)"
            protection = f"{MODE_NAMES.get(mode.value, mode.value)} ({reason}); served by {who}"
        count = len(group.members)
        if serving and serving[0] in session.fabric.nodes:  # the column is narrow: the
            served = f"served by {session.fabric.nodes[serving[0]].name}"  # bare name
        else:  # nobody: what is happening (the full sentence in the tooltip)
            served = "taking over" if who.endswith("(taking over)") else "group lost"
        served = served if name is not None else ""
        item = QTreeWidgetItem([group_title(session, group), f"MLID {group.mlid:#06x}", served,
                                f"{count} member{'' if count == 1 else 's'}"])
        item.setToolTip(STATUS_COL, f"served by {who}" if name is not None else "")
        item.setData(0, MGID_ROLE, f"{group.mgid:x}")
        item.setData(0, DETAIL_ROLE, f"<b>{group_title(session, group)}</b> &nbsp; MGID "
                     f"{format_gid(group.mgid)}, MLID {group.mlid:#06x}"
                     + (f"<br>Protection: {protection}" if protection else ""))
        item.setToolTip(0, f"MGID {format_gid(group.mgid)}")
        bold = QFont(item.font(0))
        bold.setBold(True)
        item.setFont(0, bold)
        for port, membership in sorted(group.members.items()):
            item.addChild(self._member_item(group, port, membership.join_state,
                                            membership.proxy, roles.get(port.node)))
        members = {p.node for p in group.members}
        for state in sorted(roles.values(), key=role_sort_key):
            if state.guid not in members:  # e.g. mode 2's takeover, serving on its port
                item.addChild(self._standby_item(group, state))
        return item

    def set_time(self, t_us: float) -> None:
        """Show the roles at view time ``t_us``; re-reads only when one changed."""
        if self.session is None:
            return
        before = self._roles_key()
        self.time_us = t_us
        if self._roles_key() != before:
            self.refresh()

    def _roles_key(self) -> tuple:
        t = self._roles_time()
        return tuple((name, tuple(sorted((g, r.status) for g, r in
                                         group_roles(self.session, name, t).items())))
                     for name in self.session.controller.groups)

    def _roles_time(self) -> float | None:
        t = self.time_us
        return None if t is None or t >= float(self.session.now_us) else t

    def _standby_item(self, group: McGroup, state: RoleState) -> QTreeWidgetItem:
        child = QTreeWidgetItem([self._short_name(state.guid), state.role, state.status,
                                 "not a member"])
        child.setToolTip(0, self._node_label(state.guid))
        child.setToolTip(JOIN_COL, "failed: the SM dropped its membership"
                         if state.status == FAILED else "not an SA member of the group (in "
                         "mode 2 the switch's primary multicast port reaches it)")
        child.setToolTip(STATUS_COL, state.status)
        child.setData(0, MGID_ROLE, f"{group.mgid:x}")
        child.setForeground(ROLE_COL, QBrush(QColor(self._role_colour(state.role))))
        return child

    def _member_item(self, group: McGroup, port: PortRef, join_state: int, proxy: bool,
                     state: RoleState | None) -> QTreeWidgetItem:
        node = self.session.fabric.nodes.get(port.node)
        kind = node.kind.short if node is not None else "?"
        lid = node.ports[port.port].lid if node is not None and port.port in node.ports else 0
        if node is not None and node.kind is NodeKind.SWITCH:
            lid = node.ports[0].lid
        text = join_state_text(join_state) + (" (proxy)" if proxy else "")
        role = state.role if state is not None else ""
        status = state.status if state is not None else ""
        child = QTreeWidgetItem([self._short_name(port.node), role, status, text])
        child.setToolTip(0, f"{self._node_label(port.node)}: {kind} {port.node:#018x} "
                         f"port {port.port}, LID {lid:#x}")  # the description
        child.setToolTip(STATUS_COL, status)
        child.setToolTip(JOIN_COL, text)
        child.setData(0, MGID_ROLE, f"{group.mgid:x}")
        if role:
            child.setForeground(ROLE_COL, QBrush(QColor(self._role_colour(role))))
            bold = QFont(child.font(ROLE_COL))
            bold.setBold(True)
            child.setFont(ROLE_COL, bold)
        if status and status != SENDS:
            child.setForeground(STATUS_COL, QBrush(QColor(self._role_colour(role))))
        return child

    def set_theme(self, theme: str) -> None:
        self.theme = theme
        self.refresh()

    def _role_colour(self, role: str) -> str:
        fills = canvas_theme(self.theme).state_fill
        return fills.get(ROLE_STATES.get(role, "active"), fills["active"])

    def _short_name(self, guid: int) -> str:
        """The member column's text: the node's short name (``first-node``, ``node017``)."""
        node = self.session.fabric.nodes.get(guid)
        return node_name(node) if node is not None else f"{guid:#018x}"

    def _node_label(self, guid: int) -> str:
        node = self.session.fabric.nodes.get(guid)
        return node.label if node is not None else f"{guid:#018x}"

    # ------------------------------------------------------------- selection
    def _selection_changed(self) -> None:
        items = self.tree.selectedItems()
        mgid = int(items[0].data(0, MGID_ROLE), 16) if items else 0
        self._selected_mgid = mgid
        self._show_detail()
        self.groupSelected.emit(mgid)

    def _show_detail(self) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if int(item.data(0, MGID_ROLE), 16) == self._selected_mgid:
                self.detail.setText(item.data(0, DETAIL_ROLE))
                return
        self.detail.setText("Select a group to see its MGID and protection, and its "
                            "multicast tree on the canvas.")

    def select_group(self, mgid: int) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if int(item.data(0, MGID_ROLE), 16) == mgid:
                self.tree.setCurrentItem(item)
                return

    @property
    def selected_mgid(self) -> int:
        return self._selected_mgid

    def protection_text(self) -> str:
        """The selected group's details as shown (plain text)."""
        return self.detail.text().replace("<br>", "\n").replace("&nbsp;", " ") \
            .replace("<b>", "").replace("</b>", "")

    def member_rows(self, mgid: int) -> list[tuple[str, str, str, str]]:
        """(member, JoinState, role, status) texts of one group as shown (tests, export)."""
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if int(item.data(0, MGID_ROLE), 16) == mgid:
                return [tuple(item.child(j).text(c) for c in (0, JOIN_COL, ROLE_COL,
                                                              STATUS_COL))
                        for j in range(item.childCount())]  # type: ignore[misc]
        return []
