"""The group panel's Status column: what each member is doing (serves the group, stands
by, taking over, failed) in a column of its own, read from the one source of roles
(:func:`ibviz.core.failover.roles.group_roles`), the JoinState column only the IBA
JoinState; and the narration names the node the panel says serves the group."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from conftest import open_window  # noqa: E402
from ibviz.core.failover.roles import SERVES, group_roles  # noqa: E402
from ibviz.core.naming import node_name  # noqa: E402
from ibviz.gui.panels.groups import COLUMNS, join_state_text  # noqa: E402

pytestmark = pytest.mark.gui

JOIN_STATES = {join_state_text(bits) for bits in range(1, 16)} | {"not a member"}


def rows_by_label(window, mgid: int) -> dict[str, tuple[str, str, str]]:
    return {m: (j, r, st) for m, j, r, st in window.groups.member_rows(mgid)}


@pytest.mark.parametrize("spec", ["fig8", "fig10"])
def test_status_has_its_own_column_and_agrees_with_roles_and_narration(qtbot, settings, spec):
    window = open_window(qtbot, settings, spec, size=(1280, 720))
    assert COLUMNS == ("Group / member", "Role", "Status", "JoinState")
    s = window.session
    pg = next(iter(s.controller.groups.values()))
    for phase in ("before", "after"):
        if phase == "after":
            assert window.play_through_failover()
        rows = rows_by_label(window, pg.mgid)
        roles = group_roles(s, pg.name, window.controller.view_time_us)
        for guid, state in roles.items():
            join, role, status = rows[node_name(s.fabric.nodes[guid])]
            assert (role, status) == (state.role, state.status), (phase, guid)
            assert join.removesuffix(" (proxy)") in JOIN_STATES, join
        serving = [m for m, (_j, _r, st) in rows.items() if st == SERVES]
        assert len(serving) == 1
        if phase == "after":
            assert serving[0] == node_name(s.fabric.nodes[pg.takeover])
            assert f"served by {serving[0]}" in window.narration.sentence
            top = window.groups.tree.topLevelItem(0)
            assert top.text(2) == f"served by {s.fabric.nodes[pg.takeover].name}"


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_role_and_status_columns_are_whole_in_the_default_layout(qtbot, settings, size):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QFontMetrics

    window = open_window(qtbot, settings, "fig10", size=size)
    tree = window.groups.tree
    qtbot.waitUntil(lambda: window._laid_out and tree.topLevelItemCount() > 0, timeout=5000)

    def whole() -> bool:
        """Every Role and Status text fits its column, and both columns are on screen."""
        header = tree.header()
        right = header.sectionViewportPosition(2) + header.sectionSize(2)
        if right > tree.viewport().width():
            return False
        items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
        items += [it.child(j) for it in items for j in range(it.childCount())]
        for col in (1, 2):
            for item in items:  # in the item's own font (roles are bold), with the margins
                width = QFontMetrics(item.font(col)).horizontalAdvance(item.text(col))
                if width + 6 > header.sectionSize(col):
                    return False
        return tree.indexAt(QPoint(1, 1)).isValid()

    qtbot.waitUntil(whole, timeout=5000)
    if size[0] >= 1920:  # a wide dock shows JoinState whole too, not "Jo"
        header = tree.header()
        assert header.sectionViewportPosition(3) + header.sectionSize(3) \
            <= tree.viewport().width()
        assert header.sectionSize(3) >= header.sectionSizeHint(3)
    served = tree.topLevelItem(0)
    assert served.text(2).startswith("served by ")
    assert window.view.width() >= 0.55 * window.width()  # the canvas keeps its share
    pg = next(iter(window.session.controller.groups.values()))
    window.select_node(pg.primary)
    window.actions_.fail.trigger()  # at t = 0: nobody serves while the takeover happens
    qtbot.waitUntil(lambda: tree.topLevelItem(0).text(2) == "taking over", timeout=5000)
    assert "served by nobody now" in tree.topLevelItem(0).toolTip(2)
    qtbot.waitUntil(whole, timeout=5000)


@pytest.mark.parametrize("presentation", [False, True])
def test_member_names_are_whole_at_1280x720(qtbot, settings, presentation):
    """The member column shows each node's short name whole (the trial saw "first-nod…",
    "sender (…" at 1280x720 and in presentation); the description is in the tooltip."""
    from PySide6.QtGui import QFontMetrics

    window = open_window(qtbot, settings, "fig10", size=(1280, 720))
    tree = window.groups.tree
    qtbot.waitUntil(lambda: window._laid_out and tree.topLevelItemCount() > 0, timeout=5000)
    if presentation:
        window.set_presentation(True)
    s = window.session
    pg = next(iter(s.controller.groups.values()))
    top = tree.topLevelItem(0)

    def names_whole() -> bool:  # each name in its cell (after the indent), with margins
        return all(QFontMetrics(top.child(j).font(0)).horizontalAdvance(top.child(j).text(0))
                   + 6 <= tree.visualRect(tree.indexFromItem(top.child(j), 0)).width()
                   for j in range(top.childCount()))

    qtbot.waitUntil(names_whole, timeout=5000)
    names = {top.child(j).text(0) for j in range(top.childCount())}
    assert s.fabric.nodes[pg.primary].name in names
    primary = next(top.child(j) for j in range(top.childCount())
                   if top.child(j).text(0) == s.fabric.nodes[pg.primary].name)
    assert s.fabric.nodes[pg.primary].description in primary.toolTip(0)


@pytest.mark.parametrize(("size", "presentation"), [((1920, 1080), False),
                                                    ((1280, 720), False), ((1280, 720), True)])
def test_group_names_are_whole(qtbot, settings, size, presentation):
    """The trial saw "ipoib-broa…" at 1280x720 (the MGID only in the tooltip): a group name
    too wide for its cell wraps onto a second line, its row as tall as the lines, before
    and after a failover (when "served by second-node" widens Status) and in presentation
    (larger type, by a style sheet); Role and Status stay whole beside it (above)."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QFontMetrics

    window = open_window(qtbot, settings, "fig10", size=size)
    tree = window.groups.tree
    qtbot.waitUntil(lambda: window._laid_out and tree.topLevelItemCount() == 2, timeout=5000)
    if presentation:
        window.set_presentation(True)
    flags = Qt.TextFlag.TextWordWrap | Qt.TextFlag.TextWrapAnywhere

    def whole(item) -> bool:  # on one line, or on as many as its cell's height holds
        rect = tree.visualRect(tree.indexFromItem(item, 0))
        metrics = QFontMetrics(item.font(0).resolve(tree.font()))  # the font drawn
        if metrics.horizontalAdvance(item.text(0)) + 6 <= rect.width():
            return True
        lines = metrics.boundingRect(QRect(0, 0, rect.width() - 6, 10_000), flags, item.text(0))
        return lines.height() <= rect.height() and lines.width() <= rect.width() - 6

    def names_whole() -> bool:
        items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
        return "ipoib-broadcast" in [it.text(0) for it in items] and all(map(whole, items))

    qtbot.waitUntil(names_whole, timeout=5000)
    if size[0] >= 1920:  # room enough: one line each, every row as tall as a member's
        items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
        heights = {tree.visualRect(tree.indexFromItem(item, 0)).height() for item in items}
        assert len(heights) == 1
    assert window.play_through_failover()
    qtbot.waitUntil(lambda: tree.topLevelItem(0).text(2).startswith("served by"),
                    timeout=5000)
    qtbot.waitUntil(names_whole, timeout=5000)


def test_after_a_failover_at_1280x720_names_and_status_stay_whole(qtbot, settings):
    """The trial saw "second-n…" and "served by second-nod" (Status running off the dock)
    once fig10's takeover served the group at 1280x720: the member names stay whole and
    Status wraps inside the view instead."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QFontMetrics

    window = open_window(qtbot, settings, "fig10", size=(1280, 720))
    tree = window.groups.tree
    qtbot.waitUntil(lambda: window._laid_out and tree.topLevelItemCount() == 2, timeout=5000)
    assert window.play_through_failover()
    flags = Qt.TextFlag.TextWordWrap | Qt.TextFlag.TextWrapAnywhere

    def fits(item, col) -> bool:  # whole on one line, or wrapped within its cell
        rect = tree.visualRect(tree.indexFromItem(item, col))
        metrics = QFontMetrics(item.font(col).resolve(tree.font()))
        if rect.right() > tree.viewport().width():
            return False
        if metrics.horizontalAdvance(item.text(col)) + 6 <= rect.width():
            return True
        lines = metrics.boundingRect(QRect(0, 0, rect.width() - 6, 10_000), flags,
                                     item.text(col))
        return lines.height() <= rect.height() and lines.width() <= rect.width() - 6

    def whole() -> bool:
        top = tree.topLevelItem(0)
        kids = [top.child(j) for j in range(top.childCount())]
        return top.text(2) == "served by second-node" and fits(top, 2) and all(
            fits(k, 0) and fits(k, 2) for k in kids)

    qtbot.waitUntil(whole, timeout=5000)
