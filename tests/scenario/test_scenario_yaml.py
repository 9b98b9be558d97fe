"""Scenario files: safe loading, and errors that name the file, the line and the key."""

from __future__ import annotations

import textwrap

import pytest

from ibviz.core.scenario import ScenarioError
from ibviz.topology.scenario_yaml import load_scenario_file, parse_scenario
from ibviz.topology.scenarios import load_scenario, open_session, scenario_names

GOOD = """\
name: mine
fabric: fig10
sm: {no_mft_switches: [switch-1]}
groups:
  - name: svc
    mgid: "ff15::1:99"
    members:
      - {node: sender, join: send-only-full}
failover: {group: svc, primary: first-node, takeover: second-node}
flows:
  - {name: f, source: sender, destination: "group:svc", rate_pps: 1000}
timeline:
  - {at_us: 1000, fail: first-node}
duration_us: 3000
"""


def error_of(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        open_session_text(text)
    return info.value


def open_session_text(text: str):
    from ibviz.core.scenario import Session
    from ibviz.topology.scenarios import fabric_for

    sc = parse_scenario(text, "my.yaml")
    return Session(sc, fabric_for(sc))


def test_a_good_file_runs_and_auto_picks_port_remap():
    s = open_session_text(GOOD)
    s.run()
    assert s.controller.modes["svc"][0].value == "port"
    assert s.report()["flows"][0]["delivered"] > 0


@pytest.mark.parametrize("edit, line, key, words", [
    (("rate_pps: 1000", "rate_pps: 1000, colour: red"), 11, "flows[0].colour", "unknown key"),
    (("rate_pps: 1000", "rate_pps: fast"), 11, "flows[0].rate_pps", "expected int or float"),
    (("source: sender", "source: nobody"), 11, "flows[0].source", "no node 'nobody'"),
    (("group:svc", "group:nope"), 11, "flows[0].destination", "no group 'nope'"),
    (("fail: first-node", "explode: first-node"), 13, "timeline[0]", "exactly one action"),
    (("fail: first-node", "fail: ghost"), 13, "timeline[0].fail", "no node 'ghost'"),
    (("duration_us: 3000", "duration_us: -1"), 14, "duration_us", "must be positive"),
    (("fabric: fig10", "fabric: nowhere.topo"), 2, "fabric", "cannot open fabric"),
    (("join: send-only-full", "join: sometimes"), 8, "groups[0].members[0].join",
     "use one of"),
    (("takeover: second-node", "takeover: switch-1"), 9, "failover.takeover",
     "must be a channel adapter"),
    (('"ff15::1:99"', '"ff15:a01b::1"'), 9, "failover", "reserved for SA-assigned MGIDs"),
])
def test_errors_name_line_and_key(edit, line, key, words):
    old, new = edit
    assert old in GOOD
    err = error_of(GOOD.replace(old, new, 1))
    assert err.line == line and err.key == key and words in str(err), str(err)
    assert str(err).startswith(f"my.yaml:{line}: {key}: ")


def test_not_yaml_empty_and_unsafe_tags_are_refused(tmp_path):
    with pytest.raises(ScenarioError, match=r"my.yaml:3: not valid YAML: expected the node content"):
        parse_scenario("fabric: fig8\nflows: [\n", "my.yaml")
    with pytest.raises(ScenarioError, match="empty"):
        parse_scenario("", "my.yaml")
    evil = tmp_path / "evil.yaml"
    evil.write_text("fabric: !!python/object/apply:os.system ['touch pwned']\n")
    with pytest.raises(ScenarioError, match="evil.yaml:1: fabric: YAML tag .*python.* is not allowed"):
        load_scenario_file(evil)
    assert not (tmp_path / "pwned").exists()
    with pytest.raises(ScenarioError, match="missing key 'fabric'"):
        parse_scenario("name: x\n", "my.yaml")


def test_duplicate_keys_and_flow_names_are_refused():
    with pytest.raises(ScenarioError, match=r":2: seed: appears twice"):
        parse_scenario("seed: 1\nseed: 2\nfabric: fig8\n", "my.yaml")
    text = GOOD.replace("flows:\n", "flows:\n  - {name: f, source: sender, "
                        "destination: first-node}\n")
    with pytest.raises(ScenarioError, match="used twice"):
        parse_scenario(text, "my.yaml")


def test_builtins_load_by_name_and_files_by_path(tmp_path):
    for name in scenario_names():
        sc = load_scenario(name)
        assert sc.name == name and sc.description
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD)
    assert load_scenario(str(path)).name == "mine"
    with pytest.raises(ScenarioError, match="built-in ones are fig8"):
        load_scenario("no-such-scenario")


def test_builtin_files_start_with_a_comment_naming_them():
    from ibviz.resources import resource_path

    for name in scenario_names():
        first = (resource_path("scenarios") / f"{name}.yaml").read_text().splitlines()[0]
        assert first.startswith(f"# {name}: "), first


def test_relative_fabric_paths_resolve_next_to_the_scenario(tmp_path):
    from ibviz.topology import save
    from ibviz.topology.builtin import load_builtin

    save(load_builtin("fig10"), tmp_path / "lab.topo")
    (tmp_path / "s.yaml").write_text(textwrap.dedent(GOOD).replace("fabric: fig10",
                                                                   "fabric: lab.topo"))
    s = open_session(str(tmp_path / "s.yaml"))
    assert s.fabric.source.endswith("lab.topo")
