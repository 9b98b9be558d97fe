"""Packet inspector: the packets on the wire at the view time, and every header field of
the selected one (LRH/GRH/BTH/DETH/AETH) or, for a management datagram, its MAD fields."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ibviz.core.addressing import format_gid

MAX_LISTED = 500
"""Hops listed at once (a 10k-node fabric can have thousands in flight)."""
HOP_ROLE = Qt.ItemDataRole.UserRole
HEADER_NAMES = {"lrh": "LRH (Local Route Header)", "grh": "GRH (Global Route Header)",
                "bth": "BTH (Base Transport Header)",
                "deth": "DETH (Datagram Extended Transport Header)",
                "aeth": "AETH (ACK Extended Transport Header)"}


def field_text(name: str, value: Any) -> str:
    """A header field as a person reads it: hex and decimal for numbers, GIDs as text."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        if name in ("sgid", "dgid", "mgid", "port_gid"):
            return format_gid(value)
        return f"{value:#x} ({value})" if value > 9 else str(value)
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, bytes):
        return f"{len(value)} bytes"
    return str(value)


class PacketInspector(QWidget):
    """Top: hops in flight (pick one); bottom: the packet's headers, field by field."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: Any = None
        self.flight = QTreeWidget(self)
        self.flight.setObjectName("inFlight")
        self.flight.setHeaderLabels(["Packet", "Flow", "Kind", "From", "To"])
        self.flight.setRootIsDecorated(False)
        self.flight.setUniformRowHeights(True)
        self.flight.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.flight.currentItemChanged.connect(self._hop_chosen)
        self.title = QLabel("Select a packet in flight, or a packet/MAD entry in the event log",
                            self)
        self.title.setWordWrap(True)
        self.fields = QTreeWidget(self)
        self.fields.setObjectName("packetFields")
        self.fields.setHeaderLabels(["Field", "Value"])
        self.fields.setUniformRowHeights(True)
        self.fields.setTextElideMode(Qt.TextElideMode.ElideRight)  # a cut value shows "..."
        self.fields.header().setStretchLastSection(True)
        self.fields.header().setMinimumSectionSize(40)
        self.fields.viewport().installEventFilter(self)  # refit once the dock is shown
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        self.fields.setFont(mono)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.flight)
        box = QWidget(self)
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.addWidget(self.title)
        box_layout.addWidget(self.fields, 1)
        split.addWidget(box)
        split.setSizes([150, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

    def set_session(self, session: Any) -> None:
        self.session = session
        self.flight.clear()
        self.fields.clear()

    # ------------------------------------------------------------- in flight
    def show_in_flight(self, t_us: float) -> None:
        """List the hops on the wire at ``t_us`` (keeps the selected packet's header)."""
        if self.session is None or not self.isVisible():
            return
        hops = self.session.hops
        indices = hops.in_flight(t_us)[:MAX_LISTED] if len(hops) else []
        self.flight.blockSignals(True)
        self.flight.clear()
        labels = self.session.fabric.nodes
        for i in list(indices):
            hop = hops[int(i)]
            src = labels[hop.src.node].label if hop.src.node in labels else hex(hop.src.node)
            dst = labels[hop.dst.node].label if hop.dst.node in labels else hex(hop.dst.node)
            item = QTreeWidgetItem([str(hop.pid), hop.flow, hop.kind, f"{src} [{hop.src.port}]",
                                    f"{dst} [{hop.dst.port}]"])
            item.setData(0, HOP_ROLE, hop.pid)  # the packet: hop indices shift in long runs
            self.flight.addTopLevelItem(item)
        self.flight.blockSignals(False)

    def _hop_chosen(self, item: QTreeWidgetItem | None, _previous: Any) -> None:
        if item is None or self.session is None:
            return
        self.show_packet(int(item.data(0, HOP_ROLE)))

    # --------------------------------------------------------------- headers
    def show_packet(self, pid: int) -> None:
        """Every header field of data packet ``pid`` (nothing once a long session folded
        the packet into its counters)."""
        if pid not in self.session.net.packets:
            self.fields.clear()
            return
        packet = self.session.packet(pid).finalized()
        self.fields.clear()
        for attr, title in HEADER_NAMES.items():
            header = getattr(packet, attr)
            if header is None:
                continue
            top = QTreeWidgetItem([title, ""])
            for f in dataclasses.fields(header):
                top.addChild(QTreeWidgetItem([f.name, field_text(f.name,
                                                                 getattr(header, f.name))]))
            self.fields.addTopLevelItem(top)
            top.setExpanded(True)
        self.fields.addTopLevelItem(QTreeWidgetItem(["payload",
                                                     f"{len(packet.payload)} bytes"]))
        self.fields.addTopLevelItem(QTreeWidgetItem(["wire size",
                                                     f"{packet.wire_size} bytes"]))
        self.title.setText(f"Packet {pid}: {packet.wire_size} bytes on the wire")
        self._fit()

    def show_mad(self, mad: Any, title: str = "MAD") -> None:
        """The fields of one SM or SA management datagram."""
        self.fields.clear()
        top = QTreeWidgetItem([f"{mad.kind} {mad.attribute}", ""])
        for name in ("mgmt_class", "method", "attribute", "modifier", "src", "dst", "time_us",
                     "latency_us", "status", "reason"):
            top.addChild(QTreeWidgetItem([name, field_text(name, getattr(mad, name))]))
        self.fields.addTopLevelItem(top)
        top.setExpanded(True)
        if mad.fields:
            data = QTreeWidgetItem([f"{mad.attribute} fields", ""])
            for name, value in mad.fields.items():
                data.addChild(QTreeWidgetItem([name, field_text(name, value)]))
            self.fields.addTopLevelItem(data)
            data.setExpanded(True)
        self.title.setText(f"{title}: {mad.kind} {mad.attribute} "
                           f"({mad.reason or 'no reason given'})")
        self._fit()

    def _fit(self) -> None:
        """Field names as wide as they need (see :meth:`_fit_names`); every value's full
        text is its tooltip (a narrow dock elides it)."""
        self._fit_names()
        for i in range(self.fields.topLevelItemCount()):
            top = self.fields.topLevelItem(i)
            for item in [top, *(top.child(j) for j in range(top.childCount()))]:
                for col in (0, 1):
                    if item.text(col):
                        item.setToolTip(col, item.text(col))

    def _fit_names(self) -> None:
        """Field names as wide as they need but at most 40% of the width, so the values
        get the rest (again when the width changes: a MAD chosen in the event log is
        shown while this tab is still behind another, ~100 px wide)."""
        self.fields.resizeColumnToContents(0)
        cap = max(80, int(self.fields.viewport().width() * 0.4))
        if self.fields.columnWidth(0) > cap:
            self.fields.setColumnWidth(0, cap)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Resize and watched is self.fields.viewport():
            self._fit_names()
        return super().eventFilter(watched, event)

    def field_values(self) -> dict[str, dict[str, str]]:
        """Header title -> {field: value} as shown (for tests and copying)."""
        out: dict[str, dict[str, str]] = {}
        for i in range(self.fields.topLevelItemCount()):
            top = self.fields.topLevelItem(i)
            out[top.text(0)] = {top.child(j).text(0): top.child(j).text(1)
                                for j in range(top.childCount())}
        return out
