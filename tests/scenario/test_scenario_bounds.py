"""Scenario numbers are range-checked with their key's line, rate x duration is bounded,
and YAML aliases are refused before anything is expanded (found by ``python3 -m tests.fuzz``)."""

from __future__ import annotations

import time

import pytest

from ibviz.cli.main import main
from ibviz.core.scenario import ScenarioError
from ibviz.topology._scenario_bounds import MAX_PACKETS
from ibviz.topology.scenario_yaml import parse_scenario

BASE = """\
name: bounds
fabric: fig8
duration_us: 3000
groups:
  - {name: svc, mgid: "ff15::1:8", members: [sender]}
failover:
  group: svc
  primary: first-node
  takeover: second-node
  failback: {state_dump_us: 500}
flows:
  - {name: f, source: sender, destination: "group:svc", rate_pps: 1000}
timeline:
  - {at_us: 1000, fail: first-node}
"""


def _refused(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "s.yaml")
    assert "s.yaml" in str(err.value) and "\n" not in str(err.value)
    return err.value


@pytest.mark.parametrize("old, new, key, line", [
    ("duration_us: 3000", "duration_us: " + "9" * 400, "duration_us", 3),
    ("duration_us: 3000", "duration_us: .inf", "duration_us", 3),
    ("duration_us: 3000", "duration_us: 1.0e+400", "duration_us", 3),
    ("rate_pps: 1000", "rate_pps: " + "9" * 400, "flows[0].rate_pps", 12),
    ("rate_pps: 1000", "rate_pps: 1000, start_us: -5", "flows[0].start_us", 12),
    ("{at_us: 1000,", "{at_us: 1.0e+999,", "timeline[0].at_us", 14),
    ("state_dump_us: 500", "state_dump_us: 99999999999999999999999",
     "failover.failback.state_dump_us", 10),
    ('mgid: "ff15::1:8"', "mgid: 0x1" + "0" * 40, "groups[0].mgid", 5),
])
def test_every_number_is_range_checked_with_its_key_line(old, new, key, line):
    text = BASE.replace(old, new)
    err = _refused(text)
    where = next(i for i, ln in enumerate(text.splitlines(), 1) if new in ln)
    assert err.key == key and err.line == where == line and "out of range" in str(err)


def test_rate_times_duration_is_bounded():
    err = _refused(BASE.replace("rate_pps: 1000", "rate_pps: 4294967296"))
    assert err.key == "flows[0].rate_pps" and "out of range" in str(err)  # the case
    text = BASE.replace("rate_pps: 1000", "rate_pps: 40000000").replace(
        "duration_us: 3000", "duration_us: 1000000")
    err = _refused(text)
    assert err.key == "flows[0].rate_pps" and f"{MAX_PACKETS:,}" in str(err)
    assert parse_scenario(text.replace("40000000", "4000000"), "s.yaml").flows


def test_yaml_alias_bombs_are_refused_before_expansion():
    bomb = "".join(f"x{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]\n"
                   for k in range(1, 11))
    started = time.monotonic()
    err = _refused("x0: &a0 [z, z, z, z, z, z, z, z, z]\n" + bomb + BASE)
    assert time.monotonic() - started < 5  # 9^10 expansions would never end
    assert "aliases" in str(err) and err.line == 2


def test_a_nul_byte_is_a_one_line_error():
    assert "not valid YAML" in str(_refused(BASE + "x: \x00\n"))


@pytest.mark.parametrize("args", [(), ("--backend", "lab")])
def test_run_exits_2_on_a_bad_scenario_never_70(tmp_path, capsys, args):
    path = tmp_path / "bad.yaml"
    path.write_text(BASE.replace("rate_pps: 1000", "rate_pps: 4294967296"))
    assert main(["run", str(path), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{path}:12" in err and "flows[0].rate_pps" in err


def test_topo_exits_1_with_one_line_on_bad_input(tmp_path, capsys):
    path = tmp_path / "bad.topo"
    path.write_text('Switch 4 "S-0000000000000010"\n'
                    '[1] "H-0000000000000020"[99999999999](21) # "h" lid 2 4xSDR\n')
    assert main(["topo", "info", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{path}:2:" in err and "peer port" in err
