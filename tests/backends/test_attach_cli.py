"""``ibviz attach`` on state files: the snapshot summary, the watch loop printing changes,
and its errors. (Live mode against OpenSM: tests/backends/test_attach_opensm.py.)"""

from __future__ import annotations

import argparse
import shutil

import pytest

from conftest import corpus_file
from ibviz.backends.attach import RealFabric
from ibviz.cli.attach import add_parser, watch

LST, FDBS = "ibutils-opensm-subnet.lst", "ibutils-opensm.fdbs"
HOST = 0x0002_C901_0976_8EA0


def attach_cli(*args: str) -> int:
    """``ibviz attach ARGS`` (the subcommand on its own parser, as ibviz.cli.main adds it)."""
    parser = argparse.ArgumentParser(prog="ibviz")
    add_parser(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["attach", *args])
    return parsed.func(parsed)


@pytest.fixture
def dumps(tmp_path):
    for name in (LST, FDBS):
        shutil.copy(corpus_file(name), tmp_path / name)
    return tmp_path


def test_once_prints_the_snapshot(dumps, capsys):
    assert attach_cli(str(dumps / LST), str(dumps / FDBS), "--once") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("real fabric (read-only): ibutils-opensm-subnet.lst: 62 switches, "
                      "3 CAs, 0 routers, 172 links")
    assert out[1] == "state: 65 LIDs, 62 LFTs, 0 MFTs (0 entries), 0 groups (0 members)"
    assert out[2] == "SM MASTER on 0x0002c90109769a00 (LID 0x0001) [from the SM mark in the topology]"
    assert out[3] == "read: opensm-fdbs, opensm-subnet-lst"


def test_watch_prints_changes_as_files_are_rewritten(dumps, capsys):
    backend = RealFabric(dumps, interval=0.01)
    backend.start()
    rewrites = iter([lambda: None, lambda: (dumps / LST).write_text("".join(
        ln for ln in (dumps / LST).read_text().splitlines(keepends=True)
        if f"NodeGUID:{HOST:016x}" not in ln))])
    watch(backend, polls=2, sleep=lambda s: next(rewrites)())
    backend.close()
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("link down: swlab229 HCA-1 (Topspin HCA)[1] - "
                           "MT43132 Mellanox Technologies[3]")
    assert out[1].endswith(f"node gone: swlab229 HCA-1 (Topspin HCA) ({HOST:#018x})")


def test_errors_are_one_line(tmp_path, capsys):
    assert attach_cli() == 2
    assert "give a directory or state files, or --live" in capsys.readouterr().err
    assert attach_cli(str(tmp_path / "missing"), "--once") == 1
    err = capsys.readouterr().err
    assert err.startswith("ibviz: error: ") and err.count("\n") == 1
    assert attach_cli(str(tmp_path), "--interval", "0") == 2
