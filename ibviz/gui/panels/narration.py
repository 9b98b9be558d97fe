"""Narration strip for training: the failover phase reached at the view time, in one plain
sentence, in a font large enough to read from the back of a classroom."""

from __future__ import annotations

import bisect
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from ibviz.core.naming import plural, shorten_names

IDLE = "Press Play (space) to start the scenario, or right-click a node to fail it."
NO_PHASES = "Nothing has failed yet: traffic flows on the normal multicast tree."


def no_phases_text(session: Any) -> str:
    """The sentence once time runs and nothing has happened yet: true of ``session`` (no
    "traffic flows" where it sends none, no "multicast tree" where no group has members)."""
    scenario = getattr(session, "scenario", None)
    flows = bool(getattr(scenario, "flows", None))
    sm = getattr(session, "sm", None)
    groups = getattr(getattr(sm, "sa", None), "groups", None) or {}
    joined = sum(1 for g in groups.values() if g.members)
    if flows:
        return NO_PHASES if joined else \
            "Nothing has failed yet: traffic flows on the normal unicast routes."
    if not joined:
        return "Nothing has failed yet. This session sends no traffic and no multicast " \
               "group has members."
    have = "has" if joined == 1 else "have"
    return (f"Nothing has failed yet. This session sends no traffic; "
            f"{plural(joined, 'multicast group')} {have} members.")


def run_complete(session: Any) -> bool:
    """True once the session has simulated its whole scripted duration (no later phase
    can appear); a live fabric or a session without a duration never is."""
    duration = getattr(session, "duration_us", None)
    now = getattr(session, "now_us", None)
    return duration is not None and now is not None and float(now) >= float(duration)


class NarrationStrip(QWidget):
    """Shows ``session.narration()[k]`` for the last phase at or before the view time."""

    def __init__(self, parent: QWidget | None = None, point_size: int = 17) -> None:
        super().__init__(parent)
        self.setObjectName("narrationStrip")
        self.times: list[float] = []
        self.sentences: list[str] = []
        self.step = QLabel("", self)
        self.step.setObjectName("narrationStep")
        self.text = QLabel(IDLE, self)
        self.text.setObjectName("narrationText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.step.setMinimumWidth(90)
        self.step.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.set_point_size(point_size)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self.step)
        layout.addWidget(self.text, 1)
        self._shown: tuple[int, bool] | None = None
        self.idle = IDLE
        self.no_phases = NO_PHASES
        self.fabric: Any = None
        self.tip = ""
        """The sentence's tooltip when it names no node by a longer description (a
        read-only fabric's: where each fact came from)."""
        self.complete = False
        """Whether the session has simulated its whole run: only then does the counter
        show a total (it would otherwise grow as the run goes on). A session that rewinds
        is re-simulated to the view time, so this depends on the time shown, never on
        how it was reached."""

    def set_session(self, session: Any) -> None:
        self.idle = getattr(session, "idle_text", None) or IDLE  # read-only: no "Play"
        self.refresh(session)
        self._shown = None
        self.set_time(float(session.now_us), force=True)

    def refresh(self, session: Any) -> None:
        """Re-read the narration (it grows as the simulation runs; undo shortens it)."""
        lines = sorted(session.narration(), key=lambda p: p[0])
        self.fabric = session.fabric
        self.no_phases = no_phases_text(session)
        self.times = [float(t) for t, _ in lines]
        self.sentences = [s for _, s in lines]
        self.complete = run_complete(session)
        self._shown = None

    def set_time(self, t_us: float, force: bool = False) -> None:
        k = bisect.bisect_right(self.times, t_us + 1e-9) - 1
        shown = (k, k < 0 and t_us > 0)
        if shown == self._shown and not force:
            return
        self._shown = shown
        if k < 0:
            self.step.setText("")
            self.text.setText(self.no_phases if t_us > 0 else self.idle)
            self.text.setToolTip(self.tip)
        else:
            total = f" of {len(self.sentences)}" if self.complete else ""
            self.step.setText(f"step {k + 1}{total}\n{self.times[k] / 1000:,.3f} ms")
            self._show(self.sentences[k])

    def _show(self, sentence: str) -> None:
        """Nodes named as the canvas names them (``L1-sw001``, not ``MF0;L1-sw001:MQM9790/U1``);
        the sentence with the full descriptions in the tooltip."""
        short = shorten_names(sentence, self.fabric) if self.fabric is not None else sentence
        self.text.setText(short)
        self.text.setToolTip(sentence if short != sentence else self.tip)

    @property
    def sentence(self) -> str:
        return self.text.text()

    def set_point_size(self, point_size: int) -> None:
        """The sentence's font size; the strip always has room for two lines of it (a
        long sentence wraps, and its second line is never cut off)."""
        big = QFont(self.text.font())
        big.setPointSize(point_size)
        self.text.setFont(big)
        small = QFont(big)
        small.setPointSize(max(9, point_size - 6))
        small.setBold(True)
        self.step.setFont(small)
        lines = QFontMetrics(big).lineSpacing()
        self.setMinimumHeight(2 * lines + 16)
        self.setMaximumHeight(3 * lines + 16)
