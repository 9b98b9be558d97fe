"""Times in sentences a user reads say µs, as the window's readout and log columns do
("The failure was noticed after 2 µs", not "after 2 us"); the JSON keys stay ``*_us``."""

from __future__ import annotations

import json
import re

from ibviz.app.opening import open_any
from ibviz.cli.main import main

ASCII_US = re.compile(r"\d us\b|\(us\)")


def test_narration_says_microseconds():
    s = open_any("fig10").session
    s.run_until(10_000.0)  # the failover and the failback
    lines = [text for _t, text in s.narration()]
    timed = [text for text in lines if "after" in text and "\u00b5s" in text]
    assert timed, lines
    assert not [text for text in lines if ASCII_US.search(text)], lines


def test_run_text_says_microseconds_and_json_keys_stay(capsys):
    assert main(["run", "fig10"]) == 0
    out = capsys.readouterr().out
    assert "\u00b5s" in out and not ASCII_US.search(out), out
    assert main(["run", "fig10", "--compare"]) == 0
    out = capsys.readouterr().out
    assert "outage (\u00b5s)" in out and not ASCII_US.search(out), out
    assert main(["run", "fig10", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert {"detected_us", "restored_us", "outage_us"} <= set(r["failover"][0])
    assert "duration_us" in r



def _error(parse, text: str) -> str:
    from ibviz.core.scenario.model import ScenarioError

    try:
        parse(text, "bad.yaml")
    except ScenarioError as exc:  # a LessonError is one too
        return str(exc)
    raise AssertionError("no error")


def test_scenario_and_lesson_errors_say_microseconds_and_keep_the_keys():
    """A scenario's or a lesson's bad time says µs, as the window does; the key it names
    stays ``*_us`` (the file format's contract)."""
    from ibviz.resources import resource_path
    from ibviz.topology.lesson_yaml import parse_lesson
    from ibviz.topology.scenario_yaml import parse_scenario

    fig10 = resource_path("scenarios/fig10.yaml").read_text(encoding="utf-8")
    lesson = resource_path("lessons/failback.yaml").read_text(encoding="utf-8")
    said = [
        _error(parse_scenario, fig10.replace("duration_us: 10000", "duration_us: -5")),
        _error(parse_scenario, fig10.replace("report_us: 20", "report_us: -1")),
        _error(parse_scenario, fig10.replace("rate_pps: 20000}", "rate_pps: 1, "
                                             "start_us: 5000000000000}")),
        _error(parse_lesson, lesson + "start_us: 2000000\n"),
    ]
    keys = ("duration_us", "report_us", "start_us", "start_us")
    for text, key in zip(said, keys, strict=True):
        assert key in text and "\u00b5s" in text and not ASCII_US.search(text), text
    with_wait = re.sub(r"(\n  - title: .*)", r"\1\n    wait_us: 0", lesson, count=1)
    text = _error(parse_lesson, with_wait)
    assert "wait_us" in text and "\u00b5s" in text and not ASCII_US.search(text), text
