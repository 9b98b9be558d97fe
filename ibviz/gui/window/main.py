"""The main window: the fabric canvas in the centre, dock panels around it, playback and
node actions, live updates from the session. Loading and file dialogs live in
:mod:`ibviz.gui.window.files`; node actions in :mod:`ibviz.gui.window.nodes`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ibviz.app import opening, view_sync
from ibviz.core import actions as act
from ibviz.gui import dialogs
from ibviz.gui.canvas.view import FabricLegend, FabricView
from ibviz.gui.panels.animation_controls import AnimationControls, format_time
from ibviz.gui.panels.event_log import EventLogPanel
from ibviz.gui.panels.groups import GroupsPanel
from ibviz.gui.panels.local_host import LocalHostPanel
from ibviz.gui.panels.metrics import MetricsPanel
from ibviz.gui.panels.narration import NarrationStrip
from ibviz.gui.panels.packet_inspector import PacketInspector
from ibviz.gui.panels.switch_inspector import SwitchInspector
from ibviz.gui.panels.timeline_bar import TimelineBar
from ibviz.gui.theme import SettingsMixin
from ibviz.gui.window import small_screen
from ibviz.gui.window.actions import WindowActions
from ibviz.gui.window.backend import LiveMixin
from ibviz.gui.window.controller import SessionController
from ibviz.gui.window.files import FilesMixin
from ibviz.gui.window.nodes import NodesMixin
from ibviz.gui.window.ops_panels import OpsPanelsMixin
from ibviz.gui.window.simulation_mode import SimulationModeMixin
from ibviz.gui.window.teaching import COMPACT_NARRATION_PT, TeachingMixin

SLOW_REFRESH_MS = 250
"""Plots and the in-flight list refresh at most four times a second while playing."""
COMPACT_BELOW = (1500, 900)
"""A window narrower or shorter than this gets the compact default layout: the canvas
has most of the room, the legend is a tab beside the groups, the docks are slimmer."""


class MainWindow(LiveMixin, FilesMixin, NodesMixin, SimulationModeMixin, TeachingMixin,
                 OpsPanelsMixin, SettingsMixin,
                 QMainWindow):
    """See the module docstring. ``settings`` defaults to the user's QSettings."""

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.setWindowTitle("ibviz")
        self.settings = settings if settings is not None else QSettings()
        self.controller = SessionController(self)
        self.loaded: Any = None
        self.selected_node: int | None = None
        self.selected_group = 0
        self.theme = "light"
        self.view = FabricView(self)
        self.view.setObjectName("fabricView")
        self.setCentralWidget(self.view)
        self._build_docks()
        self.actions_ = WindowActions(self)
        self.controls = AnimationControls(self.controller, [
            self.actions_.restart, self.actions_.step_back, self.actions_.play,
            self.actions_.step_forward, self.actions_.next_failover], self)
        self.addToolBarBreak()
        playback = self.addToolBar("Playback")
        playback.setObjectName("playbackToolbar")
        playback.addWidget(self.controls)
        self._build_simulation_mode()
        self._build_teaching()
        self.timeline = TimelineBar(self.controller, self)  # above the canvas: no toolbar
        column = self.centralWidget().layout()               # row of its own (1280x720)
        assert isinstance(column, QVBoxLayout)
        column.insertWidget(0, self.timeline)
        self._add_dock_toggles()
        self._build_status_bar()
        self.install_ops()  # Changes / What-if docks, Compare snapshots, What-if mode
        self._slow_timer = QTimer(self)
        self._slow_timer.setSingleShot(True)
        self._slow_timer.timeout.connect(self._slow_refresh)
        self._tables_timer = QTimer(self)  # the next frame's turn of the event loop
        self._tables_timer.setSingleShot(True)
        self._tables_timer.timeout.connect(self._refresh_tables)
        self._tables_stale = False
        self.failures = view_sync.NodeStates()
        self._connect()
        self._laid_out = False
        self._restore_settings()
        self._start_simulation_mode()
        self._update_enabled()

    # ----------------------------------------------------------------- layout
    def _dock(self, title: str, name: str, widget: QWidget,
              area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.groups = GroupsPanel(self)
        self.inspector = SwitchInspector(self)
        self.log_panel = EventLogPanel(self)
        self.packets = PacketInspector(self)
        self.metrics = MetricsPanel(self)
        self.narration = NarrationStrip(self)
        self.legend = FabricLegend(self)
        self.docks = {
            "groups": self._dock("Multicast groups", "groupsDock", self.groups, left),
            "legend": self._dock("Legend", "legendDock", self._scrolled(self.legend), left),
            "inspector": self._dock("Switch inspector", "inspectorDock",
                                    self._scrolled(self.inspector), right),  # fits 1280x720
            "packets": self._dock("Packet inspector", "packetDock", self.packets, right),
            "log": self._dock("Event log", "logDock", self.log_panel, bottom),
            "metrics": self._dock("Metrics", "metricsDock", self.metrics, bottom),
            "narration": self._dock("Narration", "narrationDock", self.narration,
                                    Qt.DockWidgetArea.TopDockWidgetArea),
        }
        self.docks["localhost"] = self._dock("Local host (RDMA)", "localHostDock",
                                             QLabel("", self), right)
        self.docks["localhost"].visibilityChanged.connect(self._show_local_host)
        self.tabifyDockWidget(self.docks["inspector"], self.docks["packets"])
        self.tabifyDockWidget(self.docks["packets"], self.docks["localhost"])
        self.docks["localhost"].hide()
        self.docks["inspector"].raise_()
        self.splitDockWidget(self.docks["log"], self.docks["metrics"], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["log"], self.docks["metrics"]], [900, 560],
                         Qt.Orientation.Horizontal)  # room for the log's "What happened"
        self.resizeDocks([self.docks["groups"], self.docks["inspector"]], [400, 420],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["log"]], [260], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["groups"], self.docks["legend"]], [300, 260],
                         Qt.Orientation.Vertical)
        self._build_ops_docks()

    def compact(self) -> bool:
        """The window is small (a laptop or a 1280x720 projector)."""
        return self.width() < COMPACT_BELOW[0] or self.height() < COMPACT_BELOW[1]

    def apply_default_layout(self) -> None:
        """The default dock sizes for the window's size (the user's own saved layout is
        restored instead when there is one). Small windows give the canvas most of the
        room: side docks about a fifth of the width each (the groups a little more, for
        Role and Status), the legend tabbed with the groups, a bottom row of four event
        log rows (:mod:`ibviz.gui.window.small_screen`). An open lesson stays in front
        and wide (``ibviz gui --lesson`` opens it before this first runs)."""
        self._default_sizes()
        if not self.docks["lesson"].isHidden():
            self.bring_lesson_forward()

    def _default_sizes(self) -> None:
        w = self.width()
        side = [self.docks["groups"], self.docks["inspector"]]
        if not self.compact():
            self.resizeDocks(side, [430, 420], Qt.Orientation.Horizontal)  # groups: JoinState too
            self.resizeDocks([self.docks["log"], self.docks["metrics"]], [770, 824],
                             Qt.Orientation.Horizontal)
            return
        if not self.tabifiedDockWidgets(self.docks["legend"]):
            self.tabifyDockWidget(self.docks["groups"], self.docks["legend"])
        self.docks["groups"].raise_()
        self.narration.set_point_size(COMPACT_NARRATION_PT)
        self.resizeDocks(side, [max(230, w * 25 // 100), max(220, w * 18 // 100)],
                         Qt.Orientation.Horizontal)  # groups: names, Role and Status
        self.resizeDocks([self.docks["log"], self.docks["metrics"]], [w * 55 // 100,
                         w * 45 // 100], Qt.Orientation.Horizontal)
        for key in ("metrics", "problems", "log", "hops"):  # their plots and tables scroll: no tall
            self.docks[key].widget().setMinimumHeight(70)  # minimum for the bottom row
        small_screen.lay_out_bottom_row(self)  # five log rows, a readable chart

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        small_screen.fit_title_bars(self)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not self._laid_out:  # once the window has its real size
            self._laid_out = True
            QTimer.singleShot(0, self._first_layout)

    def _first_layout(self) -> None:
        if self.settings.value("windowState") is None or self._canvas_squeezed():
            self.apply_default_layout()
        self.settle_and_fit()
        self.view.setFocus()  # + / - zoom and the arrow keys work before any click

    def _canvas_squeezed(self) -> bool:
        """A small window whose restored layout (saved in a bigger one: docks 400 px
        wide, a tall bottom row) leaves the canvas less than 55% x 36% of the window (the
        default leaves about 40% of a 1280x720 window's height, under five log rows)."""
        if not self.compact():
            return False
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        return (self.view.width() < 0.55 * self.width()
                or self.view.height() < 0.36 * self.height())

    def settle_and_fit(self) -> None:
        """Fit the fabric to the canvas's real size once pending layout has settled."""
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        self.view.fit()
        QTimer.singleShot(0, self._fit_if_auto)

    def _fit_if_auto(self) -> None:
        if self.view._auto_fit:
            self.view.fit()

    def _show_local_host(self, visible: bool) -> None:
        """The local-host panel reads pyverbs when first shown, not at start-up."""
        dock = self.docks["localhost"]
        if visible and not isinstance(dock.widget(), LocalHostPanel):
            dock.setWidget(LocalHostPanel(self))

    def _scrolled(self, widget: QWidget) -> QScrollArea:
        area = QScrollArea(self)
        area.setWidget(widget)
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        return area

    def _add_dock_toggles(self) -> None:
        for dock in self.docks.values():
            self.actions_.view_menu.addAction(dock.toggleViewAction())

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_backend = QLabel("backend: built-in simulation", self)
        self.status_sm = QLabel("SM: -", self)
        self.status_time = QLabel("t = 0", self)
        self.status_flight = QLabel("packets in flight: 0", self)
        self.switch_line = QLabel("", self)  # presentation only (teaching.py)
        self.switch_line.setObjectName("switchLine")
        self.switch_line.hide()
        for label in (self.status_backend, self.switch_line, self.status_sm,
                      self.status_time, self.status_flight):
            label.setContentsMargins(8, 0, 8, 0)
            bar.addPermanentWidget(label)

    def _connect(self) -> None:
        c = self.controller
        c.sessionChanged.connect(self._session_changed)
        c.sessionReset.connect(self._session_reset)
        c.stateChanged.connect(self._state_changed)
        c.timeChanged.connect(self._time_changed)
        c.playingChanged.connect(self._playing_changed)
        c.actionFailed.connect(lambda what, why: dialogs.show_message(
            self, f"Cannot {what}", why))
        c.actionStarted.connect(self._action_started)
        c.actionDone.connect(self._action_done)
        self.groups.groupSelected.connect(self._group_selected)
        self.log_panel.entrySelected.connect(self._log_entry_selected)
        self.view.nodeClicked.connect(self.node_clicked)
        self.view.nodeContextMenuRequested.connect(self.node_context_menu)
        self.view.linkClicked.connect(self.link_clicked)
        self.view.nodeHovered.connect(self._node_hovered)
        self.docks["metrics"].visibilityChanged.connect(lambda _v: self._slow_refresh())
        self.metrics.currentChanged.connect(lambda _i: self._slow_refresh())
        self.docks["packets"].visibilityChanged.connect(lambda _v: self._slow_refresh())
        self._connect_ops()

    # ---------------------------------------------------------------- session
    @property
    def session(self) -> Any:
        return self.controller.session

    def install(self, loaded: Any) -> None:
        """Show a freshly opened session (see :mod:`ibviz.app.opening`)."""
        self.disconnect_backend()
        self.status_backend.setText("backend: built-in simulation")
        self.status_backend.setToolTip("")
        self.actions_.restart_sm.setVisible(False)
        self.loaded = loaded
        self.selected_node = None
        self.view.set_fabric(loaded.session.fabric, loaded.positions,
                             model=getattr(loaded, "canvas", None))
        self.controller.set_session(loaded.session, loaded.backend, loaded.source)
        first = next(iter(loaded.session.controller.groups.values()), None)
        mgid = loaded.group or (first.mgid if first is not None else 0)
        self.groups.select_group(mgid)
        if loaded.time_us:
            self.controller.seek(loaded.time_us)
        name = loaded.session.scenario.name
        if loaded.source.get("spec") == opening.DEMO:
            name += " (free play)"
        self.setWindowTitle(f"{name} - ibviz")
        self.settle_and_fit()

    def _session_changed(self) -> None:
        s = self.session
        self.inspector.failovers = self.controller.capabilities.can(act.Fail)
        for panel in (self.groups, self.inspector, self.packets, self.log_panel):
            panel.set_session(s)
        self.narration.set_session(s)
        self.metrics.set_session(s, self.controller.source)
        self._simulation_session(s)
        self._ops_session_changed()
        self._state_changed()
        self._update_enabled()

    def _session_reset(self) -> None:
        """Undo/redo or a seek back rebuilt the session objects (the same GUIDs): re-read
        them, keep what the user chose and where the canvas looks."""
        self.view.set_fabric(self.session.fabric, self.view.positions(), fit=False)
        switch, group = self.inspector.switch, self.selected_group
        for panel in (self.groups, self.packets, self.log_panel):
            panel.set_session(self.session)
        self.inspector.set_session(self.session)
        if switch is not None:
            self.inspector.show_switch(switch)
        self.narration.set_session(self.session)
        self.metrics.set_session(self.session, self.controller.source)
        self._simulation_session(self.session)
        self.groups.select_group(group)
        self._ops_session_changed(rebuilt=True)
        if self.selected_node in self.session.fabric.nodes:
            self.view.select(self.selected_node)

    def _state_changed(self) -> None:
        s = self.session
        if s is None:
            return
        self._tables_stale = True
        self.log_panel.refresh()
        self.view.set_link_states(set(s.sm.down_links))
        self._apply_highlight()
        if self.controller.playing:  # the narration, groups and inspector agree with the
            self._tables_timer.start(0)  # event log from the next frame (once per frame)
            self._schedule_slow_refresh()
        # paused: the controller announces the time next (every path that changes the
        # state does), and _time_changed refreshes the stale tables once
        self._update_enabled()

    def _time_changed(self, t_us: float) -> None:
        s = self.session
        if s is None:
            return
        self.view.set_node_states(self.failures.states(s, t_us))
        span = self.controller.speed * view_sync.TRAIL_WALL_S
        shown = self._show_packets(t_us)
        drop_xy, drop_times, drops = view_sync.recent_drops(s, self.view.node_xy, t_us,
                                                            span * view_sync.DROP_TRAILS)
        self.view.packets.set_drops(drop_xy, times=drop_times,
                                    lifetime=span * view_sync.DROP_TRAILS)
        if drops:
            last = drops[-1]
            node = s.fabric.nodes.get(last.port.node)
            self.statusBar().showMessage(
                f"packet of {last.flow} dropped at {node.label if node else '?'} port "
                f"{last.port.port}: {last.reason}", 3000)
        self.narration.set_time(t_us)
        self.status_time.setText(f"t = {format_time(t_us)}")
        self.status_flight.setText(f"packets in flight: {shown}")
        self.status_sm.setText(f"SM: {s.sm.state}")
        if not self.controller.playing:
            self._slow_refresh()
        else:
            self._schedule_slow_refresh()

    def _playing_changed(self, playing: bool) -> None:
        self.actions_.set_playing(playing, self)
        if not playing:  # paused: every panel shows exactly this instant
            self._slow_refresh()

    def _schedule_slow_refresh(self) -> None:
        if not self._slow_timer.isActive():
            self._slow_timer.start(SLOW_REFRESH_MS)

    def _slow_refresh(self) -> None:
        """What is too costly for every frame: plots, the in-flight list, pinned labels
        (<= 4 Hz while playing); the tables too, where a state change left them stale."""
        if self.session is None:
            return
        self._refresh_tables()
        self.update_pinned()
        if self.switch_line.isVisible():
            self.update_switch_line()
        if self.metrics.flows.isVisible():  # a hidden plot costs nothing; a shown one
            self.metrics.flows.refresh()     # repaints its axes (4 ms): not every frame
            self.metrics.flows.set_time(self.controller.view_time_us)
        self.packets.show_in_flight(self.controller.view_time_us)
        self.hop_list.refresh()

    def _refresh_tables(self) -> None:
        """The tables a state change made stale (groups, switch inspector, narration),
        and the roles at the view time."""
        if self.session is None:
            return
        if self._tables_stale:
            self._tables_stale = False
            self.groups.refresh(self.controller.view_time_us)
            self.inspector.refresh()
            self._ops_refresh()
            self.narration.refresh(self.session)
            self.narration.set_time(self.controller.view_time_us)
        self.groups.set_time(self.controller.view_time_us)  # roles as the narration says

    def _apply_highlight(self) -> None:
        links, ports = view_sync.group_highlight(self.shown_state(), self.selected_group)
        self.view.set_highlight(links, ports)

    def _group_selected(self, mgid: int) -> None:
        self.selected_group = mgid
        if self.session is not None:
            self._apply_highlight()

    def _log_entry_selected(self, t_us: float, index: int) -> None:
        self.controller.pause()
        self.controller.seek(t_us)
        try:
            entry = self.session.log[index]
        except IndexError:  # a long session's log forgot it meanwhile
            return
        if entry.node is not None and entry.node in self.session.fabric.nodes:
            self.select_node(entry.node)
        if entry.kind == "mad":
            mad = self.session.mad(index)
            if mad is not None:
                self.packets.show_mad(mad, f"log entry {index}")
                self.docks["packets"].raise_()

    def _node_hovered(self, guid: int) -> None:
        self.statusBar().showMessage(self.view.tooltip_for(guid).splitlines()[0], 3000)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.controller.pause()
        self.cancel_loading()
        self.disconnect_backend()
        self.save_settings()
        super().closeEvent(event)
