"""The narration and the event log name nodes as the canvas does (``node_name``: a
director's ``ib-switch-sequoia``, fig10's ``first-node``), not by their full
NodeDescription (``MF0;ib-switch-sequoia:MQM9700/U1``, ``first-node (primary)``), which
the tooltips keep. The cold trial's operator saw ``MF0;L1-sw001:MQM9790/U1`` in the strip
and the log where the canvas said ``L1-sw001``."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from conftest import corpus_file, open_window  # noqa: E402
from ibviz.core.naming import node_name, shorten_names  # noqa: E402

pytestmark = pytest.mark.gui


def log_rows(window, node: int) -> list[tuple[str, str, str, str]]:
    """(Node, its tooltip, What happened, its tooltip) of the log rows about ``node``."""
    from PySide6.QtCore import Qt

    model, tip = window.log_panel.model, Qt.ItemDataRole.ToolTipRole
    return [(model.index(r, 2).data(), model.index(r, 2).data(tip), model.index(r, 4).data(),
             model.index(r, 4).data(tip))
            for r in range(model.rowCount()) if model.entry(r).node == node]


def fail_and_wait(qtbot, window, guid: int) -> None:
    window.select_node(guid)
    window.actions_.fail.trigger()
    qtbot.waitUntil(lambda: any(e.kind == "fail" and e.node == guid
                                for e in window.session.log), timeout=10000)
    window.log_panel.refresh()


def test_a_directors_switch_is_named_as_on_the_canvas(qtbot, settings):
    window = open_window(qtbot, settings, str(corpus_file(
        "garyli-ndr-quantum2.ibdiagnet2.ibnetdiscover")), size=(1280, 720))
    fabric = window.session.fabric
    guid, node = next((g, n) for g, n in fabric.nodes.items()
                      if n.description.startswith("MF0;ib-switch-sequoia"))
    assert node_name(node) == "ib-switch-sequoia"
    fail_and_wait(qtbot, window, guid)
    qtbot.waitUntil(lambda: "ib-switch-sequoia failed" in window.narration.sentence,
                    timeout=10000)
    assert "MF0;" not in window.narration.sentence
    assert node.description in window.narration.text.toolTip()  # the full sentence
    rows = log_rows(window, guid)
    assert rows and rows[0][:3] == ("ib-switch-sequoia", node.description,
                                    "ib-switch-sequoia failed")
    assert rows[0][3] == f"{node.description} failed"
    window.log_panel.set_filters(node="sequoia")  # the filter finds both ways
    assert window.log_panel.model.rowCount() >= 1
    window.log_panel.set_filters(node="MQM9700")
    assert window.log_panel.model.rowCount() >= 1
    assert guid in window.view._model.guids and guid in [  # the narration pins its label
        window.view._model.guids[i] for i in window.view._model.pinned]


def test_fig10s_log_and_narration_say_first_node(qtbot, settings):
    window = open_window(qtbot, settings, "demo", size=(1280, 720))
    s = window.session
    pg = next(iter(s.controller.groups.values()))
    primary = s.fabric.nodes[pg.primary]
    assert primary.label == "first-node (primary)"
    fail_and_wait(qtbot, window, pg.primary)
    qtbot.waitUntil(lambda: window.narration.sentence.startswith("Node first-node failed"),
                    timeout=10000)
    rows = log_rows(window, pg.primary)
    assert rows[0][:3] == ("first-node", "first-node (primary)", "first-node failed")


def test_shorten_names_leaves_shared_descriptions_and_other_words_alone():
    from ibviz.topology import open_fabric

    fabric = open_fabric(str(corpus_file("garyli-ndr-quantum2.ibdiagnet2.ibnetdiscover")))
    shared = next(n for n in fabric.nodes.values()
                  if n.description == "Quantum-2 Mellanox Technologies")
    text = f"link {shared.description}[3] - MF0;ib-switch-sequoia:MQM9700/U1[5] down"
    assert shorten_names(text, fabric) == \
        f"link {shared.description}[3] - ib-switch-sequoia[5] down"  # which one? unsaid
    assert shorten_names(text, fabric, shared.guid) == \
        f"link {node_name(shared)}[3] - ib-switch-sequoia[5] down"  # the entry's own node
    fig10 = open_fabric("fig10")
    assert shorten_names("svc: failure of first-node (primary) detected", fig10) == \
        "svc: failure of first-node detected"
    assert shorten_names("first-node (primary)s", fig10) == "first-node (primary)s"
