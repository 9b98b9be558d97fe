"""``ibviz lab``: a scenario run with the tables printed, following until Ctrl+C / SIGTERM
with everything cleaned up, and the errors a user can make."""

from __future__ import annotations

import argparse
import io
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from ibviz.backends.ibsim_process import MissingToolsError, check_tools, fabric_processes
from ibviz.backends.umad_client import REPO_ROOT
from ibviz.cli import lab as lab_cli

CHILD = ("import argparse, sys\n"
         "from ibviz.cli import lab\n"
         "parser = argparse.ArgumentParser(prog='ibviz')\n"
         "lab.add_parser(parser.add_subparsers())\n"
         "args = parser.parse_args(sys.argv[1:])\n"
         "sys.exit(args.func(args))\n")


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ibviz")
    lab_cli.add_parser(parser.add_subparsers())
    return parser.parse_args(["lab", *argv])


def _require_tools() -> None:
    try:
        check_tools(need_opensm=True)
    except MissingToolsError as exc:
        pytest.skip(f"real InfiniBand tools not installed: {exc}")


@pytest.mark.realtools
def test_scenario_once_prints_opensm_tables_and_leaves_nothing():
    _require_tools()
    out = io.StringIO()
    assert lab_cli.cmd_lab(_args("fig8", "--scenario", "mlid", "--once"), out) == 0
    text = out.getvalue()
    assert "SUBNET UP after" in text and "OpenSM 3.3.23" in text
    assert "failover: second-node (takeover) serves the group" in text
    assert "failback: first-node (primary) serves the group" in text
    rows = [line.split() for line in text.splitlines() if line.startswith("switch-1")]
    assert ["switch-1", "0xc001", "1", "3", "4"] in rows
    assert fabric_processes(f"ibviz{os.getpid()}_") == []


@pytest.mark.realtools
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_follow_until_interrupted_then_clean(sig):
    _require_tools()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, "lab", "fig10"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"following OpenSM's changes" not in seen and time.monotonic() < deadline:
            if select.select([proc.stdout], [], [], 1.0)[0]:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                seen += chunk
        assert b"following OpenSM's changes" in seen, seen
        assert fabric_processes(f"ibviz{proc.pid}_")  # ibsim and OpenSM are running
        proc.send_signal(sig)
        rest = proc.communicate(timeout=30)[0].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, seen.decode() + rest
    assert "stopped; OpenSM and ibsim cleaned up" in rest
    assert fabric_processes(f"ibviz{proc.pid}_") == []
    assert list(Path(tempfile.gettempdir()).glob(f"ibviz-lab-{proc.pid}-*")) == []


def test_scenario_needs_a_failover_fabric(capsys):
    assert lab_cli.cmd_lab(_args("fig5", "--scenario", "port", "--once")) == 1
    assert "--scenario needs a failover fabric" in capsys.readouterr().err


def test_unknown_fabric_is_one_line(capsys):
    assert lab_cli.cmd_lab(_args("no-such-fabric.topo", "--once")) == 1
    err = capsys.readouterr().err
    assert err.startswith("ibviz: error:") and err.count("\n") == 1
