"""Simulation mode in the main window: packets drawn by kind from
:class:`~ibviz.app.packet_frame.PacketFrames`, the hop-paced visual clock and its controls,
the packet key over the canvas, a click on a packet (watch it, show its headers) and the
list of hops and MADs (a row moves the view to its moment)."""

from __future__ import annotations

import contextlib
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QMenu, QVBoxLayout, QWidget

from ibviz.app import view_sync
from ibviz.app.packet_frame import PacketFrames
from ibviz.gui.canvas.legend import PacketKey
from ibviz.gui.canvas.packet_clicks import PacketClicks
from ibviz.gui.panels.hop_list import HopListPanel
from ibviz.gui.panels.pace_controls import PaceControls
from ibviz.gui.panels.packet_inspector import HOP_ROLE


class SimulationModeMixin:
    """Mixed into :class:`~ibviz.gui.window.main.MainWindow`."""

    frames: PacketFrames | None = None
    docks: dict[str, QDockWidget]
    settings: QSettings

    def _build_simulation_mode(self) -> None:
        """The pace controls (at the end of the top toolbar, where a 1280-pixel screen
        still has room; the playback bar is full), the hop list dock and the packet key."""
        self.pace = PaceControls(self.controller, self)
        self.actions_.node_toolbar.addSeparator()
        self.actions_.node_toolbar.addWidget(self.pace)
        self.hop_list = HopListPanel(self)
        self.docks["hops"] = self._dock("Hops and MADs", "hopsDock", self.hop_list,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.docks["log"], self.docks["hops"])
        self.docks["log"].raise_()
        self.packet_key = PacketKey(self.view, self)
        canvas = QWidget(self)  # the canvas with its packet key beneath
        column = QVBoxLayout(canvas)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.takeCentralWidget()
        column.addWidget(self.view, 1)
        column.addWidget(self.packet_key)
        self.setCentralWidget(canvas)
        key_action = self.actions_.view_menu.addAction("Packet &key")
        key_action.setCheckable(True)
        key_action.setChecked(True)
        key_action.toggled.connect(self.packet_key.setVisible)
        self.pace_action = self._simulation_menu().addAction("Pace by &hops")
        self.pace_action.setCheckable(True)
        self.pace_action.toggled.connect(self.pace.set_hop_pacing)
        self.pace.hops.toggled.connect(self.pace_action.setChecked)
        self.packet_clicks = PacketClicks(self.view, self.view.packets)
        self.packet_clicks.clicked.connect(self.watch_packet)
        self.hop_list.rowSelected.connect(self._hop_row_selected)
        self.packets.flight.currentItemChanged.connect(self._flight_row_chosen)
        self.docks["hops"].visibilityChanged.connect(lambda _v: self.hop_list.refresh())

    def _simulation_menu(self) -> QMenu:
        for action in self.menuBar().actions():
            if action.menu() is not None and action.text().replace("&", "") == "Simulation":
                menu = action.menu()
                menu.addSeparator()
                return menu
        return self.menuBar().addMenu("&Simulation")

    def _start_simulation_mode(self) -> None:
        """After the saved speed is restored: hop pacing on, at the saved seconds per hop
        (``hopWallS``); moving the slider leaves it."""
        try:
            seconds = float(self.settings.value("hopWallS",
                                                self.controller.visual_clock.hop_wall_s))
        except (TypeError, ValueError):
            seconds = self.controller.visual_clock.hop_wall_s
        self.pace.seconds.setValue(seconds)  # clamped to the box's range
        self.pace.set_hop_pacing(True)
        self.controls.slider.valueChanged.connect(self.pace.speed_chosen)

    def _simulation_session(self, session: Any) -> None:
        """A session was shown or rebuilt: follow its hops and MADs."""
        self.frames = PacketFrames(session)
        self.controller.pace_spans = self.frames.pace_spans
        self.controller.visual_clock.watched = None
        self.hop_list.set_session(session, self.frames)

    def _show_packets(self, t_us: float) -> int:
        """Draw every packet on the wire at ``t_us``; returns how many."""
        frames = self.frames
        if frames is None or frames.session is not self.session:
            self._simulation_session(self.session)
            frames = self.frames
        clock = self.controller.visual_clock
        span = 0.0 if clock.enabled else self.controller.speed * view_sync.TRAIL_WALL_S
        frame = frames.at(t_us, self.view.node_xy, span)
        self.view.packets.show_glyphs(frame.xy, frame.glyph, frame.ref, clock.watched)
        return len(frame)

    def watch_packet(self, ref: int) -> None:
        """Watch packet ``ref`` (its hops set the pace, it is ringed) and show its
        headers; a MAD (``-1 - i``) shows its fields."""
        if self.session is None:
            return
        self.controller.visual_clock.watched = ref
        if ref >= 0:
            self.packets.show_packet(ref)
        else:
            mads = self.session.sm.mads.mads
            with contextlib.suppress(IndexError):  # forgotten by a long session
                self.packets.show_mad(mads[-1 - ref], f"MAD {-1 - ref}")
        self.docks["packets"].show()
        self.docks["packets"].raise_()
        self._show_packets(self.controller.view_time_us)

    def _flight_row_chosen(self, item: Any, _previous: Any) -> None:
        """A packet picked in the inspector's in-flight list is watched too."""
        if item is not None and self.session is not None:
            self.controller.visual_clock.watched = int(item.data(0, HOP_ROLE))
            self._show_packets(self.controller.view_time_us)

    def _hop_row_selected(self, t_us: float, ref: int) -> None:
        self.controller.pause()
        self.controller.seek(t_us)
        self.watch_packet(ref)
