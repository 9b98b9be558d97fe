"""The core (and the app layer) never imports Qt: checked statically (import-linter) and by running it."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import REPO

BLOCKER = r"""
import importlib.abc, pkgutil, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"):
            raise ImportError(f"{name} is blocked: the core must run without Qt")
        return None

sys.meta_path.insert(0, Block())
import ibviz.core, ibviz.topology, ibviz.app
for pkg in (ibviz.core, ibviz.topology, ibviz.app):
    for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        __import__(mod.name)
from ibviz.topology import open_fabric, dumps
fabric = open_fabric(sys.argv[1])
dumps(fabric, "json")
import ibviz.cli.main as cli
assert cli.main(["topo", "info", sys.argv[1]]) == 0
print("ok", len(fabric.nodes))
"""


def test_core_and_topology_import_and_work_with_qt_blocked(tmp_path):
    topo = tmp_path / "t.topo"
    topo.write_text('switchguid=0x10(10)\nSwitch\t4 "S-0000000000000010"\t\t# "sw" base port 0 '
                    'lid 1 lmc 0\n[1]\t"H-0000000000000020"[1](21) \t\t# "h" lid 2 4xHDR\n')
    proc = subprocess.run([sys.executable, "-c", BLOCKER, str(topo)], capture_output=True,
                          text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("ok 2")


def test_import_linter_contracts_hold():
    exe = shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    proc = subprocess.run([exe], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "BROKEN" not in proc.stdout


RUN_SUITE_WITHOUT_QT = r"""
import importlib.abc, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph", "pytestqt"):
            raise ImportError(f"{name} is blocked: the core must run without Qt")
        return None

sys.meta_path.insert(0, Block())
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_core_test_suite_passes_with_qt_absent():
    """The core and topology suites themselves run in a process where Qt cannot be imported."""
    args = ["-q", "-p", "no:cacheprovider", "-p", "no:pytest-qt", "tests/core", "tests/topology",
            "-k", "not fuzz"]
    proc = subprocess.run([sys.executable, "-c", RUN_SUITE_WITHOUT_QT, *args],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
