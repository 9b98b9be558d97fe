"""``ibviz lesson``: list (one lesson a line, name first) and verify's exit codes."""

from __future__ import annotations

import subprocess
import sys

from ibviz.cli.main import main
from ibviz.topology.lessons import lesson_names


def lesson(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["lesson", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_prints_one_lesson_a_line_name_first(capsys):
    code, out, _ = lesson(capsys, "list")
    lines = out.splitlines()
    assert code == 0 and [ln.split()[0] for ln in lines] == lesson_names()
    assert all(any(w in ln for w in ("para.", "FIG.", "method ")) for ln in lines)


def test_verify_one_lesson_shows_each_check_and_its_counter_check(capsys):
    code, out, _ = lesson(capsys, "verify", "mode2-port-remap")
    assert code == 0
    assert "holds: switch-1's DefaultMulticastPrimaryPort is 2" in out
    assert out.count("without the action: fails, as it must") == 7
    assert out.rstrip().endswith("OK: 3 steps, 10 checks, 7 shown to fail without their "
                                 "action")


def test_verify_all_exits_zero_when_every_lesson_holds(capsys):
    code, out, _ = lesson(capsys, "verify", "--all")
    assert code == 0
    assert out.rstrip().endswith(f"{len(lesson_names())} of {len(lesson_names())} lessons "
                                 "verified")
    assert "DOES NOT HOLD" not in out and "STILL HOLDS" not in out


def test_verify_exits_one_when_a_check_does_not_depend_on_its_action(capsys, tmp_path):
    path = tmp_path / "weak.yaml"
    path.write_text("title: weak\ncites: [para. 30]\nscenario: fig10\nsteps:\n"
                    "  - title: t\n    narration: n\n    action: {fail: first-node}\n"
                    "    check: {mode: {group: svc, mode: port}}\n")
    code, out, _ = lesson(capsys, "verify", str(path))
    assert code == 1
    assert "without the action: STILL HOLDS" in out and "FAILED: 1 steps" in out


def test_verify_exits_two_on_invalid_input(capsys, tmp_path):
    assert lesson(capsys, "verify")[0] == 2
    code, _, err = lesson(capsys, "verify", "no-such-lesson")
    assert code == 2 and "no lesson 'no-such-lesson'" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: t\ncites: [a]\nscenario: fig10\nsteps:\n  - title: t\n"
                   "    narration: n\n    check: {mft: {switch: s}}\n")
    code, _, err = lesson(capsys, "verify", str(bad))
    assert code == 2 and f"{bad}:7: steps[0].check.mft: missing key 'mlid'" in err


def test_the_command_runs_as_a_process():
    run = subprocess.run([sys.executable, "-m", "ibviz", "lesson", "verify", "auto-mode"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "OK: 2 steps" in run.stdout


def test_gui_help_says_where_lesson_and_scenario_names_are(capsys):
    """``ibviz gui --help`` takes --lesson NAME and a scenario name: it says which
    command lists each (and both commands answer)."""
    try:
        main(["gui", "--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "'ibviz lesson list' names them" in out
    assert "'ibviz run --list' names the built-in scenarios" in out
    assert main(["lesson", "list"]) == 0 and main(["run", "--list"]) == 0
