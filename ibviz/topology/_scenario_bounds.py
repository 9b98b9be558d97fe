"""Bounds on scenario files: sizes, every number's range (errors name the key and its
line), rate x duration, and YAML aliases refused before anything is expanded."""

from __future__ import annotations

import math
from typing import Any

import yaml

from ibviz.core.scenario.model import Scenario, ScenarioError

MAX_TIME_US = 3.6e9
"""Simulated times (durations, instants, intervals) are at most one hour."""
MAX_PACKETS = 10_000_000
"""rate_pps x active time, summed over the flows: what one run may send at most."""
MAX_BYTES = 16 << 20


def check(r: Any, value: Any, key: str, lo: float, hi: float,
          above: bool = False) -> Any:
    """``value`` if it is a finite number within lo..hi (above lo when ``above``); a
    ``*_us`` key's message says its unit, µs (the key itself stays: it is the contract)."""
    if value is None:
        return value
    unit = " \u00b5s" if key.endswith("_us") else ""
    finite = not isinstance(value, float) or math.isfinite(value)
    if above and lo == 0 and finite and value <= 0:
        raise r.error(key, f"must be positive{f' ({unit.strip()})' if unit else ''}, "
                           f"got {value!r}")
    if not finite or value > hi or value < lo or (above and value == lo):
        low = f"above {lo:g}" if above else f"{lo:g}"
        shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:20]}...({len(repr(value))} digits)"
        raise r.error(key, f"{shown} is out of range (expected {low} to {hi:g}{unit})")
    return value


def check_aliases(text: str, source: str) -> None:
    """Refuse YAML aliases before anything is expanded (``&a [*b, *b, ...]`` bombs)."""
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise ScenarioError("YAML aliases (*name) are not allowed in a scenario; "
                                    "write the value out", "",
                                    mark.line + 1 if mark is not None else None, source)
    except yaml.YAMLError:
        return  # reported by compose below, with its line


def packets(r: Any, sc: Scenario) -> None:
    """rate x duration is bounded: a run ends, and in reasonable time."""
    total = 0.0
    for i, f in enumerate(sc.flows):
        stop = sc.duration_us if f.stop_us is None else min(f.stop_us, sc.duration_us)
        total += f.rate_pps * max(stop - f.start_us, 0.0) / 1e6
        if total > MAX_PACKETS:
            raise r.error(f"flows[{i}].rate_pps", f"the flows send {total:.3g} packets by "
                          f"here; a scenario sends at most {MAX_PACKETS:,} (rate_pps x "
                          "active microseconds / 1e6, summed over flows)")
