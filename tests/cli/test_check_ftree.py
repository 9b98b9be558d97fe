"""``ibviz check`` on the dumps of a healthy fat tree routed with ftree (``ibviz sm
--routing ftree --dump``): OpenSM's ftree routes switch LIDs as secondary paths only, so
some switches have no route to other switches' LIDs. That is one warning, not an error per
switch LID; a switch LID a switch with CAs cannot deliver, or any CA LID unreachable, stays
an error."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from ibviz.cli.main import main

SPEC = "fat-tree:k=4,n=3"


@pytest.fixture(scope="module")
def ftree_dump(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ftree") / "dump"
    run = subprocess.run([sys.executable, "-m", "ibviz", "sm", SPEC, "--routing", "ftree",
                          "--dump", str(out)], capture_output=True, text=True, cwd=REPO,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    return out


def check_cli(*args: str, capsys) -> tuple[int, str]:
    code = main(["check", *args])
    return code, capsys.readouterr().out


def without_entry(dump: Path, tmp_path: Path, switch: str, lid: int) -> Path:
    """A copy of ``dump`` where switch ``switch`` (its name in the dump's section header)
    has no route to ``lid``: OpenSM leaves an unrouted LID out of opensm-lfts.dump (and
    opensm.fdbs, which says the same, is left out of the copy)."""
    copy = tmp_path / "dump"
    shutil.copytree(dump, copy)
    (copy / "opensm.fdbs").unlink()
    path = copy / "opensm-lfts.dump"
    out, inside, removed = [], False, 0
    for line in path.read_text().split("\n"):
        if line.startswith("Unicast lids"):
            inside = f"'MF0;{switch}:" in line
        elif inside and line.startswith(f"{lid:#06x} "):
            removed += 1
            continue
        out.append(line)
    assert removed == 1
    path.write_text("\n".join(out))
    return copy


def test_healthy_ftree_dump_gives_one_warning_not_errors(ftree_dump, capsys):
    code, out = check_cli(str(ftree_dump), "--json", capsys=capsys)
    found = json.loads(out)["problems"]
    assert [(p["kind"], p["severity"]) for p in found] == [("switch-lid-unrouted", "warning")]
    assert len(found[0]["nodes"]) == 32  # the 16 top (L3) and 16 middle (L2) switches; leaves are L1
    assert "secondary paths only" in found[0]["detail"]
    assert "traffic between CAs is unaffected" in found[0]["detail"]
    assert code == 1  # a warning is a problem: exit 1 as before
    code, out = check_cli(str(ftree_dump), capsys=capsys)
    assert "error:" not in out
    assert "warning: switch-lid-unrouted: 32 switch LIDs (L3-sw01 LID 0x0001" in out
    assert out.rstrip().endswith("1 problem: 1 switch-lid-unrouted")


def test_switch_lid_a_leaf_cannot_reach_stays_an_error(ftree_dump, tmp_path, capsys):
    copy = without_entry(ftree_dump, tmp_path, "L1-sw01", 0x0003)  # L3-sw02's LID
    code, out = check_cli(str(copy), "--json", capsys=capsys)
    found = json.loads(out)["problems"]
    errors = [p for p in found if p["severity"] == "error"]
    assert code == 1 and [(p["kind"], p["lid"]) for p in errors] == [("lid-unreachable",
                                                                      "0x0003")]
    assert errors[0]["detail"].startswith("not delivered from 28 of 48 switches")
    assert "0x0002c90400000020" in errors[0]["nodes"]  # L1-sw01, where the path ends
    warning = next(p for p in found if p["kind"] == "switch-lid-unrouted")
    assert len(warning["nodes"]) == 31


def test_ca_lid_unreachable_makes_every_gap_an_error(ftree_dump, tmp_path, capsys):
    copy = without_entry(ftree_dump, tmp_path, "L3-sw01", 0x0002)  # node0001's LID
    code, out = check_cli(str(copy), "--json", capsys=capsys)
    found = json.loads(out)["problems"]
    assert code == 1 and {p["severity"] for p in found} == {"error"}
    assert {p["kind"] for p in found} == {"lid-unreachable"}
    assert "0x0002" in {p["lid"] for p in found} and len(found) == 33
