"""A Fail click on a protected group's primary in a generated 1,000-HCA fat tree, then
Next failover (N) with the clock paused, reaches the settled state: the node drawn failed,
the groups panel saying the takeover serves the group, the canvas drawing the new tree;
without re-simulating the session from the start. Undo brings the primary back.

Conditions are waited on (qtbot.waitUntil), never times: ``benchmarks/bench_gui_fail.py``
measures how long this takes.
"""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 is not installed")
pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

SPEC = "fat-tree:k=10,n=3"


def spread_members(fabric, count: int) -> list[str]:
    """``count`` CA names, each on a different leaf switch."""
    leaves: dict[int, str] = {}
    for ca in sorted(fabric.cas(), key=lambda n: n.guid):
        link = fabric.node_links(ca.guid)[0]
        leaf = link.b.node if link.a.node == ca.guid else link.a.node
        leaves.setdefault(leaf, ca.name)
    names = list(leaves.values())
    step = len(names) // count
    return [names[i * step] for i in range(count)]


@pytest.fixture
def failing_window(qtbot, settings):
    from ibviz.app.opening import Loaded
    from ibviz.core.scenario import GroupSpec, MemberSpec, Scenario, Session
    from ibviz.core.scenario.model import FailoverSpec
    from ibviz.gui.window.main import MainWindow
    from ibviz.topology import open_fabric

    fabric = open_fabric(SPEC)
    names = spread_members(fabric, 8)
    sc = Scenario("fail-settles", SPEC, groups=[GroupSpec(
        "svc", 0xFF15 << 112 | 0x1234, [MemberSpec(n, "send-only-full") for n in names[2:]])],
        failover=[FailoverSpec("svc", names[0], names[1])], duration_us=5000.0, seed=1)
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.install(Loaded(Session(sc, fabric), {"kind": "scenario", "spec": SPEC,
                                                "mode": None, "seed": None}))
    window.controller.seek(100.0)
    return window


def served_by(window) -> str:
    from ibviz.gui.panels.groups import STATUS_COL

    item = window.groups.tree.topLevelItem(0)
    return item.text(STATUS_COL) if item is not None else ""


def test_one_fail_click_reaches_the_settled_state(qtbot, failing_window):
    from PySide6.QtCore import QPoint

    from ibviz.app.view_sync import group_highlight

    window = failing_window
    session = window.session
    pg = session.controller.groups["svc"]
    names = {g: session.fabric.nodes[g].name for g in (pg.primary, pg.takeover)}
    qtbot.waitUntil(lambda: served_by(window) == f"served by {names[pg.primary]}")
    tree_before = set(window.view._highlight[0])
    fabric = session.fabric  # a re-simulation from the start would build a new one
    assert tree_before, "the group's tree is drawn before the failure"

    menu = window.node_context_menu(pg.primary, window.view.mapToGlobal(QPoint(10, 10)))
    fail = next(a for a in menu.actions() if a.text().replace("&", "") == "Fail")
    assert fail.isEnabled()
    fail.trigger()  # what a click on the menu's Fail does
    menu.close()
    qtbot.waitUntil(lambda: window.view._states.get(pg.primary) == "failed")
    assert window.controller.view_time_us == 100.0, "the failure happens at the view time"

    def settled() -> bool:
        out = session.controller.outcomes[-1]
        return (out.restored_us is not None
                and out.restored_us <= window.controller.view_time_us
                and window.view._states.get(pg.primary) == "failed"
                and served_by(window) == f"served by {names[pg.takeover]}"
                and window.view._highlight[0] == group_highlight(session, pg.mgid)[0])

    for _ in range(3):  # detection, then the restore instant
        if settled():
            break
        before = window.controller.view_time_us
        window.actions_.next_failover.trigger()
        qtbot.waitUntil(lambda t=before: window.controller.view_time_us > t)
    qtbot.waitUntil(settled)
    assert window.view._highlight[0] != tree_before, "the canvas draws the new tree"
    assert window.session.fabric is fabric, \
        "the jumps ran the session forward: no re-simulation from the start"

    window.controller.undo_action.trigger()  # Ctrl+Z: the primary serves again
    qtbot.waitUntil(lambda: window.view._states.get(pg.primary) != "failed"
                    and served_by(window) == f"served by {names[pg.primary]}")
    assert window.controller.view_time_us == 100.0
