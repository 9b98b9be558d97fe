"""The CLI's big-work helpers leave the process as they found it."""

from __future__ import annotations

import gc

import pytest

from ibviz.cli.reading import collector_paused


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_paused_and_restored_even_on_errors(enabled: bool):
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError), collector_paused():
            raise ValueError("the command failed")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
