"""Regression guard for PySide6 6.12.0 on CPython 3.11: every call of a method returning
nothing dropped a reference to ``None`` (-1000 after 1000 ``QGraphicsItem.setPos`` calls),
until the interpreter died with ``Fatal Python error: none_dealloc``. pyproject.toml pins
PySide6 below 6.12 for Python < 3.12; this test fails if the installed one leaks."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")

PROBE = r"""
import os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtWidgets import QApplication, QGraphicsRectItem
app = QApplication([])
item = QGraphicsRectItem(0, 0, 10, 10)
before = sys.getrefcount(None)
for i in range(1000):
    item.setPos(float(i), 0.0)
    item.setZValue(1.0)
after = sys.getrefcount(None)
print(after - before)
"""


def test_methods_returning_nothing_do_not_leak_none_references():
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, f"Qt probe died: {proc.stderr[-2000:]}"
    delta = int(proc.stdout.strip().splitlines()[-1])
    # a healthy PySide6 keeps None's refcount steady; the broken 6.12.0 loses 2000 here
    assert -50 < delta < 50, f"None refcount changed by {delta} over 2000 calls"
