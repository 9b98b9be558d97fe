"""Time travel in the core: seeking back re-simulates to the same state, a user step
drops the user's later steps and (only where they conflict) the script's future, undo and
redo restore both, and a saved session replays the same cut. No Qt."""

from __future__ import annotations

import math

import pytest

from ibviz.app import session_file
from ibviz.core import actions as act
from ibviz.core.scenario.rewind import FAILURE_KINDS, conflicts, free_play
from ibviz.topology.scenarios import load_scenario, open_session, scenario_names


def state(s):
    return (s.now_us, [(e.t_us, e.kind, e.text) for e in s.log], len(s.hops),
            sorted(s.sm.failed), dict(s.controller.serving), s.narration(),
            {sw: dict(t) for sw, t in s.sm.mfts.items()},
            {sw: (i.default_mcast_primary_port, i.default_mcast_not_primary_port)
             for sw, i in s.sm.switch_info.items()},
            {g.mgid: sorted(g.members.items()) for g in s.sm.sa.groups.values()})


@pytest.mark.parametrize("name", [n for n in scenario_names() if n != "fat-tree-1000"])
def test_seeking_back_reaches_the_state_first_reached_there(name):
    played = open_session(name)
    played.seek(played.duration_us)
    played.seek(2345.0)
    direct = open_session(name)
    direct.seek(2345.0)
    assert state(played) == state(direct)
    assert all(e.t_us <= 2345.0 for e in played.log)


def test_a_conflicting_step_drops_the_scripts_future_and_undo_restores_it():
    s = open_session("fig10")
    pg = s.controller.groups["svc"]
    s.seek(500.0)
    s.apply(act.Fail(pg.primary))
    assert s.script_cut_us == 500.0
    s.seek(s.duration_us)
    assert [e.t_us for e in s.log if e.kind in ("fail", "recover")] == [500.0]
    at_500 = [text for t, text in s.narration() if t == 500.0]
    assert at_500[-1] == ("Your Fail first-node replaces the rest of the script (2 steps); "
                          "Undo brings them back.")  # the last said at that instant
    s.seek(200.0)                                  # before the step: the script is whole
    assert "script" not in {e.kind for e in s.log} and s.script_cut_us == 500.0
    s.seek(s.duration_us)                          # and the step is taken again on the way
    assert [e.t_us for e in s.log if e.kind in ("fail", "recover")] == [500.0]
    assert s.undo() == f"Fail {pg.primary:#x}" and s.now_us == 500.0
    assert s.script_cut_us == math.inf
    s.seek(s.duration_us)
    assert [e.t_us for e in s.log if e.kind in ("fail", "recover")] == [2000.0, 6000.0]


def test_a_step_in_the_past_replaces_the_users_later_steps_until_undone():
    s = open_session("fig8")
    pg = s.controller.groups["svc"]
    s.seek(2500.0)                                 # after the script's fail at 2 ms
    s.apply(act.FailBack(pg.primary))              # drops the script's failback at 6 ms
    s.seek(4000.0)
    s.apply(act.Fail(pg.primary))
    assert [t.at_us for t in s.actions] == [2500.0, 4000.0]
    s.seek(3000.0)
    s.apply(act.Fail(pg.takeover))
    assert [t.at_us for t in s.actions] == [2500.0, 3000.0]
    assert s.undo_name == f"Fail {pg.takeover:#x}"
    s.undo()
    assert [t.at_us for t in s.actions] == [2500.0, 4000.0] and s.now_us == 3000.0
    s.redo()
    assert [t.at_us for t in s.actions] == [2500.0, 3000.0]
    s.undo()
    s.undo()
    s.undo()
    assert s.actions == [] and s.script_cut_us == math.inf


def test_a_saved_session_replays_the_same_cut(tmp_path):
    s = open_session("fig10")
    s.seek(700.0)
    s.apply(act.Fail(s.controller.groups["svc"].primary))
    s.seek(3000.0)
    path = tmp_path / "s.ibviz.json"
    session_file.save(path, session_file.SavedSession("scenario", "fig10", time_us=3000.0,
                                                      actions=list(s.actions)))
    again = open_session("fig10")
    session_file.replay(again, session_file.load(path).actions)
    again.run_until(3000.0)
    assert state(again) == state(s) and again.script_cut_us == 700.0


def test_conflicts_and_free_play():
    fail, join = act.Fail(1), act.Join(2, "svc")
    assert conflicts(act.Fail(2), fail) and conflicts(act.LinkDown(3, 1), fail)
    assert not conflicts(join, fail) and conflicts(act.Leave(1, "svc"), fail)
    sc = free_play(load_scenario("fig8"))
    assert sc.timeline == [e for e in load_scenario("fig8").timeline
                           if e.kind not in FAILURE_KINDS] == []


def test_a_session_where_nothing_happens_goes_back_without_re_simulating():
    """A fabric alone (no traffic, no script, no action): its state is the same at any
    time, so Restart on a 10k-node fabric costs nothing instead of a new SM sweep."""
    from ibviz.core import events as ev
    from ibviz.topology import open_fabric
    from ibviz.topology.scenarios import session_for_fabric

    s = session_for_fabric(open_fabric("fat-tree:k=4,n=3"))
    resets = []
    s.events.subscribe(ev.SessionReset, resets.append)
    s.seek(5000.0)
    s.seek(1000.0)
    assert s.now_us == 1000.0 and resets == []
    ca = next(n.guid for n in s.fabric.nodes.values() if n.kind.name == "CA")
    s.apply(act.Fail(ca))
    s.seek(3000.0)
    s.seek(500.0)                                  # before the fail: re-simulated
    assert len(resets) == 1 and not s.sm.failed and s.now_us == 500.0
    s.seek(1000.0)
    assert sorted(s.sm.failed) == [ca]
