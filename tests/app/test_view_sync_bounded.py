"""NodeStates stays bounded over thousands of fail/recover entries and still answers
the state at any time it keeps in detail, and the newest state at any later time."""

from __future__ import annotations

from types import SimpleNamespace

from ibviz.app.view_sync import NodeStates
from ibviz.core.history import Window
from ibviz.core.scenario.protocols import LogEntry


def session_with(log: Window, failed: set[int]) -> SimpleNamespace:
    controller = SimpleNamespace(groups={}, outcomes=[])
    return SimpleNamespace(log=log, controller=controller, now_us=1e12,
                           sm=SimpleNamespace(failed=failed))


def test_node_states_keep_a_bounded_history_of_changes():
    log: Window[LogEntry] = Window(500)
    states = NodeStates(kept=64)
    node, other = 0x10, 0x20
    log.append(LogEntry(1.0, "fail", "other fails", other))  # never recovers
    for i in range(3000):
        t = 100.0 + 10.0 * i
        log.append(LogEntry(t, "fail", "node fails", node))
        log.append(LogEntry(t + 5.0, "recover", "node back", node))
        if i % 100 == 0:  # a view reads now and then, as the window does every frame
            states.states(session_with(log, {other}), t)
    last = 100.0 + 10.0 * 2999
    s = session_with(log, {other})
    assert states.states(s, last + 1.0) == {node: "failed", other: "failed"}
    assert states.states(s, last + 6.0) == {other: "failed"}
    assert len(states._changes) <= 2 * 64
    assert states.states(s, last - 10.0 + 1.0) == {node: "failed", other: "failed"}
