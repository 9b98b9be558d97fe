"""Waiting for a line in OpenSM's log reads each byte once, in bounded memory (a 46k-node
sweep logs gigabytes: re-reading the whole file at every look took 20 GB)."""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

from ibviz.backends import log_scan
from ibviz.backends.log_scan import LogScanner, log_tail

UP = re.compile("SUBNET UP")


def test_a_line_being_written_is_found_once_it_is_whole(tmp_path: Path) -> None:
    log = tmp_path / "opensm.log"
    scanner = LogScanner(log)
    assert scanner.find(UP) is None  # no log yet
    log.write_text("Dec 07 one\nDec 07 Entering MASTER state, SUBNET U")
    assert scanner.find(UP) is None  # the line is not finished
    with log.open("a") as fh:
        fh.write("P now\nDec 07 after\n")
    assert scanner.find(UP) == "Dec 07 Entering MASTER state, SUBNET UP now"
    assert scanner.find(UP) is None  # already looked at
    assert log_tail(log, 13) == "Dec 07 after\n"


def test_a_start_offset_skips_what_came_before(tmp_path: Path) -> None:
    log = tmp_path / "opensm.log"
    log.write_text("SUBNET UP first\n")
    start = log.stat().st_size
    scanner = LogScanner(log, start)
    assert scanner.find(UP) is None
    with log.open("a") as fh:
        fh.write("x\nSUBNET UP again\n")
    assert scanner.find(UP) == "SUBNET UP again"


def test_characters_split_across_reads_decode_whole(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(log_scan, "CHUNK", 3)
    log = tmp_path / "opensm.log"
    log.write_bytes("réseau µs\nnœud SUBNET UP é\n".encode())
    assert LogScanner(log).find(UP) == "nœud SUBNET UP é"


def test_a_large_log_is_read_in_bounded_memory(tmp_path: Path) -> None:
    log = tmp_path / "opensm.log"
    line = "Dec 07 01:02:03 123456 [7F] 0x02 -> osm_ucast_mgr: routing a switch LID\n"
    with log.open("w") as fh:
        for _ in range(48):
            fh.write(line * ((1 << 20) // len(line)))  # 48 MiB
        fh.write("Dec 07 SUBNET UP\n")
    tracemalloc.start()
    try:
        found = LogScanner(log).find(UP)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == "Dec 07 SUBNET UP"
    assert peak < 6 * log_scan.CHUNK, peak  # a few chunks, not the 48 MiB file
