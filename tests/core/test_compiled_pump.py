"""The compiled hop loop is built wherever ``pip install`` can compile it, and it takes
the same steps as the Python loop on awkward input (the fingerprint tests compare whole
sessions; these look at single cases the built-in scenarios rarely reach)."""

from __future__ import annotations

import os
import shutil
import sysconfig
from pathlib import Path

import pytest

from ibviz.core.sim import pump_loop
from tests.core import sim_fingerprint as fp


def test_the_compiled_loop_was_built_where_a_compiler_is_present() -> None:
    """``Extension(optional=True)`` lets pip install ibviz without a compiler; where
    one and the Python headers are present, a silent build failure would leave every
    user on the slower loop: this fails instead."""
    if os.environ.get("IBVIZ_PURE_PYTHON_PUMP", "") not in ("", "0"):
        pytest.skip("IBVIZ_PURE_PYTHON_PUMP is set: the Python loop was asked for")
    compiler = shutil.which("cc") or shutil.which("gcc")
    headers = Path(sysconfig.get_paths()["include"], "Python.h")
    if compiler is None or not headers.is_file():
        pytest.skip(f"no C compiler or no Python headers here ({compiler}, {headers})")
    assert pump_loop.compiled_run_batch is not None, (
        "ibviz/core/sim/_cpump.c was not built: reinstall with `pip install -e .` and "
        "read the compiler's error")
    assert pump_loop.run_batch is pump_loop.compiled_run_batch


def test_the_environment_can_ask_for_the_python_loop() -> None:
    import subprocess
    import sys

    code = "from ibviz.core.sim import pump_loop as p; print(p.run_batch is p.run_batch_py)"
    env = {**os.environ, "IBVIZ_PURE_PYTHON_PUMP": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "True"


@pytest.mark.skipif(pump_loop.compiled_run_batch is None,
                    reason="the compiled hop loop was not built")
def test_both_loops_agree_on_a_busy_fabric_with_failures(monkeypatch) -> None:
    """With a switch latency the pinned cases do not use (other roundings of every hop
    time), both loops give the same session."""
    latency = 0.23
    digests = []
    for loop in (pump_loop.compiled_run_batch, pump_loop.run_batch_py):
        monkeypatch.setattr(pump_loop, "run_batch", loop)
        s = fp.busy_session(record=True)
        s.net.switch_latency_us = latency
        digests.append(fp.fingerprint(s, stops=3))
    assert digests[0] == digests[1]


@pytest.mark.parametrize("loop", ["compiled", "python"])
def test_an_error_in_a_receive_handler_reaches_the_caller(monkeypatch, loop) -> None:
    """A transport hook that raises stops the run with its own exception (the compiled
    loop releases what it holds and hands the error on), and the session can go on."""
    run = pump_loop.compiled_run_batch if loop == "compiled" else pump_loop.run_batch_py
    if run is None:
        pytest.skip("the compiled hop loop was not built")
    monkeypatch.setattr(pump_loop, "run_batch", run)
    s = fp.busy_session(record=True)
    calls = []

    def refuse(pid, packet, at):
        calls.append(pid)
        if len(calls) == 3:
            raise ValueError("hook failed")
        return None

    for flow in list(s.net.handlers) or [f.spec.name for f in s.flows]:
        s.net.handlers[flow] = refuse
    with pytest.raises(ValueError, match="hook failed"):
        s.run()
    assert len(calls) == 3
    s.net.handlers.clear()
    s.run()  # carries on from where it stopped
    assert s.net.totals().delivered > 0


@pytest.mark.skipif(pump_loop.compiled_arrivals is None,
                    reason="the compiled hop loop was not built")
def test_compiled_arrivals_pop_in_the_order_of_the_heapq_list() -> None:
    """Times with many ties, pushes and pops interleaved: the C heap of records gives
    the same order as heapq on (time, sequence, ...) tuples, ties in push order."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    ops = st.lists(st.one_of(st.sampled_from([0.0, 0.5, 1.0, 1.25, 3.0, 1e-9]),
                             st.floats(0, 10, allow_nan=False), st.none()),
                   max_size=300)

    @settings(max_examples=200, deadline=None)
    @given(ops)
    def check(script):
        fast, slow = pump_loop.compiled_arrivals(), pump_loop.HeapArrivals()
        for i, op in enumerate(script):
            if op is None:
                if len(slow):
                    assert fast.pop() == slow.pop()
                continue
            for q in (fast, slow):
                q.push(op, i, ("packet", i), (7, i % 5), i % 3)
            assert len(fast) == len(slow) and fast.first() == slow.first()
        while len(slow):
            assert fast.pop() == slow.pop()
        assert len(fast) == 0 and fast.first() == float("inf")

    check()


@pytest.mark.skipif(pump_loop.compiled_run_engine is None,
                    reason="the compiled hop loop was not built")
def test_the_compiled_engine_loop_runs_events_as_engine_run_does() -> None:
    """Events that schedule others (ties included), cancellations, a run limit and an
    action that raises: the compiled loop (``Engine.fast``) calls the same actions in the
    same order and leaves the clock, the limit and the event count as ``Engine.run``."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from ibviz.core.sim.engine import Engine

    script = st.lists(st.tuples(st.sampled_from([0.0, 1.0, 1.0, 2.5, 4.0]),
                                st.integers(0, 2), st.sampled_from(["go", "spawn",
                                                                    "cancel", "raise"])),
                      min_size=1, max_size=40)

    def play(events, until, compiled):
        engine, calls = Engine(), []
        if compiled:  # a function no event is bound to: every event is a plain call
            engine.fast = (pump_loop.compiled_run_engine, Engine.peek, object())

        def act(i, what):
            calls.append((engine.now, i, engine.limit))
            if what == "spawn":
                engine.after(1.0, act, priority=1, args=(i + 100, "go"))
                engine.push(engine.now, act, (i + 200, "go"))
            elif what == "raise":
                raise RuntimeError(f"event {i}")

        handles = [engine.at(t, act, priority=p, args=(i, what))
                   for i, (t, p, what) in enumerate(events)]
        for h, (_, _, what) in zip(handles, events, strict=True):
            if what == "cancel":
                engine.cancel(h)
        errors = []
        for _ in range(len(events) + 2):  # on after each error, as the GUI does
            try:
                engine.run(until)
                break
            except RuntimeError as exc:
                errors.append(str(exc))
        return (calls, errors, engine.now, engine.limit, engine.events_run, len(engine),
                len(engine._cancelled))

    @settings(max_examples=150, deadline=None)
    @given(script, st.sampled_from([None, 0.0, 1.0, 3.0]))
    def check(events, until):
        assert play(events, until, True) == play(events, until, False)

    check()


def test_a_simulator_on_the_compiled_loop_runs_its_batches_in_the_engine_loop() -> None:
    """With the compiled hop loop the engine's loop runs the simulator's batches (and
    hands them back when the simulator closes); with the Python loop it does not."""
    s = fp.busy_session(record=True)
    if pump_loop.compiled_run_engine is None or \
            s.net._run_batch is not pump_loop.compiled_run_batch:
        assert s.engine.fast is None
        return
    assert s.engine.fast == (pump_loop.compiled_run_engine, type(s.net)._pump, s.net)
    s.net.close()
    assert s.engine.fast is None


@pytest.mark.skipif(pump_loop.compiled_run_engine is None,
                    reason="the compiled hop loop was not built")
def test_the_compiled_receive_check_answers_as_receive_checks_does() -> None:
    """Packets of every transport, to MLIDs attached or not (QPs, DestQP 0xFFFFFF with
    and without a GRH) and to unicast LIDs (the port's own or not, at a node that lists
    its valid QPs or not), at ports of members and of others: what the loop answers
    itself is what ``ReceiveChecks.check`` says."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from ibviz.core.sim import _cpump
    from ibviz.core.sim.packet import DataPacket

    s = fp.busy_session(record=False)
    checks = s.net.receive
    checks.attach_all_groups()
    mlids = sorted(checks.attached)
    mlids = [m for m in mlids if checks.attached[m]] + [m for m in mlids if not checks.attached[m]]
    member = next(iter(checks.attached[mlids[0]]))
    checks.attach(mlids[0], member, 0x49)
    checks.accept_multicast.add(member)
    ports = sorted({p for a in checks.attached.values() for p in a} |
                   {s.port_of(n.guid) for n in list(s.fabric.cas())[:6]})
    lids = [s.lid_of(p) for p in ports[:4]] + [0xFFFF, 0xBFFF, 0]
    checks.add_qp(ports[0].node, 0x48)  # a node that lists its valid QPs
    s.fabric.port(ports[1]).lmc = 2  # a port with four LIDs
    attached = [(m, p) for m, a in checks.attached.items() for p in a]
    own = [(s.lid_of(p) + k, p) for p in ports for k in (0, 1, 3, 4)]  # in/out of LMC
    places = st.one_of(st.sampled_from(attached), st.sampled_from(own),
                       st.tuples(st.sampled_from(mlids + lids + [0xC999]),
                                 st.sampled_from(ports)))

    @settings(max_examples=400, deadline=None)
    @given(places, st.sampled_from([lids[0], mlids[0]]),
           st.sampled_from([0xFFFFFF, 0x48, 0x49, 0x50, 1, 0]), st.booleans(),
           st.sampled_from(["UD", "RC", "UC", "RD", "raw"]))
    def check(place, slid, qp, grh, transport):
        dlid, at = place
        packet = DataPacket("f0", dlid, slid, qp, has_grh=grh, transport=transport)
        assert _cpump.receive_check(checks.check, checks, packet, at) == \
            checks.check(packet, at)

    check()
    # what it answers itself is tested: a check that would say otherwise is not called
    packet = DataPacket("f0", mlids[0], lids[0], 0xFFFFFF, has_grh=True)
    outsider = next(p for p in ports if p not in checks.attached[mlids[0]])
    assert _cpump.receive_check(None, checks, packet, outsider) == \
        "MLID not attached to the port"
    assert _cpump.receive_check(None, checks, packet, member) is None
    plain = next(p for p in ports if p.node != ports[0].node)
    mine = DataPacket("f0", s.lid_of(plain), lids[0], 0x48)
    assert _cpump.receive_check(None, checks, mine, plain) is None
    # at a node that lists its valid QPs: a listed QP, QP 1, and any QP of a raw packet
    for qp, transport in ((0x48, "UD"), (1, "UD"), (0x77, "raw")):
        listed = DataPacket("f0", s.lid_of(ports[0]), lids[0], qp, transport=transport)
        assert _cpump.receive_check(None, checks, listed, ports[0]) is None


@pytest.mark.skipif(pump_loop.compiled_run_engine is None,
                    reason="the compiled hop loop was not built")
def test_the_compiled_engine_heap_orders_entries_as_heapq_does() -> None:
    """The compiled engine loop pushes and pops the engine's heap itself: for entries
    with tied times (0.0 and -0.0 among them), int times, NaN, tied priorities, repeated
    sequence numbers and ints past 64 bits, every pop and the list left are heapq's."""
    import heapq
    import math

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from ibviz.core.sim import _cpump

    times = st.sampled_from([0.0, -0.0, 1.5, 1.5, 2.0, 3, math.nan, 1e300, -math.inf])
    ints = st.sampled_from([0, 1, 2, -1, 2**70, -(2**70)])
    entries = st.tuples(times, ints, ints, st.integers(0, 3), st.just(()))
    ops = st.lists(st.one_of(entries, st.just("pop")), max_size=60)

    @settings(max_examples=300, deadline=None)
    @given(ops)
    def same(ops):
        mine: list = []
        theirs: list = []
        for op in ops:
            if op == "pop":
                if theirs:  # the same entry object (NaN compares unequal to itself)
                    assert _cpump.heappop(mine) is heapq.heappop(theirs)
            else:
                _cpump.heappush(mine, op)
                heapq.heappush(theirs, op)
            assert [repr(e) for e in mine] == [repr(e) for e in theirs]

    same()


@pytest.mark.skipif(pump_loop.compiled_fans is None, reason="the compiled hop loop was not built")
def test_the_compiled_loop_keeps_multicast_decisions_by_port_and_forgets_them() -> None:
    """The compiled loop's multicast decisions (by arrival port object and DLID) are the
    fans the Python loop would make from the same tables, and they are forgotten with
    the simulator's other caches when a sweep changes the tables."""
    from ibviz.core import events as ev
    from ibviz.core.sim import _cpump

    s = fp.busy_session(record=False)
    s.run_until(60.0)
    fans = s.net._fans
    assert isinstance(fans, _cpump.FanCache) and len(fans) > 0
    checked = 0
    ends = {(w[1].node, w[1].port): w[1] for w in s.net._wire.values() if w is not None}
    for (node, dlid, port), outs in list(s.net._mcast.items()):
        at = ends.get((node, port))  # the port object arrivals there carry
        if at is not None and fans.get(at, dlid) is not None:
            assert fans.get(at, dlid) == s.net._fan(outs)
            checked += 1
    assert checked > 0
    s.sm.events.emit(ev.SweepDone(False, s.engine.now))
    assert len(fans) == 0
    assert fans.get(next(iter(s.net._wire)), 0xC000) is None
