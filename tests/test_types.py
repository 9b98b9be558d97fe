"""mypy over the packages pyproject.toml's ``[tool.mypy]`` names (core, app, topology,
backends, gui, cli; the modules it still exempts are listed there)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from conftest import REPO


def test_mypy_finds_no_type_errors():
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    proc = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True,
                          cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.stdout.startswith("Success"), proc.stdout


def test_mypy_would_catch_a_wrong_action_field(tmp_path):
    """The configuration really checks: a typed action built with a string GUID fails."""
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    bad = tmp_path / "bad.py"
    bad.write_text("from ibviz.core import actions as act\nact.Fail('first-node')\n")
    proc = subprocess.run([sys.executable, "-m", "mypy", "--config-file",
                           str(REPO / "pyproject.toml"), str(bad)],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    assert proc.returncode == 1 and 'incompatible type "str"' in proc.stdout, proc.stdout
