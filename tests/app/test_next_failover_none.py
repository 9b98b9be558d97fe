"""Next failover (N) on a plain fabric in free play: no group is protected, so no
failover can come; the search answers at once instead of simulating the rest of the run
(on a 10,648-HCA fat tree that froze the window ~10 s before saying "No failover event").
What N finds there instead are the failures and the SM's re-routes (the trial's trainer
saw "No failover event" after a failure while Step showed the re-route). A session with a
protected group still finds its failure instant."""

from __future__ import annotations

from ibviz.app import clock
from ibviz.app.opening import open_any
from ibviz.core import actions as act


def test_nothing_protected_answers_without_running_ahead():
    s = open_any("fat-tree:k=4,n=3").session
    assert not s.controller.groups
    leaf = next(n.guid for n in s.fabric.nodes.values() if n.name == "L1-sw01")
    s.apply(act.Fail(leaf))
    found = clock.find_next_failover(s, s.now_us, s.duration_us, rewinds=True)
    assert found is not None and found < 10.0, "the re-route, a few microseconds later"
    now = s.now_us
    assert now <= found + 1e-6
    assert clock.find_next_failover(s, found, s.duration_us, rewinds=True) is None
    assert s.now_us == now, "the session was not run ahead to its end"


def test_nothing_protected_goes_to_the_failures_re_route():
    s = open_any("fat-tree:k=4,n=3").session
    leaf = next(n.guid for n in s.fabric.nodes.values() if n.name == "L1-sw01")
    s.run_until(500.0)
    s.apply(act.Fail(leaf))
    found = clock.find_next_failover(s, 500.0, s.duration_us, rewinds=True)
    sweeps = [e for e in s.log if e.kind == "sweep" and e.t_us > 500.0]
    assert found is not None and sweeps and found == sweeps[0].t_us, "the re-route"
    assert any(e.kind == "mad" and "LinearForwardingTable" in e.text and e.t_us <= found
               for e in s.log), "the SM re-programmed the LFTs by then"
    assert s.now_us <= found + 1e-6, "run only as far as the re-route, not to the end"
    assert clock.find_next_failover(s, 0.0, s.duration_us, rewinds=True) == 500.0
    assert clock.find_next_failover(s, found, s.duration_us, rewinds=True) is None
    assert s.now_us < s.duration_us, "nothing more can come: not run to the end"


def test_a_protected_group_is_still_searched():
    s = open_any("fig10").session
    assert s.controller.groups
    assert clock.find_next_failover(s, 0.0, s.duration_us, rewinds=True) == 2000.0


def test_a_later_scripted_action_is_still_searched():
    s = open_any("fig10").session
    s.controller.groups.clear()  # nothing protected now; the script's fail is still ahead
    assert s.script and any(at > 0.0 for at, _ in s.script)
    clock.find_next_failover(s, 0.0, s.duration_us, rewinds=True)
    assert s.now_us > 0.0, "searched by running the session"
