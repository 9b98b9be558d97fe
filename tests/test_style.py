"""ruff keeps the code base in one style (configuration in pyproject.toml)."""

import shutil
import subprocess

import pytest

from conftest import REPO


def test_ruff_is_clean():
    exe = shutil.which("ruff")
    if exe is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    proc = subprocess.run([exe, "check", "ibviz", "tests", "benchmarks", "setup.py"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stdout[-5000:]
