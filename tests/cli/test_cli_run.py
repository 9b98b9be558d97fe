"""``ibviz run``: listing, text, JSON shape, --compare, --mode, pcap/trace, exit codes."""

from __future__ import annotations

import json

import pytest

from ibviz.cli.main import main
from ibviz.topology.scenarios import scenario_names


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["run", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_prints_name_and_one_line_description(capsys):
    code, out, _ = run(capsys, "--list")
    lines = out.splitlines()
    assert code == 0 and [ln.split()[0] for ln in lines] == scenario_names()
    assert all(len(ln.split(None, 1)) == 2 for ln in lines)


def test_json_has_the_documented_shape(capsys):
    code, out, _ = run(capsys, "fig8", "--json")
    r = json.loads(out)
    assert code == 0
    assert {"scenario", "mode", "seed", "flows", "failover", "invariants"} <= set(r)
    assert r["scenario"] == "fig8" and r["mode"] == "mlid" and r["seed"] == 1
    for f in r["flows"]:
        assert {"name", "sent", "delivered", "lost", "duplicated", "lost_by_reason"} <= set(f)
        assert f["sent"] == f["delivered"] + f["lost"] + f["in_flight"]
    for o in r["failover"]:
        assert {"node", "mode", "reason", "detected_us", "restored_us", "outage_us",
                "mads"} <= set(o)
    assert r["invariants"] | {"conservation": True, "loops": 0, "duplicates": 0} == \
        r["invariants"]


def test_text_report_has_a_flow_table_and_the_timeline(capsys):
    code, out, _ = run(capsys, "fig10")
    assert code == 0
    assert "requests" in out and "failover timeline" in out
    assert "mode 2: switch switch-1 primary multicast port 1 -> 2" in out
    assert "exactly-once ok" in out


def test_timeline_counts_are_singular_for_one(capsys):
    """The cold trial read "1 MADs" and "1 messages lost" in the failover timeline."""
    _, out, _ = run(capsys, "fig10")
    assert ", 1 MAD, 1 node touched, 0 messages lost" in out
    _, out, _ = run(capsys, "fig8")
    assert ", 2 MADs, 2 nodes touched, 1 message lost" in out
    assert not any(f" 1 {word}" in out for word in ("MADs", "nodes", "messages"))


def test_mode_override_and_seed(capsys):
    code, out, _ = run(capsys, "fig8", "--mode", "port", "--seed", "5", "--json")
    r = json.loads(out)
    assert code == 0 and r["mode"] == "port" and r["seed"] == 5
    assert r["failover"][0]["problem"].startswith("switch switch-1 keeps a multicast table")


def test_compare_puts_the_three_strategies_side_by_side(capsys):
    code, out, _ = run(capsys, "fig10", "--compare")
    assert code == 0
    head = out.splitlines()[1]
    assert "MLID reassignment" in head and "port remap" in head and "prior-art LMC" in head
    for row in ("detection (\u00b5s)", "restore (\u00b5s)", "outage (\u00b5s)", "lost in failovers",
                "MADs sent", "nodes touched"):
        assert any(line.startswith(row) for line in out.splitlines()), row
    # FIG. 10's switch keeps no multicast table: MLID reassignment cannot apply, and says
    # so instead of showing figures
    inv = next(line for line in out.splitlines() if line.startswith("invariants")).split()
    assert inv[1:] == ["n/a", "ok", "ok"]
    restore = next(line for line in out.splitlines() if line.startswith("restore")).split()
    assert restore[2] == "n/a" and restore[3] != "n/a"
    assert ("MLID reassignment: not applicable: MLID reassignment needs switch multicast "
            "tables; switch switch-1 keeps none (MulticastFDBCap = 0)") in out


@pytest.mark.parametrize("argv", [["nosuch"], [], ["fig8", "--mode", "bogus"]])
def test_invalid_input_exits_2(capsys, argv):
    if "bogus" in argv:
        with pytest.raises(SystemExit) as info:
            main(["run", *argv])
        assert info.value.code == 2
        return
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.startswith("ibviz run: ")


def test_bad_scenario_file_exit_2_names_file_and_line(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("fabric: fig8\nflows:\n  - {name: x, source: ghost, destination: sender}\n")
    code, _, err = run(capsys, str(bad))
    assert code == 2 and f"{bad}:3: flows[0].source: no node 'ghost'" in err


def test_a_broken_invariant_exits_1(capsys, monkeypatch):
    from ibviz.core.scenario import report

    real = report.exactly_once
    monkeypatch.setattr(report, "exactly_once",
                        lambda s: (False, real(s)[1], ["packet 1 reached two ports"]))
    code, _, err = run(capsys, "fig10")
    assert code == 1 and "invariant is broken" in err


def test_pcap_and_trace_files(capsys, tmp_path):
    pcap, trace = tmp_path / "run.pcapng", tmp_path / "run.jsonl"
    code, _, err = run(capsys, "fig10", "--pcap", str(pcap), "--trace", str(trace))
    assert code == 0 and "frames to" in err
    assert pcap.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    rows = [json.loads(line) for line in trace.read_text().splitlines()]
    assert {r["type"] for r in rows} == {"log", "hop", "drop"}
    assert any(r["type"] == "log" and r["kind"] == "remap" for r in rows)


@pytest.mark.parametrize("extra", [["--pcap", "out.pcapng"], ["--trace", "out.jsonl"],
                                   ["--mode", "port"], ["--backend", "lab"]])
def test_compare_refuses_options_it_would_ignore(capsys, tmp_path, monkeypatch, extra):
    """--compare makes three runs: a pcap, a trace or a mode of one of them, or the lab
    backend, would be silently dropped; it says so instead, and writes nothing."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "fig10", "--compare", *extra)
    assert code == 2 and out == "" and err.startswith("ibviz run: --")
    assert "--compare" in err and not any(tmp_path.iterdir())


def test_mlid_reassignment_forced_where_no_switch_keeps_a_table_is_refused(capsys):
    """fig10's switch keeps no multicast table: forced MLID reassignment would send into
    nothing while the timeline said the group was served; it is refused, naming the
    switch and what to use; the comparison still shows it as not applicable."""
    code, out, err = run(capsys, "fig10", "--mode", "mlid")
    assert code == 2 and out == ""
    assert "switch switch-1 keeps none (MulticastFDBCap = 0)" in err and "--mode port" in err
    code, out, _ = run(capsys, "fig10", "--compare")
    assert code == 0 and "not applicable: MLID reassignment needs switch multicast" in out
    code, out, _ = run(capsys, "fig8", "--mode", "mlid")  # its switches keep tables
    assert code == 0 and "mode mlid" in out
