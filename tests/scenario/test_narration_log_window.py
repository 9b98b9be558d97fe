"""The narration of a node failure no protected group narrates ("X failed. No protected
multicast group is served by it ...") stays once the event log has dropped the failure's
entry: on a 10,648-HCA fat tree the re-route after a leaf switch fails logs more MADs
than the log keeps, and the strip went back to "Nothing has failed yet"."""

from __future__ import annotations

import ibviz.core.scenario.session as session_module
from ibviz.app.opening import open_any
from ibviz.core import actions as act


def test_a_failure_stays_narrated_when_the_log_drops_it(monkeypatch):
    monkeypatch.setattr(session_module, "LOG_WINDOW", 20)  # as k=22's ~20,000 MADs do
    s = open_any("fat-tree:k=4,n=3").session
    leaf = next(n for n in s.fabric.nodes.values() if n.name == "L1-sw01")
    s.apply(act.Fail(leaf.guid))
    s.run_until(50.0)  # past the SM's re-route
    assert not any(e.kind == "fail" for e in s.log), "the log dropped the failure"
    lines = s.narration()
    assert lines and lines[-1][0] == 0.0, lines
    assert lines[-1][1].startswith(f"{leaf.label} failed. No protected multicast group")
    s.apply(act.FailBack(leaf.guid))
    s.run_until(100.0)
    assert s.narration()[-1][1].startswith(f"{leaf.label} is back."), s.narration()[-1]
