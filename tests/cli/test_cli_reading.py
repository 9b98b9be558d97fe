"""The CLI's big-work commands pause the cyclic collector while they read and analyse
(millions of long-lived objects: its passes free nothing) and leave the process as they
found it."""

from __future__ import annotations

import argparse
import gc

import pytest

from ibviz.cli import check, diff, whatif
from ibviz.core.bulk import gc_paused


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_paused_and_restored_even_on_errors(enabled: bool):
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError), gc_paused():
            raise ValueError("the command failed")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.parametrize("module, command, work", [
    (check, "cmd_check", "_check"), (diff, "cmd_diff", "_diff"),
    (whatif, "cmd_whatif", "_whatif")])
def test_check_diff_and_whatif_work_with_the_collector_paused(monkeypatch, module, command,
                                                              work):
    seen = []
    monkeypatch.setattr(module, work, lambda args: seen.append(gc.isenabled()) or 0)
    was = gc.isenabled()
    try:
        gc.enable()
        args = argparse.Namespace(fail=["x"], fail_link=[])
        assert getattr(module, command)(args) == 0
        assert seen == [False]
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
