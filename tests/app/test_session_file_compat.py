"""Session files: typed actions round-trip, and a file saved by ibviz 0.1.0 still opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from ibviz.app import session_file
from ibviz.core import actions as act
from ibviz.core.model import PortRef
from ibviz.topology.scenarios import open_session

OLD = Path(__file__).parent.parent / "data" / "session-0.1.0.ibviz.json"


def test_a_session_saved_by_0_1_0_replays_to_the_same_state():
    """The file was written by ibviz 0.1.0 (join, fail, link down on fig8); the figures
    below are what 0.1.0 itself showed at 2.5 ms after replaying it, except that the user's
    fail at 0.6 ms now drops the script's own fail of that node at 2 ms (0.1.0 logged a
    second "failed" and a sweep there) and says so in one log entry."""
    saved = session_file.load(OLD)
    assert [type(t.action) for t in saved.actions] == [act.Join, act.Fail, act.LinkDown]
    s = open_session(saved.spec)
    session_file.replay(s, saved.actions)
    s.run_until(2500)
    assert sorted(s.sm.failed) == [0x2C90300000000]
    assert s.controller.serving == {"svc": 0x2C90300000010}
    assert sorted(s.sm.down_links) == [(PortRef(0x2C90300000030, 1), PortRef(0x2C90400000001, 1))]
    assert len(s.log) == 32 - 2 + 1 and s.undo_name == "Link down 0x2c90300000030 port 1"
    assert [e.t_us for e in s.log if e.kind == "fail"] == [600.0]
    assert [e.t_us for e in s.log if e.kind == "script"] == [600.0]


def test_typed_actions_round_trip_through_a_session_file(tmp_path):
    actions = [act.Timed(1.0, act.Fail(0xB8CEF603004A607A)),
               act.Timed(2.5, act.Join(7, "svc", "send-only")),
               act.Timed(3.0, act.Remap(9, 2, 1)), act.Timed(4.0, act.LinkUp(9, 3)),
               act.Timed(5.0, act.ForceMode("svc", "port"))]
    path = tmp_path / "s.ibviz.json"
    session_file.save(path, session_file.SavedSession("scenario", "fig8", actions=actions))
    assert session_file.load(path).actions == actions


@pytest.mark.parametrize("record, where", [
    ({"at_us": 1, "kind": "explode", "node": "0x1"}, "actions[0].kind"),
    ({"at_us": 1, "kind": "fail", "node": "zz"}, "actions[0].node"),
    ({"at_us": 1, "kind": "fail"}, "actions[0].node"),
    ({"at_us": "soon", "kind": "fail", "node": "0x1"}, "actions[0].at_us"),
    ({"at_us": 1, "kind": "link_up", "node": "0x1", "port": "one"}, "actions[0].port"),
    ({"at_us": 1, "kind": "join", "node": "0x1", "group": "g", "join_state": "x"},
     "actions[0].join_state"),
])
def test_bad_action_records_name_the_file_and_the_field(tmp_path, record, where):
    import json

    path = tmp_path / "bad.ibviz.json"
    path.write_text(json.dumps({"format": "ibviz-session", "version": 1,
                                "source": {"kind": "scenario", "spec": "fig8"},
                                "actions": [record]}))
    with pytest.raises(session_file.SessionFileError) as err:
        session_file.load(path)
    assert str(err.value).startswith(f"{path}: {where}: ")
