"""Node details panel: the selected node's description, host name, GUIDs, LIDs, ports
with their peers and link rates, the groups it joined, and the unicast route to it from a
node the user names (the hops on the LFTs: switch, in port, egress port)."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ibviz.app.node_details import NodeDetails, node_details, route
from ibviz.core.resolve import NodeNotFound
from ibviz.gui.panels.groups import join_state_text
from ibviz.gui.panels.tables import cells, fill, text_table

PORT_COLUMNS = ("Port", "Peer", "Rate", "LID", "State", "Port GUID")
GROUP_COLUMNS = ("MGID", "MLID", "Port", "JoinState")
HOP_COLUMNS = ("#", "Switch", "In port", "Egress port")


class NodeDetailsPanel(QWidget):
    """``show_node(guid)`` fills the panel; the route is recomputed on demand."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: Any = None
        self.model: Any = None
        """A what-if :class:`~ibviz.app.whatif_view.ModelView`: routes are walked on it."""
        self.node: int | None = None
        self.details: NodeDetails | None = None
        self.header = QLabel("Select a node to see its details.", self)
        self.header.setObjectName("nodeDetailsHeader")
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ports = text_table(PORT_COLUMNS, "nodePorts", self, stretch=None)
        self.groups = text_table(GROUP_COLUMNS, "nodeGroups", self, stretch=0)
        self.source = QLineEdit(self)
        self.source.setObjectName("routeSource")
        self.source.setPlaceholderText("from: host name, GUID, LID or NODE:PORT")
        self.source.returnPressed.connect(self.show_route)
        go = QPushButton("Route", self)
        go.setObjectName("routeButton")
        go.clicked.connect(self.show_route)
        self.route_note = QLabel("", self)
        self.route_note.setObjectName("routeNote")
        self.route_note.setWordWrap(True)
        self.hops = text_table(HOP_COLUMNS, "routeHops", self, stretch=1)
        route_page = QWidget(self)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.source, 1)
        row.addWidget(go)
        page = QVBoxLayout(route_page)
        page.setContentsMargins(2, 2, 2, 2)
        page.addLayout(row)
        page.addWidget(self.route_note)
        page.addWidget(self.hops, 1)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("nodeDetailsTabs")
        self.tabs.addTab(self.ports, "Ports")
        self.tabs.addTab(self.groups, "Groups")
        self.tabs.addTab(route_page, "Route to it")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        # the header scrolls when the side is short: a selected node's six lines never
        # raise the window's minimum height (at 1280x720 they pushed the status bar off)
        head = QScrollArea(self)
        head.setObjectName("nodeDetailsHeaderArea")
        head.setWidgetResizable(True)
        head.setFrameShape(QFrame.Shape.NoFrame)
        head.setWidget(self.header)
        head.setMinimumHeight(self.fontMetrics().height() * 2)
        layout.addWidget(head)
        layout.addWidget(self.tabs, 1)

    def set_session(self, session: Any) -> None:
        self.session = session
        self.model = None
        self.node = None
        self.details = None
        self.header.setText("Select a node to see its details.")
        for table in (self.ports, self.groups, self.hops):
            fill(table, [])
        self.route_note.setText("")

    def set_model(self, model: Any) -> None:
        """Walk routes on what-if ``model`` (None: on the session's state again)."""
        self.model = model
        if self.source.text().strip():
            self.show_route()

    def show_node(self, guid: int | None) -> bool:
        """Show node ``guid`` (None: nothing); the node selected before it becomes the
        default route source. False when the fabric has no such node."""
        s = self.session
        if guid is None or s is None or guid not in s.fabric.nodes:
            return False
        if self.node is not None and self.node != guid and self.node in s.fabric.nodes:
            self.source.setText(self.details.guid if self.details else "")
        self.node = guid
        self.refresh()
        return True

    def refresh(self) -> None:
        """Re-read the node from the session (its state changed)."""
        s, guid = self.session, self.node
        if s is None or guid is None or guid not in s.fabric.nodes:
            return
        d = self.details = node_details(s.fabric, s.sm, guid)
        title = html.escape(d.description or d.name)
        rows = [("Host", d.host or "-"), ("Kind", d.kind), ("Node GUID", d.guid),
                ("System GUID", d.system_guid), ("LID", d.lid)]
        self.header.setText(f"<b>{title}</b><br>" + "<br>".join(
            f"{k}: <tt>{html.escape(v)}</tt>" for k, v in rows))
        fill(self.ports, [(str(p.num), p.peer or "-", f"{p.width} {p.speed}".strip() or "-",
                           p.lid, p.state, p.guid) for p in d.ports])
        fill(self.groups, [(g.mgid, g.mlid, str(g.port), join_state_text(g.join_state))
                           for g in d.groups])
        self.tabs.setTabText(1, f"Groups ({len(d.groups)})")
        if self.source.text().strip():
            self.show_route()

    def show_route(self) -> bool:
        """Route from the source field to the shown node; False when it breaks off or the
        source names no node (the note says why)."""
        s, guid, text = self.session, self.node, self.source.text().strip()
        if s is None or guid is None or not text:
            return False
        m = self.model if self.model is not None else s
        gone = self.model.gone_text(guid) if self.model is not None else None
        if gone:
            fill(self.hops, [])
            self.route_note.setText(gone)
            return False
        try:
            r = route(m.fabric, m.sm, text, guid)
        except NodeNotFound as exc:
            fill(self.hops, [])
            self.route_note.setText(str(exc))
            return False
        fill(self.hops, [(str(i), h.switch, str(h.in_port),
                          "delivered (port 0)" if h.out_port == 0 else
                          "-" if h.out_port < 0 else str(h.out_port))
                         for i, h in enumerate(r.hops, 1)])
        ok = not r.error
        self.route_note.setText(
            ("What-if model: " if self.model is not None else "") + f"{r.source} -> {r.dest} (LID {r.dlid:#06x}): {len(r.hops)} switches"
            + ("" if ok else f"; broken: {r.error}"))
        return ok

    def hop_rows(self) -> list[list[str]]:
        return cells(self.hops)
