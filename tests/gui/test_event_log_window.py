"""The event log panel over a bounded session log: forgotten entries leave the table."""

from __future__ import annotations

from ibviz.app.view_sync import with_node_names
from ibviz.core.naming import shorten_names
from ibviz.gui.panels.event_log import LogModel
from ibviz.topology.scenarios import open_session


def test_log_model_follows_a_log_that_forgets_its_oldest_entries(qtbot):
    s = open_session("fig10")
    s.log.size = 8  # a tiny window: most entries are forgotten as the run goes on
    model = LogModel()
    model.set_session(s)
    s.run_until(2500)
    model.catch_up()
    s.run()
    model.catch_up()
    assert s.log.first > 0 and len(s.log) > 8
    assert model.rows == list(range(s.log.first, len(s.log)))
    texts = [model.data(model.index(r, 4)) for r in range(model.rowCount())]
    assert texts == [shorten_names(with_node_names(e.text, s.fabric), s.fabric, e.node)
                     for e in s.log]  # nodes named as on the canvas
    model.refilter()
    assert model.rows == list(range(s.log.first, len(s.log)))
