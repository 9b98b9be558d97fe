"""A live session on the real OpenSM lab, headless: an action is busy from ``begin`` until
``finish`` recorded its outcome (not merely until the worker's work returned), and the
failover policy (fail, then the takeover of the group the node served) runs below the GUI,
in the lab's ``apply``."""

from __future__ import annotations

import threading

import pytest

from ibviz.app.live_bus import set_up_demo_group
from ibviz.app.live_session import LiveSession
from ibviz.core import actions as act
from ibviz.topology.builtin import FAILOVER_ROLES, load_builtin


def need_lab() -> None:
    from ibviz.backends._proc import check_tools

    try:
        check_tools(need_opensm=True)
    except Exception as exc:  # noqa: BLE001 - any missing tool means: cannot run here
        pytest.skip(f"the OpenSM lab needs opensm and ibsim: {exc}")


@pytest.mark.realtools
def test_busy_until_the_outcome_is_recorded_and_the_policy_runs_in_the_backend():
    need_lab()
    from ibviz.backends.lab import OpenSmLab

    roles = FAILOVER_ROLES["fig8"]
    with OpenSmLab(load_builtin("fig8")) as lab:
        lab.start()
        demo = set_up_demo_group(lab, roles)
        lab.apply(act.Protect(demo.name, demo.mgid, demo.primary, demo.takeover,
                              tuple(demo.senders), demo.mode.value))
        session = LiveSession(lab, "fig8 lab")
        assert session.controller is lab.protection
        assert session.controller.serving["svc"] == roles["primary"]

        work = session.begin(act.Fail(roles["primary"]))
        assert session.busy
        result: list[object] = []
        worker = threading.Thread(target=lambda: result.append(work()))
        worker.start()
        worker.join(60)
        assert not worker.is_alive()
        # the work returned, but nothing is recorded yet: still busy
        assert session.busy and session.controller.outcomes == []
        outcomes = result[0]
        assert isinstance(outcomes, list) and [o.kind for o in outcomes] == ["failover"]
        session.finish(outcomes)
        assert not session.busy
        out = session.controller.outcomes[-1]
        assert out.group == "svc" and out.problem is None and out.target == roles["takeover"]
        assert session.controller.serving["svc"] == roles["takeover"]
        assert any("takeover" in line or "joins" in line for _, line in session.narration())

        back = session.begin(act.FailBack(roles["primary"]))
        session.finish(back())
        assert session.controller.outcomes[-1].kind == "failback"
        assert session.controller.serving["svc"] == roles["primary"] and not session.busy
        session.close()
