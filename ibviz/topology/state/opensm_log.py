"""Reader for OpenSM's own log (``opensm.log``, written with ``-f``): what the subnet
manager said about itself.

A log line is ``Mon DD HH:MM:SS usec [THREAD] 0xLEVEL -> message``; lines of other shapes
(continuations of a multi-line message) are passed over. Read: the SM's state changes
(``Entering MASTER state``), the port it binds to (``Setting IS_SM on port 0x...``), every
completed sweep (``SUBNET UP``), its priority where a message prints one
(``... priority N``), its version and whether it exited (``Exiting SM``). The log has no
year: the most recent year that does not put a line in the future is taken.
"""

from __future__ import annotations

import re
import time
from datetime import datetime

from ibviz.topology.state._reader import StateReader
from ibviz.topology.state.model import SmLog

LINE_RE = re.compile(r"^(?P<mon>[A-Z][a-z]{2}) (?P<day>[ \d]\d) (?P<hms>\d\d:\d\d:\d\d) "
                     r"(?P<usec>\d{1,6}) \[[0-9A-Fa-f]+\] 0x[0-9A-Fa-f]{2} -> (?P<msg>.*)$")
"""One log line (also the detection rule of the format)."""
_STATE_RE = re.compile(r"^Entering (\w+) state\b")
_PORT_RE = re.compile(r"Setting IS_SM on port 0x([0-9A-Fa-f]{1,16})\b")
_PRIORITY_RE = re.compile(r"\b(?:sm_)?priority[ :=]+(\d{1,3})\b", re.IGNORECASE)
_VERSION_RE = re.compile(r"^OpenSM (\d[\w.\-]*)\s*$")
_EXPECTED = "'Mon DD HH:MM:SS usec [THREAD] 0xLEVEL -> message' (OpenSM's -f log)"


def _stamp(m: re.Match[str], now: float) -> float:
    """Epoch seconds of a log line's time stamp (the year inferred, see the module)."""
    year = time.localtime(now).tm_year
    text = f"{m['mon']} {m['day'].strip()} {m['hms']}"
    for y in (year, year - 1):
        t = datetime.strptime(f"{y} {text}", "%Y %b %d %H:%M:%S").timestamp()
        if t <= now + 86400:
            return t + int(m["usec"]) / 1e6
    return datetime.strptime(f"{year - 1} {text}", "%Y %b %d %H:%M:%S").timestamp()


def parse_opensm_log(reader: StateReader, now: float | None = None) -> None:
    """Fill ``reader.state.sm_log`` from the log's lines."""
    now = time.time() if now is None else now
    log = SmLog()
    seen = False
    for idx, line in reader.body():
        m = LINE_RE.match(line)
        if m is None:
            continue
        if not seen and m["mon"] not in _MONTHS:
            raise reader.error(f"unknown month {m['mon']!r}", idx, _EXPECTED)
        seen = True
        msg = m["msg"].strip()
        state = _STATE_RE.match(msg)
        if state is not None:
            log.state, log.since, log.exited = state[1].upper(), _stamp(m, now), False
        elif msg == "SUBNET UP":
            log.sweeps += 1
            log.last_sweep = _stamp(m, now)
        elif msg.startswith("Exiting SM"):
            log.exited, log.since = True, _stamp(m, now)
        elif (port := _PORT_RE.search(msg)) is not None:
            log.port_guid = int(port[1], 16)
        elif (version := _VERSION_RE.match(msg)) is not None:
            log.version = version[1]
        elif (prio := _PRIORITY_RE.search(msg)) is not None and int(prio[1]) <= 15:
            log.priority = int(prio[1])
    if not seen:
        raise reader.error("no OpenSM log line", 0, _EXPECTED)
    reader.state.sm_log = log


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
