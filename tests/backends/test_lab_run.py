"""One scenario, two backends: FIG. 8 on the built-in simulation and on the real OpenSM
(ibsim + OpenSM, Debian packages) gives the same report shape, the same group
membership and the same delivery outcome after failover and after failback."""

from __future__ import annotations

import json

import pytest

from ibviz.backends._proc import MissingToolsError, check_tools
from ibviz.cli.main import main

pytestmark = pytest.mark.realtools


@pytest.fixture(scope="module")
def tools():
    try:
        check_tools(need_opensm=True)
    except MissingToolsError as exc:
        pytest.skip(str(exc))


def report(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["run", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_fig8_same_outcome_on_both_backends(tools, capsys):
    code_b, builtin = report(capsys, "fig8")
    code_l, lab = report(capsys, "fig8", "--backend", "lab")
    assert code_b == code_l == 0, (builtin["invariants"], lab["invariants"])
    assert builtin["backend"] == "builtin" and lab["backend"] == "lab"
    assert set(builtin) <= set(lab) | {"duration_us", "simulated_us", "modes"}
    assert {f["name"] for f in builtin["flows"]} == {f["name"] for f in lab["flows"]}
    for f in lab["flows"]:
        assert {"name", "sent", "delivered", "lost", "duplicated", "lost_by_reason"} <= set(f)
        assert f["sent"] > 0 and f["lost"] == 0
    same = [{k: cp[k] for k in ("after", "group", "receivers", "reached")}
            for cp in builtin["checkpoints"]]
    assert same == [{k: cp[k] for k in ("after", "group", "receivers", "reached")}
                    for cp in lab["checkpoints"]]
    assert same[0] == {"after": "failover", "group": "svc", "receivers": ["second-node"],
                       "reached": ["second-node"]}
    assert same[1]["receivers"] == same[1]["reached"] == ["first-node"]
    assert lab["invariants"]["exactly_once"] and lab["invariants"]["exactly_once_checked"]


def test_lab_refuses_what_it_cannot_run(tools, capsys):
    assert main(["run", "fig10", "--backend", "lab"]) == 2
    assert "mode 1 (mlid) only" in capsys.readouterr().err
