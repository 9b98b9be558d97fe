"""``ibviz diff`` after a switch fails (``ibviz sm --fail`` on the DGX SuperPOD file,
GUIDs >= 2^63): the removed switch's LFT is one line with its entry count, not a line
per LID; every other switch's changed entries stay."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, corpus_file
from ibviz.cli.main import main

NAME = "hyungkwang-dgxa100-superpod-hdr-bom-crlf.txt"
LF11 = 0xB8CEF603004A607A


def sm_dump(fabric: Path, out: Path, *args: str) -> Path:
    run = subprocess.run([sys.executable, "-m", "ibviz", "sm", str(fabric), *args, "--dump",
                          str(out)], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert run.returncode == 0, run.stderr
    return out


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory) -> tuple[Path, Path]:
    fabric = corpus_file(NAME)
    tmp = tmp_path_factory.mktemp("superpod")
    return (sm_dump(fabric, tmp / "a"),
            sm_dump(fabric, tmp / "b", "--fail", f"{LF11:#018x}"))


def diff_cli(*args: str, capsys) -> tuple[int, str]:
    code = main(["diff", *args])
    return code, capsys.readouterr().out


def routed_in_dump(dump: Path, switch: int) -> int:
    """Entries of ``switch``'s section of opensm-lfts.dump (OpenSM lists routed LIDs only)."""
    inside, n = False, 0
    for line in (dump / "opensm-lfts.dump").read_text().splitlines():
        if line.startswith("Unicast lids"):
            inside = f"guid {switch:#018x} " in line
        elif inside and line.startswith("0x"):
            n += 1
    return n


def test_removed_switch_lft_is_one_line(snapshots, capsys):
    a, b = snapshots
    entries = routed_in_dump(a, LF11)
    assert entries > 1000
    code, out = diff_cli(str(a), str(b), "--json", capsys=capsys)
    d = json.loads(out)
    assert code == 1
    assert d["lft_removed"] == [{
        "switch": "0xb8cef603004a607a", "name": "lf11.cn.a0203.qm8790.krskp",
        "entries": entries,
        "text": f"lf11.cn.a0203.qm8790.krskp: all {entries} entries gone with the switch"}]
    assert not [e for e in d["lft_changed"] if e["switch"] == "0xb8cef603004a607a"]
    # the other switches' changes (routes lost to the CAs gone with lf11, re-routes) stay
    assert len(d["nodes_removed"]) == 22
    news = [e["new"] for e in d["lft_changed"]]
    assert None in news and any(n is not None for n in news)
    assert set(d) >= {"nodes_added", "nodes_removed", "links_changed", "members_changed",
                      "groups_changed", "mft_changed", "lft_changed"}
    code, out = diff_cli(str(a), str(b), capsys=capsys)
    lf11 = [line for line in out.splitlines() if line.startswith(("~ lft lf11", "- lft lf11"))]
    assert lf11 == [f"- lft lf11.cn.a0203.qm8790.krskp: all {entries} entries gone with the "
                    "switch"]
    assert out.rstrip().endswith(f"{len(d['lft_changed'])} lft_changed, 1 lft_removed")
