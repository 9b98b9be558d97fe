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
